"""Warp first-frame masks by per-frame affines and composite them into one label video.

This is the shared back end of the ``plan`` and ``paths`` strategies. Each object's frame-0
mask crop is inverse-mapped with nearest sampling (masks stay crisp, labels stay integers) into
only the box it covers in the target frame, so the cost follows the objects' area rather than
``frames x objects x image``. Objects are painted from the lowest ``z`` to the highest, so one
label per pixel holds and the front object wins; equal ``z`` puts the higher label in front.
"""

from __future__ import annotations

import numpy as np
import torch

from ..callbacks import InterruptFn, ProgressFn, check_interrupt, report
from ..types import MaskTrajectory, ObjectSet
from .affine import apply_affine
from .measure import object_geometry


def paint_order(depth_row: np.ndarray) -> list[int]:
    """Object indices from back to front: by ``z``, ties by label (higher label in front)."""
    return sorted(range(len(depth_row)), key=lambda k: (float(depth_row[k]), k))


def _target_box(m: np.ndarray, box: tuple[int, int, int, int], width: int, height: int):
    """Pixel box (x0, y0, x1, y1) in the target frame covered by the warped source box."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0 - 0.5, y0 - 0.5], [x1 - 0.5, y0 - 0.5], [x0 - 0.5, y1 - 0.5], [x1 - 0.5, y1 - 0.5]])
    mapped = corners @ m[:, :2].T + m[:, 2]
    lo = np.floor(mapped.min(0)).astype(np.int64) - 1
    hi = np.ceil(mapped.max(0)).astype(np.int64) + 2
    tx0, ty0 = max(0, int(lo[0])), max(0, int(lo[1]))
    tx1, ty1 = min(width, int(hi[0])), min(height, int(hi[1]))
    if tx1 <= tx0 or ty1 <= ty0:
        return None
    return tx0, ty0, tx1, ty1


def warp_mask_into(
    frame: np.ndarray,
    crop: np.ndarray,
    box: tuple[int, int, int, int],
    affine: np.ndarray,
    label: int,
) -> None:
    """Paint ``label`` where the warped ``crop`` (frame-0 pixels ``box``) lands in ``frame``."""
    import cv2

    height, width = frame.shape
    lin = affine[:, :2]
    if abs(lin[0, 0] * lin[1, 1] - lin[0, 1] * lin[1, 0]) < 1e-12:
        return  # collapsed to a point: nothing left to draw
    x0, y0 = box[0], box[1]
    if np.abs(affine - np.array([[1.0, 0, 0], [0, 1.0, 0]])).max() < 1e-9:
        region = frame[y0 : box[3], x0 : box[2]]
        np.copyto(region, np.uint8(label), where=crop.astype(bool))
        return
    target = _target_box(affine, box, width, height)
    if target is None:
        return
    tx0, ty0, tx1, ty1 = target
    # crop coordinates: q_src = p - (x0, y0); q_dst = A p + b - (tx0, ty0)
    m = np.empty((2, 3), dtype=np.float64)
    m[:, :2] = lin
    m[:, 2] = lin @ np.array([x0, y0], dtype=np.float64) + affine[:, 2] - np.array([tx0, ty0], dtype=np.float64)
    warped = cv2.warpAffine(
        crop,
        m,
        (tx1 - tx0, ty1 - ty0),
        flags=cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    region = frame[ty0:ty1, tx0:tx1]
    np.copyto(region, np.uint8(label), where=warped.astype(bool))


def object_crops(objects: ObjectSet, boxes: list[tuple[int, int, int, int]]) -> list[np.ndarray]:
    labels = objects.labels.numpy()
    return [(labels[y0:y1, x0:x1] == k + 1).astype(np.uint8) for k, (x0, y0, x1, y1) in enumerate(boxes)]


def compose_affine_trajectory(
    objects: ObjectSet,
    affines: torch.Tensor,
    depth: torch.Tensor,
    *,
    fps: float = 16.0,
    scores: dict[str, float] | None = None,
    progress: ProgressFn | None = None,
    interrupt: InterruptFn | None = None,
) -> MaskTrajectory:
    """Build the label video for ``affines`` ``[T, K, 2, 3]`` (frame-0 px -> frame-t px) and ``depth``.

    Frame 0 is the input label map itself (callers pass identity maps there). Anchors are the
    transformed frame-0 centroids, NaN where the object has no pixel (left the frame or hidden).
    """
    num_frames, k = int(affines.shape[0]), objects.num_objects
    height, width = objects.height, objects.width
    aff = affines.to(torch.float64).numpy()
    dep = depth.to(torch.float64).numpy()
    centroids, boxes = object_geometry(objects.labels, k)
    crops = object_crops(objects, boxes)
    out = np.zeros((num_frames, height, width), dtype=np.uint8)
    out[0] = objects.labels.numpy().astype(np.uint8)
    report(progress, 1, num_frames)
    for t in range(1, num_frames):
        check_interrupt(interrupt)
        frame = out[t]
        for obj in paint_order(dep[t]):
            warp_mask_into(frame, crops[obj], boxes[obj], aff[t, obj], obj + 1)
        report(progress, t + 1, num_frames)
    labels = torch.from_numpy(out)
    anchors = apply_affine(affines, torch.from_numpy(centroids).unsqueeze(0)).to(torch.float32)
    traj = MaskTrajectory(
        labels,
        list(objects.names),
        fps,
        anchors=None,
        affines=affines.to(torch.float32),
        depth=depth.to(torch.float32),
        scores=dict(scores or {}),
    )
    anchors[~traj.visible] = float("nan")
    traj.anchors = anchors.contiguous()
    return traj
