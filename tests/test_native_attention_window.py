"""The active window is a noise range: the same settings guide the same sigmas at any step count."""

from __future__ import annotations

import pytest

from native_helpers import empty_latent, native_models, native_pack, sample, text_cond  # noqa: F401
from test_native_attention_equivalence import trajectory


def shifted(shift: float, percent: float) -> float:
    """Flow sigma at a share of denoising, from the definition (t = 1 - percent, then the shift)."""
    t = 1.0 - percent
    return shift * t / (1 + (shift - 1) * t)


def run(pack, model, steps, scheduler="simple", **kw):
    node = native_pack(pack).attention_nodes.TTMNativeMaskedAttention()
    args = dict(beta_self=0.5, beta_cross=0.0, block_fraction=0.3, blocks="", start_percent=0.1, end_percent=0.5)
    args.update(kw)
    patched, _ = node.patch(model, trajectory("t2v"), **args)
    (patch,) = [a for k, a in patched.attachments.items() if k.startswith("ttm_masked_attention")]
    patch.record = []
    sample(patched, text_cond(5, 0), text_cond(3, 1), empty_latent(16), steps=steps, scheduler=scheduler)
    calls = [e for e in patch.record if e["kind"] == "call"]
    guided = {}
    for e in patch.record:
        if e["kind"] == "self":
            guided.setdefault(e["sigma"], set()).add(e["block"])
    return calls, guided


@pytest.mark.parametrize("steps,scheduler", [(4, "simple"), (20, "simple"), (8, "beta")])
def test_window_on_noise_level_guides_the_same_sigma_range_at_any_step_count(pack, native_models, steps, scheduler):
    _, model = native_models("t2v")
    shift = float(model.model.model_sampling.shift)
    high, low = shifted(shift, 0.1), shifted(shift, 0.5)
    calls, guided = run(pack, model, steps, scheduler)
    assert len(calls) == steps
    for call in calls:
        inside = low <= call["sigma"] <= high
        assert call["active"] == inside, call
        # block_fraction 0.3 of 2 blocks rounds up to one block: block 0, and only where active
        assert guided.get(call["sigma"], set()) == ({0} if inside else set())
    assert any(c["active"] for c in calls) and not all(c["active"] for c in calls)
    if steps == 20:  # the finer schedule shows the window's edges: last active / first inactive step
        active = [c["sigma"] for c in calls if c["active"]]
        assert max(active) <= high and min(active) >= low
        assert any(c["sigma"] > high for c in calls) and any(c["sigma"] < low for c in calls)


def test_explicit_blocks_override_the_fraction(pack, native_models):
    _, model = native_models("t2v")
    _, guided = run(pack, model, 4, blocks="1", start_percent=0.0, end_percent=1.0)
    assert guided and all(blocks == {1} for blocks in guided.values())
