"""The tiny native Wan files load through ComfyUI's own loader as the real variants do."""

from __future__ import annotations

import pytest
import torch

from native_helpers import empty_latent, i2v_cond, import_comfy, native_models, sample, text_cond  # noqa: F401

EXPECTED = {"t2v": ("WAN21", "WAN21_T2V", 16), "i2v": ("WAN21", "WAN21_I2V", 16), "ti2v": ("WAN22", "WAN22_T2V", 48)}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_tiny_files_are_detected_as_the_real_variants_and_sample_deterministically(native_models, variant):
    import_comfy()
    _, model = native_models(variant)
    base, config, channels = EXPECTED[variant]
    assert type(model.model).__name__ == base
    assert type(model.model.model_config).__name__ == config
    assert model.model.diffusion_model.num_heads == 2
    assert (model.model.diffusion_model.img_emb is not None) == (variant == "i2v")
    pos, neg = text_cond(5, 0), text_cond(3, 1)
    if variant == "i2v":
        pos, neg = i2v_cond(pos, 3, 8, 8), i2v_cond(neg, 3, 8, 8)
    first = sample(model, pos, neg, empty_latent(channels), steps=2)
    again = sample(model, pos, neg, empty_latent(channels), steps=2)
    other_seed = sample(model, pos, neg, empty_latent(channels), steps=2, seed=1)
    assert first.shape == (1, channels, 3, 8, 8) and torch.isfinite(first).all()
    assert torch.equal(first, again)
    assert not torch.equal(first, other_seed)
