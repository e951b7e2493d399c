"""Per-frame compositing of the reference video: paste, reveal the plate, build the hold maps.

Every operation touches only the bounding box of what it changes, so one frame costs about
the objects' size, not the frame's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .warp import Box


@dataclass
class Paste:
    """One object's pixels for one frame: where (``region`` and a mask inside it) and what."""

    index: int
    region: Box
    where: np.ndarray  # bool [h, w]
    colour: np.ndarray  # float32 [h, w, 3]


def disc(radius: int) -> np.ndarray | None:
    """Round structuring element of the given radius (None for 0: no dilation)."""
    import cv2

    if radius <= 0:
        return None
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def dilate(mask: np.ndarray, kernel: np.ndarray | None) -> np.ndarray:
    import cv2

    if kernel is None:
        return mask
    if mask.dtype == bool:
        return cv2.dilate(mask.view(np.uint8), kernel).view(bool)
    return cv2.dilate(mask, kernel)


def z_order(pastes: list[Paste], labels: np.ndarray, depth: np.ndarray | None) -> list[Paste]:
    """Back to front. ``depth`` (higher in front) decides when given; otherwise, where two
    objects' pixels overlap, the one the trajectory's label map shows there goes in front."""
    if depth is not None:
        return sorted(pastes, key=lambda p: (float(depth[p.index - 1]), p.index))
    score = {p.index: 0 for p in pastes}
    for i, a in enumerate(pastes):
        for b in pastes[i + 1 :]:
            x0, y0 = max(a.region[0], b.region[0]), max(a.region[1], b.region[1])
            x1, y1 = min(a.region[2], b.region[2]), min(a.region[3], b.region[3])
            if x1 <= x0 or y1 <= y0:
                continue
            both = _crop(a, x0, y0, x1, y1) & _crop(b, x0, y0, x1, y1)
            if not both.any():
                continue
            shown = labels[y0:y1, x0:x1][both]
            votes_a, votes_b = int((shown == a.index).sum()), int((shown == b.index).sum())
            if votes_a != votes_b:
                front, back = (a, b) if votes_a > votes_b else (b, a)
                score[front.index] += 1
                score[back.index] -= 1
    return sorted(pastes, key=lambda p: (score[p.index], p.index))


def _crop(paste: Paste, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    rx, ry = paste.region[0], paste.region[1]
    return paste.where[y0 - ry : y1 - ry, x0 - rx : x1 - rx]


def paste_into(frame: np.ndarray, shown: np.ndarray, paste: Paste) -> None:
    """Write ``paste`` into ``frame`` and record its object id in ``shown``."""
    x0, y0, x1, y1 = paste.region
    np.copyto(frame[y0:y1, x0:x1], paste.colour, where=paste.where[..., None])
    np.copyto(shown[y0:y1, x0:x1], np.uint8(paste.index), where=paste.where)


def reveal_plate(
    frame: np.ndarray,
    shown: np.ndarray,
    plate: np.ndarray,
    origin: np.ndarray,
    hole: np.ndarray,
    boxes: list[Box],
    kernel: np.ndarray | None,
) -> None:
    """Show the inpainted plate where an object's first-frame pixels are no longer covered.

    ``origin`` is the union of the first-frame object masks, ``hole`` its dilation (the pixels
    the plate replaced), ``boxes`` cover ``hole`` (one per object). Only the dilated *uncovered*
    part is revealed, so a still object keeps its exact first-frame surroundings and frame 0 of
    a still trajectory equals the image.
    """
    for x0, y0, x1, y1 in boxes:
        covered = shown[y0:y1, x0:x1] != 0
        left = origin[y0:y1, x0:x1] & ~covered
        if not left.any():
            continue
        reveal = dilate(left, kernel) & hole[y0:y1, x0:x1] & ~covered
        np.copyto(frame[y0:y1, x0:x1], plate[y0:y1, x0:x1], where=reveal[..., None])


def hold_maps(
    labels: np.ndarray,
    boxes: np.ndarray,
    strengths: dict[int, float],
    kernel: np.ndarray | None,
    margin: int,
    hold_out: np.ndarray,
    strength_out: np.ndarray | None,
    owner_out: np.ndarray | None = None,
) -> None:
    """Dilated union of the held objects' masks in one frame, and the per-object strength map
    (max over objects of strength times the dilated mask). ``strengths`` maps held labels to
    their strength; ``boxes`` are this frame's ``[K, 4]`` object boxes. ``owner_out`` gets, per
    held pixel, the object whose (strength-weighted) hold wins there, so per-object clocks can
    split the hold map without changing its sum."""
    height, width = labels.shape
    best = None if owner_out is None else np.zeros((height, width), np.float32)
    for k, value in strengths.items():
        x0, y0, x1, y1 = (int(v) for v in boxes[k - 1])
        if x0 < 0:
            continue
        x0, y0, x1, y1 = max(x0 - margin, 0), max(y0 - margin, 0), min(x1 + margin, width), min(y1 + margin, height)
        grown = dilate(labels[y0:y1, x0:x1] == k, kernel)
        hold_out[y0:y1, x0:x1] |= grown
        if best is not None:
            weight = np.float32(value if strength_out is not None else 1.0)
            wins = grown & (weight > best[y0:y1, x0:x1])
            owner_out[y0:y1, x0:x1][wins] = k
            best[y0:y1, x0:x1][wins] = weight
        if strength_out is not None and value > 0:
            view = strength_out[y0:y1, x0:x1]
            np.maximum(view, grown * np.float32(value), out=view)
