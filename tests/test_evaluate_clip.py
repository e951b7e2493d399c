"""CLIPFrame through a tiny random CLIP vision model: as a transformers folder, through the
ComfyUI ``CLIP_VISION`` interface (duck-typed) and through ComfyUI's own ``ClipVisionModel``
class (both server trees, built from a tiny config in a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from ttm_core.evaluate import TransformersClipEncoder, clip_frame, clip_preprocess, evaluate_video, palette_segmenter
from ttm_core.types import MaskTrajectory

from comfy_paths import BUNDLED_DIR, CURRENT_DIR

TINY_CLIP = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=2, image_size=224,
                 patch_size=32, projection_dim=16, hidden_act="quick_gelu", layer_norm_eps=1e-5)


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory):
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    model = CLIPVisionModelWithProjection(CLIPVisionConfig(**TINY_CLIP)).eval()
    folder = tmp_path_factory.mktemp("tiny-clip-vision")
    model.save_pretrained(folder)
    return folder


def video(seed: int = 0, t: int = 4) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(t, 48, 80, 3, generator=g)


def test_identical_frames_give_one_and_different_frames_less(clip_folder):
    encoder = TransformersClipEncoder(clip_folder)
    still = video()[:1].expand(5, -1, -1, -1).contiguous()
    cf, sims = clip_frame(still, encoder)
    assert cf == pytest.approx(1.0, abs=1e-5) and len(sims) == 4
    cf_noise, _ = clip_frame(video(), encoder)
    assert cf_noise < 1.0 - 1e-4


def test_clip_frame_is_the_mean_cosine_of_consecutive_embeddings(clip_folder):
    from transformers import CLIPVisionModelWithProjection

    frames = video(3)
    model = CLIPVisionModelWithProjection.from_pretrained(clip_folder).eval()
    with torch.no_grad():
        emb = model(pixel_values=clip_preprocess(frames, 224)).image_embeds
    expected = sum(float(torch.cosine_similarity(emb[i], emb[i + 1], dim=0)) for i in range(3)) / 3
    assert clip_frame(frames, TransformersClipEncoder(clip_folder))[0] == pytest.approx(expected, abs=1e-5)


def test_preprocessing_matches_transformers_clip_image_processor():
    from transformers import CLIPImageProcessor

    frames = video(5, 2)
    proc = CLIPImageProcessor(size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224})
    ref = proc(images=[(f.numpy() * 255).round().astype("uint8") for f in frames], return_tensors="pt").pixel_values
    ours = clip_preprocess(frames, 224)
    assert ours.shape == ref.shape
    assert float((ours - ref).abs().mean()) < 0.05  # PIL's vs torch's bicubic, same crop and normalisation


class DuckClipVision:
    """What core ``CLIPVisionLoader`` returns, as far as evaluation uses it: ``encode_image``."""

    def __init__(self, model):
        self.model, self.calls = model, 0

    def encode_image(self, image):
        self.calls += 1

        class Output:
            pass

        out = Output()
        with torch.no_grad():
            out.image_embeds = self.model(pixel_values=clip_preprocess(image, 224)).image_embeds
        return out


def test_comfy_clip_vision_adapter_in_the_node(pack, clip_folder):
    from transformers import CLIPVisionModelWithProjection

    nodes_eval = sys.modules[pack.__name__ + ".nodes.evaluate"]
    duck = DuckClipVision(CLIPVisionModelWithProjection.from_pretrained(clip_folder).eval())
    frames = video(7, 20)
    cf_duck = clip_frame(frames, nodes_eval.ClipVisionEncoder(duck, batch_size=8))[0]
    assert duck.calls == 3  # batches of 8
    assert cf_duck == pytest.approx(clip_frame(frames, TransformersClipEncoder(clip_folder))[0], abs=1e-5)
    from ttm_core.errors import TTMInputError

    with pytest.raises(TTMInputError, match="^clip_vision: expected a CLIP_VISION"):
        nodes_eval.ClipVisionEncoder(object())


def test_evaluate_video_reports_clip_frame(clip_folder):
    labels = torch.zeros(3, 48, 80, dtype=torch.uint8)
    labels[:, 10:20, 10:20] = 1
    traj = MaskTrajectory(labels, ["box"])
    from ttm_core.visualize import palette

    frames = palette(1)[labels.long()]
    s = evaluate_video(frames, traj, segmenter=palette_segmenter(), clip=TransformersClipEncoder(clip_folder), flow=None)
    assert s.clip_frame == pytest.approx(1.0, abs=1e-5) and s.miou == 1.0


COMFY_SCRIPT = r"""
import json, sys, torch
sys.path.insert(0, sys.argv[1])
argv, sys.argv = sys.argv, [sys.argv[0], "--cpu"]  # ComfyUI reads its flags from sys.argv
import comfy.options
comfy.options.enable_args_parsing()
import comfy.clip_vision
sys.argv = argv
from safetensors.torch import load_file
model = comfy.clip_vision.ClipVisionModel(sys.argv[2])
missing, unexpected = model.load_sd(load_file(sys.argv[3]))
assert not missing, missing
frames = torch.load(sys.argv[4])
emb = model.encode_image(frames)["image_embeds"].float()
torch.save(emb, sys.argv[5])
"""


@pytest.mark.parametrize("tree", [BUNDLED_DIR, CURRENT_DIR], ids=["bundled", "current"])
def test_comfyui_clip_vision_model_class_gives_the_same_clip_frame(tree, clip_folder, tmp_path):
    """ComfyUI's real ``ClipVisionModel`` (what CLIPVisionLoader returns) built from a tiny config:
    the core loader itself only recognises full-size ViT-L/H/G files by their layer count."""
    if not (tree / "comfy" / "clip_vision.py").is_file():
        pytest.skip(f"no ComfyUI tree at {tree}: run `bash install.sh --dev`")
    config = tmp_path / "tiny_clip_vision.json"
    config.write_text(json.dumps({**TINY_CLIP, "model_type": "clip_vision_model", "num_channels": 3}))
    frames = video(9, 4)
    torch.save(frames, tmp_path / "frames.pt")
    script = tmp_path / "run.py"
    script.write_text(COMFY_SCRIPT)
    result = subprocess.run([sys.executable, str(script), str(tree), str(config), str(clip_folder / "model.safetensors"),
                             str(tmp_path / "frames.pt"), str(tmp_path / "emb.pt")],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    emb = torch.load(tmp_path / "emb.pt")

    class Saved:  # the subprocess's embeddings through the node's adapter
        def encode_image(self, image):
            return {"image_embeds": emb}

    from conftest import load_pack

    nodes_eval = sys.modules[load_pack().__name__ + ".nodes.evaluate"]
    cf_comfy = clip_frame(frames, nodes_eval.ClipVisionEncoder(Saved()))[0]
    cf_ours = clip_frame(frames, TransformersClipEncoder(clip_folder))[0]
    assert cf_comfy == pytest.approx(cf_ours, abs=2e-3)
