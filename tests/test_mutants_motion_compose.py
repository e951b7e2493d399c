"""Tests written from surviving mutants of ``ttm_core/motion/compose.py`` (tools/mutation.py, group motion).

The target box that ``warp_mask_into`` paints into is only an optimisation, so the reference is
the same crop warped into the whole frame with the same OpenCV sampling. Verdicts on the
survivors not killed here are in ``docs/mutation-survivors/motion.md``.
"""

from __future__ import annotations

import math

import numpy as np


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
