"""Converters between our types and ComfyUI's MASK / IMAGE and the core track JSON."""

from __future__ import annotations

from ._base import CATEGORY, OBJECTS, TRAJECTORY, combo, integer, node_inputs, socket, text
from ..ttm_core.errors import TTMInputError


class TTMObjectsToMasks:
    DESCRIPTION = "One MASK per object (a batch [K, H, W] in object order), the colour-coded label image and the names."
    CATEGORY = f"{CATEGORY}/convert"
    RETURN_TYPES = ("MASK", "IMAGE", "STRING")
    RETURN_NAMES = ("masks", "label_image", "names")
    FUNCTION = "convert"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"objects": socket(OBJECTS, "First-frame objects.")}}

    def convert(self, objects):
        from ..ttm_core.visualize import palette

        image = palette(objects.names)[objects.labels].unsqueeze(0)
        return (objects.masks().float(), image, ", ".join(objects.names))


class TTMTrajectoryToMasks:
    DESCRIPTION = (
        "Masks over time: for one named object its T masks [T, H, W]; for all objects K*T masks, "
        "object-major (the layout TTM Image-to-Motion (masks) reads back)."
    )
    CATEGORY = f"{CATEGORY}/convert"
    RETURN_TYPES = ("MASK", "INT", "INT")
    RETURN_NAMES = ("masks", "num_frames", "num_objects")
    FUNCTION = "convert"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "trajectory": socket(TRAJECTORY, "The mask trajectory."),
                "object_name": text("One object's name for its masks only; empty gives all objects, object-major."),
            }
        }

    def convert(self, trajectory, object_name):
        name = (object_name or "").strip()
        masks = trajectory.masks()  # [T, K, H, W]
        if name:
            if name not in trajectory.names:
                raise TTMInputError("object_name", f"no object named {name!r}; objects are {trajectory.names}.")
            out = masks[:, trajectory.names.index(name)]
        else:
            out = masks.transpose(0, 1).reshape(-1, trajectory.height, trajectory.width)
        return (out.float(), trajectory.num_frames, trajectory.num_objects if not name else 1)


class TTMTrajectoryToTracks:
    DESCRIPTION = (
        "Point tracks JSON (one track of {x, y} per object, its anchor over time) as read by core "
        "WanTrackToVideo and other track-based motion nodes."
    )
    CATEGORY = f"{CATEGORY}/convert"
    RETURN_TYPES = ("STRING",)
    RETURN_NAMES = ("tracks",)
    FUNCTION = "convert"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "trajectory": socket(TRAJECTORY, "The mask trajectory."),
                "samples": integer(0, 0, 1024, "Points per track; 0 = one per frame, 121 for core WanTrackToVideo."),
                "coordinates": combo(["pixels", "normalized"], "Pixels or fractions of the image size."),
                "invisible": combo(["extrapolate", "hold"], "Frames where an object is off screen: extrapolate its motion or hold its last position."),
            }
        }

    def convert(self, trajectory, samples, coordinates, invisible):
        from ..ttm_core.motion import trajectory_to_tracks

        with node_inputs():
            tracks = trajectory_to_tracks(
                trajectory, samples=int(samples) or None, invisible=invisible, normalized=coordinates == "normalized"
            )
        return (tracks,)


NODE_CLASS_MAPPINGS = {
    "TTMObjectsToMasks": TTMObjectsToMasks,
    "TTMTrajectoryToMasks": TTMTrajectoryToMasks,
    "TTMTrajectoryToTracks": TTMTrajectoryToTracks,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "TTMObjectsToMasks": "TTM Objects to Masks",
    "TTMTrajectoryToMasks": "TTM Trajectory to Masks",
    "TTMTrajectoryToTracks": "TTM Trajectory to Tracks (JSON)",
}
