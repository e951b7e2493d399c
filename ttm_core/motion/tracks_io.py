"""Export trajectories as point tracks for other motion nodes, and read such tracks back.

The format is the one core ComfyUI's ``WanTrackToVideo`` (and WanMove-style nodes) read: a JSON
list with one track per object, each a list of ``{"x": .., "y": ..}`` pixel points, one per
sample. The points are the object's anchor (its transformed frame-0 centroid when the
trajectory knows it, else the mask centroid).

The format has no visibility, so frames where an object is invisible are filled:
``invisible="extrapolate"`` (default) gives the object's true position from its affine even
off screen (so the track keeps going where the object went); where no affine is known, and with
``invisible="hold"``, the last visible position is held.

``samples=None`` writes one point per frame. Core ``WanTrackToVideo`` reads up to 121 samples
spread over the whole clip (shorter tracks are padded with invisible points), so pass
``samples=121`` when feeding it; samples are linearly interpolated in time.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import torch

from ..errors import require
from ..types import MaskTrajectory
from .affine import apply_affine
from .measure import label_stats
from .timeline import frame_times

INVISIBLE = ("extrapolate", "hold")
WAN_TRACK_SAMPLES = 121


def trajectory_positions(traj: MaskTrajectory, invisible: str = "extrapolate") -> torch.Tensor:
    """``[T, K, 2]`` float64 pixel positions with every invisible frame filled."""
    require(invisible in INVISIBLE, "invisible", f"must be one of {INVISIBLE}, got {invisible!r}.")
    pos = (
        traj.anchors.to(torch.float64).clone()
        if traj.anchors is not None
        else label_stats(traj.labels, traj.num_objects)[1]
    )
    missing = torch.isnan(pos).any(-1)
    if invisible == "extrapolate" and traj.affines is not None and bool(missing.any()):
        start = pos[0]
        if bool(torch.isnan(start).any()):
            start = torch.where(torch.isnan(start), label_stats(traj.labels[:1], traj.num_objects)[1][0], start)
        true_pos = apply_affine(traj.affines, start.unsqueeze(0))
        pos = torch.where(missing.unsqueeze(-1), true_pos, pos)
        missing = torch.isnan(pos).any(-1)
    for k in range(traj.num_objects):  # hold: last visible, or the first visible before any
        col = pos[:, k]
        seen = (~missing[:, k]).nonzero().flatten()
        if len(seen) == 0:
            col[:] = 0.0
            continue
        last = col[int(seen[0])].clone()
        for t in range(traj.num_frames):
            if missing[t, k]:
                col[t] = last
            else:
                last = col[t].clone()
    return pos


def trajectory_to_tracks(
    traj: MaskTrajectory,
    *,
    samples: int | None = None,
    invisible: str = "extrapolate",
    normalized: bool = False,
    decimals: int = 2,
) -> str:
    """JSON tracks ``[[{"x", "y"}, ...], ...]``, one per object in label order."""
    pos = trajectory_positions(traj, invisible).numpy()
    if samples is not None:
        require(isinstance(samples, int) and samples >= 2, "samples", f"must be >= 2 (or None), got {samples!r}.")
        src = frame_times(traj.num_frames).numpy()
        dst = np.linspace(0.0, 1.0, samples)
        if traj.num_frames == 1:
            pos = np.repeat(pos, samples, axis=0)
        else:
            pos = np.stack(
                [np.stack([np.interp(dst, src, pos[:, k, d]) for d in range(2)], -1) for k in range(pos.shape[1])], 1
            )
    if normalized:
        pos = pos / np.array([traj.width, traj.height], dtype=np.float64)
        decimals = max(decimals, 5)
    tracks = [
        [{"x": round(float(x), decimals), "y": round(float(y), decimals)} for x, y in pos[:, k]]
        for k in range(pos.shape[1])
    ]
    return json.dumps(tracks)


def tracks_to_paths(tracks: Any, names: list[str] | None = None, *, input_name: str = "tracks") -> Any:
    """Tracks JSON -> paths for ``image_to_motion(mode="paths")``: a dict by name, or a list.

    Use ``timing="time"`` in paths mode to keep the tracks' speed profile.
    """
    from ..coords import parse_point_lists

    lists = parse_point_lists(tracks, input_name, inside=False)
    if names is None:
        return [[list(p) for p in pts] for pts in lists]
    require(len(lists) <= len(names), input_name, f"holds {len(lists)} tracks for {len(names)} objects {names}.")
    return {names[i]: [list(p) for p in pts] for i, pts in enumerate(lists)}
