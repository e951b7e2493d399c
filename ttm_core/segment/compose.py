"""Turn per-object boolean masks into one non-overlapping :class:`ObjectSet`.

Overlaps: the higher SAM score is on top, equal scores put the smaller mask on top
(:meth:`ObjectSet.from_masks`). What happens to an object that ends up with no pixels is the
caller's choice (``on_empty``):

- ``"error"`` (default): a :class:`TTMInputError` naming the object and how to fix the prompt;
- ``"drop"``: the object is left out (at least one must remain);
- ``"fallback"``: a mask SAM returned empty is replaced by the prompt itself (the box, or small
  disks around the positive clicks), and an object covered by others is moved on top.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..errors import TTMInputError, require
from ..types import ObjectSet
from .object_prompts import ObjectPrompt

ON_EMPTY = ("error", "drop", "fallback")


def prompt_mask(prompt: ObjectPrompt, height: int, width: int) -> np.ndarray:
    """The user's own prompt as a mask: the box, else disks (3% of the short side) on the clicks."""
    out = np.zeros((height, width), dtype=bool)
    if prompt.box is not None:
        x0, y0, x1, y1 = box_pixels(prompt.box, height, width)
        out[y0:y1, x0:x1] = True
        return out
    radius = max(2.0, 0.03 * min(height, width))
    ys, xs = np.mgrid[0:height, 0:width]
    for x, y in prompt.points:
        out |= (xs + 0.5 - x) ** 2 + (ys + 0.5 - y) ** 2 <= radius**2
    return out


def box_pixels(box, height: int, width: int) -> tuple[int, int, int, int]:
    """Box in pixel-edge coordinates -> integer slice bounds that always keep >= 1 pixel."""
    x0, y0, x1, y1 = box
    ix0 = int(np.clip(np.floor(x0), 0, width - 1))
    iy0 = int(np.clip(np.floor(y0), 0, height - 1))
    ix1 = int(np.clip(np.ceil(x1), ix0 + 1, width))
    iy1 = int(np.clip(np.ceil(y1), iy0 + 1, height))
    return ix0, iy0, ix1, iy1


def _empty_error(input_name: str, name: str, covered: bool) -> TTMInputError:
    if covered:
        return TTMInputError(
            input_name,
            f"object {name!r} is completely covered by other objects with higher SAM scores.",
            "click on a part that only this object has, add a box, or set on_empty to 'fallback' "
            "(puts it on top) or 'drop'.",
        )
    return TTMInputError(
        input_name,
        f"SAM2 found no mask for object {name!r}.",
        "move the points onto the object, add more points or a box, or set on_empty to "
        "'fallback' (use the box/clicks as the mask) or 'drop'.",
    )


def compose_objects(
    masks: Sequence[np.ndarray],
    names: Sequence[str],
    scores: Sequence[float],
    *,
    on_empty: str = "error",
    prompts: Sequence[ObjectPrompt] | None = None,
    input_name: str = "objects",
) -> ObjectSet:
    """Compose masks (``[H, W]`` bool each) with the ``on_empty`` policy above."""
    require(on_empty in ON_EMPTY, "on_empty", f"must be one of {ON_EMPTY}, got {on_empty!r}.")
    masks = [np.asarray(m, dtype=bool) for m in masks]
    names, scores = list(names), [float(s) for s in scores]
    keep = []
    for i, m in enumerate(masks):
        if m.any():
            keep.append(i)
        elif on_empty == "error":
            raise _empty_error(input_name, names[i], covered=False)
        elif on_empty == "fallback" and prompts is not None:
            masks[i] = prompt_mask(prompts[i], *m.shape)
            keep.append(i)
    if not keep:
        raise TTMInputError(input_name, "no object has a mask.", "check the points/boxes or the SAM2 model.")
    masks = [masks[i] for i in keep]
    names = [names[i] for i in keep]
    scores = [scores[i] for i in keep]
    # on 'fallback', an object that others cover entirely is lifted above all of them and we retry
    for _ in range(len(masks) + 1):
        stack = torch.from_numpy(np.stack(masks))
        composed = ObjectSet.from_masks(stack, names, scores, drop_empty=True, input_name=input_name)
        lost = [n for n in names if n not in composed.names]
        if not lost:
            return composed
        if on_empty == "error":
            raise _empty_error(input_name, lost[0], covered=True)
        if on_empty == "drop":
            return composed
        top = max(scores) + 1.0
        for n in lost:
            scores[names.index(n)] = top
    # only identical masks can keep hiding each other: they cannot both be visible
    raise _empty_error(input_name, lost[0], covered=True)


def filter_small(objects: ObjectSet, min_pixels: int) -> ObjectSet | None:
    """Drop objects whose visible area fell below ``min_pixels``; None when nothing is left."""
    areas = objects.areas().tolist()
    keep = [i for i, a in enumerate(areas) if a >= min_pixels]
    if not keep:
        return None
    if len(keep) == objects.num_objects:
        return objects
    masks = objects.masks()[keep]
    scores = None if objects.scores is None else [objects.scores[i] for i in keep]
    return ObjectSet.from_masks(masks, [objects.names[i] for i in keep], scores)


def min_area_pixels(min_area: float, height: int, width: int) -> int:
    """``min_area`` >= 1 is pixels; below 1 a fraction of the image area."""
    require(float(min_area) >= 0, "min_area", f"must be >= 0, got {min_area}.")
    if 0 < float(min_area) < 1:
        return max(1, int(round(float(min_area) * height * width)))
    return int(min_area)
