"""User clicks and boxes per object, parsed once into pixels with named errors.

An object is ``{"name": str, "points": [[x, y], ...], "negative": [...], "box": [x0, y0, x1, y1]}``.
Points and boxes may be KJNodes PointsEditor strings, core track JSON, plain pairs, pixels or
0..1 fractions (``ttm_core.coords`` decides); the list itself may be JSON text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..coords import Box, Point, parse_boxes, parse_points
from ..errors import TTMInputError, require
from ..types._checks import check_names

_KEYS = {"name", "points", "negative", "negative_points", "box"}


@dataclass
class ObjectPrompt:
    name: str
    points: list[Point] = field(default_factory=list)
    negative: list[Point] = field(default_factory=list)
    box: Box | None = None


def _load_list(objects: Any, input_name: str) -> list:
    if isinstance(objects, str):
        text = objects.strip()
        require(text != "", input_name, "is empty.", 'give objects like [{"name": "dog", "points": [[120, 80]]}].')
        try:
            objects = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TTMInputError(
                input_name,
                f"is not valid JSON ({exc.msg} at character {exc.pos}).",
                'use [{"name": "dog", "points": [[120, 80]], "box": [10, 20, 200, 180]}].',
            ) from exc
    if isinstance(objects, dict):
        objects = [objects]
    require(isinstance(objects, (list, tuple)), input_name,
            f"expected a list of objects, got {type(objects).__name__}.")
    require(len(objects) > 0, input_name, "lists no objects.", "add at least one object with points or a box.")
    return list(objects)


def parse_object_prompts(objects: Any, width: int, height: int, input_name: str = "objects") -> list[ObjectPrompt]:
    """Validate every object's clicks/box against the image size; names default to ``object_k``."""
    items = _load_list(objects, input_name)
    out: list[ObjectPrompt] = []
    for i, item in enumerate(items):
        where = f"{input_name}[{i}]"
        require(isinstance(item, dict), where, f"must be an object like {{'points': [[x, y]]}}, got {item!r}.")
        unknown = sorted(set(item) - _KEYS)
        require(not unknown, where, f"has unknown keys {unknown}.", "use name, points, negative and box.")
        name = item.get("name") or f"object_{i + 1}"
        kw = {"width": width, "height": height}
        points = parse_points(item.get("points") or [], f"{where}.points", **kw)
        neg_value = item.get("negative", item.get("negative_points")) or []
        negative = parse_points(neg_value, f"{where}.negative", **kw)
        box = None
        if item.get("box") not in (None, "", []):
            boxes = parse_boxes(item["box"], f"{where}.box", **kw)
            require(len(boxes) == 1, f"{where}.box", f"expected one box per object, got {len(boxes)}.",
                    "split the boxes into separate objects.")
            box = boxes[0]
        require(
            bool(points) or box is not None,
            where,
            f"object {name!r} has neither positive points nor a box (negative points alone select nothing).",
            "click at least one point on the object or draw a box around it.",
        )
        out.append(ObjectPrompt(str(name), points, negative, box))
    check_names([o.name for o in out], None, f"{input_name} names")
    return out


def prompts_from_points(
    positive: Any,
    negative: Any = None,
    *,
    names: Sequence[str] | None = None,
    one_object_per_point: bool = True,
) -> list[dict]:
    """KJNodes PointsEditor output (a positive and a negative string) as object prompts.

    With ``one_object_per_point`` every positive click is its own object (the usual "click each
    object once" workflow) and negatives apply to all; otherwise all clicks form one object.
    """
    pos = parse_points(positive, "positive_points", inside=False)
    neg = parse_points(negative or [], "negative_points", inside=False)
    require(bool(pos), "positive_points", "holds no points.", "click at least one point on an object.")
    groups = [[p] for p in pos] if one_object_per_point else [pos]
    names = list(names) if names else []
    require(
        not names or len(names) == len(groups),
        "names",
        f"{len(names)} names for {len(groups)} objects.",
        "give one name per object (comma separated) or none.",
    )
    return [
        {
            "name": names[i] if names else f"object_{i + 1}",
            "points": [list(p) for p in g],
            "negative": [list(p) for p in neg],
        }
        for i, g in enumerate(groups)
    ]
