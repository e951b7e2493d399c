"""The framework-free pieces the native adapter adds to ttm_core.attention (no ComfyUI needed)."""

from __future__ import annotations

import pytest
import torch

from ttm_core.attention import LocalContext, NoiseWindow, TokenGroups, blend_local_prompts, sdpa_attention, strip_padding
from ttm_core.attention.grid import latent_token_labels
from ttm_core.errors import TTMInputError
from ttm_core.tokens import token_labels


def test_strip_padding_drops_only_trailing_zero_rows():
    x = torch.zeros(1, 6, 3)
    x[0, 0] = 1.0
    x[0, 2] = -2.0  # row 1 is zero but inside the prompt: kept
    assert torch.equal(strip_padding(x), x[:, :3])
    assert strip_padding(torch.zeros(1, 4, 3)).shape == (1, 1, 3)


def test_noise_window_uses_the_schedule_given():
    linear = lambda p: 1.0 - p  # noqa: E731  (sigma falls linearly with the share of denoising)
    window = NoiseWindow(0.2, 0.5)
    assert window.sigma_range(linear) == (0.8, 0.5)
    assert [window.contains(s, linear) for s in (0.9, 0.8, 0.6, 0.5, 0.4)] == [False, True, True, True, False]
    assert not NoiseWindow(0.3, 0.3).contains(0.7, linear)
    with pytest.raises(TTMInputError) as err:
        NoiseWindow(0.6, 0.2)
    assert err.value.input_name == "end_percent"


def test_latent_token_labels_match_the_trajectory_grid_or_name_the_mismatch():
    labels = torch.zeros(9, 32, 64, dtype=torch.uint8)
    labels[:, :16, 32:] = 1
    out = latent_token_labels(labels, (1, 16, 3, 4, 8), spatial_stride=8)
    assert torch.equal(out, token_labels(labels, 16, 4, 1))
    assert out.view(3, 2, 4)[:, 0, 2:].eq(1).all() and out.sum() == 3 * 2
    with pytest.raises(TTMInputError) as err:
        latent_token_labels(labels, (1, 16, 4, 4, 8), spatial_stride=8)
    assert err.value.input_name == "trajectory" and "64x32 px with 9 frames" in str(err.value)


def test_blend_local_prompts_changes_object_tokens_of_the_given_rows_only():
    gen = torch.Generator().manual_seed(0)
    b, n, h, d, lg, ll = 3, 6, 2, 4, 5, 3
    q = torch.randn(b, n, h, d, generator=gen)
    kg, vg = torch.randn(b, lg, h, d, generator=gen), torch.randn(b, lg, h, d, generator=gen)
    kl, vl = torch.randn(1, ll, h, d, generator=gen), torch.randn(1, ll, h, d, generator=gen)
    labels = torch.tensor([0, 1, 1, 2, 0, 1])
    out = sdpa_attention(q, kg, vg)
    before = out.clone()
    rows = torch.tensor([0, 2])
    blend_local_prompts(q, out, TokenGroups.from_labels(labels), [LocalContext(1, torch.zeros(1, ll, 1))], 0.25,
                        sdpa_attention, lambda ctx: (kl.expand(ctx.shape[0], -1, -1, -1), vl.expand(ctx.shape[0], -1, -1, -1)),
                        rows=rows)
    # dense reference: softmax over the local keys for every query, then the blend by hand
    local = torch.softmax(torch.einsum("bnhd,mhd->bhnm", q, kl[0]) / d ** 0.5, -1)
    local = torch.einsum("bhnm,mhd->bnhd", local, vl[0])
    expected = before.clone()
    for r in (0, 2):
        for t in (1, 2, 5):
            expected[r, t] = 0.75 * before[r, t] + 0.25 * local[r, t]
    assert (out - expected).abs().max() < 1e-6
    assert torch.equal(out[1], before[1])
