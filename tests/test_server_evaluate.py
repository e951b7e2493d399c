"""TTM Evaluate Video in a real ComfyUI server and its real frontend (each server kind):
generate two candidate videos -> Batch Images -> evaluate -> keep the best, on tiny models."""

from __future__ import annotations

import io
import re
import urllib.parse
import urllib.request
import uuid

import numpy as np
import pytest
from PIL import Image

from comfy_harness import TINY_FRAMES, TINY_VIDEO, load_api_workflow, tiny_prompt

pytestmark = [pytest.mark.server, pytest.mark.slow]

EVAL = "32"


def evaluate_prompt(margin: int = 8) -> dict:
    """The shipped paths-to-video workflow, a second seed, both videos batched and evaluated."""
    prompt = tiny_prompt(load_api_workflow("ttm_paths_to_video"))
    video = next(k for k, v in prompt.items() if v["class_type"] == "TTMMotionToVideo")
    traj = next(k for k, v in prompt.items() if v["class_type"] == "TTMMotionFromPaths")
    sam2 = next(k for k, v in prompt.items() if v["class_type"] == "TTMLoadSAM2")
    second = {"class_type": "TTMMotionToVideo", "inputs": dict(prompt[video]["inputs"])}
    second["inputs"]["seed"] = int(prompt[video]["inputs"]["seed"]) + 1
    prompt.update({
        "30": second,
        "31": {"class_type": "ImageBatch", "inputs": {"image1": [video, 0], "image2": ["30", 0]}},
        EVAL: {"class_type": "TTMEvaluateVideo", "inputs": {
            "frames": ["31", 0], "trajectory": [traj, 0], "sam2": [sam2, 0], "candidates": 0, "rank_by": "miou",
            "flow": "dis", "background_margin": margin}},
        "33": {"class_type": "SaveImage", "inputs": {"images": [EVAL, 0], "filename_prefix": "ttm/eval_best"}},
        "34": {"class_type": "SaveImage", "inputs": {"images": ["31", 0], "filename_prefix": "ttm/eval_all"}},
    })
    return prompt


def _frames(server, entry, node) -> np.ndarray:
    return np.stack([np.asarray(Image.open(server.output_file(i)).convert("RGB")) for i in entry["outputs"][node]["images"]])


def view(server, item: dict) -> bytes:
    query = urllib.parse.urlencode({k: item.get(k, "") for k in ("filename", "subfolder", "type")})
    with urllib.request.urlopen(f"{server.url}/view?{query}", timeout=30) as resp:
        return resp.read()


def candidate_mious(text: str) -> list[float]:
    """Per-candidate mIoU from the ranking table the node shows ('-' = undefined, ranks last)."""
    rows = re.findall(r"^(\d+)( \*)?\s+(\S+)", text.split("\n\ncandidate")[0], flags=re.M)
    return [float(m) if m != "-" else -1.0 for _, _, m in rows]


def test_generate_then_evaluate_keeps_the_best_candidate(comfy_server):
    entry = comfy_server.run(evaluate_prompt())
    assert entry["status"]["status_str"] == "success", (entry["status"], comfy_server.log_tail())
    shown = entry["outputs"][EVAL]
    text = shown["text"][0]
    best = int(re.match(r"best: candidate (\d+) by miou", text).group(1))
    mious = candidate_mious(text)
    assert len(mious) == 2 and best == max(range(2), key=lambda i: (mious[i], -i)), text
    everything = _frames(comfy_server, entry, "34")
    assert everything.shape == (2 * TINY_FRAMES, TINY_VIDEO[1], TINY_VIDEO[0], 3)
    kept = _frames(comfy_server, entry, "33")
    assert np.array_equal(kept, everything[best * TINY_FRAMES:(best + 1) * TINY_FRAMES])
    (plot,) = shown["images"]
    assert plot["type"] == "temp"
    with Image.open(io.BytesIO(view(comfy_server, plot))) as im:  # what the frontend shows on the node
        assert im.size == (640, 320) and np.asarray(im.convert("L")).std() > 5


@pytest.fixture(scope="module")
def chromium():
    from comfy_browser import launch_chromium

    yield from launch_chromium()


# the current frontend files the graph under a workflow name (without one it throws in openWorkflow)
LOAD_API_JS = """async (prompt) => { await window.app.loadApiJson(prompt, "ttm_evaluate_best_of_2.json"); }"""

PLOT_ON_NODE_JS = """(id) => {
    const node = window.app.graph.getNodeById(id);
    if (!node) return null;
    window.app.canvas.centerOnNode?.(node);          // only visible nodes draw (and load) their images
    window.app.graph.setDirtyCanvas(true, true);
    const img = (node.imgs || [])[0];
    return img && img.complete && img.naturalWidth > 0 ? [img.naturalWidth, img.naturalHeight, img.src] : null;
}"""


@pytest.mark.browser
def test_plot_appears_on_the_node_in_the_frontend(chromium, comfy_server):
    from comfy_browser import Frontend, strip_meta

    page = Frontend(chromium, comfy_server)
    try:
        # another margin than the server test's, so the evaluation runs again for this page
        prompt = evaluate_prompt(margin=int(uuid.uuid4().int % 50) + 10)
        page.page.wait_for_timeout(2000)
        page.messages.clear()  # start-up noise of the frontend itself is not ours
        page.page.evaluate(LOAD_API_JS, prompt)
        sent = strip_meta(page.graph_to_prompt(), comfy_server.get("/object_info"))
        assert sent[EVAL]["inputs"] == prompt[EVAL]["inputs"]
        status, answer = comfy_server.post_prompt(sent, client_id=page.client_id())
        assert status == 200 and not answer.get("node_errors"), answer
        entry = comfy_server.wait(answer["prompt_id"])
        assert entry["status"]["status_str"] == "success", entry["status"]
        handle = page.page.wait_for_function(PLOT_ON_NODE_JS, arg=int(EVAL), timeout=60_000, polling=500)
        width, height, src = handle.json_value()
        assert (width, height) == (640, 320) and "ttm_evaluate" in src
        text = page.wait_for_widget_text(int(EVAL), "ttm_preview")  # the score table, shown by the pack's web extension
        assert text.startswith("best: candidate ") and "mIoU" in text
        errors = [m for m in page.messages if m.startswith("pageerror")]
        assert errors == [], errors
    finally:
        page.close()
