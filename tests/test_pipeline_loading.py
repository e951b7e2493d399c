"""Loading Wan models the way users have them: diffusers folders and ComfyUI single files."""

import json

import pytest
import torch
from safetensors.torch import save_file

from ttm_core import TTMInputError
from ttm_core.pipeline import load_video_model
from ttm_core.testing import WAN_VARIANTS, save_tiny_wan
from ttm_core.testing.wan_original_format import to_original_wan_keys


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("diffusers")
    return {v: save_tiny_wan(v, root / f"tiny-{v}") for v in WAN_VARIANTS}


@pytest.mark.parametrize("variant", WAN_VARIANTS)
def test_folder_loads_as_i2v_with_fp32_vae(folders, variant):
    model = load_video_model(folders[variant], dtype="fp32", device="cpu")
    assert model.variant == variant
    assert type(model.pipe).__name__ == "WanImageToVideoPipeline"
    assert model.pipe.vae.dtype == torch.float32
    assert (model.pipe.transformer_2 is not None) == (variant == "wan22_i2v_a14b")


def test_bf16_keeps_vae_in_fp32(folders):
    model = load_video_model(folders["wan22_ti2v_5b"], dtype="bf16", device="cpu")
    assert model.pipe.transformer.dtype == torch.bfloat16 and model.pipe.vae.dtype == torch.float32


def _assert_same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


@pytest.mark.parametrize("fmt", ["diffusers", "original", "comfy_prefixed"])
def test_single_file_transformer_roundtrips(folders, tmp_path, fmt):
    ref = load_video_model(folders["wan21_i2v"], dtype="fp32", device="cpu").pipe.transformer
    state = {k: v.contiguous() for k, v in ref.state_dict().items()}
    if fmt == "original":
        state = to_original_wan_keys(state)
    elif fmt == "comfy_prefixed":
        state = to_original_wan_keys(state, prefix="model.diffusion_model.")
    path = tmp_path / f"wan21_tiny_{fmt}.safetensors"
    save_file(state, str(path))
    model = load_video_model(folders["wan21_i2v"], dtype="fp32", device="cpu", transformer_file=path)
    _assert_same_weights(model.pipe.transformer, ref)


def test_single_file_vae_roundtrips(folders, tmp_path):
    ref = load_video_model(folders["wan22_ti2v_5b"], dtype="fp32", device="cpu").pipe.vae
    path = tmp_path / "vae.safetensors"
    save_file({k: v.contiguous() for k, v in ref.state_dict().items()}, str(path))
    model = load_video_model(folders["wan22_ti2v_5b"], dtype="fp32", device="cpu", vae_file=path)
    _assert_same_weights(model.pipe.vae, ref)


def test_mismatched_single_file_is_named(folders, tmp_path):
    other = load_video_model(folders["wan22_ti2v_5b"], dtype="fp32", device="cpu").pipe.transformer
    path = tmp_path / "other.safetensors"
    save_file({k: v.contiguous() for k, v in other.state_dict().items()}, str(path))
    with pytest.raises(TTMInputError, match="^transformer_file"):
        load_video_model(folders["wan21_i2v"], dtype="fp32", device="cpu", transformer_file=path)
    scaled = tmp_path / "fp8_scaled.safetensors"
    save_file({"blocks.0.self_attn.q.scale_weight": torch.ones(1), "patch_embedding.weight": torch.ones(2, 2)}, str(scaled))
    with pytest.raises(TTMInputError, match="fp8"):
        load_video_model(folders["wan21_i2v"], dtype="fp32", device="cpu", transformer_file=scaled)
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x00garbage")
    with pytest.raises(TTMInputError, match="could not be read"):
        load_video_model(folders["wan21_i2v"], dtype="fp32", device="cpu", transformer_file=broken)


def test_missing_or_incomplete_folders_are_named(folders, tmp_path):
    with pytest.raises(TTMInputError, match="^model: folder not found"):
        load_video_model(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TTMInputError, match="model_index.json"):
        load_video_model(tmp_path / "empty")
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "model_index.json").write_text(json.dumps({"_class_name": "WanImageToVideoPipeline"}))
    with pytest.raises(TTMInputError, match="text_encoder"):
        load_video_model(partial)
    with pytest.raises(TTMInputError, match="^offload"):
        load_video_model(folders["wan21_i2v"], offload="turbo")
    with pytest.raises(TTMInputError, match="^dtype"):
        load_video_model(folders["wan21_i2v"], dtype="int8")
