"""The shipped UI workflows in the real frontend of each real server, in headless Chromium.

Each workflow must load with no missing node types, keep every widget value, and the frontend's
own ``graphToPrompt()`` must equal the shipped API twin. After switching the model widgets to
the tiny models (as a user would), the frontend's prompt must be accepted by the server and run.
"""

from __future__ import annotations

import uuid

import pytest

from comfy_browser import Frontend, launch_chromium, strip_meta
from comfy_harness import WORKFLOW_NAMES, load_api_workflow, load_ui_workflow, tiny_overrides, tiny_prompt

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]


@pytest.fixture(scope="module")
def chromium():
    yield from launch_chromium()


@pytest.fixture(scope="module")
def frontend(chromium, comfy_server):
    page = Frontend(chromium, comfy_server)
    yield page
    page.close()


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_workflow_loads_and_the_frontend_prompt_runs(frontend, comfy_server, name):
    ui = load_ui_workflow(name)
    frontend.messages.clear()  # start-up noise of the frontend itself is not ours
    loaded = frontend.load(ui)
    assert loaded["missing"] == [], f"missing node types in the {comfy_server.kind.name} frontend"
    assert sorted(loaded["types"]) == sorted(n["type"] for n in ui["nodes"])
    for node in ui["nodes"]:  # every widget kept the value the file gives it
        values = list(loaded["widgets"][str(node["id"])].values())
        assert values[: len(node["widgets_values"])] == node["widgets_values"], node["type"]

    if not frontend.is_legacy():  # the current frontend offers the real SAM2 weights for download
        sam2 = next(m for n in ui["nodes"] for m in n["properties"].get("models", []))
        frontend.page.get_by_text(f"{sam2['directory']} / {sam2['name']}").first.wait_for(timeout=30_000)
        frontend.page.keyboard.press("Escape")

    object_info = comfy_server.get("/object_info")
    assert strip_meta(frontend.graph_to_prompt(), object_info) == load_api_workflow(name)

    # switch to the tiny models as a user would; a prompt text of its own makes the server run
    # the plan again (not from its cache), so the page receives the node's text
    api = load_api_workflow(name)
    overrides = tiny_overrides()
    text = next(v["inputs"]["prompt"] for v in api.values() if v["class_type"] == "TTMDecomposePrompt")
    overrides["TTMDecomposePrompt"] = {"prompt": f"{text} Seen in the browser ({uuid.uuid4().hex[:8]})."}
    assert frontend.set_widgets(overrides) == []
    prompt = strip_meta(frontend.graph_to_prompt(), object_info)
    assert prompt == tiny_prompt(api, overrides)
    status, answer = comfy_server.post_prompt(prompt, client_id=frontend.client_id())
    assert status == 200 and not answer.get("node_errors"), answer
    entry = comfy_server.wait(answer["prompt_id"])
    assert entry["status"]["status_str"] == "success", entry["status"]
    # the pack's web extension shows the plan on the decomposition node
    decompose = next(n["id"] for n in ui["nodes"] if n["type"] == "TTMDecomposePrompt")
    text = frontend.wait_for_widget_text(decompose, "ttm_preview")
    assert text.startswith("global: ") and "ball" in text
    errors = [m for m in frontend.messages if m.startswith("pageerror")]
    assert errors == [], errors
