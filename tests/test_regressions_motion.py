"""Stage-1 strategies against hand-built expectations: layouts, path timing and paint order.

Expected label videos are drawn by hand with slices (no strategy code), and positions follow
from the documented rules: frame times are evenly spaced over 0..1, ``"time"`` timing puts
point i at frame i, higher ``z`` is in front and equal ``z`` puts the higher label in front.
"""

from __future__ import annotations

import torch

from ttm_core import ObjectSet, image_to_motion

H, W = 24, 40


def _objects():
    labels = torch.zeros(H, W, dtype=torch.long)
    labels[4:10, 4:12] = 1  # dog: 6 x 8, centroid (7.5, 6.5)
    labels[14:20, 24:30] = 2  # ball: 6 x 6, centroid (26.5, 16.5)
    return ObjectSet(labels, ["dog", "ball"])


def _box(t_frames, boxes):
    """[T, H, W] label video from per-frame lists of (label, y0, y1, x0, x1), painted in order."""
    out = torch.zeros(t_frames, H, W, dtype=torch.uint8)
    for t, items in enumerate(boxes):
        for label, y0, y1, x0, x1 in items:
            out[t, y0:y1, x0:x1] = label
    return out


def test_masks_with_as_many_frames_as_objects_are_read_frame_major():
    """[T, K, H, W] and [K, T, H, W] have the same shape when T == K: the documented choice is T first."""
    objects = _objects()
    masks = torch.zeros(2, 2, H, W)
    masks[0, 0, 4:10, 4:12] = 1
    masks[0, 1, 14:20, 24:30] = 1
    masks[1, 0, 6:12, 4:12] = 1  # frame 1: the dog moved down by 2
    masks[1, 1, 14:20, 30:36] = 1  # frame 1: the ball moved right by 6
    traj = image_to_motion(objects, masks, 2, "masks")
    expected = _box(2, [[(1, 4, 10, 4, 12), (2, 14, 20, 24, 30)], [(1, 6, 12, 4, 12), (2, 14, 20, 30, 36)]])
    assert torch.equal(traj.labels, expected)
    assert traj.scores["first_frame_iou"] == 1.0
    other = image_to_motion(objects, masks, 2, "masks", layout="KTHW")  # the explicit other reading
    assert not torch.equal(other.labels, expected)


def test_absolute_path_sampled_in_time_puts_point_i_at_frame_i():
    """``timing="time"``: 5 points for 5 frames, the first snapped to the centroid (frame 0 is the input)."""
    objects = _objects()
    path = [[0.0, 0.0], [9.5, 6.5], [11.5, 6.5], [13.5, 8.5], [15.5, 8.5]]
    traj = image_to_motion(objects, {"dog": path}, 5, "paths", anchor="absolute", timing="time", normalized=False)
    expected = torch.tensor([[7.5, 6.5]] + path[1:])
    assert torch.allclose(traj.anchors[:, 0], expected, atol=1e-5)
    # the masks follow: the dog box moved by whole pixels (2, 0), (4, 0), (6, 2), (8, 2)
    boxes = [[(1, 4, 10, 4, 12)], [(1, 4, 10, 6, 14)], [(1, 4, 10, 8, 16)], [(1, 6, 12, 10, 18)], [(1, 6, 12, 12, 20)]]
    dog = (traj.labels == 1).to(torch.uint8)
    assert torch.equal(dog, _box(5, boxes))


def test_relative_path_at_constant_speed():
    objects = _objects()
    traj = image_to_motion(objects, {"ball": [[100.0, 0.0], [100.0, -8.0], [104.0, -8.0]]}, 4, "paths",
                           anchor="relative", timing="arc", normalized=False)
    # arc length 12 in three equal steps of 4: up 4, up 4 (the corner), right 4
    expected = torch.tensor([[26.5, 16.5], [26.5, 12.5], [26.5, 8.5], [30.5, 8.5]])
    assert torch.allclose(traj.anchors[:, 1], expected, atol=1e-5)


def test_paint_order_follows_each_frames_depth():
    """The dog starts behind the ball (z 0 < 1) and ends in front (z 2 > 1) on top of it."""
    objects = _objects()
    plan = {
        "dog": [{"t": 0.0, "z": 0.0}, {"t": 1.0, "dx": 20 / W, "dy": 10 / H, "z": 2.0}],
        "ball": [{"t": 0.0, "z": 1.0}, {"t": 1.0, "z": 1.0}],
    }
    traj = image_to_motion(objects, plan, 3, "plan")
    # frame 1: the dog moved by (10, 5) to rows 9..15, columns 14..22; z = 1 ties the ball's
    # frame 2: rows 14..20, columns 24..32 covers the ball's columns 24..30: the dog is in front
    assert torch.equal(traj.labels[2], _box(1, [[(2, 14, 20, 24, 30), (1, 14, 20, 24, 32)]])[0])
    assert traj.depth[2].tolist() == [2.0, 1.0] and traj.depth[0].tolist() == [0.0, 1.0]


def test_equal_depth_puts_the_higher_label_in_front():
    objects = _objects()
    plan = {"dog": [{"t": 1.0, "dx": 20 / W, "dy": 10 / H}]}  # z 0 for both
    traj = image_to_motion(objects, plan, 2, "plan")
    assert torch.equal(traj.labels[1], _box(1, [[(1, 14, 20, 24, 32), (2, 14, 20, 24, 30)]])[0])
    masks = torch.zeros(2, 2, H, W)
    masks[0, 0, 4:10, 4:12] = 1
    masks[:, 1, 14:20, 24:30] = 1
    masks[1, 0, 14:20, 24:32] = 1  # frame 1: the dog's mask overlaps the ball's
    via_masks = image_to_motion(objects, masks, 2, "masks")
    assert torch.equal(via_masks.labels[1], traj.labels[1])
    front_dog = image_to_motion(objects, masks, 2, "masks", z={"dog": 1.0})
    assert torch.equal(front_dog.labels[1], _box(1, [[(2, 14, 20, 24, 30), (1, 14, 20, 24, 32)]])[0])
