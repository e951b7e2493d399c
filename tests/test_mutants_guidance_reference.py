"""Tests from surviving guidance mutants: composing the reference video (z-order, revealed plate,
hold maps, sources, pastes, per-object transforms, warping one patch).

Expected values are hand computations, OpenCV called directly and dense references; verdicts on
the survivors not killed here are in ``docs/mutation-survivors/guidance.md``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch

from ttm_core.errors import TTMInputError
from ttm_core.guidance.compose import Paste, z_order
from ttm_core.guidance.inpaint import _RADIUS
from ttm_core.guidance.similarity import mask_stats
from ttm_core.guidance.warp import bounding_box
from guidance_helpers import IDENTITY, _shift


# --- z_order by the label map's votes -------------------------------------------------------


def _cells(index, x0, x1, columns):
    """Object ``index`` over the one-row region [x0, x1), its pixels at absolute ``columns``."""
    where = np.zeros((1, x1 - x0), bool)
    where[0, [c - x0 for c in columns]] = True
    return Paste(index, (x0, 0, x1, 1), where, np.zeros((1, x1 - x0, 3), np.float32))


def test_z_order_counts_only_the_pixels_both_objects_cover():
    # 1 covers columns 0..3, 2 covers 3..4; only column 3 is shared and the labels show 2 there,
    # so 2 is in front, although 1's own pixels (labelled 1) outnumber it inside the overlap box
    labels = np.array([[1, 1, 1, 2, 2]], np.uint8)
    pastes = [_cells(1, 0, 5, [0, 1, 2, 3]), _cells(2, 0, 5, [3, 4])]
    assert [p.index for p in z_order(pastes, labels, None)] == [1, 2]
    labels[0, 3] = 1  # now 1 shows on the shared pixel: 1 in front
    assert [p.index for p in z_order(pastes, labels, None)] == [2, 1]


def test_z_order_goes_on_after_pairs_that_share_no_pixel():
    # 1 and 2 have disjoint boxes, 1 and 3 overlapping boxes but no shared pixel; only 1 and 4
    # share a pixel (column 3), and the labels show 1 there: 4 goes behind everything
    labels = np.array([[1, 3, 0, 1, 2, 2]], np.uint8)
    pastes = [_cells(1, 0, 4, [0, 3]), _cells(2, 4, 6, [4, 5]), _cells(3, 1, 3, [1]), _cells(4, 3, 4, [3])]
    assert [p.index for p in z_order(pastes, labels, None)] == [4, 2, 3, 1]


def test_z_order_scores_one_point_per_overlap_won_and_lost():
    # four shared pixels, one per pair: 1 over 3, 2 over 3, 2 over 4, 5 over 2. Scores
    # (won - lost): 1: 1, 2: 2 - 1 = 1, 3: -2, 4: -1, 5: 1, so back to front 3, 4, then the
    # tied 1, 2, 5 by index
    labels = np.array([[1, 2, 2, 5]], np.uint8)
    pastes = [_cells(1, 0, 4, [0]), _cells(2, 0, 4, [1, 2, 3]), _cells(3, 0, 4, [0, 1]),
              _cells(4, 0, 4, [2]), _cells(5, 0, 4, [3])]
    assert [p.index for p in z_order(pastes, labels, None)] == [3, 4, 1, 2, 5]


# --- the plate revealed behind moved objects; per-object transforms; per-object settings ------


def test_reveal_plate_goes_on_to_the_next_object_after_a_still_one():
    from ttm_core.guidance.compose import reveal_plate

    origin = np.zeros((4, 8), bool)
    origin[1:3, 0:2] = True  # object 1, still: its pixels are still covered by itself
    origin[1:3, 5:7] = True  # object 2, moved away: its first-frame place is uncovered
    shown = np.zeros((4, 8), np.uint8)
    shown[1:3, 0:2] = 1
    frame, plate = np.zeros((4, 8, 3), np.float32), np.ones((4, 8, 3), np.float32)
    reveal_plate(frame, shown, plate, origin, origin.copy(), [(0, 1, 2, 3), (5, 1, 7, 3)], None)
    revealed = frame[..., 0] == 1.0
    assert np.array_equal(revealed, origin & (shown == 0))  # exactly object 2's old place


def test_object_transforms_of_an_object_at_the_left_edge_and_absent_frames():
    from ttm_core.guidance.reference import _object_transforms
    from ttm_core.guidance.warp import make_source, object_boxes

    labels = np.zeros((3, 6, 8), np.uint8)
    labels[0, 1:4, 0:3] = 1  # touching the left edge (its box starts at x = 0)
    labels[1, 1:4, 2:5] = 1  # two pixels to the right; frame 2: gone
    image = np.random.default_rng(0).random((6, 8, 3)).astype(np.float32)
    source = make_source(image, labels[0] == 1, 1, mask_stats(labels[0], 1, (0, 1, 3, 4)))
    out = _object_transforms(source, labels, object_boxes(labels, 1), None, ["box"], [])
    assert out.dtype == np.float64
    np.testing.assert_allclose(out[0], IDENTITY, atol=1e-9)
    np.testing.assert_allclose(out[1], _shift(2, 0), atol=1e-9)
    assert np.isnan(out[2]).all()


def test_per_object_settings_refuse_booleans_and_say_what_to_do_without_objects():
    from ttm_core.guidance.clocks import check_per_object

    with pytest.raises(TTMInputError, match=r"^hold_end\['dog'\]"):
        check_per_object({"dog": True}, ["dog"], "hold_end", 0.1)  # a bool is not a 0..1 number
    with pytest.raises(TTMInputError, match="^hold_end") as err:
        check_per_object({"dog": 0.5}, [], "hold_end", 0.1)
    assert "e.g. leave it empty." in str(err.value)
    assert check_per_object({"dog": 1}, ["dog", "cat"], "hold_end", 0.1) == {"dog": 1.0}


@pytest.mark.parametrize("height, width", [(600, 520), (1536, 1536)])
def test_a_large_crop_is_inpainted_at_the_pixel_budget_and_scaled_back(height, width):
    from ttm_core.guidance.inpaint import _MAX_PIXELS, _opencv_inpaint

    rng = np.random.default_rng(5)
    crop = cv2.resize(rng.random((30, 26, 3)).astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
    crop = np.clip(crop, 0.0, 1.0)
    holes = np.zeros((height, width), bool)
    holes[101:203, 99:301] = True  # edges off the 3-pixel grid of the 1/3 scale
    # the reference pipeline, step by step: scale sqrt(budget / pixels), INTER_AREA down (a small
    # pixel touching a hole is a hole), 8-bit Telea, INTER_LINEAR back up
    scale = math.sqrt(_MAX_PIXELS / (height * width))  # 0.917, and 1/3 (a 3 x 3 area per pixel)
    size = (round(width * scale), round(height * scale))
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    mask = (cv2.resize(holes.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0).astype(np.uint8)
    u8 = np.clip(np.rint(small * 255.0), 0, 255).astype(np.uint8)
    filled = cv2.inpaint(u8, mask, _RADIUS, cv2.INPAINT_TELEA).astype(np.float32) / np.float32(255.0)
    want = cv2.resize(filled, (width, height), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(_opencv_inpaint(crop, holes, "telea"), want)


# --- warping one object's patch; its source; the hole boxes ---------------------------------


def test_warp_into_interpolates_the_colour_replicates_it_past_the_patch_and_fades_coverage():
    from ttm_core.guidance.warp import ObjectSource, warp_into

    row = np.array([0.0, 0.4, 1.0], np.float32)
    colour = np.repeat(np.stack([row, row])[..., None], 3, axis=2)  # a 2 x 3 patch at (2, 1)
    source = ObjectSource(1, np.zeros((4, 8), bool), (2, 1, 5, 3), colour, np.ones((2, 3), np.float32),
                          np.zeros((0, 2)), None)
    # half a pixel to the right, over the region x 2..5: each pixel reads x - 0.5 of the patch
    out, alpha = warp_into(source, _shift(0.5, 0.0), (2, 1, 6, 3))
    np.testing.assert_allclose(out[0, :, 0], [0.0, 0.2, 0.7, 1.0], atol=1e-6)  # the ends replicated
    np.testing.assert_allclose(alpha[0], [0.5, 1.0, 1.0, 0.5], atol=1e-6)  # outside the patch: 0
    assert warp_into(source, _shift(0.5, 0.0), (2, 1, 6, 3), coverage=False)[1] is None


def test_make_source_points_keep_the_masks_centroid_when_thinned():
    from ttm_core.guidance.warp import make_source

    mask = np.zeros((90, 90), bool)
    mask[5:76, 8:81] = True  # 71 x 73 = 5 183 pixels: the point grid is thinned to every 2nd
    mask[5:40, 8:20] = False  # an L shape, so the thinned grid's own centroid is off
    labels = mask.astype(np.uint8)
    stats = mask_stats(labels, 1, bounding_box(mask))
    source = make_source(np.zeros((90, 90, 3), np.float32), mask, 1, stats)
    assert len(source.points) < mask.sum() / 3
    np.testing.assert_allclose(source.points.mean(axis=0), np.argwhere(mask)[:, ::-1].mean(axis=0), atol=1e-9)
    assert source.alpha.dtype == np.float32


def test_hole_boxes_grow_by_the_margin_and_stop_at_the_frame():
    from ttm_core.guidance.reference import _grow

    assert _grow((0, 0, 3, 3), 2, 10, 12) == (0, 0, 5, 5)
    assert _grow((4, 5, 11, 9), 2, 10, 12) == (2, 3, 12, 10)


def test_given_affines_are_checked_per_object_and_disagreeing_frames_named():
    from ttm_core.guidance.reference import _object_transforms
    from ttm_core.guidance.warp import make_source, object_boxes

    labels = np.zeros((2, 8, 12), np.uint8)
    labels[0, 1:4, 1:4], labels[0, 5:8, 7:10] = 1, 2
    labels[1, 1:4, 3:6], labels[1, 5:8, 7:10] = 1, 2  # 1 moves right by 2, 2 stays
    boxes = object_boxes(labels, 2)
    affines = torch.tensor(np.stack([np.stack([IDENTITY, IDENTITY]), np.stack([_shift(2, 0), _shift(-5, 0)])]),
                           dtype=torch.float32)  # [T, K, 2, 3]; object 2's frame-1 map is wrong
    image = np.zeros((8, 12, 3), np.float32)
    notes: list[str] = []
    got = {}
    for k in (1, 2):
        source = make_source(image, labels[0] == k, k, mask_stats(labels[0], k, tuple(boxes[0, k - 1])))
        got[k] = _object_transforms(source, labels, boxes, affines, ["a", "b"], notes)
    np.testing.assert_allclose(got[1][1], _shift(2, 0))  # given and agreeing: used as given
    np.testing.assert_allclose(got[2][1], IDENTITY, atol=1e-9)  # disagreeing: the masks' estimate
    assert len(notes) == 1 and notes[0].startswith("object 'b'") and "1 frame(s) (1)" in notes[0]


# --- structuring elements, dilation and the per-frame hold maps -----------------------------


def test_disc_is_none_only_for_radius_zero_and_a_cross_for_radius_one():
    from ttm_core.guidance.compose import disc

    assert disc(0) is None
    assert disc(1).tolist() == [[0, 1, 0], [1, 1, 1], [0, 1, 0]]


def test_dilate_keeps_the_masks_dtype_and_grows_by_the_kernel():
    from ttm_core.guidance.compose import dilate, disc

    mask = np.zeros((5, 5), np.uint8)
    mask[2, 2] = 1
    cross = [[0, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 0]]
    grown = dilate(mask, disc(1))
    assert grown.dtype == np.uint8 and grown.tolist() == cross
    as_bool = dilate(mask.astype(bool), disc(1))
    assert as_bool.dtype == bool and as_bool.astype(int).tolist() == cross
    assert dilate(mask, None) is mask


def _hold(strengths, with_strength, margin=1):
    from ttm_core.guidance.compose import disc, hold_maps
    from ttm_core.guidance.warp import object_boxes

    labels = np.zeros((5, 8), np.uint8)
    labels[1:4, 0:2] = 1  # at the left edge
    labels[1:4, 3:5] = 2  # one column apart: their dilations overlap on column 2
    hold = np.zeros((5, 8), bool)
    strength = np.zeros((5, 8), np.float32) if with_strength else None
    owner = np.zeros((5, 8), np.uint8)
    hold_maps(labels, object_boxes(labels[None], 3)[0], strengths, disc(1), margin, hold, strength, owner)
    return hold, strength, owner


def test_hold_maps_hold_an_object_at_the_edge_and_go_on_past_an_absent_one():
    hold, strength, owner = _hold({3: 1.0, 1: 0.3, 2: 0.9}, True)  # 3 is absent in this frame
    assert hold[1:4, 0].all() and hold[2, 5] and not hold[2, 6]  # column 0 held, 2 dilated by one (margin 1)
    assert strength[2, 0] == np.float32(0.3) and strength[2, 4] == np.float32(0.9)
    assert strength[2, 2] == np.float32(0.9) and owner[2, 2] == 2  # the stronger hold owns the overlap
    assert owner[2, 0] == 1
    edge, _, _ = _hold({1: 1.0}, False, margin=2)
    assert edge[0:5, 0].tolist() == [True, True, True, True, True]  # the margin box starts at 0


def test_without_a_strength_map_every_hold_weighs_one_and_the_first_object_owns_overlaps():
    hold, strength, owner = _hold({1: 0.3, 2: 0.9}, False)
    assert strength is None and owner[2, 2] == 1 and owner[2, 4] == 2


# --- the reference's sources and pastes ----------------------------------------------------


def test_sources_skip_an_object_missing_from_the_first_frame_and_keep_the_rest():
    from ttm_core.guidance.reference import _sources

    first = np.zeros((4, 6), np.uint8)
    first[1:3, 3:5] = 2
    notes: list[str] = []
    sources = _sources(np.zeros((4, 6, 3), np.float32), first, ["gone", "here"], notes)
    assert list(sources) == [2] and sources[2].box[0] <= 3
    assert len(notes) == 1 and "'gone'" in notes[0]


@pytest.mark.parametrize("fit", ["masks", "affines"])
def test_frame_pastes_go_on_past_an_object_without_a_transform_or_off_screen(fit):
    from ttm_core.guidance.reference import _frame_pastes, _sources
    from ttm_core.guidance.warp import object_boxes

    first = np.zeros((6, 10), np.uint8)
    first[1:3, 1:3], first[1:3, 6:8] = 1, 2
    sources = _sources(np.ones((6, 10, 3), np.float32), first, ["a", "b"], [])
    gone = np.full((2, 3), np.nan) if fit == "masks" else _shift(40.0, 0.0)  # absent / off screen
    affines = np.stack([gone, IDENTITY])
    labels = first.copy()
    labels[first == 1] = 0
    pastes = _frame_pastes(sources, affines, labels, object_boxes(labels[None], 2)[0], fit)
    assert [p.index for p in pastes] == [2]


def test_a_half_covered_pixel_belongs_to_the_paste():
    from ttm_core.guidance.reference import _frame_pastes, _sources
    from ttm_core.guidance.warp import object_boxes

    first = np.zeros((6, 10), np.uint8)
    first[2:4, 3:6] = 1  # 3 columns; shifted by half a pixel it covers 4 columns, the end ones half
    sources = _sources(np.ones((6, 10, 3), np.float32), first, ["a"], [])
    (paste,) = _frame_pastes(sources, _shift(0.5, 0.0)[None], first, object_boxes(first[None], 1)[0], "affines")
    assert paste.where.any(axis=0).sum() == 4


def test_reference_video_without_an_owner_map_and_with_a_wrong_one():
    from ttm_core.guidance.reference import ReferenceVideo

    args = (torch.zeros(1, 2, 2, 3), torch.zeros(1, 2, 2, dtype=torch.bool), torch.zeros(2, 2, 3),
            torch.zeros(1, 2, 2, dtype=torch.uint8), torch.zeros(1, 1, 2, 3), ["dog"])
    assert ReferenceVideo(*args).owner is None
    with pytest.raises(TTMInputError, match="^owner"):
        ReferenceVideo(*args, owner=torch.zeros(1, 3, 2, dtype=torch.uint8))


def _moving_box_reference(**options):
    from ttm_core.guidance import build_reference_video
    from ttm_core.types import MaskTrajectory

    labels = torch.zeros(3, 24, 32, dtype=torch.uint8)
    for t in range(3):
        labels[t, 8:14, 4 + 6 * t : 12 + 6 * t] = 1  # a box moving right by 6 px per frame
    image = torch.from_numpy(np.random.default_rng(7).random((24, 32, 3)).astype(np.float32))
    return build_reference_video(image, MaskTrajectory(labels, ["box"]), **options)


def test_reference_fills_the_background_with_the_chosen_method_and_keeps_its_dtypes():
    telea, ns = _moving_box_reference(inpaint="telea"), _moving_box_reference(inpaint="ns")
    assert not torch.equal(telea.background, ns.background)  # the method asked for is the one used
    assert torch.equal(_moving_box_reference().background, telea.background)  # telea by default
    ref = _moving_box_reference(hold_margin=5, hold_strength={"box": 0.5})
    assert ref.hold_margin == 5
    assert ref.owner.dtype == torch.uint8 and ref.transforms.dtype == torch.float32
