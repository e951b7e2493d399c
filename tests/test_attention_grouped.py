"""Same-object attention by grouping equals softmax with -inf outside the object (dense reference)."""

import math

import pytest
import torch

from ttm_core.attention import TokenGroups, blend_grouped_attention


def dense_masked(q, k, v, allowed):
    """Reference on [B, N, H, D]: softmax(qk^T/sqrt(d) + (-inf where not allowed)) v."""
    scores = torch.einsum("bnhd,bmhd->bhnm", q, k) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.einsum("bhnm,bmhd->bnhd", scores.softmax(-1), v)


def _qkv(n, seed=0, b=1, h=2, d=8):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(b, n, h, d, generator=g, dtype=torch.float64) for _ in range(3)]


@pytest.mark.parametrize(
    "labels",
    [
        torch.tensor([0, 1, 1, 2, 0, 2, 2, 1, 0, 0, 3, 3]),  # four groups, interleaved
        torch.tensor([1] * 10),  # a single object covers everything
        torch.tensor([0] * 10),  # background only
        torch.tensor([0, 0, 5, 5, 0, 0]),  # labels need not be contiguous integers
    ],
)
def test_grouped_equals_dense_reference(labels):
    q, k, v = _qkv(len(labels))
    groups = TokenGroups.from_labels(labels)
    allowed = labels[:, None] == labels[None, :]
    ref = dense_masked(q, k, v, allowed)
    out = blend_grouped_attention(q, k, v, groups, None, 1.0)
    assert torch.allclose(out, ref, atol=1e-10)


def test_blend_is_linear_mix_of_full_and_masked():
    labels = torch.tensor([0, 1, 1, 2, 2, 0, 1])
    q, k, v = _qkv(len(labels), seed=1)
    full = dense_masked(q, k, v, torch.ones(7, 7, dtype=torch.bool))
    same = dense_masked(q, k, v, labels[:, None] == labels[None, :])
    out = blend_grouped_attention(q, k, v, TokenGroups.from_labels(labels), full.clone(), 0.3)
    assert torch.allclose(out, 0.7 * full + 0.3 * same, atol=1e-10)


def test_token_count_mismatch_is_reported():
    q, k, v = _qkv(5)
    with pytest.raises(RuntimeError, match="token grid"):
        blend_grouped_attention(q, k, v, TokenGroups.from_labels(torch.zeros(6, dtype=torch.long)), None, 1.0)


def test_groups_cover_every_token_once():
    labels = torch.randint(0, 5, (97,), generator=torch.Generator().manual_seed(3))
    groups = TokenGroups.from_labels(labels)
    cat = torch.cat(groups.index)
    assert sorted(cat.tolist()) == list(range(97))
    for lab, idx in zip(groups.labels, groups.index):
        assert (labels[idx] == lab).all()
