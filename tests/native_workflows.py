"""Shipped native workflows on tiny models: what a test server substitutes, in one place.

A native API workflow runs on the tiny files of ``fixture_nodes/tiny_files.py`` after three
explicit substitutions (nothing else changes):

1. model file names: each Comfy-Org file the workflow names -> the tiny file of the same role;
2. node classes: ``VAELoader`` / ``CLIPLoader`` -> the fixture loaders (same inputs; see
   ``fixture_nodes/__init__.py`` for the one config each substitutes);
3. sizes: the stage-1 values of ``comfy_harness.tiny_overrides`` (tiny SAM2 / LLM, 5 frames),
   the example image shrunk to 64x32 (``TINY_IMAGE``, clicks and paths scaled with it, since the
   latent must have the trajectory's size), a 64x32 video of 5 frames and 2 steps (A14B: 4 steps
   split 2 + 2, as shipped).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from comfy_harness import ROOT, TINY_FRAMES, TINY_VIDEO, tiny_overrides

from fixture_nodes import SUBSTITUTES, tiny_files

sys.path.insert(0, str(ROOT / "workflows"))  # the builder's graph modules
from ttm_wf_nodes import CORE_NODES, MODEL_FILES  # noqa: E402
import ttm_wf_native  # noqa: E402

sys.path.remove(str(ROOT / "workflows"))

NATIVE_WORKFLOW_NAMES = tuple(ttm_wf_native.WORKFLOWS)
TINY_FILE_OF = {  # shipped file (role) -> tiny file of the same role
    MODEL_FILES["ti2v_5b"]["name"]: tiny_files.FILES["ti2v_5b"],
    MODEL_FILES["i2v_a14b_high"]["name"]: tiny_files.FILES["a14b_high"],
    MODEL_FILES["i2v_a14b_low"]["name"]: tiny_files.FILES["a14b_low"],
    MODEL_FILES["lightx2v_high"]["name"]: tiny_files.FILES["lora"],
    MODEL_FILES["lightx2v_low"]["name"]: tiny_files.FILES["lora"],
    MODEL_FILES["vae22"]["name"]: tiny_files.FILES["vae22"],
    MODEL_FILES["vae21"]["name"]: tiny_files.FILES["vae21"],
    MODEL_FILES["umt5"]["name"]: tiny_files.FILES["umt5"],
}
FILE_INPUTS = ("unet_name", "vae_name", "clip_name", "lora_name")
TINY_IMAGE = "ttm_example_tiny.png"
POINT_INPUTS = {"TTMSegmentObjects": "positive_points", "TTMMotionFromPaths": "paths"}
SIZE_NODES = ("Wan22ImageToVideoLatent", "WanImageToVideo")


def write_tiny_native_files(models_dir: Path, comfy_python: str = sys.executable) -> None:
    """The tiny native files in ``models_dir`` (own process: it imports ``comfy``)."""
    if all((models_dir / rel).is_file() for rel in tiny_files.FILES.values()):
        return
    subprocess.run([comfy_python, str(Path(tiny_files.__file__)), str(models_dir)], cwd=ROOT, check=True,
                   capture_output=True, timeout=600)


def write_tiny_image(input_dir: Path) -> Path:
    """The example image shrunk to the tiny video size, next to the original."""
    from PIL import Image

    with Image.open(ROOT / "workflows" / "ttm_example.png") as im:
        target = input_dir / TINY_IMAGE
        im.convert("RGB").resize(TINY_VIDEO, Image.BILINEAR).save(target)
    return target


def _scaled_points(text: str, sx: float, sy: float) -> str:
    def scale(item):
        if isinstance(item, list):
            return [scale(i) for i in item]
        return {**item, "x": round(item["x"] * sx), "y": round(item["y"] * sy)}

    return json.dumps(scale(json.loads(text)))


def tiny_native_overrides() -> dict[str, dict]:
    """Widget values (node type -> values) for a tiny native run, file names and points aside."""
    out = tiny_overrides()
    size = {"width": TINY_VIDEO[0], "height": TINY_VIDEO[1], "length": TINY_FRAMES}
    out.update({kind: size for kind in SIZE_NODES})
    out["LoadImage"] = {"image": TINY_IMAGE}
    return out


def tiny_native_prompt(prompt: dict) -> dict:
    """A copy of a native API prompt that runs on the tiny files (the substitutions above)."""
    out = json.loads(json.dumps(prompt))
    overrides = tiny_native_overrides()
    for node in out.values():
        inputs = node["inputs"]
        for name in FILE_INPUTS:
            if name in inputs:
                inputs[name] = Path(TINY_FILE_OF[inputs[name]]).name
        for name, value in overrides.get(node["class_type"], {}).items():
            if name in inputs:
                inputs[name] = value
        if node["class_type"] in POINT_INPUTS:  # the shipped points are on the 832x480 example image
            name = POINT_INPUTS[node["class_type"]]
            inputs[name] = _scaled_points(inputs[name], TINY_VIDEO[0] / 832, TINY_VIDEO[1] / 480)
        if node["class_type"] in ("KSamplerAdvanced", "TTMAnchorStartStep") and inputs["steps"] > 4:
            inputs["steps"] = 2
        node["class_type"] = SUBSTITUTES.get(node["class_type"], node["class_type"])
    return out
