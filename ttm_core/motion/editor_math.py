"""The motion editor's path math, defined once: spline through handles, timing, easing.

The browser preview of ``TTM Motion Editor`` mirrors every function here in
``web/ttm_motion_math.js`` (same operations, float64 in both), and a test compares the two,
so the mask the widget shows at a scrub time is where the server's trajectory puts it.

- A path is a **uniform Catmull-Rom spline** through its handles (end handles repeated), sampled
  with :data:`SAMPLES_PER_SEGMENT` points per segment into a polyline; the object moves along
  that polyline at **constant speed** (:func:`~ttm_core.motion.paths.arc_positions`).
- The path's first handle is the object's anchor: it is replaced by the object's frame-0
  centroid, so the centroid ends exactly on the last handle.
- Timing: clip time ``t`` in 0..1 (frame ``i`` of ``T`` at ``i / (T - 1)``); an object moves
  between its ``start`` and ``end`` times, holding still before and after; the local time is
  shaped by ``easing`` (:func:`~ttm_core.motion.timeline.ease`). Scale goes from 1 to
  ``end_scale`` and rotation (degrees, clockwise on screen) from 0 to ``rotation`` with the same
  eased progress.
"""

from __future__ import annotations

import numpy as np
import torch

from .paths import arc_positions
from .timeline import ease

SAMPLES_PER_SEGMENT = 16
EASINGS = ("linear", "ease_in_out")


def spline_polyline(handles: np.ndarray) -> np.ndarray:
    """``[M, 2]`` polyline of the Catmull-Rom spline through ``handles`` ``[N, 2]``."""
    h = np.asarray(handles, dtype=np.float64)
    if len(h) < 2:
        return h.copy()
    pad = np.concatenate([h[:1], h, h[-1:]], 0)
    s = np.arange(SAMPLES_PER_SEGMENT, dtype=np.float64)[:, None] / SAMPLES_PER_SEGMENT
    out = []
    for i in range(len(h) - 1):
        p0, p1, p2, p3 = pad[i], pad[i + 1], pad[i + 2], pad[i + 3]
        a = 2.0 * p1
        b = p2 - p0
        c = 2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3
        d = 3.0 * p1 - p0 - 3.0 * p2 + p3
        out.append(0.5 * (a + s * (b + s * (c + s * d))))
    out.append(h[-1:])
    return np.concatenate(out, 0)


def progress(times: np.ndarray, start: float, end: float, easing: str) -> np.ndarray:
    """Eased progress 0..1 of an object moving between clip times ``start`` and ``end``."""
    u = np.clip((np.asarray(times, dtype=np.float64) - start) / (end - start), 0.0, 1.0)
    return ease(torch.from_numpy(u), easing).numpy()


def object_motion(
    handles: np.ndarray | None,
    centroid: np.ndarray,
    times: np.ndarray,
    *,
    start: float = 0.0,
    end: float = 1.0,
    easing: str = "linear",
    end_scale: float = 1.0,
    rotation: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(shift [T, 2] px, scale [T], rot [T] degrees)`` of one object at clip ``times``."""
    u = progress(times, start, end, easing)
    if handles is None or len(handles) < 2:
        shift = np.zeros((len(u), 2))
    else:
        pts = np.concatenate([np.asarray(centroid, dtype=np.float64)[None], np.asarray(handles, dtype=np.float64)[1:]])
        shift = arc_positions(spline_polyline(pts), u) - pts[0]
    return shift, 1.0 + (float(end_scale) - 1.0) * u, float(rotation) * u
