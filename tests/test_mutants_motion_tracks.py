"""Tests written from surviving mutants of ``ttm_core/motion/tracks_io.py`` (tools/mutation.py, group motion).

Expected positions are read off a hand-drawn trajectory (2 x 2 blocks whose centroid is the
block corner + 0.5) and its affines, or are round trips through the tracks JSON. Verdicts on the
survivors not killed here are in ``docs/mutation-survivors/motion.md``.
"""

from __future__ import annotations

import json

import pytest
import torch

from ttm_core.errors import TTMInputError
from ttm_core.motion.tracks_io import trajectory_positions, trajectory_to_tracks, tracks_to_paths
from ttm_core.types import MaskTrajectory


# ---- tracks ------------------------------------------------------------------------------------

TH, TW = 8, 12


def _handmade():
    """Three objects, 4 frames; 2 x 2 blocks whose centroid is (col + 0.5, row + 0.5).

    o1 moves right 3 px a frame and is gone from frame 2 on; o2 stays at (8.5, 4.5); o3 moves down
    1 px a frame and is gone in frame 3. Affines are those translations, anchors NaN while gone.
    """
    t_frames = 4
    labels = torch.zeros(t_frames, TH, TW, dtype=torch.uint8)
    anchors = torch.full((t_frames, 3, 2), float("nan"))
    affines = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]).repeat(t_frames, 3, 1, 1)
    for t in range(t_frames):
        affines[t, 0, 0, 2] = 3.0 * t
        affines[t, 2, 1, 2] = 1.0 * t
        labels[t, 4:6, 8:10] = 2
        anchors[t, 1] = torch.tensor([8.5, 4.5])
        if t < 2:
            labels[t, 0:2, 3 * t : 3 * t + 2] = 1
            anchors[t, 0] = torch.tensor([0.5 + 3 * t, 0.5])
        if t < 3:
            labels[t, 2 + t : 4 + t, 4:6] = 3
            anchors[t, 2] = torch.tensor([4.5, 2.5 + t])
    return MaskTrajectory(labels, ["o1", "o2", "o3"], 8.0, anchors=anchors, affines=affines)


EXTRAPOLATED = [
    [[0.5, 0.5], [3.5, 0.5], [6.5, 0.5], [9.5, 0.5]],
    [[8.5, 4.5]] * 4,
    [[4.5, 2.5], [4.5, 3.5], [4.5, 4.5], [4.5, 5.5]],
]
HELD = [
    [[0.5, 0.5], [3.5, 0.5], [3.5, 0.5], [3.5, 0.5]],
    [[8.5, 4.5]] * 4,
    [[4.5, 2.5], [4.5, 3.5], [4.5, 4.5], [4.5, 4.5]],
]


def _per_object(pos):
    return [pos[:, k].tolist() for k in range(pos.shape[1])]


def test_invisible_frames_extrapolate_by_the_affine_by_default_or_hold():
    traj = _handmade()
    pos = trajectory_positions(traj)  # the default is "extrapolate"
    assert pos.dtype == torch.float64  # documented
    assert _per_object(pos) == EXTRAPOLATED
    held = trajectory_positions(traj, invisible="hold")
    assert held.dtype == torch.float64
    assert _per_object(held) == HELD
    tracks = json.loads(trajectory_to_tracks(traj, invisible="hold"))
    assert [[[p["x"], p["y"]] for p in track] for track in tracks] == HELD


def test_an_anchor_missing_at_frame_0_is_recovered_from_the_frame_0_mask():
    traj = _handmade()
    traj.anchors[0, 0] = float("nan")  # o1 has pixels at frame 0, centroid (0.5, 0.5)
    assert _per_object(trajectory_positions(traj, invisible="extrapolate")) == EXTRAPOLATED


def test_an_object_never_seen_still_gives_finite_json_and_others_are_filled():
    labels = torch.zeros(3, TH, TW, dtype=torch.uint8)
    labels[0, 0:2, 0:2] = 2  # o2 at (0.5, 0.5), then (2.5, 0.5), then gone; o1 never drawn
    labels[1, 0:2, 2:4] = 2
    traj = MaskTrajectory(labels, ["o1", "o2"], 8.0)
    pos = trajectory_positions(traj, invisible="hold")
    assert bool(torch.isfinite(pos).all())
    assert pos[:, 1].tolist() == [[0.5, 0.5], [2.5, 0.5], [2.5, 0.5]]

    def no_nan(name):
        raise AssertionError(f"{name} in the tracks JSON")

    json.loads(trajectory_to_tracks(traj), parse_constant=no_nan)


def test_tracks_of_a_two_frame_trajectory_resampled_and_of_one_object():
    labels = torch.zeros(2, TH, TW, dtype=torch.uint8)
    labels[0, 0:2, 0:2] = 1  # (0.5, 0.5)
    labels[1, 0:2, 4:6] = 1  # (4.5, 0.5)
    traj = MaskTrajectory(labels, ["o1"], 8.0)
    three = json.loads(trajectory_to_tracks(traj, samples=3))  # linear in time: the middle is halfway
    assert three == [[{"x": 0.5, "y": 0.5}, {"x": 2.5, "y": 0.5}, {"x": 4.5, "y": 0.5}]]
    assert json.loads(trajectory_to_tracks(traj)) == [[{"x": 0.5, "y": 0.5}, {"x": 4.5, "y": 0.5}]]
    # three objects, resampled: one track per object
    tracks = json.loads(trajectory_to_tracks(_handmade(), samples=7, invisible="hold"))
    assert len(tracks) == 3 and all(len(t) == 7 for t in tracks)
    assert tracks[0][-1] == {"x": 3.5, "y": 0.5} and tracks[2][-1] == {"x": 4.5, "y": 4.5}


def test_tracks_to_paths_as_a_list_or_by_name_and_its_errors():
    text = '[[{"x": 1, "y": 2}, {"x": 3, "y": 4}]]'
    assert tracks_to_paths(text) == [[[1.0, 2.0], [3.0, 4.0]]]
    assert tracks_to_paths(text, ["a", "b"]) == {"a": [[1.0, 2.0], [3.0, 4.0]]}
    with pytest.raises(TTMInputError, match=r"^tracks: is not a valid coordinate string"):
        tracks_to_paths('[[{"x": 1')
