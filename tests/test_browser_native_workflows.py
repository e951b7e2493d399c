"""The native workflows in the current frontend (comfyui-frontend-package 1.27.x), in headless
Chromium: each loads with no missing node types and keeps its widget values, the frontend offers
every Comfy-Org file it names for download, its own ``graphToPrompt()`` equals the shipped API
twin (which ``test_server_native`` runs on tiny files), and the template browser opens every entry it lists for the pack.
"""

from __future__ import annotations

import pytest

from comfy_browser import strip_meta
from comfy_harness import PACK_DIR_NAME, ROOT, load_api_workflow, load_ui_workflow, native_server_kind_names
from native_workflows import NATIVE_WORKFLOW_NAMES
from test_browser import chromium, frontend  # noqa: F401  (module fixtures, reused)

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow,
              pytest.mark.parametrize("comfy_server", native_server_kind_names(), indirect=True)]

UI_WORKFLOWS = sorted(p.stem for p in (ROOT / "workflows").glob("*.json"))  # what the template browser lists
TEMPLATE_JS = """async ([module, name]) => {
    const listed = await (await fetch("/api/workflow_templates")).json();
    const workflow = await (await fetch(`/api/workflow_templates/${module}/${name}.json`)).json();
    await window.app.loadGraphData(workflow, true, true, name);
    const nodes = window.app.graph._nodes || window.app.graph.nodes;
    return {listed: listed[module] || [], types: nodes.map(n => n.type)};
}"""


def _dialog_lists(frontend, models, timeout_ms: int = 30_000) -> bool:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        for directory, file_name in sorted(models):
            frontend.page.get_by_text(f"{directory} / {file_name}").first.wait_for(timeout=timeout_ms)
    except PlaywrightTimeoutError:
        return False
    return True


@pytest.mark.parametrize("name", NATIVE_WORKFLOW_NAMES)
def test_native_workflow_loads_offers_its_files_and_prompts_as_its_api_twin(frontend, comfy_server, name):  # noqa: F811
    ui = load_ui_workflow(name)
    frontend.messages.clear()
    loaded = frontend.load(ui)
    assert loaded["missing"] == [], "missing node types in the current frontend"
    assert sorted(loaded["types"]) == sorted(n["type"] for n in ui["nodes"])
    for node in ui["nodes"]:
        values = list(loaded["widgets"][str(node["id"])].values())
        assert values[: len(node["widgets_values"])] == node["widgets_values"], node["type"]

    models = {(m["directory"], m["name"]) for n in ui["nodes"] for m in n["properties"].get("models", [])}
    assert {d for d, _ in models} >= {"diffusion_models", "vae", "text_encoders"}
    # the missing-models dialog lists each with a download; the frontend can drop a dialog that
    # opens while the previous test's one is closing, so a second load gets one more chance
    if not _dialog_lists(frontend, models):
        frontend.page.keyboard.press("Escape")
        frontend.load(ui)
        assert _dialog_lists(frontend, models), "the missing-models dialog did not list the workflow's files"
    frontend.page.keyboard.press("Escape")

    object_info = comfy_server.get("/object_info")
    assert strip_meta(frontend.graph_to_prompt(), object_info) == load_api_workflow(name)
    errors = [m for m in frontend.messages if m.startswith("pageerror")]
    assert errors == [], errors


@pytest.mark.parametrize("name", UI_WORKFLOWS)
def test_template_browser_entry_opens_the_workflow(frontend, comfy_server, name):  # noqa: F811
    """What the template browser does for a custom-node entry (native and diffusers ones): list,
    fetch, load as a graph, which prompts as the API twin the server tests run."""
    result = frontend.page.evaluate(TEMPLATE_JS, [PACK_DIR_NAME, name])
    assert name in result["listed"] and not any(n.endswith(".api") for n in result["listed"])
    assert sorted(result["types"]) == sorted(n["type"] for n in load_ui_workflow(name)["nodes"])
    frontend.page.keyboard.press("Escape")  # the missing-models dialog
    object_info = comfy_server.get("/object_info")
    assert strip_meta(frontend.graph_to_prompt(), object_info) == load_api_workflow(name)
