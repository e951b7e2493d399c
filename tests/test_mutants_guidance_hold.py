"""Tests from surviving guidance mutants: the hold (noising path, schedule, per-object ends), the
clocks and schedulers, and the reference's encoding.

Expected values are hand computations, OpenCV called directly and dense references; verdicts on
the survivors not killed here are in ``docs/mutation-survivors/guidance.md``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from ttm_core.errors import TTMInputError
from ttm_core.guidance.hold import HoldSchedule, ObjectHolds, noising_path
from ttm_core.guidance.similarity import AGREEMENT, affine_agrees
from guidance_helpers import IDENTITY


# --- the hold: noising path, schedule, per-object ends --------------------------------------


def test_noising_path_at_a_float_sigma_is_the_straight_line_in_the_latents_dtype():
    z = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float16)
    noise = torch.tensor([3.0, 2.0, -1.0], dtype=torch.float16)
    out = noising_path(z, noise, 0.25)  # a Python float, as ComfyUI's sampler hands it over
    assert out.dtype == torch.float16
    assert out.tolist() == [1.5, -1.0, 0.125]  # 0.75 z + 0.25 noise, exact in fp16
    tensor_sigma = noising_path(z, noise, torch.tensor(0.25, dtype=torch.float64))
    assert tensor_sigma.dtype == torch.float16 and tensor_sigma.tolist() == [1.5, -1.0, 0.125]


def _schedule(maps):
    # percent p <-> sigma 1 - p; five sigmas = four steps at percents 0, .25, .5, .75 (midpoints
    # .125, .375, .625, .875): end 0.5 holds 2 steps, end 0.75 holds 3, end 0.2 holds 1, end 0.1 none
    return HoldSchedule(maps, [1.0, 0.75, 0.5, 0.25, 0.0], lambda p: 1.0 - p)


def test_hold_schedule_sums_the_maps_that_act_at_each_step_and_clamps_to_one():
    a, b = torch.tensor([0.6, 0.2]), torch.tensor([0.7, 0.3])
    schedule = _schedule([(0.5, a), (0.75, b)])
    assert schedule.active and schedule.steps_held == 3
    got = [schedule.weight_at_step(i) for i in range(5)]
    assert torch.allclose(got[0], torch.tensor([1.0, 0.5])) and torch.allclose(got[1], torch.tensor([1.0, 0.5]))
    assert torch.equal(got[2], b)  # only b still acts at the third step
    assert got[3] is None and got[4] is None  # past both ends; the last sigma is no evaluation
    whole = _schedule([(1.0, a)])  # end 1: every step held, the fourth (sigma 0.25) too
    assert whole.steps_held == 4 and torch.equal(whole.weight_at_step(3), a) and whole.weight_at_step(4) is None


def test_hold_schedule_drops_maps_that_hold_no_step_or_no_cell():
    nothing = torch.zeros(2)
    assert not _schedule([(0.0, torch.ones(2))]).active  # end 0: no step lies before it
    assert not _schedule([(0.75, nothing)]).active  # an empty map holds nothing
    one = _schedule([(0.2, torch.ones(2)), (0.1, torch.full((2,), 0.5))])
    assert one.steps_held == 1 and torch.equal(one.weight_at_step(0), torch.ones(2))
    assert one.weight_at_step(1) is None


def test_object_holds_names_a_bad_end_and_suggests_a_valid_one():
    owner = torch.zeros(1, 2, 2, dtype=torch.uint8)
    with pytest.raises(TTMInputError, match=r"^hold_end\['dog'\]") as err:
        ObjectHolds(["dog"], owner, {"dog": 1.5})
    assert "dog: 0.1" in str(err.value)  # the suggested value is itself in 0..1
    with pytest.raises(TTMInputError, match="^hold_end") as err:
        ObjectHolds(["dog"], owner, {"cat": 0.5})
    assert "dog: 0.1" in str(err.value)


def test_affine_agrees_at_exactly_the_agreement_share():
    source = np.zeros((1, 5), bool)
    source[0, :3] = True
    points = np.array([[x, 0] for x in range(5)], np.float64)  # 3 of 5 map back onto the source
    assert AGREEMENT == 0.6 and affine_agrees(IDENTITY, source, points)
    source[0, 2] = False  # 2 of 5
    assert not affine_agrees(IDENTITY, source, points)


# --- the reference's per-object hold weights and its encoding --------------------------------


def _reference(strength, owner, names=("dog", "cat")):
    from ttm_core.guidance.reference import ReferenceVideo

    t, h, w = owner.shape
    return ReferenceVideo(torch.zeros(t, h, w, 3), owner > 0, torch.zeros(h, w, 3), owner.clone(),
                          torch.zeros(t, len(names), 2, 3), list(names), strength=strength, owner=owner)


def test_object_hold_weights_are_each_objects_share_of_the_hold():
    owner = torch.tensor([[[1, 2], [0, 2]]], dtype=torch.uint8)
    strength = torch.tensor([[[0.5, 0.25], [0.0, 1.0]]])
    ref = _reference(strength, owner)
    assert ref.object_hold_weights("dog").tolist() == [[[0.5, 0.0], [0.0, 0.0]]]
    assert ref.object_hold_weights("cat").tolist() == [[[0.0, 0.25], [0.0, 1.0]]]
    single = _reference(strength, owner, ("dog",))
    single.owner = None  # one object needs no owner map: the whole hold is its own
    assert torch.equal(single.object_hold_weights("dog"), strength)
    with pytest.raises(TTMInputError, match="^name"):
        ref.object_hold_weights("bird")


def _tiny_vae(dtype=torch.float32):
    from ttm_core.testing.tiny_wan import TinyWanSize, _vae

    return SimpleNamespace(vae=_vae("wan21_i2v", TinyWanSize(), 0).to(dtype).eval())


def test_encode_reference_is_the_vae_mode_normalised_by_the_configs_mean_and_std():
    from ttm_core.guidance.anchoring import encode_reference

    pipe = _tiny_vae()
    frames = torch.rand(5, 16, 16, 3, generator=torch.Generator().manual_seed(0))  # [T, H, W, 3] in 0..1
    config = pipe.vae.config
    with torch.no_grad():
        mode = pipe.vae.encode((frames * 2 - 1).permute(3, 0, 1, 2)[None]).latent_dist.mode()
        mean = torch.tensor(config.latents_mean).view(1, -1, 1, 1, 1)
        std = torch.tensor(config.latents_std).view(1, -1, 1, 1, 1)
        want = (mode - mean) / std
        kept = frames.clone()
        got = encode_reference(pipe, kept, "cpu")
        assert torch.equal(kept, frames)  # by default the caller's frames are left alone
        consumed = frames.clone()
        in_place = encode_reference(pipe, consumed, "cpu", consume=True)
    assert got.dtype == torch.float32 and got.shape == (1, config.z_dim, 2, 2, 2)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(in_place, want, rtol=1e-5, atol=1e-5)
    # consume rescales the frames' own buffer to -1..1 instead of copying the video
    torch.testing.assert_close(consumed, frames * 2 - 1)


def test_encode_reference_feeds_the_vae_its_own_dtype_and_returns_float32():
    from ttm_core.guidance.anchoring import encode_reference

    pipe = _tiny_vae(torch.float64)  # a VAE in another dtype than the frames (bf16 on a GPU)
    frames = torch.rand(1, 16, 16, 3, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        got = encode_reference(pipe, frames, "cpu")
        mode = pipe.vae.encode((frames.double() * 2 - 1).permute(3, 0, 1, 2)[None]).latent_dist.mode()
    std = torch.tensor(pipe.vae.config.latents_std, dtype=torch.float64).view(1, -1, 1, 1, 1)
    mean = torch.tensor(pipe.vae.config.latents_mean, dtype=torch.float64).view(1, -1, 1, 1, 1)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, ((mode - mean) / std).float(), rtol=1e-5, atol=1e-5)




def test_start_step_leaves_at_least_one_step_and_a_one_entry_schedule_starts_at_zero():
    from ttm_core.guidance.clocks import start_step

    percents = [0.0, 0.25, 0.5, 0.75, 1.0]  # four steps, midpoints .125 .375 .625 .875
    assert [start_step(percents, t) for t in (0.0, 0.2, 0.5, 0.9, 1.0)] == [0, 1, 2, 3, 3]
    assert start_step([0.0], 0.5) == 0 and start_step([0.0, 1.0], 1.0) == 0

# --- schedulers described by their config; clock checks ---------------------------------------


def _scheduler(**config):
    return SimpleNamespace(config=SimpleNamespace(**config))


def test_scheduler_configs_missing_the_optional_fields_read_as_their_defaults():
    from ttm_core.guidance.anchoring import is_flow_scheduler, scheduler_shift

    assert not is_flow_scheduler(_scheduler())  # no field at all: not a flow scheduler, no error
    assert scheduler_shift(_scheduler(use_flow_sigmas=True)) == 1.0  # flow sigmas without a flow_shift
    assert scheduler_shift(_scheduler(use_flow_sigmas=True, flow_shift=5.0, shift=3.0)) == 5.0
    assert scheduler_shift(_scheduler(shift=3.0)) == 3.0


def test_a_dynamically_shifted_schedule_is_refused_by_name():
    from ttm_core.guidance.anchoring import scheduler_shift

    with pytest.raises(TTMInputError, match="^anchoring"):
        scheduler_shift(_scheduler(use_dynamic_shifting=True, shift=3.0))


def test_a_clock_exactly_at_a_steps_midpoint_does_not_hold_that_step():
    from ttm_core.guidance.clocks import steps_before

    percents = [0.0, 0.25, 0.5, 0.75, 1.0]  # midpoints .125 .375 .625 .875, all exact in binary
    assert [steps_before(percents, t) for t in (0.125, 0.375, 0.376)] == [0, 1, 2]


@pytest.mark.parametrize("field, clocks", [("t_weak", dict(t_weak=True, t_strong=0.5)),
                                           ("t_weak", dict(t_weak=1.5, t_strong=0.5)),
                                           ("t_strong", dict(t_weak=0.1, t_strong=2.0)),
                                           ("hold_end['dog']", dict(t_weak=0.1, t_strong=0.5, ends={"dog": -1.0}))])
def test_hold_clocks_name_the_clock_that_is_out_of_range(field, clocks):
    from ttm_core.guidance.clocks import HoldClocks

    with pytest.raises(TTMInputError) as err:
        HoldClocks(**clocks)
    assert str(err.value).startswith(field)
