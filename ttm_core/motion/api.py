"""``image_to_motion``: stage 1 (design, section 4), one entry point for every strategy."""

from __future__ import annotations

import inspect
from typing import Any

from ..callbacks import InterruptFn, ProgressFn
from ..errors import require
from ..types import MaskTrajectory, ObjectSet
from .timeline import check_num_frames

MODES = ("plan", "paths", "masks", "track")


def image_to_motion(
    objects: ObjectSet,
    source: Any,
    num_frames: int,
    mode: str = "plan",
    *,
    fps: float = 16.0,
    progress: ProgressFn | None = None,
    interrupt: InterruptFn | None = None,
    **options: Any,
) -> MaskTrajectory:
    """Turn first-frame ``objects`` and a motion ``source`` into a :class:`MaskTrajectory`.

    - ``plan``: ``source`` is a :class:`PromptPlan` (or its dict/JSON, or ``{name: keyframes}``);
      objects without keyframes stay still. See :mod:`ttm_core.motion.plan`.
    - ``paths``: per-object point paths; options ``timing`` ("auto"/"arc"/"time"), ``anchor``
      ("relative"/"absolute"), ``normalized``, ``scale``, ``z``. See :mod:`ttm_core.motion.paths`.
    - ``masks``: per-object mask sequences; options ``layout``, ``first_frame``, ``z``.
      See :mod:`ttm_core.motion.masks`.
    - ``track``: ``source`` is the motion prompt (text or PromptPlan); options ``image``,
      ``pipe``/``draft_fn``, ``predictor``/``propagate_fn``, ``candidates``, ``steps``, ``seed``,
      ``draft_size``, ``guidance_scale``, ``weights``. See :mod:`ttm_core.motion.track`.

    Every mode returns frame 0 equal to ``objects.labels`` and one label per pixel. Any
    ``num_frames >= 1`` works here; Wan needs 4k+1 frames, which stage 2 checks.
    """
    require(
        isinstance(objects, ObjectSet), "objects", f"expected TTM objects (ObjectSet), got {type(objects).__name__}."
    )
    require(mode in MODES, "mode", f"must be one of {MODES}, got {mode!r}.")
    num_frames = check_num_frames(num_frames)
    require(isinstance(fps, (int, float)) and fps > 0, "fps", f"must be > 0, got {fps!r}.")
    require(source is not None, "source", f"{mode} mode needs a motion source.", _SOURCE_FIX[mode])
    strategy = _strategy(mode)
    allowed = _options_of(strategy)
    unknown = sorted(set(options) - allowed)
    require(not unknown, "options", f"{mode} mode does not take {unknown}.", f"use {sorted(allowed)}.")
    return strategy(objects, source, num_frames, fps=float(fps), progress=progress, interrupt=interrupt, **options)


def _strategy(mode: str):
    if mode == "plan":
        from .plan import plan_motion

        return plan_motion
    if mode == "paths":
        from .paths import paths_motion

        return paths_motion
    if mode == "masks":
        from .masks import masks_motion

        return masks_motion
    from .track import track_motion

    return track_motion


def _options_of(fn) -> set[str]:
    params = inspect.signature(fn).parameters.values()
    fixed = {"objects", "source", "num_frames", "fps", "progress", "interrupt"}
    return {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY} - fixed


_SOURCE_FIX = {
    "plan": "connect a PromptPlan (TTM prompts) with keyframes.",
    "paths": "connect spline/points editor coordinates or track JSON.",
    "masks": "connect a MASK batch with one mask sequence per object.",
    "track": "give the motion prompt.",
}
