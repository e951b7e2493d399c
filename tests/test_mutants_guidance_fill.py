"""Tests from surviving guidance mutants: the background plate's hole fill (OpenCV inpainting,
the push-pull "blur" fill against hand-computed pyramids, pads and options) and per-object
strengths.

Expected values are hand computations, OpenCV called directly and dense references; verdicts on
the survivors not killed here are in ``docs/mutation-survivors/guidance.md``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from ttm_core.errors import TTMInputError
from ttm_core.guidance.inpaint import _RADIUS, fill_holes, push_pull


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


# --- the hole fill's options; per-object strengths ------------------------------------------


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
