"""MaskTrajectory bookkeeping found unguarded by the mutation run, on label videos drawn by hand."""

from __future__ import annotations

import torch

from ttm_core.types import MaskTrajectory


def _labels() -> torch.Tensor:
    labels = torch.zeros(3, 4, 6, dtype=torch.uint8)
    labels[:, 0:2, 0:2] = 1
    labels[0, 2:4, 3:6] = 2  # object 2 has pixels in frame 0 only
    return labels


def test_masks_of_one_frame_and_of_all_frames():
    traj = MaskTrajectory(_labels(), ["a", "b"], 8.0)
    one = traj.masks(0)
    assert one.shape == (2, 4, 6) and one.dtype == torch.bool
    assert one[0].sum() == 4 and one[1].sum() == 6 and not (one[0] & one[1]).any()
    every = traj.masks()
    assert every.shape == (3, 2, 4, 6) and [int(every[t, 1].sum()) for t in range(3)] == [6, 0, 0]


def test_save_load_keeps_visibility_that_differs_from_the_pixels(tmp_path):
    # object 2 is occluded (no pixels) in frames 1-2 but marked visible there: only the saved
    # flag can say so, the pixels would say invisible
    visible = torch.ones(3, 2, dtype=torch.bool)
    traj = MaskTrajectory(_labels(), ["a", "b"], 8.0, visible=visible)
    path = tmp_path / "traj.safetensors"
    traj.save(path)
    back = MaskTrajectory.load(path)
    assert torch.equal(back.visible, visible)
    assert MaskTrajectory(_labels(), ["a", "b"], 8.0).visible[:, 1].tolist() == [True, False, False]
