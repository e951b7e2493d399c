"""The native workflows inside the real current ComfyUI (v0.3.64+), driven over HTTP.

Reuses the session's ``comfy_server`` (kinds ``current`` and ``env``: the early-2024 server has
no native Wan). Each shipped native API workflow runs on tiny files after the substitutions
listed in ``native_workflows`` (file names, the two fixture loaders, tiny sizes) and writes its
frames. Also: the core-node table the builder writes from equals the server's own
``/object_info``, the template browser lists only UI workflows, and the example image is in the
input folder without a copy.
"""

from __future__ import annotations

import json
import urllib.request

import numpy as np
import pytest
from PIL import Image, ImageSequence

from comfy_harness import PACK_DIR_NAME, ROOT, TINY_FRAMES, TINY_VIDEO, load_api_workflow, load_ui_workflow, native_server_kind_names
from native_workflows import (
    CORE_NODES, NATIVE_WORKFLOW_NAMES, SUBSTITUTES, tiny_native_prompt, write_tiny_image, write_tiny_native_files,
)

pytestmark = [pytest.mark.server, pytest.mark.slow,
              pytest.mark.parametrize("comfy_server", native_server_kind_names(), indirect=True)]
UI_WORKFLOWS = sorted(p.stem for p in (ROOT / "workflows").glob("*.json"))


@pytest.fixture()
def native_server(comfy_server):
    """The session server with the tiny native files and the tiny example image in place."""
    write_tiny_native_files(comfy_server.models_dir, comfy_server.kind.python)
    write_tiny_image(comfy_server.input_dir)
    return comfy_server


def _webp_frames(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.stack([np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)])


def test_core_node_table_matches_the_servers_definitions(comfy_server):
    info = comfy_server.get("/object_info")
    for node_type, table in CORE_NODES.items():
        real = info[node_type]["input"]
        for section in ("required", "optional"):
            ours, theirs = table["input"].get(section, {}), real.get(section, {})
            assert list(ours) == list(theirs), (node_type, section)  # names and widget order
            for name, decl in ours.items():
                spec = theirs[name]
                if isinstance(decl[0], list):  # combo: our values (when listed) are real options
                    options = spec[1]["options"] if spec[0] == "COMBO" else spec[0]
                    assert set(decl[0]) <= set(options) or not decl[0] or node_type == "LoadImage", (node_type, name)
                else:  # same kind, same default / range / step / flags (tooltips aside)
                    assert decl[0] == spec[0], (node_type, name)
                    real_options = {k: v for k, v in (spec[1] if len(spec) > 1 else {}).items() if k != "tooltip"}
                    assert (decl[1] if len(decl) > 1 else {}) == real_options, (node_type, name)
        outputs = list(zip(info[node_type]["output_name"], info[node_type]["output"]))
        assert [kind for _, kind in table["output"]] == [kind for _, kind in outputs], node_type
        assert [name for name, _ in table["output"]] == [name for name, _ in outputs], node_type


def test_template_browser_lists_every_ui_workflow_and_no_api_twin(comfy_server):
    listed = comfy_server.get("/workflow_templates")
    assert sorted(listed[PACK_DIR_NAME]) == UI_WORKFLOWS
    for name in UI_WORKFLOWS:  # what the frontend fetches when a template is picked
        url = f"{comfy_server.url}/api/workflow_templates/{PACK_DIR_NAME}/{name}.json"
        with urllib.request.urlopen(url, timeout=30) as resp:
            assert json.loads(resp.read()) == load_ui_workflow(name)


def test_example_image_reaches_the_input_folder_without_a_copy(comfy_server):
    assert comfy_server.example_image_copied is False
    shipped = (ROOT / "workflows" / "ttm_example.png").read_bytes()
    assert (comfy_server.input_dir / "ttm_example.png").read_bytes() == shipped
    choices = comfy_server.get("/object_info/LoadImage")["LoadImage"]["input"]["required"]["image"]
    assert "ttm_example.png" in (choices[1]["options"] if choices[0] == "COMBO" else choices[0])


def test_fixture_loaders_take_the_core_loaders_inputs(comfy_server):
    info = comfy_server.get("/object_info")
    for core, fixture in SUBSTITUTES.items():
        for section in ("required", "optional"):
            assert list(info[core]["input"].get(section, {})) == list(info[fixture]["input"].get(section, {}))
        assert info[core]["output"] == info[fixture]["output"]


@pytest.mark.parametrize("name", NATIVE_WORKFLOW_NAMES)
def test_native_workflow_runs_on_tiny_models(native_server, name):
    shipped = load_api_workflow(name)
    prompt = tiny_native_prompt(shipped)
    changed = {k for k, v in prompt.items() if v["class_type"] != shipped[k]["class_type"]}
    assert {shipped[k]["class_type"] for k in changed} <= set(SUBSTITUTES)  # only the two loaders
    entry = native_server.run(prompt, timeout=600)
    assert entry["status"]["status_str"] == "success", (entry["status"], native_server.log_tail())
    save = next(k for k, v in prompt.items()
                if v["class_type"] == "SaveAnimatedWEBP" and v["inputs"]["filename_prefix"] == "ttm/video")
    (image,) = entry["outputs"][save]["images"]
    video = _webp_frames(native_server.output_file(image))
    assert video.shape == (TINY_FRAMES, TINY_VIDEO[1], TINY_VIDEO[0], 3)
    assert video.std() > 0
