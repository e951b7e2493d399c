"""``track`` strategy: let the video model draft the motion, keep the draft whose objects behave.

For each of ``candidates`` seeds (``seed``, ``seed + 1``, ...) a low-resolution, few-step draft
is generated from the first frame and the motion prompt, the first-frame objects are propagated
through it, and the draft is scored:

- ``survival``: per object, the fraction of frames where it keeps at least ``min_area_ratio``
  of its frame-0 area (objects that vanish or shrink to specks mean a broken draft); mean over
  objects;
- ``motion``: the largest centroid travel of any object, relative to ``motion_ref`` of the image
  diagonal, capped at 1 (a still draft is useless as a motion source);
- ``background_stillness``: 1 minus the mean absolute RGB change of pixels that are background
  in both frame 0 and frame t, relative to ``still_tol`` (camera shake and flicker score low).

``total`` is their weighted sum; the best total wins, ties going to the earlier candidate, so
the choice depends only on the seed. The winner is resized to the objects' size, resampled to
``num_frames`` and its frame 0 replaced by the input objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from ..callbacks import InterruptFn, ProgressFn, check_interrupt, report
from ..errors import require
from ..types import MaskTrajectory, ObjectSet, PromptPlan
from ..images import as_image
from .drafts import DraftFn, PropagateFn, diffusers_draft_fn, sam2_propagate_fn
from .measure import label_stats
from .timeline import resample_time_nearest


@dataclass(frozen=True)
class TrackWeights:
    survival: float = 0.4
    motion: float = 0.3
    background_stillness: float = 0.3


def score_draft(
    frames: torch.Tensor,
    traj: MaskTrajectory,
    *,
    weights: TrackWeights = TrackWeights(),
    min_area_ratio: float = 0.2,
    motion_ref: float = 0.05,
    still_tol: float = 0.1,
) -> dict[str, float]:
    """Scores of one draft ``frames [T, h, w, 3]`` and its propagated trajectory (same size)."""
    areas, cents = label_stats(traj.labels, traj.num_objects)
    base = areas[0].clamp_min(1)
    survival = float((areas >= min_area_ratio * base).double().mean()) if traj.num_objects else 1.0
    diag = (traj.width**2 + traj.height**2) ** 0.5
    travel = (cents - cents[:1]).norm(dim=-1).nan_to_num(0.0)  # [T, K]
    motion = float((travel.amax() / (motion_ref * diag)).clamp(max=1.0)) if travel.numel() else 0.0
    still = 1.0
    if traj.num_frames > 1:
        bg0 = traj.labels[0] == 0
        diffs = []
        for t in range(1, traj.num_frames):
            bg = bg0 & (traj.labels[t] == 0)
            n = int(bg.sum())
            if n:
                diffs.append(float((frames[t] - frames[0]).abs().mean(-1)[bg].mean()))
        if diffs:
            still = max(0.0, 1.0 - (sum(diffs) / len(diffs)) / still_tol)
    total = weights.survival * survival + weights.motion * motion + weights.background_stillness * still
    return {"survival": survival, "motion": motion, "background_stillness": still, "total": total}


def _prompt(source: Any) -> str:
    if isinstance(source, PromptPlan):
        text = source.motion_prompt.strip() or source.global_prompt
    else:
        text = source
    require(
        isinstance(text, str) and text.strip() != "", "source", "track mode needs a motion prompt (text or PromptPlan)."
    )
    return text.strip()


def draft_size_for(height: int, width: int, long_side: int = 320, multiple: int = 32) -> tuple[int, int]:
    """Low-resolution draft size: aspect kept, long side at most ``long_side`` (never upscaled
    beyond the image), both sides multiples of ``multiple`` (Wan 2.2 5B needs 32, 2.1 needs 16)."""
    s = min(long_side, max(height, width)) / max(height, width)
    return (
        max(multiple, round(height * s / multiple) * multiple),
        max(multiple, round(width * s / multiple) * multiple),
    )


def objects_at(objects: ObjectSet, height: int, width: int) -> ObjectSet:
    """Nearest-resized objects; an object too small to survive keeps one pixel at its centroid."""
    if (height, width) == (objects.height, objects.width):
        return objects
    small = F.interpolate(objects.labels[None, None].float(), size=(height, width), mode="nearest-exact")[0, 0].long()
    present = torch.bincount(small.flatten(), minlength=objects.num_objects + 1)[1:]
    for i, c in enumerate(objects.centroids()):
        if present[i] == 0:
            x = min(width - 1, int(c[0] * width / objects.width))
            y = min(height - 1, int(c[1] * height / objects.height))
            small[y, x] = i + 1
    return ObjectSet(small, list(objects.names))


def _check_frames(frames: Any, num_frames: int, height: int, width: int) -> torch.Tensor:
    require(
        isinstance(frames, torch.Tensor) and frames.ndim == 4 and frames.shape[-1] == 3,
        "draft_fn",
        f"must return frames [T, H, W, 3], got {getattr(frames, 'shape', type(frames).__name__)}.",
    )
    require(frames.shape[0] == num_frames, "draft_fn", f"returned {frames.shape[0]} frames, expected {num_frames}.")
    frames = frames.float().cpu()
    if tuple(frames.shape[1:3]) != (height, width):
        frames = F.interpolate(frames.permute(0, 3, 1, 2), size=(height, width), mode="bilinear", align_corners=False)
        frames = frames.permute(0, 2, 3, 1)
    return frames.clamp(0, 1)


def track_motion(
    objects: ObjectSet,
    source: Any,
    num_frames: int,
    *,
    image: Any = None,
    pipe: Any = None,
    predictor: Any = None,
    draft_fn: DraftFn | None = None,
    propagate_fn: PropagateFn | None = None,
    candidates: int = 3,
    steps: int = 8,
    seed: int = 0,
    draft_size: tuple[int, int] | None = None,
    guidance_scale: float = 5.0,
    negative_prompt: str | None = None,
    weights: TrackWeights | None = None,
    fps: float = 16.0,
    progress: ProgressFn | None = None,
    interrupt: InterruptFn | None = None,
) -> MaskTrajectory:
    prompt = _prompt(source)
    require(image is not None, "image", "track mode drafts a video from the first frame.", "pass the input image.")
    image = as_image(image)
    require(isinstance(candidates, int) and candidates >= 1, "candidates", f"must be >= 1, got {candidates!r}.")
    require(isinstance(steps, int) and steps >= 1, "steps", f"must be >= 1, got {steps!r}.")
    if draft_fn is None:
        require(
            pipe is not None,
            "pipe",
            "track mode needs the video model (or a draft_fn).",
            "connect the TTM video model.",
        )
        draft_fn = diffusers_draft_fn(pipe, guidance_scale=guidance_scale, negative_prompt=negative_prompt)
    if propagate_fn is None:
        require(predictor is not None, "predictor", "track mode needs a SAM2 video predictor (or a propagate_fn).")
        propagate_fn = sam2_propagate_fn(predictor, fps=fps, interrupt=interrupt)
    h, w = draft_size or draft_size_for(objects.height, objects.width)
    require(h >= 1 and w >= 1, "draft_size", f"must be positive (height, width), got {draft_size!r}.")
    draft_frames = num_frames if (num_frames - 1) % 4 == 0 else (num_frames - 1) // 4 * 4 + 5
    small = objects_at(objects, h, w)
    weights = weights or TrackWeights()
    best: tuple[float, int, MaskTrajectory, dict] | None = None
    all_totals: dict[str, float] = {}
    for i in range(candidates):
        check_interrupt(interrupt)
        frames = draft_fn(image, prompt, num_frames=draft_frames, height=h, width=w, steps=steps, seed=seed + i)
        frames = _check_frames(frames, draft_frames, h, w)
        check_interrupt(interrupt)
        traj = propagate_fn(frames, small)
        require(
            isinstance(traj, MaskTrajectory)
            and traj.num_frames == draft_frames
            and (traj.height, traj.width) == (h, w)
            and traj.num_objects == objects.num_objects,
            "propagate_fn",
            f"must return a MaskTrajectory of {draft_frames} frames at {w}x{h} with "
            f"{objects.num_objects} objects, got {traj!r}.",
        )
        scores = score_draft(frames, traj, weights=weights)
        all_totals[f"candidate_{i}_total"] = scores["total"]
        if best is None or scores["total"] > best[0]:
            best = (scores["total"], i, traj, scores)
        report(progress, i + 1, candidates)
    _, index, traj, scores = best
    labels = traj.labels[resample_time_nearest(traj.num_frames, num_frames)]
    if (h, w) != (objects.height, objects.width):
        labels = F.interpolate(labels[:, None].float(), size=(objects.height, objects.width), mode="nearest-exact")
        labels = labels[:, 0].to(torch.uint8)
    labels[0] = objects.labels.to(torch.uint8)
    _, cents = label_stats(labels, objects.num_objects)
    return MaskTrajectory(
        labels,
        list(objects.names),
        fps,
        anchors=cents.to(torch.float32),
        scores={**scores, "candidate": float(index), "seed": float(seed + index), **all_totals},
    )
