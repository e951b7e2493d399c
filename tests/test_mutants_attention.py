"""Tests written for the attention mutants that survived the whole mutation run.

Each pins a behaviour no other test checked; the expected values come from the processors'
contract (inactive = the stock processor, untouched) or from the exact user-facing text.
"""

import pytest
import torch

from ttm_core.attention import GuidanceState, LocalContext, MaskedCrossAttnProcessor, MaskedSelfAttnProcessor, TokenGroups
from ttm_core.attention.grouped import blend_grouped_attention


def _recording_base():
    """A stand-in for the stock processor: records its calls and returns a marker."""
    calls = []
    marker = object()

    def base(*args, **kwargs):
        calls.append(args)
        return marker

    return base, calls, marker


def _state():
    return GuidanceState(num_steps=4, active_steps=4, step=0, conditional=True)


def test_cross_attention_at_beta_zero_hands_the_call_to_the_stock_processor():
    """beta = 0 means "no local prompts": the stock processor runs, ours adds no work or count."""
    base, calls, marker = _recording_base()
    groups = TokenGroups.from_labels(torch.tensor([0, 1, 1, 0]))
    state = _state()
    proc = MaskedCrossAttnProcessor(base, groups, [LocalContext(1, torch.zeros(1, 2, 8))], 0.0, state)
    assert proc.active() is False
    assert proc("attn", "hidden", "context", None, None) is marker
    assert calls == [("attn", "hidden", "context", None, None)]
    assert state.calls == {"self": 0, "cross": 0}


def test_self_attention_at_beta_zero_hands_the_call_to_the_stock_processor():
    base, calls, marker = _recording_base()
    state = _state()
    proc = MaskedSelfAttnProcessor(base, TokenGroups.from_labels(torch.tensor([0, 1, 1, 0])), 0.0, state)
    assert proc.active() is False
    assert proc("attn", "hidden", None, None, "rotary") is marker
    assert len(calls) == 1 and state.calls == {"self": 0, "cross": 0}


def test_grouped_blend_without_full_output_says_exactly_what_is_missing():
    q = torch.zeros(1, 4, 1, 2)
    with pytest.raises(ValueError) as err:
        blend_grouped_attention(q, q, q, TokenGroups.from_labels(torch.tensor([0, 1, 1, 0])), None, 0.5)
    assert str(err.value) == "full attention output is needed when beta < 1"


@pytest.mark.parametrize("which", ["self", "cross"])
def test_extra_attention_calls_run_on_the_backend_the_user_selected(monkeypatch, which):
    """A layer set to a diffusers backend (flash, sage, ...) keeps it for our extra attention calls."""
    from diffusers.models import attention_dispatch

    from ttm_core.testing import tiny_wan_pipeline

    transformer = tiny_wan_pipeline("wan21_i2v").transformer.double()
    transformer.set_attention_backend("_native_math")
    seen = []
    original = attention_dispatch.dispatch_attention_fn

    def recording(*args, backend=None, **kwargs):
        seen.append(backend)
        return original(*args, backend=backend, **kwargs)

    monkeypatch.setattr(attention_dispatch, "dispatch_attention_fn", recording)
    labels = torch.tensor([0, 1, 1, 0, 2, 2] * 4)
    hidden = torch.randn(1, labels.numel(), 24, dtype=torch.float64)
    groups = TokenGroups.from_labels(labels)
    if which == "self":
        attn = transformer.blocks[0].attn1
        MaskedSelfAttnProcessor(attn.processor, groups, 0.5, _state())(attn, hidden, None, None, None)
    else:
        attn = transformer.blocks[0].attn2
        context = torch.randn(1, 17 + 512, 24, dtype=torch.float64)
        local = [LocalContext(1, torch.randn(1, 3, 24, dtype=torch.float64))]
        MaskedCrossAttnProcessor(attn.processor, groups, local, 0.5, _state())(attn, hidden, context, None, None)
    assert seen, "no attention call went through diffusers' dispatcher"
    assert all(b == attention_dispatch.AttentionBackendName._NATIVE_MATH for b in seen), seen


def test_self_attention_runs_on_both_cfg_passes_unless_told_otherwise():
    base, _, _ = _recording_base()
    groups = TokenGroups.from_labels(torch.tensor([0, 1]))
    uncond = GuidanceState(num_steps=4, active_steps=4, conditional=False)
    assert MaskedSelfAttnProcessor(base, groups, 0.5, uncond).active() is True  # default: both passes
    assert MaskedSelfAttnProcessor(base, groups, 0.5, uncond, on_uncond=False).active() is False
    assert MaskedSelfAttnProcessor(base, groups, 0.5, _state(), on_uncond=False).active() is True


def _softmax_attention(q, k, v):
    """Dense attention on [B, S, heads, dim], written out by hand as the reference."""
    w = torch.einsum("bqhd,bkhd->bhqk", q, k) / q.shape[-1] ** 0.5
    return torch.einsum("bhqk,bkhd->bqhd", w.softmax(-1), v)


def test_local_prompts_reach_every_present_object_after_an_absent_one_and_match_the_batch():
    """An object missing from the token grid is skipped, not the end of the list; a [1, L, C]
    local prompt is expanded to the batch (3 rows here), since a kernel need not broadcast it."""
    from ttm_core.attention.local_blend import blend_local_prompts

    def strict_attention(q, k, v):  # like a fused kernel: one batch size for q, k and v
        assert q.shape[0] == k.shape[0] == v.shape[0], (q.shape, k.shape)
        return _softmax_attention(q, k, v)

    g = torch.Generator().manual_seed(0)
    labels = torch.tensor([0, 1, 1, 2, 0, 0])  # object 2 is a single token
    q = torch.randn(3, 6, 2, 4, generator=g, dtype=torch.float64)
    out = torch.randn(3, 6, 2, 4, generator=g, dtype=torch.float64)
    before = out.clone()
    emb = {lab: torch.randn(1, 3, 8, generator=g, dtype=torch.float64) for lab in (1, 2)}
    locals_ = [LocalContext(7, torch.ones(1, 3, 8, dtype=torch.float64)), LocalContext(1, emb[1]), LocalContext(2, emb[2])]
    split = lambda ctx: (ctx.unflatten(2, (2, -1)), ctx.unflatten(2, (2, -1)))  # noqa: E731
    blend_local_prompts(q, out, TokenGroups.from_labels(labels), locals_, 0.25, strict_attention, split)
    expected = before.clone()
    for lab in (1, 2):
        idx = (labels == lab).nonzero().flatten()
        k, v = split(emb[lab].expand(3, -1, -1))
        res = _softmax_attention(q[:, idx], k, v)
        expected[:, idx] = 0.75 * before[:, idx] + 0.25 * res
    assert torch.allclose(out, expected, atol=1e-12)


def test_one_pass_keeps_the_first_token_when_it_is_a_group_of_its_own():
    """Sorted by label, a one-token group 0 puts the next group's start at 1: the full-attention
    part of that group must still see key 0 (dense reference, beta 0.5)."""
    from ttm_core.attention import one_pass

    labels = torch.tensor([1, 0, 1, 1, 2, 2, 1, 2])
    g = torch.Generator().manual_seed(3)
    q, k, v = (torch.randn(1, 8, 2, 4, generator=g) for _ in range(3))
    assert one_pass.lse_kernel(q.transpose(1, 2)) is not None  # the one-pass path runs here
    out = one_pass.blended_self_attention(q, k, v, TokenGroups.from_labels(labels), 0.5)
    same = labels[:, None] == labels[None, :]
    w = torch.einsum("bqhd,bkhd->bhqk", q, k) / 2.0
    full = torch.einsum("bhqk,bkhd->bqhd", w.softmax(-1), v)
    masked = torch.einsum("bhqk,bkhd->bqhd", w.masked_fill(~same, float("-inf")).softmax(-1), v)
    assert torch.allclose(out, 0.5 * full + 0.5 * masked, atol=1e-5)


def test_kernel_probe_skips_failing_kernels_and_rejects_inaccurate_ones(monkeypatch):
    """A kernel that raises is skipped for the next; one 0.01 off in fp32 is not trusted."""
    from ttm_core.attention import one_pass

    def raising(q, k, v):
        raise RuntimeError("not on this device")

    def off_by(delta):
        def kernel(q, k, v):
            out, lse = one_pass._cpu_flash(q, k, v)
            return out + delta, lse
        return kernel

    q = torch.zeros(1, 2, 5, 8)
    for candidates, want in (([("raises", raising), ("good", off_by(0.0))], "good"),
                             ([("off", off_by(0.01))], None), ([("far off", off_by(2.0))], None)):
        monkeypatch.setattr(one_pass, "_KERNELS", {})
        monkeypatch.setattr(one_pass, "_candidates", lambda device, dtype, c=candidates: c)
        chosen = one_pass.lse_kernel(q)
        assert (chosen is None) if want is None else (chosen is candidates[-1][1])


def test_token_count_mismatch_names_the_layer_and_both_counts():
    from ttm_core.attention.grouped import check_token_count

    with pytest.raises(RuntimeError) as err:
        check_token_count(6, TokenGroups.from_labels(torch.tensor([0, 1, 1, 0])))
    assert str(err.value) == ("masked attention got 6 tokens but the trajectory was reduced to 4; "
                              "the token grid and the latent size disagree")
