"""Optical-flow numbers without weights: Average Displacement and background stability.

Flow ``F_t`` from frame ``t`` to ``t + 1`` is OpenCV's DIS (``dis``, preset FAST) or Farneback
(``farneback``) on the frames' 8-bit grey values. Frames whose long side exceeds ``max_side``
(448 px) are area-downscaled for the flow (4x fewer pixels at 832x480; these frame means do not
need more) and the magnitudes are scaled back, so every number is in video pixels per frame.

- **Average Displacement** (AD, px/frame) ``= 1/(T-1) · Σ_t mean_p ‖F_t(p)‖₂`` over every pixel
  ``p`` of the frame: how much the video moves at all (a still video scores ~0).
- **Background stability** (px/frame) ``= 1/(T-1) · Σ_t mean_{p ∈ B_t} ‖F_t(p)‖₂`` where ``B_t``
  holds the pixels that are background in the target at both ``t`` and ``t + 1`` and lie farther
  than ``margin`` px from every object (flow estimators smear motion a few pixels across
  boundaries). 0 means the background stood still where the trajectory says it should; pairs
  with an empty ``B_t`` are skipped.

Only one pair of frames and one magnitude map are alive at a time.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import require

FLOW_METHODS = ("dis", "farneback")


def _grey(frame: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def flow_fn(method: str = "dis") -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``flow(a, b)`` for two uint8 grey frames -> ``[H, W, 2]`` float32 (dx, dy) in pixels."""
    import cv2

    require(method in FLOW_METHODS, "flow", f"must be one of {FLOW_METHODS}, got {method!r}.")
    if method == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        return lambda a, b: dis.calc(a, b, None)
    return lambda a, b: cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 4, 15, 3, 5, 1.2, 0)


def background_masks(labels: np.ndarray, margin: int) -> Callable[[int], np.ndarray]:
    """``bg(t)``: pixels that are background at ``t`` and ``t + 1``, ``margin`` px away from objects."""
    import cv2

    kernel = None if margin <= 0 else cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1))

    def bg(t: int) -> np.ndarray:
        objects = ((labels[t] > 0) | (labels[t + 1] > 0)).astype(np.uint8)
        if kernel is not None:
            objects = cv2.dilate(objects, kernel)
        return objects == 0

    return bg


def flow_numbers(frames: np.ndarray, labels: np.ndarray | None, *, method: str = "dis",
                 margin: int = 8, max_side: int = 448, check: Callable[[], None] | None = None) -> dict[str, object]:
    """AD and background stability of uint8 frames ``[T, H, W, 3]`` (target ``labels [T, H, W]``).

    Returns ``average_displacement``, ``background_stability`` (NaN without labels or background)
    and their per-pair series ``displacement`` / ``background_motion`` (length ``T - 1``).
    """
    import cv2

    flow = flow_fn(method)
    t_total, h, w = int(frames.shape[0]), int(frames.shape[1]), int(frames.shape[2])
    scale = min(1.0, float(max_side) / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    grey = (lambda f: _grey(f)) if scale == 1.0 else (lambda f: cv2.resize(_grey(f), size, interpolation=cv2.INTER_AREA))
    if labels is not None and scale < 1.0:
        labels = np.stack([cv2.resize(l, size, interpolation=cv2.INTER_NEAREST) for l in labels])
    bg = None if labels is None else background_masks(labels, int(round(margin * scale)))
    disp, back = [], []
    prev = grey(frames[0]) if t_total else None
    for t in range(t_total - 1):
        if check is not None:
            check()
        cur = grey(frames[t + 1])
        f = flow(prev, cur)
        mag = np.sqrt(f[..., 0] * f[..., 0] + f[..., 1] * f[..., 1]) / scale
        disp.append(float(mag.mean()))
        if bg is not None:
            m = bg(t)
            back.append(float(mag[m].mean()) if m.any() else float("nan"))
        prev = cur
    finite = [b for b in back if np.isfinite(b)]
    return {
        "average_displacement": float(np.mean(disp)) if disp else float("nan"),
        "background_stability": float(np.mean(finite)) if finite else float("nan"),
        "displacement": disp,
        "background_motion": back,
    }
