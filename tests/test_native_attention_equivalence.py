"""Native masked attention leaves core sampling bit-identical wherever it has nothing to do."""

from __future__ import annotations

import pytest
import torch

from native_helpers import (apply_lora, empty_latent, i2v_cond, import_comfy, native_models, native_pack,  # noqa: F401
                            sample, text_cond, tiny_lora, tiny_wan_state)
from ttm_core.types import MaskTrajectory

CHANNELS = {"t2v": 16, "i2v": 16, "ti2v": 48}
STRIDE = {"t2v": 8, "i2v": 8, "ti2v": 16}


def trajectory(variant: str, objects: bool = True, frames: int = 9, latent: int = 8) -> MaskTrajectory:
    """Two objects moving over ``frames`` pixel frames at the variant's pixel size."""
    size = latent * STRIDE[variant]
    labels = torch.zeros(frames, size, size, dtype=torch.uint8)
    if objects:
        cell = size // 4
        for t in range(frames):
            shift = (t * cell) // frames
            labels[t, :cell * 2, shift:shift + cell * 2] = 1
            labels[t, cell * 3:, cell:cell * 3] = 2
    return MaskTrajectory(labels, ["dog", "ball"])


def conds(variant: str):
    pos, neg = text_cond(5, 0), text_cond(3, 1)
    if variant == "i2v":
        pos, neg = i2v_cond(pos, 3, 8, 8), i2v_cond(neg, 3, 8, 8)
    return pos, neg


def patch(pack, model, traj, **kw):
    node = native_pack(pack).attention_nodes.TTMNativeMaskedAttention()
    args = dict(beta_self=0.5, beta_cross=0.7, block_fraction=1.0, blocks="", start_percent=0.0, end_percent=1.0)
    args.update(kw)
    return node.patch(model, traj, **args)


def recorded(patched) -> list:
    patches = [a for k, a in patched.attachments.items() if k.startswith("ttm_masked_attention")]
    assert len(patches) == 1
    patches[0].record = []
    return patches[0].record


CASES = {
    "beta_zero": dict(beta_self=0.0, beta_cross=0.0),
    "outside_window": dict(start_percent=0.99, end_percent=1.0),
    "single_label": dict(objects=False),
}


@pytest.mark.parametrize("variant", sorted(CHANNELS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_patched_model_samples_bit_identical_when_guidance_has_nothing_to_do(pack, native_models, variant, case):
    _, model = native_models(variant)
    settings = dict(CASES[case])
    traj = trajectory(variant, objects=settings.pop("objects", True))
    before = (dict(model.object_patches), {k: dict(v) for k, v in model.wrappers.items()})
    patched, _ = patch(pack, model, traj, **settings)
    assert (dict(model.object_patches), {k: dict(v) for k, v in model.wrappers.items()}) == before  # input untouched
    log = recorded(patched) if case != "beta_zero" else None
    pos, neg = conds(variant)
    stock = sample(model, pos, neg, empty_latent(CHANNELS[variant]), steps=4)
    guided = sample(patched, pos, neg, empty_latent(CHANNELS[variant]), steps=4)
    assert torch.equal(stock, guided)
    if case == "outside_window":  # the wrapper ran on every call and stayed inactive
        assert log and all(e["kind"] == "call" and not e["active"] for e in log)
    if case == "single_label":  # the masked path really ran, on every block
        assert {e["block"] for e in log if e["kind"] == "self"} == {0, 1}


def test_bit_identical_with_a_lora_applied(pack, native_models, tmp_path):
    path, model = native_models("t2v")
    lora = apply_lora(model, tiny_lora(tiny_wan_state("t2v"), tmp_path / "lora.safetensors"))
    pos, neg = conds("t2v")
    plain = sample(model, pos, neg, empty_latent(16), steps=3)
    stock = sample(lora, pos, neg, empty_latent(16), steps=3)
    assert not torch.equal(plain, stock)  # the LoRA does change the model
    for case, kw in (("outside_window", dict(start_percent=0.99, end_percent=1.0)), ("single_label", {})):
        traj = trajectory("t2v", objects=case != "single_label")
        patched, _ = patch(pack, lora, traj, **kw)
        assert torch.equal(stock, sample(patched, pos, neg, empty_latent(16), steps=3)), case


def test_bit_identical_with_another_attention_override_and_our_calls_go_through_it(pack, native_models):
    _, model = native_models("t2v")
    calls = {"n": 0}

    def override(func, *args, **kwargs):  # what sage/flash/NAG-style nodes install
        calls["n"] += 1
        return func(*args, **kwargs)

    other = model.clone()
    other.model_options["transformer_options"]["optimized_attention_override"] = override
    pos, neg = conds("t2v")
    stock = sample(other, pos, neg, empty_latent(16), steps=3)
    stock_calls, calls["n"] = calls["n"], 0
    patched, _ = patch(pack, other, trajectory("t2v", objects=False))
    assert torch.equal(stock, sample(patched, pos, neg, empty_latent(16), steps=3))
    assert calls["n"] == stock_calls
    calls["n"] = 0
    guided, _ = patch(pack, other, trajectory("t2v"), beta_self=0.5)
    sample(guided, pos, neg, empty_latent(16), steps=3)
    # 3 labels: 3 grouped calls per guided self-attention on top of the stock call
    assert calls["n"] == stock_calls + 3 * 2 * 3
