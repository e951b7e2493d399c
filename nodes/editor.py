"""``TTM Motion Editor``: objects, their clicks and their paths edited on the node itself.

The widget (``web/ttm_motion_editor.js``) writes everything into the ``editor_state`` JSON
widget, so the workflow file holds the whole edit and the API format needs nothing else. The
objects come from upstream ``TTM_OBJECTS`` or, with a SAM2 model connected, from the editor's
own clicks (the same core segmentation as ``TTM Segment Objects``, which the points outputs
also feed). After a run the node sends the image, the object masks and the server's
trajectory back to the widget.
"""

from __future__ import annotations

from . import comfy_bridge as bridge
from ._base import (
    CATEGORY, OBJECTS, SAM2, TRAJECTORY, combo, first_image, integer, node_inputs, number, socket, text,
)
from ..ttm_core.errors import TTMInputError

DEFAULT_STATE = '{"version": 1, "objects": []}'


def _widget_payload(objects, image, trajectory) -> dict:
    """What the widget shows after a run: image, label map (label k in red = k), server centroids."""
    import torch

    from ..ttm_core.motion.measure import label_stats
    from ..ttm_core.visualize import palette_uint8, render_summary

    labels = objects.labels.to(torch.float32).div(255.0).unsqueeze(-1).expand(-1, -1, 3)
    files = bridge.preview_images([image, labels, render_summary(trajectory, image)], "ttm_editor")
    _, cents = label_stats(trajectory.labels, trajectory.num_objects)
    centroids = [[[None if v != v else round(float(v), 3) for v in c] for c in frame] for frame in cents.tolist()]
    return {
        "names": list(objects.names), "width": objects.width, "height": objects.height,
        "num_frames": trajectory.num_frames, "centroids": centroids,
        "palette": palette_uint8(objects.names).tolist(),
        "image": files[0] if files else None, "labels": files[1] if files else None,
        "summary": files[2] if files else None,
    }


class TTMMotionEditor:
    DESCRIPTION = (
        "Motion editor on the node: click objects (plain click = a new object, Ctrl+click = another "
        "point for the selected one, Shift/right click = a negative point), drag from an object to draw "
        "its path (a spline through handles; drag a handle to edit it, double-click it to delete it), set "
        "start/end time, easing, end scale, rotation and z per object, and scrub the timeline to preview. "
        "Builds the trajectory from the saved editor state; objects come from the objects input or from "
        "SAM2 segmentation of the clicks. Also outputs the clicks for TTM Segment Objects and the paths."
    )
    CATEGORY = f"{CATEGORY}/motion"
    RETURN_TYPES = (TRAJECTORY, OBJECTS, "STRING", "STRING", "STRING", "STRING")
    RETURN_NAMES = ("trajectory", "objects", "positive_points", "negative_points", "object_names", "paths")
    FUNCTION = "edit"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": socket("IMAGE", "The first frame the objects are clicked on (first image of a batch)."),
                "editor_state": text(
                    "The editor's state as JSON (written by the widget; saved with the workflow): per object its "
                    "name, SAM2 clicks, path handles, start/end time, easing, end scale, rotation and z.",
                    DEFAULT_STATE, True),
                "num_frames": integer(49, 1, 1025, "Number of frames; Wan needs 4k+1 (e.g. 49, 81), which stage 2 checks."),
                "fps": number(16.0, 1.0, 120.0, 1.0, "Frames per second the trajectory (and the video) is meant to play at."),
                "on_empty": combo(["error", "fallback"], "With SAM2: when it finds nothing for a click, error (say which) or use small disks around the clicks as the mask."),
            },
            "optional": {
                "sam2": socket(SAM2, "SAM2 model (TTM Load SAM2) that segments the editor's clicks; not needed when objects is connected."),
                "objects": socket(OBJECTS, "Objects from upstream (e.g. TTM Segment Objects); the editor's object names must match theirs."),
            },
        }

    @classmethod
    def VALIDATE_INPUTS(cls, editor_state):
        """Reject a malformed state before anything runs (the message names the bad key)."""
        from ..ttm_core.motion.editor_state import parse_editor_state

        if isinstance(editor_state, str):
            try:
                parse_editor_state(editor_state)
            except TTMInputError as exc:
                return str(exc)
        return True

    def edit(self, image, editor_state, num_frames, fps, on_empty, sam2=None, objects=None):
        from ..ttm_core.motion.editor_state import (
            check_inside, editor_trajectory, parse_editor_state, paths_string, points_strings, sam2_prompts,
        )

        img = first_image(image)
        height, width = int(img.shape[0]), int(img.shape[1])
        state = parse_editor_state(editor_state)
        check_inside(state, width, height)
        if objects is None:
            if sam2 is None:
                raise TTMInputError(
                    "objects", "neither objects nor sam2 is connected, so the editor has no masks.",
                    "connect TTM Load SAM2 to sam2 (the editor segments its clicks) or TTM_OBJECTS to objects.",
                )
            from ..ttm_core.segment import segment_image

            with node_inputs({"objects": "editor_state", "predictor": "sam2"}):
                objects = segment_image(sam2, img, sam2_prompts(state), mode="prompts", on_empty=on_empty,
                                        interrupt=bridge.interrupt_callback())
        elif (objects.height, objects.width) != (height, width):
            raise TTMInputError(
                "image", f"is {width}x{height} but the objects are {objects.width}x{objects.height}.",
                "connect the image the objects were segmented from.",
            )
        trajectory = editor_trajectory(
            state, objects, int(num_frames), fps=float(fps),
            progress=bridge.progress_callback(int(num_frames)), interrupt=bridge.interrupt_callback(),
        )
        positive, negative, names = points_strings(state)
        paths = paths_string(state, objects, int(num_frames))
        return {
            "ui": {"ttm_editor": [_widget_payload(objects, img, trajectory)]},
            "result": (trajectory, objects, positive, negative, names, paths),
        }


NODE_CLASS_MAPPINGS = {"TTMMotionEditor": TTMMotionEditor}
NODE_DISPLAY_NAME_MAPPINGS = {"TTMMotionEditor": "TTM Motion Editor"}
