"""Shared helpers of the nodes: input declarations, tensor layouts and error naming.

ComfyUI tensors: ``IMAGE`` is ``[B, H, W, C]`` float 0..1, ``MASK`` is ``[B, H, W]`` float 0..1.
The core takes one image ``[H, W, 3]`` and videos ``[T, H, W, 3]``.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch

from ..ttm_core.errors import TTMInputError

CATEGORY = "Through-The-Mask"

# socket types (design, section 2)
OBJECTS = "TTM_OBJECTS"
PROMPTS = "TTM_PROMPTS"
TRAJECTORY = "TTM_TRAJECTORY"
VIDEO_MODEL = "TTM_VIDEO_MODEL"
SAM2 = "TTM_SAM2"
LLM = "TTM_LLM"

DEVICES = ["auto", "cpu", "cuda"]


# ---- input declarations -------------------------------------------------------------------------
def socket(kind: str, tooltip: str, **extra) -> tuple:
    return (kind, {"tooltip": tooltip, **extra})


def combo(values: list[str], tooltip: str, default: str | None = None) -> tuple:
    opts = {"tooltip": tooltip}
    if default is not None:
        opts["default"] = default
    return (list(values), opts)


def integer(default: int, lo: int, hi: int, tooltip: str, step: int = 1, **extra) -> tuple:
    return ("INT", {"default": default, "min": lo, "max": hi, "step": step, "tooltip": tooltip, **extra})


def number(default: float, lo: float, hi: float, step: float, tooltip: str) -> tuple:
    return ("FLOAT", {"default": default, "min": lo, "max": hi, "step": step, "tooltip": tooltip})


def text(tooltip: str, default: str = "", multiline: bool = False) -> tuple:
    # dynamicPrompts off: the frontend would otherwise rewrite {a|b} in multiline text, which
    # breaks the JSON our text inputs hold
    return ("STRING", {"default": default, "multiline": multiline, "dynamicPrompts": False, "tooltip": tooltip})


def boolean(default: bool, tooltip: str) -> tuple:
    return ("BOOLEAN", {"default": default, "tooltip": tooltip})


# ---- tensors ------------------------------------------------------------------------------------
def first_image(image: torch.Tensor, input_name: str = "image") -> torch.Tensor:
    """``[H, W, 3]`` float from an IMAGE batch (first image; alpha dropped, grey expanded)."""
    if not isinstance(image, torch.Tensor):
        raise TTMInputError(input_name, f"expected an IMAGE tensor, got {type(image).__name__}.")
    if image.ndim == 3:
        image = image.unsqueeze(0)
    if image.ndim != 4 or image.shape[0] < 1:
        raise TTMInputError(input_name, f"expected an IMAGE batch [B, H, W, C], got shape {tuple(image.shape)}.")
    img = image[0].detach().float().cpu()
    channels = img.shape[-1]
    if channels == 1:
        img = img.expand(-1, -1, 3)
    elif channels == 4:
        img = img[..., :3]
    elif channels != 3:
        raise TTMInputError(input_name, f"expected 1, 3 or 4 channels, got {channels}.")
    return img.contiguous()


def to_image_batch(frames: torch.Tensor) -> torch.Tensor:
    """Core ``[H,W,3]`` / ``[T,H,W,3]`` (float 0..1 or uint8) to an IMAGE batch."""
    if frames.ndim == 3:
        frames = frames.unsqueeze(0)
    if frames.dtype == torch.uint8:
        frames = frames.float() / 255.0
    return frames.detach().float().cpu().clamp(0.0, 1.0).contiguous()


def as_mask_batch(mask: torch.Tensor, input_name: str) -> torch.Tensor:
    """``[B, H, W]`` float from a MASK (a single ``[H, W]`` mask becomes a batch of one)."""
    if not isinstance(mask, torch.Tensor):
        raise TTMInputError(input_name, f"expected a MASK tensor, got {type(mask).__name__}.")
    if mask.ndim == 2:
        mask = mask.unsqueeze(0)
    if mask.ndim == 4 and mask.shape[-1] == 1:
        mask = mask[..., 0]
    if mask.ndim != 3:
        raise TTMInputError(input_name, f"expected a MASK batch [B, H, W], got shape {tuple(mask.shape)}.")
    return mask.detach().float().cpu()


def split_names(value: str) -> list[str]:
    """Object names from a widget: comma- or newline-separated; blanks dropped."""
    parts = [p.strip() for chunk in str(value or "").splitlines() for p in chunk.split(",")]
    return [p for p in parts if p]


def object_example(names, values: tuple[float, ...]) -> str:
    """A valid ``name: number`` example for these objects (error fixes must be valid input)."""
    return ", ".join(f"{n}: {v:g}" for n, v in zip(list(names) or ["dog", "ball"], values))


def per_object_numbers(value: str, input_name: str, example: str = "dog: 1.5, ball: 0.8"):
    """``"1.2"`` -> 1.2 for every object; ``"dog: 1.5, ball: 0.5"`` -> a dict; empty -> None.

    ``example`` is the valid value the error message suggests (it must fit the input's range)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if ":" not in value:
            return float(value)
        out = {}
        for part in value.replace("\n", ",").split(","):
            if part.strip():
                name, number_text = part.rsplit(":", 1)
                out[name.strip()] = float(number_text)
        return out
    except ValueError as exc:
        raise TTMInputError(input_name, f"cannot read {value!r} as numbers.", f"write one number, or name: number pairs like {example}.") from exc


# ---- errors -------------------------------------------------------------------------------------
@contextlib.contextmanager
def node_inputs(names: dict[str, str] | None = None) -> Iterator[None]:
    """Re-raise core input errors under the node's input names.

    The core names its own arguments (``sam2_model``, ``source``...); a node may call them
    differently. The message keeps the core's problem and fix, so the UI says which widget or
    socket to change. ``names`` maps core names (or a prefix like ``source[0]``'s ``source``)
    to node input names.
    """
    try:
        yield
    except TTMInputError as exc:
        mapped = _map_name(exc.input_name, names or {})
        if mapped == exc.input_name:
            raise
        raise TTMInputError(mapped, exc.problem, exc.fix) from exc


def _map_name(name: str, names: dict[str, str]) -> str:
    if name in names:
        return names[name]
    for core, node in names.items():
        for sep in ("[", "."):
            if name.startswith(core + sep):
                return node + name[len(core):]
    return name
