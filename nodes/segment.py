"""Segmentation nodes: first-frame objects (``TTM_OBJECTS``) from SAM2 clicks/boxes, automatic
SAM2 masks, or MASKs painted or produced by any other node."""

from __future__ import annotations

import torch

from . import comfy_bridge as bridge
from ._base import (
    CATEGORY, OBJECTS, SAM2, as_mask_batch, combo, first_image, integer, node_inputs, number, socket,
    split_names, text, to_image_batch,
)
from ..ttm_core.errors import TTMInputError


def objects_preview(objects, image: torch.Tensor) -> torch.Tensor:
    """``[H, W, 3]``: the objects' colours and contours over the image."""
    from ..ttm_core.types import MaskTrajectory
    from ..ttm_core.visualize import render_trajectory

    still = MaskTrajectory.still(objects, 1)
    return render_trajectory(still, background=image.unsqueeze(0), style="overlay")[0]


def _object_prompts(positive: str, negative: str, boxes: str, names: list[str], width: int, height: int) -> list[dict]:
    """Per-object SAM2 prompts from the widgets (pixels or 0..1 fractions)."""
    from ..ttm_core.coords import parse_boxes, parse_point_lists

    pos = parse_point_lists(positive, "positive_points", width=width, height=height)
    if len(pos) == 1 and _is_flat(positive):
        pos = [[p] for p in pos[0]]  # a flat list (e.g. KJNodes PointsEditor): one object per click
    neg = parse_point_lists(negative, "negative_points", width=width, height=height)
    box = parse_boxes(boxes, "boxes", width=width, height=height)
    count = max(len(pos), len(box))
    if count == 0:
        raise TTMInputError(
            "positive_points",
            "no object was marked: give points and/or boxes, or switch mode to auto.",
            'click objects (e.g. [{"x": 120, "y": 200}]) or draw boxes ([[x0, y0, x1, y1]]).',
        )
    if len(pos) and len(box) and len(pos) != len(box):
        raise TTMInputError(
            "boxes", f"{len(box)} boxes for {len(pos)} point groups.",
            "give one box per object (same order as the points), or only points, or only boxes.",
        )
    if len(neg) > 1 and len(neg) != count:
        raise TTMInputError(
            "negative_points", f"{len(neg)} negative point lists for {count} objects.",
            "give one flat list (used for every object) or one list per object.",
        )
    if names and len(names) != count:
        raise TTMInputError(
            "object_names", f"{len(names)} names for {count} marked objects.",
            "give one name per object, comma-separated, in the order of the points/boxes.",
        )
    names = names or [f"object_{i + 1}" for i in range(count)]
    objects = []
    for i in range(count):
        negatives = neg[i] if len(neg) == count and len(neg) > 1 else (neg[0] if neg else [])
        objects.append({
            "name": names[i],
            "points": [list(p) for p in pos[i]] if pos else [],
            "negative": [list(p) for p in negatives],
            "box": list(box[i]) if box else None,
        })
    return objects


def _is_flat(value: str) -> bool:
    """True for a single list of points (not a list of lists)."""
    import json

    try:
        data = json.loads(value) if isinstance(value, str) else value
    except (json.JSONDecodeError, TypeError):
        try:
            data = json.loads(str(value).replace("'", '"'))
        except json.JSONDecodeError:
            return False
    return isinstance(data, list) and bool(data) and all(
        isinstance(p, dict) or (isinstance(p, (list, tuple)) and len(p) == 2 and not isinstance(p[0], (list, dict)))
        for p in data
    )


class TTMSegmentObjects:
    DESCRIPTION = (
        "Segments the first frame into separate, non-overlapping objects with SAM2: one object per "
        "click (or per list of clicks) and/or per box, or the largest objects automatically. "
        "Outputs the objects, one MASK per object and a preview."
    )
    CATEGORY = f"{CATEGORY}/segment"
    RETURN_TYPES = (OBJECTS, "MASK", "IMAGE")
    RETURN_NAMES = ("objects", "masks", "preview")
    FUNCTION = "segment"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "sam2": socket(SAM2, "SAM2 model from TTM Load SAM2."),
                "image": socket("IMAGE", "The first frame (only the first image of a batch is used)."),
                "mode": combo(["prompts", "auto"], "prompts: objects from points/boxes; auto: the largest objects SAM2 finds."),
                "object_names": text("Object names, comma-separated, in the order of the points/boxes (e.g. dog, ball). Empty: object_1, object_2...", "", False),
                "positive_points": text(
                    'Clicks on objects, pixels or 0..1: a flat list is one object per click ([{"x": 120, "y": 200}, ...], '
                    "KJNodes PointsEditor output works); a list of lists is one list of clicks per object.", "", True),
                "negative_points": text("Clicks on what is NOT the object: one flat list for all objects or one list per object.", "", True),
                "boxes": text("One box per object, [[x0, y0, x1, y1], ...] in pixels or 0..1.", "", True),
                "max_objects": integer(4, 1, 32, "auto mode: keep at most this many objects (largest/best first)."),
                "min_area": integer(256, 0, 1 << 20, "auto mode: ignore objects smaller than this many pixels."),
                "on_empty": combo(["error", "fallback", "drop"], "When SAM2 finds nothing for an object: error (say which), fallback (use its box or clicks as the mask) or drop it."),
                "auto_points_per_side": integer(32, 2, 128, "auto mode: grid of SAM2 prompts per image side (fewer is faster, may miss small objects)."),
                "auto_iou_threshold": number(0.8, 0.0, 1.0, 0.01, "auto mode: keep masks SAM2 rates at least this good (predicted IoU)."),
                "auto_stability_threshold": number(0.95, 0.0, 1.0, 0.01, "auto mode: keep masks at least this stable under threshold changes."),
            }
        }

    def segment(self, sam2, image, mode, object_names, positive_points, negative_points, boxes, max_objects, min_area,
                on_empty, auto_points_per_side, auto_iou_threshold, auto_stability_threshold):
        from ..ttm_core.segment import segment_image

        img = first_image(image)
        height, width = int(img.shape[0]), int(img.shape[1])
        names = split_names(object_names)
        progress = bridge.progress_callback()
        with node_inputs({"image": "image", "objects": "positive_points", "points": "positive_points",
                          "negative": "negative_points", "box": "boxes", "predictor": "sam2"}):
            if mode == "auto":
                objects = segment_image(
                    sam2, img, None, mode="auto", max_objects=int(max_objects), min_area=int(min_area),
                    names=names or None, progress=progress, interrupt=bridge.interrupt_callback(),
                    auto_options={"points_per_side": int(auto_points_per_side),
                                  "pred_iou_thresh": float(auto_iou_threshold),
                                  "stability_score_thresh": float(auto_stability_threshold)},
                )
            else:
                prompts = _object_prompts(positive_points, negative_points, boxes, names, width, height)
                objects = segment_image(
                    sam2, img, prompts, mode="prompts", on_empty=on_empty, progress=progress,
                    interrupt=bridge.interrupt_callback(),
                )
        masks = objects.masks().float()
        preview = objects_preview(objects, img)
        return {
            "ui": {"images": bridge.preview_images([preview], "ttm_objects")},
            "result": (objects, masks, to_image_batch(preview)),
        }


class TTMObjectsFromMasks:
    DESCRIPTION = (
        "Builds first-frame objects from MASKs (one mask per object, e.g. painted in the mask "
        "editor or from another segmentation node). Overlaps go to the smaller mask."
    )
    CATEGORY = f"{CATEGORY}/segment"
    RETURN_TYPES = (OBJECTS, "MASK")
    RETURN_NAMES = ("objects", "masks")
    FUNCTION = "build"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "masks": socket("MASK", "One mask per object as a batch [K, H, W] (values > 0.5 are inside)."),
                "object_names": text("Object names, comma-separated, one per mask. Empty: object_1, object_2...", ""),
            },
            "optional": {
                "more_masks": socket("MASK", "Optional second batch of object masks, appended after the first."),
            },
        }

    def build(self, masks, object_names, more_masks=None):
        from ..ttm_core.segment import objects_from_masks

        batch = as_mask_batch(masks, "masks")
        if more_masks is not None:
            extra = as_mask_batch(more_masks, "more_masks")
            if extra.shape[1:] != batch.shape[1:]:
                raise TTMInputError(
                    "more_masks", f"size {extra.shape[2]}x{extra.shape[1]} differs from masks {batch.shape[2]}x{batch.shape[1]}.",
                    "resize the masks to the same size.",
                )
            batch = torch.cat([batch, extra], 0)
        names = split_names(object_names) or None
        with node_inputs({"names": "object_names"}):
            objects = objects_from_masks(batch, names)
        return (objects, objects.masks().float())


NODE_CLASS_MAPPINGS = {"TTMSegmentObjects": TTMSegmentObjects, "TTMObjectsFromMasks": TTMObjectsFromMasks}
NODE_DISPLAY_NAME_MAPPINGS = {
    "TTMSegmentObjects": "TTM Segment Objects (SAM2)",
    "TTMObjectsFromMasks": "TTM Objects from Masks",
}
