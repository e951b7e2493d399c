"""The motion-editor workflow: image -> TTM Motion Editor (clicks segmented by SAM2, drawn paths) -> video."""

from __future__ import annotations

import json

from ttm_wf_diffusers import PROMPT, SAM2_DOWNLOAD, SAM2_MODEL, _video_nodes, preview_nodes
from ttm_wf_nodes import EXAMPLE_IMAGE, Node

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
    ] + preview_nodes(3, 1520) + _video_nodes(5, 3, 1140)


WORKFLOWS = {"ttm_editor_to_video": workflow_editor_to_video}
