"""Write the tiny native files the test servers load (run as a script, in its own process).

    python tests/fixture_nodes/tiny_files.py MODELS_DIR

``MODELS_DIR/{diffusion_models,vae,text_encoders,loras}`` get seeded random files: Wan 2.2
TI2V-5B and both Wan 2.2 I2V-A14B experts (through ``tests/native_helpers``: real native
layout, loaded by core ``UNETLoader``), a LoRA for the experts (``LoraLoaderModelOnly``), Wan 2.1
and 2.2 VAEs and a UMT5 text encoder (for the fixture loaders of ``__init__.py``).
It imports ``comfy`` from the current tree, so it runs apart from the pytest process.
"""

from __future__ import annotations

import io
import json
import math
import sys
from pathlib import Path

import torch

TESTS = Path(__file__).resolve().parents[1]
TINY_CONFIG_KEY = "ttm_tiny_config"
FILES = {
    "ti2v_5b": "diffusion_models/tiny-native-wan2.2-ti2v-5b.safetensors",
    "a14b_high": "diffusion_models/tiny-native-wan2.2-i2v-a14b-high.safetensors",
    "a14b_low": "diffusion_models/tiny-native-wan2.2-i2v-a14b-low.safetensors",
    "lora": "loras/tiny-native-wan-lora.safetensors",
    "vae22": "vae/tiny-native-wan2.2-vae.safetensors",
    "vae21": "vae/tiny-native-wan2.1-vae.safetensors",
    "umt5": "text_encoders/tiny-native-umt5.safetensors",
}
VAE_WIDTHS = {"dim": 16, "dec_dim": 16, "num_res_blocks": 1}
# UMT5-XXL's config with the cheap sizes shrunk: width and depth stay (detection reads them)
UMT5_TINY = {"d_ff": 8, "d_kv": 8, "d_model": 4096, "dense_act_fn": "gelu_pytorch_tanh", "is_gated_act": True,
             "layer_norm_epsilon": 1e-6, "model_type": "umt5", "num_heads": 1, "num_layers": 24,
             "relative_attention_num_buckets": 32, "eos_token_id": 1, "pad_token_id": 0, "vocab_size": 0}
CORPUS = [
    "A red ball rolls to the right while a blue cube slides to the left on a sunny meadow.",
    "vivid colours, overexposed, static, blurry details, subtitles, style, artwork, still frame, grey overall",
    "worst quality, low quality, JPEG artifacts, ugly, deformed, a shiny red ball, a blue cube sliding",
    "the ball, the cube, background, camera, moves, slowly, grass, sky, light, shadow",
]


def _fill(state: dict, seed: int) -> dict:
    """Seeded values: unit norms/scales, fan-in scaled weights, zero biases (O(1) activations)."""
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name, value in state.items():
        if value.ndim >= 2:
            v = torch.randn(value.shape, generator=gen) / math.sqrt(math.prod(value.shape[1:]))
        elif name.endswith(("gamma", "weight")):
            v = torch.ones(value.shape)
        else:
            v = torch.zeros(value.shape)
        out[name] = v.contiguous()
    return out


def _save(state: dict, path: Path, tiny: dict | None = None) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path), metadata={TINY_CONFIG_KEY: json.dumps(tiny)} if tiny is not None else None)


def tiny_vae_state(layout: str, seed: int) -> dict:
    import comfy.ldm.wan.vae
    import comfy.ldm.wan.vae2_2

    if layout == "wan2.2":
        model = comfy.ldm.wan.vae2_2.WanVAE(z_dim=48, dim_mult=[1, 2, 4, 4], attn_scales=[],
                                            temperal_downsample=[False, True, True], **VAE_WIDTHS)
    else:
        widths = {k: v for k, v in VAE_WIDTHS.items() if k != "dec_dim"}
        model = comfy.ldm.wan.vae.WanVAE(z_dim=16, dim_mult=[1, 2, 4, 4], attn_scales=[],
                                         temperal_downsample=[False, True, True], **widths)
    return _fill(model.state_dict(), seed)


def tiny_spiece_model() -> bytes:
    import sentencepiece as spm

    out = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(CORPUS * 4), model_writer=out, vocab_size=96,
                                   model_type="unigram", pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
                                   hard_vocab_limit=False, character_coverage=1.0, minloglevel=2)
    return out.getvalue()


def tiny_umt5(seed: int) -> tuple[dict, dict]:
    import sentencepiece as spm

    import comfy.ops
    import comfy.text_encoders.t5

    proto = tiny_spiece_model()
    config = dict(UMT5_TINY, vocab_size=spm.SentencePieceProcessor(model_proto=proto).get_piece_size())
    model = comfy.text_encoders.t5.T5(config, torch.float32, "cpu", comfy.ops.disable_weight_init)
    state = _fill(model.state_dict(), seed)
    state["spiece_model"] = torch.frombuffer(bytearray(proto), dtype=torch.uint8)
    return state, config


def write_all(root: Path, seed: int = 0) -> dict[str, Path]:
    sys.path.insert(0, str(TESTS))
    import native_helpers as nh

    nh.import_comfy()
    nh.VARIANTS.setdefault("a14b", ("t2v", 36, 16))  # Wan 2.2 I2V-A14B: image via concat, no CLIP branch
    paths = {key: root / rel for key, rel in FILES.items()}
    _save(nh.tiny_wan_state("ti2v", seed), paths["ti2v_5b"])
    high = nh.tiny_wan_state("a14b", seed + 1)
    _save(high, paths["a14b_high"])
    _save(nh.tiny_wan_state("a14b", seed + 2), paths["a14b_low"])
    paths["lora"].parent.mkdir(parents=True, exist_ok=True)
    nh.tiny_lora(high, paths["lora"])
    _save(tiny_vae_state("wan2.2", seed), paths["vae22"], {"layout": "wan2.2", **VAE_WIDTHS})
    _save(tiny_vae_state("wan2.1", seed), paths["vae21"],
          {"layout": "wan2.1", **{k: v for k, v in VAE_WIDTHS.items() if k != "dec_dim"}})
    state, config = tiny_umt5(seed)
    _save(state, paths["umt5"], config)
    return paths


if __name__ == "__main__":
    for key, path in write_all(Path(sys.argv[1])).items():
        print(key, path)
