"""Trajectory files: save to ComfyUI's output folder, load from its input (or output) folder.

Files are the core's safetensors format (labels + anchors/affines + names and fps), so a
trajectory planned once can be reused, edited elsewhere or shared.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import comfy_bridge as bridge
from ._base import CATEGORY, TRAJECTORY, combo, node_inputs, socket, text
from ..ttm_core.errors import TTMInputError

SUFFIX = ".safetensors"
OUTPUT_TAG = " [output]"


def list_trajectory_files() -> list[str]:
    """Files in the input folder, then the output folder (marked like ComfyUI's annotated names)."""
    bridge.ensure_example_image()  # runs when ComfyUI lists the nodes: its input folder is final then
    names = []
    for root, tag in ((bridge.input_dir(), ""), (bridge.output_dir(), OUTPUT_TAG)):
        names += sorted(p.relative_to(root).as_posix() + tag for p in root.rglob(f"*{SUFFIX}") if p.is_file())
    return names


def resolve_trajectory_file(name: str) -> Path:
    if name.endswith(OUTPUT_TAG):
        return bridge.safe_join(bridge.output_dir(), name[: -len(OUTPUT_TAG)], "file")
    return bridge.safe_join(bridge.input_dir(), name, "file")


def next_path(folder: Path, prefix: str) -> Path:
    """``folder/<prefix>_00001.safetensors``, numbered after the files already there."""
    stem = Path(prefix).name
    pattern = re.compile(rf"^{re.escape(stem)}_(\d+){re.escape(SUFFIX)}$")
    target = bridge.safe_join(folder, str(Path(prefix).parent), "filename_prefix")
    target.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in target.iterdir() if (m := pattern.match(p.name))]
    return target / f"{stem}_{max(numbers, default=0) + 1:05d}{SUFFIX}"


class TTMSaveTrajectory:
    DESCRIPTION = "Saves the trajectory (masks, paths, names, fps) as a .safetensors file in ComfyUI's output folder."
    CATEGORY = f"{CATEGORY}/files"
    RETURN_TYPES = ("STRING",)
    RETURN_NAMES = ("path",)
    FUNCTION = "save"
    OUTPUT_NODE = True

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "trajectory": socket(TRAJECTORY, "The trajectory to save."),
                "filename_prefix": text("File name prefix inside the output folder (sub-folders allowed).", "ttm/trajectory"),
            }
        }

    def save(self, trajectory, filename_prefix):
        prefix = (filename_prefix or "").strip() or "ttm/trajectory"
        path = next_path(bridge.output_dir(), prefix)
        trajectory.save(path)
        rel = path.relative_to(bridge.output_dir()).as_posix()
        return {"ui": {"text": [rel]}, "result": (rel,)}


class TTMLoadTrajectory:
    DESCRIPTION = "Loads a trajectory saved by TTM Save Trajectory (from the input folder, or the output folder: names ending in [output])."
    CATEGORY = f"{CATEGORY}/files"
    RETURN_TYPES = (TRAJECTORY,)
    RETURN_NAMES = ("trajectory",)
    FUNCTION = "load"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"file": combo(list_trajectory_files(), "A trajectory .safetensors file.")}}

    @classmethod
    def IS_CHANGED(cls, file):
        try:
            return str(resolve_trajectory_file(file).stat().st_mtime_ns)
        except (OSError, TTMInputError):
            return file

    def load(self, file):
        from ..ttm_core.types import MaskTrajectory

        path = resolve_trajectory_file(file)
        if not path.is_file():
            raise TTMInputError("file", f"{file!r} was not found.", "save one with TTM Save Trajectory or copy it into the input folder.")
        with node_inputs({"path": "file"}):
            return (MaskTrajectory.load(path),)


NODE_CLASS_MAPPINGS = {"TTMSaveTrajectory": TTMSaveTrajectory, "TTMLoadTrajectory": TTMLoadTrajectory}
NODE_DISPLAY_NAME_MAPPINGS = {"TTMSaveTrajectory": "TTM Save Trajectory", "TTMLoadTrajectory": "TTM Load Trajectory"}
