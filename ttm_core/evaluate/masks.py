"""Mask following: does each object's mask in the generated video match its target mask?

Inputs are two label videos of the same size (one label per pixel, 0 = background): the target
trajectory and what a segmenter found in the generated frames (same object order). Everything is
read off two bincounts per frame (:func:`frame_tables`): the confusion table ``C[t, p, g]``
(pixels labelled ``p`` in the prediction and ``g`` in the target) and both videos' centroids.

Definitions (object ``k``, frame ``t``, scored frames ``t >= first``; ``first`` is 1 by default
because frame 0 is the input image and the tracker's seed, so it says nothing about generation):

- ``iou[t, k] = |P ∩ G| / |P ∪ G|`` only where the target shows the object (``|G| > 0``); NaN
  elsewhere. An object that is gone in the target is scored by visibility, never by comparing
  two empty masks.
- ``visible_pred[t, k] = |P| >= min_area``; visibility agreement = fraction of scored frames
  where ``visible_pred == (|G| > 0)``.
- ``centroid_error[t, k]`` = Euclidean distance (px) of the mask centroids where both are
  visible; NaN elsewhere.
- ``end_point_error[k]`` = centroid error at the last scored frame where the target shows the
  object (NaN when the prediction has lost it there: visibility says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import require
from ..types import MaskTrajectory


@dataclass
class MaskFollowing:
    """Per-frame, per-object arrays (``[T, K]``) and per-object end-point errors ``[K]``."""

    iou: np.ndarray
    target_visible: np.ndarray
    pred_visible: np.ndarray
    centroid_error: np.ndarray
    end_point_error: np.ndarray
    scored: np.ndarray  # [T] bool: frames that count


def frame_tables(pred: np.ndarray, target: np.ndarray, num_objects: int):
    """Confusion ``C [T, K+1, K+1]`` and both videos' areas and centroids, from two bincounts a frame.

    ``(pred * (K+1) + target)`` paired with the column (row) index counts, per frame, the pixels of
    every (predicted, target) label pair in every column (row): summed over columns that is the
    confusion table; over one side of the pair, each video's per-label column (row) histogram,
    whose first moment gives the centroids. Returns ``(C, areas_pred, areas_target, cent_pred,
    cent_target)`` with areas ``[T, K]`` and centroids ``[T, K, 2]`` (x, y; NaN when absent).
    """
    t_total, h, w = target.shape
    k1 = num_objects + 1
    xs, ys = np.arange(w, dtype=np.int32), np.arange(h, dtype=np.int32)
    conf = np.empty((t_total, k1, k1), dtype=np.int64)
    moments = np.zeros((2, t_total, k1, 3), dtype=np.float64)  # video, frame, label, (area, sx, sy)
    for t in range(t_total):
        pair = pred[t].astype(np.int32) * k1 + target[t]
        bx = np.bincount((pair * w + xs[None, :]).ravel(), minlength=k1 * k1 * w).reshape(k1, k1, w)
        by = np.bincount((pair * h + ys[:, None]).ravel(), minlength=k1 * k1 * h).reshape(k1, k1, h)
        conf[t] = bx.sum(-1)
        for v, axis in ((0, 1), (1, 0)):  # v=0: prediction (sum over target labels), v=1: target
            cols, rows = bx.sum(axis), by.sum(axis)  # [k1, W], [k1, H]
            moments[v, t, :, 0] = cols.sum(-1)
            moments[v, t, :, 1] = cols @ xs
            moments[v, t, :, 2] = rows @ ys
    area = moments[..., 1:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        cents = np.where(area[..., None] > 0, moments[..., 1:, 1:] / area[..., None], np.nan)
    return conf, area[0], area[1], cents[0], cents[1]


def mask_following(pred: MaskTrajectory, target: MaskTrajectory, *, include_first: bool = False,
                   min_area: int = 1) -> MaskFollowing:
    """Compare the segmented video ``pred`` with the ``target`` trajectory (see module doc)."""
    require(
        (pred.num_frames, pred.height, pred.width) == (target.num_frames, target.height, target.width),
        "segmenter",
        f"returned {pred.num_frames} frames at {pred.width}x{pred.height}, expected "
        f"{target.num_frames} at {target.width}x{target.height}.",
    )
    require(pred.num_objects == target.num_objects, "segmenter",
            f"returned {pred.num_objects} objects, expected {target.num_objects} ({target.names}).")
    k = target.num_objects
    c, area_p, area_g, cp, cg = frame_tables(pred.labels.numpy(), target.labels.numpy(), k)
    inter = np.stack([c[:, i, i] for i in range(1, k + 1)], -1).astype(np.float64)  # [T, K]
    union = area_p + area_g - inter
    t_total = target.num_frames
    scored = np.arange(t_total) >= (0 if include_first else 1)
    tv = area_g > 0
    pv = area_p >= max(int(min_area), 1)
    iou = np.where(tv & scored[:, None], inter / np.maximum(union, 1.0), np.nan)
    both = tv & pv & scored[:, None]
    dist = np.linalg.norm(cp - cg, axis=-1)
    cerr = np.where(both, dist, np.nan)
    epe = np.full(k, np.nan)
    for i in range(k):
        frames = np.nonzero(tv[:, i] & scored)[0]
        if frames.size and pv[frames[-1], i]:
            epe[i] = dist[frames[-1], i]
    return MaskFollowing(iou=iou, target_visible=tv, pred_visible=pv, centroid_error=cerr,
                         end_point_error=epe, scored=scored)


def nanmean(values: np.ndarray) -> float:
    """Mean of the finite values; NaN when there are none (no warning)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


