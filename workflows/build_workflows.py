"""Build the shipped workflows (UI format + API-format twin) from the node definitions.

    python workflows/build_workflows.py          # rewrite workflows/*.json
    python workflows/build_workflows.py --check  # exit 1 if the files are out of date

Widget order and defaults come from each node's ``INPUT_TYPES`` (so the UI files always match
the nodes), only the values below that differ from the defaults are spelled out. The real
judge is the browser test: the frontend must load the UI file with no missing nodes and its
own ``graphToPrompt()`` must equal the API twin. The example image is generated too.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE_IMAGE = "ttm_example.png"
WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN"}

# core ComfyUI nodes used by the workflows (identical in early-2024 and current ComfyUI)
CORE_NODES = {
    "LoadImage": {
        "input": {"required": {"image": ([EXAMPLE_IMAGE], {"image_upload": True})}},
        "output": [("IMAGE", "IMAGE"), ("MASK", "MASK")],
    },
    "SaveAnimatedWEBP": {
        "input": {"required": {
            "images": ("IMAGE",),
            "filename_prefix": ("STRING", {"default": "ComfyUI"}),
            "fps": ("FLOAT", {"default": 6.0, "min": 0.01, "max": 1000.0, "step": 0.01}),
            "lossless": ("BOOLEAN", {"default": True}),
            "quality": ("INT", {"default": 80, "min": 0, "max": 100}),
            "method": (["default", "fastest", "slowest"],),
        }},
        "output": [],
    },
}

# real weights the current frontend offers to download when missing (name must be the widget value)
SAM2_MODEL = "sam2.1_hiera_base_plus.safetensors"
SAM2_DOWNLOAD = {
    "name": SAM2_MODEL,
    "url": "https://huggingface.co/Kijai/sam2-safetensors/resolve/main/sam2.1_hiera_base_plus.safetensors",
    "directory": "sam2",
}
VIDEO_MODEL = "Wan2.2-TI2V-5B-Diffusers"  # huggingface-cli download Wan-AI/Wan2.2-TI2V-5B-Diffusers

PROMPT = "A red ball rolls to the right while a blue cube slides to the left on a sunny meadow."
CLICKS = '[{"x": 233, "y": 326}, {"x": 599, "y": 317}]'
PATHS = json.dumps([
    [{"x": 233, "y": 326}, {"x": 380, "y": 300}, {"x": 520, "y": 330}],
    [{"x": 599, "y": 317}, {"x": 470, "y": 345}, {"x": 330, "y": 330}],
])


@dataclass
class Node:
    id: int
    type: str
    pos: tuple[int, int]
    widgets: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)  # input name -> (source node id, output name)
    models: list = field(default_factory=list)
    title: str | None = None


def _segment_nodes(x: int = 0) -> list[Node]:
    return [
        Node(1, "LoadImage", (x, 0), {"image": EXAMPLE_IMAGE}),
        Node(2, "TTMLoadSAM2", (x, 420), {"sam2_model": SAM2_MODEL}, models=[SAM2_DOWNLOAD]),
        Node(3, "TTMSegmentObjects", (x + 380, 0), {"object_names": "ball, cube", "positive_points": CLICKS},
             {"sam2": (2, "sam2"), "image": (1, "IMAGE")}),
    ]


def _video_nodes(prompts_id: int, trajectory_id: int, x: int) -> list[Node]:
    return [
        Node(20, "TTMLoadVideoModel", (x, 560), {"model": VIDEO_MODEL}),
        Node(21, "TTMMotionToVideo", (x + 380, 380), {"width": 832, "height": 480},
             {"video_model": (20, "video_model"), "image": (1, "IMAGE"), "trajectory": (trajectory_id, "trajectory"),
              "prompts": (prompts_id, "prompts")}),
        Node(22, "SaveAnimatedWEBP", (x + 780, 380), {"filename_prefix": "ttm/video", "fps": 16.0, "quality": 90},
             {"images": (21, "frames")}),
    ]


def _preview_nodes(trajectory_id: int, x: int) -> list[Node]:
    return [
        Node(10, "TTMVisualizeTrajectory", (x, 0), {}, {"trajectory": (trajectory_id, "trajectory"), "background": (1, "IMAGE")}),
        Node(11, "SaveAnimatedWEBP", (x + 380, 0), {"filename_prefix": "ttm/motion", "fps": 16.0, "quality": 90},
             {"images": (10, "frames")}),
    ]


def workflow_prompt_to_video() -> list[Node]:
    """(1) image -> SAM2 -> LLM decomposition -> plan motion -> preview -> Wan video."""
    return _segment_nodes() + [
        Node(4, "TTMLoadLLM", (380, 420), {}),
        Node(5, "TTMDecomposePrompt", (760, 0), {"prompt": PROMPT}, {"objects": (3, "objects"), "llm": (4, "llm")}),
        Node(6, "TTMMotionFromPlan", (1140, 0), {}, {"objects": (3, "objects"), "prompts": (5, "prompts")}),
    ] + _preview_nodes(6, 1520) + _video_nodes(5, 6, 1140)


def workflow_paths_to_video() -> list[Node]:
    """(2) the same with drawn paths (KJNodes SplineEditor / track JSON) instead of the LLM."""
    return _segment_nodes() + [
        Node(5, "TTMDecomposePrompt", (760, 0), {"prompt": PROMPT}, {"objects": (3, "objects")}),
        Node(6, "TTMMotionFromPaths", (760, 420), {"paths": PATHS}, {"objects": (3, "objects")}),
    ] + _preview_nodes(6, 1520) + _video_nodes(5, 6, 1140)


def workflow_motion_preview() -> list[Node]:
    """(3) motion only, no video model: seconds, not minutes."""
    return _segment_nodes() + [
        Node(5, "TTMDecomposePrompt", (760, 0), {"prompt": PROMPT}, {"objects": (3, "objects")}),
        Node(6, "TTMMotionFromPlan", (1140, 0), {}, {"objects": (3, "objects"), "prompts": (5, "prompts")}),
        Node(7, "TTMSaveTrajectory", (1140, 300), {}, {"trajectory": (6, "trajectory")}),
    ] + _preview_nodes(6, 1520)


EDITOR_STATE = json.dumps({"version": 1, "objects": [
    {"name": "ball", "points": [[233, 326]], "negative": [], "path": [[233, 326], [380, 290], [520, 330]],
     "start": 0.0, "end": 1.0, "easing": "ease_in_out", "end_scale": 1.0, "rotation": 0.0, "z": 1},
    {"name": "cube", "points": [[599, 317]], "negative": [], "path": [[599, 317], [330, 330]],
     "start": 0.2, "end": 0.9, "easing": "linear", "end_scale": 0.8, "rotation": 0.0, "z": 0},
]})


def workflow_editor_to_video() -> list[Node]:
    """(4) image -> motion editor (clicks segmented by SAM2, drawn paths) -> preview -> Wan video."""
    return [
        Node(1, "LoadImage", (0, 0), {"image": EXAMPLE_IMAGE}),
        Node(2, "TTMLoadSAM2", (0, 420), {"sam2_model": SAM2_MODEL}, models=[SAM2_DOWNLOAD]),
        Node(3, "TTMMotionEditor", (380, 0), {"editor_state": EDITOR_STATE}, {"image": (1, "IMAGE"), "sam2": (2, "sam2")}),
        Node(5, "TTMDecomposePrompt", (1140, 0), {"prompt": PROMPT}, {"objects": (3, "objects")}),
        Node(7, "TTMSaveTrajectory", (1140, 300), {}, {"trajectory": (3, "trajectory")}),
    ] + _preview_nodes(3, 1520) + _video_nodes(5, 3, 1140)


WORKFLOWS = {
    "ttm_prompt_to_video": workflow_prompt_to_video,
    "ttm_paths_to_video": workflow_paths_to_video,
    "ttm_motion_preview": workflow_motion_preview,
    "ttm_editor_to_video": workflow_editor_to_video,
}


# ---- node definitions ------------------------------------------------------------------------
def load_pack(name: str = "ttm_workflow_builder"):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "__init__.py", submodule_search_locations=[str(ROOT)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def definitions(pack=None) -> dict:
    """``{type: {"input": INPUT_TYPES, "output": [(name, type)]}}`` for our nodes and the core ones."""
    pack = pack or load_pack()
    out = dict(CORE_NODES)
    for node_id, cls in pack.NODE_CLASS_MAPPINGS.items():
        names = getattr(cls, "RETURN_NAMES", None) or cls.RETURN_TYPES
        out[node_id] = {"input": cls.INPUT_TYPES(), "output": list(zip(names, cls.RETURN_TYPES))}
    return out


def _is_widget(decl) -> bool:
    kind = decl[0]
    opts = decl[1] if len(decl) > 1 else {}
    return isinstance(kind, list) or (kind in WIDGET_TYPES and not opts.get("forceInput"))


def _ordered_inputs(definition: dict):
    for section in ("required", "optional"):
        for name, decl in definition["input"].get(section, {}).items():
            yield section, name, decl


def _widget_default(decl):
    kind, opts = decl[0], (decl[1] if len(decl) > 1 else {})
    if "default" in opts:
        return opts["default"]
    if isinstance(kind, list):
        return kind[0] if kind else ""
    return {"INT": 0, "FLOAT": 0.0, "STRING": "", "BOOLEAN": False}[kind]


def _has_seed_control(name: str, decl) -> bool:
    opts = decl[1] if len(decl) > 1 else {}
    return decl[0] == "INT" and (name in ("seed", "noise_seed") or bool(opts.get("control_after_generate")))


# ---- builders ----------------------------------------------------------------------------------
def _check(nodes: list[Node], defs: dict) -> None:
    ids = {n.id for n in nodes}
    assert len(ids) == len(nodes), "duplicate node ids"
    for n in nodes:
        d = defs[n.type]
        declared = {name: decl for _, name, decl in _ordered_inputs(d)}
        for name in n.widgets:
            assert name in declared and _is_widget(declared[name]), f"{n.type} has no widget {name}"
        for name, (src, out_name) in n.links.items():
            assert name in declared and not _is_widget(declared[name]), f"{n.type} has no socket {name}"
            assert src in ids, f"{n.type}.{name} links to missing node {src}"
            source = next(m for m in nodes if m.id == src)
            outs = [o[0] for o in defs[source.type]["output"]]
            assert out_name in outs, f"{source.type} has no output {out_name}"
        for section, name, decl in _ordered_inputs(d):
            if section == "required" and not _is_widget(decl):
                assert name in n.links, f"{n.type}.{name} is not connected"


def _order(nodes: list[Node]) -> dict[int, int]:
    """Topological execution order (what LiteGraph stores as ``order``)."""
    done: list[int] = []
    pending = {n.id: {src for src, _ in n.links.values()} for n in nodes}
    while pending:
        ready = sorted(i for i, deps in pending.items() if deps <= set(done))
        assert ready, "the workflow has a cycle"
        done += ready
        for i in ready:
            del pending[i]
    return {i: k for k, i in enumerate(done)}


def ui_workflow(nodes: list[Node], defs: dict) -> dict:
    _check(nodes, defs)
    order = _order(nodes)
    links, link_id = [], 0
    out_links: dict[tuple[int, int], list[int]] = {}
    in_links: dict[tuple[int, str], int] = {}
    for n in sorted(nodes, key=lambda m: m.id):
        for name, (src, out_name) in n.links.items():
            link_id += 1
            source = next(m for m in nodes if m.id == src)
            slot = [o[0] for o in defs[source.type]["output"]].index(out_name)
            kind = defs[source.type]["output"][slot][1]
            socket_slot = [nm for _, nm, decl in _ordered_inputs(defs[n.type]) if not _is_widget(decl)].index(name)
            links.append([link_id, src, slot, n.id, socket_slot, kind])
            out_links.setdefault((src, slot), []).append(link_id)
            in_links[(n.id, name)] = link_id
    ui_nodes = []
    for n in sorted(nodes, key=lambda m: m.id):
        d = defs[n.type]
        inputs, widgets = [], []
        for _, name, decl in _ordered_inputs(d):
            if _is_widget(decl):
                widgets.append(n.widgets.get(name, _widget_default(decl)))
                if _has_seed_control(name, decl):
                    widgets.append("fixed")
                if isinstance(decl[0], list) and (decl[1] if len(decl) > 1 else {}).get("image_upload"):
                    widgets.append("image")
            else:
                inputs.append({"name": name, "type": decl[0], "link": in_links.get((n.id, name))})
        outputs = [
            {"name": name, "type": kind, "links": out_links.get((n.id, slot), []), "slot_index": slot}
            for slot, (name, kind) in enumerate(d["output"])
        ]
        rows = sum(4 if _is_multiline(decl) else 1 for _, _, decl in _ordered_inputs(d) if _is_widget(decl))
        rows += sum(1 for _, name, decl in _ordered_inputs(d) if _has_seed_control(name, decl))
        height = 40 + 24 * (rows + max(len(inputs), len(outputs))) + (260 if n.type == "LoadImage" else 0)
        node = {
            "id": n.id, "type": n.type, "pos": list(n.pos), "size": [340, height], "flags": {},
            "order": order[n.id], "mode": 0, "inputs": inputs, "outputs": outputs,
            "properties": {"Node name for S&R": n.type}, "widgets_values": widgets,
        }
        if n.models:
            node["properties"]["models"] = n.models
        if n.title:
            node["title"] = n.title
        ui_nodes.append(node)
    _stack_columns(ui_nodes)
    return {
        "last_node_id": max(n.id for n in nodes), "last_link_id": link_id, "nodes": ui_nodes, "links": links,
        "groups": [], "config": {}, "extra": {"ds": {"scale": 0.8, "offset": [60, 90]}}, "version": 0.4,
    }


def _is_multiline(decl) -> bool:
    return decl[0] == "STRING" and bool((decl[1] if len(decl) > 1 else {}).get("multiline"))


def _stack_columns(ui_nodes: list[dict], gap: int = 50) -> None:
    """Nodes sharing a column (x) are stacked top to bottom with room for their widgets."""
    columns: dict[int, list[dict]] = {}
    for node in ui_nodes:
        columns.setdefault(node["pos"][0], []).append(node)
    for column in columns.values():
        column.sort(key=lambda nd: nd["pos"][1])
        y = column[0]["pos"][1]
        for node in column:
            node["pos"][1] = max(node["pos"][1], y)
            y = node["pos"][1] + node["size"][1] + gap


def api_prompt(nodes: list[Node], defs: dict) -> dict:
    """The prompt ``/prompt`` takes: widget values inline, links as ``[node id, output slot]``."""
    _check(nodes, defs)
    prompt = {}
    for n in sorted(nodes, key=lambda m: m.id):
        d = defs[n.type]
        inputs = {}
        for _, name, decl in _ordered_inputs(d):
            if _is_widget(decl):
                inputs[name] = n.widgets.get(name, _widget_default(decl))
            elif name in n.links:
                src, out_name = n.links[name]
                source = next(m for m in nodes if m.id == src)
                inputs[name] = [str(src), [o[0] for o in defs[source.type]["output"]].index(out_name)]
        prompt[str(n.id)] = {"class_type": n.type, "inputs": inputs}
    return prompt


def build_all(pack=None) -> dict[str, str]:
    """File name -> text of every generated workflow file."""
    defs = definitions(pack)
    files = {}
    for name, make in WORKFLOWS.items():
        nodes = make()
        files[f"{name}.json"] = json.dumps(ui_workflow(nodes, defs), indent=2) + "\n"
        files[f"{name}.api.json"] = json.dumps(api_prompt(nodes, defs), indent=2) + "\n"
    return files


def write_example_image(path: Path) -> None:
    import numpy as np
    from PIL import Image

    scene = importlib.import_module(load_pack().__name__ + ".ttm_core.cli.scene").example_scene()
    Image.fromarray((scene.image.numpy() * 255.0).round().astype(np.uint8)).save(path, optimize=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = parser.parse_args(argv)
    stale = []
    for name, text in build_all().items():
        path = HERE / name
        if path.exists() and path.read_text() == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text)
    if not args.check and not (HERE / EXAMPLE_IMAGE).exists():
        write_example_image(HERE / EXAMPLE_IMAGE)
    if stale:
        print(("out of date: " if args.check else "wrote: ") + ", ".join(stale))
    return 1 if (stale and args.check) else 0


if __name__ == "__main__":
    raise SystemExit(main())
