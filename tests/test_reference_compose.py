"""Reference video: compositing by z, hold mask and strength, visibility, inputs and errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from ttm_core.errors import TTMInputError, TTMInterrupted
from ttm_core.guidance import ReferenceVideo, build_reference_video
from ttm_core.types import MaskTrajectory, ObjectSet

H, W, T = 120, 160, 5
RED, BLUE = (0.9, 0.15, 0.1), (0.1, 0.2, 0.9)


def _disc(cx: float, cy: float, r: float, h: int = H, w: int = W) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def card_and_ball(depth_ball_front: bool | None = True, with_affines: bool = True):
    """A static red card and a blue ball that slides left over it (the ball is in front in the
    trajectory's labels)."""
    rng = np.random.default_rng(3)
    image = np.full((H, W, 3), 0.5, np.float32) + rng.normal(0, 0.02, (H, W, 3)).astype(np.float32)
    card = np.zeros((H, W), bool)
    card[20:80, 30:90] = True
    image[card] = RED
    image[_disc(125, 50, 15)] = BLUE
    image = np.clip(image, 0, 1)
    labels = np.zeros((T, H, W), np.uint8)
    affines = np.zeros((T, 2, 2, 3), np.float32)
    affines[:, :, 0, 0] = affines[:, :, 1, 1] = 1.0
    for t in range(T):
        dx = -70.0 * t / (T - 1)
        labels[t][card] = 1
        labels[t][_disc(125 + dx, 50, 15)] = 2
        affines[t, 1, 0, 2] = dx
    depth = None
    if depth_ball_front is not None:
        depth = torch.zeros(T, 2)
        depth[:, 1 if depth_ball_front else 0] = 1.0
    traj = MaskTrajectory(
        torch.from_numpy(labels), ["card", "ball"],
        affines=torch.from_numpy(affines) if with_affines else None, depth=depth,
    )
    return torch.from_numpy(image), traj


def test_output_types_and_shapes():
    image, traj = card_and_ball()
    ref = build_reference_video(image, traj)
    assert isinstance(ref, ReferenceVideo) and ref.names == ["card", "ball"]
    assert ref.frames.shape == (T, H, W, 3) and ref.frames.dtype == torch.float32
    assert ref.hold_mask.shape == (T, H, W) and ref.hold_mask.dtype == torch.bool
    assert ref.labels.shape == (T, H, W) and ref.labels.dtype == torch.uint8
    assert ref.background.shape == (H, W, 3) and ref.transforms.shape == (T, 2, 2, 3)
    assert ref.strength is None and torch.equal(ref.hold_weights(), ref.hold_mask.float())
    assert float(ref.frames.min()) >= 0.0 and float(ref.frames.max()) <= 1.0


@pytest.mark.parametrize("with_affines", [True, False], ids=["affines", "moments"])
def test_front_object_is_on_top(with_affines):
    image, traj = card_and_ball(depth_ball_front=True, with_affines=with_affines)
    overlap = (traj.labels[-1] == 2).numpy() & np.asarray(traj.labels[0] == 1)
    assert overlap.sum() > 300
    blue, red = np.array(BLUE), np.array(RED)
    for fit in ("warp", "masks"):
        ref = build_reference_video(image, traj, fit=fit)
        assert (ref.labels[-1].numpy()[overlap] == 2).all(), fit
        assert np.abs(ref.frames[-1].numpy()[overlap] - blue).max() < 0.05, fit
    # depth decides in "warp" mode: put the card in front and it covers the ball
    _, behind = card_and_ball(depth_ball_front=False, with_affines=with_affines)
    ref = build_reference_video(image, behind, fit="warp")
    assert (ref.labels[-1].numpy()[overlap] == 1).all()
    assert np.abs(ref.frames[-1].numpy()[overlap] - red).max() < 0.05
    # without depth, the label map says who is in front where the two overlap, whatever the
    # label order (here the ball is object 1, painted first if order were by label)
    _, nodepth = card_and_ball(depth_ball_front=None, with_affines=with_affines)
    swap = torch.tensor([0, 2, 1], dtype=torch.uint8)[nodepth.labels.long()]
    affines = None if nodepth.affines is None else nodepth.affines.flip(1)
    swapped = MaskTrajectory(swap, ["ball", "card"], affines=affines)
    ref = build_reference_video(image, swapped, fit="warp")
    assert (ref.labels[-1].numpy()[overlap] == 1).all()
    assert np.abs(ref.frames[-1].numpy()[overlap] - blue).max() < 0.05


def test_masks_fit_follows_the_trajectory_labels_exactly():
    image, traj = card_and_ball()
    ref = build_reference_video(image, traj)
    assert torch.equal(ref.labels, traj.labels)


def test_hold_mask_is_the_dilated_union_of_the_trajectory_masks():
    from scipy.ndimage import distance_transform_edt

    image, traj = card_and_ball()
    union = (traj.labels > 0).numpy()
    ref0 = build_reference_video(image, traj, hold_margin=0)
    assert np.array_equal(ref0.hold_mask.numpy(), union)
    for margin in (3, 8):
        hold = build_reference_video(image, traj, hold_margin=margin).hold_mask.numpy()
        for t in range(T):
            dist = distance_transform_edt(~union[t])
            assert (hold[t][dist <= margin]).all()  # the whole disc of radius `margin`
            assert not hold[t][dist > margin + 1].any()  # and nothing beyond it
    # the vacated place of the ball is not held (the inpainted guess is not trusted)
    ref = build_reference_video(image, traj, hold_margin=2)
    vacated = (traj.labels[0] == 2).numpy() & ~union[-1]
    assert not ref.hold_mask[-1].numpy()[vacated].any()


def test_per_object_strength_map_is_the_max_over_dilated_objects():
    from scipy.ndimage import distance_transform_edt

    image, traj = card_and_ball()
    ref = build_reference_video(image, traj, hold_margin=4, hold_strength={"card": 0.3})
    strength = ref.strength.numpy()
    assert ref.strength.dtype == torch.float32 and torch.equal(ref.hold_weights(), ref.strength)
    assert np.array_equal(strength > 0, ref.hold_mask.numpy())
    labels = traj.labels.numpy()
    both = 0
    for t in range(T):
        to_card, to_ball = distance_transform_edt(labels[t] != 1), distance_transform_edt(labels[t] != 2)
        # the digital disc of radius 4 reaches every pixel within 4 px and none beyond 5
        assert np.allclose(strength[t][(to_card <= 4) & (to_ball > 5)], 0.3)
        assert np.allclose(strength[t][to_ball <= 4], 1.0)  # where both reach, the max wins
        both += int(((to_card <= 4) & (to_ball <= 4)).sum())
        assert (strength[t][~ref.hold_mask[t].numpy()] == 0).all()
    assert both > 100  # the ball passes over the card: the max case was exercised
    off = build_reference_video(image, traj, hold_margin=0, hold_strength={"card": 0.0, "ball": 0.5}).strength.numpy()
    assert np.allclose(off[labels == 1], 0.0) and np.allclose(off[labels == 2], 0.5) and (off[labels == 0] == 0).all()


def test_invisible_and_late_objects_are_not_pasted_or_held():
    image, traj = card_and_ball()
    labels = traj.labels.clone()
    labels[2:4][labels[2:4] == 2] = 0  # the ball vanishes in frames 2 and 3
    late = np.zeros((H, W), bool)
    late[95:110, 10:30] = True
    labels[3:, torch.from_numpy(late)] = 3  # a third object appears later; no first-frame pixels
    traj = MaskTrajectory(labels, ["card", "ball", "bird"])
    ref = build_reference_video(image, traj, hold_margin=4)
    card = (labels[0] == 1).numpy()
    for t in (2, 3):
        assert not (ref.labels[t] == 2).any()
        assert torch.isnan(ref.transforms[t, 1]).all()
        ys, xs = np.nonzero(ref.hold_mask[t].numpy())  # only the card (plus margin) is held
        assert ys.min() >= 20 - 4 and ys.max() < 80 + 4 and xs.min() >= 30 - 4 and xs.max() < 90 + 4
        assert card.sum() > 0
    assert not (ref.labels == 3).any() and torch.isnan(ref.transforms[:, 2]).all()
    assert not ref.hold_mask[4].numpy()[late].any()
    assert any("'bird'" in n and "first frame" in n for n in ref.notes)
    assert (ref.labels[4] == 2).any()


def test_affines_that_disagree_with_the_masks_fall_back_to_moments():
    image, traj = card_and_ball(depth_ball_front=None)
    wrong = torch.zeros(T, 2, 2, 3)
    wrong[..., 0, 0] = wrong[..., 1, 1] = 1.0  # "nothing moves", but the ball's mask moves
    traj = MaskTrajectory(traj.labels, traj.names, affines=wrong)
    ref = build_reference_video(image, traj, fit="warp")
    assert any("'ball'" in n and "disagree" in n for n in ref.notes)
    assert not any("'card'" in n for n in ref.notes)
    shown, target = ref.labels[-1] == 2, traj.labels[-1] == 2
    assert float((shown & target).sum()) / float((shown | target).sum()) >= 0.95


def test_objects_input_supplies_the_first_frame_segmentation():
    image, traj = card_and_ball()
    tree = np.zeros((H, W), bool)
    tree[90:115, 120:150] = True
    first = traj.labels[0].long().clone()
    first[torch.from_numpy(tree)] = 3
    objects = ObjectSet(first, ["card", "ball", "tree"])  # the tree is not in the trajectory
    ref = build_reference_video(image, traj, objects=objects)
    # the tree is background to the reference: never a hole, never held, bit-exact in every frame
    assert torch.equal(ref.frames[:, torch.from_numpy(tree)], image[torch.from_numpy(tree)].expand(T, -1, -1))
    assert not ref.hold_mask[:, torch.from_numpy(tree)].any()
    with pytest.raises(TTMInputError) as err:
        build_reference_video(image, traj, objects=ObjectSet(torch.zeros(H, W + 1, dtype=torch.long)))
    assert err.value.input_name == "objects"
    with pytest.raises(TTMInputError, match="none of its names") as err:
        build_reference_video(image, traj, objects=ObjectSet(first.clamp(max=1), ["dog"]))
    assert err.value.input_name == "objects"


def test_zero_objects_give_the_image_repeated_and_an_empty_hold():
    image = torch.rand(H, W, 3)
    traj = MaskTrajectory(torch.zeros(T, H, W, dtype=torch.uint8), [])
    ref = build_reference_video(image, traj, hold_strength={})
    assert torch.equal(ref.frames, image.expand(T, H, W, 3))
    assert not ref.hold_mask.any() and not ref.labels.any() and not ref.strength.any()
    assert ref.transforms.shape == (T, 0, 2, 3) and torch.equal(ref.background, image)


def test_accepts_pil_uint8_numpy_and_a_batch_of_one():
    from PIL import Image

    image, traj = card_and_ball()
    u8 = (image.numpy() * 255).round().astype(np.uint8)
    expected = build_reference_video(torch.from_numpy(u8.astype(np.float32) / 255), traj).frames
    for form in (u8, Image.fromarray(u8), torch.from_numpy(u8).unsqueeze(0), u8.astype(np.float64) / 255):
        assert torch.allclose(build_reference_video(form, traj).frames, expected, atol=1e-6)


def test_grey_images_are_used_as_grey_rgb():
    image, traj = card_and_ball()
    grey = image.mean(-1)
    ref = build_reference_video(grey, traj)
    assert torch.equal(ref.frames[0], grey.unsqueeze(-1).expand_as(image))


def _bad(image, traj, **kw):
    with pytest.raises(TTMInputError) as err:
        build_reference_video(image, traj, **kw)
    return err.value


@pytest.mark.parametrize(
    "make,name,words",
    [
        (lambda im: im[:, :-10], "image", "trajectory is 160x120"),
        (lambda im: torch.where(torch.rand_like(im) < 0.01, float("nan"), im), "image", "NaN"),
        (lambda im: (im * 255).long(), "image", "dtype int64"),
        (lambda im: im > 0.5, "image", "dtype bool"),
        (lambda im: im[..., :2], "image", "channels"),
        (lambda im: im.expand(2, -1, -1, -1), "image", "batch of 2"),
        (lambda im: im * 255, "image", "0..1"),
        (lambda im: "frame.png", "image", "PIL image"),
    ],
)
def test_bad_images_name_the_input(make, name, words):
    image, traj = card_and_ball()
    err = _bad(make(image), traj)
    assert err.input_name == name and words in str(err)


@pytest.mark.parametrize(
    "kw,name",
    [
        (dict(hold_margin=-1), "hold_margin"),
        (dict(hold_margin=2.5), "hold_margin"),
        (dict(hold_margin=True), "hold_margin"),
        (dict(hole_margin=-2), "hole_margin"),
        (dict(inpaint="fast"), "inpaint"),
        (dict(fit="paste"), "fit"),
        (dict(hold_strength={"dog": 1.0}), "hold_strength"),
        (dict(hold_strength=[1.0, 0.5]), "hold_strength"),
        (dict(hold_strength={"card": 1.5}), "hold_strength['card']"),
        (dict(hold_strength={"card": "full"}), "hold_strength['card']"),
    ],
)
def test_bad_options_name_the_input(kw, name):
    image, traj = card_and_ball()
    assert _bad(image, traj, **kw).input_name == name


def test_bad_trajectory_names_the_input():
    image, traj = card_and_ball()
    assert _bad(image, traj.labels).input_name == "trajectory"


def test_progress_and_interrupt():
    image, traj = card_and_ball()
    seen = []
    build_reference_video(image, traj, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(t + 1, T) for t in range(T)]
    with pytest.raises(TTMInterrupted):
        build_reference_video(image, traj, interrupt=lambda: len(seen) > 0)


def test_importing_guidance_stays_cheap():
    code = "import sys, ttm_core.guidance; sys.exit(1 if 'cv2' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
