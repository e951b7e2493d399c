"""Dual-clock anchoring: where sampling starts, what is overwritten and until when.

A recording wrapper around the scheduler and the transformer logs every latent that goes in and
out; the clocks are then checked against the documented rule, tensor by tensor.
"""

import pytest
import torch

from ttm_core import PromptPlan, motion_to_video
from ttm_core.guidance.anchoring import noise_to_step
from pipeline_helpers import SIZES, cached_pipe, make_image, stock_frames, two_object_trajectory

PLAN = PromptPlan("a dog chases a ball", "the dog runs right", {"dog": "a dog"})


class Recorder:
    def __init__(self, pipe, z_dim):
        self.pipe, self.z_dim = pipe, z_dim
        self.model_inputs, self.steps, self.handles = [], [], []

    def __enter__(self):
        sched = self.pipe.scheduler
        original = sched.step

        def step(model_output, timestep, sample, *a, **kw):
            out = original(model_output, timestep, sample, *a, **kw)
            self.steps.append((float(timestep), sample.clone(), out[0].clone()))
            return out

        sched.step = step
        for t in (self.pipe.transformer, self.pipe.transformer_2):
            if t is not None:
                self.handles.append(t.register_forward_pre_hook(self._hook, with_kwargs=True))
        return self

    def _hook(self, module, args, kwargs):
        self.model_inputs.append((kwargs["hidden_states"][:, : self.z_dim].clone(), kwargs["timestep"].clone()))

    def __exit__(self, *exc):
        del self.pipe.scheduler.step
        for h in self.handles:
            h.remove()


@pytest.mark.parametrize("variant", list(SIZES))
def test_clocks(variant):
    pipe = cached_pipe(variant)
    h, w = SIZES[variant][0]
    steps = 10
    with Recorder(pipe, pipe.vae.config.z_dim) as rec:
        frames, info = motion_to_video(
            pipe, make_image(h, w), two_object_trajectory(h, w, 9), PLAN, num_frames=9, height=h, width=w,
            num_inference_steps=steps, guidance_scale=1.0, seed=5, beta_self=0.0, beta_cross=0.0,
            anchoring=True, t_weak=0.2, t_strong=0.6, return_info=True,
        )
    assert torch.isfinite(frames).all()
    start, strong = info["start_step"], info["strong_until"]
    assert (start, strong) == (2, 6)
    z_ref, noise, hold = info["z_ref"], info["noise"], info["hold"]
    sched = pipe.scheduler
    timesteps = sched.timesteps
    # sampling starts at t_weak, from the reference noised to that level
    assert len(rec.steps) == steps - start
    first_t = rec.model_inputs[0][1].flatten()[-1]
    assert float(first_t) == float(timesteps[start])
    assert torch.allclose(rec.steps[0][1], noise_to_step(sched, z_ref, noise, start), atol=1e-6)
    inside = (hold == 1).expand_as(z_ref)
    outside = (hold == 0).expand_as(z_ref)
    assert inside.any() and outside.any()
    for j, (t, before, after) in enumerate(rec.steps):
        i = start + j
        nxt = rec.steps[j + 1][1] if j + 1 < len(rec.steps) else None
        if nxt is None:
            break
        if i < strong:  # hold region = reference noised to the level just reached
            target = noise_to_step(sched, z_ref, noise, i + 1)
            assert torch.allclose(nxt[inside], target[inside], atol=1e-6), f"step {i}"
        else:  # after t_strong nothing is overwritten
            assert torch.equal(nxt, after), f"step {i}"
        assert torch.equal(nxt[outside], after[outside]), f"step {i}"  # outside the hold region never


def test_anchoring_off_keeps_stock_equivalence():
    pipe = cached_pipe("wan22_i2v_a14b")
    h, w = SIZES["wan22_i2v_a14b"][1]
    ours = motion_to_video(pipe, make_image(h, w), two_object_trajectory(h, w, 5), PLAN, num_frames=5, height=h,
                           width=w, num_inference_steps=3, seed=9, anchoring=False, beta_self=0, beta_cross=0)
    stock = stock_frames(pipe, make_image(h, w), PLAN.global_prompt, None, h, w, 5, 3, 5.0, 9)
    assert float((ours - stock).abs().max()) <= 1e-5


@pytest.mark.parametrize("variant", list(SIZES))
def test_default_guidance_runs_and_differs(variant):
    pipe = cached_pipe(variant)
    h, w = SIZES[variant][0]
    frames, info = motion_to_video(pipe, make_image(h, w), two_object_trajectory(h, w, 9), PLAN, num_frames=9,
                                   height=h, width=w, num_inference_steps=10, seed=4, return_info=True)
    stock = stock_frames(pipe, make_image(h, w), PLAN.global_prompt, None, h, w, 9, 10, 5.0, 4)
    assert info["anchoring"] and info["masked_attention"]
    assert torch.isfinite(frames).all() and float((frames - stock).abs().max()) > 1e-4


def test_ti2v_first_frame_stays_the_condition():
    """expand_timesteps: latent frame 0 is the clean image latent in every model input."""
    pipe = cached_pipe("wan22_ti2v_5b")
    h, w = SIZES["wan22_ti2v_5b"][0]
    with Recorder(pipe, pipe.vae.config.z_dim) as rec:
        motion_to_video(pipe, make_image(h, w), two_object_trajectory(h, w, 9), PLAN, num_frames=9, height=h,
                        width=w, num_inference_steps=6, seed=1, guidance_scale=1.0)
    first = rec.model_inputs[0][0][:, :, 0]
    for latents, timestep in rec.model_inputs:
        assert torch.equal(latents[:, :, 0], first)
        frame0_tokens = (h // 32) * (w // 32)
        assert (timestep[:, :frame0_tokens] == 0).all()
