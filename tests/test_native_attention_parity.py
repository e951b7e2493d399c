"""Parity: the native patch and the diffusers processors change the same tiny Wan the same way.

One diffusers ``WanTransformer3DModel`` (T2V layout, seeded random) is converted to the original
key names and loaded into core ComfyUI's ``WanModel`` bypassing detection (any dims). One
denoising evaluation at sigma 1 on the same noise and text: the diffusers transformer called
directly (with and without ``masked_attention``), core through one euler step of its KSampler
path at cfg 1 (whose result, back in model units, is ``noise - v``). The guided-minus-stock differences must agree.
"""

from __future__ import annotations

import torch

from native_helpers import import_comfy, native_pack, sample
from test_native_attention_exact import GRID, grid_trajectory
from ttm_core.testing.wan_original_format import to_original_wan_keys

HEADS, HEAD_DIM, TEXT_DIM, LAYERS = 2, 12, 32, 2


def diffusers_transformer(seed: int = 3):
    from diffusers import WanTransformer3DModel

    torch.manual_seed(seed)
    model = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=HEADS, attention_head_dim=HEAD_DIM, in_channels=16, out_channels=16,
        text_dim=TEXT_DIM, freq_dim=32, ffn_dim=32, num_layers=LAYERS, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=64).eval()
    with torch.no_grad():  # diffusers zero-initialises some tables: make every weight matter
        for name, p in model.named_parameters():
            if "scale_shift_table" in name or name.endswith("bias"):
                p.normal_(0.0, 0.1)
    return model


def native_from(transformer):
    import_comfy()
    import comfy.model_management as mm
    import comfy.model_patcher
    import comfy.supported_models

    inner = HEADS * HEAD_DIM
    config = comfy.supported_models.WAN21_T2V({
        "image_model": "wan2.1", "model_type": "t2v", "dim": inner, "num_heads": HEADS, "ffn_dim": 32,
        "num_layers": LAYERS, "in_dim": 16, "out_dim": 16, "text_dim": TEXT_DIM, "freq_dim": 32,
        "patch_size": (1, 2, 2), "window_size": (-1, -1), "qk_norm": True, "cross_attn_norm": True, "eps": 1e-6})
    config.set_inference_dtype(torch.float32, None)
    model = config.get_model({})
    missing, unexpected = model.diffusion_model.load_state_dict(to_original_wan_keys(transformer.state_dict()), strict=False)
    assert not missing and not unexpected
    return comfy.model_patcher.ModelPatcher(model, mm.get_torch_device(), torch.device("cpu"))


def test_guided_minus_stock_agrees_between_native_and_diffusers(pack):
    from ttm_core.attention import GuidanceConfig, GuidanceState, masked_attention

    transformer = diffusers_transformer()
    native = native_from(transformer)
    gen = torch.Generator().manual_seed(11)
    text = torch.zeros(1, 512, TEXT_DIM)
    text[0, :6] = torch.randn(6, TEXT_DIM, generator=gen)
    local = torch.randn(1, 4, TEXT_DIM, generator=gen)
    noise = torch.randn(1, 16, 3, 8, 8, generator=gen)
    traj = grid_trajectory()
    beta_self, beta_cross = 0.6, 0.8

    # diffusers: one transformer call at timestep 1000 (sigma 1), stock and guided
    def run_diffusers(guided: bool) -> torch.Tensor:
        config = GuidanceConfig(beta_self=beta_self, beta_cross=beta_cross, block_fraction=1.0, step_fraction=1.0)
        state = GuidanceState(num_steps=1, active_steps=1)
        with torch.no_grad():
            if not guided:
                return transformer(noise, torch.tensor([1000.0]), text, return_dict=False)[0]
            with masked_attention([transformer], GRID.flatten(), config, state, {1: local}):
                return transformer(noise, torch.tensor([1000.0]), text, return_dict=False)[0]

    v_stock, v_guided = run_diffusers(False), run_diffusers(True)

    # native: core's sampler, 1 euler step from sigma 1 at cfg 1: result = noise - v
    import comfy.sample

    nodes = native_pack(pack)
    padded = torch.zeros(1, 512, TEXT_DIM)
    padded[:, :4] = local
    patched, positive = nodes.attention_nodes.TTMNativeMaskedAttention().patch(
        native, traj, beta_self, beta_cross, 1.0, "", 0.0, 1.0,
        local_prompts=nodes.conditioning.LocalPrompts(dog=[[padded, {}]]), positive=[[text, {}]])
    real_noise = comfy.sample.prepare_noise
    comfy.sample.prepare_noise = lambda latent, seed, inds=None: noise.clone()
    try:
        latent = {"samples": torch.zeros_like(noise)}
        out_stock = sample(native, [[text, {}]], [[text, {}]], latent, steps=1, cfg=1.0)
        out_guided = sample(patched, positive, [[text, {}]], latent, steps=1, cfg=1.0)
    finally:
        comfy.sample.prepare_noise = real_noise
    # samples leave the sampler in LATENT units (process_latent_out): back to model space
    out_stock, out_guided = native.model.process_latent_in(out_stock), native.model.process_latent_in(out_guided)

    # same stock function in both frameworks (converted weights), up to kernel rounding
    assert (noise - out_stock - v_stock).abs().max() < 1e-4
    diff_native = out_stock - out_guided  # = v_guided - v_stock
    diff_diffusers = v_guided - v_stock
    assert diff_diffusers.abs().max() > 1e-2  # guidance really changes the output
    # tolerance: both sides are fp32; core on CPU runs sub-quadratic chunked attention, diffusers
    # plain SDPA, so the two differ by float rounding (~1e-6 relative), never by a formula
    assert (diff_native - diff_diffusers).abs().max() < 1e-4 * diff_diffusers.abs().max() + 1e-5
