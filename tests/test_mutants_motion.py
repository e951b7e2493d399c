"""Tests written from surviving mutants of ``ttm_core/motion`` (tools/mutation.py, group motion).

Expected values are drawn or computed by hand on tiny label maps and paths, follow from the
documented rules (pixel centres, frame times evenly spread over 0..1, ``A (p - c) + c + d``,
frame 0 shows the input), or come from the project's error rule (a bad input is a
:class:`TTMInputError` whose message starts with the input's name). Verdicts on the survivors not
killed here are in ``docs/mutation-survivors/motion.md``.
"""

from __future__ import annotations

import inspect
import math

import pytest
import torch

from ttm_core import image_to_motion
from ttm_core.errors import TTMInputError, TTMInterrupted
from ttm_core.motion.affine import is_identity
from ttm_core.motion.compose import compose_affine_trajectory
from ttm_core.motion.masks import masks_motion
from ttm_core.motion.measure import label_stats, mask_iou
from ttm_core.motion.paths import paths_motion
from ttm_core.motion.plan import as_plan, keyframe_states, plan_motion
from ttm_core.motion.timeline import frame_times, resample_time_nearest
from ttm_core.types.plan import PromptPlan
from tiny_objects import H, W, block, one_object, two_objects


# ---- masks mode --------------------------------------------------------------------------------


def test_a_float_mask_is_thresholded_strictly_above_one_half():
    """A ComfyUI MASK batch (one object, float 0..1): 0.5 is background, the 1.0 block is the object."""
    objs = one_object()
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
    objs = one_object()
    for dtype in (torch.float32, torch.int64):
        video = torch.zeros(2, H, W, dtype=dtype)
        video[:, 1:3, 1:3] = 1
        video[1, 0, 0] = 2
        with pytest.raises(TTMInputError, match=r"^masks: labels must be within 0\.\.1"):
            masks_motion(objs, video, 2)


def test_a_mask_with_minus_infinity_is_a_named_error():
    # max() is 1.0, so this takes the single-object MASK path; its finiteness check names the input
    objs = one_object()
    src = torch.zeros(2, H, W)
    src[:, 1:3, 1:3] = 1.0
    src[1, 0, 0] = -math.inf
    with pytest.raises(TTMInputError, match=r"^masks: contains NaN or infinite"):
        masks_motion(objs, src, 2)


def test_non_finite_values_name_the_object_in_lists_and_4d_batches():
    objs = two_objects()
    a = torch.stack([block(1, 1), block(1, 2)]).float()
    b = torch.stack([block(3, 5), block(3, 4)]).float()
    bad_b = b.clone()
    bad_b[1, 0, 0] = float("nan")
    with pytest.raises(TTMInputError, match=r"^masks\[1\] \(object 'b'\): contains NaN"):
        masks_motion(objs, [a, bad_b], 2)
    with pytest.raises(TTMInputError, match=r"^masks\[object 'b'\]: contains NaN"):
        masks_motion(objs, torch.stack([a, bad_b], 1), 2)


def test_frame_count_and_size_errors_name_the_input_in_every_layout():
    objs = two_objects()
    a3 = torch.stack([block(1, 1)] * 3)
    b3 = torch.stack([block(3, 5)] * 3)
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
    objs = two_objects()
    b = torch.stack([block(3, 5), block(3, 3)])  # b moves left by 2
    traj = masks_motion(objs, [None, b], 2)
    want = torch.zeros(H, W, dtype=torch.uint8)
    want[1:3, 1:3] = 1
    want[3:5, 3:5] = 2
    assert torch.equal(traj.labels[1], want)


def test_a_two_object_label_video_that_only_holds_label_one():
    """A label video with labels 0..1 for two objects is a label video (b is hidden), not one mask.

    Frame 0 is the input whatever the video's dtype (a bool video keeps object b's label 2 there).
    """
    objs = two_objects()
    video = torch.zeros(2, H, W, dtype=torch.int64)
    video[0, 1:3, 1:3] = 1
    video[1, 1:3, 2:4] = 1  # a moved right by one, b gone
    for source in (video, video.bool()):
        traj = masks_motion(objs, source, 2)
        assert torch.equal(traj.labels[0].long(), objs.labels)
        assert torch.equal(traj.labels[1].long(), video[1])
        assert traj.visible[:, 1].tolist() == [True, False]


def test_masks_z_errors_name_z():
    objs = two_objects()
    with pytest.raises(TTMInputError, match=r"^z: mentions \['dog'\]"):
        masks_motion(objs, [None, None], 2, z={"dog": 1.0})


def test_masks_progress_and_interrupt():
    objs = two_objects()
    seqs = [torch.stack([block(1, 1)] * 2), torch.stack([block(3, 5)] * 2)]
    calls = []
    masks_motion(objs, seqs, 2, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]  # one step per object painted
    with pytest.raises(TTMInterrupted):
        masks_motion(objs, seqs, 2, interrupt=lambda: True)


def test_strategies_default_to_the_entry_points_frame_rate():
    default_fps = inspect.signature(image_to_motion).parameters["fps"].default
    objs = two_objects()
    assert masks_motion(objs, [None, None], 2).fps == default_fps
    assert plan_motion(objs, {"a": [{"t": 1.0, "dx": 0.25}]}, 2).fps == default_fps
    assert paths_motion(objs, {"a": [[1.5, 1.5], [3.5, 1.5]]}, 2).fps == default_fps
    eye = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=torch.float64).repeat(2, 2, 1, 1)
    assert compose_affine_trajectory(objs, eye, torch.zeros(2, 2)).fps == default_fps


def test_compose_keeps_the_scores_it_is_given():
    objs = two_objects()
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
    objs = two_objects()
    with pytest.raises(TTMInputError, match=r"^plan: .*dog"):
        plan_motion(objs, {"dog": [{"t": 1.0, "dx": 0.1}]}, 3)
    with pytest.raises(TTMInputError, match=r"^my_plan: expected a PromptPlan, got int"):
        plan_motion(objs, 42, 3, input_name="my_plan")
    # keyframes changed after the plan was made are checked again
    plan = as_plan({"a": [{"t": 1.0, "dx": 0.1}]})
    plan.keyframes["a"] = [{"t": 2.0}]
    with pytest.raises(TTMInputError, match=r"^plan\.keyframes\['a'\]\[0\]\.t: must be within 0\.\.1"):
        plan_motion(objs, plan, 3)


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
    default = image_to_motion(two_objects(), plan, 3)
    explicit = image_to_motion(two_objects(), plan, 3, "plan", fps=16.0)
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
        image_to_motion(two_objects(), source, 3, mode, bogus=1)
    text = str(err.value)
    assert f"use {own}" in text
    for word in ("fps", "progress", "interrupt"):
        assert word not in text


def test_frame_times_are_float64_for_one_frame_and_many():
    assert frame_times(1).dtype == torch.float64 and frame_times(1).tolist() == [0.0]
    times = frame_times(5)
    assert times.dtype == torch.float64 and times.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
