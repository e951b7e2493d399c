"""Nodes: what ComfyUI hands over reaches the core unchanged, and core errors name the node's inputs.

Expected values come from the inputs themselves (an RGBA image's first three channels) and from
the documented widget meaning ("cfg_low_noise: 0 uses cfg"): a run with 0 equals a run with cfg.
"""

from __future__ import annotations

import pytest
import torch

from node_helpers import VARIANT_FOLDERS, call, models, plan, scene  # noqa: F401
from ttm_core.errors import TTMInputError
from ttm_core.types import MaskTrajectory


def _rgba(image: torch.Tensor) -> torch.Tensor:
    alpha = torch.full_like(image[..., :1], 0.25)
    return torch.cat([image, alpha], -1)


def test_an_rgba_image_keeps_its_colour_channels(pack):
    """The visualisation node draws over the background: far from the objects both outputs show the image's RGB."""
    image, objects = scene()
    traj = MaskTrajectory.still(objects, 1)
    (frames, summary), _ = call(pack, "TTMVisualizeTrajectory", trajectory=traj, style="overlay", contours=False,
                                names=False, trails=False, background=_rgba(image))
    outside = traj.labels[0] == 0
    assert torch.equal(frames[0][outside], image[0][outside])
    far = (slice(0, 12), slice(None))  # rows 0..11: more than 8 px above every object
    assert torch.allclose(summary[0][far], image[0][far], atol=1e-6)


@pytest.fixture(scope="module")
def a14b(models, pack):
    (ref,) = call(pack, "TTMLoadVideoModel", model=VARIANT_FOLDERS["wan22_i2v_a14b"], device="cpu", precision="fp32")
    return ref


def test_cfg_low_noise_zero_means_use_cfg(pack, a14b):
    image, objects = scene()
    image, objects = image[:, :32, :64], _crop_objects(objects)
    traj = MaskTrajectory.still(objects, 5)
    args = dict(video_model=a14b, image=image, trajectory=traj, prompts=plan(), width=64, height=32, num_frames=5,
                steps=2, cfg=4.0, seed=1, anchoring=False, beta_self=0.0, beta_cross=0.0)
    (zero,) = call(pack, "TTMMotionToVideo", cfg_low_noise=0.0, **args)
    (same,) = call(pack, "TTMMotionToVideo", cfg_low_noise=4.0, **args)
    assert float((zero - same).abs().max()) <= 1e-6
    (other,) = call(pack, "TTMMotionToVideo", cfg_low_noise=1.5, **args)
    assert float((other - zero).abs().max()) > 1e-4  # the low-noise expert ran with its own scale


def _crop_objects(objects):
    from ttm_core.types import ObjectSet

    labels = objects.labels[:32, :64]
    names = [n for i, n in enumerate(objects.names, start=1) if bool((labels == i).any())]
    return ObjectSet(labels, names)


def test_stage2_steps_error_names_the_steps_widget(pack, a14b):
    image, objects = scene()
    image, objects = image[:, :32, :64], _crop_objects(objects)
    with pytest.raises(TTMInputError, match="^steps: "):
        call(pack, "TTMMotionToVideo", video_model=a14b, image=image, trajectory=MaskTrajectory.still(objects, 5),
             prompts=plan(), width=64, height=32, num_frames=5, steps=0)


def test_plan_errors_name_the_prompts_socket(pack):
    image, objects = scene()
    bad = plan(cube=[{"t": 0.0, "dx": 0.5}])  # frame 0 must show the input
    with pytest.raises(TTMInputError, match=r"^prompts\.keyframes\['cube'\]\[0\]: "):
        call(pack, "TTMMotionFromPlan", objects=objects, prompts=bad, num_frames=5)


def test_objects_from_masks_errors_name_the_names_widget(pack):
    _, objects = scene()
    with pytest.raises(TTMInputError, match="^object_names: "):
        call(pack, "TTMObjectsFromMasks", masks=objects.masks().float(), object_names="ball, ball")
