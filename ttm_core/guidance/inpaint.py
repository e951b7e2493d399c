"""The background plate: the first frame with the moving objects removed.

When an object moves, the place it left must show *something*. The fill is a crude guess (the
sampler does not hold it; see :mod:`.reference`), so speed matters more than quality: we
inpaint only the holes' bounding box, on a downscaled copy when that box is large, and write
the fill back only inside the holes, so every other pixel stays bit-exact.
"""

from __future__ import annotations

import math

import numpy as np

from .warp import bounding_box

METHODS = ("telea", "ns", "blur", "none")
_RADIUS = 3  # OpenCV inpainting neighbourhood, pixels
_MAX_PIXELS = 512 * 512  # inpaint larger crops at reduced resolution


def fill_holes(image: np.ndarray, hole: np.ndarray, method: str = "telea") -> np.ndarray:
    """``image`` with the pixels under ``hole`` replaced by a fill from their surroundings.

    ``telea``/``ns`` are OpenCV's inpainting methods, ``blur`` a push-pull fill (smooth colours
    from the hole's rim, the cheapest), ``none`` leaves the first-frame pixels (the moved object
    stays behind as a ghost for the sampler to paint over).
    """
    plate = image.copy()
    box = bounding_box(hole)
    if method == "none" or box is None:
        return plate
    height, width = hole.shape
    x0, y0, x1, y1 = box
    pad = 4 * _RADIUS + 8 if method != "blur" else max(16, (max(x1 - x0, y1 - y0) + 3) // 4)
    x0, y0, x1, y1 = max(x0 - pad, 0), max(y0 - pad, 0), min(x1 + pad, width), min(y1 + pad, height)
    crop, holes = image[y0:y1, x0:x1], hole[y0:y1, x0:x1]
    if holes.all():  # nothing to fill from: a flat mid-grey says "unknown"
        filled = np.full_like(crop, 0.5)
    elif method == "blur":
        filled = push_pull(crop, ~holes)
    else:
        filled = _opencv_inpaint(crop, holes, method)
    plate[y0:y1, x0:x1][holes] = filled[holes]
    return plate


def _opencv_inpaint(crop: np.ndarray, holes: np.ndarray, method: str) -> np.ndarray:
    import cv2

    flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    height, width = holes.shape
    scale = min(1.0, math.sqrt(_MAX_PIXELS / float(height * width)))
    small, mask = crop, holes.view(np.uint8)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        # a small pixel touching any hole pixel is a hole: object colours never leak into the fill
        mask = (cv2.resize(holes.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0).view(np.uint8)
    u8 = np.clip(np.rint(small * 255.0), 0, 255).astype(np.uint8)
    out = cv2.inpaint(u8, mask, _RADIUS, flag).astype(np.float32) / np.float32(255.0)
    if scale < 1.0:
        out = cv2.resize(out, (width, height), interpolation=cv2.INTER_LINEAR)
    return out


def push_pull(image: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Fill unknown pixels from a pyramid of known-pixel averages (normalised convolution).

    Known pixels come back unchanged; each unknown pixel blends the average of the known pixels
    in its cell with the next coarser level, so holes get the colours of their surroundings.
    """
    import cv2

    weight = known.astype(np.float32)
    level = (image * weight[..., None], weight)
    levels = [level]
    while (level[1] <= 0).any() and min(level[1].shape) > 1:
        h, w = level[1].shape
        size = ((w + 1) // 2, (h + 1) // 2)
        level = (
            cv2.resize(level[0], size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1),
            cv2.resize(level[1], size, interpolation=cv2.INTER_AREA),
        )
        levels.append(level)
    total, weight = levels[-1]
    estimate = total / np.maximum(weight, 1e-6)[..., None]
    if (weight <= 0).any():
        estimate[weight <= 0] = image[known].mean(axis=0)
    for total, weight in reversed(levels[:-1]):
        h, w = weight.shape
        up = cv2.resize(estimate, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)
        weight = np.clip(weight, 0.0, 1.0)[..., None]
        estimate = total + (1.0 - weight) * up
    out = estimate.astype(np.float32)
    out[known] = image[known]
    return out
