"""Images and frame batches in every form the pack meets, coerced once with the same rules.

ComfyUI ``IMAGE`` tensors (``[B, H, W, C]`` float 0..1), numpy arrays, uint8 data and PIL images
all arrive here. Out come float32 tensors in 0..1, or a :class:`TTMInputError` naming the input:
NaN, a batch where one frame is expected, or 0..255 floats (a unit mix-up) are refused rather
than silently clamped into garbage.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .errors import TTMInputError, require

# float images may overshoot 0..1 by rounding in upstream nodes; far outside it is a unit mix-up
RANGE_SLACK = 0.01


def _is_pil(value: Any) -> bool:
    return hasattr(value, "convert") and hasattr(value, "size") and hasattr(value, "mode")


def _to_tensor(value: Any, input_name: str, what: str) -> torch.Tensor:
    if _is_pil(value):
        value = np.array(value.convert("RGB"))  # a writable copy
    if isinstance(value, np.ndarray):
        if value.dtype == np.bool_ or not (np.issubdtype(value.dtype, np.number)):
            raise TTMInputError(input_name, f"has dtype {value.dtype}; expected float 0..1 or uint8 0..255.")
        value = torch.from_numpy(np.ascontiguousarray(value))
    if not isinstance(value, torch.Tensor):
        raise TTMInputError(input_name, f"expected {what} (tensor, numpy array or PIL image), got {type(value).__name__}.")
    return value.detach().cpu()


def _normalise(t: torch.Tensor, input_name: str) -> torch.Tensor:
    """Channels-last tensor -> float32 RGB in 0..1 (uint8 scaled, grey repeated, alpha dropped)."""
    require(t.shape[-1] in (1, 3, 4), input_name, f"expected 1, 3 or 4 channels last, got shape {tuple(t.shape)}.")
    require(all(s > 0 for s in t.shape), input_name, f"is empty, shape {tuple(t.shape)}.")
    if t.dtype == torch.uint8:
        t = t.float() / 255.0
    elif t.is_floating_point():
        t = t.float()
        require(bool(torch.isfinite(t).all()), input_name, "contains NaN or infinite values.", "check the node that made it.")
        lo, hi = float(t.min()), float(t.max())
        require(
            lo >= -RANGE_SLACK and hi <= 1.0 + RANGE_SLACK,
            input_name,
            f"values must lie in 0..1, found {lo:.4g}..{hi:.4g}.",
            "divide 0..255 images by 255 (or pass uint8).",
        )
    else:
        dtype = str(t.dtype).replace("torch.", "")
        raise TTMInputError(input_name, f"has dtype {dtype}; expected float 0..1 or uint8 0..255.")
    if t.shape[-1] == 1:
        t = t.expand(*t.shape[:-1], 3)
    return t[..., :3].clamp(0, 1).contiguous()


def as_image(value: Any, input_name: str = "image") -> torch.Tensor:
    """One frame as float32 ``[H, W, 3]`` in 0..1 (a ComfyUI batch of one is unwrapped)."""
    t = _to_tensor(value, input_name, "one image [H, W, 3]")
    if t.ndim == 4:
        require(
            t.shape[0] == 1,
            input_name,
            f"holds a batch of {t.shape[0]} images where one is expected.",
            "pick one frame (e.g. ImageFromBatch) first.",
        )
        t = t[0]
    if t.ndim == 2:
        t = t.unsqueeze(-1)
    require(t.ndim == 3, input_name, f"expected shape [H, W, 3] (channels last), got {tuple(t.shape)}.")
    return _normalise(t, input_name)


def as_image_array(value: Any, input_name: str = "image") -> np.ndarray:
    """:func:`as_image` as a float32 numpy array (for OpenCV and SAM2)."""
    return as_image(value, input_name).numpy()


def as_video(value: Any, input_name: str = "frames", *, single_image: bool = True) -> torch.Tensor:
    """Frames as float32 ``[T, H, W, 3]`` in 0..1; a single image becomes one frame if allowed."""
    t = _to_tensor(value, input_name, "frames [T, H, W, 3]")
    if t.ndim == 3 and single_image:
        t = t.unsqueeze(0)
    require(t.ndim == 4, input_name, f"expected [T, H, W, 3] or [H, W, 3], got shape {tuple(t.shape)}.")
    return _normalise(t, input_name)


def to_pil(image: Any):
    """8-bit RGB PIL image (what diffusers' image preprocessing and CLIP expect)."""
    from PIL import Image

    arr = (as_image(image).numpy() * 255.0).round().astype(np.uint8)
    return Image.fromarray(arr, mode="RGB")


def resize_image(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """``[H, W, 3]`` float 0..1 resized (bilinear, antialiased) to ``height`` x ``width``."""
    if image.shape[:2] == (height, width):
        return image
    x = image.permute(2, 0, 1).unsqueeze(0)
    x = torch.nn.functional.interpolate(x, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
    return x[0].permute(1, 2, 0).clamp(0, 1)
