"""Seeing a trajectory before spending GPU minutes on it: mask video, overlay and summary."""

from __future__ import annotations

from . import comfy_bridge as bridge
from ._base import CATEGORY, TRAJECTORY, boolean, combo, first_image, node_inputs, number, socket, to_image_batch


class TTMVisualizeTrajectory:
    DESCRIPTION = (
        "Renders a trajectory: the colour-coded mask video (the paper's representation, one colour "
        "per object) or an overlay on the first image or on generated frames, with outlines, names "
        "and paths; plus one summary image with every path drawn (shown on the node)."
    )
    CATEGORY = f"{CATEGORY}/visualize"
    RETURN_TYPES = ("IMAGE", "IMAGE")
    RETURN_NAMES = ("frames", "summary")
    FUNCTION = "render"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "trajectory": socket(TRAJECTORY, "The mask trajectory to show."),
                "style": combo(["overlay", "masks"], "overlay: colours over the background; masks: the colour-coded mask video on black."),
                "alpha": number(0.5, 0.0, 1.0, 0.05, "Opacity of the colours in overlay style."),
                "contours": boolean(True, "Outline each object."),
                "names": boolean(True, "Write each object's name next to it."),
                "trails": boolean(True, "Draw the path each object has travelled so far."),
            },
            "optional": {
                "background": socket("IMAGE", "First image (one frame) or a video with one frame per trajectory frame; sets the output size."),
            },
        }

    def render(self, trajectory, style, alpha, contours, names, trails, background=None):
        from ..ttm_core.visualize import render_summary, render_trajectory

        progress = bridge.progress_callback(trajectory.num_frames)
        with node_inputs():
            frames = render_trajectory(
                trajectory, background, style=style, alpha=float(alpha), contours=bool(contours),
                names=bool(names), trails=bool(trails), progress=progress, interrupt=bridge.interrupt_callback(),
            )
            first = None if background is None else first_image(background, "background")
            summary = render_summary(trajectory, first, names=bool(names))
        return {
            "ui": {"images": bridge.preview_images([summary], "ttm_trajectory")},
            "result": (to_image_batch(frames), to_image_batch(summary)),
        }


NODE_CLASS_MAPPINGS = {"TTMVisualizeTrajectory": TTMVisualizeTrajectory}
NODE_DISPLAY_NAME_MAPPINGS = {"TTMVisualizeTrajectory": "TTM Visualize Trajectory"}
