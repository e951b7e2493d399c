"""``plan`` strategy: per-object keyframes interpolated over the clip, masks warped by affines.

Keyframe semantics (see :func:`ttm_core.types.normalize_keyframes`): ``t`` in 0..1 over the
clip; ``dx``/``dy`` move the centroid from its frame-0 position by fractions of the image
width/height (+x right, +y down); ``scale`` and ``rot`` (degrees, positive = clockwise
on screen, see :mod:`.affine`) act about the centroid; ``z`` orders overlaps (higher in front).
Each keyframe is a complete state: omitted values take their defaults (dx=dy=0, scale=1,
rot=0, z=0). Values are interpolated linearly between keyframes, the segment's local time
shaped by the ``ease`` of the keyframe that ends it (``linear`` or ``ease_in_out`` =
smoothstep); before the first keyframe an implicit identity keyframe sits at t=0 (with the
first keyframe's ``z``, so the order does not change by accident); after the last keyframe the
object holds its last state. Frame 0 always shows the input, so a keyframe at t=0 must leave
the geometry unchanged (it may set ``z``).
"""

from __future__ import annotations

from typing import Any

import torch

from ..callbacks import InterruptFn, ProgressFn
from ..errors import require
from ..types import MaskTrajectory, ObjectSet, PromptPlan, normalize_keyframes
from .affine import similarity_affines
from .compose import compose_affine_trajectory
from .measure import object_geometry
from .timeline import ease, frame_times

_FIELDS = ("dx", "dy", "scale", "rot", "z")


def as_plan(source: Any, input_name: str = "plan") -> PromptPlan:
    """A :class:`PromptPlan`, its dict or JSON text, or a bare ``{name: [keyframes]}`` mapping."""
    if isinstance(source, PromptPlan):
        return source
    if isinstance(source, str):
        return PromptPlan.from_json(source, input_name)
    if isinstance(source, dict) and "global_prompt" not in source:
        keyframes = source.get("keyframes", source) if isinstance(source.get("keyframes"), dict) else source
        return PromptPlan("(keyframes only)", keyframes=keyframes)
    require(isinstance(source, dict), input_name, f"expected a PromptPlan, got {type(source).__name__}.")
    return PromptPlan.from_dict(source, input_name)


def _check_start(frames: list[dict], where: str) -> None:
    first = frames[0]
    if first["t"] > 0.0:
        return
    moved = [k for k, neutral in (("dx", 0.0), ("dy", 0.0), ("scale", 1.0), ("rot", 0.0)) if first[k] != neutral]
    require(
        not moved,
        f"{where}[0]",
        f"at t=0 sets {moved}, but frame 0 must show the object exactly as in the image.",
        "start from dx=0, dy=0, scale=1, rot=0 at t=0 (or omit the t=0 keyframe) and move later.",
    )


def keyframe_states(frames: list[dict], times: torch.Tensor) -> torch.Tensor:
    """``[T, 5]`` (dx, dy, scale, rot, z) at each clip time; dx/dy still as fractions."""
    if not frames:
        return torch.tensor([[0.0, 0.0, 1.0, 0.0, 0.0]], dtype=torch.float64).repeat(len(times), 1)
    if frames[0]["t"] > 0.0:
        start = {"t": 0.0, "dx": 0.0, "dy": 0.0, "scale": 1.0, "rot": 0.0, "z": frames[0]["z"], "ease": "linear"}
        frames = [start, *frames]
    kt = torch.tensor([f["t"] for f in frames], dtype=torch.float64)
    values = torch.tensor([[f[k] for k in _FIELDS] for f in frames], dtype=torch.float64)
    out = values[-1].repeat(len(times), 1)
    for i in range(len(frames) - 1):
        t0, t1 = kt[i], kt[i + 1]
        last = i == len(frames) - 2
        sel = (times >= t0) & ((times < t1) | (last & (times <= t1)))
        if not bool(sel.any()):
            continue
        u = ease((times[sel] - t0) / (t1 - t0), frames[i + 1]["ease"]).unsqueeze(-1)
        out[sel] = values[i] + (values[i + 1] - values[i]) * u
    return out


def plan_motion(
    objects: ObjectSet,
    source: Any,
    num_frames: int,
    *,
    fps: float = 16.0,
    progress: ProgressFn | None = None,
    interrupt: InterruptFn | None = None,
    input_name: str = "plan",
) -> MaskTrajectory:
    plan = as_plan(source, input_name)
    plan.check_names(objects.names, input_name)
    times = frame_times(num_frames)
    states = []
    for name in objects.names:
        where = f"{input_name}.keyframes[{name!r}]"
        frames = normalize_keyframes(list(plan.keyframes.get(name, [])), where)
        if frames:
            _check_start(frames, where)
        states.append(keyframe_states(frames, times))
    st = torch.stack(states, 1)  # [T, K, 5]
    size = torch.tensor([objects.width, objects.height], dtype=torch.float64)
    shift = st[..., 0:2] * size
    centroids = torch.from_numpy(object_geometry(objects.labels, objects.num_objects)[0])
    affines = similarity_affines(centroids, shift, st[..., 2], st[..., 3])
    return compose_affine_trajectory(objects, affines, st[..., 4], fps=fps, progress=progress, interrupt=interrupt)
