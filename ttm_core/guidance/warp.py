"""Cut an object out of the first frame and warp it into a region of another frame.

Only the object's bounding box is ever warped, so the cost follows the object size, not the
frame size. The cut-out patch is *extended*: pixels outside the object take the colour of the
nearest object pixel, and the warp replicates the patch border beyond it. Bilinear samples at
the object's edge then never mix in background colour, and a target mask that is a little
larger than the warped object (a trajectory from SAM2, an object entering the frame) is still
filled with the object's own colours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .similarity import MaskStats, apply_affine, mask_points

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (inclusive-exclusive)
_PAD = 2


@dataclass
class ObjectSource:
    """One object's first-frame pixels, ready to warp."""

    index: int  # 1-based label in the trajectory
    mask: np.ndarray  # bool [H, W], the object in the first frame
    box: Box  # the patch box in frame-0 pixels
    colour: np.ndarray  # float32 [h, w, 3], extended beyond the mask by nearest colours
    alpha: np.ndarray  # float32 [h, w], 1 on the object
    points: np.ndarray  # [N, 2] (x, y) subsample of the object's pixel centres
    stats: MaskStats


def bounding_box(mask: np.ndarray) -> Box | None:
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def object_boxes(labels: np.ndarray, count: int) -> np.ndarray:
    """``[T, K, 4]`` bounding boxes of labels 1..K per frame; ``-1`` rows where absent."""
    import cv2

    out = np.full((labels.shape[0], count, 4), -1, dtype=np.int64)
    for t in range(labels.shape[0]):
        frame = labels[t]
        for k in range(count):
            x, y, w, h = cv2.boundingRect((frame == k + 1).view(np.uint8))
            if w > 0:
                out[t, k] = (x, y, x + w, y + h)
    return out


def make_source(image: np.ndarray, mask: np.ndarray, index: int, stats: MaskStats) -> ObjectSource:
    import cv2

    height, width = mask.shape
    x0, y0, x1, y1 = bounding_box(mask)
    box = (max(x0 - _PAD, 0), max(y0 - _PAD, 0), min(x1 + _PAD, width), min(y1 + _PAD, height))
    bx0, by0, bx1, by1 = box
    inside = mask[by0:by1, bx0:bx1]
    patch = image[by0:by1, bx0:bx1]
    colour = patch.copy()
    outside = ~inside
    if outside.any():
        # every pixel gets the label of its nearest object pixel; labels count object pixels
        # in raster order, which is also np.nonzero's order
        _, nearest = cv2.distanceTransformWithLabels(
            outside.view(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
        )
        ys, xs = np.nonzero(inside)
        if np.array_equal(nearest[ys, xs], np.arange(1, len(ys) + 1)):
            pick = nearest[outside] - 1
            colour[outside] = patch[ys[pick], xs[pick]]
        else:  # pragma: no cover - defensive: an OpenCV that labels in another order
            colour[outside] = patch[inside].mean(axis=0)
    points = mask_points(mask[y0:y1, x0:x1], (x0, y0))
    points += np.asarray(stats.centroid) - points.mean(axis=0)  # the thinned grid keeps the true centroid
    return ObjectSource(
        index=index,
        mask=mask,
        box=box,
        colour=np.ascontiguousarray(colour),
        alpha=inside.astype(np.float32),
        points=points,
        stats=stats,
    )


def warped_box(source: ObjectSource, affine: np.ndarray, height: int, width: int) -> Box | None:
    """Where the warped patch lands, clipped to the frame (None when it misses the frame)."""
    x0, y0, x1, y1 = source.box
    corners = np.array([[x0 - 0.5, y0 - 0.5], [x1 - 0.5, y0 - 0.5], [x0 - 0.5, y1 - 0.5], [x1 - 0.5, y1 - 0.5]])
    mapped = apply_affine(affine, corners)
    lo = np.floor(mapped.min(axis=0)).astype(int)
    hi = np.ceil(mapped.max(axis=0)).astype(int) + 1
    box = (max(int(lo[0]), 0), max(int(lo[1]), 0), min(int(hi[0]), width), min(int(hi[1]), height))
    return box if box[2] > box[0] and box[3] > box[1] else None


def warp_into(
    source: ObjectSource, affine: np.ndarray, region: Box, coverage: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """Colour ``[h, w, 3]`` and coverage ``[h, w]`` (if asked) of the warped object over ``region``.

    ``affine`` maps frame-0 pixels to frame-t pixels (pixel-centre convention, as OpenCV's).
    """
    import cv2

    sx, sy = source.box[0], source.box[1]
    dx, dy = region[0], region[1]
    size = (region[2] - region[0], region[3] - region[1])
    local = affine.astype(np.float64).copy()
    local[:, 2] += affine[:, :2] @ np.array([sx, sy], dtype=np.float64) - np.array([dx, dy], dtype=np.float64)
    colour = cv2.warpAffine(source.colour, local, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    colour = colour.reshape(size[1], size[0], 3)
    if not coverage:
        return colour, None
    alpha = cv2.warpAffine(source.alpha, local, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return colour, alpha.reshape(size[1], size[0])
