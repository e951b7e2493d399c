"""Guidance bookkeeping against independent expectations: real diffusers schedulers' own configs,
the hand-written 50-step clock table, OpenCV's inpainting called directly, a hand-drawn overlap
chain, and angles worked out by hand (written from mutants that survived the guidance tests)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from ttm_core.guidance.anchoring import AnchorConfig, is_flow_scheduler, scheduler_shift
from ttm_core.guidance.compose import Paste, z_order
from ttm_core.guidance.inpaint import _opencv_inpaint
from ttm_core.guidance.reference import _frames_text
from ttm_core.guidance.similarity import _nearest_turn


class CustomScheduler:  # a scheduler of no known family: only its config can say it is a flow one
    def __init__(self, **config):
        self.config = SimpleNamespace(**config)


def test_flow_schedulers_are_told_apart_by_name_by_flow_sigmas_or_by_flow_prediction():
    from diffusers import DDIMScheduler, FlowMatchEulerDiscreteScheduler, UniPCMultistepScheduler

    assert is_flow_scheduler(FlowMatchEulerDiscreteScheduler())  # by its family alone
    assert is_flow_scheduler(UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True))
    assert not is_flow_scheduler(UniPCMultistepScheduler())  # epsilon prediction, no flow sigmas
    assert not is_flow_scheduler(DDIMScheduler())
    assert is_flow_scheduler(CustomScheduler(prediction_type="flow_prediction"))
    assert is_flow_scheduler(CustomScheduler(use_flow_sigmas=True))
    assert not is_flow_scheduler(CustomScheduler(prediction_type="epsilon"))


def test_the_shift_is_read_where_each_scheduler_family_keeps_it():
    from diffusers import FlowMatchEulerDiscreteScheduler, UniPCMultistepScheduler

    assert scheduler_shift(FlowMatchEulerDiscreteScheduler(shift=3.0)) == 3.0
    assert scheduler_shift(UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True,
                                                   flow_shift=5.0)) == 5.0
    assert scheduler_shift(CustomScheduler(shift=2.5)) == 2.5  # no use_flow_sigmas: the plain "shift"
    assert scheduler_shift(CustomScheduler()) == 1.0


def _unipc(steps: int):
    from diffusers import UniPCMultistepScheduler

    sched = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=5.0)
    sched.set_timesteps(steps)
    return sched


@pytest.mark.parametrize("ends,dog,cat,latest", [
    # at 50 steps the clocks keep round(t * 50) (hand table in test_clocks): 0.14 -> 7, 0.3 -> 15, 0.02 -> 1
    ({"dog": 0.3}, 15, 7, 15),
    ({"dog": 0.02}, 1, 7, 7),
    ({"dog": 0.02, "cat": 0.3}, 1, 15, 15),
])
def test_a_per_object_hold_end_holds_that_object_and_the_longest_sets_the_latest_step(ends, dog, cat, latest):
    anchor, sched = AnchorConfig(hold_end=ends), _unipc(50)
    assert anchor.hold_until(sched, "dog") == dog and anchor.hold_until(sched, "cat") == cat
    assert anchor.hold_until(sched) == 7 and anchor.latest_until(sched) == latest


def _paste(index: int, x0: int, x1: int) -> Paste:
    where = np.ones((4, x1 - x0), dtype=bool)
    return Paste(index, (x0, 0, x1, 4), where, np.zeros((4, x1 - x0, 3), np.float32))


def test_z_order_follows_a_chain_of_overlaps_each_counted_once():
    # 1 [0, 6) and 3 [4, 10) overlap, the labels show 1 there: 1 is in front of 3;
    # 2 [8, 14) and 3 overlap, the labels show 3 there: 3 is in front of 2; 1 and 2 never meet
    labels = np.zeros((4, 14), np.uint8)
    labels[:, 0:6], labels[:, 6:10], labels[:, 10:14] = 1, 3, 2
    pastes = [_paste(1, 0, 6), _paste(2, 8, 14), _paste(3, 4, 10)]
    assert [p.index for p in z_order(pastes, labels, None)] == [2, 3, 1]  # back to front


@pytest.mark.parametrize("method,flag", [("telea", "INPAINT_TELEA"), ("ns", "INPAINT_NS")])
def test_small_crops_are_inpainted_by_the_named_opencv_method_at_full_resolution(method, flag):
    import cv2

    rng = np.random.default_rng(0)
    crop = rng.random((24, 32, 3), dtype=np.float32)
    holes = np.zeros((24, 32), bool)
    holes[8:16, 10:22] = True
    u8 = np.clip(np.rint(crop * 255.0), 0, 255).astype(np.uint8)
    expected = cv2.inpaint(u8, holes.astype(np.uint8), 3, getattr(cv2, flag)).astype(np.float32) / 255.0
    np.testing.assert_array_equal(_opencv_inpaint(crop, holes, method), expected)


def test_a_crop_over_the_pixel_budget_is_inpainted_smaller_and_brought_back_to_its_size():
    crop = np.full((600, 520, 3), 0.5, np.float32)  # 312 000 pixels > 512 * 512
    holes = np.zeros((600, 520), bool)
    holes[100:200, 100:300] = True
    out = _opencv_inpaint(crop, holes, "telea")
    assert out.shape == (600, 520, 3)
    grey = 128 / 255  # 0.5 as the uint8 OpenCV works in
    np.testing.assert_allclose(out[300:], grey, atol=1.01 / 255)  # far from the hole: the image, to 8 bits
    np.testing.assert_allclose(out[100:200, 100:300], grey, atol=0.05)  # a flat image fills about flat


def test_frames_text_lists_up_to_eight_frames():
    assert _frames_text([3, 5, 9]) == "3, 5, 9"
    assert _frames_text(list(range(10))) == "0, 1, 2, 3, 4, 5, 6, 7, ..."
    assert _frames_text(list(range(8))) == "0, 1, 2, 3, 4, 5, 6, 7"  # exactly eight: nothing left out


@pytest.mark.parametrize("delta,reference,expected", [
    (3.0, 0.0, 3.0 - math.pi), (-3.0, 0.0, -3.0 + math.pi), (0.1, 0.0, 0.1), (1.0, math.pi, 1.0 + math.pi),
])
def test_nearest_turn_picks_the_axis_rotation_closest_to_the_reference(delta, reference, expected):
    assert _nearest_turn(delta, reference) == pytest.approx(expected, abs=1e-12)


def test_bounding_box_is_exclusive_at_the_far_sides():
    from ttm_core.guidance.warp import bounding_box

    mask = np.zeros((8, 10), bool)
    mask[2:5, 3:7] = True
    assert bounding_box(mask) == (3, 2, 7, 5)
    assert bounding_box(np.zeros((4, 4), bool)) is None


def test_an_object_at_the_top_left_corner_keeps_its_patch_from_pixel_0_and_extends_by_nearest_colour():
    from ttm_core.guidance.similarity import mask_stats
    from ttm_core.guidance.warp import make_source

    labels = np.zeros((10, 12), np.uint8)
    labels[0:3, 0:4] = 1  # the object: rows 0..2, columns 0..3
    image = np.zeros((10, 12, 3), np.float32)
    image[0:3, 0:4, 0] = np.arange(4, dtype=np.float32) / 4  # red rises to the right, per column
    image[0:3, 0:4, 1] = np.arange(3, dtype=np.float32)[:, None] / 3  # green rises downwards, per row
    source = make_source(image, labels == 1, 1, mask_stats(labels, 1, (0, 0, 4, 3)))
    assert source.box == (0, 0, 4 + 2, 3 + 2)  # padded by 2 where the frame allows, never below 0
    np.testing.assert_array_equal(source.alpha, (labels == 1)[0:5, 0:6].astype(np.float32))
    # outside the object each pixel takes its nearest object pixel: to the right, the last column
    # of its row; below, the last row of its column
    np.testing.assert_array_equal(source.colour[1, 5], image[1, 3])
    np.testing.assert_array_equal(source.colour[4, 2], image[2, 2])


def test_trajectory_objects_missing_from_the_object_set_keep_their_own_first_frame_pixels():
    import torch

    from ttm_core.guidance.reference import _source_labels
    from ttm_core.types import MaskTrajectory, ObjectSet

    first = torch.zeros(6, 8, dtype=torch.uint8)
    first[1:3, 0:3], first[3:5, 5:8] = 1, 2  # dog (1) top left, cat (2) bottom right
    traj = MaskTrajectory(first[None].repeat(2, 1, 1), ["dog", "cat"], 8.0)
    seg = torch.zeros(6, 8, dtype=torch.long)
    seg[1:4, 0:2] = 1  # the segmenter's dog, a little different; it has no cat
    expected = np.zeros((6, 8), np.uint8)
    expected[1:4, 0:2] = 1  # the dog as segmented
    expected[3:5, 5:8] = 2  # the cat from the trajectory, in the trajectory's numbering
    np.testing.assert_array_equal(_source_labels(traj, ObjectSet(seg, ["dog"])), expected)
