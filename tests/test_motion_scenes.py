"""Analytic scenes for stage-1 tests: shapes defined in closed form on the pixel grid.

Ground truth is computed from geometry (a disc of radius r at c; a rectangle with half extents
rotated by theta clockwise on screen), never with the warp code under test. Pixel
centres sit at integer coordinates, x right, y down. The helpers also have tests of their own.
"""

from __future__ import annotations

import functools
import math

import torch

from ttm_core import ObjectSet

SIZE = 512


@functools.lru_cache(maxsize=4)
def grid(height: int = SIZE, width: int = SIZE) -> tuple[torch.Tensor, torch.Tensor]:
    ys, xs = torch.meshgrid(
        torch.arange(height, dtype=torch.float64), torch.arange(width, dtype=torch.float64), indexing="ij"
    )
    return xs, ys


def disc(cx: float, cy: float, r: float, height: int = SIZE, width: int = SIZE) -> torch.Tensor:
    xs, ys = grid(height, width)
    return (xs - cx) ** 2 + (ys - cy) ** 2 <= r * r


def rect(
    cx: float, cy: float, half_w: float, half_h: float, cw_degrees: float = 0.0, height: int = SIZE, width: int = SIZE
):
    """Rectangle turned ``cw_degrees`` clockwise as seen on screen (y points down).

    A clockwise turn by theta takes the object's +x axis (right) to the screen direction
    (cos theta, sin theta), i.e. towards the bottom, and its +y axis (down) to
    (-sin theta, cos theta); a pixel is inside when its offset, projected on those axes, is
    within the half extents.
    """
    xs, ys = grid(height, width)
    th = math.radians(cw_degrees)
    vx, vy = xs - cx, ys - cy
    u = vx * math.cos(th) + vy * math.sin(th)  # along the object's own x axis
    v = -vx * math.sin(th) + vy * math.cos(th)  # along the object's own y axis
    return (u.abs() <= half_w) & (v.abs() <= half_h)


def objects_from(masks: list[torch.Tensor], names: list[str]) -> ObjectSet:
    labels = torch.zeros(masks[0].shape, dtype=torch.long)
    for i, m in enumerate(masks):
        assert not bool((labels[m] != 0).any()), "scene objects must not overlap at frame 0"
        labels[m] = i + 1
    return ObjectSet(labels, names)


def iou(a: torch.Tensor, b: torch.Tensor) -> float:
    union = int((a | b).sum())
    return 1.0 if union == 0 else int((a & b).sum()) / union


def centroid(m: torch.Tensor) -> torch.Tensor:
    ys, xs = torch.nonzero(m, as_tuple=True)
    return torch.stack([xs.double().mean(), ys.double().mean()])


def compare(traj, gt_frames: list[list[torch.Tensor]], min_fraction: float = 0.25) -> dict:
    """Per-frame IoU / centroid error against ground truth ``gt_frames[t][k]`` (bool masks).

    Frames where an object shows less than ``min_fraction`` of its frame-0 area (a sliver at the
    image border or behind another object) are excluded from IoU/centroid (a sliver a few pixels
    wide cannot reach 0.95 IoU with any rasterisation); visibility is checked on every frame.
    """
    worst_iou, worst_err, checked = 1.0, 0.0, 0
    vis_mismatch = []
    for t, gts in enumerate(gt_frames):
        for k, gt in enumerate(gts):
            pred = traj.labels[t] == k + 1
            full = int(gt_frames[0][k].sum())
            gt_area = int(gt.sum())
            if bool(traj.visible[t, k]) != (gt_area > 0) and (gt_area == 0 or gt_area > 0.01 * full):
                vis_mismatch.append((t, k, gt_area, int(pred.sum())))
            if gt_area < min_fraction * full:
                continue
            checked += 1
            worst_iou = min(worst_iou, iou(pred, gt))
            worst_err = max(worst_err, float((centroid(pred) - centroid(gt)).norm()))
    return {"iou": worst_iou, "centroid_err": worst_err, "checked": checked, "visibility_mismatch": vis_mismatch}


def test_disc_and_rect_helpers_are_geometric():
    d = disc(256, 256, 50)
    assert abs(int(d.sum()) - math.pi * 50 * 50) < 2 * math.pi * 50 * 0.6
    assert torch.allclose(centroid(d), torch.tensor([256.0, 256.0], dtype=torch.float64))
    r = rect(256, 256, 80.5, 20.5)
    assert int(r.sum()) == 161 * 41
    # 90 degrees clockwise on screen: the long axis becomes vertical
    turned = rect(256, 256, 80.5, 20.5, 90)
    ys, xs = torch.nonzero(turned, as_tuple=True)
    assert int(ys.max() - ys.min()) == 160 and int(xs.max() - xs.min()) == 40


def test_rect_helper_turns_clockwise():
    """45 degrees clockwise on screen: the bar's right end dips to the lower right."""
    turned = rect(256, 256, 100.5, 5.5, 45)
    assert bool(turned[256 + 50, 256 + 50]) and bool(turned[256 - 50, 256 - 50])  # [row, column]
    assert not bool(turned[256 - 50, 256 + 50]) and not bool(turned[256 + 50, 256 - 50])
