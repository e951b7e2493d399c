"""The motion editor widget in a real browser on a real ComfyUI v0.3.64 (current frontend).

The shipped editor workflow is loaded into headless Chromium; the objects come from the example
scene's true masks (two core ``LoadImageMask`` nodes -> ``TTM Objects from Masks`` -> the
editor), because the tiny random SAM2 returns meaningless masks. Real mouse events click each
object and drag its path; the prompt is queued by the page; the trajectory the server saves is
read back from disk. The legacy frontend shows the plain editor_state text with a note.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from comfy_browser import Frontend, launch_chromium, strip_meta
from comfy_harness import (
    ComfyServer, ServerKind, load_api_workflow, load_ui_workflow, prepare_inputs, server_kinds, tiny_overrides,
)
from comfy_paths import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

WORKFLOW = "ttm_editor_to_video"
EDITOR = 3
FRAMES = 9
VIDEO_NODES = (20, 21, 22)  # the video part runs in the API test (test_editor_node.py)
# image pixels where each drag starts (on the object, off its centroid) and ends
DRAGS = {"ball": ((248, 336), (330, 140)), "cube": ((580, 335), (620, 200))}


@pytest.fixture(scope="module")
def chromium():
    yield from launch_chromium()


def _start(kind: ServerKind, tmp_path_factory, models) -> ComfyServer:
    from ttm_core.cli.scene import example_scene

    server = ComfyServer(kind, tmp_path_factory.mktemp(f"editor-{kind.name}"), models)
    server.input_dir.mkdir(parents=True, exist_ok=True)
    scene = example_scene()
    for k, name in enumerate(scene.objects.names, start=1):
        mask = (scene.objects.labels.numpy() == k).astype(np.uint8) * 255
        Image.fromarray(np.stack([mask] * 3, -1)).save(server.input_dir / f"ttm_{name}_mask.png")
    server.start()
    prepare_inputs(server)
    # a fresh user would see the template browser first: mark the tutorial as seen
    server._request("POST", "/settings/Comfy.TutorialCompleted", True)
    return server


def _kind(name: str) -> ServerKind:
    """The harness's server kind; skips or fails by its rule (a provisionable tree must run)."""
    kind = next(k for k in server_kinds() if k.name == name)
    if kind.fatal:
        pytest.fail(kind.skip_reason, pytrace=False)
    if kind.skip_reason:
        pytest.skip(kind.skip_reason)
    return kind


@pytest.fixture(scope="module")
def current_server(tiny_models_dir, tmp_path_factory):
    server = _start(_kind("current"), tmp_path_factory, tiny_models_dir)
    yield server
    server.stop()


ADD_MASK_OBJECTS_JS = """() => {
    const g = window.app.graph, editor = g.getNodeById(%d);
    const objects = window.LiteGraph.createNode("TTMObjectsFromMasks");
    g.add(objects);
    objects.widgets.find(w => w.name === "object_names").value = "ball, cube";
    ["ball", "cube"].forEach((name, i) => {
        const m = window.LiteGraph.createNode("LoadImageMask");
        g.add(m);
        m.widgets.find(w => w.name === "image").value = `ttm_${name}_mask.png`;
        m.widgets.find(w => w.name === "channel").value = "red";
        m.connect(0, objects, objects.findInputSlot(i ? "more_masks" : "masks"));
    });
    objects.connect(0, editor, editor.findInputSlot("objects"));
    editor.disconnectInput(editor.findInputSlot("sam2"));
    for (const id of %s) g.getNodeById(id).mode = 2;  // muted: not part of the prompt
    editor.widgets.find(w => w.name === "editor_state").value = '{"version": 1, "objects": []}';
    editor.ttmEditor.readState();
    window.app.canvas.ds.scale = 1; window.app.canvas.ds.offset = [-300, 20];
    window.app.canvas.setDirty(true, true);
}"""

RUNS_JS = "(id) => window.app.graph.getNodeById(id).ttmEditor.runs || 0"


def _queue_and_wait(page, runs: int) -> None:
    page.evaluate("() => window.app.queuePrompt(0, 1)")
    page.wait_for_function(f"() => ({RUNS_JS})({EDITOR}) >= {runs}", timeout=120_000)


def _screen(page, xy) -> tuple[int, int]:
    """Integer screen position over image pixel ``xy``, from the canvas box and the image size."""
    box = page.locator(".ttm-editor-canvas").bounding_box()
    w, h = page.evaluate("(id) => { const e = window.app.graph.getNodeById(id).ttmEditor; return [e.width, e.height]; }", EDITOR)
    return round(box["x"] + (xy[0] + 0.5) * box["width"] / w), round(box["y"] + (xy[1] + 0.5) * box["height"] / h)


def _image_xy(page, screen) -> np.ndarray:
    box = page.locator(".ttm-editor-canvas").bounding_box()
    w, h = page.evaluate("(id) => { const e = window.app.graph.getNodeById(id).ttmEditor; return [e.width, e.height]; }", EDITOR)
    return np.array([(screen[0] - box["x"]) / box["width"] * w - 0.5, (screen[1] - box["y"]) / box["height"] * h - 0.5])


def _saved_trajectory(server, since: set):
    from ttm_core.types import MaskTrajectory

    files = sorted(set(server.output_dir.rglob("*.safetensors")) - since, key=lambda p: p.stat().st_mtime)
    assert files, "the workflow saved no trajectory"
    return MaskTrajectory.load(files[-1])


def test_editor_widget_drives_the_server_trajectory(chromium, current_server, tmp_path):
    from ttm_core.cli.scene import example_scene
    from ttm_core.motion.measure import label_stats

    page_obj = Frontend(chromium, current_server)
    page = page_obj.page
    page_obj.messages.clear()  # start-up noise of the frontend itself is not ours
    try:
        loaded = page_obj.load(load_ui_workflow(WORKFLOW))
        assert loaded["missing"] == []
        page.keyboard.press("Escape")  # the missing-models dialog of the real SAM2 weights
        overrides = tiny_overrides()
        assert page_obj.set_widgets({"TTMLoadSAM2": overrides["TTMLoadSAM2"], "TTMMotionEditor": {"num_frames": FRAMES}}) == []
        page.evaluate(ADD_MASK_OBJECTS_JS % (EDITOR, json.dumps(list(VIDEO_NODES))))
        page.locator(".ttm-editor-canvas").wait_for(state="visible")
        _queue_and_wait(page, 1)  # first run: the widget receives the image and the masks

        scene = example_scene()
        ends = {}
        for name, (grab, target) in DRAGS.items():
            assert scene.objects.labels[grab[1], grab[0]] == scene.objects.index(name)
            start = _screen(page, grab)
            page.mouse.click(*start)  # selects the object under the click
            assert page.evaluate("(id) => window.app.graph.getNodeById(id).ttmEditor.selected", EDITOR) == name
            end = _screen(page, target)
            page.mouse.move(*start)
            page.mouse.down()
            page.mouse.move(*end, steps=12)
            page.mouse.up()
            ends[name] = _image_xy(page, end)
        before = set(current_server.output_dir.rglob("*.safetensors"))
        _queue_and_wait(page, 2)
        traj = _saved_trajectory(current_server, before)
        assert traj.num_frames == FRAMES and traj.names == ["ball", "cube"]
        cents = label_stats(traj.labels, traj.num_objects)[1].numpy()
        for k, name in enumerate(traj.names):
            err = np.linalg.norm(cents[-1, k] - ends[name])
            assert err <= 2.0, f"{name}: end centroid {cents[-1, k]} vs drag end {ends[name]} ({err:.2f} px)"

        # the browser's preview at three scrub times vs the server's trajectory
        for frame in (2, 5, 7):
            page.locator(".ttm-editor-scrub").fill(str(frame))
            assert page.locator(".ttm-editor-frame").inner_text().startswith(f"{frame} /")
            drawn = page.evaluate("([id, f]) => window.app.graph.getNodeById(id).ttmEditor.previewCentroids(f)", [EDITOR, frame])
            for k, name in enumerate(traj.names):
                err = np.linalg.norm(np.asarray(drawn[name]) - cents[frame, k])
                assert err <= 1.0, f"frame {frame} {name}: widget {drawn[name]} vs server {cents[frame, k]}"

        shot = ROOT / "docs" / "editor_widget.png" if os.environ.get("TTM_WRITE_DOCS") else tmp_path / "editor_widget.png"
        page.locator(".ttm-editor").screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000

        # saving and reloading the workflow keeps the edit (the state widget is all that is saved)
        state = page.evaluate("(id) => window.app.graph.getNodeById(id).widgets.find(w => w.name === 'editor_state').value", EDITOR)
        saved = page.evaluate("() => JSON.stringify(window.app.graph.serialize())")
        page.evaluate("() => window.app.graph.clear()")
        page_obj.load(json.loads(saved))
        again = page.evaluate("(id) => { const n = window.app.graph.getNodeById(id); return [n.widgets.find(w => w.name === 'editor_state').value, JSON.stringify(n.ttmEditor.state)]; }", EDITOR)
        assert again[0] == state and json.loads(again[1]) == json.loads(state)
        paths = {o["name"]: o["path"] for o in json.loads(state)["objects"]}
        assert set(paths) == {"ball", "cube"} and all(len(p) >= 2 for p in paths.values())
        prompt = page_obj.graph_to_prompt()
        assert prompt[str(EDITOR)]["inputs"]["editor_state"] == state
        errors = [m for m in page_obj.messages if m.startswith("pageerror")]
        assert errors == [], errors
    finally:
        page_obj.close()


@pytest.fixture(scope="module")
def legacy_server(tiny_models_dir, tmp_path_factory):
    server = _start(_kind("bundled"), tmp_path_factory, tiny_models_dir)
    yield server
    server.stop()


def test_legacy_frontend_falls_back_to_the_text_state_with_a_note(chromium, legacy_server):
    page_obj = Frontend(chromium, legacy_server)
    page = page_obj.page
    page_obj.messages.clear()
    try:
        assert page_obj.is_legacy()
        ui = load_ui_workflow(WORKFLOW)
        loaded = page_obj.load(ui)
        assert loaded["missing"] == []
        widgets = loaded["widgets"][str(EDITOR)]
        assert widgets["editor_state"] == next(n for n in ui["nodes"] if n["id"] == EDITOR)["widgets_values"][0]
        assert "too old for the motion editor widget" in widgets["ttm_note"]
        assert page.evaluate("(id) => !!window.app.graph.getNodeById(id).ttmEditor", EDITOR) is False
        # the note is not part of the prompt: the page sends exactly the shipped API twin
        object_info = legacy_server.get("/object_info")
        assert strip_meta(page_obj.graph_to_prompt(), object_info) == load_api_workflow(WORKFLOW)

        # edit the text state by hand, as the note says, and run the editor part from the page
        state = json.loads(widgets["editor_state"])
        state["objects"][1]["path"] = [[599, 317], [640, 200]]
        page.evaluate("(id) => { for (const v of [20, 21, 22]) window.app.graph.getNodeById(v).mode = 2; }", EDITOR)
        assert page_obj.set_widgets({"TTMLoadSAM2": tiny_overrides()["TTMLoadSAM2"],
                                     "TTMMotionEditor": {"num_frames": FRAMES, "editor_state": json.dumps(state)}}) == []
        prompt = strip_meta(page_obj.graph_to_prompt(), object_info)
        assert json.loads(prompt[str(EDITOR)]["inputs"]["editor_state"]) == state
        before = set(legacy_server.output_dir.rglob("*.safetensors"))
        status, answer = legacy_server.post_prompt(prompt, client_id=page_obj.client_id())
        assert status == 200 and not answer.get("node_errors"), answer
        entry = legacy_server.wait(answer["prompt_id"])
        assert entry["status"]["status_str"] == "success", entry["status"]
        traj = _saved_trajectory(legacy_server, before)
        np.testing.assert_allclose(traj.anchors[-1, 1].numpy(), [640, 200], atol=1e-3)
        errors = [m for m in page_obj.messages if m.startswith("pageerror")]
        assert errors == [], errors
    finally:
        page_obj.close()


def test_clicks_make_objects_and_sam2_points_without_upstream_objects(chromium, current_server):
    from ttm_core.motion.editor_state import parse_editor_state, points_strings

    page_obj = Frontend(chromium, current_server)
    page = page_obj.page
    page_obj.messages.clear()
    try:
        page_obj.load(load_ui_workflow(WORKFLOW))
        page.keyboard.press("Escape")
        # the widget adds nothing to the prompt: the page sends exactly the shipped API twin
        assert strip_meta(page_obj.graph_to_prompt(), current_server.get("/object_info")) == load_api_workflow(WORKFLOW)
        page.evaluate("""(id) => { const n = window.app.graph.getNodeById(id);
            n.widgets.find(w => w.name === 'editor_state').value = '{"version": 1, "objects": []}';
            n.ttmEditor.readState(); window.app.canvas.ds.scale = 1; window.app.canvas.ds.offset = [-300, 20];
            window.app.canvas.setDirty(true, true); }""", EDITOR)
        canvas = page.locator(".ttm-editor-canvas")
        canvas.wait_for(state="visible")
        page.wait_for_function("(id) => !!window.app.graph.getNodeById(id).ttmEditor.image", arg=EDITOR)  # Load Image's picture
        clicks = [((233, 326), None, "left"), ((250, 300), "Control", "left"), ((599, 317), None, "left"),
                  ((420, 100), "Shift", "left"), ((700, 420), None, "right")]
        at = []
        for xy, key, button in clicks:  # new object 1, its second click, new object 2, two negatives
            screen = _screen(page, xy)
            if key:
                page.keyboard.down(key)
            page.mouse.click(*screen, button=button)
            if key:
                page.keyboard.up(key)
            at.append(_image_xy(page, screen).tolist())
        text = page.evaluate("(id) => window.app.graph.getNodeById(id).widgets.find(w => w.name === 'editor_state').value", EDITOR)
        state = parse_editor_state(text)
        assert state.names == ["object_1", "object_2"]
        for got, want in ((state.objects[0].points, at[0:2]), (state.objects[0].negative, []),
                          (state.objects[1].points, at[2:3]), (state.objects[1].negative, at[3:5])):
            assert len(got) == len(want)
            np.testing.assert_allclose(np.asarray(got).reshape(-1, 2), np.asarray(want).reshape(-1, 2), atol=0.01)
        positive, negative, names = points_strings(state)
        assert json.loads(positive)[1] == [{"x": o[0], "y": o[1]} for o in state.objects[1].points]
        assert page_obj.graph_to_prompt()[str(EDITOR)]["inputs"]["editor_state"] == text
        errors = [m for m in page_obj.messages if m.startswith("pageerror")]
        assert errors == [], errors
    finally:
        page_obj.close()
