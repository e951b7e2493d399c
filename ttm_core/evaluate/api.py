"""``evaluate_video`` / ``rank_videos``: the entry points of the evaluation (see the package doc)."""

from __future__ import annotations

import math
import time
from typing import Any, Sequence

import numpy as np
import torch

from ..callbacks import InterruptFn, ProgressFn, check_interrupt
from ..errors import require
from ..images import as_video
from ..types import MaskTrajectory
from .clipframe import ImageEncoder, clip_frame
from .flow import FLOW_METHODS, flow_numbers
from .masks import mask_following, nanmean
from .scores import ObjectScores, Ranking, VideoScores
from .segmenters import Segmenter, resolve_segmenter

RANK_KEYS = ("miou", "centroid_error", "visibility")


def _frames(frames: Any) -> torch.Tensor:
    """Float ``[T, H, W, 3]`` frames; a float tensor is checked by its min and max (NaN propagates
    into both), which is ~10x cheaper than an element-wise ``isfinite`` on an 81-frame 832x480 video."""
    if isinstance(frames, torch.Tensor) and frames.is_floating_point() and frames.ndim == 4 and frames.shape[-1] == 3:
        x = frames.detach().cpu().float()
        require(all(s > 0 for s in x.shape), "frames", f"is empty, shape {tuple(x.shape)}.")
        lo, hi = float(x.min()), float(x.max())
        require(math.isfinite(lo) and math.isfinite(hi), "frames", "contains NaN or infinite values.",
                "check the node that made it.")
        require(lo >= -0.01 and hi <= 1.01, "frames", f"values must lie in 0..1, found {lo:.4g}..{hi:.4g}.",
                "divide 0..255 images by 255 (or pass uint8).")
        return x
    return as_video(frames, "frames", single_image=False)


def target_for(frames: torch.Tensor, trajectory: Any, resize: bool = True) -> MaskTrajectory:
    """The target at the frames' size; refuses other lengths and object-less targets.

    ``resize`` stretches the target to the frames (nearest), exactly as stage 2 stretches the
    trajectory to the video size it renders; ``resize=False`` demands equal sizes.
    """
    require(isinstance(trajectory, MaskTrajectory), "trajectory",
            f"expected a MaskTrajectory, got {type(trajectory).__name__}.")
    require(trajectory.num_objects > 0, "trajectory", "has no objects: there is nothing to follow.",
            "build the trajectory from segmented objects (at least one).")
    t, h, w = int(frames.shape[0]), int(frames.shape[1]), int(frames.shape[2])
    require(t == trajectory.num_frames, "frames",
            f"has {t} frames but the trajectory has {trajectory.num_frames}.",
            f"evaluate the video generated from this trajectory ({trajectory.num_frames} frames), or pick the matching trajectory.")
    require(resize or (h, w) == (trajectory.height, trajectory.width), "frames",
            f"are {w}x{h} but the trajectory is {trajectory.width}x{trajectory.height}.",
            "evaluate with resize=True (the target is stretched to the video, as stage 2 does) or use frames of the trajectory's size.")
    target = trajectory.resized(h, w)
    missing = [n for n, c in zip(target.names, target.areas()[0].tolist()) if c == 0]
    require(not missing, "trajectory", f"object(s) {missing} are not in frame 0 at {w}x{h}, so they cannot be tracked from it.",
            "use a trajectory whose frame 0 is the segmentation (every Image-to-Motion mode makes one), or a larger video.")
    return target


def _object_scores(name: str, i: int, mf, diag: float) -> ObjectScores:
    scored = mf.scored
    vis = (mf.pred_visible[scored, i] == mf.target_visible[scored, i]).mean() if scored.any() else float("nan")
    cerr = nanmean(mf.centroid_error[:, i])
    return ObjectScores(
        name=name, miou=nanmean(mf.iou[:, i]), visibility=float(vis), centroid_error_px=cerr,
        centroid_error=cerr / diag, end_point_error_px=float(mf.end_point_error[i]),
        frames_visible=int((mf.target_visible[:, i] & scored).sum()),
        iou=[float(v) for v in mf.iou[:, i]], centroid_errors_px=[float(v) for v in mf.centroid_error[:, i]],
    )


def evaluate_video(
    frames: Any,
    trajectory: MaskTrajectory,
    *,
    sam2: Any = None,
    segmenter: Segmenter | None = None,
    clip: ImageEncoder | None = None,
    flow: str | None = "dis",
    include_first: bool = False,
    min_area: int = 1,
    background_margin: int = 8,
    resize: bool = True,
    progress: ProgressFn | None = None,
    interrupt: InterruptFn | None = None,
) -> VideoScores:
    """Score generated ``frames [T, H, W, 3]`` against the ``trajectory`` they were made from.

    The objects of the trajectory's frame 0 are tracked through the frames by ``segmenter`` (or
    SAM2 video propagation with ``sam2``); the target is stretched (nearest) to the frames' size
    as stage 2 does (``resize=False`` refuses other sizes), so pixel numbers are video pixels. ``flow=None`` skips AD and background stability, ``clip``
    (an image encoder) adds CLIPFrame.
    """
    started = time.perf_counter()
    video = _frames(frames)
    target = target_for(video, trajectory, resize)
    require(flow is None or flow in FLOW_METHODS, "flow", f"must be one of {FLOW_METHODS} or None, got {flow!r}.")
    seg = resolve_segmenter(sam2, segmenter, fps=target.fps, interrupt=interrupt, progress=progress)
    check_interrupt(interrupt)
    pred = seg(video, target.first_objects())
    mf = mask_following(pred, target, include_first=include_first, min_area=min_area)
    diag = math.hypot(target.width, target.height)
    objects = [_object_scores(n, i, mf, diag) for i, n in enumerate(target.names)]
    ad = bg = float("nan")
    if flow is not None:
        u8 = (video.clamp(0, 1) * 255.0 + 0.5).to(torch.uint8).numpy()
        numbers = flow_numbers(u8, target.labels.numpy(), method=flow, margin=background_margin,
                               check=lambda: check_interrupt(interrupt))
        ad, bg = numbers["average_displacement"], numbers["background_stability"]
    cf = float("nan") if clip is None else clip_frame(video, clip)[0]
    cerr = nanmean(np.array([o.centroid_error_px for o in objects]))
    return VideoScores(
        objects=objects,
        miou=nanmean(np.array([o.miou for o in objects])),
        visibility=nanmean(np.array([o.visibility for o in objects])),
        centroid_error_px=cerr, centroid_error=cerr / diag,
        end_point_error_px=nanmean(np.array([o.end_point_error_px for o in objects])),
        average_displacement=ad, background_stability=bg, clip_frame=cf,
        num_frames=target.num_frames, width=target.width, height=target.height, flow=flow or "none",
        seconds=time.perf_counter() - started,
    )


def _key(scores: VideoScores, key: str) -> float:
    value = {"miou": scores.miou, "visibility": scores.visibility, "centroid_error": -scores.centroid_error_px}[key]
    return value if math.isfinite(value) else -math.inf


def rank_videos(videos: Sequence[Any], trajectory: MaskTrajectory, *, key: str = "miou", **options) -> Ranking:
    """Evaluate every candidate video and pick the one that follows the masks best.

    ``key``: ``miou`` (highest), ``visibility`` (highest) or ``centroid_error`` (lowest); an
    undefined score ranks last and ties go to the earlier candidate, so the choice depends only
    on the inputs. ``options`` go to :func:`evaluate_video`.
    """
    require(key in RANK_KEYS, "rank_by", f"must be one of {RANK_KEYS}, got {key!r}.")
    require(len(videos) >= 1, "frames", "no candidate videos given.")
    scores = [evaluate_video(v, trajectory, **options) for v in videos]
    best = max(range(len(scores)), key=lambda i: (_key(scores[i], key), -i))
    return Ranking(best=best, scores=scores, key=key)


def split_candidates(frames: Any, num_frames: int, candidates: int = 0) -> list[torch.Tensor]:
    """An IMAGE batch of ``candidates`` videos stacked frame-major per video -> a list of videos.

    ``candidates=0`` infers the count from the batch size and the trajectory's length.
    """
    video = as_video(frames, "frames", single_image=False)
    b = int(video.shape[0])
    if candidates <= 0:
        require(b % num_frames == 0, "frames",
                f"holds {b} images, not a whole number of {num_frames}-frame videos (the trajectory's length).",
                f"stack whole videos of {num_frames} frames, or evaluate the trajectory the video was made from.")
        candidates = b // num_frames
    require(b == candidates * num_frames, "candidates",
            f"{candidates} videos of {num_frames} frames need {candidates * num_frames} images, the batch has {b}.",
            f"set candidates to {b // num_frames} (or 0 to infer it)." if b % num_frames == 0 else
            f"stack whole videos of {num_frames} frames (the trajectory's length).")
    return [video[i * num_frames:(i + 1) * num_frames] for i in range(candidates)]
