"""Coordinate strings from the ecosystem, parsed once for every node that takes points.

Accepted (as JSON text, single quotes tolerated as core ComfyUI does, or as Python objects):
- KJNodes PointsEditor / SplineEditor: ``[{"x": 10, "y": 20}, ...]`` or a list of such lists
  (several splines);
- core ``WanTrackToVideo`` tracks: a list of tracks, each a list of ``{"x", "y"}``;
- plain pairs: ``[[10, 20], ...]`` or ``[[[10, 20], ...], ...]``;
- boxes: ``[[x0, y0, x1, y1], ...]`` (``xyxy``) or ``xywh``, also KJNodes BBOX tuples.
Coordinates are pixels, or fractions of the image size when ``normalized`` (auto: every value
within 0..1).
"""

from __future__ import annotations

import json
import math
from typing import Any, Sequence

from .errors import TTMInputError, require

Point = tuple[float, float]
Box = tuple[float, float, float, float]


def _load(value: Any, input_name: str) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            try:
                return json.loads(text.replace("'", '"'))
            except json.JSONDecodeError as exc:
                raise TTMInputError(
                    input_name,
                    f"is not a valid coordinate string ({exc.msg} at character {exc.pos}).",
                    'use JSON like [{"x": 100, "y": 200}] or [[100, 200]].',
                ) from exc
    return value


def _point(item: Any, where: str) -> Point:
    if isinstance(item, dict):
        require("x" in item and "y" in item, where, f"a point needs 'x' and 'y', got {item!r}.")
        x, y = item["x"], item["y"]
    elif isinstance(item, (list, tuple)) and len(item) == 2:
        x, y = item
    else:
        raise TTMInputError(where, f"expected a point {{'x': .., 'y': ..}} or [x, y], got {item!r}.")
    for v in (x, y):
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))
        require(ok, where, f"coordinates must be finite numbers, got {item!r}.")
    return float(x), float(y)


def _is_point(item: Any) -> bool:
    if isinstance(item, dict):
        return "x" in item
    return isinstance(item, (list, tuple)) and len(item) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in item
    )


def _scale(lists: list[list[Point]], width, height, normalized, input_name) -> list[list[Point]]:
    values = [abs(c) for pts in lists for p in pts for c in p]
    if normalized is None:
        normalized = bool(values) and max(values) <= 1.0 and width is not None and height is not None
    if not normalized:
        return lists
    require(width is not None and height is not None, input_name, "normalised points need the image size.")
    return [[(x * width, y * height) for x, y in pts] for pts in lists]


def _check_inside(lists: list[list[Point]], width, height, input_name) -> None:
    if width is None or height is None:
        return
    for i, pts in enumerate(lists):
        for x, y in pts:
            require(
                0 <= x <= width and 0 <= y <= height,
                input_name,
                f"point ({x:g}, {y:g}) in list {i} lies outside the {width}x{height} image.",
                "place points inside the image (pixels, origin top-left) or use normalised 0..1 values.",
            )


def parse_point_lists(
    value: Any,
    input_name: str,
    *,
    width: int | None = None,
    height: int | None = None,
    normalized: bool | None = None,
    inside: bool = True,
) -> list[list[Point]]:
    """Parse one or several point lists (splines, tracks, per-object clicks) into pixels."""
    data = _load(value, input_name)
    require(isinstance(data, (list, tuple)), input_name, f"expected a list of points, got {type(data).__name__}.")
    if not data:
        return []
    if all(_is_point(item) for item in data):
        lists = [[_point(p, input_name) for p in data]]
    else:
        lists = []
        for i, sub in enumerate(data):
            where = f"{input_name}[{i}]"
            require(isinstance(sub, (list, tuple)), where, f"expected a list of points, got {sub!r}.")
            lists.append([_point(p, where) for p in sub])
    lists = _scale(lists, width, height, normalized, input_name)
    if inside:
        _check_inside(lists, width, height, input_name)
    return lists


def parse_points(value: Any, input_name: str, **kwargs) -> list[Point]:
    """A flat list of points (e.g. positive clicks of one object)."""
    lists = parse_point_lists(value, input_name, **kwargs)
    return [p for pts in lists for p in pts]


def parse_boxes(
    value: Any,
    input_name: str,
    *,
    width: int | None = None,
    height: int | None = None,
    fmt: str = "xyxy",
    normalized: bool | None = None,
) -> list[Box]:
    """Boxes as ``(x0, y0, x1, y1)`` pixels, clipped to the image; empty boxes are errors."""
    require(fmt in ("xyxy", "xywh"), "box_format", f"must be 'xyxy' or 'xywh', got {fmt!r}.")
    data = _load(value, input_name)
    if isinstance(data, (list, tuple)) and len(data) == 4 and all(isinstance(v, (int, float)) for v in data):
        data = [data]
    require(isinstance(data, (list, tuple)), input_name, f"expected a list of boxes, got {type(data).__name__}.")
    boxes: list[Box] = []
    for i, b in enumerate(data):
        where = f"{input_name}[{i}]"
        if isinstance(b, dict) and {"startX", "startY", "endX", "endY"} <= set(b):
            b = [b["startX"], b["startY"], b["endX"], b["endY"]]
            this_fmt = "xyxy"
        else:
            this_fmt = fmt
        ok = isinstance(b, (list, tuple)) and len(b) == 4
        ok = ok and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in b)
        require(ok, where, f"expected [x0, y0, x1, y1] numbers, got {b!r}.")
        x0, y0, a, c = (float(v) for v in b)
        x1, y1 = (x0 + a, y0 + c) if this_fmt == "xywh" else (a, c)
        boxes.append((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
    if boxes and normalized:
        require(width is not None and height is not None, input_name, "normalised boxes need the image size.")
    if boxes and normalized is not False and width is not None and height is not None:
        if normalized or max(abs(v) for bx in boxes for v in bx) <= 1.0:
            boxes = [(x0 * width, y0 * height, x1 * width, y1 * height) for x0, y0, x1, y1 in boxes]
    out: list[Box] = []
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        if width is not None and height is not None:
            x0, x1 = max(0.0, x0), min(float(width), x1)
            y0, y1 = max(0.0, y0), min(float(height), y1)
        require(
            x1 > x0 and y1 > y0,
            f"{input_name}[{i}]",
            "the box is empty or lies outside the image.",
            f"draw it inside the {width}x{height} image." if width else None,
        )
        out.append((x0, y0, x1, y1))
    return out


def points_to_json(points: Sequence[Point]) -> str:
    """KJNodes/core style ``[{"x": .., "y": ..}]`` string."""
    return json.dumps([{"x": round(float(x), 3), "y": round(float(y), 3)} for x, y in points])
