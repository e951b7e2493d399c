"""The diffusers-path workflows: stage 2 through the pack's own Wan loader (``TTMLoadVideoModel``)."""

from __future__ import annotations

import json

from ttm_wf_nodes import EXAMPLE_IMAGE, Node

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


def segment_nodes(x: int = 0) -> list[Node]:
    """Image -> SAM2 objects (ids 1-3)."""
    return [
        Node(1, "LoadImage", (x, 0), {"image": EXAMPLE_IMAGE}),
        Node(2, "TTMLoadSAM2", (x, 420), {"sam2_model": SAM2_MODEL}, models=[SAM2_DOWNLOAD]),
        Node(3, "TTMSegmentObjects", (x + 380, 0), {"object_names": "ball, cube", "positive_points": CLICKS},
             {"sam2": (2, "sam2"), "image": (1, "IMAGE")}),
    ]


def plan_nodes(llm: bool) -> list[Node]:
    """Objects -> prompts (LLM or rules) -> plan-mode trajectory (ids 4-6)."""
    decompose_links = {"objects": (3, "objects")}
    nodes = []
    if llm:
        nodes.append(Node(4, "TTMLoadLLM", (380, 420), {}))
        decompose_links["llm"] = (4, "llm")
    return nodes + [
        Node(5, "TTMDecomposePrompt", (760, 0), {"prompt": PROMPT}, decompose_links),
        Node(6, "TTMMotionFromPlan", (1140, 0), {}, {"objects": (3, "objects"), "prompts": (5, "prompts")}),
    ]


def paths_nodes() -> list[Node]:
    """Objects -> prompts (rules) + drawn paths -> trajectory (ids 5-6)."""
    return [
        Node(5, "TTMDecomposePrompt", (760, 0), {"prompt": PROMPT}, {"objects": (3, "objects")}),
        Node(6, "TTMMotionFromPaths", (760, 420), {"paths": PATHS}, {"objects": (3, "objects")}),
    ]


def preview_nodes(trajectory_id: int, x: int) -> list[Node]:
    return [
        Node(10, "TTMVisualizeTrajectory", (x, 0), {}, {"trajectory": (trajectory_id, "trajectory"), "background": (1, "IMAGE")}),
        Node(11, "SaveAnimatedWEBP", (x + 380, 0), {"filename_prefix": "ttm/motion", "fps": 16.0, "quality": 90},
             {"images": (10, "frames")}),
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


def workflow_prompt_to_video() -> list[Node]:
    """(1) image -> SAM2 -> LLM decomposition -> plan motion -> preview -> Wan video."""
    return segment_nodes() + plan_nodes(llm=True) + preview_nodes(6, 1520) + _video_nodes(5, 6, 1140)


def workflow_paths_to_video() -> list[Node]:
    """(2) the same with drawn paths (KJNodes SplineEditor / track JSON) instead of the LLM."""
    return segment_nodes() + paths_nodes() + preview_nodes(6, 1520) + _video_nodes(5, 6, 1140)


def workflow_motion_preview() -> list[Node]:
    """(3) motion only, no video model: seconds, not minutes."""
    return segment_nodes() + plan_nodes(llm=False) + [
        Node(7, "TTMSaveTrajectory", (1140, 300), {}, {"trajectory": (6, "trajectory")}),
    ] + preview_nodes(6, 1520)


WORKFLOWS = {
    "ttm_prompt_to_video": workflow_prompt_to_video,
    "ttm_paths_to_video": workflow_paths_to_video,
    "ttm_motion_preview": workflow_motion_preview,
}
