"""Clocks on the noise level (ttm_core.guidance.clocks) and the diffusers path that uses them.

Expected steps come from hand-written tables (Time-to-Move: start 3, hold until 7 of 50; the
old ``round(t * steps)`` rule at 50 steps), expected latents from the scheduler's sigma table
and the noise sample directly.
"""

import pytest
import torch

from ttm_core import PromptPlan, motion_to_video
from ttm_core.attention import GuidanceConfig
from ttm_core.guidance.anchoring import AnchorConfig
from ttm_core.guidance.clocks import flow_percent_to_sigma, schedule_percents, sigma_to_percent, steps_before
from ttm_core.guidance.reference import build_reference_video
from ttm_core.images import resize_image
from pipeline_helpers import SIZES, cached_pipe, make_image, two_object_trajectory
from test_pipeline_anchoring import Recorder

PLAN = PromptPlan("a dog chases a ball", "the dog runs right", {"dog": "a dog"})


def unipc(shift: float, steps: int):
    from diffusers import UniPCMultistepScheduler

    sched = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=shift)
    sched.set_timesteps(steps)
    return sched


# hand-computed: (start step, steps held) of the default clocks (0.06, 0.14) per step count
DEFAULT_TABLE = {4: (0, 1), 8: (0, 1), 20: (1, 3), 50: (3, 7)}
# the rule before noise-level clocks, round(t * 50), written out
OLD_RULE_AT_50 = {0.0: 0, 0.02: 1, 0.06: 3, 0.1: 5, 0.14: 7, 0.2: 10, 0.3: 15, 0.5: 25, 0.62: 31, 1.0: 50}


@pytest.mark.parametrize("shift", [3.0, 5.0, 8.0])
@pytest.mark.parametrize("steps", sorted(DEFAULT_TABLE))
def test_default_clocks_table(shift, steps):
    sched = unipc(shift, steps)
    anchor = AnchorConfig()
    assert (anchor.start_index(sched), anchor.hold_until(sched)) == DEFAULT_TABLE[steps]


@pytest.mark.parametrize("shift", [3.0, 5.0])
def test_same_steps_as_before_at_50(shift):
    sched = unipc(shift, 50)
    percents = schedule_percents(sched.sigmas.tolist(), lambda p: flow_percent_to_sigma(p, shift))
    assert {t: steps_before(percents, t) for t in OLD_RULE_AT_50} == OLD_RULE_AT_50


def test_percent_inverse_matches_comfy_formula():
    for shift in (1.0, 3.0, 8.0):
        for p in (0.0, 0.01, 0.3, 0.77, 1.0):
            sigma = flow_percent_to_sigma(p, shift)
            t = 1 - p  # ComfyUI: time_snr_shift(shift, 1 - percent)
            assert sigma == pytest.approx(shift * t / (1 + (shift - 1) * t) if 0 < p < 1 else (1.0 if p == 0 else 0.0))
            assert sigma_to_percent(sigma, lambda q: flow_percent_to_sigma(q, shift)) == pytest.approx(p, abs=1e-9)


def test_block_fraction_rounds_up():
    """The first ceil(fraction * blocks) blocks, written out."""
    table = {(0.25, 40): 10, (0.26, 40): 11, (0.3, 2): 1, (0.01, 30): 1, (0.5, 3): 2, (0.0, 8): 0, (1.0, 30): 30}
    got = {key: len(GuidanceConfig(block_fraction=key[0]).block_indices(key[1])) for key in table}
    assert got == table


def test_block_fraction_rounds_up_in_the_diffusers_run():
    pipe = cached_pipe("wan21_i2v")  # 2 blocks: 0.3 of them is one block, not none
    h, w = SIZES["wan21_i2v"][0]
    _, info = motion_to_video(pipe, make_image(h, w), two_object_trajectory(h, w, 5), PLAN, num_frames=5, height=h,
                              width=w, num_inference_steps=2, guidance_scale=1.0, seed=1, anchoring=False,
                              beta_self=0.5, beta_cross=0.0, block_fraction=0.3, step_fraction=1.0, return_info=True)
    assert info["state"].calls["self"] == 2  # one block x two steps x one CFG pass


def _run(variant, steps, **kw):
    pipe = cached_pipe(variant)
    h, w = SIZES[variant][0]
    args = dict(num_frames=9, height=h, width=w, num_inference_steps=steps, guidance_scale=1.0, seed=5,
                beta_self=0.0, beta_cross=0.0, anchoring=True, hold_margin=4, return_info=True)
    args.update(kw)
    with Recorder(pipe, pipe.vae.config.z_dim) as rec:
        _, info = motion_to_video(pipe, make_image(h, w), two_object_trajectory(h, w, 9), PLAN, **args)
    return pipe, rec, info


def _pool(px: torch.Tensor, stride: int) -> torch.Tensor:
    """Pixel weights [9, H, W] to latent weights by hand: mean over each latent frame's pixel
    frames (0 | 1-4 | 5-8) and over each cell's pixels."""
    px = px.double()
    _, h, w = px.shape
    frames = torch.stack([px[0]] + [px[1 + 4 * j: 5 + 4 * j].mean(0) for j in range(2)])
    return frames.view(3, h // stride, stride, w // stride, stride).mean(dim=(2, 4))[None, None].float()


def _reference(variant):
    h, w = SIZES[variant][0]
    return build_reference_video(resize_image(make_image(h, w), h, w), two_object_trajectory(h, w, 9), hold_margin=4)


def _hand_pooled(variant, stride):
    return _pool(_reference(variant).hold_weights(), stride)


@pytest.mark.parametrize("variant", ["wan21_i2v", "wan22_ti2v_5b"])
def test_diffusers_hold_matches_sigma_table(variant):
    """Start and every held step against (1 - sigma) z + sigma noise from the scheduler's own sigma
    table, with the hold weights pooled by hand (partial cells included)."""
    pipe, rec, info = _run(variant, 10, t_weak=0.1, t_strong=0.6)
    sigmas = pipe.scheduler.sigmas
    z, noise = info["z_ref"], info["noise"]
    start, held = info["start_step"], info["strong_until"]
    assert (start, held) == (1, 6)
    weights = _hand_pooled(variant, 8 if variant == "wan21_i2v" else 16)
    assert ((weights > 0) & (weights < 1)).any()  # partial cells exist
    assert float((info["hold"] - weights).abs().max()) <= 1e-6
    first = (1 - sigmas[start]) * z + sigmas[start] * noise
    assert float((rec.steps[0][1] - first).abs().max()) <= 1e-5
    for j, (_, _, after) in enumerate(rec.steps[:-1]):
        i, nxt = start + j, rec.steps[j + 1][1]
        if i < held:
            target = (1 - sigmas[i + 1]) * z + sigmas[i + 1] * noise
            want = after + weights * (target - after)
            assert float((nxt - want).abs().max()) <= 1e-5, f"step {i}"
        else:
            assert torch.equal(nxt, after)


def test_per_object_hold_end_diffusers():
    """``ball`` released at 0.2 (steps 0..1 of 10), ``dog`` held until t_strong 0.6."""
    pipe, rec, info = _run("wan21_i2v", 10, t_weak=0.0, t_strong=0.6, hold_end={"ball": 0.2})
    assert info["start_step"] == 0 and info["strong_until"] == 6
    ref = _reference("wan21_i2v")
    dog, ball = (_pool(ref.hold_weights() * (ref.owner == k), 8) for k in (1, 2))
    assert (dog > 0).any() and (ball > 0).any()
    z, noise, sigmas = info["z_ref"], info["noise"], pipe.scheduler.sigmas
    for j in range(8):
        nxt, after = rec.steps[j + 1][1], rec.steps[j][2]
        weights = (dog + ball).clamp(0, 1) if j < 2 else dog if j < 6 else None
        if weights is None:
            assert torch.equal(nxt, after)
            continue
        target = (1 - sigmas[j + 1]) * z + sigmas[j + 1] * noise
        assert float((nxt - (after + weights * (target - after))).abs().max()) <= 1e-5, j


def test_same_noise_levels_at_4_and_50_steps_diffusers():
    """Recording: the default clocks overwrite the same noise range at 4 and 50 steps, within one
    step of the 4-step schedule (0.25 in percent)."""
    ranges = {}
    for steps in (4, 50):
        pipe, rec, info = _run("wan21_i2v", steps)
        shift = pipe.scheduler.config.flow_shift
        to_p = lambda s: sigma_to_percent(float(s), lambda q: flow_percent_to_sigma(q, shift))  # noqa: E731
        start = len(pipe.scheduler.sigmas) - 1 - len(rec.steps)
        touched = [j for j in range(len(rec.steps) - 1) if not torch.equal(rec.steps[j + 1][1], rec.steps[j][2])]
        assert touched == list(range(len(touched))) and touched
        sigmas = pipe.scheduler.sigmas
        ranges[steps] = (to_p(sigmas[start]), to_p(sigmas[start + len(touched)]))
    assert ranges[50] == (pytest.approx(3 * 0.999 / 50), pytest.approx(7 * 0.999 / 50))
    for a, b in zip(ranges[4], ranges[50]):
        assert abs(a - b) <= 0.25 + 1e-9, ranges
