"""Coercion of the user-facing inputs of the reference video into plain numpy arrays.

The warping and inpainting run in OpenCV on numpy, so images arrive here in any of the forms
the pack meets (ComfyUI ``IMAGE`` tensors, numpy arrays, PIL images) and leave as one float32
``[H, W, 3]`` array, or as a :class:`~ttm_core.errors.TTMInputError` that names the input.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import torch

from ..errors import TTMInputError, require

# float images may overshoot 0..1 by rounding in upstream nodes; far outside it is a unit mix-up
_RANGE_SLACK = 0.01


def as_image(value: Any, input_name: str = "image") -> np.ndarray:
    """Float32 ``[H, W, 3]`` in 0..1 from a tensor/array (float 0..1 or uint8) or a PIL image.

    A leading batch axis of one (ComfyUI ``IMAGE`` ``[1, H, W, 3]``) is dropped; RGBA loses its
    alpha, single-channel images are refused (the reference needs colour to warp).
    """
    if _is_pil(value):
        value = np.asarray(value.convert("RGB"))
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if value.dtype == torch.bfloat16:
            value = value.float()
        value = value.numpy()
    if not isinstance(value, np.ndarray):
        raise TTMInputError(
            input_name,
            f"expected an image tensor [H, W, 3], a numpy array or a PIL image, got {type(value).__name__}.",
        )
    arr = value
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    require(
        arr.ndim == 3 and arr.shape[-1] in (3, 4),
        input_name,
        f"expected shape [H, W, 3] (RGB, channels last), got {tuple(value.shape)}.",
        "pass one RGB frame; for a ComfyUI IMAGE batch pick the first frame.",
    )
    require(arr.shape[0] > 0 and arr.shape[1] > 0, input_name, f"is empty, shape {tuple(arr.shape)}.")
    arr = arr[..., :3]
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / np.float32(255.0)
    require(
        np.issubdtype(arr.dtype, np.floating),
        input_name,
        f"has dtype {arr.dtype}; expected float values in 0..1 or uint8 in 0..255.",
        "convert the image to float in 0..1 (or uint8).",
    )
    arr = arr.astype(np.float32, copy=False)
    require(bool(np.isfinite(arr).all()), input_name, "contains NaN or infinite values.")
    lo, hi = float(arr.min()), float(arr.max())
    require(
        lo >= -_RANGE_SLACK and hi <= 1.0 + _RANGE_SLACK,
        input_name,
        f"values must lie in 0..1, found {lo:.4g}..{hi:.4g}.",
        "divide 0..255 images by 255 (or pass uint8).",
    )
    if lo < 0.0 or hi > 1.0:
        arr = np.clip(arr, 0.0, 1.0)
    return np.ascontiguousarray(arr)


def check_choice(value: Any, choices: tuple[str, ...], input_name: str) -> str:
    require(
        isinstance(value, str) and value in choices,
        input_name,
        f"must be one of {list(choices)}, got {value!r}.",
    )
    return value


def check_margin(value: Any, input_name: str) -> int:
    require(
        isinstance(value, (int, np.integer)) and not isinstance(value, bool) and int(value) >= 0,
        input_name,
        f"must be a whole number of pixels >= 0, got {value!r}.",
    )
    return int(value)


def check_strengths(value: Mapping[str, Any] | None, names: list[str], input_name: str = "hold_strength") -> list[float]:
    """Per-object hold strengths in 0..1 by name; objects not named hold fully (1.0)."""
    if value is None:
        return [1.0] * len(names)
    require(isinstance(value, Mapping), input_name, f"must map object names to 0..1, got {type(value).__name__}.")
    unknown = [k for k in value if k not in names]
    require(not unknown, input_name, f"names {unknown} are not objects of the trajectory; objects are {names}.")
    out = []
    for name in names:
        s = value.get(name, 1.0)
        ok = isinstance(s, (int, float, np.number)) and not isinstance(s, bool) and math.isfinite(float(s))
        require(ok and 0.0 <= float(s) <= 1.0, f"{input_name}[{name!r}]", f"must be a number in 0..1, got {s!r}.")
        out.append(float(s))
    return out


def _is_pil(value: Any) -> bool:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - pillow is a dependency
        return False
    return isinstance(value, Image.Image)
