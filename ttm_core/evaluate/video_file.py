"""Read a video file into frames for evaluation (MP4/WEBM/MOV via ffmpeg, GIF/WEBP via PIL)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ..errors import TTMInputError


def read_video(path: str | os.PathLike, input_name: str = "video") -> tuple[torch.Tensor, float]:
    """``(frames [T, H, W, 3] float 0..1, fps)``; a named error when the file cannot be read."""
    p = Path(path)
    if not p.is_file():
        raise TTMInputError(input_name, f"file not found: {p}.", "give the path of a video file (MP4, WEBM, GIF, WEBP).")
    try:
        if p.suffix.lower() in (".gif", ".webp", ".png", ".apng"):
            frames, fps = _read_pil(p)
        else:
            frames, fps = _read_ffmpeg(p)
    except TTMInputError:
        raise
    except Exception as exc:  # ffmpeg / PIL say "invalid data" in many ways
        raise TTMInputError(input_name, f"cannot read {p} as a video ({type(exc).__name__}: {str(exc)[:200]}).",
                            "check the file plays, or re-encode it as MP4 (H.264).") from exc
    if frames.shape[0] == 0:
        raise TTMInputError(input_name, f"{p} holds no frames.", "give a video with at least one frame.")
    return torch.from_numpy(frames.astype(np.float32) / 255.0), fps


def _read_ffmpeg(p: Path) -> tuple[np.ndarray, float]:
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(p), pix_fmt="rgb24")
    meta = next(reader)
    w, h = meta["size"]
    frames = [np.frombuffer(chunk, dtype=np.uint8).reshape(h, w, 3) for chunk in reader]
    return (np.stack(frames) if frames else np.zeros((0, h, w, 3), np.uint8)), float(meta.get("fps") or 16.0)


def _read_pil(p: Path) -> tuple[np.ndarray, float]:
    from PIL import Image, ImageSequence

    with Image.open(p) as im:
        duration = im.info.get("duration") or 62.5
        frames = np.stack([np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)])
    return frames, 1000.0 / float(duration)
