"""Tiny, randomly initialised Wan pipelines built offline from configs.

They keep every structural trait of the real checkpoints that our code depends on, at toy
width: Wan 2.1 I2V (CLIP image branch through ``added_kv_proj_dim``, 512-token text),
Wan 2.2 TI2V-5B (48-channel VAE with 16x spatial compression, ``expand_timesteps``) and Wan 2.2
I2V-A14B (two experts switched at ``boundary_ratio``). Tests, benchmarks and the
``tiny-models`` CLI all build from here, so none of them ever needs the hub.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from .tiny_text import build_clip_vision, build_tokenizer, build_umt5

WAN_VARIANTS = ("wan21_i2v", "wan22_ti2v_5b", "wan22_i2v_a14b")


@dataclass(frozen=True)
class TinyWanSize:
    """Transformer width/depth; head_dim must be a multiple of 6 for Wan's 3-axis RoPE."""

    heads: int = 2
    head_dim: int = 12
    layers: int = 2
    ffn_dim: int = 32
    text_dim: int = 32
    vae_base_dim: int = 8


def _check_variant(variant: str) -> None:
    if variant not in WAN_VARIANTS:
        raise ValueError(f"variant must be one of {WAN_VARIANTS}, got {variant!r}")


def _latent_stats(z_dim: int, seed: int) -> tuple[list[float], list[float]]:
    """Non-trivial VAE normalisation so tests catch any code that forgets it."""
    g = torch.Generator().manual_seed(seed)
    mean = (torch.randn(z_dim, generator=g) * 0.2).tolist()
    std = (0.6 + torch.rand(z_dim, generator=g)).tolist()
    return [round(v, 4) for v in mean], [round(v, 4) for v in std]


def _vae(variant: str, size: TinyWanSize, seed: int):
    from diffusers import AutoencoderKLWan

    torch.manual_seed(seed)
    if variant == "wan22_ti2v_5b":
        mean, std = _latent_stats(48, seed + 1)
        return AutoencoderKLWan(
            base_dim=size.vae_base_dim,
            z_dim=48,
            in_channels=12,
            out_channels=12,
            is_residual=True,
            patch_size=2,
            latents_mean=mean,
            latents_std=std,
            dim_mult=[1, 1, 1, 1],
            num_res_blocks=1,
            scale_factor_spatial=16,
            scale_factor_temporal=4,
            temperal_downsample=[False, True, True],
        ).eval()
    mean, std = _latent_stats(16, seed + 1)
    return AutoencoderKLWan(
        base_dim=size.vae_base_dim,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
        latents_mean=mean,
        latents_std=std,
    ).eval()


def _transformer(variant: str, size: TinyWanSize, seed: int, image_dim: int | None):
    from diffusers import WanTransformer3DModel

    torch.manual_seed(seed)
    inner = size.heads * size.head_dim
    channels = {"wan21_i2v": (36, 16), "wan22_ti2v_5b": (48, 48), "wan22_i2v_a14b": (36, 16)}[variant]
    return WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=size.heads,
        attention_head_dim=size.head_dim,
        in_channels=channels[0],
        out_channels=channels[1],
        text_dim=size.text_dim,
        freq_dim=32,
        ffn_dim=size.ffn_dim,
        num_layers=size.layers,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        eps=1e-6,
        image_dim=image_dim,
        added_kv_proj_dim=inner if image_dim is not None else None,
        rope_max_seq_len=64,
    ).eval()


def _scheduler(variant: str):
    from diffusers import UniPCMultistepScheduler

    shift = 3.0 if variant == "wan21_i2v" else 5.0
    return UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=shift)


def tiny_wan_components(variant: str, seed: int = 0, size: TinyWanSize | None = None) -> dict:
    """Keyword arguments for ``WanImageToVideoPipeline(**components)``."""
    _check_variant(variant)
    size = size or TinyWanSize()
    tokenizer = build_tokenizer()
    text_encoder = build_umt5(len(tokenizer), d_model=size.text_dim, seed=seed)
    image_encoder = image_processor = None
    image_dim = None
    if variant == "wan21_i2v":
        image_encoder, image_processor = build_clip_vision(seed=seed)
        image_dim = image_encoder.config.hidden_size
    comps = {
        "tokenizer": tokenizer,
        "text_encoder": text_encoder,
        "vae": _vae(variant, size, seed),
        "scheduler": _scheduler(variant),
        "image_processor": image_processor,
        "image_encoder": image_encoder,
        "transformer": _transformer(variant, size, seed + 10, image_dim),
        "transformer_2": None,
        "boundary_ratio": None,
        "expand_timesteps": variant == "wan22_ti2v_5b",
    }
    if variant == "wan22_i2v_a14b":
        comps["transformer_2"] = _transformer(variant, size, seed + 20, None)
        comps["boundary_ratio"] = 0.9  # as the published A14B I2V folder
    return comps


def tiny_wan_pipeline(variant: str, seed: int = 0, size: TinyWanSize | None = None, **size_overrides):
    """A ready ``WanImageToVideoPipeline`` on CPU in float32."""
    from diffusers import WanImageToVideoPipeline

    if size_overrides:
        size = replace(size or TinyWanSize(), **size_overrides)
    pipe = WanImageToVideoPipeline(**tiny_wan_components(variant, seed, size))
    pipe.set_progress_bar_config(disable=True)
    return pipe


def save_tiny_wan(variant: str, folder: str | os.PathLike, seed: int = 0, size: TinyWanSize | None = None) -> Path:
    """Write a diffusers folder exactly as users have them under ``models/diffusers``.

    The 5B folder is written with ``WanPipeline`` as its class, as the published TI2V-5B folder
    is, so the loader's class handling is exercised.
    """
    folder = Path(folder)
    pipe = tiny_wan_pipeline(variant, seed, size)
    pipe.save_pretrained(folder, safe_serialization=True)
    tok_cfg = folder / "tokenizer" / "tokenizer_config.json"
    cfg = json.loads(tok_cfg.read_text())
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"  # loadable by transformers 4.x and 5.x
    tok_cfg.write_text(json.dumps(cfg, indent=2))
    if variant == "wan22_ti2v_5b":
        index = folder / "model_index.json"
        data = json.loads(index.read_text())
        data["_class_name"] = "WanPipeline"
        for key in ("image_encoder", "image_processor"):
            data.pop(key, None)
        index.write_text(json.dumps(data, indent=2))
    return folder
