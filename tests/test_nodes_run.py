"""Every node runs on tiny models without ComfyUI and returns what it declares.

The nodes are called the way ComfyUI's executor calls them (keyword arguments named after the
inputs, defaults from ``INPUT_TYPES``), with the models tree written by ``tiny-models``.
"""

from __future__ import annotations

import json
import sys

import pytest
import torch

from ttm_core.errors import TTMInputError, TTMInterrupted
from ttm_core.types import MaskTrajectory, ObjectSet, PromptPlan

W, H = 96, 64  # image size: a multiple of 32 for every Wan layout


@pytest.fixture(scope="module")
def models(tiny_models_dir, pack):
    mp = pytest.MonkeyPatch()
    mp.setenv("TTM_MODELS_DIR", str(tiny_models_dir))
    yield tiny_models_dir
    mp.undo()


@pytest.fixture
def io_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("TTM_INPUT_DIR", str(tmp_path / "input"))
    monkeypatch.setenv("TTM_OUTPUT_DIR", str(tmp_path / "output"))
    return tmp_path


def node(pack, name):
    return pack.NODE_CLASS_MAPPINGS[name]


def defaults(cls) -> dict:
    """Widget defaults, as the frontend would send them (first choice of a combo)."""
    out = {}
    for section in ("required", "optional"):
        for name, (kind, opts) in cls.INPUT_TYPES().get(section, {}).items():
            if isinstance(kind, list):
                out[name] = opts.get("default", kind[0] if kind else None)
            elif "default" in opts:
                out[name] = opts["default"]
    return out


def call(pack, name, **inputs):
    """Run a node like ComfyUI does and check every output against RETURN_TYPES."""
    cls = node(pack, name)
    kwargs = {**defaults(cls), **inputs}
    result = getattr(cls(), cls.FUNCTION)(**kwargs)
    values = result["result"] if isinstance(result, dict) else result
    assert isinstance(values, tuple) and len(values) == len(cls.RETURN_TYPES)
    for kind, value in zip(cls.RETURN_TYPES, values):
        check_type(pack, kind, value)
    return values if not isinstance(result, dict) else (values, result.get("ui", {}))


def check_type(pack, kind, value):
    if kind == "IMAGE":
        assert value.ndim == 4 and value.shape[-1] == 3 and value.dtype == torch.float32
        assert float(value.min()) >= 0.0 and float(value.max()) <= 1.0 and torch.isfinite(value).all()
    elif kind == "MASK":
        assert value.ndim == 3 and value.dtype == torch.float32
        assert float(value.min()) >= 0.0 and float(value.max()) <= 1.0
    elif kind == "STRING":
        assert isinstance(value, str)
    elif kind == "INT":
        assert isinstance(value, int)
    elif kind == "TTM_OBJECTS":
        assert isinstance(value, ObjectSet)
    elif kind == "TTM_PROMPTS":
        assert isinstance(value, PromptPlan)
    elif kind == "TTM_TRAJECTORY":
        assert isinstance(value, MaskTrajectory)
    elif kind == "TTM_VIDEO_MODEL":
        assert type(value).__name__ == "VideoModelRef" and value.model is not None
    elif kind == "TTM_SAM2":
        from ttm_core.segment import Sam2Handle

        assert isinstance(value, Sam2Handle)
    elif kind == "TTM_LLM":
        assert value is None or type(value).__name__.endswith("Backend")
    else:  # pragma: no cover
        raise AssertionError(f"unknown type {kind}")


def scene():
    """Two boxes on a gradient, as IMAGE, with their objects."""
    image = torch.linspace(0, 1, W).view(1, 1, W, 1).expand(1, H, W, 3).clone()
    labels = torch.zeros(H, W, dtype=torch.long)
    labels[20:40, 10:30] = 1
    labels[25:45, 60:80] = 2
    image[0][labels == 1] = torch.tensor([0.9, 0.1, 0.1])
    image[0][labels == 2] = torch.tensor([0.1, 0.2, 0.9])
    return image, ObjectSet(labels, ["ball", "cube"])


def plan(**moves) -> PromptPlan:
    return PromptPlan(
        "a ball and a cube on a table", "the ball moves right",
        {"ball": "a red ball rolling", "cube": "a blue cube"},
        {"ball": [{"t": 0.0}, {"t": 1.0, "dx": 0.3}], **moves},
    )


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
VARIANT_FOLDERS = {
    "wan21_i2v": "tiny-random-Wan2.1-I2V-Diffusers",
    "wan22_ti2v_5b": "tiny-random-Wan2.2-TI2V-5B-Diffusers",
    "wan22_i2v_a14b": "tiny-random-Wan2.2-I2V-A14B-Diffusers",
}


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


# ---- segmentation ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sam2(models, pack):
    from ttm_core.testing.models_tree import SAM2_FILE_NAME, SAM2_IMAGE_SIZE

    (handle,) = call(pack, "TTMLoadSAM2", sam2_model=SAM2_FILE_NAME, device="cpu", image_size=SAM2_IMAGE_SIZE)
    return handle


def test_segment_objects_from_clicks_and_boxes(pack, sam2):
    image, _ = scene()
    (objects, masks, preview), ui = call(
        pack, "TTMSegmentObjects", sam2=sam2, image=image, object_names="ball, cube",
        positive_points='[{"x": 20, "y": 30}, {"x": 70, "y": 35}]', boxes="[[10, 20, 30, 40], [60, 25, 80, 45]]",
        on_empty="fallback",
    )
    assert objects.names == ["ball", "cube"] and (objects.height, objects.width) == (H, W)
    assert masks.shape == (2, H, W) and (masks.sum(0) <= 1).all()  # one object per pixel
    assert preview.shape == (1, H, W, 3)
    assert ui == {"images": []}  # no ComfyUI, no preview files


def test_segment_one_list_of_clicks_per_object_and_auto_mode(pack, sam2):
    image, _ = scene()
    (objects, masks, _), _ = call(
        pack, "TTMSegmentObjects", sam2=sam2, image=image,
        positive_points="[[[20, 30], [25, 35]], [[70, 35]]]", negative_points="[[5, 5]]", on_empty="fallback",
    )
    assert objects.names == ["object_1", "object_2"]
    (auto, _, _), _ = call(pack, "TTMSegmentObjects", sam2=sam2, image=image, mode="auto", min_area=0, max_objects=3,
                           auto_points_per_side=4, auto_iou_threshold=0.0, auto_stability_threshold=0.0)
    assert 1 <= auto.num_objects <= 3


@pytest.mark.parametrize(
    "inputs, name",
    [
        ({"positive_points": '[{"x": 500, "y": 10}]'}, "positive_points"),
        ({"positive_points": "[[1, 2"}, "positive_points"),
        ({"positive_points": "", "boxes": ""}, "positive_points"),
        ({"positive_points": "[[10, 10], [20, 20]]", "object_names": "a, b, c"}, "object_names"),
        ({"positive_points": "[[10, 10], [20, 20]]", "boxes": "[[0, 0, 5, 5]]"}, "boxes"),
    ],
)
def test_segment_errors_name_the_widget(pack, sam2, inputs, name):
    image, _ = scene()
    with pytest.raises(TTMInputError) as info:
        call(pack, "TTMSegmentObjects", sam2=sam2, image=image, **inputs)
    assert str(info.value).startswith(f"{name}: ") and "Fix:" in str(info.value)


def test_objects_from_masks_and_back(pack):
    _, objects = scene()
    masks = objects.masks().float()
    (rebuilt, out_masks) = call(pack, "TTMObjectsFromMasks", masks=masks[:1], more_masks=masks[1:], object_names="ball, cube")
    assert torch.equal(rebuilt.labels, objects.labels) and rebuilt.names == ["ball", "cube"]
    (back, label_image, names) = call(pack, "TTMObjectsToMasks", objects=rebuilt)
    assert torch.equal(back, masks) and names == "ball, cube" and label_image.shape == (1, H, W, 3)
    with pytest.raises(TTMInputError, match="^more_masks: "):
        call(pack, "TTMObjectsFromMasks", masks=masks, more_masks=torch.zeros(1, 8, 8), object_names="")


# ---- stage 1 ------------------------------------------------------------------------------------
def test_motion_from_plan_moves_the_objects(pack):
    _, objects = scene()
    (traj,) = call(pack, "TTMMotionFromPlan", objects=objects, prompts=plan(), num_frames=9, fps=12.0)
    assert traj.num_frames == 9 and traj.fps == 12.0 and torch.equal(traj.labels[0].long(), objects.labels)
    c = traj.centroids()
    assert c[-1, 0, 0] - c[0, 0, 0] == pytest.approx(0.3 * W, abs=1.0)  # the ball went right
    assert torch.allclose(c[-1, 1], c[0, 1])  # the cube stayed


def test_motion_from_paths_and_scale(pack):
    _, objects = scene()
    paths = json.dumps([[{"x": 20, "y": 30}, {"x": 40, "y": 30}], []])
    (traj,) = call(pack, "TTMMotionFromPaths", objects=objects, paths=paths, num_frames=5, scale="ball: 1.5")
    c = traj.centroids()
    assert c[-1, 0, 0] - c[0, 0, 0] == pytest.approx(20, abs=1.0)
    assert traj.areas()[-1, 0] > 1.8 * traj.areas()[0, 0]
    with pytest.raises(TTMInputError, match="^paths"):
        call(pack, "TTMMotionFromPaths", objects=objects, paths="[[{'x': 1}]]", num_frames=5)
    with pytest.raises(TTMInputError, match="^paths: is empty"):
        call(pack, "TTMMotionFromPaths", objects=objects, paths=" ", num_frames=5)


def test_trajectory_masks_round_trip_through_masks_mode(pack):
    _, objects = scene()
    (traj,) = call(pack, "TTMMotionFromPlan", objects=objects, prompts=plan(), num_frames=5)
    masks, frames, count = call(pack, "TTMTrajectoryToMasks", trajectory=traj)
    assert masks.shape == (2 * 5, H, W) and (frames, count) == (5, 2)
    (again,) = call(pack, "TTMMotionFromMasks", objects=objects, masks=masks, num_frames=5)
    assert torch.equal(again.labels, traj.labels)
    ball, _, one = call(pack, "TTMTrajectoryToMasks", trajectory=traj, object_name="ball")
    assert ball.shape == (5, H, W) and one == 1
    with pytest.raises(TTMInputError, match="^object_name: "):
        call(pack, "TTMTrajectoryToMasks", trajectory=traj, object_name="dog")
    with pytest.raises(TTMInputError, match="^masks: "):
        call(pack, "TTMMotionFromMasks", objects=objects, masks=masks[:3], num_frames=5)


def test_trajectory_to_tracks_json(pack):
    _, objects = scene()
    (traj,) = call(pack, "TTMMotionFromPlan", objects=objects, prompts=plan(), num_frames=5)
    (tracks,) = call(pack, "TTMTrajectoryToTracks", trajectory=traj, samples=121)
    data = json.loads(tracks)
    assert len(data) == 2 and all(len(t) == 121 for t in data) and set(data[0][0]) == {"x", "y"}
    (norm,) = call(pack, "TTMTrajectoryToTracks", trajectory=traj, coordinates="normalized")
    assert all(0 <= p["x"] <= 1 for p in json.loads(norm)[1])


@pytest.mark.slow
def test_motion_from_draft_tracks_objects_with_sam2(models, pack, sam2):
    image, objects = scene()
    (ref,) = call(pack, "TTMLoadVideoModel", model=VARIANT_FOLDERS["wan22_ti2v_5b"], device="cpu", precision="fp32")
    traj, scores = call(pack, "TTMMotionFromDraft", objects=objects, image=image, prompts=plan(), video_model=ref,
                        sam2=sam2, num_frames=5, candidates=2, steps=1, draft_long_side=64, seed=1)
    assert traj.num_frames == 5 and (traj.height, traj.width) == (H, W)
    assert torch.equal(traj.labels[0].long(), objects.labels)
    assert json.loads(scores) == traj.scores


# ---- visualisation and files ----------------------------------------------------------------------
def test_visualize_trajectory(pack):
    image, objects = scene()
    (traj,) = call(pack, "TTMMotionFromPlan", objects=objects, prompts=plan(), num_frames=5)
    (frames, summary), ui = call(pack, "TTMVisualizeTrajectory", trajectory=traj, background=image)
    assert frames.shape == (5, H, W, 3) and summary.shape == (1, H, W, 3)
    assert not torch.equal(frames[0], frames[-1])
    (masks_video, _), _ = call(pack, "TTMVisualizeTrajectory", trajectory=traj, style="masks")
    colours = {tuple(c) for c in (masks_video[0] * 255).round().long().view(-1, 3).tolist()}
    assert (0, 0, 0) in colours and len(colours) >= 3  # background + one colour per object (+ outlines)


def test_save_and_load_trajectory(pack, io_dirs):
    _, objects = scene()
    (traj,) = call(pack, "TTMMotionFromPlan", objects=objects, prompts=plan(), num_frames=5)
    (first,), ui = call(pack, "TTMSaveTrajectory", trajectory=traj, filename_prefix="runs/plan")
    (second,), _ = call(pack, "TTMSaveTrajectory", trajectory=traj, filename_prefix="runs/plan")
    assert (first, second) == ("runs/plan_00001.safetensors", "runs/plan_00002.safetensors") and ui["text"] == [first]
    listed = node(pack, "TTMLoadTrajectory").INPUT_TYPES()["required"]["file"][0]
    assert listed == [f"{first} [output]", f"{second} [output]"]
    (loaded,) = call(pack, "TTMLoadTrajectory", file=listed[0])
    assert torch.equal(loaded.labels, traj.labels) and loaded.names == traj.names
    with pytest.raises(TTMInputError, match="^filename_prefix: "):
        call(pack, "TTMSaveTrajectory", trajectory=traj, filename_prefix="../../escape")
    with pytest.raises(TTMInputError, match="^file: "):
        call(pack, "TTMLoadTrajectory", file="missing.safetensors")


# ---- prompts ------------------------------------------------------------------------------------------
GOOD_PLAN = {
    "global_prompt": "A red ball and a blue cube on a table.",
    "motion_prompt": "The ball rolls to the right.",
    "local_prompts": {"ball": "a red ball rolling", "cube": "a blue cube"},
    "keyframes": {"ball": [{"t": 0}, {"t": 1, "dx": 0.25}]},
}


def test_decompose_with_rules_and_the_manual_override(pack):
    _, objects = scene()
    (plan, text), ui = call(pack, "TTMDecomposePrompt", objects=objects,
                            prompt="the ball rolls to the right while the cube stays")
    assert set(plan.local_prompts) <= {"ball", "cube"} and plan.keyframes["ball"][-1]["dx"] > 0
    assert json.loads(text) == plan.to_dict()
    assert ui["text"][0].startswith("global: ") and "ball moves: dx=+" in ui["text"][0]
    (manual, _), _ = call(pack, "TTMDecomposePrompt", objects=objects, prompt="", manual_plan=json.dumps(GOOD_PLAN))
    assert manual.local_prompts == GOOD_PLAN["local_prompts"]
    with pytest.raises(TTMInputError, match="^manual_plan: "):
        call(pack, "TTMDecomposePrompt", objects=objects, prompt="", manual_plan='{"global_prompt": "x", "local_prompts": {"dog": "a"}}')
    with pytest.raises(TTMInputError, match="^prompt: "):
        call(pack, "TTMDecomposePrompt", objects=objects, prompt="  ")


def test_decompose_with_an_openai_compatible_endpoint(pack):
    from comfy_harness import FakeChatServer

    _, objects = scene()
    server = FakeChatServer(json.dumps(GOOD_PLAN))
    try:
        (llm,) = call(pack, "TTMLoadLLM", backend="openai_compatible", base_url=server.url, model="tiny-chat")
        (plan, _), ui = call(pack, "TTMDecomposePrompt", objects=objects, prompt="the ball rolls right", llm=llm)
    finally:
        server.close()
    assert plan.local_prompts == GOOD_PLAN["local_prompts"] and plan.keyframes["ball"][-1]["dx"] == 0.25
    assert server.requests[0]["path"] == "/v1/chat/completions" and server.requests[0]["body"]["model"] == "tiny-chat"
    assert "tiny-chat" in ui["text"][0]  # the note says who decomposed it


def test_decompose_with_a_local_llm_falls_back_and_says_so(models, pack):
    from ttm_core.testing.models_tree import LLM_FOLDER_NAME

    _, objects = scene()
    assert node(pack, "TTMLoadLLM").INPUT_TYPES()["required"]["local_model"][0] == ["none", LLM_FOLDER_NAME]
    (llm,) = call(pack, "TTMLoadLLM", backend="local_folder", local_model=LLM_FOLDER_NAME, device="cpu", max_tokens=16)
    (plan, _), ui = call(pack, "TTMDecomposePrompt", objects=objects, prompt="the ball rolls to the right", llm=llm)
    assert plan.keyframes["ball"][-1]["dx"] > 0  # the rule-based plan
    assert any("offline rule-based plan instead" in n for n in plan.notes) and "note: LLM" in ui["text"][0]
    assert llm.model is None  # unloaded after use
    with pytest.raises(TTMInputError, match="^llm: "):
        call(pack, "TTMDecomposePrompt", objects=objects, prompt="the ball rolls right", llm=llm, llm_fallback=False)
    with pytest.raises(TTMInputError, match="^local_model: "):
        call(pack, "TTMLoadLLM", backend="local_folder", local_model="none")
    with pytest.raises(TTMInputError, match="^base_url: "):
        call(pack, "TTMLoadLLM", backend="openai_compatible", base_url="not a url")
