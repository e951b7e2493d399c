"""One-pass blended self-attention vs a dense boolean-mask reference and vs today's two-call path.

The reference is PyTorch SDPA given an explicit N x N boolean mask (True = may attend), run in
float64 on small N: it never splits keys or merges log-sum-exps, so it is independent of the
code under test.
"""

import logging

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from ttm_core.attention import GuidanceState, MaskedSelfAttnProcessor, TokenGroups, blend_grouped_attention
from ttm_core.attention import one_pass
from ttm_core.attention.grouped import sdpa_attention as plain_attention
from ttm_core.attention.one_pass import blended_self_attention

F_, H_, W_ = 4, 4, 6  # latent grid: 4 frames of 4 x 6 tokens
BETAS = [0.25, 0.5, 1.0]


def _grid(kind: str) -> torch.Tensor:
    grid = torch.zeros(F_, H_, W_, dtype=torch.long)
    if kind == "one_object":
        grid[:, 1:3, 1:5] = 1
    elif kind in ("three_objects", "six_objects"):
        k = 3 if kind == "three_objects" else 6
        cells = [(r, c) for r in range(H_) for c in range(W_)]
        for t in range(F_):  # objects move one cell per frame, so every group is scattered in N
            for i, (r, c) in enumerate(cells):
                grid[t, r, c] = (i + t) % (k + 1)
    elif kind == "object_vanishes":
        grid[:, 0:2, 0:3] = 1
        grid[0, 2:4, 3:6] = 2
        grid[3, 2:4, 3:6] = 2  # object 2 absent from latent frames 1 and 2
        grid[1, 3, 0] = 3  # object 3: one token in one frame
    elif kind != "background_only":
        raise ValueError(kind)
    return grid.flatten()


LAYOUTS = ["one_object", "three_objects", "six_objects", "object_vanishes", "background_only"]


def _qkv(n: int, dtype=torch.float32, b=2, h=3, d=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(b, n, h, d, generator=g).to(dtype) for _ in range(3)]


def _dense(q, k, v, allowed=None):
    """float64 SDPA on [B, N, H, D] with an explicit boolean mask (None = full attention)."""
    q, k, v = (t.double().transpose(1, 2) for t in (q, k, v))
    return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=allowed).transpose(1, 2)


def _reference(q, k, v, labels, beta):
    same = _dense(q, k, v, labels[:, None] == labels[None, :])
    return (1 - beta) * _dense(q, k, v) + beta * same


@pytest.fixture
def one_pass_only(monkeypatch):
    """Fail if the two-call path runs, so a test really exercises the one-pass merge."""
    def refuse(*a, **k):
        raise AssertionError("two-call path ran; expected the one-pass path")
    monkeypatch.setattr(one_pass, "_two_call", refuse)


def test_layouts_have_the_object_counts_the_tests_claim():
    present = {kind: sorted(set(_grid(kind).tolist()) - {0}) for kind in LAYOUTS}
    assert present == {"one_object": [1], "three_objects": [1, 2, 3], "six_objects": [1, 2, 3, 4, 5, 6],
                       "object_vanishes": [1, 2, 3], "background_only": []}
    frames = _grid("object_vanishes").view(F_, -1)
    assert [(f == 2).any().item() for f in frames] == [True, False, False, True]


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("kind", LAYOUTS)
def test_one_pass_equals_dense_reference_fp32(kind, beta, one_pass_only):
    labels = _grid(kind)
    q, k, v = _qkv(labels.numel())
    out = blended_self_attention(q, k, v, TokenGroups.from_labels(labels), beta)
    assert out.dtype == torch.float32 and out.shape == q.shape
    assert (out.double() - _reference(q, k, v, labels, beta)).abs().max() < 1e-5


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("kind", LAYOUTS)
def test_one_pass_equals_todays_two_call_path(kind, beta, one_pass_only):
    labels = _grid(kind)
    q, k, v = _qkv(labels.numel(), seed=1)
    groups = TokenGroups.from_labels(labels)
    full = plain_attention(q, k, v) if beta < 1 else None
    today = blend_grouped_attention(q, k, v, groups, full, beta)
    assert (blended_self_attention(q, k, v, groups, beta) - today).abs().max() < 1e-5


def test_one_pass_reads_keys_once_per_query(monkeypatch):
    """Partial attentions cover N keys per query in all (stock cost), not N + n_object."""
    labels = _grid("three_objects")
    q, k, v = _qkv(labels.numel())
    kernel = one_pass.lse_kernel(q)
    pairs = []

    def counting(qq, kk, vv):
        pairs.append(qq.shape[2] * kk.shape[2])
        return kernel(qq, kk, vv)

    monkeypatch.setitem(one_pass._KERNELS, (q.device.type, q.dtype, q.shape[-1]), counting)
    blended_self_attention(q, k, v, TokenGroups.from_labels(labels), 0.5)
    assert sum(pairs) == labels.numel() ** 2


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("kind", ["three_objects", "six_objects", "object_vanishes"])
def test_bf16_error_is_within_what_bf16_sdpa_itself_shows(kind, beta, one_pass_only):
    """bf16 SDPA's own error E (full and same-object, vs float64 on the same bf16 inputs) is one
    rounding of its output; the blend rounds its partial outputs and then the result: <= 2 E."""
    labels = _grid(kind)
    q, k, v = _qkv(labels.numel(), dtype=torch.bfloat16, d=64, seed=2)
    allowed = labels[:, None] == labels[None, :]
    sdpa_err = max(
        (plain_attention(q, k, v).double() - _dense(q, k, v)).abs().max().item(),
        (_bf16_masked(q, k, v, allowed).double() - _dense(q, k, v, allowed)).abs().max().item(),
    )
    out = blended_self_attention(q, k, v, TokenGroups.from_labels(labels), beta)
    assert out.dtype == torch.bfloat16
    assert (out.double() - _reference(q, k, v, labels, beta)).abs().max().item() <= 2 * sdpa_err


def _bf16_masked(q, k, v, allowed):
    out = torch.nn.functional.scaled_dot_product_attention(
        q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), attn_mask=allowed)
    return out.transpose(1, 2)


def test_float64_is_exact_to_rounding(one_pass_only):
    labels = _grid("six_objects")
    q, k, v = _qkv(labels.numel(), dtype=torch.float64)
    out = blended_self_attention(q, k, v, TokenGroups.from_labels(labels), 0.5)
    assert (out - _reference(q, k, v, labels, 0.5)).abs().max() < 1e-12


def test_without_lse_kernel_falls_back_to_two_call_path_and_says_so_once(monkeypatch, caplog):
    monkeypatch.setattr(one_pass, "_candidates", lambda device, dtype: [])
    monkeypatch.setattr(one_pass, "_KERNELS", {})
    labels = _grid("object_vanishes")
    q, k, v = _qkv(labels.numel())
    groups = TokenGroups.from_labels(labels)
    with caplog.at_level(logging.INFO, logger=one_pass.__name__):
        for _ in range(3):
            out = blended_self_attention(q, k, v, groups, 0.25)
    notes = [r.getMessage() for r in caplog.records if r.name == one_pass.__name__]
    assert len(notes) == 1 and "two-call path" in notes[0]
    assert (out.double() - _reference(q, k, v, labels, 0.25)).abs().max() < 1e-5


def test_kernel_choice_is_logged_once(monkeypatch, caplog):
    monkeypatch.setattr(one_pass, "_KERNELS", {})
    q, k, v = _qkv(_grid("one_object").numel())
    groups = TokenGroups.from_labels(_grid("one_object"))
    with caplog.at_level(logging.INFO, logger=one_pass.__name__):
        for _ in range(3):
            blended_self_attention(q, k, v, groups, 0.5)
    notes = [r.getMessage() for r in caplog.records if r.name == one_pass.__name__]
    assert len(notes) == 1 and "one pass" in notes[0] and "_for_cpu" in notes[0]


def test_a_named_attention_function_is_used_for_every_call():
    """ComfyUI's sage/flash choice: the caller's function does full + one call per object."""
    labels = _grid("three_objects")
    q, k, v = _qkv(labels.numel())
    calls = []

    def attention(qq, kk, vv):
        calls.append(qq.shape[1])
        return plain_attention(qq, kk, vv)

    groups = TokenGroups.from_labels(labels)
    out = blended_self_attention(q, k, v, groups, 0.5, attention)
    assert calls == [labels.numel()] + [len(i) for i in groups.index]
    assert (out.double() - _reference(q, k, v, labels, 0.5)).abs().max() < 1e-5


def test_sorted_order_puts_each_label_in_one_slice_and_is_reused():
    labels = _grid("six_objects")
    groups = TokenGroups.from_labels(labels)
    perm, bounds = groups.sorted_order(torch.device("cpu"))
    assert sorted(perm.tolist()) == list(range(labels.numel()))
    counts = torch.bincount(labels)
    assert bounds == [0] + counts[counts > 0].cumsum(0).tolist()
    for lab, s, e in zip(groups.labels, bounds[:-1], bounds[1:]):
        assert (labels[perm[s:e]] == lab).all()
    assert groups.sorted_order("cpu")[0] is perm  # cached: every block reuses one permutation


def test_token_count_mismatch_is_reported():
    q, k, v = _qkv(5)
    with pytest.raises(RuntimeError, match="token grid"):
        blended_self_attention(q, k, v, TokenGroups.from_labels(torch.zeros(6, dtype=torch.long)), 0.5)


class LargestAllocation(TorchDispatchMode):
    """Records the largest storage any ATen op returns (views of inputs count as their input)."""

    def __init__(self):
        super().__init__()
        self.nbytes, self.op = 0, None

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_leaves(out):
            if isinstance(t, torch.Tensor) and t.untyped_storage().nbytes() > self.nbytes:
                self.nbytes, self.op = t.untyped_storage().nbytes(), func
        return out


N_BIG = 8192


def _big_labels() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 4, (N_BIG,), generator=g)


@pytest.mark.parametrize("path", ["one_pass", "two_call"])
def test_no_n_by_n_tensor_at_8k_tokens(path, monkeypatch):
    """At N = 8k an N x N bool mask is 64 MB; q/k/v here are 0.5 MB each. Nothing may exceed 8 MB."""
    if path == "two_call":
        monkeypatch.setattr(one_pass, "_candidates", lambda device, dtype: [])
        monkeypatch.setattr(one_pass, "_KERNELS", {})
    q, k, v = _qkv(N_BIG, b=1, h=1, d=16)
    groups = TokenGroups.from_labels(_big_labels())
    blended_self_attention(q, k, v, groups, 0.5)  # warm-up: kernel probe, sorted order cache
    with torch.no_grad(), LargestAllocation() as seen:
        blended_self_attention(q, k, v, groups, 0.5)
    assert seen.nbytes <= 16 * q.nbytes < N_BIG * N_BIG, f"{seen.op} allocated {seen.nbytes} bytes"


def test_no_n_by_n_tensor_in_the_processor_at_8k_tokens():
    from diffusers.models.transformers.transformer_wan import WanAttention, WanAttnProcessor

    attn = WanAttention(dim=16, heads=1, dim_head=16, eps=1e-6, processor=WanAttnProcessor())
    state = GuidanceState(num_steps=1, active_steps=1)
    proc = MaskedSelfAttnProcessor(attn.processor, TokenGroups.from_labels(_big_labels()), 0.5, state)
    hidden = torch.randn(1, N_BIG, 16)
    with torch.no_grad():
        proc(attn, hidden)
        with LargestAllocation() as seen:
            proc(attn, hidden)
    assert seen.nbytes <= 16 * hidden.nbytes < N_BIG * N_BIG, f"{seen.op} allocated {seen.nbytes} bytes"


def test_processor_takes_one_pass_only_when_diffusers_runs_plain_sdpa():
    from diffusers.models.attention_dispatch import attention_backend

    from ttm_core.attention.one_pass import one_pass_or_backend

    assert one_pass_or_backend(None) is None and one_pass_or_backend("native") is None
    named = one_pass_or_backend("_native_math")  # a user's explicit choice is kept for every call
    with attention_backend("_native_math"):
        active = one_pass_or_backend(None)
    assert callable(named) and callable(active)
    labels = _grid("three_objects")
    q, k, v = _qkv(labels.numel())
    out = blended_self_attention(q, k, v, TokenGroups.from_labels(labels), 0.5, named)
    assert (out.double() - _reference(q, k, v, labels, 0.5)).abs().max() < 1e-5
