"""Tests written from surviving mutants of ``ttm_core/guidance`` (tools/mutation.py, group
guidance): the geometry of similarity transforms, warped boxes and mask moments.

Expected values are hand computations, OpenCV called directly and dense references; verdicts on
the survivors not killed here are in ``docs/mutation-survivors/guidance.md``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from ttm_core.guidance.similarity import (
    _containment, _explains, _match_visible_centroid, mask_points, mask_stats, moment_transforms,
)
from ttm_core.guidance.warp import bounding_box, warped_box
from guidance_helpers import IDENTITY, _shift


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
