"""First-frame segmentation ``s0`` with SAM2: from clicks/boxes, automatically, or from MASKs.

The heavy lifting is SAM2's own ``SAM2ImagePredictor`` / ``SAM2AutomaticMaskGenerator``; this
module turns user inputs into their calls and their outputs into an :class:`ObjectSet`.
"""

from __future__ import annotations

import contextlib
from typing import Any, Sequence

import numpy as np
import torch

from ..callbacks import InterruptFn, ProgressFn, check_interrupt, report
from ..errors import TTMInputError, require
from ..types import ObjectSet
from .compose import box_pixels, compose_objects, filter_small, min_area_pixels
from .loader import Sam2Handle
from ..images import as_image_array
from .object_prompts import ObjectPrompt, parse_object_prompts

MODES = ("prompts", "auto")
RANKS = ("score", "area")


def _resolve(predictor: Any) -> tuple[Any, Sam2Handle | None]:
    if isinstance(predictor, Sam2Handle):
        predictor.activate()
        return predictor.image_predictor(), predictor
    if hasattr(predictor, "set_image") and hasattr(predictor, "predict"):
        return predictor, None
    raise TTMInputError(
        "sam2_model",
        f"expected a loaded SAM2 model (from load_sam2), got {type(predictor).__name__}.",
        "connect the output of the SAM2 loader node.",
    )


def _predict_one(pred: Any, prompt: ObjectPrompt, height: int, width: int, clip_to_box: bool):
    coords = list(prompt.points) + list(prompt.negative)
    labels = [1] * len(prompt.points) + [0] * len(prompt.negative)
    # one click alone is ambiguous (part / whole): ask for 3 masks and keep the best-scored one
    multimask = len(coords) == 1 and prompt.box is None
    masks, scores, _ = pred.predict(
        point_coords=np.asarray(coords, dtype=np.float32) if coords else None,
        point_labels=np.asarray(labels, dtype=np.int32) if coords else None,
        box=None if prompt.box is None else np.asarray(prompt.box, dtype=np.float32),
        multimask_output=multimask,
    )
    masks, scores = np.asarray(masks), np.asarray(scores, dtype=np.float32).reshape(-1)
    best = int(np.argmax(scores))
    mask = masks[best] > 0
    require(mask.shape == (height, width), "sam2_model",
            f"returned a {mask.shape} mask for a {height}x{width} image.", "use a SAM2 image predictor.")
    if clip_to_box and prompt.box is not None:
        # SAM sometimes leaks past the box the user drew around the object
        x0, y0, x1, y1 = box_pixels(prompt.box, height, width)
        inside = np.zeros_like(mask)
        inside[y0:y1, x0:x1] = True
        mask &= inside
    return mask, float(scores[best])


def _segment_prompts(pred, image, prompts, *, on_empty, clip_to_box, progress, interrupt, input_name) -> ObjectSet:
    h, w = image.shape[:2]
    total = len(prompts) + 1
    pred.set_image(image)
    report(progress, 1, total)
    masks, scores = [], []
    for i, prompt in enumerate(prompts):
        check_interrupt(interrupt)
        mask, score = _predict_one(pred, prompt, h, w, clip_to_box)
        masks.append(mask)
        scores.append(score)
        report(progress, i + 2, total)
    return compose_objects(masks, [p.name for p in prompts], scores, on_empty=on_empty,
                           prompts=prompts, input_name=input_name)


def _auto_records(predictor: Any, handle: Sam2Handle | None, image: np.ndarray, options: dict) -> list[dict]:
    if handle is None and hasattr(predictor, "generate"):  # any SAM-style automatic mask generator
        return list(predictor.generate(image))
    require(handle is not None, "sam2_model", "automatic mode needs a model from load_sam2.",
            "connect the SAM2 loader node.")
    from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator

    opts = {"points_per_side": 32, "pred_iou_thresh": 0.8, "stability_score_thresh": 0.92}
    opts.update(options)
    generator = SAM2AutomaticMaskGenerator(handle.model, **opts)
    s = handle.image_size
    generator.predictor._bb_feat_sizes = [(s // 4, s // 4), (s // 8, s // 8), (s // 16, s // 16)]
    return generator.generate(image)


def _segment_auto(predictor, handle, image, *, max_objects, min_pixels, max_area_frac, rank_by,
                  names, options, input_name) -> ObjectSet:
    h, w = image.shape[:2]
    require(1 <= int(max_objects) <= 254, "max_objects", f"must be within 1..254, got {max_objects}.")
    require(rank_by in RANKS, "rank_by", f"must be one of {RANKS}, got {rank_by!r}.")
    records = []
    for r in _auto_records(predictor, handle, image, options):
        seg = np.asarray(r["segmentation"], dtype=bool)
        area = int(seg.sum())
        if area < max(min_pixels, 1) or area > max_area_frac * h * w:
            continue  # specks and near-whole-image background masks are no objects to animate
        records.append((float(r.get("predicted_iou", 0.0)), area, seg))
    if rank_by == "score":
        records.sort(key=lambda r: (-r[0], -r[1]))
    else:
        records.sort(key=lambda r: (-r[1], -r[0]))
    records = records[: int(max_objects)]
    if records:
        k = len(records)
        given = list(names or [])
        default = [given[i] if i < len(given) else f"object_{i + 1}" for i in range(k)]
        stack = torch.from_numpy(np.stack([r[2] for r in records]))
        objects = ObjectSet.from_masks(stack, default, [r[0] for r in records], drop_empty=True)
        objects = filter_small(objects, max(min_pixels, 1))
        if objects is not None:
            return objects
    raise TTMInputError(
        input_name,
        f"automatic segmentation found no object of at least {min_pixels} pixels.",
        "lower min_area, lower the quality thresholds, or click the objects (mode 'prompts').",
    )


def segment_image(
    predictor: Any,
    image: Any,
    objects: Any = None,
    *,
    mode: str = "prompts",
    max_objects: int = 8,
    min_area: float = 0.002,
    max_area_frac: float = 0.9,
    rank_by: str = "score",
    names: Sequence[str] | None = None,
    on_empty: str = "error",
    clip_to_box: bool = True,
    auto_options: dict | None = None,
    keep_loaded: bool = True,
    progress: ProgressFn | None = None,
    interrupt: InterruptFn | None = None,
    input_name: str = "objects",
) -> ObjectSet:
    """Segment ``image`` into named, non-overlapping objects.

    ``mode="prompts"``: one object per entry of ``objects`` (clicks, negatives, box); empty
    results follow ``on_empty`` (see :mod:`.compose`). ``mode="auto"``: SAM2's automatic mask
    generator, keeping the ``max_objects`` best by ``rank_by`` with at least ``min_area``
    (pixels, or a fraction of the image when < 1) and at most ``max_area_frac`` of the image;
    ``auto_options`` go to ``SAM2AutomaticMaskGenerator``. ``keep_loaded=False`` offloads the
    model to the CPU afterwards.
    """
    require(mode in MODES, "mode", f"must be one of {MODES}, got {mode!r}.")
    img = as_image_array(image)
    h, w = img.shape[:2]
    min_pixels = min_area_pixels(min_area, h, w)
    if mode == "auto" and not isinstance(predictor, Sam2Handle) and hasattr(predictor, "generate"):
        pred, handle = predictor, None  # a ready SAM-style automatic mask generator
    else:
        pred, handle = _resolve(predictor)
    ctx = handle.autocast() if handle is not None else contextlib.nullcontext()
    try:
        with torch.inference_mode(), ctx:
            if mode == "auto":
                check_interrupt(interrupt)
                report(progress, 0, 1)
                out = _segment_auto(pred, handle, img, max_objects=max_objects,
                                    min_pixels=min_pixels, max_area_frac=max_area_frac, rank_by=rank_by,
                                    names=names, options=dict(auto_options or {}), input_name="image")
                report(progress, 1, 1)
                return out
            require(objects is not None, input_name, "no objects given for mode 'prompts'.",
                    "click points or draw boxes on the objects, or use mode 'auto'.")
            prompts = parse_object_prompts(objects, w, h, input_name)
            return _segment_prompts(pred, img, prompts, on_empty=on_empty, clip_to_box=clip_to_box,
                                    progress=progress, interrupt=interrupt, input_name=input_name)
    finally:
        if handle is not None and not keep_loaded:
            handle.unload()


def objects_from_masks(
    masks: Any,
    names: Sequence[str] | None = None,
    scores: Sequence[float] | None = None,
    *,
    min_area: float = 0,
    input_name: str = "masks",
) -> ObjectSet:
    """Objects from painted/other MASKs ``[K, H, W]`` (ComfyUI MASK batch): one object per mask.

    Overlaps follow :meth:`ObjectSet.from_masks` (score, then smaller on top); a mask that is
    empty, fully covered, or smaller than ``min_area`` is an error naming it.
    """
    objects = ObjectSet.from_masks(masks, names, scores, input_name=input_name)
    if min_area:
        min_pixels = min_area_pixels(min_area, objects.height, objects.width)
        small = [n for n, a in zip(objects.names, objects.areas().tolist()) if a < min_pixels]
        require(not small, input_name, f"mask(s) {small} are smaller than min_area ({min_pixels} pixels).",
                "paint larger masks or lower min_area.")
    return objects
