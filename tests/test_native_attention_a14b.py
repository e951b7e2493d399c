"""Wan 2.2 A14B runs two MODELs (high- and low-noise experts): the patch goes on each of them."""

from __future__ import annotations

import torch

from native_helpers import empty_latent, native_models, native_pack, sample, text_cond  # noqa: F401
from test_native_attention_equivalence import trajectory
from test_native_attention_window import shifted


def two_stage(high, low, positive, negative, steps=4, switch=2):
    """What two KSamplerAdvanced nodes do: steps 0..switch with noise, then the rest without."""
    latent = empty_latent(16)
    first = sample(high, positive, negative, latent, steps=steps, start_step=0, last_step=switch)
    return sample(low, positive, negative, {"samples": first}, steps=steps, start_step=switch, add_noise=False)


def test_both_experts_patched_with_one_window_and_their_own_local_projection(pack, native_models):
    native = native_pack(pack)
    _, high = native_models("t2v", seed=0)
    _, low = native_models("t2v", seed=1)
    node = native.attention_nodes.TTMNativeMaskedAttention()
    locals_ = native.conditioning.LocalPrompts(dog=text_cond(3, seed=4))
    positive, negative = text_cond(5, 0), text_cond(3, 1)
    settings = dict(beta_self=0.5, beta_cross=0.7, block_fraction=1.0, blocks="", start_percent=0.0, end_percent=0.6)
    high_p, tagged = node.patch(high, trajectory("t2v"), **settings, local_prompts=locals_, positive=positive)
    low_p, tagged_again = node.patch(low, trajectory("t2v"), **settings, local_prompts=locals_, positive=positive)
    records = []
    for m in (high_p, low_p):
        (patch,) = [a for k, a in m.attachments.items() if k.startswith("ttm_masked_attention")]
        patch.record = []
        records.append(patch.record)
    stock = two_stage(high, low, positive, negative)
    guided = two_stage(high_p, low_p, tagged, negative)
    assert not torch.equal(stock, guided)
    shift = float(high.model.model_sampling.shift)
    limit = shifted(shift, 0.6)
    for record in records:  # each expert ran 2 of the 4 steps, guided exactly where sigma >= limit
        calls = [e for e in record if e["kind"] == "call"]
        assert len(calls) == 2
        for call in calls:
            kinds = {(e["block"], e["kind"]) for e in record if e["kind"] != "call" and e["sigma"] == call["sigma"]}
            expected = {(b, k) for b in (0, 1) for k in ("self", "cross")} if call["sigma"] >= limit else set()
            assert call["active"] == (call["sigma"] >= limit) and kinds == expected
    assert any(c["active"] for c in records[1] if c["kind"] == "call")  # the low-noise expert guided too
    # guidance off on both experts: the two-stage run is bit-identical to stock
    off = dict(settings, beta_self=0.0, beta_cross=0.0)
    high_off, _ = node.patch(high, trajectory("t2v"), **off)
    low_off, _ = node.patch(low, trajectory("t2v"), **off)
    assert torch.equal(stock, two_stage(high_off, low_off, positive, negative))
