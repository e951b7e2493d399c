"""Tests written from surviving mutants of ``ttm_core/motion`` (tools/mutation.py, group motion).

Expected values are drawn or computed by hand on tiny label maps and paths, follow from the
documented rules (pixel centres, frame times evenly spread over 0..1, ``A (p - c) + c + d``,
frame 0 shows the input), or come from the project's error rule (a bad input is a
:class:`TTMInputError` whose message starts with the input's name). Verdicts on the survivors not
killed here are in ``docs/mutation-survivors/motion.md``.
"""

from __future__ import annotations

import inspect
import json
import math

import numpy as np
import pytest
import torch

from ttm_core import ObjectSet, image_to_motion
from ttm_core.errors import TTMInputError, TTMInterrupted
from ttm_core.motion.affine import is_identity
from ttm_core.motion.compose import compose_affine_trajectory
from ttm_core.motion.masks import masks_motion
from ttm_core.motion.measure import label_stats, mask_iou
from ttm_core.motion.paths import arc_positions, parse_paths, paths_motion, resample_path, scale_curve
from ttm_core.motion.plan import as_plan, keyframe_states, plan_motion
from ttm_core.motion.timeline import frame_times, resample_time_nearest
from ttm_core.motion.tracks_io import trajectory_positions, trajectory_to_tracks, tracks_to_paths
from ttm_core.types import MaskTrajectory
from ttm_core.types.plan import PromptPlan

H, W = 6, 8  # not square, so a swapped width/height shows


def _objects():
    labels = torch.zeros(H, W, dtype=torch.long)
    labels[1:3, 1:3] = 1  # a: 2 x 2, centroid (1.5, 1.5)
    labels[3:5, 5:7] = 2  # b: 2 x 2, centroid (5.5, 3.5)
    return ObjectSet(labels, ["a", "b"])


def _single():
    labels = torch.zeros(H, W, dtype=torch.long)
    labels[1:3, 1:3] = 1
    return ObjectSet(labels, ["a"])


def _block(y0, x0, size=2):
    m = torch.zeros(H, W, dtype=torch.bool)
    m[y0 : y0 + size, x0 : x0 + size] = True
    return m


# ---- masks mode --------------------------------------------------------------------------------


def test_a_float_mask_is_thresholded_strictly_above_one_half():
    """A ComfyUI MASK batch (one object, float 0..1): 0.5 is background, the 1.0 block is the object."""
    objs = _single()
    src = torch.zeros(2, H, W)
    src[0, 1:3, 1:3] = 1.0
    src[1, 1:3, 2:4] = 1.0  # moved right by one
    src[1, 5, 0] = 0.5  # exactly one half: not part of the object
    traj = masks_motion(objs, src, 2)
    want = torch.zeros(H, W, dtype=torch.uint8)
    want[1:3, 2:4] = 1
    assert torch.equal(traj.labels[1], want)


def test_one_object_label_values_above_one_are_refused():
    """With one object a label video may only hold 0 and 1 (float or int); 2 is not a mask value."""
    objs = _single()
    for dtype in (torch.float32, torch.int64):
        video = torch.zeros(2, H, W, dtype=dtype)
        video[:, 1:3, 1:3] = 1
        video[1, 0, 0] = 2
        with pytest.raises(TTMInputError, match=r"^masks: labels must be within 0\.\.1"):
            masks_motion(objs, video, 2)


def test_a_mask_with_minus_infinity_is_a_named_error():
    # max() is 1.0, so this takes the single-object MASK path; its finiteness check names the input
    objs = _single()
    src = torch.zeros(2, H, W)
    src[:, 1:3, 1:3] = 1.0
    src[1, 0, 0] = -math.inf
    with pytest.raises(TTMInputError, match=r"^masks: contains NaN or infinite"):
        masks_motion(objs, src, 2)


def test_non_finite_values_name_the_object_in_lists_and_4d_batches():
    objs = _objects()
    a = torch.stack([_block(1, 1), _block(1, 2)]).float()
    b = torch.stack([_block(3, 5), _block(3, 4)]).float()
    bad_b = b.clone()
    bad_b[1, 0, 0] = float("nan")
    with pytest.raises(TTMInputError, match=r"^masks\[1\] \(object 'b'\): contains NaN"):
        masks_motion(objs, [a, bad_b], 2)
    with pytest.raises(TTMInputError, match=r"^masks\[object 'b'\]: contains NaN"):
        masks_motion(objs, torch.stack([a, bad_b], 1), 2)


def test_frame_count_and_size_errors_name_the_input_in_every_layout():
    objs = _objects()
    a3 = torch.stack([_block(1, 1)] * 3)
    b3 = torch.stack([_block(3, 5)] * 3)
    tkhw = torch.stack([a3, b3], 1).float()  # [3, 2, H, W]
    with pytest.raises(TTMInputError, match=r"^masks: has 3 frames but num_frames is 2"):
        masks_motion(objs, tkhw, 2)
    with pytest.raises(TTMInputError, match=r"^masks: masks are 7x6 but the objects are 8x6"):
        masks_motion(objs, tkhw[..., :7], 3)
    label_video = a3.to(torch.uint8) + 2 * b3.to(torch.uint8)  # [3, H, W]
    with pytest.raises(TTMInputError, match=r"^masks: has 3 frames but num_frames is 2"):
        masks_motion(objs, label_video, 2)
    with pytest.raises(TTMInputError, match=r"^masks: masks are 7x6 but the objects are 8x6"):
        masks_motion(objs, label_video[..., :7], 3)
    with pytest.raises(TTMInputError, match=r"^masks\[1\] \(object 'b'\): has 3 frames but num_frames is 2"):
        masks_motion(objs, [a3[:2], b3], 2)
    with pytest.raises(TTMInputError, match=r"^masks: expected a tensor or array, got int"):
        masks_motion(objs, 7, 2)


def test_a_still_object_before_a_moving_one_in_a_mask_list():
    """``None`` keeps object a still; object b's sequence after it still applies."""
    objs = _objects()
    b = torch.stack([_block(3, 5), _block(3, 3)])  # b moves left by 2
    traj = masks_motion(objs, [None, b], 2)
    want = torch.zeros(H, W, dtype=torch.uint8)
    want[1:3, 1:3] = 1
    want[3:5, 3:5] = 2
    assert torch.equal(traj.labels[1], want)


def test_a_two_object_label_video_that_only_holds_label_one():
    """A label video with labels 0..1 for two objects is a label video (b is hidden), not one mask.

    Frame 0 is the input whatever the video's dtype (a bool video keeps object b's label 2 there).
    """
    objs = _objects()
    video = torch.zeros(2, H, W, dtype=torch.int64)
    video[0, 1:3, 1:3] = 1
    video[1, 1:3, 2:4] = 1  # a moved right by one, b gone
    for source in (video, video.bool()):
        traj = masks_motion(objs, source, 2)
        assert torch.equal(traj.labels[0].long(), objs.labels)
        assert torch.equal(traj.labels[1].long(), video[1])
        assert traj.visible[:, 1].tolist() == [True, False]


def test_masks_z_errors_name_z():
    objs = _objects()
    with pytest.raises(TTMInputError, match=r"^z: mentions \['dog'\]"):
        masks_motion(objs, [None, None], 2, z={"dog": 1.0})


def test_masks_progress_and_interrupt():
    objs = _objects()
    seqs = [torch.stack([_block(1, 1)] * 2), torch.stack([_block(3, 5)] * 2)]
    calls = []
    masks_motion(objs, seqs, 2, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]  # one step per object painted
    with pytest.raises(TTMInterrupted):
        masks_motion(objs, seqs, 2, interrupt=lambda: True)


def test_strategies_default_to_the_entry_points_frame_rate():
    default_fps = inspect.signature(image_to_motion).parameters["fps"].default
    objs = _objects()
    assert masks_motion(objs, [None, None], 2).fps == default_fps
    assert plan_motion(objs, {"a": [{"t": 1.0, "dx": 0.25}]}, 2).fps == default_fps
    assert paths_motion(objs, {"a": [[1.5, 1.5], [3.5, 1.5]]}, 2).fps == default_fps
    eye = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=torch.float64).repeat(2, 2, 1, 1)
    assert compose_affine_trajectory(objs, eye, torch.zeros(2, 2)).fps == default_fps


def test_compose_keeps_the_scores_it_is_given():
    objs = _objects()
    eye = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=torch.float64).repeat(2, 2, 1, 1)
    traj = compose_affine_trajectory(objs, eye, torch.zeros(2, 2), scores={"fit": 0.5})
    assert traj.scores == {"fit": 0.5}


# ---- measure / affine / timeline ----------------------------------------------------------------


def test_label_stats_of_single_pixels_and_absent_objects():
    labels = torch.zeros(2, 4, 5, dtype=torch.uint8)
    labels[0, 2, 3] = 1  # one pixel at (x=3, y=2)
    labels[0, 0, 0:2] = 2  # two pixels, centroid (0.5, 0)
    labels[1, 3, 4] = 2  # frame 1: object 1 absent, object 2 a single pixel at (4, 3)
    areas, cents = label_stats(labels, 2)
    assert areas.tolist() == [[1.0, 2.0], [0.0, 1.0]]
    assert cents[0].tolist() == [[3.0, 2.0], [0.5, 0.0]]
    assert bool(torch.isnan(cents[1, 0]).all()) and cents[1, 1].tolist() == [4.0, 3.0]


def test_mask_iou_by_hand():
    empty = torch.zeros(2, 2, dtype=torch.bool)
    one = empty.clone()
    one[0, 0] = True
    assert mask_iou(empty, empty) == 1.0  # two empty masks agree perfectly (documented)
    assert mask_iou(one, empty) == 0.0  # union 1, intersection 0
    two = one.clone()
    two[1, 1] = True
    assert mask_iou(one, two) == 0.5


def test_is_identity():
    eye = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=torch.float64)
    assert is_identity(eye) and is_identity(eye.float())
    assert is_identity(eye, tol=0.0)  # exactly the identity is within a zero tolerance
    assert is_identity(eye + 1e-10)
    for i in range(2):
        for j in range(3):
            off = eye.clone()
            off[i, j] += 0.5
            assert not is_identity(off), (i, j)
    assert not is_identity(-eye)


def test_nearest_resampling_of_two_items():
    # i * (2 - 1) / (3 - 1) rounded half up: 0 -> 0, 0.5 -> 1, 1 -> 1
    assert resample_time_nearest(2, 3) == [0, 1, 1]


# ---- paths mode --------------------------------------------------------------------------------


def test_empty_paths_keep_the_object_still():
    objs = _objects()
    assert parse_paths({"a": []}, objs) == [None, None]
    paths = parse_paths("[[], [[1, 2], [5, 2]]]", objs)  # an empty first track, then b's
    assert paths[0] is None and paths[1].tolist() == [[1.0, 2.0], [5.0, 2.0]]


def test_path_errors_name_the_entry_and_the_default_input():
    objs = _objects()
    with pytest.raises(TTMInputError, match=r"^paths\[1\]: is not a valid coordinate string"):
        parse_paths([None, "[[1, 2"], objs)
    with pytest.raises(TTMInputError, match=r"^paths: expected a dict of paths"):
        parse_paths(42, objs)


def test_declared_normalised_paths_scale_by_width_and_height_in_every_form():
    """``normalized=True``: x by the width (8), y by the height (6), even past 1 (leaving the frame)."""
    objs = _objects()
    want = [[4.0, 3.0], [12.0, 6.0]]
    aligned = parse_paths(["[[0.5, 0.5], [1.5, 1.0]]", None], objs, normalized=True)
    assert aligned[0].tolist() == want and aligned[1] is None
    one_string = parse_paths("[[0.5, 0.5], [1.5, 1.0]]", objs, normalized=True)
    assert one_string[0].tolist() == want and one_string[1] is None
    auto = parse_paths("[[0.5, 0.5], [0.25, 1.0]]", objs)  # auto: every value within 0..1
    assert auto[0].tolist() == [[4.0, 3.0], [2.0, 6.0]]


def test_a_path_string_may_leave_the_frame():
    objs = _objects()
    paths = parse_paths("[[2, 2], [2, -50]]", objs)
    assert paths[0].tolist() == [[2.0, 2.0], [2.0, -50.0]]


def test_arc_positions_by_hand():
    # unit diagonal steps are real moves (only repeated points are skipped)
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    assert arc_positions(pts, [0.0, 0.5, 1.0]).tolist() == pts.tolist()
    rep = np.array([[0.0, 0.0], [0.0, 0.0], [4.0, 0.0]])
    assert arc_positions(rep, [0.0, 0.5, 1.0]).tolist() == [[0.0, 0.0], [2.0, 0.0], [4.0, 0.0]]


def test_auto_timing_with_fewer_points_than_frames_moves_at_constant_speed():
    # 30 px long, the first point 10 px in: arc timing puts frame j at 30 * j / 4
    pts = np.array([[0.0, 0.0], [10.0, 0.0], [30.0, 0.0]])
    out = resample_path(pts, 5, "auto")
    assert out[:, 0].tolist() == pytest.approx([0.0, 7.5, 15.0, 22.5, 30.0])
    assert out[:, 1].tolist() == [0.0] * 5


# ---- plan mode ---------------------------------------------------------------------------------


def test_as_plan_of_a_full_plan_dict_is_a_round_trip():
    plan = PromptPlan("a dog on grass", "the dog runs", {"dog": "a dog"}, {"dog": [{"t": 1.0, "dx": 0.2}]})
    again = as_plan(plan.to_dict())
    assert again.to_dict() == plan.to_dict()


def test_as_plan_errors_name_the_input():
    with pytest.raises(TTMInputError, match=r"^plan: expected a PromptPlan, got int"):
        as_plan(42)
    with pytest.raises(TTMInputError, match=r"^plan: expected a PromptPlan, got list"):
        as_plan([{"t": 1.0}])
    with pytest.raises(TTMInputError, match=r"^my_plan: has unknown keys \['bogus'\]"):
        as_plan({"global_prompt": "x", "bogus": 1}, "my_plan")


def test_a_keyframes_key_holding_a_list_is_an_object_named_keyframes():
    """Only a dict under "keyframes" is the wrapper; a list there is that object's keyframes."""
    plan = as_plan({"keyframes": [{"t": 1.0, "dx": 0.1}]})
    assert list(plan.keyframes) == ["keyframes"] and plan.keyframes["keyframes"][0]["dx"] == 0.1


def test_keyframe_states_without_keyframes_and_with_one_at_t0():
    times = frame_times(3)
    neutral = [0.0, 0.0, 1.0, 0.0, 0.0]  # dx, dy, scale, rot, z defaults
    assert keyframe_states([], times).tolist() == [neutral] * 3
    only_z = [{"t": 0.0, "dx": 0.0, "dy": 0.0, "scale": 1.0, "rot": 0.0, "z": 2.0, "ease": "linear"}]
    assert keyframe_states(only_z, times).tolist() == [[0.0, 0.0, 1.0, 0.0, 2.0]] * 3


def test_plan_motion_errors_name_the_plan_input():
    objs = _objects()
    with pytest.raises(TTMInputError, match=r"^plan: .*dog"):
        plan_motion(objs, {"dog": [{"t": 1.0, "dx": 0.1}]}, 3)
    with pytest.raises(TTMInputError, match=r"^my_plan: expected a PromptPlan, got int"):
        plan_motion(objs, 42, 3, input_name="my_plan")
    # keyframes changed after the plan was made are checked again
    plan = as_plan({"a": [{"t": 1.0, "dx": 0.1}]})
    plan.keyframes["a"] = [{"t": 2.0}]
    with pytest.raises(TTMInputError, match=r"^plan\.keyframes\['a'\]\[0\]\.t: must be within 0\.\.1"):
        plan_motion(objs, plan, 3)


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


# ---- compose: the target box is only an optimisation ------------------------------------------

CH, CW = 40, 44


def _full_frame_warp(crop, box, affine):
    """Reference: warp the crop into the whole frame (no target box), same sampling as compose."""
    import cv2

    lin = affine[:, :2]
    m = np.empty((2, 3))
    m[:, :2] = lin
    m[:, 2] = lin @ np.array([box[0], box[1]], dtype=np.float64) + affine[:, 2]
    out = cv2.warpAffine(crop, m, (CW, CH), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out.astype(bool)


def _similarity(theta, s, d, c=(21.5, 19.5)):
    lin = s * np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    c = np.asarray(c)
    return np.concatenate([lin, (c + np.asarray(d, dtype=np.float64) - lin @ c)[:, None]], 1)


def test_warping_into_the_target_box_equals_warping_into_the_whole_frame():
    """Rotations, scales up to 5 (a one-pixel error at a corner becomes several), edges, shifts, stretches, shears."""
    from ttm_core.motion.compose import warp_mask_into

    crop = np.ones((4, 6), np.uint8)
    crop[1, 2] = 0  # not quite a rectangle
    box = (19, 18, 25, 22)
    rng = np.random.default_rng(0)
    affines = [_similarity(rng.uniform(0, 2 * math.pi), rng.uniform(0.5, 5.0), rng.uniform(-8, 8, 2)) for _ in range(80)]
    affines += [_similarity(0.3, 1.5, (-21.0, 0.0)), _similarity(2.0, 2.0, (0.0, -19.0))]  # cut by the left/top edge
    eye = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    for i, j, v in [(0, 2, 1.0), (1, 2, 1.0), (0, 2, 0.6), (0, 0, 2.0), (1, 1, 2.0), (0, 1, 1.0), (1, 0, 1.0)]:
        affines.append(eye.copy())  # one-pixel and 0.6-pixel shifts, a stretch and a shear along each axis
        affines[-1][i, j] = v
    for i, affine in enumerate(affines):
        frame = np.zeros((CH, CW), np.uint8)
        warp_mask_into(frame, crop, box, affine, 3)
        want = _full_frame_warp(crop, box, affine)
        assert np.array_equal(frame == 3, want), i
        assert set(np.unique(frame).tolist()) <= {0, 3}, i
    assert any(_full_frame_warp(crop, box, a)[:, 0].any() for a in affines)  # column 0 was exercised


def test_an_object_moved_just_below_the_frame_paints_nothing():
    from ttm_core.motion.compose import warp_mask_into

    crop = np.ones((4, 6), np.uint8)
    frame = np.zeros((CH, CW), np.uint8)
    # top edge at 1 - 0.5 + CH + 1: the box starts at row CH, an empty strip
    warp_mask_into(frame, crop, (8, 1, 14, 5), np.array([[1.0, 0.0, 0.0], [0.0, 1.0, CH + 1.0]]), 1)
    assert not frame.any()


# ---- paths mode options -------------------------------------------------------------------------


def _still_paths():
    return {"a": [[1.5, 1.5], [1.5, 1.5 + 1e-9]], "b": [[5.5, 3.5], [5.5, 3.5 + 1e-9]]}


def test_one_scale_number_applies_to_every_object():
    traj = paths_motion(_objects(), _still_paths(), 3, scale=2.0)
    assert traj.affines[-1, :, 0, 0].tolist() == [2.0, 2.0]  # end scale 2 for both, about each centroid


def test_paths_option_errors_name_the_option():
    objs = _objects()
    with pytest.raises(TTMInputError, match=r"^scale: mentions \['dog'\]"):
        paths_motion(objs, _still_paths(), 3, scale={"dog": 2.0})
    with pytest.raises(TTMInputError, match=r"^z: mentions \['dog'\]"):
        paths_motion(objs, _still_paths(), 3, z={"dog": 1.0})
    for bad in (True, float("inf"), float("nan")):
        with pytest.raises(TTMInputError, match=r"^z\['a'\]: must be a finite number"):
            paths_motion(objs, _still_paths(), 3, z={"a": bad})
    with pytest.raises(TTMInputError, match=r"^scale\['a'\]: scales must be finite numbers > 0"):
        paths_motion(objs, _still_paths(), 3, scale={"a": 0.0})
    with pytest.raises(TTMInputError, match=r"^my_paths: expected a dict of paths"):
        paths_motion(objs, 42, 3, input_name="my_paths")
    # a one-value list is read relative to its first value: constant 1
    assert scale_curve([2.0], 3, "scale").tolist() == [1.0, 1.0, 1.0]


def test_paths_progress_and_interrupt():
    calls = []
    paths_motion(_objects(), _still_paths(), 3, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]  # one step per frame
    with pytest.raises(TTMInterrupted):
        paths_motion(_objects(), _still_paths(), 3, interrupt=lambda: True)


def test_object_geometry_of_a_single_pixel_object():
    from ttm_core.motion.measure import object_geometry

    labels = torch.zeros(4, 5, dtype=torch.long)
    labels[2, 3] = 1  # one pixel at (x=3, y=2)
    labels[0, 0:2] = 2  # two pixels, centroid (0.5, 0)
    cents, boxes = object_geometry(labels, 2)
    assert cents.tolist() == [[3.0, 2.0], [0.5, 0.0]]
    assert boxes == [(3, 2, 4, 3), (0, 0, 2, 1)]


# ---- the last mutants of the full run: geometry bounds, entry-point defaults, frame times ------


def test_object_geometry_boxes_in_a_tall_image_and_at_column_0():
    from ttm_core.motion.measure import object_geometry

    labels = torch.zeros(10, 3, dtype=torch.long)  # taller than wide
    labels[6:9, 1] = 1  # rows 6..8 of column 1: below row 3 (the width)
    labels[0:2, 0] = 2  # only in column 0 and rows 0..1
    cents, boxes = object_geometry(labels, 2)
    assert boxes == [(1, 6, 2, 9), (0, 0, 1, 2)]  # exclusive far sides, by hand
    assert cents.tolist() == [[1.0, 7.0], [0.0, 0.5]]


def test_image_to_motion_defaults_to_plan_mode_at_16_fps():
    plan = {"a": [{"t": 1.0, "dx": 0.5}]}
    default = image_to_motion(_objects(), plan, 3)
    explicit = image_to_motion(_objects(), plan, 3, "plan", fps=16.0)
    assert default.fps == 16.0
    assert torch.equal(default.labels, explicit.labels)
    assert torch.equal(default.affines, explicit.affines)


@pytest.mark.parametrize("mode, source, own", [
    ("plan", {"a": [{"t": 1.0, "dx": 0.5}]}, ["input_name"]),
    ("paths", {"a": [[1.5, 1.5], [2.5, 1.5]]}, ["anchor", "input_name", "normalized", "scale", "timing", "z"]),
])
def test_an_unknown_option_is_refused_with_the_modes_own_options_only(mode, source, own):
    # the documented options of each mode (and the input name used in errors); fps, progress and
    # interrupt are image_to_motion's own arguments, never options to list
    with pytest.raises(TTMInputError, match=r"^options: ") as err:
        image_to_motion(_objects(), source, 3, mode, bogus=1)
    text = str(err.value)
    assert f"use {own}" in text
    for word in ("fps", "progress", "interrupt"):
        assert word not in text


def test_frame_times_are_float64_for_one_frame_and_many():
    assert frame_times(1).dtype == torch.float64 and frame_times(1).tolist() == [0.0]
    times = frame_times(5)
    assert times.dtype == torch.float64 and times.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
