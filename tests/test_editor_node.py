"""The motion editor without a browser: the API twin's state JSON alone reproduces the trajectory
(and the video part runs on the tiny Wan), and bad states get named errors while the server keeps
serving. Also the node class called directly, with upstream objects.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch

from comfy_harness import error_messages, load_api_workflow, tiny_overrides, tiny_prompt
from ttm_core.errors import TTMInputError

WORKFLOW = "ttm_editor_to_video"
FRAMES = 5


def _prompt() -> dict:
    overrides = tiny_overrides()
    overrides["TTMMotionEditor"] = {"num_frames": FRAMES}
    return tiny_prompt(load_api_workflow(WORKFLOW), overrides)


def _editor(prompt: dict) -> str:
    return next(k for k, v in prompt.items() if v["class_type"] == "TTMMotionEditor")


def _saved(server, entry: dict, prompt: dict):
    from ttm_core.types import MaskTrajectory

    node = next(k for k, v in prompt.items() if v["class_type"] == "TTMSaveTrajectory")
    return MaskTrajectory.load(server.output_dir / entry["outputs"][node]["text"][0])


@pytest.mark.server
@pytest.mark.slow
def test_api_twin_reproduces_the_trajectory_and_runs_the_video(comfy_server, tiny_models_dir):
    from PIL import Image

    from ttm_core.motion.editor_state import editor_trajectory, parse_editor_state, sam2_prompts
    from ttm_core.segment import load_sam2, segment_image
    from ttm_core.testing.models_tree import SAM2_FILE_NAME, SAM2_IMAGE_SIZE

    prompt = _prompt()
    entry = comfy_server.run(prompt)
    assert entry["status"]["status_str"] == "success", (entry["status"], comfy_server.log_tail())
    traj = _saved(comfy_server, entry, prompt)
    state_text = prompt[_editor(prompt)]["inputs"]["editor_state"]
    state = parse_editor_state(state_text)
    assert traj.num_frames == FRAMES and traj.names == state.names
    # every object's centroid ends on its last handle (the paths start on the click, not the centroid)
    for k, obj in enumerate(state.objects):
        np.testing.assert_allclose(traj.anchors[-1, k].numpy(), obj.path[-1], atol=1e-3)

    # the same state in plain Python, segmented by the same SAM2 file, gives the same label video
    image = torch.from_numpy(np.array(Image.open(comfy_server.input_dir / "ttm_example.png").convert("RGB"))).float() / 255
    sam2 = load_sam2(tiny_models_dir / "sam2" / SAM2_FILE_NAME, device="cpu", image_size=SAM2_IMAGE_SIZE)
    objects = segment_image(sam2, image, sam2_prompts(state), mode="prompts", on_empty="error")
    ours = editor_trajectory(state_text, objects, FRAMES)
    assert torch.equal(ours.labels, traj.labels)

    video_node = next(k for k, v in prompt.items() if v["class_type"] == "SaveAnimatedWEBP"
                      and v["inputs"]["filename_prefix"] == "ttm/video")
    assert len(entry["outputs"][video_node]["images"]) == 1


@pytest.mark.server
@pytest.mark.slow
def test_bad_editor_states_are_named_and_the_server_keeps_serving(comfy_server):
    prompt = _prompt()
    editor = _editor(prompt)

    broken = copy.deepcopy(prompt)
    broken[editor]["inputs"]["editor_state"] = '{"version": 1, "objects": [{"name": "ball", "path": [[1, 2], [3, 4]],}]}'
    status, answer = comfy_server.post_prompt(broken)
    assert status == 400 and editor in answer["node_errors"], answer
    assert "editor_state: is not valid JSON" in json.dumps(answer["node_errors"][editor])

    state = json.loads(prompt[editor]["inputs"]["editor_state"])
    outside = copy.deepcopy(prompt)
    bad = copy.deepcopy(state)
    bad["objects"][1]["points"] = [[5000, 10]]
    outside[editor]["inputs"]["editor_state"] = json.dumps(bad)
    entry = comfy_server.run(outside)
    (error,) = error_messages(entry)
    assert error["node_id"] == editor
    assert error["exception_message"].startswith("editor_state.objects[1].points: point (5000, 10) of 'cube' lies outside")

    # objects from upstream (TTM Segment Objects), and the state moves an object that is not there
    upstream = copy.deepcopy(prompt)
    upstream["30"] = {"class_type": "TTMSegmentObjects", "inputs": {
        "sam2": ["2", 0], "image": ["1", 0], "mode": "prompts", "object_names": "ball, cube",
        "positive_points": '[{"x": 233, "y": 326}, {"x": 599, "y": 317}]', "negative_points": "", "boxes": "",
        "max_objects": 4, "min_area": 256, "on_empty": "fallback", "auto_points_per_side": 32,
        "auto_iou_threshold": 0.8, "auto_stability_threshold": 0.95}}
    upstream[editor]["inputs"]["objects"] = ["30", 0]
    bad = copy.deepcopy(state)
    bad["objects"][0]["name"] = "dog"
    upstream[editor]["inputs"]["editor_state"] = json.dumps(bad)
    entry = comfy_server.run(upstream)
    (error,) = error_messages(entry)
    assert error["exception_message"].startswith("editor_state.objects: names ['dog'], which are not among the objects ['ball', 'cube']")

    assert comfy_server.alive()
    assert comfy_server.run(prompt)["status"]["status_str"] == "success"


def test_node_with_upstream_objects_outputs_trajectory_points_and_paths(pack):
    from ttm_core.cli.scene import example_scene
    from ttm_core.motion.measure import label_stats

    scene = example_scene()
    node = pack.NODE_CLASS_MAPPINGS["TTMMotionEditor"]()
    state = {"version": 1, "objects": [{"name": "cube", "points": [[599, 317]], "negative": [[10, 10]],
                                        "path": [[599, 317], [700, 150]], "end": 0.5}]}
    out = node.edit(scene.image[None], json.dumps(state), 9, 16.0, "error", objects=scene.objects)
    traj, objects, positive, negative, names, paths = out["result"]
    cents = label_stats(traj.labels, 2)[1].numpy()
    np.testing.assert_allclose(cents[4, 1], [700, 150], atol=0.5)  # end time 0.5 = frame 4 of 9
    np.testing.assert_allclose(cents[8, 1], [700, 150], atol=0.5)
    np.testing.assert_allclose(cents[:, 0], np.repeat(cents[:1, 0], 9, 0))  # the ball has no path
    assert objects is scene.objects
    assert json.loads(positive) == [[{"x": 599, "y": 317}]] and json.loads(negative) == [[{"x": 10, "y": 10}]]
    assert names == "cube"
    assert [len(p) for p in json.loads(paths)] == [0, 9]
    assert out["ui"]["ttm_editor"][0]["names"] == ["ball", "cube"]

    with pytest.raises(TTMInputError, match="^objects: neither objects nor sam2"):
        node.edit(scene.image[None], json.dumps(state), 9, 16.0, "error")
    assert "editor_state: is not valid JSON" in node.VALIDATE_INPUTS("{")
    assert node.VALIDATE_INPUTS(json.dumps(state)) is True
