"""Tests written from surviving mutants of ``ttm_core/guidance`` (tools/mutation.py, group guidance).

Expected values are hand counts on tiny masks, OpenCV's own inpainting called directly, and a
brute-force bound over the whole patch outline; verdicts on the survivors not killed here are in
``docs/mutation-survivors/guidance.md``.
"""

from __future__ import annotations

import math

from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch

from ttm_core.errors import TTMInputError
from ttm_core.guidance.compose import Paste, z_order
from ttm_core.guidance.hold import HoldSchedule, ObjectHolds, noising_path
from ttm_core.guidance.inpaint import _RADIUS, fill_holes, push_pull
from ttm_core.guidance.similarity import (
    AGREEMENT, _containment, _explains, _match_visible_centroid, affine_agrees, mask_points, mask_stats, moment_transforms,
)
from ttm_core.guidance.warp import bounding_box, warped_box

IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _shift(dx, dy):
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])


def test_containment_counts_target_points_on_the_first_column_and_row():
    source = np.zeros((4, 5), bool)
    source[:, 0] = True  # the object is the first column
    column = np.array([[0, y] for y in range(4)], np.float64)
    assert _containment(IDENTITY, source, column) == 1.0  # every point maps back onto it
    row = np.zeros((4, 5), bool)
    row[0] = True
    assert _containment(IDENTITY, row, np.array([[x, 0] for x in range(5)], np.float64)) == 1.0


def test_containment_of_points_mapped_back_below_or_right_of_the_source_is_zero_not_an_error():
    source = np.ones((4, 5), bool)
    # two of four points map back one row below / one column right of the 5x4 source: they miss it
    points = np.array([[1, 1], [2, 3], [1, 4], [5, 2]], np.float64)
    assert _containment(IDENTITY, source, points) == 0.5


def test_explains_ignores_warped_points_that_leave_the_frame_at_the_bottom():
    labels = np.zeros((4, 5), np.int64)
    labels[1:4, 1:3] = 1  # the target object: rows 1-3, columns 1-2
    source = np.zeros((4, 5), bool)
    source[0:3, 1:3] = True  # the same object one row higher
    points = np.argwhere(source)[:, ::-1].astype(np.float64)  # (x, y) of its 6 pixels
    # moved down by one row it lands exactly on the target: explained fully
    assert _explains(_shift(0, 1), source, points, np.argwhere(labels == 1)[:, ::-1].astype(np.float64), labels, 1) == 1.0
    # moved down by two rows, its bottom row (2 of 6 pixels) leaves the frame at y = 4: it may
    # vanish there, so only the 4 points inside count; they land on rows 2-3 of the target (no
    # bare background), and the target's 6 pixels map back to rows -1..1 of the source, of which
    # rows 0-1 (4 pixels) are on it: min(1, 4/6)
    target = np.argwhere(labels == 1)[:, ::-1].astype(np.float64)
    assert _explains(_shift(0, 2), source, points, target, labels, 1) == pytest.approx(4 / 6)


@pytest.mark.parametrize("method, flag", [("telea", cv2.INPAINT_TELEA), ("ns", cv2.INPAINT_NS)])
def test_fill_holes_fills_by_the_named_opencv_method(method, flag):
    rng = np.random.default_rng(3)
    image = rng.uniform(0, 1, (24, 28, 3)).astype(np.float32)
    hole = np.zeros((24, 28), bool)
    hole[10:14, 12:17] = True
    out = fill_holes(image, hole, method)
    # the pad (4 * radius + 8 = 20 pixels) reaches every side: OpenCV sees the whole image
    u8 = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    want = cv2.inpaint(u8, hole.astype(np.uint8), _RADIUS, flag).astype(np.float32) / np.float32(255.0)
    assert np.array_equal(out[hole], want[hole])
    assert np.array_equal(out[~hole], image[~hole])  # pixels outside the hole are kept


def test_fill_holes_blur_is_the_push_pull_fill_of_its_padded_crop():
    rng = np.random.default_rng(4)
    image = rng.uniform(0, 1, (40, 40, 3)).astype(np.float32)
    hole = np.zeros((40, 40), bool)
    hole[18:22, 18:22] = True
    out = fill_holes(image, hole, "blur")
    # pad max(16, (4 + 3) // 4) = 16: the crop is rows/columns 2..37
    crop, holes = image[2:38, 2:38], hole[2:38, 2:38]
    want = push_pull(crop, ~holes)
    assert np.allclose(out[hole], want[holes], atol=1e-6)
    assert not np.allclose(out[hole], fill_holes(image, hole, "telea")[hole], atol=1e-3)  # not an OpenCV fill


def _brute_force_box(box, affine, height, width):
    """Bounds of the whole patch outline (its pixel squares' edges, densely sampled), warped."""
    x0, y0, x1, y1 = box
    t = np.linspace(0.0, 1.0, 201)
    left, right, top, bottom = x0 - 0.5, x1 - 0.5, y0 - 0.5, y1 - 0.5
    outline = np.concatenate([
        np.stack([left + (right - left) * t, np.full_like(t, top)], 1),
        np.stack([left + (right - left) * t, np.full_like(t, bottom)], 1),
        np.stack([np.full_like(t, left), top + (bottom - top) * t], 1),
        np.stack([np.full_like(t, right), top + (bottom - top) * t], 1),
    ])
    mapped = outline @ affine[:, :2].T + affine[:, 2]
    lo, hi = np.floor(mapped.min(0)).astype(int), np.ceil(mapped.max(0)).astype(int) + 1
    out = (max(int(lo[0]), 0), max(int(lo[1]), 0), min(int(hi[0]), width), min(int(hi[1]), height))
    return out if out[2] > out[0] and out[3] > out[1] else None


@pytest.mark.parametrize("degrees", [0, 20, 45, 90, 135, 180, 200, 270, 300])
def test_warped_box_bounds_the_rotated_patch(degrees):
    source = type("Source", (), {"box": (10, 12, 17, 16)})()  # only the box is read
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    centre = np.array([13.0, 13.5])
    lin = np.array([[c, -s], [s, c]])
    affine = np.concatenate([lin, (centre + np.array([0.3, -0.2]) - lin @ centre)[:, None]], 1)
    assert warped_box(source, affine, 40, 40) == _brute_force_box(source.box, affine, 40, 40)


# --- warped_box at the frame's edges -------------------------------------------------------


def _box_source(box):
    return type("Source", (), {"box": box})()


def test_warped_box_clips_a_patch_over_the_left_and_top_edges_to_zero():
    # pixels 0..2 shifted by -2: their squares span -2.5..0.5, so column/row 0 is covered
    assert warped_box(_box_source((0, 0, 3, 3)), _shift(-2, -2), 8, 10) == (0, 0, 2, 2)
    assert warped_box(_box_source((2, 2, 5, 5)), IDENTITY, 8, 10) == (1, 1, 6, 6)  # one pixel of slack


@pytest.mark.parametrize("dx, dy", [(8.5, 0), (0, 6.5), (-6.5, 0), (0, -6.5), (9.0, 7.0)])
def test_warped_box_is_none_when_the_patch_misses_the_frame_in_either_direction(dx, dy):
    # pixels 2..4 of a 10 x 8 frame; shifted by 8.5 their squares start at x = 10 (the last
    # column's square ends at 9.5), by 6.5 at y = 8; shifted by -6.5 they end at x = -2
    assert warped_box(_box_source((2, 2, 5, 5)), _shift(dx, dy), 8, 10) is None


def test_warped_box_keeps_a_patch_that_touches_the_last_column_or_row():
    assert warped_box(_box_source((2, 2, 5, 5)), _shift(7.5, 0), 8, 10) == (9, 1, 10, 6)
    assert warped_box(_box_source((2, 2, 5, 5)), _shift(0, 5.5), 8, 10) == (1, 7, 6, 8)


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


# --- the hold: noising path, schedule, per-object ends --------------------------------------


def test_noising_path_at_a_float_sigma_is_the_straight_line_in_the_latents_dtype():
    z = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float16)
    noise = torch.tensor([3.0, 2.0, -1.0], dtype=torch.float16)
    out = noising_path(z, noise, 0.25)  # a Python float, as ComfyUI's sampler hands it over
    assert out.dtype == torch.float16
    assert out.tolist() == [1.5, -1.0, 0.125]  # 0.75 z + 0.25 noise, exact in fp16
    tensor_sigma = noising_path(z, noise, torch.tensor(0.25, dtype=torch.float64))
    assert tensor_sigma.dtype == torch.float16 and tensor_sigma.tolist() == [1.5, -1.0, 0.125]


def _schedule(maps):
    # percent p <-> sigma 1 - p; five sigmas = four steps at percents 0, .25, .5, .75 (midpoints
    # .125, .375, .625, .875): end 0.5 holds 2 steps, end 0.75 holds 3, end 0.2 holds 1, end 0.1 none
    return HoldSchedule(maps, [1.0, 0.75, 0.5, 0.25, 0.0], lambda p: 1.0 - p)


def test_hold_schedule_sums_the_maps_that_act_at_each_step_and_clamps_to_one():
    a, b = torch.tensor([0.6, 0.2]), torch.tensor([0.7, 0.3])
    schedule = _schedule([(0.5, a), (0.75, b)])
    assert schedule.active and schedule.steps_held == 3
    got = [schedule.weight_at_step(i) for i in range(5)]
    assert torch.allclose(got[0], torch.tensor([1.0, 0.5])) and torch.allclose(got[1], torch.tensor([1.0, 0.5]))
    assert torch.equal(got[2], b)  # only b still acts at the third step
    assert got[3] is None and got[4] is None  # past both ends; the last sigma is no evaluation
    whole = _schedule([(1.0, a)])  # end 1: every step held, the fourth (sigma 0.25) too
    assert whole.steps_held == 4 and torch.equal(whole.weight_at_step(3), a) and whole.weight_at_step(4) is None


def test_hold_schedule_drops_maps_that_hold_no_step_or_no_cell():
    nothing = torch.zeros(2)
    assert not _schedule([(0.0, torch.ones(2))]).active  # end 0: no step lies before it
    assert not _schedule([(0.75, nothing)]).active  # an empty map holds nothing
    one = _schedule([(0.2, torch.ones(2)), (0.1, torch.full((2,), 0.5))])
    assert one.steps_held == 1 and torch.equal(one.weight_at_step(0), torch.ones(2))
    assert one.weight_at_step(1) is None


def test_object_holds_names_a_bad_end_and_suggests_a_valid_one():
    owner = torch.zeros(1, 2, 2, dtype=torch.uint8)
    with pytest.raises(TTMInputError, match=r"^hold_end\['dog'\]") as err:
        ObjectHolds(["dog"], owner, {"dog": 1.5})
    assert "dog: 0.1" in str(err.value)  # the suggested value is itself in 0..1
    with pytest.raises(TTMInputError, match="^hold_end") as err:
        ObjectHolds(["dog"], owner, {"cat": 0.5})
    assert "dog: 0.1" in str(err.value)


def test_affine_agrees_at_exactly_the_agreement_share():
    source = np.zeros((1, 5), bool)
    source[0, :3] = True
    points = np.array([[x, 0] for x in range(5)], np.float64)  # 3 of 5 map back onto the source
    assert AGREEMENT == 0.6 and affine_agrees(IDENTITY, source, points)
    source[0, 2] = False  # 2 of 5
    assert not affine_agrees(IDENTITY, source, points)


# --- push_pull, the "blur" fill, against hand-computed pyramids -----------------------------


def _quadrants(height, width, colours):
    """An image whose four quadrants are flat grey levels (top-left, top-right, bottom-left,
    bottom-right)."""
    image = np.zeros((height, width, 3), np.float32)
    h, w = height // 2, width // 2
    for (ys, xs), c in zip([(slice(0, h), slice(0, w)), (slice(0, h), slice(w, None)),
                            (slice(h, None), slice(0, w)), (slice(h, None), slice(w, None))], colours):
        image[ys, xs] = c
    return image


def test_push_pull_keeps_known_pixels_and_fills_from_the_first_level_without_gaps():
    # 8 x 8, a 2 x 2 hole in the top-left quadrant (0.2): level 1 (4 x 4) has one empty cell,
    # level 2 (2 x 2) none, so the pyramid stops there with one quadrant per cell; the empty
    # cell takes the top-left cell's 0.2 (bilinear, replicated at the border), and so does the hole
    image = _quadrants(8, 8, [0.2, 0.8, 0.5, 0.1])
    known = np.ones((8, 8), bool)
    known[0:2, 0:2] = False
    out = push_pull(image, known)
    assert out.dtype == np.float32
    assert np.array_equal(out[known], image[known])
    np.testing.assert_allclose(out[~known], 0.2, atol=1e-6)


def test_push_pull_climbs_while_a_level_has_empty_cells_and_blends_back_down():
    # 4 x 8 with a 2 x 2 hole at the top-left: level 1 is 2 x 4 with cell (0, 0) empty; level 2
    # is 1 x 2 (a row: the climb stops), its left cell the area mean of level 1's left 2 x 2:
    # totals (0 + 0.2 + 0.5 + 0.5) / 4 = 0.3 over weight 3/4, so 0.4. Level 1's empty cell
    # takes 0.4 (border-replicated bilinear). The hole's pixels then sample level 1's estimate
    # [[0.4, 0.2], [0.5, 0.5]] bilinearly at offsets 0 (border) and 0.25.
    image = _quadrants(4, 8, [0.2, 0.8, 0.5, 0.1])
    known = np.ones((4, 8), bool)
    known[0:2, 0:2] = False
    out = push_pull(image, known)
    want = np.array([[0.4, 0.75 * 0.4 + 0.25 * 0.2],
                     [0.75 * 0.4 + 0.25 * 0.5, 0.75 * (0.75 * 0.4 + 0.25 * 0.2) + 0.25 * 0.5]])
    np.testing.assert_allclose(out[0:2, 0:2, 0], want, atol=1e-6)
    assert np.array_equal(out[..., 0], out[..., 2])  # grey in, grey out


@pytest.mark.parametrize("height, width", [(5, 7), (9, 6), (2, 11)])
def test_push_pull_fills_a_flat_image_with_its_colour_at_any_size(height, width):
    # normalised convolution: colour and weight pass through the same filters, so a flat image
    # comes back flat whatever the holes and however odd the sizes
    rng = np.random.default_rng(height * width)
    colour = np.array([0.3, 0.6, 0.9], np.float32)
    image = np.broadcast_to(colour, (height, width, 3)).copy()
    known = rng.random((height, width)) < 0.4
    known[0, 0] = True
    np.testing.assert_allclose(push_pull(image, known), image, atol=1e-5)


def test_push_pull_of_a_single_row_gives_the_holes_the_mean_of_the_known_pixels():
    # a 1-pixel-high image cannot be halved: the empty cells take the known pixels' mean
    image = np.array([[[0.1, 0.2, 0.0], [0.5, 0.2, 0.3], [0.0] * 3, [0.9, 0.2, 0.6], [0.0] * 3]], np.float32)
    known = np.array([[True, True, False, True, False]])
    out = push_pull(image, known)
    np.testing.assert_allclose(out[0, [2, 4]], [[0.5, 0.2, 0.3]] * 2, atol=1e-6)  # per channel
    assert np.array_equal(out[known], image[known])


def test_push_pull_of_two_rows_gives_only_the_empty_coarse_cell_the_mean():
    # 2 x 6, columns 0-1 unknown, 2-3 at 0.6, 4-5 at 0.8: level 1 is 1 x 3 (a single row, the
    # climb stops) with the left cell empty, so that cell alone takes the known mean 0.7; the
    # hole samples level 1 [0.7, 0.6, 0.8] at offsets 0 (border) and 0.25
    image = np.zeros((2, 6, 3), np.float32)
    image[:, 2:4], image[:, 4:6] = 0.6, 0.8
    known = np.zeros((2, 6), bool)
    known[:, 2:] = True
    out = push_pull(image, known)
    np.testing.assert_allclose(out[:, :2, 0], [[0.7, 0.675], [0.7, 0.675]], atol=1e-6)


# --- the reference's per-object hold weights and its encoding --------------------------------


def _reference(strength, owner, names=("dog", "cat")):
    from ttm_core.guidance.reference import ReferenceVideo

    t, h, w = owner.shape
    return ReferenceVideo(torch.zeros(t, h, w, 3), owner > 0, torch.zeros(h, w, 3), owner.clone(),
                          torch.zeros(t, len(names), 2, 3), list(names), strength=strength, owner=owner)


def test_object_hold_weights_are_each_objects_share_of_the_hold():
    owner = torch.tensor([[[1, 2], [0, 2]]], dtype=torch.uint8)
    strength = torch.tensor([[[0.5, 0.25], [0.0, 1.0]]])
    ref = _reference(strength, owner)
    assert ref.object_hold_weights("dog").tolist() == [[[0.5, 0.0], [0.0, 0.0]]]
    assert ref.object_hold_weights("cat").tolist() == [[[0.0, 0.25], [0.0, 1.0]]]
    single = _reference(strength, owner, ("dog",))
    single.owner = None  # one object needs no owner map: the whole hold is its own
    assert torch.equal(single.object_hold_weights("dog"), strength)
    with pytest.raises(TTMInputError, match="^name"):
        ref.object_hold_weights("bird")


def _tiny_vae(dtype=torch.float32):
    from ttm_core.testing.tiny_wan import TinyWanSize, _vae

    return SimpleNamespace(vae=_vae("wan21_i2v", TinyWanSize(), 0).to(dtype).eval())


def test_encode_reference_is_the_vae_mode_normalised_by_the_configs_mean_and_std():
    from ttm_core.guidance.anchoring import encode_reference

    pipe = _tiny_vae()
    frames = torch.rand(5, 16, 16, 3, generator=torch.Generator().manual_seed(0))  # [T, H, W, 3] in 0..1
    config = pipe.vae.config
    with torch.no_grad():
        mode = pipe.vae.encode((frames * 2 - 1).permute(3, 0, 1, 2)[None]).latent_dist.mode()
        mean = torch.tensor(config.latents_mean).view(1, -1, 1, 1, 1)
        std = torch.tensor(config.latents_std).view(1, -1, 1, 1, 1)
        want = (mode - mean) / std
        kept = frames.clone()
        got = encode_reference(pipe, kept, "cpu")
        assert torch.equal(kept, frames)  # by default the caller's frames are left alone
        consumed = frames.clone()
        in_place = encode_reference(pipe, consumed, "cpu", consume=True)
    assert got.dtype == torch.float32 and got.shape == (1, config.z_dim, 2, 2, 2)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(in_place, want, rtol=1e-5, atol=1e-5)
    # consume rescales the frames' own buffer to -1..1 instead of copying the video
    torch.testing.assert_close(consumed, frames * 2 - 1)


def test_encode_reference_feeds_the_vae_its_own_dtype_and_returns_float32():
    from ttm_core.guidance.anchoring import encode_reference

    pipe = _tiny_vae(torch.float64)  # a VAE in another dtype than the frames (bf16 on a GPU)
    frames = torch.rand(1, 16, 16, 3, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        got = encode_reference(pipe, frames, "cpu")
        mode = pipe.vae.encode((frames.double() * 2 - 1).permute(3, 0, 1, 2)[None]).latent_dist.mode()
    std = torch.tensor(pipe.vae.config.latents_std, dtype=torch.float64).view(1, -1, 1, 1, 1)
    mean = torch.tensor(pipe.vae.config.latents_mean, dtype=torch.float64).view(1, -1, 1, 1, 1)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, ((mode - mean) / std).float(), rtol=1e-5, atol=1e-5)


# --- similarity: frame bounds of the containment and explanation scores ----------------------


def test_containment_does_not_wrap_points_mapped_back_left_of_or_above_the_source():
    source = np.zeros((3, 4), bool)
    source[:, 3] = True  # the source's last column
    source[2, :] = True  # and its last row
    # the target points (1, 0) and (0, 1) shifted back by one land at x = -1 and y = -1: off the
    # source (a negative index would read its last column or row)
    assert _containment(_shift(1, 0), source, np.array([[0.0, 0.0]])) == 0.0
    assert _containment(_shift(0, 1), source, np.array([[0.0, 0.0]])) == 0.0
    assert _containment(_shift(0, 0), source, np.zeros((0, 2))) == 1.0  # nothing to explain
    singular = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    assert _containment(singular, source, np.array([[3.0, 0.0]])) == 0.0


def _one_row(values):
    return np.array([values], np.int64)


@pytest.mark.parametrize("transpose", [False, True])
def test_explains_counts_warped_pixels_on_the_first_column_and_skips_those_left_of_it(transpose):
    # one row of 5 (or, transposed, one column): the source is pixels 3 and 4
    def run(affine, labels):
        source = np.zeros((1, 5), bool)
        source[0, 3:5] = True
        points, target = np.array([[3.0, 0.0], [4.0, 0.0]]), np.argwhere(labels[0] == 1)
        target = np.stack([target[:, 0], np.zeros(len(target))], 1).astype(np.float64)
        if transpose:
            affine = affine[::-1, [1, 0, 2]]
            source, labels, points, target = source.T, labels.T, points[:, ::-1], target[:, ::-1]
        return _explains(affine, source, points, target, labels, 1)

    # x -> 2x - 6: 3 lands on column 0 (background), 4 on column 2 (the object, with column 1);
    # the target's pixels map back to 3.5 -> 4 and 4: forward 1/2, backward 1
    assert run(np.array([[2.0, 0.0, -6.0], [0.0, 1.0, 0.0]]), _one_row([0, 1, 1, 0, 0])) == 0.5
    # x -> 2x - 7: 3 lands at -1, out of the frame (allowed: it may leave), 4 on the object at
    # column 1; the last column's background must not be read for the point at -1
    assert run(np.array([[2.0, 0.0, -7.0], [0.0, 1.0, 0.0]]), _one_row([0, 1, 0, 0, 0])) == 1.0


def test_explains_is_the_smaller_of_the_forward_and_backward_fractions():
    labels = _one_row([0, 0, 0, 0, 0, 1, 0])
    source = np.zeros((1, 7), bool)
    source[0, 2] = True
    # x -> 2x: the source pixel lands on column 4 (background): forward 0; the target pixel 5
    # maps back to 2.5, rounded to 2, on the source: backward 1
    double = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert _explains(double, source, np.array([[2.0, 0.0]]), np.array([[5.0, 0.0]]), labels, 1) == 0.0
    # two source pixels, one landing on background: forward 1/2, backward 1
    source[0, 3] = True
    labels = _one_row([0, 0, 0, 0, 0, 1, 1])
    assert _explains(_shift(2, 0), source, np.array([[2.0, 0.0], [3.0, 0.0]]), np.array([[5.0, 0.0]]), labels, 1) == 0.5


# --- shifting a borrowed transform until its visible part has the mask's centroid ------------


def _visible_centroid(affine, points, width):
    mapped = points @ affine[:, :2].T + affine[:, 2]
    xi = np.rint(mapped[:, 0])
    return mapped[(xi >= 0) & (xi < width)].mean(axis=0)


def test_matching_the_visible_centroid_converges_while_the_visible_part_changes():
    # seven points at x = -3..3 on a 10-wide row: x >= 0 are visible, centroid 1.5; the target
    # centroid 2 is reached after two shifts of 0.5 (the second reveals one more point)
    points = np.array([[x, 0.0] for x in range(-3, 4)])
    out = _match_visible_centroid(IDENTITY, points, np.zeros((1, 10), np.int64), 1, (2.0, 0.0))
    np.testing.assert_allclose(out, _shift(1.0, 0.0))
    np.testing.assert_allclose(_visible_centroid(out, points, 10), [2.0, 0.0])


@pytest.mark.parametrize("transpose", [False, True])
def test_points_on_the_first_column_or_row_are_visible(transpose):
    # x = -2..1: the visible points are 0 and 1, centroid 0.5, already the target: no shift
    points = np.array([[x, 0.0] for x in range(-2, 2)])
    labels, target = np.zeros((1, 6), np.int64), (0.5, 0.0)
    if transpose:
        points, labels, target = points[:, ::-1].copy(), labels.T, target[::-1]
    np.testing.assert_allclose(_match_visible_centroid(IDENTITY, points, labels, 1, target), IDENTITY)


def test_no_shift_when_nothing_or_everything_is_visible():
    labels = np.zeros((4, 6), np.int64)
    outside = np.array([[-3.0, 1.0], [7.0, 2.0], [2.0, 4.0], [2.0, -2.0]])  # left, right, below, above
    np.testing.assert_array_equal(_match_visible_centroid(IDENTITY, outside, labels, 1, (2.0, 2.0)), IDENTITY)
    inside = np.array([[1.0, 1.0], [2.0, 1.0]])  # the whole object is seen: its centroid is its own
    np.testing.assert_array_equal(_match_visible_centroid(IDENTITY, inside, labels, 1, (4.0, 3.0)), IDENTITY)


# --- moment transforms: rotation from the principal axis, borrowing at new contacts ----------


def _bar(centre, length, width, degrees, size=(48, 64)):
    labels = np.zeros(size, np.uint8)
    corners = cv2.boxPoints(((centre[0], centre[1]), (length, width), degrees))
    cv2.fillPoly(labels, [np.round(corners * 16).astype(np.int32)], 1, shift=4)
    return labels


def _disc(centre, radius, size=(48, 64)):
    labels = np.zeros(size, np.uint8)
    cv2.circle(labels, (int(centre[0] * 16), int(centre[1] * 16)), int(radius * 16), 1, -1, shift=4)
    return labels


def _moment_transforms(frames):
    stats = [mask_stats(f, 1, bounding_box(f == 1)) if (f == 1).any() else None for f in frames]
    source = frames[0] == 1
    return moment_transforms(stats[0], source, mask_points(source, (0, 0)), stats, np.stack(frames).astype(np.int64), 1)


def _degrees(affine):
    return math.degrees(math.atan2(affine[1, 0], affine[0, 0]))


def test_the_first_rotation_is_the_smaller_turn_and_a_round_mask_keeps_the_last_one():
    # a bar turned by -60 degrees (rasterised: about -61) is not read as +120; then the object
    # shows as a disc, whose axis is noise: it keeps the last rotation
    frames = [_bar((32, 24), 24, 5, 0), _bar((32, 24), 24, 5, -60), _disc((32, 24), 7)]
    out = _moment_transforms(frames)
    assert [_degrees(a) for a in out] == pytest.approx([0.0, -60.0, -60.0], abs=2.0)


def test_rotation_is_the_change_of_axis_from_a_tilted_source():
    out = _moment_transforms([_bar((32, 24), 24, 5, 30), _bar((32, 24), 24, 5, 50)])
    assert [_degrees(a) for a in out] == pytest.approx([0.0, 20.0], abs=2.0)


def test_a_new_contact_borrows_the_scale_of_the_nearest_clear_frame():
    # a disc of radius 6 grows to 9 (scale 1.5) at frame 4; at frame 3 it is half out of the
    # right edge, so its mask alone says about 1.06; the nearest frame without new contacts is 4
    # (not 0), and its scale explains the half disc better
    empty = np.zeros((48, 64), np.uint8)
    frames = [_disc((20, 24), 6), empty, empty, _disc((63, 24), 9), _disc((40, 24), 9)]
    out = _moment_transforms(frames)
    assert np.isnan(out[1]).all() and np.isnan(out[2]).all()  # absent
    scales = [math.hypot(out[t, 0, 0], out[t, 1, 0]) for t in (0, 3, 4)]
    assert scales == pytest.approx([1.0, 1.5, 1.5], abs=0.05)


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


# --- mask moments and contacts, by hand --------------------------------------------------------


def _stats(labels, index=1):
    return mask_stats(labels, index, bounding_box(labels == index))


def test_mask_stats_moments_of_a_bar_a_diagonal_a_domino_and_a_pixel():
    labels = np.zeros((7, 9), np.uint8)
    labels[2:5, 2:7] = 1  # 5 x 3: mu20 = 3 * 5 * (25 - 1) / 12 = 30, mu02 = 5 * 3 * (9 - 1) / 12 = 10
    bar = _stats(labels)
    assert (bar.area, bar.centroid, bar.box) == (15.0, (4.0, 3.0), (2, 2, 7, 5))
    assert bar.anisotropy == pytest.approx(0.5) and bar.angle == pytest.approx(0.0)
    diagonal = np.eye(4, dtype=np.uint8)  # mu20 = mu02 = mu11 = 5: a line at 45 degrees
    d = _stats(np.pad(diagonal, 1))
    assert d.anisotropy == pytest.approx(1.0) and d.angle == pytest.approx(math.pi / 4)
    domino = np.zeros((3, 4), np.uint8)
    domino[1, 1:3] = 1  # two pixels: spread 0.5, still a line
    assert _stats(domino).anisotropy == pytest.approx(1.0)
    pixel = np.zeros((3, 3), np.uint8)
    pixel[1, 1] = 1
    assert _stats(pixel).anisotropy == 0.0  # no spread: no axis


@pytest.mark.parametrize("ys, xs, edge", [((0, 2), (3, 5), "top"), ((5, 7), (3, 5), "bottom"),
                                          ((3, 5), (0, 2), "left"), ((3, 5), (7, 9), "right")])
def test_mask_stats_names_each_image_edge_the_mask_touches(ys, xs, edge):
    labels = np.zeros((7, 9), np.uint8)
    labels[ys[0]:ys[1], xs[0]:xs[1]] = 1
    assert _stats(labels).contacts == {edge}
    middle = np.zeros((7, 9), np.uint8)
    middle[3:5, 3:5] = 1
    assert _stats(middle).contacts == set()


@pytest.mark.parametrize("where", ["above", "below", "left", "right"])
def test_mask_stats_finds_a_4_connected_neighbour_on_each_side_but_not_diagonal_or_distant_ones(where):
    labels = np.zeros((8, 9), np.uint8)
    labels[1:4, 1:3] = 5  # the object, label 5, at row 1 / column 1 (its ring reaches row/column 0)
    spot = {"above": (0, 2), "below": (4, 1), "left": (2, 0), "right": (3, 3)}[where]
    labels[spot] = 2
    labels[4, 3] = 3  # touches only the object's corner
    labels[1, 5] = 4  # two columns away
    assert _stats(labels, 5).contacts == {2}


def test_mask_stats_finds_a_neighbour_under_an_arm_inside_the_masks_box():
    labels = np.zeros((6, 6), np.uint8)
    labels[1:4, 1] = labels[1, 1:4] = 1  # an upside-down L: the arm's end is (row 1, column 3)
    labels[2, 3] = 2  # right under the arm's end, not at the box's edge
    assert _stats(labels).contacts == {2}


def test_mask_points_are_float_frame_coordinates():
    points = mask_points(np.array([[False, True], [True, False]]), (3, 4))
    assert points.dtype == np.float64 and points.tolist() == [[4.0, 4.0], [3.0, 5.0]]


def test_object_boxes_keep_one_pixel_wide_objects_and_mark_absent_ones_minus_one():
    from ttm_core.guidance.warp import object_boxes

    labels = np.zeros((1, 4, 5), np.uint8)
    labels[0, 1:3, 2] = 1  # one column wide
    assert object_boxes(labels, 2).tolist() == [[[2, 1, 3, 3], [-1, -1, -1, -1]]]


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


# --- where sampling starts; the hole fill's options; per-object strengths -------------------


def test_start_step_leaves_at_least_one_step_and_a_one_entry_schedule_starts_at_zero():
    from ttm_core.guidance.clocks import start_step

    percents = [0.0, 0.25, 0.5, 0.75, 1.0]  # four steps, midpoints .125 .375 .625 .875
    assert [start_step(percents, t) for t in (0.0, 0.2, 0.5, 0.9, 1.0)] == [0, 1, 2, 3, 3]
    assert start_step([0.0], 0.5) == 0 and start_step([0.0, 1.0], 1.0) == 0


def _hole_scene(height=40, width=48, seed=6):
    rng = np.random.default_rng(seed)
    return rng.random((height, width, 3)).astype(np.float32), np.zeros((height, width), bool)


def test_fill_holes_defaults_to_telea_and_none_keeps_the_pixels():
    image, hole = _hole_scene()
    hole[15:20, 20:26] = True
    assert np.array_equal(fill_holes(image, hole), fill_holes(image, hole, "telea"))
    assert not np.array_equal(fill_holes(image, hole, "telea"), fill_holes(image, hole, "ns"))
    kept = fill_holes(image, hole, "none")
    assert np.array_equal(kept, image) and kept is not image


@pytest.mark.parametrize("method", ["telea", "blur"])
def test_fill_holes_with_no_known_pixel_is_flat_grey(method):
    image, hole = _hole_scene(12, 10)
    out = fill_holes(image, ~hole, method)  # everything is hole: nothing to fill from
    assert out.dtype == np.float32 and np.array_equal(out, np.full_like(image, 0.5))


@pytest.mark.parametrize("edge", ["left", "top"])
def test_fill_holes_fills_a_hole_on_the_first_column_or_row(edge):
    image, hole = _hole_scene()
    if edge == "left":
        hole[10:20, 0:4] = True
    else:
        hole[0:4, 10:20] = True
    out = fill_holes(image, hole, "telea")
    u8 = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    want = cv2.inpaint(u8, hole.astype(np.uint8), _RADIUS, cv2.INPAINT_TELEA).astype(np.float32) / np.float32(255.0)
    assert np.array_equal(out[hole], want[hole])  # the crop starts at 0: OpenCV sees the whole edge


def test_blur_pads_a_large_hole_by_a_quarter_of_its_size():
    image, _ = _hole_scene(160, 220)
    hole = np.zeros((160, 220), bool)
    hole[40:110, 60:152] = True  # 92 x 70: pad (92 + 3) // 4 = 23, more than the minimum 16
    out = fill_holes(image, hole, "blur")
    crop, holes = image[17:133, 37:175], hole[17:133, 37:175]
    np.testing.assert_allclose(out[hole], push_pull(crop, ~holes)[holes], atol=1e-6)


def test_check_strengths_default_to_full_and_suggest_a_name_in_errors():
    from ttm_core.guidance.inputs import check_strengths

    assert check_strengths(None, ["dog", "cat"]) == [1.0, 1.0]
    assert check_strengths({"cat": 0.25}, ["dog", "cat"]) == [1.0, 0.25]
    with pytest.raises(TTMInputError, match="^hold_strength") as err:
        check_strengths({"bird": 0.5}, ["dog"])
    assert "e.g. dog: 0.5." in str(err.value)
    with pytest.raises(TTMInputError, match="^hold_strength") as err:
        check_strengths({"bird": 0.5}, [])
    assert "e.g. leave it empty." in str(err.value)


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


# --- schedulers described by their config; clock checks ---------------------------------------


def _scheduler(**config):
    return SimpleNamespace(config=SimpleNamespace(**config))


def test_scheduler_configs_missing_the_optional_fields_read_as_their_defaults():
    from ttm_core.guidance.anchoring import is_flow_scheduler, scheduler_shift

    assert not is_flow_scheduler(_scheduler())  # no field at all: not a flow scheduler, no error
    assert scheduler_shift(_scheduler(use_flow_sigmas=True)) == 1.0  # flow sigmas without a flow_shift
    assert scheduler_shift(_scheduler(use_flow_sigmas=True, flow_shift=5.0, shift=3.0)) == 5.0
    assert scheduler_shift(_scheduler(shift=3.0)) == 3.0


def test_a_dynamically_shifted_schedule_is_refused_by_name():
    from ttm_core.guidance.anchoring import scheduler_shift

    with pytest.raises(TTMInputError, match="^anchoring"):
        scheduler_shift(_scheduler(use_dynamic_shifting=True, shift=3.0))


def test_a_clock_exactly_at_a_steps_midpoint_does_not_hold_that_step():
    from ttm_core.guidance.clocks import steps_before

    percents = [0.0, 0.25, 0.5, 0.75, 1.0]  # midpoints .125 .375 .625 .875, all exact in binary
    assert [steps_before(percents, t) for t in (0.125, 0.375, 0.376)] == [0, 1, 2]


@pytest.mark.parametrize("field, clocks", [("t_weak", dict(t_weak=True, t_strong=0.5)),
                                           ("t_weak", dict(t_weak=1.5, t_strong=0.5)),
                                           ("t_strong", dict(t_weak=0.1, t_strong=2.0)),
                                           ("hold_end['dog']", dict(t_weak=0.1, t_strong=0.5, ends={"dog": -1.0}))])
def test_hold_clocks_name_the_clock_that_is_out_of_range(field, clocks):
    from ttm_core.guidance.clocks import HoldClocks

    with pytest.raises(TTMInputError) as err:
        HoldClocks(**clocks)
    assert str(err.value).startswith(field)
