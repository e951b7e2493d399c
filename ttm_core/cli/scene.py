"""A generated example scene: two objects on a textured background, with known masks.

The demo and the shipped workflows need an input image on a fresh machine with no weights and
no network, so it is drawn here (deterministically) instead of downloaded. The known masks
stand in for SAM2 when no checkpoint is given; the click points are each object's centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..types import ObjectSet

DEFAULT_PROMPT = "A red ball rolls to the right while a blue cube slides to the left on a sunny meadow."


@dataclass
class Scene:
    image: torch.Tensor  # [H, W, 3] float 0..1
    objects: ObjectSet  # ground-truth masks, names "ball" and "cube"
    points: dict[str, tuple[float, float]]  # one click per object (pixels)
    prompt: str = DEFAULT_PROMPT


def example_scene(width: int = 832, height: int = 480, seed: int = 0) -> Scene:
    """Sky, meadow, a shaded red ball on the left and a blue cube on the right."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    horizon = 0.45 * height
    sky = np.stack([0.55 + 0.25 * ys / height, 0.75 + 0.15 * ys / height, np.full_like(ys, 0.98)], -1)
    grass_noise = rng.normal(0.0, 0.035, (height, width)).astype(np.float32)
    stripes = 0.03 * np.sin(xs / 9.0 + ys / 5.0)
    grass = np.stack([0.28 + grass_noise + stripes, 0.58 + grass_noise + stripes, 0.22 + 0.5 * grass_noise], -1)
    image = np.where((ys < horizon)[..., None], sky, grass)

    unit = min(width, height)
    # ball: a shaded disc, lit from the top left
    bx, by, br = 0.28 * width, 0.68 * height, 0.13 * unit
    d = np.sqrt((xs - bx) ** 2 + (ys - by) ** 2)
    ball = d <= br
    light = np.clip(1.0 - np.sqrt((xs - bx + 0.35 * br) ** 2 + (ys - by + 0.35 * br) ** 2) / (1.6 * br), 0.0, 1.0)
    ball_rgb = np.stack([0.55 + 0.45 * light, 0.08 + 0.25 * light, 0.08 + 0.2 * light], -1)
    image = np.where(ball[..., None], ball_rgb, image)

    # cube: a front face and a lighter top face
    cx, cy, cs = 0.72 * width, 0.66 * height, 0.22 * unit
    front = (np.abs(xs - cx) <= cs / 2) & (ys >= cy - cs / 2) & (ys <= cy + cs / 2)
    top = (ys < cy - cs / 2) & (ys >= cy - cs / 2 - 0.3 * cs) & (xs >= cx - cs / 2 + (cy - cs / 2 - ys)) & (
        xs <= cx + cs / 2 + (cy - cs / 2 - ys)
    )
    image = np.where(front[..., None], np.array([0.12, 0.3, 0.78], np.float32), image)
    image = np.where(top[..., None], np.array([0.35, 0.55, 0.95], np.float32), image)
    cube = front | top

    labels = np.zeros((height, width), np.int64)
    labels[ball] = 1
    labels[cube] = 2
    objects = ObjectSet(torch.from_numpy(labels), ["ball", "cube"])
    return Scene(
        image=torch.from_numpy(np.clip(image, 0.0, 1.0).astype(np.float32)),
        objects=objects,
        points={"ball": (float(bx), float(by)), "cube": (float(cx), float(cy))},
    )
