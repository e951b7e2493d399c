"""Tests written from surviving mutants of ``ttm_core/guidance`` (tools/mutation.py, group guidance).

Expected values are hand counts on tiny masks, OpenCV's own inpainting called directly, and a
brute-force bound over the whole patch outline; verdicts on the survivors not killed here are in
``docs/mutation-survivors/guidance.md``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from ttm_core.guidance.inpaint import _RADIUS, fill_holes, push_pull
from ttm_core.guidance.similarity import _containment, _explains
from ttm_core.guidance.warp import warped_box

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
