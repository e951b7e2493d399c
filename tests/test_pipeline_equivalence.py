"""With every guidance off, motion_to_video returns exactly what the stock diffusers pipeline returns."""

import pytest
import torch

from ttm_core import MaskTrajectory, PromptPlan, motion_to_video
from pipeline_helpers import SIZES, cached_pipe, stock_frames, make_image, two_object_trajectory

CASES = [(v, size, frames) for v, sizes in SIZES.items() for size in sizes for frames in (5, 9)]


@pytest.mark.parametrize("variant,size,num_frames", CASES, ids=lambda c: str(c))
def test_guidance_off_equals_stock(variant, size, num_frames):
    pipe = cached_pipe(variant)
    h, w = size
    image = make_image(h, w)
    plan = PromptPlan("a dog chases a red ball in a park", "the dog runs right", {"dog": "a running dog", "ball": "a ball"})
    traj = two_object_trajectory(h, w, num_frames)
    kwargs = dict(num_frames=num_frames, height=h, width=w, num_inference_steps=3, guidance_scale=5.0, seed=7)
    ours = motion_to_video(
        pipe, image, traj, plan, negative_prompt="blurry", beta_self=0.0, beta_cross=0.0, anchoring=False, **kwargs
    )
    stock = stock_frames(pipe, image, plan.global_prompt, "blurry", h, w, num_frames, 3, 5.0, 7)
    assert ours.shape == (num_frames, h, w, 3)
    assert float((ours - stock).abs().max()) <= 1e-5


@pytest.mark.parametrize("variant", list(SIZES))
def test_no_objects_means_stock_even_with_guidance_on(variant):
    pipe = cached_pipe(variant)
    h, w = SIZES[variant][0]
    image = make_image(h, w, seed=3)
    empty = MaskTrajectory(torch.zeros(5, h, w, dtype=torch.uint8), [], 16.0)
    ours = motion_to_video(pipe, image, empty, "a quiet street", num_frames=5, height=h, width=w,
                           num_inference_steps=2, guidance_scale=4.0, seed=1)
    stock = stock_frames(pipe, image, "a quiet street", None, h, w, 5, 2, 4.0, 1)
    assert float((ours - stock).abs().max()) <= 1e-5


def test_guidance_scale_one_disables_cfg_like_stock():
    pipe = cached_pipe("wan21_i2v")
    h, w = SIZES["wan21_i2v"][0]
    image = make_image(h, w)
    traj = two_object_trajectory(h, w, 5)
    ours = motion_to_video(pipe, image, traj, "a dog", num_frames=5, height=h, width=w, num_inference_steps=2,
                           guidance_scale=1.0, seed=2, beta_self=0, beta_cross=0, anchoring=False)
    stock = stock_frames(pipe, image, "a dog", None, h, w, 5, 2, 1.0, 2)
    assert float((ours - stock).abs().max()) <= 1e-5
