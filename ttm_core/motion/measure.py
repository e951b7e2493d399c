"""Cheap per-frame measurements of label videos (centroids, areas) without one-hot videos."""

from __future__ import annotations

import numpy as np
import torch


def label_stats(labels: torch.Tensor, num_objects: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(areas [T, K], centroids [T, K, 2])`` of a ``[T, H, W]`` label video; NaN centroids when absent.

    One pass per label over row/column sums, so memory stays at one bool frame stack.
    """
    t, h, w = labels.shape
    xs = torch.arange(w, dtype=torch.float64)
    ys = torch.arange(h, dtype=torch.float64)
    areas = torch.zeros(t, num_objects, dtype=torch.float64)
    cents = torch.full((t, num_objects, 2), float("nan"), dtype=torch.float64)
    for k in range(num_objects):
        m = labels == (k + 1)
        cols = m.sum(1, dtype=torch.float64)  # [T, W]
        rows = m.sum(2, dtype=torch.float64)  # [T, H]
        area = cols.sum(1)
        ok = area > 0
        areas[:, k] = area
        cx = (cols * xs).sum(1) / area.clamp_min(1)
        cy = (rows * ys).sum(1) / area.clamp_min(1)
        cents[ok, k] = torch.stack([cx, cy], -1)[ok]
    return areas, cents


def mask_iou(a: torch.Tensor, b: torch.Tensor) -> float:
    """IoU of two bool masks; two empty masks agree perfectly."""
    union = int((a | b).sum())
    return 1.0 if union == 0 else int((a & b).sum()) / union


def object_geometry(labels: torch.Tensor, num_objects: int) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Centroids ``[K, 2]`` (x, y; float64, pixel centres) and boxes ``(x0, y0, x1, y1)`` of a label map.

    One pass over the object pixels (same values as ``ObjectSet.centroids``/``bboxes``, faster).
    """
    lab = labels.numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    ys, xs = np.nonzero(lab)
    ids = lab[ys, xs].astype(np.int64)
    count = np.bincount(ids, minlength=num_objects + 1)[: num_objects + 1].astype(np.float64)
    area = np.maximum(count, 1.0)
    cx = np.bincount(ids, weights=xs, minlength=num_objects + 1)[: num_objects + 1] / area
    cy = np.bincount(ids, weights=ys, minlength=num_objects + 1)[: num_objects + 1] / area
    lo_x = np.full(num_objects + 1, lab.shape[1], dtype=np.int64)
    lo_y = np.full(num_objects + 1, lab.shape[0], dtype=np.int64)
    hi_x = np.full(num_objects + 1, -1, dtype=np.int64)
    hi_y = np.full(num_objects + 1, -1, dtype=np.int64)
    np.minimum.at(lo_x, ids, xs)
    np.minimum.at(lo_y, ids, ys)
    np.maximum.at(hi_x, ids, xs)
    np.maximum.at(hi_y, ids, ys)
    cents = np.stack([cx, cy], -1)[1:]
    boxes = [(int(lo_x[k]), int(lo_y[k]), int(hi_x[k]) + 1, int(hi_y[k]) + 1) for k in range(1, num_objects + 1)]
    return cents, boxes
