"""Drive the real ComfyUI frontend (legacy ``web/`` or ``comfyui-frontend-package``) in headless
Chromium with Playwright: load a UI workflow, read the frontend's own ``graphToPrompt()``."""

from __future__ import annotations

import os
import shutil

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def launch_chromium():
    """Yield one headless Chromium for a module-scoped ``chromium`` fixture (each test module keeps
    its own browser: a browser shared across modules made the frontend's dialogs flaky); skips
    when Chromium or Playwright is missing."""
    import pytest

    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium found (/usr/bin/chromium): install it to run the browser tests")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


READY_JS = """() => !!(window.app && window.app.graph && window.LiteGraph
    && Object.keys(window.LiteGraph.registered_node_types || {}).length > 20)"""

LOAD_JS = """async (workflow) => {
    const registered = window.LiteGraph.registered_node_types;
    const missing = workflow.nodes.map(n => n.type).filter(t => !(t in registered));
    await window.app.loadGraphData(workflow);
    const nodes = window.app.graph._nodes || window.app.graph.nodes;
    const widgets = {};
    for (const n of nodes) {
        widgets[n.id] = Object.fromEntries((n.widgets || []).map(w => [w.name, w.value]));
    }
    return {missing, types: nodes.map(n => n.type), widgets};
}"""

PROMPT_JS = """async () => (await window.app.graphToPrompt()).output"""

SET_WIDGETS_JS = """(overrides) => {
    const nodes = window.app.graph._nodes || window.app.graph.nodes;
    const unknown = [];
    for (const n of nodes) {
        for (const [name, value] of Object.entries(overrides[n.type] || {})) {
            const w = (n.widgets || []).find(w => w.name === name);
            if (!w) { unknown.push(n.type + "." + name); continue; }
            w.value = value;
            if (w.callback) w.callback(value);
        }
    }
    return unknown;
}"""


CLIENT_ID_JS = """async () => {
    const { api } = await import("/scripts/api.js");
    return api.clientId || api.initialClientId || sessionStorage.getItem("clientId");
}"""

WIDGET_TEXT_JS = """([id, name]) => {
    const node = window.app.graph.getNodeById(id);
    const widget = node && (node.widgets || []).find(w => w.name === name);
    return widget && widget.value ? widget.value : null;
}"""


class Frontend:
    """One page of the frontend served by ``server``."""

    def __init__(self, browser, server, timeout_ms: int = 120_000) -> None:
        self.context = browser.new_context(viewport={"width": 1600, "height": 1000})
        self.page = self.context.new_page()
        self.messages: list[str] = []
        self.page.on("console", lambda m: self.messages.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.messages.append(f"pageerror: {e}"))
        self.page.on("dialog", lambda d: (self.messages.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.goto(server.url, wait_until="domcontentloaded", timeout=timeout_ms)
        self.page.wait_for_function(READY_JS, timeout=timeout_ms)

    def load(self, workflow: dict) -> dict:
        return self.page.evaluate(LOAD_JS, workflow)

    def graph_to_prompt(self) -> dict:
        return self.page.evaluate(PROMPT_JS)

    def set_widgets(self, overrides: dict) -> list[str]:
        return self.page.evaluate(SET_WIDGETS_JS, overrides)

    def client_id(self) -> str:
        """The id the page's websocket listens on (events of prompts posted with it reach the page)."""
        return self.page.evaluate(CLIENT_ID_JS)

    def wait_for_widget_text(self, node_id: int, name: str, timeout_ms: int = 30_000) -> str:
        handle = self.page.wait_for_function(WIDGET_TEXT_JS, arg=[node_id, name], timeout=timeout_ms)
        return handle.json_value()

    def is_legacy(self) -> bool:
        """The early-2024 frontend (``web/`` of the server) has no ``window.comfyAPI``."""
        return not self.page.evaluate("() => !!window.comfyAPI")

    def close(self) -> None:
        self.context.close()


def strip_meta(prompt: dict, object_info: dict | None = None) -> dict:
    """Keep what the server reads: class type and, given ``/object_info``, only declared inputs.

    The newer frontend adds ``_meta`` titles; the legacy one also sends LoadImage's ``upload``
    button value. The server ignores both.
    """
    out = {}
    for key, node in prompt.items():
        inputs = node["inputs"]
        if object_info is not None and node["class_type"] in object_info:
            spec = object_info[node["class_type"]]["input"]
            declared = set(spec.get("required", {})) | set(spec.get("optional", {}))
            inputs = {k: v for k, v in inputs.items() if k in declared}
        out[key] = {"class_type": node["class_type"], "inputs": inputs}
    return out
