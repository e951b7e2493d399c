"""Write previews to disk atomically (temp file in the same folder, then rename).

A crash or an interrupt never leaves half an MP4 where a file browser or ComfyUI's output list
would pick it up. MP4 (H.264 via imageio-ffmpeg) is the default; when ffmpeg is missing or
fails, an animated GIF is written next to the requested path instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import require
from ..types._checks import atomic_write_bytes
from ..images import as_video


def _uint8(frames: Any, input_name: str) -> np.ndarray:
    return (as_video(frames, input_name).numpy() * 255.0 + 0.5).astype(np.uint8)


def save_png(frame: Any, path: str | os.PathLike) -> Path:
    """One ``[H, W, 3]`` float 0..1 image as PNG."""
    from PIL import Image

    arr = _uint8(frame, "frame")
    require(arr.shape[0] == 1, "frame", f"expected one image, got {arr.shape[0]} frames.", "use save_video for videos.")
    img = Image.fromarray(arr[0])
    return atomic_write_bytes(path, lambda tmp: img.save(tmp, format="PNG"))


def _write_mp4(arr: np.ndarray, tmp: str, fps: float) -> None:
    import imageio_ffmpeg

    t, h, w, _ = arr.shape
    ph, pw = h + h % 2, w + w % 2  # yuv420p needs even sizes: pad by edge replication
    if (ph, pw) != (h, w):
        arr = np.pad(arr, ((0, 0), (0, ph - h), (0, pw - w), (0, 0)), mode="edge")
    writer = imageio_ffmpeg.write_frames(
        tmp,
        (pw, ph),
        fps=float(fps),
        codec="libx264",
        pix_fmt_out="yuv420p",
        macro_block_size=1,
        quality=8,
        output_params=["-f", "mp4"],
        ffmpeg_log_level="error",
    )
    writer.send(None)
    for frame in arr:
        writer.send(np.ascontiguousarray(frame))
    writer.close()


def _write_gif(arr: np.ndarray, tmp: str, fps: float) -> None:
    from PIL import Image

    images = [Image.fromarray(f) for f in arr]
    duration = max(20, int(round(1000.0 / fps)))
    images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=duration, loop=0)


def save_video(frames: Any, path: str | os.PathLike, fps: float = 16.0, *, fmt: str = "auto") -> Path:
    """Write ``[T, H, W, 3]`` float frames; returns the path written (``.gif`` on fallback).

    ``fmt``: ``"mp4"``, ``"gif"``, or ``"auto"`` (from the suffix; MP4 with GIF fallback).
    """
    require(isinstance(fps, (int, float)) and fps > 0, "fps", f"must be > 0, got {fps!r}.")
    require(fmt in ("auto", "mp4", "gif"), "fmt", f"must be 'auto', 'mp4' or 'gif', got {fmt!r}.")
    arr = _uint8(frames, "frames")
    path = Path(path)
    if fmt == "auto":
        fmt = "gif" if path.suffix.lower() == ".gif" else "mp4"
    if fmt == "gif":
        return atomic_write_bytes(path.with_suffix(".gif"), lambda tmp: _write_gif(arr, tmp, fps))
    try:
        return atomic_write_bytes(path, lambda tmp: _write_mp4(arr, tmp, fps))
    except Exception:  # no ffmpeg binary, codec missing, ...: a GIF still shows the motion
        return atomic_write_bytes(path.with_suffix(".gif"), lambda tmp: _write_gif(arr, tmp, fps))
