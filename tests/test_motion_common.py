"""Guarantees shared by every stage-1 mode: frame 0 = input, one label per pixel, visibility."""

from __future__ import annotations

import pytest
import torch

from test_motion_scenes import disc, objects_from, rect
from ttm_core import MaskTrajectory, TTMInputError, image_to_motion
from ttm_core.motion.timeline import check_num_frames

H = W = 96


def objects():
    return objects_from([disc(30, 48, 12, H, W), rect(70, 48, 10.5, 8.5, 0, H, W)], ["ball", "box"])


def still_track(frames, objs):
    return MaskTrajectory.still(objs, frames.shape[0])


def moving_draft(image, prompt, *, num_frames, height, width, steps, seed):
    frames = torch.full((num_frames, height, width, 3), 0.5)
    return frames


SOURCES = {
    "plan": lambda o: ({"ball": [{"t": 1.0, "dx": 0.9, "z": 1.0}], "box": [{"t": 1.0, "dx": -0.5, "rot": 45}]}, {}),
    "paths": lambda o: ({"ball": [[30, 48], [130, 48]], "box": [[70, 48], [20, 50]]}, {}),
    "masks": lambda o: (
        [
            torch.stack([disc(30 + 12 * t, 48, 12, H, W) for t in range(9)]),
            torch.stack([rect(70 - 5 * t, 48, 10.5, 8.5, 0, H, W) for t in range(9)]),
        ],
        {},
    ),
    "track": lambda o: (
        "the ball rolls right",
        {"image": torch.rand(H, W, 3), "draft_fn": moving_draft, "propagate_fn": still_track, "candidates": 2},
    ),
}


@pytest.mark.parametrize("mode", list(SOURCES))
def test_every_mode_keeps_frame0_one_label_per_pixel_and_marks_visibility(mode):
    objs = objects()
    source, opts = SOURCES[mode](objs)
    traj = image_to_motion(objs, source, 9, mode, fps=12.0, **opts)
    assert isinstance(traj, MaskTrajectory) and traj.num_frames == 9 and traj.fps == 12.0
    assert traj.names == objs.names
    assert torch.equal(traj.labels[0].long(), objs.labels)
    assert traj.labels.dtype == torch.uint8 and int(traj.labels.max()) <= objs.num_objects
    masks = traj.masks()
    assert int(masks.sum(1).max()) <= 1  # never two objects on one pixel
    assert torch.equal(traj.visible, traj.areas() > 0)
    if traj.anchors is not None:
        assert bool(torch.isnan(traj.anchors[~traj.visible]).all())
        assert bool(torch.isfinite(traj.anchors[traj.visible]).all())
    if mode in ("plan", "paths", "masks"):
        assert not bool(traj.visible[-1, 0])  # the ball left the frame


def test_num_frames_and_mode_and_options_are_validated():
    objs = objects()
    plan = {"ball": [{"t": 1.0, "dx": 0.1}]}
    for bad in (0, -3, 2.5, "9", True):
        with pytest.raises(TTMInputError, match="^num_frames"):
            image_to_motion(objs, plan, bad, "plan")
    assert check_num_frames(9.0) == 9
    one = image_to_motion(objs, plan, 1, "plan")
    assert one.num_frames == 1 and torch.equal(one.labels[0].long(), objs.labels)
    assert image_to_motion(objs, plan, 10, "plan").num_frames == 10  # stage 1 takes any count
    with pytest.raises(TTMInputError, match="^mode"):
        image_to_motion(objs, plan, 9, "dance")
    with pytest.raises(TTMInputError, match=r"^options: plan mode does not take \['timing'\]"):
        image_to_motion(objs, plan, 9, "plan", timing="arc")
    with pytest.raises(TTMInputError, match="^objects"):
        image_to_motion(objs.labels, plan, 9, "plan")
    with pytest.raises(TTMInputError, match="^source"):
        image_to_motion(objs, None, 9, "paths")
    with pytest.raises(TTMInputError, match="^fps"):
        image_to_motion(objs, plan, 9, "plan", fps=0)


def test_lazy_export_from_package():
    import ttm_core

    assert ttm_core.image_to_motion is image_to_motion
    assert callable(ttm_core.render_trajectory)
