"""Segmenters track the first-frame objects through generated frames.

A segmenter is ``segment(frames [T, H, W, 3], objects: ObjectSet) -> MaskTrajectory`` at the
frames' size (the ``propagate_fn`` of the track strategy). Users pass SAM2; tests and anyone
holding a colour-coded mask video use :func:`palette_segmenter`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from ..errors import TTMInputError, require
from ..types import MaskTrajectory, ObjectSet

Segmenter = Callable[[torch.Tensor, ObjectSet], MaskTrajectory]


def sam2_segmenter(handle: Any, *, fps: float = 16.0, interrupt=None, progress=None) -> Segmenter:
    """SAM2 video propagation (:func:`ttm_core.segment.propagate_video`) seeded with frame 0's objects."""
    from ..segment import Sam2Handle, propagate_video

    if not isinstance(handle, Sam2Handle):
        raise TTMInputError("sam2", f"expected a loaded SAM2 model (from load_sam2), got {type(handle).__name__}.",
                            "load one with ttm_core.segment.load_sam2 or connect TTM Load SAM2.")

    def segment(frames: torch.Tensor, objects: ObjectSet) -> MaskTrajectory:
        return propagate_video(handle, frames, objects, fps=fps, interrupt=interrupt, progress=progress)

    return segment


def palette_segmenter(tolerance: float = 0.1) -> Segmenter:
    """Read a colour-coded mask video back into labels (the oracle of the tests).

    Frames drawn with :func:`ttm_core.visualize.palette` (object ``k`` in colour ``k``, background
    black) decode exactly: each pixel takes the nearest palette colour; pixels farther than
    ``tolerance`` (RGB distance, 0..1 units) from every colour become background.
    """
    from ..visualize import palette

    def segment(frames: torch.Tensor, objects: ObjectSet) -> MaskTrajectory:
        pal = palette(objects.names).numpy()  # [K+1, 3]
        arr = frames.numpy()
        labels = np.zeros(arr.shape[:3], dtype=np.uint8)
        for t in range(arr.shape[0]):
            d = ((arr[t][:, :, None, :] - pal[None, None]) ** 2).sum(-1)
            best = d.argmin(-1)
            best[d.min(-1) > tolerance ** 2] = 0
            labels[t] = best
        return MaskTrajectory(torch.from_numpy(labels), list(objects.names))

    return segment


def resolve_segmenter(sam2: Any = None, segmenter: Segmenter | None = None, **options) -> Segmenter:
    if segmenter is not None:
        require(callable(segmenter), "segmenter", f"must be callable(frames, objects), got {type(segmenter).__name__}.")
        return segmenter
    if sam2 is None:
        raise TTMInputError("sam2", "evaluation needs SAM2 to find the objects in the generated frames, got none.",
                            "pass a loaded SAM2 (load_sam2 / TTM Load SAM2 / --sam2 CKPT), or segmenter=... .")
    return sam2_segmenter(sam2, **options)
