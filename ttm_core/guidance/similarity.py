"""How did an object move? Similarity transforms from mask moments.

Trajectories from the ``plan`` and ``paths`` strategies carry exact affines; trajectories from
``masks`` and ``track`` (SAM2 propagation) only say *where* each object is. For those we fit a
similarity transform per frame from the masks alone: centroid shift, square root of the area
ratio, and the change of the principal axis. Masks know nothing about the part of an object
that is hidden: when an object newly touches the image border or another object, a second
candidate borrows scale and rotation from the nearest frame without new contacts and shifts the
translation until the *visible* part of the warped object has the target's centroid; the
candidate that better explains the mask wins (an object in front of its neighbour keeps its
own estimate, one behind it or half out of the frame keeps its size).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# below this anisotropy (0 = disc or square, 1 = a line) the principal axis is noise
ISOTROPIC = 0.08
# an affine agrees with the masks when this fraction of the target lands on the source mask
AGREEMENT = 0.6
_MAX_POINTS = 1024  # enough for sub-pixel centroids, cheap enough for every frame


@dataclass(frozen=True)
class MaskStats:
    """Moments of one object mask in one frame (pixel-centre coordinates)."""

    area: float
    centroid: tuple[float, float]  # (x, y)
    angle: float  # principal axis, radians, in (-pi/2, pi/2]
    anisotropy: float
    contacts: frozenset  # image edges ("left", ...) and other labels the mask touches
    box: tuple[int, int, int, int]  # x0, y0, x1, y1


def mask_stats(labels: np.ndarray, index: int, box: tuple[int, int, int, int]) -> MaskStats:
    """Moments of ``labels == index`` inside its bounding ``box`` (x0, y0, x1, y1)."""
    import cv2

    x0, y0, x1, y1 = box
    height, width = labels.shape
    crop = labels[y0:y1, x0:x1] == index
    m = cv2.moments(crop.view(np.uint8), binaryImage=True)
    area = float(m["m00"])
    cx, cy = m["m10"] / area + x0, m["m01"] / area + y0
    mu20, mu02, mu11 = m["mu20"], m["mu02"], m["mu11"]
    spread = mu20 + mu02
    anisotropy = math.hypot(mu20 - mu02, 2.0 * mu11) / spread if spread > 0 else 0.0
    angle = 0.5 * math.atan2(2.0 * mu11, mu20 - mu02)
    contacts = {name for name, hit in (("left", x0 == 0), ("top", y0 == 0), ("right", x1 == width), ("bottom", y1 == height)) if hit}
    # labels of other objects in the one-pixel ring around the mask
    ring = labels[max(y0 - 1, 0) : y1 + 1, max(x0 - 1, 0) : x1 + 1]
    own = ring == index
    grown = own.copy()
    grown[1:] |= own[:-1]
    grown[:-1] |= own[1:]
    grown[:, 1:] |= own[:, :-1]
    grown[:, :-1] |= own[:, 1:]
    neighbours = np.unique(ring[grown & ~own])
    contacts |= {int(v) for v in neighbours if v != 0 and v != index}
    return MaskStats(area, (float(cx), float(cy)), angle, anisotropy, frozenset(contacts), (x0, y0, x1, y1))


def mask_points(crop: np.ndarray, origin: tuple[int, int], limit: int = _MAX_POINTS) -> np.ndarray:
    """Pixel centres of a mask crop whose top-left pixel is at ``origin`` (x, y), on a regular
    grid thinned to about ``limit`` points, as ``[N, 2]`` (x, y) float64 frame coordinates."""
    step = max(1, int(math.sqrt(crop.size / limit)))
    ys, xs = np.nonzero(crop[::step, ::step])
    return np.stack([xs * step + origin[0], ys * step + origin[1]], axis=1).astype(np.float64)


def similarity(src: tuple[float, float], dst: tuple[float, float], scale: float, rotation: float) -> np.ndarray:
    """2x3 map rotating/scaling about ``src`` and moving it to ``dst``."""
    c, s = math.cos(rotation) * scale, math.sin(rotation) * scale
    lin = np.array([[c, -s], [s, c]])
    shift = np.asarray(dst, dtype=np.float64) - lin @ np.asarray(src, dtype=np.float64)
    return np.concatenate([lin, shift[:, None]], axis=1)


def apply_affine(affine: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ affine[:, :2].T + affine[:, 2]


def invert_affine(affine: np.ndarray) -> np.ndarray | None:
    lin = affine[:, :2]
    if abs(float(np.linalg.det(lin))) < 1e-9:
        return None
    inv = np.linalg.inv(lin)
    return np.concatenate([inv, (-inv @ affine[:, 2])[:, None]], axis=1)


def affine_agrees(affine: np.ndarray, source_mask: np.ndarray, target_points: np.ndarray) -> bool:
    """Does ``affine`` carry the source mask onto the target? Occlusion and clipping only *remove*
    target pixels, so we ask how much of the target maps back onto the source mask."""
    return _containment(affine, source_mask, target_points) >= AGREEMENT


def _nearest_turn(delta: float, reference: float) -> float:
    """The rotation ``delta + n*pi`` closest to ``reference`` (axes have no direction)."""
    return delta - math.pi * round((delta - reference) / math.pi)


def moment_transforms(
    source: MaskStats,
    source_mask: np.ndarray,
    source_points: np.ndarray,
    targets: list[MaskStats | None],
    labels: np.ndarray,
    index: int,
) -> np.ndarray:
    """Per-frame 2x3 similarity transforms ``[T, 2, 3]`` (NaN where the object is absent).

    Rotation follows the principal axis, unwrapped frame to frame so a steadily turning object
    is not snapped back at 90 degrees (the first estimate takes the smaller rotation); a
    near-isotropic source (disc, square) has no axis and gets rotation 0.
    """
    count = len(targets)
    raw: list[tuple[float, float] | None] = [None] * count
    contact = [False] * count
    previous = 0.0
    for t, st in enumerate(targets):
        if st is None:
            continue
        scale = math.sqrt(st.area / source.area)
        if source.anisotropy < ISOTROPIC:
            rotation = 0.0
        elif st.anisotropy < ISOTROPIC:
            rotation = previous
        else:
            rotation = _nearest_turn(st.angle - source.angle, previous)
        contact[t] = bool(st.contacts - source.contacts)
        if not contact[t]:
            previous = rotation
        raw[t] = (scale, rotation)
    clear = [t for t in range(count) if raw[t] is not None and not contact[t]]
    out = np.full((count, 2, 3), np.nan)
    for t, st in enumerate(targets):
        if st is None:
            continue
        out[t] = similarity(source.centroid, st.centroid, *raw[t])
        if contact[t] and clear:
            nearest = min(clear, key=lambda c: (abs(c - t), c))
            borrowed = similarity(source.centroid, st.centroid, *raw[nearest])
            borrowed = _match_visible_centroid(borrowed, source_points, labels[t], index, st.centroid)
            target_points = mask_points(labels[t, st.box[1] : st.box[3], st.box[0] : st.box[2]] == index, st.box[:2])
            own = _explains(out[t], source_mask, source_points, target_points, labels[t], index)
            if _explains(borrowed, source_mask, source_points, target_points, labels[t], index) > own + 0.02:
                out[t] = borrowed
    return out


def _explains(
    affine: np.ndarray,
    source_mask: np.ndarray,
    source_points: np.ndarray,
    target_points: np.ndarray,
    labels: np.ndarray,
    index: int,
) -> float:
    """How well ``affine`` explains the target mask, 0..1: the warped object must not land on
    bare background (it may vanish under other objects or out of the frame), and every target
    pixel must come from the object (the smaller of the two fractions)."""
    height, width = labels.shape
    mapped = np.rint(apply_affine(affine, source_points)).astype(np.int64)
    inside = (mapped[:, 0] >= 0) & (mapped[:, 0] < width) & (mapped[:, 1] >= 0) & (mapped[:, 1] < height)
    under = labels[mapped[inside, 1], mapped[inside, 0]]
    forward = 1.0 - float((under == 0).sum()) / max(len(source_points), 1)
    return min(forward, _containment(affine, source_mask, target_points))


def _containment(affine: np.ndarray, source_mask: np.ndarray, target_points: np.ndarray) -> float:
    """Fraction of target points that ``affine`` maps back onto the source mask."""
    if len(target_points) == 0:
        return 1.0
    inv = invert_affine(affine)
    if inv is None or not np.isfinite(inv).all():
        return 0.0
    back = np.rint(apply_affine(inv, target_points)).astype(np.int64)
    height, width = source_mask.shape
    inside = (back[:, 0] >= 0) & (back[:, 0] < width) & (back[:, 1] >= 0) & (back[:, 1] < height)
    return float(source_mask[back[inside, 1], back[inside, 0]].sum()) / len(target_points)


def _match_visible_centroid(
    affine: np.ndarray, points: np.ndarray, labels: np.ndarray, index: int, target: tuple[float, float], iterations: int = 8
) -> np.ndarray:
    """Shift ``affine`` until the warped points that stay visible (inside the frame, not under
    another object) have the target mask's centroid: the mask only shows the visible part."""
    affine = affine.copy()
    height, width = labels.shape
    goal = np.asarray(target)
    for _ in range(iterations):
        mapped = apply_affine(affine, points)
        xi, yi = np.rint(mapped[:, 0]).astype(np.int64), np.rint(mapped[:, 1]).astype(np.int64)
        visible = (xi >= 0) & (xi < width) & (yi >= 0) & (yi < height)
        under = labels[yi[visible], xi[visible]]
        visible[visible] = (under == 0) | (under == index)
        seen = int(visible.sum())
        if seen == 0 or seen == len(points):
            break
        step = goal - mapped[visible].mean(axis=0)
        affine[:, 2] += step
        if float(np.hypot(*step)) < 0.05:
            break
    return affine
