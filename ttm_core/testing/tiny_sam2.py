"""Random-initialised SAM2 models built offline from the packaged configs.

The architecture is the real one (same weight names and shapes as the released checkpoints, so
loading code is exercised for real); only the input size is reduced so CPU runs take seconds.
The files written by :func:`save_tiny_sam2` look like what users keep in ``models/sam2``: a
``.pt`` with a ``model`` key, or a flat ``.safetensors`` state dict (optionally fp16, like
kijai's ``-fp16.safetensors`` files).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

TINY_IMAGE_SIZE = 256


def build_tiny_sam2(config: str = "sam2.1_hiera_t", image_size: int = TINY_IMAGE_SIZE, seed: int = 0, device="cpu"):
    """A ready :class:`~ttm_core.segment.Sam2Handle` with random weights (deterministic per seed)."""
    from ..segment.configs import normalize_config
    from ..segment.loader import Sam2Handle, build_sam2_model, resolve_device

    name = normalize_config(config)
    torch.manual_seed(seed)
    model = build_sam2_model(name, image_size).eval()
    target = resolve_device(device)
    return Sam2Handle(model=model.to(target), config_name=name, device=target, dtype=torch.float32)


def tiny_sam2_filename(config: str = "sam2.1_hiera_t", fmt: str = "pt", half: bool = False) -> str:
    """``sam2.1_hiera_t`` -> ``sam2.1_hiera_tiny.pt`` (the released naming, tagged ``tiny``)."""
    from ..segment.configs import normalize_config

    name = normalize_config(config)
    version, letter = name.split("_hiera_")
    size = {"t": "tiny", "s": "small", "b+": "base_plus", "l": "large"}[letter]
    suffix = "-fp16.safetensors" if fmt == "safetensors" and half else f".{fmt}"
    return f"{version}_hiera_{size}{suffix}"


def save_tiny_sam2(
    path: str | os.PathLike,
    fmt: str = "pt",
    config: str = "sam2.1_hiera_t",
    image_size: int = TINY_IMAGE_SIZE,
    seed: int = 0,
    half: bool = False,
    handle=None,
) -> Path:
    """Write a checkpoint file; ``path`` is a file, or a folder that gets the released file name.

    ``half`` stores fp16 weights (safetensors only). Pass ``handle`` to save an existing model.
    """
    if fmt not in ("pt", "safetensors"):
        raise ValueError(f"fmt must be 'pt' or 'safetensors', got {fmt!r}")
    if half and fmt != "safetensors":
        raise ValueError("half precision files are only written as .safetensors")
    handle = handle or build_tiny_sam2(config, image_size=image_size, seed=seed)
    target = Path(path)
    if target.is_dir() or not target.suffix:
        target = target / tiny_sam2_filename(handle.config_name, fmt, half)
    target.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in handle.model.state_dict().items()}
    if fmt == "safetensors":
        from safetensors.torch import save_file

        if half:
            state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
        save_file(state, str(target))
    else:
        torch.save({"model": state}, str(target))
    return target
