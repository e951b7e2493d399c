"""Native dual-clock anchoring on tiny Wan models loaded by ComfyUI's own loader, sampled by core.

Every expected value is computed here from core's sigma table, core's noise sample and core's
latent format (see ``native_anchor_helpers``), never from the anchoring code.
"""

import pytest
import torch

from native_anchor_helpers import (
    Recorder, analytic_percent, anchor_case, cell_mask, core_noise, core_sigmas, expected_held, hold_of, processed, run,
)
from native_helpers import empty_latent, native_models, native_pack  # noqa: F401  (fixture)

SEED = 3


@pytest.fixture(scope="module")
def anchoring(pack):
    return native_pack(pack).anchoring


def patch_with(anchoring, z, mask, end, hold=None):
    return lambda m: anchoring.TTMAnchoring().patch(m, {"samples": z}, mask, end, hold)[0]


def start_at(anchoring, model, steps, sampler, t_weak):
    return anchoring.TTMAnchorStartStep().start(model, steps, sampler, "simple", t_weak)["result"][0]


@pytest.mark.parametrize("steps", [4, 20])
@pytest.mark.parametrize("sampler", ["euler", "dpmpp_2m", "uni_pc"])
def test_hold_region_stays_on_the_noising_path(native_models, anchoring, steps, sampler):
    _, model = native_models("t2v")
    z, mask = anchor_case()
    t_weak, end = 0.1, 0.55
    rec = Recorder()
    patched = rec.around(model, patch_with(anchoring, z, mask, end))
    start = start_at(anchoring, model, steps, sampler, t_weak)
    out = run(patched, {"samples": z}, steps, sampler, start, seed=SEED)

    shift = float(model.get_model_object("model_sampling").shift)
    sigmas = core_sigmas(model, steps, sampler)
    assert start == expected_held(sigmas, shift, t_weak)
    sigmas = sigmas[start:]
    held = expected_held(sigmas, shift, end)
    assert 0 < held < len(sigmas) - 1
    zp, noise = processed(model, z), core_noise(z, SEED)
    inside = cell_mask(mask).expand_as(zp)
    assert inside.any() and (~inside).any()
    assert len(rec.outer) == len(rec.inner) == len(sigmas) - 1  # one evaluation per step
    for i, ((sigma, x, got), (sigma_in, x_in, raw)) in enumerate(zip(rec.outer, rec.inner)):
        assert sigma == pytest.approx(sigmas[i], abs=1e-6) and sigma_in == sigma
        path = (1 - sigmas[i]) * zp + sigmas[i] * noise
        if i <= held:  # before the strong clock, and the state the last held step lands on
            err = float((x - path)[inside].abs().max())
            assert err <= 1e-5, f"step {i}: state off the path by {err}"
        if i < held:
            assert torch.equal(x_in[inside], path[inside]) or float((x_in - path)[inside].abs().max()) <= 1e-6
            assert torch.equal(got[inside], zp[inside])
            assert torch.equal(x_in[~inside], x[~inside]) and torch.equal(got[~inside], raw[~inside])
        else:  # after the strong clock nothing is touched
            assert torch.equal(x_in, x) and torch.equal(got, raw), f"step {i} touched after the clock"
    assert torch.isfinite(out).all()


def test_zero_hold_is_bit_identical_to_stock(native_models, anchoring):
    _, model = native_models("t2v")
    z, mask = anchor_case()
    stock = run(model, {"samples": z}, 6, "euler", 1, seed=SEED)
    zero = anchoring.TTMAnchoring().patch(model, {"samples": z}, torch.zeros_like(mask), 0.5)[0]
    assert torch.equal(run(zero, {"samples": z}, 6, "euler", 1, seed=SEED), stock)
    never = anchoring.TTMAnchoring().patch(model, {"samples": z}, mask, 0.0)[0]  # hold ends before any step
    assert torch.equal(run(never, {"samples": z}, 6, "euler", 1, seed=SEED), stock)
    held = anchoring.TTMAnchoring().patch(model, {"samples": z}, mask, 0.5)[0]
    assert not torch.equal(run(held, {"samples": z}, 6, "euler", 1, seed=SEED), stock)


def test_partial_cells_hold_by_their_mean_weight(native_models, anchoring):
    """A latent cell a quarter covered (in space, or in one of its 4 frames) is held by 0.25."""
    _, model = native_models("t2v")
    z, _ = anchor_case()
    mask = torch.zeros(9, 64, 64)
    mask[:, 0:4, 0:16] = 1.0  # cells (0, 0) and (0, 1): 4 of 8 rows -> 0.5 ... of 8x8 pixels: 32/64
    mask[:, 40:48, 40:42] = 1.0  # cell (5, 5): 2 of 8 columns -> 0.25
    mask[1, 56:64, 56:64] = 1.0  # cell (7, 7): one of the 4 frames of latent frame 1 -> 0.25 there
    expected = torch.zeros(1, 1, 3, 8, 8)
    expected[..., 0, 0] = expected[..., 0, 1] = 0.5
    expected[..., 5, 5] = 0.25
    expected[:, :, 1, 7, 7] = 0.25
    rec = Recorder()
    patched = rec.around(model, patch_with(anchoring, z, mask, 0.8))  # steps 1 and 2 held
    run(patched, {"samples": z}, 4, "euler", 1, seed=SEED)  # start below sigma 1, where path != state
    sigmas = core_sigmas(model, 4, "euler")
    zp, noise = processed(model, z), core_noise(z, SEED)
    for k in range(2):  # step 1 starts on the path everywhere; from step 2 on, partial cells are off it
        _, x, _ = rec.outer[k]
        _, x_in, _ = rec.inner[k]
        path = (1 - sigmas[1 + k]) * zp + sigmas[1 + k] * noise
        if k:
            partial = ((expected > 0) & (expected < 1)).expand_as(x)
            assert float((path - x)[partial].abs().min()) > 1e-4  # so the weight there is visible
        want = x + expected * (path - x)
        assert float((x_in - want).abs().max()) <= 1e-5, k


def test_ti2v_first_frame_equals_stock(native_models, anchoring):
    """Wan22ImageToVideoLatent's clean frame 0 and noise_mask: frame 0 is never held, equals stock."""
    _, model = native_models("ti2v")
    gen = torch.Generator().manual_seed(11)
    image = torch.randn(1, 48, 1, 4, 4, generator=gen)
    mask = torch.ones(1, 1, 3, 4, 4)
    mask[:, :, 0] = 0.0
    base = torch.zeros(1, 48, 3, 4, 4)
    base[:, :, :1] = image
    fmt = model.model.latent_format
    base = fmt.process_out(base) * mask + base * (1 - mask)  # what Wan22ImageToVideoLatent returns
    stock = run(model, {"samples": base, "noise_mask": mask}, 4, "euler", 0, seed=SEED)
    ref = torch.randn(1, 48, 3, 4, 4, generator=gen)
    anchor = base * (1 - mask) + ref * mask  # what TTM Anchor Latent returns for that latent
    hold = torch.ones(9, 64, 64)  # hold everything, frame 0 included: the noise_mask must win there
    rec = Recorder()
    patched = rec.around(model, patch_with(anchoring, anchor, hold, 0.6))
    ours = run(patched, {"samples": anchor, "noise_mask": mask}, 4, "euler", 0, seed=SEED)
    assert torch.equal(ours[:, :, 0], stock[:, :, 0])
    clean = processed(model, base)[:, :, 0]
    for (_, x, _), (_, x_in, _) in zip(rec.outer, rec.inner):
        assert torch.equal(x_in[:, :, 0], x[:, :, 0]) and torch.equal(x[:, :, 0], clean)
    assert not torch.equal(ours[:, :, 1:], stock[:, :, 1:])


def test_a14b_chain_keeps_one_noise_sample(native_models, anchoring):
    """Two experts, two samplers (the second with add_noise disabled): the hold continues across
    the switch with the first sampler's noise."""
    _, high = native_models("t2v", seed=0)
    _, low = native_models("t2v", seed=1)
    z, mask = anchor_case()
    steps, split, end = 8, 3, 0.6
    rec = Recorder()
    hp = anchoring.TTMAnchoring().patch(high, {"samples": z}, mask, end)[0]
    lp = rec.around(low, patch_with(anchoring, z, mask, end))
    start = start_at(anchoring, high, steps, "euler", 0.1)
    first = run(hp, {"samples": z}, steps, "euler", start, seed=SEED, last_step=split)
    run(lp, {"samples": first}, steps, "euler", split, seed=SEED, add_noise=False)
    shift = float(low.get_model_object("model_sampling").shift)
    sigmas = core_sigmas(low, steps, "euler")
    held_total = expected_held(sigmas[start:], shift, end) + start
    assert held_total > split + 1  # the hold reaches well into the second sampler
    zp, noise = processed(low, z), core_noise(z, SEED)
    inside = cell_mask(mask).expand_as(zp)
    for j, (sigma, x, got) in enumerate(rec.outer):
        i = split + j
        if i <= held_total:
            path = (1 - sigmas[i]) * zp + sigmas[i] * noise
            assert float((x - path)[inside].abs().max()) <= 1e-4, f"step {i}"
    assert hold_of(lp).log[-1]["steps_held"] == held_total - split


def test_a14b_chain_refuses_without_the_first_noise(native_models, anchoring):
    from ttm_core.errors import TTMInputError

    _, high = native_models("t2v", seed=0)
    _, low = native_models("t2v", seed=1)
    z, mask = anchor_case(seed=21)  # an anchor no earlier test sampled with
    lp = anchoring.TTMAnchoring().patch(low, {"samples": z}, mask, 0.6)[0]
    first = run(high, {"samples": z}, 8, "euler", 1, seed=SEED, last_step=3)  # first expert not patched
    with pytest.raises(TTMInputError, match=r"^add_noise: is disabled \(zero noise\)") as err:
        run(lp, {"samples": first}, 8, "euler", 3, seed=SEED, add_noise=False)
    assert "hold_end to" in str(err.value)
    # the first expert held only until 0.2: its latent leaves the path before the switch
    hp = anchoring.TTMAnchoring().patch(high, {"samples": z}, mask, 0.2)[0]
    first = run(hp, {"samples": z}, 8, "euler", 1, seed=SEED, last_step=3)
    with pytest.raises(TTMInputError, match=r"^hold_end: reaches this zero-noise sampler"):
        run(lp, {"samples": first}, 8, "euler", 3, seed=SEED, add_noise=False)
    # the suggested fix is valid: ending the hold where the second sampler starts runs
    fix = float(str(err.value).split("hold_end to ")[1].split()[0])
    ok = anchoring.TTMAnchoring().patch(low, {"samples": z}, mask, fix)[0]
    assert torch.isfinite(run(ok, {"samples": first}, 8, "euler", 3, seed=SEED, add_noise=False)).all()


def test_ancestral_sampler_holds_the_model_input_and_warns(native_models, anchoring, caplog):
    _, model = native_models("t2v")
    z, mask = anchor_case()
    rec = Recorder()
    patched = rec.around(model, patch_with(anchoring, z, mask, 0.55))
    with caplog.at_level("WARNING", logger="ttm.anchoring"):
        run(patched, {"samples": z}, 6, "euler_ancestral", 0, seed=SEED)
    assert any("fresh noise" in r.getMessage() for r in caplog.records)
    assert "warning" in hold_of(patched).log[-1]
    sigmas = core_sigmas(model, 6, "euler_ancestral")
    shift = float(model.get_model_object("model_sampling").shift)
    held = expected_held(sigmas, shift, 0.55)
    zp, noise = processed(model, z), core_noise(z, SEED)
    inside = cell_mask(mask).expand_as(zp)
    for i, (_, x_in, _) in enumerate(rec.inner[:held]):
        path = (1 - sigmas[i]) * zp + sigmas[i] * noise
        assert float((x_in - path)[inside].abs().max()) <= 1e-6


def test_same_noise_levels_at_4_and_50_steps(native_models, anchoring):
    """Recording: default clocks (t_weak 0.06, hold_end 0.14) guide the same noise range at 4 and
    at 50 steps, within one step of the 4-step schedule (0.25 in percent)."""
    _, model = native_models("t2v")
    z, mask = anchor_case()
    shift = float(model.get_model_object("model_sampling").shift)
    ranges = {}
    for steps in (4, 50):
        rec = Recorder()
        patched = rec.around(model, patch_with(anchoring, z, mask, 0.14))
        start = start_at(anchoring, model, steps, "euler", 0.06)
        run(patched, {"samples": z}, steps, "euler", start, seed=SEED, cfg=1.0)
        sigmas = core_sigmas(model, steps, "euler")
        touched = [i for i, (o, n) in enumerate(zip(rec.outer, rec.inner)) if not torch.equal(o[1], n[1])
                   or not torch.equal(o[2], n[2])]
        assert touched == list(range(len(touched))) and touched, steps
        begin, stop = sigmas[start], sigmas[start + len(touched)]
        ranges[steps] = (analytic_percent(begin, shift), analytic_percent(stop, shift))
    assert ranges[50][0] == pytest.approx(3 / 50, abs=1e-3) and ranges[50][1] == pytest.approx(7 / 50, abs=1e-3)
    for a, b in zip(ranges[4], ranges[50]):
        assert abs(a - b) <= 0.25 + 1e-9, ranges


def test_per_object_hold_end_native(native_models, anchoring):
    """``ball`` released at 0.3, ``dog`` held until 0.7 (TTM Native Reference Video's hold)."""
    from pipeline_helpers import make_image, two_object_trajectory

    _, model = native_models("t2v")
    traj = two_object_trajectory(64, 64, 9, moving=False)
    _, mask, hold = anchoring.TTMReferenceVideo().build(make_image(64, 64)[None], traj, 0, 0, 0, "none",
                                                         hold_end="ball: 0.3")
    z, _ = anchor_case()
    rec = Recorder()
    patched = rec.around(model, patch_with(anchoring, z, mask, 0.7, hold))
    run(patched, {"samples": z}, 8, "euler", 0, seed=SEED)
    shift = float(model.get_model_object("model_sampling").shift)
    sigmas = core_sigmas(model, 8, "euler")
    ball_steps, dog_steps = expected_held(sigmas, shift, 0.3), expected_held(sigmas, shift, 0.7)
    assert 0 < ball_steps < dog_steps < 8
    parts = dict(hold.split(mask))
    dog, ball = (cell_mask(parts[n]).expand_as(z) for n in ("dog", "ball"))
    assert dog.any() and ball.any()
    zp, noise = processed(model, z), core_noise(z, SEED)
    for i, ((_, x, _), (_, x_in, _)) in enumerate(zip(rec.outer, rec.inner)):
        path = (1 - sigmas[i]) * zp + sigmas[i] * noise
        for cells, steps in ((dog, dog_steps), (ball, ball_steps)):
            if i < steps:
                assert float((x_in - path)[cells].abs().max()) <= 1e-6, i
            else:
                assert torch.equal(x_in[cells], x[cells]), i


def test_anchoring_with_masked_attention(native_models, anchoring, pack):
    """Both native patches on one MODEL (attention first, as the workflows chain them): the hold
    stays exact and the attention patch still acts."""
    from pipeline_helpers import two_object_trajectory

    _, model = native_models("t2v")
    z, mask = anchor_case()
    attention = native_pack(pack).attention_nodes.TTMNativeMaskedAttention()
    traj = two_object_trajectory(64, 64, 9)

    def both(m):
        guided, _ = attention.patch(m, traj, 1.0, 0.0, 1.0, "", 0.0, 1.0)
        return anchoring.TTMAnchoring().patch(guided, {"samples": z}, mask, 0.55)[0]

    rec = Recorder()
    out = run(rec.around(model, both), {"samples": z}, 8, "euler", 1, seed=SEED)
    only = run(anchoring.TTMAnchoring().patch(model, {"samples": z}, mask, 0.55)[0], {"samples": z}, 8, "euler", 1,
               seed=SEED)
    sigmas = core_sigmas(model, 8, "euler")[1:]
    held = expected_held(sigmas, float(model.get_model_object("model_sampling").shift), 0.55)
    zp, noise = processed(model, z), core_noise(z, SEED)
    inside = cell_mask(mask).expand_as(zp)
    for i, (_, x, _) in enumerate(rec.outer[: held + 1]):
        path = (1 - sigmas[i]) * zp + sigmas[i] * noise
        assert float((x - path)[inside].abs().max()) <= 1e-5, i
    assert float((out - only).abs().max()) > 1e-4  # the attention patch acts outside the hold
