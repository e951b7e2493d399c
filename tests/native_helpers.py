"""Shared helpers for in-process tests against the current ComfyUI (native Wan).

- :func:`import_comfy` imports ``comfy`` from the current tree in CPU mode (through
  ``comfy_paths.import_current_comfy``). ComfyUI's top-level ``nodes.py`` / ``node_helpers.py``
  clash with our ``nodes/`` package and ``tests/node_helpers.py``; the native adapter never imports
  them, so tests only need ``comfy.*``.
- :func:`tiny_wan_checkpoint` writes a seeded random native Wan single file (T2V / I2V / TI2V)
  and :func:`load_native` loads it through ``comfy.sd.load_diffusion_model`` (what UNETLoader
  calls), so model detection, dtype handling and the ModelPatcher are ComfyUI's own.
- :func:`text_cond`, :func:`empty_latent`, :func:`sample` build CONDITIONING / LATENT directly
  and run core's KSampler path (``comfy.sample.sample``) on CPU fp32.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from comfy_paths import import_current_comfy

# variant -> (model_type, in_dim, out_dim); the I2V file carries the CLIP image branch (img_emb)
VARIANTS = {"t2v": ("t2v", 16, 16), "i2v": ("i2v", 36, 16), "ti2v": ("t2v", 48, 48)}
TEXT_DIM = 4096  # model detection keeps Wan's UMT5 width
CLIP_TOKENS = 257  # CLIP-H penultimate tokens of Wan 2.1 I2V


COMFY_MODULES = ("comfy.model_management", "comfy.sample", "comfy.sd", "comfy.lora", "comfy.utils", "comfy.ops",
                 "comfy.ldm.wan.model", "comfy.clip_vision", "comfy.context_windows", "comfy.supported_models",
                 "comfy.patcher_extension")


def import_comfy():
    """Import ``comfy`` from the current tree in CPU mode (``comfy_paths.import_current_comfy``).

    Skips only when no source for a current ComfyUI exists; fails when one exists but is not
    provisioned. ComfyUI's top-level ``nodes`` / ``folder_paths`` stay unimportable.
    """
    return import_current_comfy(*COMFY_MODULES)


def native_pack(pack):
    """The pack's ``nodes.native`` module (imported after comfy, whatever the registration said)."""
    import importlib

    import_comfy()
    return importlib.import_module(pack.__name__ + ".nodes.native")


# ---- tiny checkpoints ---------------------------------------------------------------------------
def _fill_(tensor: torch.Tensor, gen: torch.Generator, name: str) -> None:
    """Seeded init that keeps activations O(1): fan-in scaled weights, small biases/modulation."""
    if name.endswith("norm_q.weight") or name.endswith("norm_k.weight") or name.endswith("norm_k_img.weight") \
            or (".norm" in name and name.endswith(".weight") and tensor.ndim == 1):
        tensor.copy_(1.0 + 0.1 * torch.randn(tensor.shape, generator=gen))
    elif tensor.ndim >= 2 and "modulation" not in name and "emb_pos" not in name:
        fan_in = math.prod(tensor.shape[1:])
        tensor.copy_(torch.randn(tensor.shape, generator=gen) / math.sqrt(fan_in))
    else:
        tensor.copy_(0.1 * torch.randn(tensor.shape, generator=gen))


def tiny_wan_state(variant: str = "t2v", seed: int = 0, dim: int = 256, layers: int = 2, ffn: int = 256) -> dict:
    """A random native WanModel state dict in the original key layout (no prefix).

    ``dim`` must be a multiple of 128: detection sets ``num_heads = dim // 128`` (dim 256: two
    heads of 128). Every key is filled, since keys missing from a file stay uninitialised.
    """
    import_comfy()
    import comfy.ldm.wan.model as wan
    import comfy.ops

    model_type, in_dim, out_dim = VARIANTS[variant]
    model = wan.WanModel(model_type=model_type, in_dim=in_dim, out_dim=out_dim, dim=dim, ffn_dim=ffn,
                         num_heads=dim // 128, num_layers=layers, text_dim=TEXT_DIM, freq_dim=256,
                         operations=comfy.ops.disable_weight_init, device="cpu", dtype=torch.float32)
    gen = torch.Generator().manual_seed(seed)
    state = {}
    with torch.no_grad():
        for name, value in model.state_dict().items():
            value = torch.empty(value.shape, dtype=torch.float32)
            _fill_(value, gen, name)
            state[name] = value
    return state


def tiny_wan_checkpoint(folder, variant: str = "t2v", seed: int = 0, prefix: str = "", **dims) -> Path:
    """Write ``<folder>/tiny_wan_<variant>.safetensors`` as users' ``diffusion_models`` files are."""
    from safetensors.torch import save_file

    state = {prefix + k: v.contiguous() for k, v in tiny_wan_state(variant, seed, **dims).items()}
    path = Path(folder) / f"tiny_wan_{variant}_{seed}.safetensors"
    save_file(state, str(path))
    return path


def load_native(path):
    """ModelPatcher from a single file, exactly as UNETLoader (default weight dtype) loads it."""
    import_comfy()
    import comfy.sd

    return comfy.sd.load_diffusion_model(str(path), model_options={"dtype": torch.float32})


def tiny_lora(model_state: dict, path, keys=("blocks.0.self_attn.q", "blocks.0.cross_attn.k", "blocks.1.ffn.0"),
              rank: int = 4, seed: int = 1) -> Path:
    """A rank-``rank`` LoRA in the generic ``diffusion_model.<key>.lora_up/down`` format."""
    from safetensors.torch import save_file

    gen = torch.Generator().manual_seed(seed)
    out = {}
    for key in keys:
        w = model_state[key + ".weight"]
        out[f"diffusion_model.{key}.lora_up.weight"] = 0.3 * torch.randn(w.shape[0], rank, generator=gen)
        out[f"diffusion_model.{key}.lora_down.weight"] = torch.randn(rank, w.shape[1], generator=gen) / math.sqrt(w.shape[1])
    save_file(out, str(path))
    return Path(path)


def apply_lora(model, lora_path, strength: float = 1.0):
    """What LoraLoaderModelOnly does: ``comfy.sd.load_lora_for_models`` on a clone."""
    import comfy.sd
    import comfy.utils

    lora = comfy.utils.load_torch_file(str(lora_path), safe_load=True)
    patched, _ = comfy.sd.load_lora_for_models(model, None, lora, strength, 0)
    return patched


# ---- conditioning, latents, sampling ------------------------------------------------------------
def text_embeds(n_tokens: int = 5, seed: int = 0, length: int = 512) -> torch.Tensor:
    """UMT5-like output ``[1, max(length, n), 4096]``: ``n_tokens`` random rows, padding exactly 0."""
    gen = torch.Generator().manual_seed(seed)
    out = torch.zeros(1, max(length, n_tokens), TEXT_DIM)
    out[0, :n_tokens] = torch.randn(n_tokens, TEXT_DIM, generator=gen)
    return out


def text_cond(n_tokens: int = 5, seed: int = 0, length: int = 512, **extra) -> list:
    """A Wan ``CONDITIONING`` built directly: ``[[embeds, {...}]]``."""
    return [[text_embeds(n_tokens, seed, length), dict(extra)]]


def clip_vision_output(seed: int = 0):
    """Stands for CLIPVisionEncode's output: only ``penultimate_hidden_states`` is read by Wan."""
    import comfy.clip_vision

    out = comfy.clip_vision.Output()
    gen = torch.Generator().manual_seed(seed)
    out["penultimate_hidden_states"] = torch.randn(1, CLIP_TOKENS, 1280, generator=gen)
    return out


def i2v_cond(cond: list, frames: int, height: int, width: int, seed: int = 0) -> list:
    """Add what WanImageToVideo adds: ``concat_latent_image``, ``concat_mask``, ``clip_vision_output``."""
    gen = torch.Generator().manual_seed(seed + 100)
    image = torch.randn(1, 16, frames, height, width, generator=gen)
    mask = torch.ones(1, 1, frames, height, width)
    mask[:, :, 0] = 0.0
    return [[t, {**d, "concat_latent_image": image, "concat_mask": mask,
                 "clip_vision_output": clip_vision_output(seed)}] for t, d in cond]


def empty_latent(channels: int = 16, frames: int = 3, height: int = 8, width: int = 8, batch: int = 1) -> dict:
    """A LATENT as EmptyHunyuanLatentVideo / Wan22ImageToVideoLatent make (latent units)."""
    return {"samples": torch.zeros(batch, channels, frames, height, width)}


def sample(model, positive, negative, latent: dict, steps: int = 4, cfg: float = 5.0, sampler: str = "euler",
           scheduler: str = "simple", seed: int = 0, denoise: float = 1.0, start_step=None, last_step=None,
           add_noise: bool = True) -> torch.Tensor:
    """Core's KSampler path (what KSampler / KSamplerAdvanced run) on CPU; returns the samples."""
    import comfy.sample

    image = comfy.sample.fix_empty_latent_channels(model, latent["samples"])
    if add_noise:
        noise = comfy.sample.prepare_noise(image, seed, latent.get("batch_index"))
    else:
        noise = torch.zeros_like(image)
    return comfy.sample.sample(model, noise, steps, cfg, sampler, scheduler, positive, negative, image,
                               denoise=denoise, disable_noise=not add_noise, start_step=start_step,
                               last_step=last_step, force_full_denoise=last_step is None,
                               noise_mask=latent.get("noise_mask"), disable_pbar=True, seed=seed)


@pytest.fixture(scope="session")
def native_models(tmp_path_factory):
    """Session cache: variant -> (checkpoint path, ModelPatcher) for t2v, i2v, ti2v."""
    folder = tmp_path_factory.mktemp("native-wan")
    cache: dict = {}

    def get(variant: str = "t2v", seed: int = 0):
        key = (variant, seed)
        if key not in cache:
            path = tiny_wan_checkpoint(folder, variant, seed)
            cache[key] = (path, load_native(path))
        return cache[key]

    return get
