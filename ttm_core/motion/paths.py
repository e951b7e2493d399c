"""``paths`` strategy: each object's anchor (its frame-0 mask centroid) follows a point path.

Accepted ``source`` (pixels, or fractions of the image size; auto-detected when every value is
within 0..1, pass ``normalized=True`` for normalised paths that leave the frame):
- a dict ``{object name: path}``, a path being points ``[[x, y], ...]`` / ``[{"x", "y"}, ...]``
  or such a coordinate string;
- a list aligned with the objects (``None`` or ``[]`` = that object stays still);
- one string holding several paths: a KJNodes SplineEditor/PointsEditor string or core
  ``WanTrackToVideo`` track JSON; path i drives object i, objects beyond the last path stay still.

Timing: ``"arc"`` moves at constant speed along the path (drawn paths); ``"time"`` treats the
points as evenly spaced samples in time (tracks, ``SplineEditor`` time sampling); ``"auto"``
(default) picks ``"time"`` when a path has at least as many points as the clip has frames.

Anchoring: ``"relative"`` (default) translates the path so its first point sits on the
object's centroid, so a path drawn roughly on the object never makes it jump; ``"absolute"``
follows the points as drawn, the first point snapping to the centroid (frame 0 is the input).

``scale`` (per object, about the anchor): a number is the end scale reached linearly from 1;
a list is sampled evenly over the clip and read relative to its first value.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from ..callbacks import InterruptFn, ProgressFn
from ..coords import parse_point_lists
from ..errors import TTMInputError, require
from ..types import MaskTrajectory, ObjectSet
from .affine import similarity_affines
from .compose import compose_affine_trajectory
from .measure import object_geometry
from .timeline import frame_times

TIMINGS = ("auto", "arc", "time")
ANCHORS = ("relative", "absolute")


def _parse_one(value: Any, where: str, objects: ObjectSet, normalized: bool | None) -> np.ndarray | None:
    if value is None:
        return None
    lists = parse_point_lists(
        value, where, width=objects.width, height=objects.height, normalized=normalized, inside=False
    )
    if not lists or not lists[0]:
        return None
    require(len(lists) == 1, where, f"holds {len(lists)} paths; one object takes one path.")
    return np.asarray(lists[0], dtype=np.float64)


def _is_aligned_list(source: Sequence) -> bool:
    return any(item is None or isinstance(item, str) for item in source)


def parse_paths(
    source: Any,
    objects: ObjectSet,
    *,
    normalized: bool | None = None,
    input_name: str = "paths",
) -> list[np.ndarray | None]:
    """One ``[N, 2]`` pixel path (or None = still) per object, in label order."""
    k = objects.num_objects
    paths: list[np.ndarray | None] = [None] * k
    if isinstance(source, dict):
        unknown = sorted(set(source) - set(objects.names))
        require(
            not unknown,
            input_name,
            f"names paths for {unknown}, which are not among the objects {objects.names}.",
            "key the paths by the segmentation names.",
        )
        for name, value in source.items():
            paths[objects.index(name) - 1] = _parse_one(value, f"{input_name}[{name!r}]", objects, normalized)
    elif isinstance(source, (list, tuple)) and source and _is_aligned_list(source):
        require(
            len(source) <= k,
            input_name,
            f"gives {len(source)} paths for {k} objects.",
            "give at most one path per object.",
        )
        for i, value in enumerate(source):
            paths[i] = _parse_one(value, f"{input_name}[{i}]", objects, normalized)
    elif isinstance(source, (str, list, tuple)):
        lists = parse_point_lists(
            source, input_name, width=objects.width, height=objects.height, normalized=normalized, inside=False
        )
        require(
            len(lists) <= k,
            input_name,
            f"holds {len(lists)} paths but there are only {k} objects {objects.names}.",
            "remove the extra splines/tracks or add objects; path i drives object i.",
        )
        for i, pts in enumerate(lists):
            paths[i] = np.asarray(pts, dtype=np.float64) if pts else None
    else:
        raise TTMInputError(
            input_name,
            "expected a dict of paths by object name, a list of paths or a coordinate string, "
            f"got {type(source).__name__}.",
        )
    for i, p in enumerate(paths):
        if p is not None:
            require(
                len(p) >= 2,
                _where(input_name, source, objects, i),
                f"has a single point {p[0].tolist()}; a path needs at least 2 points (start and end).",
                "add an end point, or leave the object without a path to keep it still.",
            )
    return paths


def _where(input_name: str, source: Any, objects: ObjectSet, i: int) -> str:
    if isinstance(source, dict):
        return f"{input_name}[{objects.names[i]!r}]"
    return f"{input_name}[{i}] (object {objects.names[i]!r})"


def resample_path(points: np.ndarray, num_frames: int, timing: str) -> np.ndarray:
    """``[T, 2]`` positions at the clip's frame times."""
    times = frame_times(num_frames).numpy()
    if timing == "auto":
        timing = "time" if len(points) >= num_frames else "arc"
    if timing == "time":
        src_t = np.linspace(0.0, 1.0, len(points))
        return np.stack([np.interp(times, src_t, points[:, d]) for d in range(2)], -1)
    return arc_positions(points, times)


def arc_positions(points: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """``[len(fractions), 2]`` points at those fractions (0..1) of the polyline's length.

    Constant speed along the drawn path; repeated points are skipped. The editor's browser
    preview (``web/ttm_motion_math.js``) mirrors this function.
    """
    fractions = np.asarray(fractions, dtype=np.float64)
    keep = np.concatenate([[True], np.any(np.diff(points, axis=0) != 0, axis=1)])
    pts = points[keep]
    if len(pts) < 2:
        return np.repeat(points[:1], len(fractions), axis=0)
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    target = fractions * cum[-1]
    return np.stack([np.interp(target, cum, pts[:, d]) for d in range(2)], -1)


def _per_object(value: Any, objects: ObjectSet, input_name: str) -> list[Any]:
    k = objects.num_objects
    if value is None:
        return [None] * k
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(objects.names))
        require(not unknown, input_name, f"mentions {unknown}, which are not among the objects {objects.names}.")
        return [value.get(n) for n in objects.names]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [value] * k
    require(
        isinstance(value, (list, tuple)),
        input_name,
        f"expected a number, a list or a dict by object name, got {value!r}.",
    )
    require(len(value) <= k, input_name, f"gives {len(value)} values for {k} objects.")
    return list(value) + [None] * (k - len(value))


def scale_curve(value: Any, num_frames: int, where: str) -> np.ndarray:
    """Per-frame scale: a number is the end scale (from 1), a list is relative to its first value."""
    times = frame_times(num_frames).numpy()
    if value is None:
        return np.ones(num_frames)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        values = [1.0, value]
    else:
        require(
            isinstance(value, (list, tuple)) and len(value) >= 1,
            where,
            f"expected a number or a list of numbers, got {value!r}.",
        )
        values = list(value)
    ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) and v > 0 for v in values)
    require(ok, where, f"scales must be finite numbers > 0, got {value!r}.")
    arr = np.asarray(values, dtype=np.float64) / float(values[0])
    if len(arr) == 1:
        return np.ones(num_frames)
    return np.interp(times, np.linspace(0.0, 1.0, len(arr)), arr)


def paths_motion(
    objects: ObjectSet,
    source: Any,
    num_frames: int,
    *,
    fps: float = 16.0,
    timing: str = "auto",
    anchor: str = "relative",
    normalized: bool | None = None,
    scale: Any = None,
    z: Any = None,
    progress: ProgressFn | None = None,
    interrupt: InterruptFn | None = None,
    input_name: str = "paths",
) -> MaskTrajectory:
    require(timing in TIMINGS, "timing", f"must be one of {TIMINGS}, got {timing!r}.")
    require(anchor in ANCHORS, "anchor", f"must be one of {ANCHORS}, got {anchor!r}.")
    paths = parse_paths(source, objects, normalized=normalized, input_name=input_name)
    centroids = object_geometry(objects.labels, objects.num_objects)[0]
    k = objects.num_objects
    shift = np.zeros((num_frames, k, 2))
    for i, p in enumerate(paths):
        if p is None:
            continue
        if anchor == "absolute":
            p = np.concatenate([centroids[i : i + 1], p[1:]], 0)
        pos = resample_path(p, num_frames, timing)
        shift[:, i] = pos - pos[0]
    scales = np.stack(
        [
            scale_curve(v, num_frames, f"scale[{objects.names[i]!r}]")
            for i, v in enumerate(_per_object(scale, objects, "scale"))
        ],
        1,
    )
    zs = []
    for name, v in zip(objects.names, _per_object(z, objects, "z")):
        ok = v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v))
        require(ok, f"z[{name!r}]", f"must be a finite number (higher = in front), got {v!r}.")
        zs.append(0.0 if v is None else float(v))
    depth = torch.tensor(zs, dtype=torch.float64).expand(num_frames, k).clone()
    affines = similarity_affines(
        torch.from_numpy(centroids), torch.from_numpy(shift), torch.from_numpy(scales), torch.zeros(num_frames, k)
    )
    return compose_affine_trajectory(objects, affines, depth, fps=fps, progress=progress, interrupt=interrupt)
