"""Masked processors on real (tiny) WanAttention modules vs the stock processor given a dense mask.

The reference runs diffusers' own ``WanAttnProcessor`` with an explicit boolean attention mask
(True = may attend), i.e. softmax with -inf outside the allowed keys.
"""

import pytest
import torch

from ttm_core.attention import GuidanceState, LocalContext, MaskedCrossAttnProcessor, MaskedSelfAttnProcessor, TokenGroups
from ttm_core.testing import tiny_wan_pipeline

F_, H_, W_ = 3, 4, 6  # latent grid: 3 frames of 4x6 tokens


@pytest.fixture(scope="module")
def wan21():
    pipe = tiny_wan_pipeline("wan21_i2v")
    return pipe.transformer.double()


def _labels(kind):
    grid = torch.zeros(F_, H_, W_, dtype=torch.long)
    if kind == "two_objects_one_vanishes":
        grid[:, 0:2, 0:3] = 1
        grid[0, 2:4, 3:6] = 2
        grid[2, 2:4, 3:6] = 2  # object 2 vanishes in latent frame 1
    elif kind == "single_object":
        grid[:, 1:3, 1:5] = 1
    elif kind == "background_only":
        pass
    return grid.flatten()


def _rotary(transformer):
    dummy = torch.zeros(1, 1, F_, 2 * H_, 2 * W_, dtype=torch.float64)
    return transformer.rope(dummy)


def _state(conditional=True):
    return GuidanceState(num_steps=10, active_steps=4, step=0, conditional=conditional)


@pytest.mark.parametrize("kind", ["two_objects_one_vanishes", "single_object", "background_only"])
@pytest.mark.parametrize("beta", [1.0, 0.4])
def test_masked_self_attention_matches_dense_reference(wan21, kind, beta):
    attn = wan21.blocks[0].attn1
    base = attn.processor
    labels = _labels(kind)
    n = labels.numel()
    hidden = torch.randn(1, n, wan21.config.num_attention_heads * wan21.config.attention_head_dim, dtype=torch.float64)
    rotary = _rotary(wan21)
    proc = MaskedSelfAttnProcessor(base, TokenGroups.from_labels(labels), beta, _state())
    out = proc(attn, hidden, None, None, rotary)
    same = (labels[:, None] == labels[None, :]).view(1, 1, n, n)
    masked_ref = base(attn, hidden, None, same, rotary)
    full_ref = base(attn, hidden, None, None, rotary)
    assert torch.allclose(out, (1 - beta) * full_ref + beta * masked_ref, atol=1e-10)


def test_self_attention_inactive_outside_step_window_is_stock(wan21):
    attn = wan21.blocks[0].attn1
    labels = _labels("two_objects_one_vanishes")
    hidden = torch.randn(1, labels.numel(), 24, dtype=torch.float64)
    state = _state()
    state.step = 4  # active_steps = 4 -> steps 0..3 only
    proc = MaskedSelfAttnProcessor(attn.processor, TokenGroups.from_labels(labels), 1.0, state)
    assert torch.equal(proc(attn, hidden, None, None, _rotary(wan21)), attn.processor(attn, hidden, None, None, _rotary(wan21)))


def _text_context(transformer, length, valid, seed):
    g = torch.Generator().manual_seed(seed)
    raw = torch.randn(1, length, transformer.config.text_dim, generator=g, dtype=torch.float64)
    raw[:, valid:] = 0  # Wan pads T5 output with zeros
    return transformer.condition_embedder.text_embedder(raw)


@pytest.mark.parametrize("kind", ["two_objects_one_vanishes", "single_object", "background_only"])
@pytest.mark.parametrize("beta", [1.0, 0.6])
def test_masked_cross_attention_matches_dense_reference(wan21, kind, beta):
    """Wan 2.1: image tokens first, then 512 text tokens; object 1 has a local prompt, object 2 none."""
    attn = wan21.blocks[0].attn2
    base = attn.processor
    labels = _labels(kind)
    n = labels.numel()
    inner = wan21.config.num_attention_heads * wan21.config.attention_head_dim
    hidden = torch.randn(1, n, inner, dtype=torch.float64)
    image_ctx = torch.randn(1, 17, inner, dtype=torch.float64)
    global_ctx = _text_context(wan21, 512, 9, seed=1)
    local_valid = 5
    local_padded = _text_context(wan21, 512, local_valid, seed=2)
    locals_ = [LocalContext(label=1, embeds=local_padded[:, :local_valid])]
    proc = MaskedCrossAttnProcessor(base, TokenGroups.from_labels(labels), locals_, beta, _state())
    out = proc(attn, hidden, torch.cat([image_ctx, global_ctx], 1), None, None)

    stock_global = base(attn, hidden, torch.cat([image_ctx, global_ctx], 1), None, None)
    key_mask = torch.zeros(1, 1, n, 512, dtype=torch.bool)
    key_mask[..., :local_valid] = True  # padding tokens of the local prompt excluded
    stock_local = base(attn, hidden, torch.cat([image_ctx, local_padded], 1), key_mask, None)
    obj = (labels == 1).view(1, n, 1)
    expected = torch.where(obj, (1 - beta) * stock_global + beta * stock_local, stock_global)
    assert torch.allclose(out, expected, atol=1e-10)
    if kind == "background_only":
        assert torch.equal(out, stock_global)  # nobody has a local prompt there


def test_cross_attention_only_on_conditional_pass(wan21):
    attn = wan21.blocks[0].attn2
    labels = _labels("single_object")
    hidden = torch.randn(1, labels.numel(), 24, dtype=torch.float64)
    ctx = torch.cat([torch.randn(1, 17, 24, dtype=torch.float64), _text_context(wan21, 512, 4, 0)], 1)
    local = [LocalContext(1, _text_context(wan21, 512, 3, 5)[:, :3])]
    uncond = MaskedCrossAttnProcessor(attn.processor, TokenGroups.from_labels(labels), local, 1.0, _state(False))
    cond = MaskedCrossAttnProcessor(attn.processor, TokenGroups.from_labels(labels), local, 1.0, _state(True))
    stock = attn.processor(attn, hidden, ctx, None, None)
    assert torch.equal(uncond(attn, hidden, ctx, None, None), stock)
    assert not torch.allclose(cond(attn, hidden, ctx, None, None), stock)


def test_cross_attention_without_image_branch_ti2v():
    transformer = tiny_wan_pipeline("wan22_ti2v_5b").transformer.double()
    attn = transformer.blocks[1].attn2
    assert attn.add_k_proj is None
    labels = _labels("two_objects_one_vanishes")
    n = labels.numel()
    hidden = torch.randn(1, n, 24, dtype=torch.float64)
    global_ctx = _text_context(transformer, 512, 7, 3)
    local_padded = _text_context(transformer, 512, 4, 4)
    proc = MaskedCrossAttnProcessor(
        attn.processor, TokenGroups.from_labels(labels), [LocalContext(2, local_padded[:, :4])], 1.0, _state()
    )
    out = proc(attn, hidden, global_ctx, None, None)
    mask = torch.zeros(1, 1, n, 512, dtype=torch.bool)
    mask[..., :4] = True
    local = attn.processor(attn, hidden, local_padded, mask, None)
    glob = attn.processor(attn, hidden, global_ctx, None, None)
    assert torch.allclose(out, torch.where((labels == 2).view(1, n, 1), local, glob), atol=1e-10)
