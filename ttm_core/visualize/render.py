"""Trajectory previews: the colour-coded mask video, overlays on images or videos, a summary.

Colours come from :func:`palette` (stable per object index). Compositing is done in float so
that, outside the masks and without annotations, an overlay returns the background unchanged;
contours, trails and names are drawn with OpenCV on a premultiplied annotation layer and laid
over the result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..callbacks import InterruptFn, ProgressFn, check_interrupt, report
from ..errors import require
from ..motion.measure import label_stats
from ..types import MaskTrajectory
from ..images import as_video
from .palette import palette, palette_uint8

STYLES = ("masks", "overlay")


def _thickness(traj: MaskTrajectory) -> int:
    return max(1, round(min(traj.height, traj.width) / 240))


def _font_scale(traj: MaskTrajectory) -> float:
    return max(0.35, min(traj.height, traj.width) / 700)


def _positions(traj: MaskTrajectory) -> np.ndarray:
    """``[T, K, 2]`` anchors (NaN while invisible)."""
    if traj.anchors is not None:
        pos = traj.anchors.to(torch.float64).clone()
        pos[~traj.visible] = float("nan")
        return pos.numpy()
    return label_stats(traj.labels, traj.num_objects)[1].numpy()


def contour_band(lab: np.ndarray, thickness: int) -> np.ndarray:
    """Bool ``[H, W]``: object pixels within ``thickness`` of a different label (all objects at once)."""
    import cv2

    kernel = np.ones((2 * thickness + 1, 2 * thickness + 1), np.uint8)
    near = (cv2.erode(lab, kernel) != lab) | (cv2.dilate(lab, kernel) != lab)
    return near & (lab > 0)


def _put_label(ann: np.ndarray, cov: np.ndarray, text: str, xy: tuple[float, float], colour, scale: float) -> None:
    """White text with a dark outline in the object's colour family: readable on any fill."""
    import cv2

    h, w = cov.shape
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    x = int(min(max(xy[0] - tw / 2, 2), w - tw - 2))
    y = int(min(max(xy[1] + th / 2, th + 2), h - base - 2))
    outline = max(2, int(scale * 4))
    dark = tuple(int(c) // 4 for c in colour)
    for canvas, fg, bg in ((ann, (255, 255, 255), dark), (cov, 255, 255)):
        cv2.putText(canvas, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, bg, outline, cv2.LINE_AA)
        cv2.putText(canvas, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, fg, 1, cv2.LINE_AA)


def _polyline(ann, cov, pts: np.ndarray, colour, thickness: int) -> None:
    """Draw consecutive finite points; a NaN breaks the line (the object was invisible)."""
    import cv2

    run: list[list[int]] = []
    for p in list(pts) + [np.array([np.nan, np.nan])]:
        if np.isfinite(p).all():
            run.append([int(round(p[0])), int(round(p[1]))])
            continue
        if len(run) >= 2:
            arr = np.asarray(run, dtype=np.int32).reshape(-1, 1, 2)
            cv2.polylines(ann, [arr], False, (0, 0, 0), thickness + 2, cv2.LINE_AA)
            cv2.polylines(cov, [arr], False, 255, thickness + 2, cv2.LINE_AA)
            cv2.polylines(ann, [arr], False, colour, thickness, cv2.LINE_AA)
        run = []


def _lay_over(base: np.ndarray, ann: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Premultiplied ``ann`` over float ``base`` where ``cov`` > 0 (only inside the drawn box)."""
    import cv2

    x, y, w, h = cv2.boundingRect(cov)
    if w == 0 or h == 0:
        return base
    b, a8, c8 = base[y : y + h, x : x + w], ann[y : y + h, x : x + w], cov[y : y + h, x : x + w]
    where = c8 > 0
    a = c8[where].astype(np.float32)[:, None] / 255.0
    b[where] = b[where] * (1.0 - a) + a8[where].astype(np.float32) / 255.0
    return base


def _fill(lab: np.ndarray, base: np.ndarray | None, pal: np.ndarray, style: str, alpha: float) -> np.ndarray:
    colours = np.take(pal, lab, axis=0)
    if style == "masks" or base is None:
        return colours
    inside = (lab > 0)[..., None]
    return np.where(inside, base * (1.0 - alpha) + colours * alpha, base).astype(np.float32, copy=False)


def _prepare(traj: MaskTrajectory, background: Any) -> tuple[MaskTrajectory, np.ndarray | None]:
    require(isinstance(traj, MaskTrajectory), "trajectory", f"expected a TTM trajectory, got {type(traj).__name__}.")
    if background is None:
        return traj, None
    bg = as_video(background, "background")
    require(
        bg.shape[0] in (1, traj.num_frames),
        "background",
        f"has {bg.shape[0]} frames but the trajectory has {traj.num_frames}.",
        "pass the first image or a video with one frame per trajectory frame.",
    )
    traj = traj.resized(int(bg.shape[1]), int(bg.shape[2]))
    return traj, bg.numpy()


def render_trajectory(
    trajectory: MaskTrajectory,
    background: Any = None,
    *,
    style: str = "masks",
    alpha: float = 0.5,
    contours: bool = True,
    names: bool = True,
    trails: bool = True,
    trail_length: int | None = None,
    progress: ProgressFn | None = None,
    interrupt: InterruptFn | None = None,
) -> torch.Tensor:
    """``[T, H, W, 3]`` float 0..1 preview of a trajectory.

    ``style="masks"``: the paper's colour-coded mask video (one constant colour per object on
    black; ``background`` only sets the output size). ``style="overlay"``: masks blended with
    ``alpha`` over ``background`` (the first image, or a video such as the generated one; the
    trajectory is resized to it). ``contours`` outline each object, ``trails`` draw the anchor's
    path so far (the last ``trail_length`` frames, all when None), ``names`` label each object.
    """
    require(style in STYLES, "style", f"must be one of {STYLES}, got {style!r}.")
    require(isinstance(alpha, (int, float)) and 0.0 <= alpha <= 1.0, "alpha", f"must be within 0..1, got {alpha!r}.")
    traj, bg = _prepare(trajectory, background)
    pal = palette(traj.names).numpy().astype(np.float32)
    pal8 = palette_uint8(traj.names).numpy()
    light = (pal8.astype(np.int32) + 255) // 2
    labels = traj.labels.numpy()
    pos = _positions(traj) if (trails or names) else None
    thick, scale = _thickness(traj), _font_scale(traj)
    out = np.empty((traj.num_frames, traj.height, traj.width, 3), dtype=np.float32)
    for t in range(traj.num_frames):
        check_interrupt(interrupt)
        base = None if bg is None else bg[t if bg.shape[0] > 1 else 0]
        frame = _fill(labels[t], base, pal, style, float(alpha))
        ann = np.zeros((traj.height, traj.width, 3), np.uint8)
        cov = np.zeros((traj.height, traj.width), np.uint8)
        if contours:
            band = contour_band(labels[t], thick)
            ann[band] = light[labels[t][band]]
            cov[band] = 255
        for k in range(traj.num_objects):
            colour = tuple(int(c) for c in pal8[k + 1])
            if trails and t > 0:
                start = 0 if trail_length is None else max(0, t - int(trail_length))
                _polyline(ann, cov, pos[start : t + 1, k], colour, thick)
            if names and np.isfinite(pos[t, k]).all():
                _put_label(ann, cov, traj.names[k], tuple(pos[t, k]), colour, scale)
        out[t] = _lay_over(frame, ann, cov)
        report(progress, t + 1, traj.num_frames)
    return torch.from_numpy(out).clamp_(0, 1)


def render_summary(
    trajectory: MaskTrajectory,
    image: Any = None,
    *,
    alpha: float = 0.4,
    names: bool = True,
    end_outlines: bool = True,
) -> torch.Tensor:
    """``[H, W, 3]`` float: frame 0 overlaid on ``image`` with every object's whole path drawn,
    a dot where it starts, an arrow where it ends and (``end_outlines``) its last-frame outline.
    """
    import cv2

    traj, bg = _prepare(trajectory, image)
    pal = palette(traj.names).numpy().astype(np.float32)
    pal8 = palette_uint8(traj.names).numpy()
    labels = traj.labels.numpy()
    thick, scale = _thickness(traj), _font_scale(traj)
    frame = _fill(labels[0], None if bg is None else bg[0], pal, "overlay", float(alpha))
    ann = np.zeros((traj.height, traj.width, 3), np.uint8)
    cov = np.zeros((traj.height, traj.width), np.uint8)
    band = contour_band(labels[0], thick)
    ann[band] = pal8[labels[0][band]]
    cov[band] = 255
    if end_outlines and traj.num_frames > 1:
        last = contour_band(labels[-1], max(1, thick // 2)) & (labels[-1] != labels[0])
        ann[last] = pal8[labels[-1][last]]
        cov[last] = 255
    pos = _positions(traj)
    diag = float(np.hypot(traj.width, traj.height))
    for k in range(traj.num_objects):
        colour = tuple(int(c) for c in pal8[k + 1])
        path = pos[:, k]
        _polyline(ann, cov, path, colour, thick + 1)
        seen = np.flatnonzero(np.isfinite(path).all(-1))
        start = path[seen[0]]
        for canvas, c in ((ann, colour), (cov, 255)):
            cv2.circle(canvas, (int(round(start[0])), int(round(start[1]))), 3 * thick + 2, c, -1, cv2.LINE_AA)
        end = path[seen[-1]]
        back = [p for p in path[seen][::-1] if np.hypot(*(end - p)) >= 0.02 * diag]
        if back:
            tail = end - (end - back[0]) / np.hypot(*(end - back[0])) * 0.04 * diag
            for canvas, c in ((ann, colour), (cov, 255)):
                cv2.arrowedLine(
                    canvas,
                    (int(round(tail[0])), int(round(tail[1]))),
                    (int(round(end[0])), int(round(end[1]))),
                    c,
                    thick + 1,
                    cv2.LINE_AA,
                    tipLength=0.6,
                )
        if names:
            _put_label(ann, cov, traj.names[k], (start[0], start[1] - 6 * thick - 8), colour, scale)
    return torch.from_numpy(_lay_over(frame, ann, cov)).clamp_(0, 1)
