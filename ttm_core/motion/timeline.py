"""Frame counts and clip time, shared by every stage-1 strategy.

Stage 1 accepts any frame count >= 1 (1 gives the first frame alone). Wan itself needs 4k+1
frames (5, 9, ..., 81); that rule is checked where a trajectory meets the video model
(:func:`ttm_core.tokens.token_label_grid` and stage 2), not here, so a trajectory can be built
at any length and resampled later.
"""

from __future__ import annotations

import math

import torch

from ..errors import require


def check_num_frames(num_frames, input_name: str = "num_frames") -> int:
    ok = isinstance(num_frames, int) and not isinstance(num_frames, bool)
    ok = ok or (isinstance(num_frames, float) and float(num_frames).is_integer())
    require(ok, input_name, f"must be a whole number of frames, got {num_frames!r}.")
    n = int(num_frames)
    require(n >= 1, input_name, f"must be >= 1, got {n}.", "Wan clips use 4k+1 frames, e.g. 49 or 81.")
    require(n <= 10_000, input_name, f"{n} frames is more than stage 1 supports (10000).")
    return n


def frame_times(num_frames: int) -> torch.Tensor:
    """Clip time in 0..1 of each frame (frame 0 at 0, the last frame at 1), float64."""
    if num_frames == 1:
        return torch.zeros(1, dtype=torch.float64)
    return torch.linspace(0.0, 1.0, num_frames, dtype=torch.float64)


def ease(u: torch.Tensor, kind: str) -> torch.Tensor:
    """Easing of a segment's local time ``u`` in 0..1: linear, or smoothstep (3u^2 - 2u^3)."""
    if kind == "ease_in_out":
        return u * u * (3.0 - 2.0 * u)
    return u


def resample_time_nearest(length: int, num_frames: int) -> list[int]:
    """Indices into a sequence of ``length`` items for ``num_frames`` evenly spread frames."""
    if num_frames == 1 or length == 1:
        return [0] * num_frames
    return [min(length - 1, int(math.floor(i * (length - 1) / (num_frames - 1) + 0.5))) for i in range(num_frames)]
