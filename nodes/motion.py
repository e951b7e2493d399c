"""Stage 1 nodes (Image-to-Motion): objects + a motion description -> ``TTM_TRAJECTORY``.

One node per strategy, so each shows only the inputs it uses: plan (keyframes from the prompt
decomposition), paths (drawn splines / tracks), masks (MASK sequences from any node), and track
(drafts from the video model, followed with SAM2).
"""

from __future__ import annotations

from . import comfy_bridge as bridge
from ._base import (
    CATEGORY, OBJECTS, PROMPTS, SAM2, TRAJECTORY, VIDEO_MODEL, as_mask_batch, combo, first_image, integer,
    node_inputs, number, per_object_numbers, socket, text,
)
from ..ttm_core.errors import TTMInputError

FRAMES_TOOLTIP = "Number of frames; Wan needs 4k+1 (e.g. 49, 81), which stage 2 checks."
FPS_TOOLTIP = "Frames per second the trajectory (and the video) is meant to play at."


def _frames_and_fps() -> dict:
    return {
        "num_frames": integer(49, 1, 1025, FRAMES_TOOLTIP),
        "fps": number(16.0, 1.0, 120.0, 1.0, FPS_TOOLTIP),
    }


def _run(objects, source, num_frames, fps, mode, names: dict, **options):
    from ..ttm_core.motion import image_to_motion

    with node_inputs(names):
        return image_to_motion(
            objects, source, int(num_frames), mode, fps=float(fps),
            progress=bridge.progress_callback(int(num_frames)), interrupt=bridge.interrupt_callback(), **options,
        )


class TTMMotionFromPlan:
    DESCRIPTION = (
        "Image-to-Motion, plan mode: moves, scales and rotates each object's first-frame mask along "
        "the keyframes of the prompt plan (from TTM Decompose Prompt). Objects without keyframes stay still."
    )
    CATEGORY = f"{CATEGORY}/motion"
    RETURN_TYPES = (TRAJECTORY,)
    RETURN_NAMES = ("trajectory",)
    FUNCTION = "plan"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "objects": socket(OBJECTS, "First-frame objects."),
                "prompts": socket(PROMPTS, "Prompt plan whose keyframes move the objects."),
                **_frames_and_fps(),
            }
        }

    def plan(self, objects, prompts, num_frames, fps):
        return (_run(objects, prompts, num_frames, fps, "plan", {"source": "prompts", "plan": "prompts"}),)


class TTMMotionFromPaths:
    DESCRIPTION = (
        "Image-to-Motion, paths mode: each object's centre follows a drawn path (KJNodes Spline/Points "
        "editor coordinates or core WanTrackToVideo track JSON; path i moves object i). Objects "
        "without a path stay still."
    )
    CATEGORY = f"{CATEGORY}/motion"
    RETURN_TYPES = (TRAJECTORY,)
    RETURN_NAMES = ("trajectory",)
    FUNCTION = "paths"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "objects": socket(OBJECTS, "First-frame objects."),
                "paths": text(
                    'One path per object, in object order: [[{"x": 100, "y": 200}, {"x": 300, "y": 180}], ...] '
                    "in pixels or 0..1 (a single flat list moves the first object).", "", True),
                **_frames_and_fps(),
                "timing": combo(["auto", "arc", "time"], "arc: constant speed along the path; time: points are evenly spaced in time; auto: time when a path has a point per frame."),
                "anchor": combo(["relative", "absolute"], "relative: the path is shifted to start at the object's centre; absolute: the object goes to the drawn points."),
                "coordinates": combo(["auto", "pixels", "normalized"], "Whether numbers are pixels or fractions of the image size (auto: all within 0..1 means fractions)."),
            },
            "optional": {
                "scale": text("Optional end scale: one number for every object (1.5 grows by half) or name: number pairs (dog: 1.5, ball: 0.8)."),
            },
        }

    def paths(self, objects, paths, num_frames, fps, timing, anchor, coordinates, scale=""):
        normalized = {"auto": None, "pixels": False, "normalized": True}[coordinates]
        if not (paths or "").strip():
            raise TTMInputError("paths", "is empty.", "draw a path per object (e.g. with the KJNodes SplineEditor) or paste track JSON.")
        return (_run(
            objects, paths, num_frames, fps, "paths", {"source": "paths", "normalized": "coordinates"},
            timing=timing, anchor=anchor, normalized=normalized, scale=per_object_numbers(scale, "scale"),
        ),)


class TTMMotionFromMasks:
    DESCRIPTION = (
        "Image-to-Motion, masks mode: uses mask sequences from any node as the trajectory. With one "
        "object, a MASK batch [T, H, W] is its masks over time; with K objects, give K*T masks "
        "(object-major: all frames of object 1, then object 2...)."
    )
    CATEGORY = f"{CATEGORY}/motion"
    RETURN_TYPES = (TRAJECTORY,)
    RETURN_NAMES = ("trajectory",)
    FUNCTION = "masks"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "objects": socket(OBJECTS, "First-frame objects (frame 0 of the trajectory is always these)."),
                "masks": socket("MASK", "Mask batch: T masks for one object, or K*T masks object-major for K objects."),
                **_frames_and_fps(),
                "first_frame": combo(["force", "check"], "force: frame 0 becomes the input objects; check: refuse masks whose frame 0 differs."),
            }
        }

    def masks(self, objects, masks, num_frames, fps, first_frame):
        batch = as_mask_batch(masks, "masks")
        k = objects.num_objects
        if batch.shape[0] % k:
            raise TTMInputError(
                "masks", f"{batch.shape[0]} masks cannot be split evenly over {k} objects.",
                "give the same number of frames for every object, object-major.",
            )
        per_object = list(batch.reshape(k, batch.shape[0] // k, *batch.shape[1:]))
        return (_run(objects, per_object, num_frames, fps, "masks", {"source": "masks"}, first_frame=first_frame),)


class TTMMotionFromDraft:
    DESCRIPTION = (
        "Image-to-Motion, track mode: the video model drafts a few short low-resolution videos from "
        "the motion prompt, SAM2 follows the objects through each, and the draft where objects "
        "survive and move while the background stays still wins. Slow: minutes on a GPU."
    )
    CATEGORY = f"{CATEGORY}/motion"
    RETURN_TYPES = (TRAJECTORY, "STRING")
    RETURN_NAMES = ("trajectory", "scores")
    FUNCTION = "track"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "objects": socket(OBJECTS, "First-frame objects."),
                "image": socket("IMAGE", "The first frame the drafts start from."),
                "prompts": socket(PROMPTS, "Prompt plan; its motion prompt drives the drafts."),
                "video_model": socket(VIDEO_MODEL, "Video model from TTM Load Video Model."),
                "sam2": socket(SAM2, "SAM2 model that follows the objects through the drafts."),
                **_frames_and_fps(),
                "candidates": integer(3, 1, 16, "Number of drafts; the best one is kept."),
                "steps": integer(8, 1, 100, "Sampling steps per draft (few: drafts only need the motion)."),
                "draft_long_side": integer(320, 64, 1280, "Long side of the drafts in pixels (rounded to the model's multiple).", step=32),
                "cfg": number(5.0, 1.0, 20.0, 0.1, "Classifier-free guidance of the drafts."),
                "seed": integer(0, 0, 0xFFFFFFFF, "Seed of the first draft; draft i uses seed + i.", control_after_generate=True),
            }
        }

    def track(self, objects, image, prompts, video_model, sam2, num_frames, fps, candidates, steps, draft_long_side, cfg, seed):
        import json

        from ..ttm_core.motion.track import draft_size_for

        img = first_image(image)
        if tuple(img.shape[:2]) != (objects.height, objects.width):
            raise TTMInputError(
                "image", f"is {img.shape[1]}x{img.shape[0]} but the objects are {objects.width}x{objects.height}.",
                "segment the same image you draft from.",
            )
        model = video_model.get()
        try:
            traj = _run(
                objects, prompts, num_frames, fps, "track",
                {"source": "prompts", "pipe": "video_model", "predictor": "sam2", "draft_size": "draft_long_side"},
                image=img, pipe=model.pipe, predictor=sam2, candidates=int(candidates), steps=int(steps),
                seed=int(seed), guidance_scale=float(cfg),
                draft_size=draft_size_for(objects.height, objects.width, long_side=int(draft_long_side)),
            )
        finally:
            video_model.release()
        return (traj, json.dumps(traj.scores, indent=1))


NODE_CLASS_MAPPINGS = {
    "TTMMotionFromPlan": TTMMotionFromPlan,
    "TTMMotionFromPaths": TTMMotionFromPaths,
    "TTMMotionFromMasks": TTMMotionFromMasks,
    "TTMMotionFromDraft": TTMMotionFromDraft,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "TTMMotionFromPlan": "TTM Image-to-Motion (plan)",
    "TTMMotionFromPaths": "TTM Image-to-Motion (paths)",
    "TTMMotionFromMasks": "TTM Image-to-Motion (masks)",
    "TTMMotionFromDraft": "TTM Image-to-Motion (track drafts)",
}
