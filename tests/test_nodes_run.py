"""Loader and stage-2 nodes run on tiny models without ComfyUI and return what they declare.

The nodes are called the way ComfyUI's executor calls them (keyword arguments named after the
inputs, defaults from ``INPUT_TYPES``), with the models tree written by ``tiny-models``.
"""

from __future__ import annotations

import json
import sys

import pytest
import torch

from node_helpers import H, VARIANT_FOLDERS, W, call, io_dirs, models, node, plan, sam2, scene  # noqa: F401
from ttm_core.errors import TTMInputError, TTMInterrupted
from ttm_core.types import MaskTrajectory


# ---- loaders ------------------------------------------------------------------------------------
def test_loaders_list_the_models_tree(models, pack):
    from ttm_core.testing.models_tree import SAM2_FILE_NAME, SINGLE_TRANSFORMER_NAME, SINGLE_VAE_NAME, WAN_FOLDER_NAMES

    video = node(pack, "TTMLoadVideoModel").INPUT_TYPES()
    assert video["required"]["model"][0] == sorted(WAN_FOLDER_NAMES.values())
    assert SINGLE_TRANSFORMER_NAME in video["optional"]["transformer_file"][0]
    assert SINGLE_VAE_NAME in video["optional"]["vae_file"][0]
    assert node(pack, "TTMLoadSAM2").INPUT_TYPES()["required"]["sam2_model"][0] == [SAM2_FILE_NAME]


def test_diffusers_folders_are_found_two_levels_deep(tmp_path, monkeypatch, pack):
    for rel in ("Wan-AI/Wan2.2-TI2V-5B-Diffusers", "Flat-Model", "Org/Deeper/TooDeep"):
        (tmp_path / "diffusers" / rel).mkdir(parents=True)
        (tmp_path / "diffusers" / rel / "model_index.json").write_text("{}")
    (tmp_path / "diffusers" / "not-a-model").mkdir()
    monkeypatch.setenv("TTM_MODELS_DIR", str(tmp_path))
    bridge = sys.modules[pack.__name__ + ".nodes.comfy_bridge"]
    assert bridge.list_model_dirs("diffusers") == ["Flat-Model", "Wan-AI/Wan2.2-TI2V-5B-Diffusers"]
    assert bridge.resolve_model_dir("diffusers", "Wan-AI/Wan2.2-TI2V-5B-Diffusers", "model").is_dir()
    with pytest.raises(TTMInputError, match=r"^model: model folder 'Nope' .* Fix: put the whole folder in one of: .*diffusers"):
        bridge.resolve_model_dir("diffusers", "Nope", "model")


def test_missing_video_model_names_the_input(models, pack):
    with pytest.raises(TTMInputError, match="^model: "):
        call(pack, "TTMLoadVideoModel", model="no-such-model", device="cpu")
    with pytest.raises(TTMInputError, match="^vae_file: "):
        call(pack, "TTMLoadVideoModel", model="tiny-random-Wan2.2-TI2V-5B-Diffusers", device="cpu", vae_file="gone.safetensors")


# ---- stage 2 --------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("variant", list(VARIANT_FOLDERS))
def test_motion_to_video_runs_every_variant(models, pack, variant):
    (ref,) = call(pack, "TTMLoadVideoModel", model=VARIANT_FOLDERS[variant], device="cpu", precision="fp32")
    assert ref.variant == variant
    image, objects = scene()
    trajectory = MaskTrajectory.still(objects, 5)
    (frames,) = call(pack, "TTMMotionToVideo", video_model=ref, image=image, trajectory=trajectory, prompts=plan(),
                     width=64, height=32, steps=2, seed=3, hold_strength="ball: 1, cube: 0.5")
    assert frames.shape == (5, 32, 64, 3)
    assert ref.model is not None  # keep_loaded (default) keeps it


def test_single_files_replace_the_folder_weights(models, pack):
    from ttm_core.testing.models_tree import SINGLE_TRANSFORMER_NAME, SINGLE_VAE_NAME

    (plain,) = call(pack, "TTMLoadVideoModel", model=VARIANT_FOLDERS["wan22_ti2v_5b"], device="cpu", precision="fp32")
    folder_state = {k: v.clone() for k, v in plain.model.pipe.transformer.state_dict().items()}
    (ref,) = call(pack, "TTMLoadVideoModel", model=VARIANT_FOLDERS["wan22_ti2v_5b"], device="cpu", precision="fp32",
                  transformer_file=SINGLE_TRANSFORMER_NAME, vae_file=SINGLE_VAE_NAME)
    assert plain.model is None  # loading another model freed the first one
    state = ref.model.pipe.transformer.state_dict()
    assert all(torch.equal(state[k], v) for k, v in folder_state.items())


def test_keep_loaded_off_frees_the_model_and_reloads_it(models, pack):
    (ref,) = call(pack, "TTMLoadVideoModel", model=VARIANT_FOLDERS["wan22_ti2v_5b"], device="cpu",
                  precision="fp32", keep_loaded=False)
    image, objects = scene()
    args = dict(video_model=ref, image=image, trajectory=MaskTrajectory.still(objects, 5), prompts=plan(),
                width=64, height=32, steps=1, anchoring=False)
    (first,) = call(pack, "TTMMotionToVideo", **args)
    assert ref.model is None
    (second,) = call(pack, "TTMMotionToVideo", **args)  # ComfyUI reuses the cached loader output
    assert torch.equal(first, second)


def test_motion_to_video_reports_progress_and_stops_on_interrupt(models, pack, monkeypatch):
    bridge = sys.modules[pack.__name__ + ".nodes.comfy_bridge"]
    calls = []
    monkeypatch.setattr(bridge, "progress_callback", lambda total=1: (lambda done, tot: calls.append((done, tot))))
    (ref,) = call(pack, "TTMLoadVideoModel", model=VARIANT_FOLDERS["wan22_ti2v_5b"], device="cpu", precision="fp32")
    image, objects = scene()
    args = dict(video_model=ref, image=image, trajectory=MaskTrajectory.still(objects, 5), prompts=plan(),
                width=64, height=32, steps=3)
    call(pack, "TTMMotionToVideo", **args)
    assert [d for d, _ in calls][-3:] == [1, 2, 3] and calls[-1][1] == 3

    class Stop(Exception):
        pass

    def interrupt():
        raise Stop()

    monkeypatch.setattr(bridge, "interrupt_callback", lambda: interrupt)
    with pytest.raises((Stop, TTMInterrupted)):
        call(pack, "TTMMotionToVideo", **args)


def test_stage2_errors_name_node_inputs(models, pack):
    (ref,) = call(pack, "TTMLoadVideoModel", model=VARIANT_FOLDERS["wan22_ti2v_5b"], device="cpu", precision="fp32")
    image, objects = scene()
    args = dict(video_model=ref, image=image, trajectory=MaskTrajectory.still(objects, 5), prompts=plan(), steps=1)
    with pytest.raises(TTMInputError, match="^num_frames: "):
        call(pack, "TTMMotionToVideo", width=64, height=32, num_frames=6, **args)
    with pytest.raises(TTMInputError, match="^hold_strength: "):
        call(pack, "TTMMotionToVideo", width=64, height=32, hold_strength="ball: strong", **args)
