"""Property tests: label-video resizing and coordinate parsing against their definitions.

Nearest resizing in the pixel-centre convention: output pixel ``i`` (centre ``i + 0.5`` in edge
units) reads input pixel ``floor((i + 0.5) * in / out)``. Coordinates: pixels, or fractions of
the image size when every value lies within 0..1; KJNodes editors send ``[{"x", "y"}, ...]``
(a list of such lists for several splines), core ``WanTrackToVideo`` a list of tracks.
"""

from __future__ import annotations

import json

import numpy as np
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ttm_core.coords import parse_point_lists, parse_points, points_to_json
from ttm_core.types import MaskTrajectory

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def trajectories(draw):
    t, h, w = draw(st.integers(1, 3)), draw(st.integers(1, 9)), draw(st.integers(1, 9))
    k = draw(st.integers(0, 3))
    flat = draw(st.lists(st.integers(0, k), min_size=t * h * w, max_size=t * h * w))
    labels = torch.tensor(flat, dtype=torch.uint8).view(t, h, w)
    return MaskTrajectory(labels, [f"o{i}" for i in range(1, k + 1)] if k else [], 8.0)


def _nearest_reference(labels: np.ndarray, h2: int, w2: int) -> np.ndarray:
    t, h, w = labels.shape
    out = np.zeros((t, h2, w2), labels.dtype)
    for y in range(h2):
        for x in range(w2):
            sy = min(h - 1, int(np.floor((y + 0.5) * h / h2)))
            sx = min(w - 1, int(np.floor((x + 0.5) * w / w2)))
            out[:, y, x] = labels[:, sy, sx]
    return out


@SETTINGS
@given(trajectories(), st.integers(1, 12), st.integers(1, 12))
def test_resized_labels_read_the_nearest_pixel_centre(traj, h2, w2):
    big = traj.resized(h2, w2)
    assert np.array_equal(big.labels.numpy(), _nearest_reference(traj.labels.numpy(), h2, w2))
    assert big.names == traj.names and big.fps == traj.fps
    assert torch.equal(big.visible, big.areas() > 0)


@SETTINGS
@given(trajectories(), st.integers(1, 3), st.integers(1, 3))
def test_whole_factor_resize_there_and_back_is_the_identity(traj, fy, fx):
    assume(traj.num_objects > 0)
    traj = MaskTrajectory.still(traj.first_objects(), traj.num_frames) if traj.visible[0].all() else traj
    big = traj.resized(traj.height * fy, traj.width * fx)
    assert torch.equal(big.areas(), traj.areas() * fy * fx)  # every pixel became an fy x fx block
    back = big.resized(traj.height, traj.width)
    assert torch.equal(back.labels, traj.labels)
    if traj.anchors is not None:
        ok = ~torch.isnan(traj.anchors)
        assert torch.allclose(big.anchors[ok], big.centroids()[ok], atol=1e-4)  # anchors stay centroids
        assert torch.allclose(back.anchors[ok], traj.anchors[ok], atol=1e-4)


coordinate = st.floats(0.0, 1.0, allow_nan=False, width=32)
pixel = st.floats(0.0, 500.0, allow_nan=False, width=32)
off_frame = st.floats(-500.0, 500.0, allow_nan=False, width=32)  # paths may leave the frame


@SETTINGS
@given(st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=6), st.integers(1, 300), st.integers(1, 300))
def test_values_within_0_1_are_fractions_of_the_image(points, width, height):
    kj = json.dumps([{"x": x, "y": y} for x, y in points])  # KJNodes PointsEditor
    got = parse_points(kj, "p", width=width, height=height)
    assert np.allclose(got, [(x * width, y * height) for x, y in points])
    assert parse_points([list(p) for p in points], "p", width=width, height=height) == got  # plain pairs


@SETTINGS
@given(st.lists(st.tuples(off_frame, off_frame), min_size=1, max_size=6), st.integers(1, 300), st.integers(1, 300))
def test_any_value_beyond_1_makes_every_value_pixels(points, width, height):
    assume(max(abs(c) for p in points for c in p) > 1.0)
    got = parse_point_lists([list(p) for p in points], "p", width=width, height=height, inside=False)
    assert got == [[(float(x), float(y)) for x, y in points]]


@SETTINGS
@given(st.lists(st.lists(st.tuples(pixel, pixel), min_size=1, max_size=4), min_size=2, max_size=4))
def test_several_splines_or_tracks_stay_separate_lists_in_order(tracks):
    assume(max(c for tr in tracks for p in tr for c in p) > 1.0)
    core = json.dumps([[{"x": x, "y": y} for x, y in tr] for tr in tracks])  # WanTrackToVideo / SplineEditor
    pairs = [[[x, y] for x, y in tr] for tr in tracks]
    expected = [[(float(x), float(y)) for x, y in tr] for tr in tracks]
    assert parse_point_lists(core, "tracks", inside=False) == expected
    assert parse_point_lists(pairs, "tracks", inside=False) == expected
    assert parse_point_lists(core.replace('"', "'"), "tracks", inside=False) == expected  # single quotes


@SETTINGS
@given(st.lists(st.tuples(pixel, pixel), min_size=1, max_size=6))
def test_points_to_json_round_trips_to_three_decimals(points):
    back = parse_points(points_to_json(points), "p", normalized=False)
    assert np.allclose(back, points, atol=5e-4)
