"""Reference video: what the revealed background and equal depths must look like.

Hand-built scenes: a grey floor, a red dog with a one-pixel green halo (the edge colour a
segmentation mask misses) and a blue ball. Expectations follow the documented rules: the
removed region is the objects' first-frame masks widened by ``hole_margin``, and equal ``z``
puts the higher label in front.
"""

from __future__ import annotations

import numpy as np
import torch

from ttm_core import ObjectSet, image_to_motion
from ttm_core.guidance import build_reference_video
from ttm_core.types import MaskTrajectory

H, W = 32, 64
GREY, RED, GREEN, BLUE = (0.5, 0.5, 0.5), (0.9, 0.1, 0.1), (0.1, 0.9, 0.1), (0.1, 0.1, 0.9)


def _scene():
    image = np.empty((H, W, 3), np.float32)
    image[:] = GREY
    image[7:19, 5:19] = GREEN  # the halo: one pixel around the dog, outside its mask
    image[8:18, 6:18] = RED
    image[8:18, 40:50] = BLUE
    labels = torch.zeros(H, W, dtype=torch.long)
    labels[8:18, 6:18] = 1
    labels[8:18, 40:50] = 2
    return torch.from_numpy(image), ObjectSet(labels, ["dog", "ball"])


def test_the_place_an_object_left_shows_the_plate_including_its_edge():
    """The dog leaves to the right; its old place, halo included, must show no green and no red."""
    image, objects = _scene()
    traj = image_to_motion(objects, {"dog": [{"t": 1.0, "dx": 16 / W, "dy": 12 / H}]}, 3, "plan")
    ref = build_reference_video(image, traj, hole_margin=2, inpaint="telea")
    last = ref.frames[-1].numpy()
    old_place = np.zeros((H, W), bool)
    old_place[7:19, 5:19] = True
    old_place &= ref.labels[-1].numpy() == 0  # not covered by the moved dog
    assert old_place.sum() > 100
    green = np.abs(last - np.array(GREEN)).max(-1) < 0.2
    red = np.abs(last - np.array(RED)).max(-1) < 0.2
    assert not (green & old_place).any(), "the dog's edge stayed behind"
    assert not (red & old_place).any()
    assert np.allclose(last[old_place], ref.background.numpy()[old_place])
    # nothing was moved over the ball: it and its surroundings stay exactly the image
    untouched = np.zeros((H, W), bool)
    untouched[:, 36:] = True
    assert np.array_equal(last[untouched], image.numpy()[untouched])


def _overlap_trajectory(depth):
    """The dog slides onto the ball: in frame 1 both cover columns 40..50 of rows 8..18."""
    image, objects = _scene()
    labels = MaskTrajectory.still(objects, 2).labels.clone()
    labels[1][labels[1] == 1] = 0
    labels[1, 8:18, 34:46] = 1  # the trajectory's label map shows the dog in front here
    affines = torch.eye(2, 3).expand(2, 2, 2, 3).clone()
    affines[1, 0, 0, 2] = 28.0  # frame 0 -> frame 1: the dog moved right by 28 px
    traj = MaskTrajectory(labels, ["dog", "ball"], anchors=None, affines=affines, depth=depth)
    return image, traj


def test_equal_depth_pastes_the_higher_label_in_front():
    image, traj = _overlap_trajectory(torch.zeros(2, 2))
    ref = build_reference_video(image, traj, fit="warp", hold_margin=0)
    overlap = (slice(8, 18), slice(40, 46))
    assert (ref.labels[1][overlap] == 2).all()
    assert torch.allclose(ref.frames[1][overlap], torch.tensor(BLUE), atol=1e-6)
    dog_front = torch.zeros(2, 2)
    dog_front[:, 0] = 1.0
    ref = build_reference_video(image, _overlap_trajectory(dog_front)[1], fit="warp", hold_margin=0)
    assert (ref.labels[1][overlap] == 1).all()
    assert torch.allclose(ref.frames[1][overlap], torch.tensor(RED), atol=1e-6)


def test_without_depth_the_label_map_decides_who_is_in_front():
    image, traj = _overlap_trajectory(None)
    ref = build_reference_video(image, traj, fit="warp", hold_margin=0)
    assert (ref.labels[1][8:18, 40:46] == 1).all()
