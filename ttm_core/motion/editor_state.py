"""The motion editor's state (a JSON text that saves with the workflow) and what it builds.

The state names the objects and, per object, its SAM2 clicks and its motion::

    {"version": 1, "objects": [
        {"name": "ball", "points": [[233, 326]], "negative": [],
         "path": [[233, 326], [380, 300], [520, 330]],
         "start": 0.0, "end": 1.0, "easing": "linear", "end_scale": 1.0, "rotation": 0.0, "z": 0}]}

Coordinates are pixels of the first frame (pixel centres, as everywhere in the pack). Every key
but ``name`` is optional; an object without a ``path`` (or with fewer than two handles) stays
still. The trajectory is built by the shared stage-1 back end
(:func:`~ttm_core.motion.compose.compose_affine_trajectory`) from the motion of
:mod:`.editor_math`, which the browser preview mirrors. Every malformed value raises
:class:`~ttm_core.errors.TTMInputError` naming ``editor_state.objects[i].key``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..callbacks import InterruptFn, ProgressFn
from ..coords import parse_point_lists
from ..errors import TTMInputError, require
from ..types import MaskTrajectory, ObjectSet
from .affine import similarity_affines
from .compose import compose_affine_trajectory
from .editor_math import EASINGS, object_motion
from .measure import object_geometry
from .timeline import check_num_frames, frame_times

STATE_VERSION = 1
OBJECT_KEYS = ("name", "points", "negative", "path", "start", "end", "easing", "end_scale", "rotation", "z")
EXAMPLE = '{"version": 1, "objects": [{"name": "ball", "points": [[233, 326]], "path": [[233, 326], [520, 330]]}]}'

Point = tuple[float, float]


@dataclass
class EditorObject:
    """One object of the editor: SAM2 clicks and its motion (see the module doc)."""

    name: str
    points: list[Point] = field(default_factory=list)
    negative: list[Point] = field(default_factory=list)
    path: list[Point] = field(default_factory=list)
    start: float = 0.0
    end: float = 1.0
    easing: str = "linear"
    end_scale: float = 1.0
    rotation: float = 0.0
    z: float = 0.0


@dataclass
class EditorState:
    objects: list[EditorObject]

    @property
    def names(self) -> list[str]:
        return [o.name for o in self.objects]


# ---- parsing and validation ---------------------------------------------------------------------
def _number(value: Any, where: str, what: str) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value))
    require(ok, where, f"must be a finite number ({what}), got {value!r}.")
    return float(value)


def _points(value: Any, where: str) -> list[Point]:
    if value is None:
        return []
    require(isinstance(value, list), where, f"expected a list of [x, y] points, got {value!r}.")
    lists = parse_point_lists(value, where, normalized=False, inside=False)
    require(len(lists) <= 1, where, "holds several lists; give one flat list of [x, y] points.")
    return [tuple(p) for p in (lists[0] if lists else [])]


def _object(item: Any, where: str) -> EditorObject:
    require(isinstance(item, dict), where, f"expected an object {{\"name\": ..., ...}}, got {item!r}.")
    unknown = sorted(set(item) - set(OBJECT_KEYS))
    require(not unknown, where, f"has unknown keys {unknown}.", f"use only {list(OBJECT_KEYS)}.")
    name = item.get("name")
    require(isinstance(name, str) and name.strip() != "", f"{where}.name", f"must be a non-empty text, got {name!r}.")
    obj = EditorObject(name=name.strip())
    obj.points = _points(item.get("points"), f"{where}.points")
    obj.negative = _points(item.get("negative"), f"{where}.negative")
    obj.path = _points(item.get("path"), f"{where}.path")
    obj.start = _number(item.get("start", 0.0), f"{where}.start", "clip time 0..1")
    obj.end = _number(item.get("end", 1.0), f"{where}.end", "clip time 0..1")
    require(
        0.0 <= obj.start < obj.end <= 1.0,
        f"{where}.start",
        f"start {obj.start:g} and end {obj.end:g} must satisfy 0 <= start < end <= 1.",
        "set start to 0 and end to 1 (the whole clip), or a shorter span inside it.",
    )
    easing = item.get("easing", "linear")
    require(easing in EASINGS, f"{where}.easing", f"must be one of {list(EASINGS)}, got {easing!r}.")
    obj.easing = easing
    obj.end_scale = _number(item.get("end_scale", 1.0), f"{where}.end_scale", "size at the end, 1 = unchanged")
    require(obj.end_scale > 0, f"{where}.end_scale", f"must be > 0, got {obj.end_scale:g}.", "use 1 to keep the size.")
    obj.rotation = _number(item.get("rotation", 0.0), f"{where}.rotation", "degrees, clockwise")
    obj.z = _number(item.get("z", 0.0), f"{where}.z", "higher = in front")
    return obj


def parse_editor_state(source: Any, input_name: str = "editor_state") -> EditorState:
    """An :class:`EditorState` from the widget's JSON text (or its dict)."""
    if isinstance(source, EditorState):
        return source
    data = source
    if isinstance(source, str):
        text = source.strip()
        require(text != "", input_name, "is empty.", f"click objects in the editor, or paste a state like {EXAMPLE}.")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TTMInputError(
                input_name, f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).",
                f"fix the text or reset it to a valid state like {EXAMPLE}.",
            ) from exc
    require(isinstance(data, dict), input_name, f"expected a JSON object with 'objects', got {type(data).__name__}.",
            f"use a state like {EXAMPLE}.")
    version = data.get("version", STATE_VERSION)
    require(version == STATE_VERSION, f"{input_name}.version", f"must be {STATE_VERSION}, got {version!r}.")
    unknown = sorted(set(data) - {"version", "objects"})
    require(not unknown, input_name, f"has unknown keys {unknown}.", "keep only 'version' and 'objects'.")
    items = data.get("objects", [])
    require(isinstance(items, list), f"{input_name}.objects", f"expected a list of objects, got {items!r}.")
    objects = [_object(item, f"{input_name}.objects[{i}]") for i, item in enumerate(items)]
    names = [o.name for o in objects]
    dupes = sorted({n for n in names if names.count(n) > 1})
    require(not dupes, f"{input_name}.objects", f"names {dupes} more than once.", "give every object its own name.")
    return EditorState(objects)


def check_inside(state: EditorState, width: int, height: int, input_name: str = "editor_state") -> None:
    """Clicks must lie on the image; path handles may leave it by at most one image size."""
    for i, obj in enumerate(state.objects):
        for key in ("points", "negative"):
            for x, y in getattr(obj, key):
                require(
                    0 <= x <= width and 0 <= y <= height,
                    f"{input_name}.objects[{i}].{key}",
                    f"point ({x:g}, {y:g}) of {obj.name!r} lies outside the {width}x{height} image.",
                    "click inside the image (pixels, origin top-left) or delete the point.",
                )
        for x, y in obj.path:
            require(
                -width <= x <= 2 * width and -height <= y <= 2 * height,
                f"{input_name}.objects[{i}].path",
                f"handle ({x:g}, {y:g}) of {obj.name!r} lies more than one image size outside the {width}x{height} image.",
                "drag the handle back towards the image or delete the path.",
            )


def check_names(state: EditorState, objects: ObjectSet, input_name: str = "editor_state") -> None:
    """Every object the state names must be among the connected objects."""
    unknown = [n for n in state.names if n not in objects.names]
    require(
        not unknown,
        f"{input_name}.objects",
        f"names {unknown}, which are not among the objects {objects.names}.",
        "rename them to one of those objects, or delete them in the editor.",
    )


# ---- outputs ------------------------------------------------------------------------------------
def sam2_prompts(state: EditorState, input_name: str = "editor_state") -> list[dict]:
    """Per-object prompts for :func:`ttm_core.segment.segment_image` (every object needs a click)."""
    require(state.objects != [], f"{input_name}.objects", "is empty: there is nothing to segment.",
            "click an object in the editor (each plain click on the image adds one).")
    for i, obj in enumerate(state.objects):
        require(obj.points != [], f"{input_name}.objects[{i}].points", f"object {obj.name!r} has no click.",
                "click on the object, or connect TTM_OBJECTS to the editor's objects input.")
    return [{"name": o.name, "points": [list(p) for p in o.points], "negative": [list(p) for p in o.negative]}
            for o in state.objects]


def _xy(points) -> list[dict]:
    return [{"x": round(float(x), 3), "y": round(float(y), 3)} for x, y in points]


def points_strings(state: EditorState) -> tuple[str, str, str]:
    """``(positive_points, negative_points, object_names)`` as ``TTM Segment Objects`` reads them."""
    positive = json.dumps([_xy(o.points) for o in state.objects]) if state.objects else ""
    negative = ""
    if any(o.negative for o in state.objects):
        negative = json.dumps([_xy(o.negative) for o in state.objects])
    return positive, negative, ", ".join(state.names)


def editor_motion(
    state: EditorState, objects: ObjectSet, num_frames: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, np.ndarray]:
    """``(shift [T,K,2], scale [T,K], rot [T,K], z [T,K], centroids [K,2])`` for the objects' labels."""
    times = frame_times(num_frames).numpy()
    centroids = object_geometry(objects.labels, objects.num_objects)[0]
    k = objects.num_objects
    shift, scale = np.zeros((num_frames, k, 2)), np.ones((num_frames, k))
    rot, depth = np.zeros((num_frames, k)), np.zeros((num_frames, k))
    by_name = {o.name: o for o in state.objects}
    for i, name in enumerate(objects.names):
        obj = by_name.get(name)
        if obj is None:
            continue
        handles = np.asarray(obj.path, dtype=np.float64) if len(obj.path) >= 2 else None
        shift[:, i], scale[:, i], rot[:, i] = object_motion(
            handles, centroids[i], times, start=obj.start, end=obj.end, easing=obj.easing,
            end_scale=obj.end_scale, rotation=obj.rotation,
        )
        depth[:, i] = obj.z
    as_t = torch.from_numpy
    return as_t(shift), as_t(scale), as_t(rot), as_t(depth), centroids


def editor_trajectory(
    state: Any,
    objects: ObjectSet,
    num_frames: int,
    *,
    fps: float = 16.0,
    progress: ProgressFn | None = None,
    interrupt: InterruptFn | None = None,
    input_name: str = "editor_state",
) -> MaskTrajectory:
    """The :class:`MaskTrajectory` the editor state describes for ``objects`` (matched by name)."""
    state = parse_editor_state(state, input_name)
    num_frames = check_num_frames(num_frames)
    check_inside(state, objects.width, objects.height, input_name)
    check_names(state, objects, input_name)
    shift, scale, rot, depth, centroids = editor_motion(state, objects, num_frames)
    affines = similarity_affines(torch.from_numpy(centroids), shift, scale, rot)
    return compose_affine_trajectory(objects, affines, depth, fps=fps, progress=progress, interrupt=interrupt)


def paths_string(state: Any, objects: ObjectSet, num_frames: int) -> str:
    """One path per object (object order), one point per frame: the centroid's positions.

    ``TTM Image-to-Motion (paths)`` (timing auto = one point per frame, anchor relative) and
    KJNodes-style consumers read it; scale and rotation are not part of a path.
    """
    state = parse_editor_state(state)
    shift, _, _, _, centroids = editor_motion(state, objects, check_num_frames(num_frames))
    moving = {o.name for o in state.objects if len(o.path) >= 2}
    out = []
    for i, name in enumerate(objects.names):
        out.append(_xy(centroids[i] + shift[:, i].numpy()) if name in moving else [])
    return json.dumps(out)
