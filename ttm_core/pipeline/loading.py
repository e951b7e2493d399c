"""Load a Wan image-to-video model the way users have it: a diffusers folder, optionally with
single-file transformer/VAE weights, in the dtype and memory mode they ask for."""

from __future__ import annotations

import gc
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..devices import parse_dtype, resolve_device
from ..errors import TTMInputError, require
from .variants import WanLayout, as_i2v_pipeline, wan_layout

log = logging.getLogger(__name__)

OFFLOAD_MODES = ("none", "model", "group", "sequential")


def _dtype_kw(library: str, dtype: torch.dtype) -> dict:
    """``dtype=`` on libraries that renamed it (diffusers 0.40, transformers 4.56), else ``torch_dtype=``."""
    from packaging.version import Version

    module = __import__(library)
    renamed = {"diffusers": "0.40.0", "transformers": "4.56.0"}[library]
    key = "dtype" if Version(module.__version__.split("+")[0]) >= Version(renamed) else "torch_dtype"
    return {key: dtype}


def resolve_dtype(dtype: str | torch.dtype, device: torch.device) -> torch.dtype:
    """``auto``: bf16 where the GPU supports it, else fp16 on GPU, fp32 on CPU."""
    if dtype == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    return parse_dtype(dtype)


@dataclass
class VideoModel:
    """A loaded stage-2 model plus how it was loaded (so nodes can reuse or reload it)."""

    pipe: Any
    layout: WanLayout
    dtype: torch.dtype
    device: torch.device
    offload: str = "none"
    source: str = ""
    options: dict = field(default_factory=dict)

    @property
    def variant(self) -> str:
        return self.layout.variant

    def unload(self) -> None:
        """Drop the weights so the memory can be reused (the object is unusable afterwards)."""
        pipe, self.pipe = self.pipe, None
        if pipe is not None:
            try:
                pipe.remove_all_hooks()
            except Exception:  # noqa: BLE001 - best effort; hooks may not exist
                pass
            for name in list(getattr(pipe, "components", {})):
                setattr(pipe, name, None) if hasattr(pipe, name) else None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def _check_folder(path: Path) -> dict:
    require(path.exists(), "model", f"folder not found: {path}.", "put the diffusers folder under models/diffusers.")
    index = path / "model_index.json"
    require(
        index.is_file(),
        "model",
        f"{path} is not a diffusers model folder (no model_index.json).",
        "download the '-Diffusers' version of the model (e.g. Wan-AI/Wan2.2-TI2V-5B-Diffusers) into models/diffusers.",
    )
    data = json.loads(index.read_text())
    for part in ("text_encoder", "tokenizer", "vae", "scheduler"):
        require(
            part in data and (path / part).is_dir(),
            "model",
            f"{path.name} lacks its '{part}' folder.",
            "re-download the complete diffusers folder.",
        )
    return data


def load_video_model(
    path: str | Path,
    *,
    dtype: str | torch.dtype = "auto",
    device: str | torch.device = "auto",
    offload: str = "none",
    vae_tiling: bool = False,
    transformer_file: str | Path | None = None,
    transformer_2_file: str | Path | None = None,
    vae_file: str | Path | None = None,
    transformer_config: str | Path | None = None,
) -> VideoModel:
    """Load a Wan I2V/TI2V model from a diffusers folder (offline, local files only).

    The VAE (and Wan 2.1's CLIP image encoder) stay in float32 as the Wan authors recommend;
    the transformer(s) and text encoder use ``dtype``. ``offload``: ``model`` moves whole
    components to the GPU in turn, ``group`` streams transformer blocks, ``sequential`` streams
    every layer (slowest, least memory).
    """
    from diffusers import WanImageToVideoPipeline

    path = Path(path)
    index = _check_folder(path)
    dev = resolve_device(device)
    dt = resolve_dtype(dtype, dev)
    require(offload in OFFLOAD_MODES, "offload", f"must be one of {OFFLOAD_MODES}, got {offload!r}.")
    if offload != "none" and dev.type == "cpu":
        log.info("offload=%s has no effect on CPU; loading without offload", offload)
        offload = "none"

    overrides: dict[str, Any] = {}
    from .single_file import load_transformer_file, load_vae_file

    if transformer_file:
        overrides["transformer"] = load_transformer_file(
            transformer_file, dt, transformer_config, path / "transformer" / "config.json"
        )
    if transformer_2_file:
        overrides["transformer_2"] = load_transformer_file(
            transformer_2_file, dt, transformer_config, path / "transformer_2" / "config.json"
        )
    if vae_file:
        overrides["vae"] = load_vae_file(vae_file, torch.float32, path / "vae" / "config.json")
    else:
        from diffusers import AutoencoderKLWan

        overrides["vae"] = AutoencoderKLWan.from_pretrained(
            path, subfolder="vae", local_files_only=True, **_dtype_kw("diffusers", torch.float32)
        )
    if "image_encoder" in index and (path / "image_encoder").is_dir():
        from transformers import CLIPVisionModel

        overrides["image_encoder"] = CLIPVisionModel.from_pretrained(
            path / "image_encoder", local_files_only=True, **_dtype_kw("transformers", torch.float32)
        )
    try:
        pipe = WanImageToVideoPipeline.from_pretrained(
            path, local_files_only=True, **_dtype_kw("diffusers", dt), **overrides
        )
    except (OSError, ValueError) as exc:
        raise TTMInputError("model", f"{path.name} could not be loaded ({exc}).", "re-download the folder.") from exc
    pipe = as_i2v_pipeline(pipe)
    pipe.set_progress_bar_config(disable=True)
    layout = wan_layout(pipe)
    _place(pipe, dev, offload)
    if vae_tiling:
        pipe.vae.enable_tiling()
    return VideoModel(
        pipe=pipe, layout=layout, dtype=dt, device=dev, offload=offload, source=str(path),
        options={"vae_tiling": vae_tiling, "transformer_file": str(transformer_file or ""),
                 "transformer_2_file": str(transformer_2_file or ""), "vae_file": str(vae_file or "")},
    )


def _place(pipe, device: torch.device, offload: str) -> None:
    if offload == "none":
        pipe.to(device)
    elif offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:  # group offload of the transformer blocks, the rest per component
        from diffusers.hooks import apply_group_offloading

        for name in ("transformer", "transformer_2", "text_encoder", "image_encoder", "vae"):
            module = getattr(pipe, name, None)
            if module is None:
                continue
            if hasattr(module, "enable_group_offload"):
                module.enable_group_offload(onload_device=device, offload_type="block_level", num_blocks_per_group=1)
            else:
                apply_group_offloading(module, onload_device=device, offload_type="block_level", num_blocks_per_group=1)
