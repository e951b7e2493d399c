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
    # the other order (LoRA loaded after the patch, i.e. a clone of the patched MODEL) keeps the patch
    path_traj = trajectory("t2v")
    patched_first, _ = patch(pack, model, path_traj)
    lora_after = apply_lora(patched_first, tmp_path / "lora.safetensors")
    (state,) = [a for k, a in lora_after.attachments.items() if k.startswith("ttm_masked_attention")]
    state.record = []
    lora_before, _ = patch(pack, lora, path_traj)
    after = sample(lora_after, pos, neg, empty_latent(16), steps=3)
    assert any(e["kind"] == "self" for e in state.record)  # still guided after the clone
    assert torch.equal(after, sample(lora_before, pos, neg, empty_latent(16), steps=3))


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


def test_our_extra_calls_use_the_attention_function_wan_runs_now(pack, native_models, monkeypatch):
    """Another pack (or the CLI choice) swapping Wan's ``optimized_attention`` reaches our calls too."""
    _, model = native_models("t2v")
    import comfy.ldm.wan.model as wan

    calls = {"n": 0}
    real = wan.optimized_attention

    def counting(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(wan, "optimized_attention", counting)
    pos, neg = conds("t2v")
    stock = sample(model, pos, neg, empty_latent(16), steps=2)
    stock_calls, calls["n"] = calls["n"], 0
    patched, _ = patch(pack, model, trajectory("t2v"), blocks="0")
    guided = sample(patched, pos, neg, empty_latent(16), steps=2)
    assert not torch.equal(stock, guided)
    assert calls["n"] == stock_calls + 3 * 2  # 3 label groups on block 0, 2 steps


def test_ti2v_image_latent_with_its_noise_mask(pack, native_models):
    """Wan22ImageToVideoLatent's LATENT: frame 0 holds the image, a noise_mask keeps it clean
    (per-frame timesteps inside the model). Off: bit-identical; on: frame 0 stays the image."""
    _, model = native_models("ti2v")
    samples = torch.zeros(1, 48, 3, 8, 8)
    samples[:, :, 0] = torch.randn(1, 48, 8, 8, generator=torch.Generator().manual_seed(5))
    mask = torch.ones(1, 1, 3, 8, 8)
    mask[:, :, 0] = 0.0
    latent = {"samples": samples, "noise_mask": mask}
    pos, neg = conds("ti2v")
    stock = sample(model, pos, neg, latent, steps=3)
    for case, kw in (("outside_window", dict(start_percent=0.99, end_percent=1.0)), ("single_label", {})):
        patched, _ = patch(pack, model, trajectory("ti2v", objects=case != "single_label"), **kw)
        assert torch.equal(stock, sample(patched, pos, neg, latent, steps=3)), case
    guided, _ = patch(pack, model, trajectory("ti2v"))
    out = sample(guided, pos, neg, latent, steps=3)
    assert not torch.equal(out, stock) and torch.equal(out[:, :, 0], stock[:, :, 0])


def test_guided_run_unchanged_when_layers_cast_their_weights_per_call(pack, native_models):
    """Low-VRAM loading makes comfy's layers cast (and move) their weights on every call; the patch
    only calls layers, never reads weights, so a guided run gives the same latent that way."""
    _, model = native_models("t2v")
    pos, neg = conds("t2v")
    guided, tagged = patch(pack, model, trajectory("t2v"), local_prompts=native_pack(pack).conditioning.LocalPrompts(
        dog=text_cond(3, 6)), positive=pos)
    plain = sample(guided, tagged, neg, empty_latent(16), steps=2)
    layers = [m for m in model.model.modules() if hasattr(m, "comfy_cast_weights")]
    assert layers
    before = [m.comfy_cast_weights for m in layers]
    seen = []
    probe = model.model.diffusion_model.text_embedding[0]  # also what projects the local prompts
    hook = probe.register_forward_pre_hook(lambda m, a: seen.append(m.comfy_cast_weights))
    try:
        for m in layers:
            m.comfy_cast_weights = True
        cast = sample(guided, tagged, neg, empty_latent(16), steps=2)
    finally:
        hook.remove()
        for m, flag in zip(layers, before):
            m.comfy_cast_weights = flag
    assert seen and all(seen)  # the run really went through the per-call cast path
    assert torch.equal(plain, cast)
