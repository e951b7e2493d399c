"""Exact mask-following math on synthetic label videos with known answers (oracle segmenter)."""

from __future__ import annotations

import math

import numpy as np

import pytest
import torch

from ttm_core.evaluate import evaluate_video, palette_segmenter, rank_videos
from ttm_core.types import MaskTrajectory
from ttm_core.visualize import palette

T, H, W = 6, 64, 96
BOX = (20, 16)  # width, height of object 1


def boxes(vanish_at: int | None = None) -> MaskTrajectory:
    """Object 1 (20x16) moves 4 px/frame to the right; object 2 (10x10) sits still, gone from ``vanish_at``."""
    labels = torch.zeros(T, H, W, dtype=torch.uint8)
    for t in range(T):
        x0 = 10 + 4 * t
        labels[t, 20:20 + BOX[1], x0:x0 + BOX[0]] = 1
        if vanish_at is None or t < vanish_at:
            labels[t, 40:50, 70:80] = 2
    return MaskTrajectory(labels, ["ball", "cube"])


def colour_video(labels: torch.Tensor) -> torch.Tensor:
    """The label video drawn in the paper palette: exactly what the oracle reads back."""
    return palette(2)[labels.long()]


def shifted(frames: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    out = torch.zeros_like(frames)
    out[:, dy:, dx:] = frames[:, : H - dy, : W - dx]
    return out


def test_own_label_video_scores_perfectly():
    traj = boxes()
    s = evaluate_video(colour_video(traj.labels), traj, segmenter=palette_segmenter(), flow=None)
    assert s.miou == 1.0 and s.visibility == 1.0
    assert s.centroid_error_px == 0.0 and s.end_point_error_px == 0.0 and s.centroid_error == 0.0
    for obj in s.objects:
        assert obj.frames_visible == T - 1  # frame 0 (the seed) is not scored
        assert math.isnan(obj.iou[0]) and obj.iou[1:] == [1.0] * (T - 1)


def test_a_known_shift_gives_the_analytic_iou_and_centroid_error():
    dx, dy = 3, 2
    traj = boxes()
    s = evaluate_video(shifted(colour_video(traj.labels), dx, dy), traj, segmenter=palette_segmenter(), flow=None)
    w, h = BOX
    inter = (w - dx) * (h - dy)
    box_iou = inter / (2 * w * h - inter)  # 238 / 402
    cube_inter = (10 - dx) * (10 - dy)
    cube_iou = cube_inter / (200 - cube_inter)  # 56 / 144
    ball, cube = s.objects
    assert ball.miou == pytest.approx(box_iou, abs=1e-3)
    assert cube.miou == pytest.approx(cube_iou, abs=1e-3)
    assert s.miou == pytest.approx((box_iou + cube_iou) / 2, abs=1e-3)
    assert s.centroid_error_px == pytest.approx(math.sqrt(13), abs=1e-3)
    assert s.end_point_error_px == pytest.approx(math.sqrt(13), abs=1e-3)
    assert s.centroid_error == pytest.approx(math.sqrt(13) / math.hypot(W, H), abs=1e-6)
    assert s.visibility == 1.0


def test_an_object_that_vanishes_early_is_scored_on_visibility():
    traj = boxes(vanish_at=3)  # the cube is in frames 0..2
    oracle = palette_segmenter()
    # the video agrees: the cube's mIoU counts frames 1..2 only, its absence counts as agreement
    s = evaluate_video(colour_video(traj.labels), traj, segmenter=oracle, flow=None)
    cube = s.objects[1]
    assert cube.frames_visible == 2 and cube.miou == 1.0 and cube.visibility == 1.0
    assert all(math.isnan(v) for v in cube.iou[3:])  # two empty masks are not an IoU of 1

    # the video keeps the cube where the target says it is gone: IoU unchanged, visibility 2/5
    kept = boxes().labels
    s = evaluate_video(colour_video(kept), traj, segmenter=oracle, flow=None)
    cube = s.objects[1]
    assert cube.miou == 1.0 and cube.visibility == pytest.approx(2 / 5)
    assert s.objects[0].visibility == 1.0

    # the video loses the cube one frame early: frame 2 scores IoU 0, visibility 4/5, no end point
    lost = boxes(vanish_at=2).labels
    s = evaluate_video(colour_video(lost), traj, segmenter=oracle, flow=None)
    cube = s.objects[1]
    assert cube.iou[1:3] == [1.0, 0.0] and cube.miou == 0.5
    assert cube.visibility == pytest.approx(4 / 5) and math.isnan(cube.end_point_error_px)


def test_ranking_picks_the_candidate_that_follows_best():
    traj = boxes()
    frames = colour_video(traj.labels)
    candidates = [shifted(frames, 6, 4), shifted(frames, 1, 1), frames, shifted(frames, 3, 0)]
    ranking = rank_videos(candidates, traj, segmenter=palette_segmenter(), flow=None)
    assert ranking.best == 2
    mious = [s.miou for s in ranking.scores]
    assert mious[2] == 1.0 and mious[0] < mious[3] < 1.0 and mious[1] < 1.0
    by_centroid = rank_videos(candidates[:2], traj, segmenter=palette_segmenter(), flow=None, key="centroid_error")
    assert by_centroid.best == 1  # sqrt(2) px beats sqrt(52) px
    assert "2 *" in ranking.table()


def test_scores_serialise_without_nan():
    import json

    traj = boxes(vanish_at=3)
    s = evaluate_video(colour_video(traj.labels), traj, segmenter=palette_segmenter(), flow=None)
    d = json.loads(json.dumps(s.to_dict(), allow_nan=False))
    assert d["objects"][1]["iou"][0] is None and d["miou"] == 1.0 and d["clip_frame"] is None
    table = s.table()
    assert table.splitlines()[0].split()[:2] == ["object", "mIoU"] and "cube" in table


def test_frame_tables_match_the_trajectory_centroids_and_areas():
    from ttm_core.evaluate.masks import frame_tables

    g = torch.Generator().manual_seed(0)
    a = torch.randint(0, 4, (3, 20, 30), generator=g, dtype=torch.uint8)
    b = torch.randint(0, 4, (3, 20, 30), generator=g, dtype=torch.uint8)
    a[1][a[1] == 2] = 0  # object 2 absent from frame 1 of the prediction
    conf, area_a, area_b, cent_a, cent_b = frame_tables(a.numpy(), b.numpy(), 3)
    for labels, area, cent in ((a, area_a, cent_a), (b, area_b, cent_b)):
        traj = MaskTrajectory(labels, ["x", "y", "z"])
        assert np.array_equal(area, traj.areas().numpy())
        assert np.allclose(cent, traj.centroids().numpy(), atol=1e-4, equal_nan=True)
    for t in range(3):  # the confusion table counts pixel pairs
        for p in range(4):
            for q in range(4):
                assert conf[t, p, q] == int(((a[t] == p) & (b[t] == q)).sum())
