"""Our processors on diffusers' fused projections (``WanAttention.fuse_projections()``).

Fusing concatenates the q/k/v (and image k/v) weights into one linear layer; the numbers must not
change. The reference is the same module unfused, and for the masked processors also the stock
processor with a dense mask on the fused module.
"""

from __future__ import annotations

import copy

import pytest
import torch

from ttm_core.attention import GuidanceState, LocalContext, MaskedCrossAttnProcessor, MaskedSelfAttnProcessor, TokenGroups
from ttm_core.testing import tiny_wan_pipeline

F_, H_, W_ = 2, 2, 4
LABELS = torch.tensor([0, 1, 1, 0, 2, 2, 0, 1] * 2)


@pytest.fixture(scope="module")
def wan21():
    return tiny_wan_pipeline("wan21_i2v").transformer.double()


def _state():
    return GuidanceState(num_steps=10, active_steps=4, step=0, conditional=True)


def _fused(attn):
    fused = copy.deepcopy(attn)
    fused.fuse_projections()
    assert fused.fused_projections
    return fused


def test_self_attention_on_fused_projections_matches_unfused(wan21):
    attn = wan21.blocks[0].attn1
    fused = _fused(attn)
    n = LABELS.numel()
    hidden = torch.randn(1, n, 24, dtype=torch.float64)
    rotary = wan21.rope(torch.zeros(1, 1, F_, 2 * H_, 2 * W_, dtype=torch.float64))
    groups = TokenGroups.from_labels(LABELS)
    plain = MaskedSelfAttnProcessor(attn.processor, groups, 0.5, _state())(attn, hidden, None, None, rotary)
    out = MaskedSelfAttnProcessor(fused.processor, groups, 0.5, _state())(fused, hidden, None, None, rotary)
    same = (LABELS[:, None] == LABELS[None, :]).view(1, 1, n, n)
    stock = 0.5 * fused.processor(fused, hidden, None, None, rotary) + 0.5 * fused.processor(fused, hidden, None, same, rotary)
    assert torch.allclose(out, plain, atol=1e-10) and torch.allclose(out, stock, atol=1e-10)


def test_cross_attention_with_image_branch_on_fused_projections_matches_unfused(wan21):
    attn = wan21.blocks[0].attn2
    assert attn.add_k_proj is not None  # Wan 2.1 I2V: the image branch has its own k/v
    fused = _fused(attn)
    n = LABELS.numel()
    g = torch.Generator().manual_seed(0)
    hidden = torch.randn(1, n, 24, generator=g, dtype=torch.float64)
    context = torch.randn(1, 17 + 512, 24, generator=g, dtype=torch.float64)
    local = [LocalContext(1, torch.randn(1, 5, 24, generator=g, dtype=torch.float64))]
    groups = TokenGroups.from_labels(LABELS)
    plain = MaskedCrossAttnProcessor(attn.processor, groups, local, 0.7, _state())(attn, hidden, context, None, None)
    out = MaskedCrossAttnProcessor(fused.processor, groups, local, 0.7, _state())(fused, hidden, context, None, None)
    assert torch.allclose(out, plain, atol=1e-10)
    stock = fused.processor(fused, hidden, context, None, None)
    assert torch.allclose(stock, attn.processor(attn, hidden, context, None, None), atol=1e-10)
    assert not torch.allclose(out, stock)  # the local prompt did act
