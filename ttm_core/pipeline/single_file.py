"""Single-file Wan transformer/VAE weights (ComfyUI's ``diffusion_models`` / ``vae`` files).

Such files carry weights but no config. We build the module from a config — the user's, the
model folder's when its shapes match, or one shipped with the pack for the published Wan models
(``configs/wan_configs.json``) — convert original Wan key names to diffusers' with diffusers'
own converter, and load strictly, so a mismatch is a clear error rather than silent garbage.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import torch

from ..errors import TTMInputError, require

SHIPPED = Path(__file__).with_name("configs") / "wan_configs.json"
_DIFFUSERS_PREFIX = "model.diffusion_model."


def read_state_dict(path: str | os.PathLike, input_name: str) -> dict[str, torch.Tensor]:
    path = Path(path)
    require(path.is_file(), input_name, f"file not found: {path}.", "put the file in the models folder and pick it again.")
    try:
        if path.suffix in (".safetensors", ".sft"):
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
            state = state.get("state_dict", state) if isinstance(state, dict) else state
    except Exception as exc:
        raise TTMInputError(input_name, f"{path.name} could not be read ({exc}).", "re-download the file.") from exc
    require(isinstance(state, dict) and state, input_name, f"{path.name} holds no weights.")
    if any(k.endswith("scale_weight") or k.endswith(".scale_input") for k in state):
        raise TTMInputError(
            input_name,
            f"{path.name} is an fp8 'scaled' ComfyUI checkpoint, which diffusers cannot load.",
            "use the fp16/bf16 file of the same model.",
        )
    return state


def _is_original_wan(state: dict) -> bool:
    return any(k.startswith(_DIFFUSERS_PREFIX) or ".self_attn." in k or k.startswith("head.") for k in state)


def transformer_signature(state: dict) -> dict[str, Any]:
    """Shapes that tell Wan transformers apart, read from either key naming."""
    keys = {k[len(_DIFFUSERS_PREFIX):] if k.startswith(_DIFFUSERS_PREFIX) else k: v for k, v in state.items()}
    patch = keys.get("patch_embedding.weight")
    if patch is None:
        raise TTMInputError("transformer_file", "this is not a Wan transformer checkpoint (no patch_embedding).")
    blocks = {int(m.group(1)) for k in keys if (m := re.match(r"blocks\.(\d+)\.", k))}
    ffn = keys.get("blocks.0.ffn.0.weight", keys.get("blocks.0.ffn.net.0.proj.weight"))
    has_image = any(k.startswith("img_emb.") or k.startswith("condition_embedder.image_embedder") for k in keys)
    return {
        "inner_dim": int(patch.shape[0]),
        "in_channels": int(patch.shape[1]),
        "num_layers": len(blocks),
        "ffn_dim": None if ffn is None else int(ffn.shape[0]),
        "image": has_image,
    }


def _config_signature(cfg: dict) -> dict[str, Any]:
    return {
        "inner_dim": int(cfg["num_attention_heads"]) * int(cfg["attention_head_dim"]),
        "in_channels": int(cfg["in_channels"]),
        "num_layers": int(cfg["num_layers"]),
        "ffn_dim": int(cfg["ffn_dim"]),
        "image": cfg.get("image_dim") is not None,
    }


def _matches(sig: dict, cfg: dict) -> bool:
    want = _config_signature(cfg)
    return all(sig[k] is None or sig[k] == want[k] for k in want)


def _load_config(path: str | os.PathLike, input_name: str) -> dict:
    path = Path(path)
    if path.is_dir():
        path = path / "config.json"
    require(path.is_file(), input_name, f"no config.json at {path}.")
    return json.loads(path.read_text())


def choose_transformer_config(state: dict, explicit: str | None, folder_config: Path | None) -> dict:
    sig = transformer_signature(state)
    if explicit:
        cfg = _load_config(explicit, "transformer_config")
        require(
            _matches(sig, cfg),
            "transformer_config",
            f"does not fit the weights (weights: {sig}, config: {_config_signature(cfg)}).",
        )
        return cfg
    if folder_config is not None and folder_config.is_file():
        cfg = json.loads(folder_config.read_text())
        if _matches(sig, cfg):
            return cfg
    for cfg in json.loads(SHIPPED.read_text())["transformers"].values():
        if _matches(sig, cfg):
            return cfg
    raise TTMInputError(
        "transformer_file",
        f"its shapes {sig} match no known Wan image-to-video model.",
        "pass the model's transformer config.json (transformer_config) or use a diffusers folder.",
    )


def load_transformer_file(path, dtype: torch.dtype, explicit_config: str | None = None, folder_config: Path | None = None):
    from diffusers import WanTransformer3DModel

    state = read_state_dict(path, "transformer_file")
    cfg = choose_transformer_config(state, explicit_config, folder_config)
    if _is_original_wan(state):
        from diffusers.loaders.single_file_utils import convert_wan_transformer_to_diffusers

        state = convert_wan_transformer_to_diffusers(state)
    init = {k: v for k, v in cfg.items() if not k.startswith("_")}
    model = WanTransformer3DModel(**init)
    _load_strict(model, state, "transformer_file", path)
    return model.to(dtype).eval()


def load_vae_file(path, dtype: torch.dtype, folder_config: Path | None = None):
    from diffusers import AutoencoderKLWan

    state = read_state_dict(path, "vae_file")
    z_dim = _vae_z_dim(state)
    cfg = None
    if folder_config is not None and folder_config.is_file():
        candidate = json.loads(folder_config.read_text())
        if int(candidate.get("z_dim", 16)) == z_dim:
            cfg = candidate
    if cfg is None:
        vaes = json.loads(SHIPPED.read_text())["vaes"]
        cfg = vaes["wan22_vae"] if z_dim == 48 else vaes["wan21_vae"]
    if not any(k.startswith("encoder.down_blocks") or k.startswith("decoder.up_blocks") for k in state):
        from diffusers.loaders.single_file_utils import convert_wan_vae_to_diffusers

        state = convert_wan_vae_to_diffusers(state)
    model = AutoencoderKLWan(**{k: v for k, v in cfg.items() if not k.startswith("_")})
    _load_strict(model, state, "vae_file", path)
    return model.to(dtype).eval()


def _vae_z_dim(state: dict) -> int:
    for key in ("quant_conv.weight", "conv1.weight"):
        if key in state:
            return int(state[key].shape[0]) // 2
    raise TTMInputError("vae_file", "this is not a Wan VAE checkpoint (no quant_conv/conv1 weights).")


def _load_strict(model, state: dict, input_name: str, path) -> None:
    missing, unexpected = model.load_state_dict(state, strict=False)
    ignorable = {k for k in unexpected if "norm_added_q" in k}
    unexpected = [k for k in unexpected if k not in ignorable]
    if missing or unexpected:
        raise TTMInputError(
            input_name,
            f"{Path(path).name} does not match the model config: {len(missing)} missing keys "
            f"(e.g. {missing[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]}).",
            "pick the file that belongs to the selected model folder.",
        )
