"""Stage 2 with guidance on: it acts, stays finite, never leaks processors, and rejects bad input."""

import pytest
import torch

from ttm_core import PromptPlan, TTMInputError, motion_to_video
from ttm_core.attention import MaskedCrossAttnProcessor, MaskedSelfAttnProcessor
from pipeline_helpers import SIZES, cached_pipe, make_image, stock_frames, two_object_trajectory

PLAN = PromptPlan("a dog chases a ball", "the dog runs right", {"dog": "a brown dog running", "ball": "a red ball"})


def _processors(pipe):
    procs = []
    for t in (pipe.transformer, pipe.transformer_2):
        if t is not None:
            procs += [b.attn1.processor for b in t.blocks] + [b.attn2.processor for b in t.blocks]
    return procs


def _run(pipe, variant, **kw):
    h, w = SIZES[variant][0]
    args = dict(num_frames=5, height=h, width=w, num_inference_steps=4, guidance_scale=5.0, seed=3, anchoring=False)
    args.update(kw)
    return motion_to_video(pipe, make_image(h, w), two_object_trajectory(h, w, args["num_frames"]), PLAN, **args)


@pytest.mark.parametrize("variant", list(SIZES))
def test_guidance_changes_output_and_restores_processors(variant):
    pipe = cached_pipe(variant)
    before = _processors(pipe)
    h, w = SIZES[variant][0]
    frames, info = _run(pipe, variant, beta_self=1.0, beta_cross=1.0, block_fraction=1.0, step_fraction=1.0,
                        return_info=True)
    stock = stock_frames(pipe, make_image(h, w), PLAN.global_prompt, None, h, w, 5, 4, 5.0, 3)
    assert torch.isfinite(frames).all() and frames.min() >= 0 and frames.max() <= 1
    assert float((frames - stock).abs().max()) > 1e-4
    assert info["masked_attention"] and info["state"].calls["self"] > 0 and info["state"].calls["cross"] > 0
    assert _processors(pipe) == before
    assert not any(isinstance(p, (MaskedSelfAttnProcessor, MaskedCrossAttnProcessor)) for p in _processors(pipe))


def test_schedule_limits_calls_to_blocks_and_steps():
    pipe = cached_pipe("wan21_i2v")  # 2 blocks, CFG on: 2 transformer calls per step
    _, info = _run(pipe, "wan21_i2v", beta_self=0.5, beta_cross=0.5, block_fraction=0.5, step_fraction=0.5,
                   return_info=True)
    # 4 steps * 0.5 = 2 active steps; 1 of 2 blocks; self on both CFG passes, cross on the conditional one
    assert info["state"].calls == {"self": 2 * 2, "cross": 2}


def test_processors_restored_after_exception_and_interrupt():
    pipe = cached_pipe("wan22_ti2v_5b")
    before = _processors(pipe)

    class Boom(RuntimeError):
        pass

    def explode(done, total):
        raise Boom()

    with pytest.raises(Boom):
        _run(pipe, "wan22_ti2v_5b", beta_self=1.0, progress=explode)
    assert _processors(pipe) == before

    calls = []

    def stop_after_one():
        calls.append(1)
        return len(calls) > 1

    from ttm_core.errors import TTMInterrupted

    with pytest.raises(TTMInterrupted):
        _run(pipe, "wan22_ti2v_5b", beta_self=1.0, interrupt=stop_after_one)
    assert _processors(pipe) == before


def test_progress_reports_every_step():
    seen = []
    _run(cached_pipe("wan21_i2v"), "wan21_i2v", progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


@pytest.mark.parametrize(
    "change,input_name",
    [
        (dict(height=50), "height"),
        (dict(width=70), "width"),
        (dict(num_frames=8), "num_frames"),
        (dict(local_prompts=["only one"]), "local_prompts"),
        (dict(beta_self=1.5), "beta_self"),
        (dict(num_inference_steps=0), "num_inference_steps"),
    ],
)
def test_bad_inputs_name_the_input(change, input_name):
    pipe = cached_pipe("wan21_i2v")
    h, w = SIZES["wan21_i2v"][0]
    args = dict(num_frames=5, height=h, width=w, num_inference_steps=2)
    args.update(change)
    traj = two_object_trajectory(h, w, 5)
    with pytest.raises(TTMInputError, match=f"^{input_name}"):
        motion_to_video(pipe, make_image(h, w), traj, PLAN, **args)


def test_trajectory_and_image_mismatches_are_named():
    pipe = cached_pipe("wan21_i2v")
    h, w = SIZES["wan21_i2v"][0]
    with pytest.raises(TTMInputError, match="^trajectory: is 64x32 but the image is 80x48"):
        motion_to_video(pipe, make_image(h, w), two_object_trajectory(32, 64, 5), PLAN, num_frames=5, height=h, width=w)
    with pytest.raises(TTMInputError, match="^trajectory: has 9 frames"):
        motion_to_video(pipe, make_image(h, w), two_object_trajectory(h, w, 9), PLAN, num_frames=5, height=h, width=w)
    nan_image = make_image(h, w)
    nan_image[3, 4, 1] = float("nan")
    with pytest.raises(TTMInputError, match="^image: contains NaN"):
        motion_to_video(pipe, nan_image, two_object_trajectory(h, w, 5), PLAN, num_frames=5, height=h, width=w)
    bad_plan = PromptPlan("scene", "", {"cat": "a cat"})
    with pytest.raises(TTMInputError, match="cat"):
        motion_to_video(pipe, make_image(h, w), two_object_trajectory(h, w, 5), bad_plan, num_frames=5, height=h, width=w)


def test_image_may_differ_from_generation_size():
    """The pipeline resizes the first frame; the trajectory follows with nearest-neighbour resizing."""
    pipe = cached_pipe("wan21_i2v")
    frames = motion_to_video(pipe, make_image(24, 40), two_object_trajectory(24, 40, 5), PLAN, num_frames=5,
                             height=48, width=80, num_inference_steps=2, anchoring=False, beta_self=1.0)
    assert frames.shape == (5, 48, 80, 3)
