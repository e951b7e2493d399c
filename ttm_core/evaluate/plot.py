"""A small line plot of per-object IoU over time, drawn with PIL (no plotting library needed).

One line per object in its palette colour (:mod:`ttm_core.visualize.palette`, the colours of
every other preview), gaps where the target hides the object, a legend with each mIoU.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .scores import VideoScores


def plot_iou(scores: VideoScores, width: int = 640, height: int = 320, title: str = "mask-following IoU per frame") -> torch.Tensor:
    """``[H, W, 3]`` float 0..1 image of ``scores.objects[k].iou`` against the frame index."""
    from PIL import Image, ImageDraw, ImageFont

    from ..visualize import palette_uint8

    colours = palette_uint8(len(scores.objects)).tolist()[1:]
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    left, right, top, bottom = 44, width - 150, 26, height - 30
    t_max = max(scores.num_frames - 1, 1)
    x_of = lambda t: left + (right - left) * t / t_max
    y_of = lambda v: bottom - (bottom - top) * v
    draw.text((left, 6), title, fill=(0, 0, 0), font=font)
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):  # grid and y labels
        y = y_of(v)
        draw.line([(left, y), (right, y)], fill=(225, 225, 225) if v else (120, 120, 120))
        draw.text((6, y - 6), f"{v:.2f}", fill=(60, 60, 60), font=font)
    for t in sorted({0, t_max // 2, t_max}):
        draw.text((x_of(t) - 4, bottom + 6), str(t), fill=(60, 60, 60), font=font)
    draw.text(((left + right) // 2 - 14, bottom + 16), "frame", fill=(60, 60, 60), font=font)
    draw.line([(left, top), (left, bottom)], fill=(120, 120, 120))
    for k, obj in enumerate(scores.objects):
        colour = tuple(colours[k])
        run: list[tuple[float, float]] = []
        for t, v in enumerate(obj.iou + [float("nan")]):
            if v is not None and math.isfinite(v):
                run.append((x_of(t), y_of(float(np.clip(v, 0, 1)))))
                continue
            if len(run) > 1:
                draw.line(run, fill=colour, width=2)
            elif len(run) == 1:
                x, y = run[0]
                draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=colour)
            run = []
        ly = top + 16 * k
        draw.line([(right + 10, ly + 6), (right + 26, ly + 6)], fill=colour, width=3)
        miou = "-" if not math.isfinite(obj.miou) else f"{obj.miou:.3f}"
        draw.text((right + 30, ly), f"{obj.name[:12]} {miou}", fill=(0, 0, 0), font=font)
    return torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0)
