"""The motion editor's state: validation with named errors, and the trajectory it builds.

Expected values are analytic: disks moved along straight paths (where the spline is the
segment itself), smoothstep fractions, areas under scaling, bounding boxes under rotation.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ttm_core.errors import TTMInputError
from ttm_core.motion import image_to_motion
from ttm_core.motion.editor_math import SAMPLES_PER_SEGMENT, spline_polyline
from ttm_core.motion.editor_state import editor_trajectory, parse_editor_state, paths_string, points_strings
from ttm_core.motion.measure import label_stats
from ttm_core.types import ObjectSet

W, H = 160, 96


def _disk(cx: float, cy: float, r: float) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
    return ((xs - cx) ** 2 + (ys - cy) ** 2) <= r * r


def _objects() -> ObjectSet:
    labels = torch.zeros(H, W, dtype=torch.long)
    labels[_disk(30, 30, 8)] = 1
    labels[60:76, 100:140] = 2  # a 40x16 bar centred at (119.5, 67.5)
    return ObjectSet(labels, ["ball", "bar"])


def _state(*objects: dict) -> str:
    return json.dumps({"version": 1, "objects": list(objects)})


def _centroids(traj) -> np.ndarray:
    return label_stats(traj.labels, traj.num_objects)[1].numpy()


def test_spline_passes_through_every_handle():
    handles = np.array([[0.0, 0.0], [40.0, 10.0], [70.0, 60.0], [20.0, 80.0]])
    poly = spline_polyline(handles)
    assert len(poly) == 3 * SAMPLES_PER_SEGMENT + 1
    np.testing.assert_allclose(poly[::SAMPLES_PER_SEGMENT], handles, atol=1e-12)
    # between handles the curve bends: the midpoint of segment 1 is not on the chord
    mid = poly[SAMPLES_PER_SEGMENT + SAMPLES_PER_SEGMENT // 2]
    assert np.linalg.norm(mid - (handles[1] + handles[2]) / 2) > 1.0


def test_end_centroid_lands_on_the_last_handle_and_objects_without_path_stay():
    # the first handle is where the drag began (off-centre); the centroid still ends on the last one
    state = _state({"name": "ball", "path": [[33, 27], [90, 40], [130, 20]]})
    traj = editor_trajectory(state, _objects(), 9)
    cents = _centroids(traj)
    np.testing.assert_allclose(cents[-1, 0], [130, 20], atol=0.5)
    np.testing.assert_allclose(cents[:, 1], np.repeat([[119.5, 67.5]], 9, 0), atol=1e-9)
    assert torch.equal(traj.labels[0], _objects().labels.to(torch.uint8))


def test_timing_and_easing_follow_the_clip_time():
    # straight path from the centroid (30, 30) to (110, 30): 80 px, constant speed along it
    base = {"name": "ball", "path": [[30, 30], [110, 30]]}
    lin = _centroids(editor_trajectory(_state({**base, "start": 0.25, "end": 0.75}), _objects(), 9))[:, 0, 0]
    expected = 30 + 80 * np.clip((np.linspace(0, 1, 9) - 0.25) / 0.5, 0, 1)
    np.testing.assert_allclose(lin, expected, atol=0.5)
    eased = _centroids(editor_trajectory(_state({**base, "easing": "ease_in_out"}), _objects(), 5))[:, 0, 0]
    np.testing.assert_allclose(eased, 30 + 80 * np.array([0, 0.15625, 0.5, 0.84375, 1]), atol=0.5)


def test_end_scale_rotation_and_z():
    state = _state(
        {"name": "bar", "end_scale": 0.5, "rotation": 90},
        {"name": "ball", "path": [[30, 30], [119, 67]], "z": 1},
    )
    traj = editor_trajectory(state, _objects(), 3)
    areas = label_stats(traj.labels, 2)[0].numpy()
    bar_end = traj.labels[-1] == 2
    ys, xs = torch.nonzero(bar_end, as_tuple=True)
    # the bar turned upright at half size (8 wide, 20 tall), the ball sits on top of it (z=1)
    assert abs((xs.max() - xs.min() + 1).item() - 8) <= 1 and abs((ys.max() - ys.min() + 1).item() - 20) <= 1
    assert areas[-1, 0] == areas[0, 0]  # the ball in front keeps every pixel
    assert areas[-1, 1] < 0.25 * areas[0, 1]


def test_paths_output_drives_the_paths_node_to_the_same_trajectory():
    state = _state({"name": "ball", "path": [[30, 30], [80, 60], [130, 30]], "easing": "ease_in_out", "start": 0.2})
    objects = _objects()
    ours = editor_trajectory(state, objects, 13)
    theirs = image_to_motion(objects, paths_string(state, objects, 13), 13, "paths")
    np.testing.assert_allclose(_centroids(ours), _centroids(theirs), atol=1e-6)


def test_points_outputs_are_what_segment_objects_reads(pack):
    from ttm_pack.nodes.segment import _object_prompts

    state = parse_editor_state(_state(
        {"name": "ball", "points": [[30, 30], [32, 28]], "negative": [[5, 5]]},
        {"name": "bar", "points": [[120, 68]]},
    ))
    positive, negative, names = points_strings(state)
    prompts = _object_prompts(positive, negative, "", [n.strip() for n in names.split(",")], W, H)
    assert [p["name"] for p in prompts] == ["ball", "bar"]
    assert [p["points"] for p in prompts] == [[[30, 30], [32, 28]], [[120, 68]]]
    assert [p["negative"] for p in prompts] == [[[5, 5]], []]


@pytest.mark.parametrize(
    "state, where, words",
    [
        ("{not json", "editor_state", "not valid JSON"),
        ('[1, 2]', "editor_state", "expected a JSON object"),
        (_state({"name": "ball", "pth": [[1, 1], [2, 2]]}), "editor_state.objects[0]", "unknown keys ['pth']"),
        (_state({"name": "ball", "start": 0.8, "end": 0.4}), "editor_state.objects[0].start", "0 <= start < end <= 1"),
        (_state({"name": "ball", "easing": "bounce"}), "editor_state.objects[0].easing", "must be one of"),
        (_state({"name": "ball", "end_scale": 0}), "editor_state.objects[0].end_scale", "must be > 0"),
        (_state({"name": "ball", "z": "front"}), "editor_state.objects[0].z", "finite number"),
        (_state({"name": "ball", "path": [[1, "a"]]}), "editor_state.objects[0].path[0]", "expected a point"),
        (_state({"name": "ball"}, {"name": "ball"}), "editor_state.objects", "more than once"),
        (_state({"name": "dog", "path": [[1, 1], [9, 9]]}), "editor_state.objects", "not among the objects"),
        (_state({"name": "ball", "points": [[500, 10]]}), "editor_state.objects[0].points", "outside the 160x96 image"),
    ],
)
def test_bad_states_get_named_errors(state, where, words):
    with pytest.raises(TTMInputError) as info:
        editor_trajectory(state, _objects(), 5)
    assert info.value.input_name == where, str(info.value)
    assert str(info.value).startswith(where + ": ") and words in str(info.value)
