"""Trajectory -> positions / tracks, on label videos drawn by hand (centroids worked out by hand).

Positions are pixel centres of the object's pixels: a 2 x 2 block at columns c..c+1, rows r..r+1
has its centroid at (c + 0.5, r + 0.5).
"""

from __future__ import annotations

import json

import torch

from ttm_core.motion.tracks_io import trajectory_positions, trajectory_to_tracks
from ttm_core.types import MaskTrajectory


def _video(blocks: dict[int, list[tuple[int, int] | None]], frames: int) -> MaskTrajectory:
    """``blocks[label][t]`` = top-left (col, row) of a 2 x 2 block in frame t, None = invisible."""
    labels = torch.zeros(frames, 8, 12, dtype=torch.uint8)
    for label, where in blocks.items():
        for t, cr in enumerate(where):
            if cr is not None:
                c, r = cr
                labels[t, r : r + 2, c : c + 2] = label
    return MaskTrajectory(labels, [f"o{k}" for k in sorted(blocks)], 8.0)


def test_hold_fills_invisible_frames_with_the_last_seen_position_per_object():
    # object 1 moves right 2 px a frame and is always visible; object 2 moves, then vanishes in
    # frames 2-3: it holds frame 1's centroid (the last seen, not the first)
    traj = _video({1: [(0, 0), (2, 0), (4, 0), (6, 0), (8, 0)], 2: [(8, 4), (9, 4), None, None, (10, 6)]}, 5)
    pos = trajectory_positions(traj, invisible="hold")
    assert pos[:, 0].tolist() == [[0.5, 0.5], [2.5, 0.5], [4.5, 0.5], [6.5, 0.5], [8.5, 0.5]]
    assert pos[:, 1].tolist() == [[8.5, 4.5], [9.5, 4.5], [9.5, 4.5], [9.5, 4.5], [10.5, 6.5]]


def test_an_object_first_seen_later_starts_where_it_is_first_seen():
    traj = _video({1: [None, None, (4, 2), (6, 2)]}, 4)
    pos = trajectory_positions(traj, invisible="hold")
    assert pos[:, 0].tolist() == [[4.5, 2.5], [4.5, 2.5], [4.5, 2.5], [6.5, 2.5]]


def test_a_one_frame_trajectory_resampled_repeats_its_points():
    traj = _video({1: [(0, 0)], 2: [(6, 4)]}, 1)
    tracks = json.loads(trajectory_to_tracks(traj, samples=3, invisible="hold"))
    assert tracks == [[{"x": 0.5, "y": 0.5}] * 3, [{"x": 6.5, "y": 4.5}] * 3]


def test_nearest_resampling_indices_by_hand():
    from ttm_core.motion.timeline import resample_time_nearest

    # index i * (length - 1) / (num_frames - 1), rounded half up
    assert resample_time_nearest(5, 3) == [0, 2, 4]
    assert resample_time_nearest(3, 5) == [0, 1, 1, 2, 2]
    assert resample_time_nearest(4, 1) == [0] and resample_time_nearest(1, 3) == [0, 0, 0]


def test_keyframes_only_plans_with_or_without_the_keyframes_key():
    from ttm_core.motion.plan import as_plan

    frames = {"dog": [{"t": 0.0}, {"t": 1.0, "dx": 0.2}]}
    for source in (frames, {"keyframes": frames}):
        plan = as_plan(source)
        assert plan.global_prompt == "(keyframes only)" and list(plan.keyframes) == ["dog"]


def test_no_scale_curve_is_one_per_frame():
    from ttm_core.motion.paths import scale_curve

    assert scale_curve(None, 4, "scale").tolist() == [1.0, 1.0, 1.0, 1.0]
