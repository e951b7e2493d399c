"""The shipped workflow files: generated from the node definitions, consistent with each other."""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT
from comfy_harness import load_api_workflow, load_ui_workflow

# what ComfyUI's template browser lists for the pack: every workflows/*.json (not sub-folders)
ALL_WORKFLOWS = sorted(p.stem for p in (ROOT / "workflows").glob("*.json"))



@pytest.fixture(scope="module")
def builder(pack):
    spec = importlib.util.spec_from_file_location("ttm_build_workflows", ROOT / "workflows" / "build_workflows.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_files_are_up_to_date(builder, pack):
    for name, text in builder.build_all(pack).items():
        assert (ROOT / "workflows" / name).read_text() == text, f"{name} is stale: run python workflows/build_workflows.py"


def test_template_browser_lists_only_generated_ui_workflows(builder):
    assert ALL_WORKFLOWS == sorted(builder.WORKFLOWS)  # no API twin or stray file shows up as a template
    assert sorted(p.stem for p in (ROOT / "workflows" / builder.API_DIR).glob("*.json")) == ALL_WORKFLOWS
    for name in ALL_WORKFLOWS:
        assert "nodes" in load_ui_workflow(name) and "nodes" not in load_api_workflow(name)


@pytest.mark.parametrize("name", ALL_WORKFLOWS)
def test_ui_and_api_twins_agree(builder, pack, name):
    ui, api = load_ui_workflow(name), load_api_workflow(name)
    assert {str(n["id"]): n["type"] for n in ui["nodes"]} == {k: v["class_type"] for k, v in api.items()}
    assert all(set(node) == {"class_type", "inputs"} for node in api.values())
    for node in api.values():
        assert node["class_type"] in builder.definitions(pack)
    links = {link[0]: link for link in ui["links"]}
    for node in ui["nodes"]:  # every link is recorded on both ends, with matching types
        for slot, inp in enumerate(node["inputs"]):
            if inp["link"] is not None:
                _, src, src_slot, dst, dst_slot, kind = links[inp["link"]]
                assert (dst, dst_slot, kind) == (node["id"], slot, inp["type"])
                src_node = next(n for n in ui["nodes"] if n["id"] == src)
                assert inp["link"] in src_node["outputs"][src_slot]["links"]
                assert api[str(node["id"])]["inputs"][inp["name"]] == [str(src), src_slot]


def test_loaders_offer_real_weight_downloads(builder):
    for name in builder.WORKFLOWS:
        for node in load_ui_workflow(name)["nodes"]:
            for model in node["properties"].get("models", []):
                assert set(model) == {"name", "url", "directory"}
                assert model["name"] in node["widgets_values"]  # the frontend matches on the widget value
                assert model["url"].startswith("https://huggingface.co/") and model["url"].endswith(model["name"])
    sam2 = [n for n in load_ui_workflow("ttm_motion_preview")["nodes"] if n["type"] == "TTMLoadSAM2"]
    assert sam2[0]["properties"]["models"][0]["directory"] == "sam2"


def test_example_image_is_the_generated_scene(builder):
    from ttm_core.cli.scene import example_scene

    shipped = np.asarray(Image.open(ROOT / "workflows" / builder.EXAMPLE_IMAGE).convert("RGB"))
    scene = (example_scene().image.numpy() * 255.0).round().astype(np.uint8)
    assert np.array_equal(shipped, scene)
    clicks = json.loads(builder.CLICKS)
    labels = example_scene().objects.labels
    assert [int(labels[int(c["y"]), int(c["x"])]) for c in clicks] == [1, 2]  # each click hits its object
