"""Flow-based numbers on synthetic motion with known answers: Average Displacement and
background stability (DIS and Farneback, no weights)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ttm_core.evaluate import evaluate_video, flow_numbers, palette_segmenter
from ttm_core.types import MaskTrajectory

H, W, T = 120, 160, 5
STEP = (3, 2)  # dx, dy per frame
# background stability of a still background: the flow there is ~0; we accept 0.05 px/frame
# (1.4% of the 3.6 px/frame the object moves) for DIS's smoothing near the moving object
STILL_TOL = 0.05


def texture(seed: int, h: int = H, w: int = W) -> np.ndarray:
    """Smooth random RGB texture (blurred noise: corners at every scale, as flow needs)."""
    import cv2

    rng = np.random.default_rng(seed)
    noise = rng.random((h, w, 3)).astype(np.float32)
    return np.clip(cv2.GaussianBlur(noise, (0, 0), 2.0) * 2.5 - 0.75, 0, 1)


def translating(seed: int = 0) -> np.ndarray:
    base = texture(seed)
    return np.stack([np.roll(base, (STEP[1] * t, STEP[0] * t), axis=(0, 1)) for t in range(T)])


@pytest.mark.parametrize("method", ["dis", "farneback"])
def test_translating_texture_gives_average_displacement_sqrt13(method):
    frames = (translating() * 255 + 0.5).astype(np.uint8)
    numbers = flow_numbers(frames, None, method=method)
    assert numbers["average_displacement"] == pytest.approx(math.sqrt(13), rel=0.05)
    assert len(numbers["displacement"]) == T - 1
    assert math.isnan(numbers["background_stability"])  # no target: no background defined


def moving_object_scene(background_moves: bool):
    """A textured 30x30 patch moving (3, 2) px/frame over a still (or equally moving) background."""
    bg = texture(1, H + 20, W + 20)
    patch = texture(2, 30, 30)
    frames, labels = [], torch.zeros(T, H, W, dtype=torch.uint8)
    for t in range(T):
        off = (STEP[1] * t, STEP[0] * t) if background_moves else (0, 0)
        frame = np.roll(bg, off, axis=(0, 1))[:H, :W].copy()
        x, y = 40 + STEP[0] * t, 40 + STEP[1] * t
        frame[y:y + 30, x:x + 30] = patch
        labels[t, y:y + 30, x:x + 30] = 1
        frames.append(frame)
    return torch.from_numpy(np.stack(frames)), MaskTrajectory(labels, ["patch"])


def test_still_background_with_one_moving_object_is_stable():
    frames, traj = moving_object_scene(background_moves=False)
    u8 = (frames.numpy() * 255 + 0.5).astype(np.uint8)
    numbers = flow_numbers(u8, traj.labels.numpy(), method="dis")
    assert numbers["background_stability"] < STILL_TOL
    assert numbers["average_displacement"] > 0.1  # the object itself moves (30x30 of 120x160 pixels)


def test_a_panning_background_is_not_stable():
    frames, traj = moving_object_scene(background_moves=True)
    u8 = (frames.numpy() * 255 + 0.5).astype(np.uint8)
    numbers = flow_numbers(u8, traj.labels.numpy(), method="dis")
    assert numbers["background_stability"] == pytest.approx(math.sqrt(13), rel=0.1)


def test_evaluate_video_reports_flow_numbers():
    frames, traj = moving_object_scene(background_moves=False)
    # the oracle cannot read textures: track with the target itself (a perfect tracker)
    perfect = lambda video, objects: traj
    s = evaluate_video(frames, traj, segmenter=perfect, flow="dis")
    assert s.miou == 1.0 and s.background_stability < STILL_TOL and s.average_displacement > 0.1
    assert s.flow == "dis" and "AD " in s.table()


def test_large_frames_are_downscaled_for_flow_but_reported_in_video_pixels():
    big = texture(0, 480, 832)
    frames = np.stack([np.roll(big, (STEP[1] * t, STEP[0] * t), axis=(0, 1)) for t in range(3)])
    numbers = flow_numbers((frames * 255 + 0.5).astype(np.uint8), None, method="dis")
    assert numbers["average_displacement"] == pytest.approx(math.sqrt(13), rel=0.05)
