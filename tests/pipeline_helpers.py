"""Shared builders for stage-2 tests: tiny pipelines (cached), images, trajectories."""

from __future__ import annotations

import functools

import torch

from ttm_core import MaskTrajectory, ObjectSet
from ttm_core.images import to_pil as tensor_to_pil
from ttm_core.testing import tiny_wan_pipeline

# generation sizes per variant: non-square, multiples of the variant's token cell
SIZES = {
    "wan21_i2v": [(48, 80), (64, 32)],
    "wan22_ti2v_5b": [(64, 96), (96, 64)],
    "wan22_i2v_a14b": [(48, 64), (32, 80)],
}


@functools.lru_cache(maxsize=None)
def cached_pipe(variant: str):
    return tiny_wan_pipeline(variant)


def make_image(height: int, width: int, seed: int = 0) -> torch.Tensor:
    """A smooth colourful frame, quantised to 8 bits (what ComfyUI's LoadImage gives)."""
    ys = torch.linspace(0, 1, height).view(-1, 1, 1)
    xs = torch.linspace(0, 1, width).view(1, -1, 1)
    phase = torch.tensor([0.0, 2.0, 4.0]).view(1, 1, 3) + seed
    img = 0.5 + 0.4 * torch.sin(6 * xs + 4 * ys + phase)
    return (img * 255).round() / 255


def two_object_trajectory(height: int, width: int, num_frames: int, moving: bool = True) -> MaskTrajectory:
    labels = torch.zeros(height, width, dtype=torch.long)
    labels[height // 8 : height // 2, width // 8 : width // 2] = 1
    labels[height // 2 : height - height // 8, width // 2 : width - width // 8] = 2
    objects = ObjectSet(labels, ["dog", "ball"])
    traj = MaskTrajectory.still(objects, num_frames)
    if not moving:
        return traj
    video = traj.labels.clone()
    for t in range(1, num_frames):
        shift = int(round(t * width / (4 * num_frames)))
        frame = torch.zeros_like(video[0])
        frame[:, shift:] = video[0][:, : width - shift] * (video[0][:, : width - shift] == 1)
        frame[video[0] == 2] = 2
        video[t] = frame
    return MaskTrajectory(video, ["dog", "ball"], 16.0)


def stock_frames(pipe, image, prompt, negative, height, width, num_frames, steps, scale, seed):
    out = pipe(
        image=tensor_to_pil(image), prompt=prompt, negative_prompt=negative, height=height, width=width,
        num_frames=num_frames, num_inference_steps=steps, guidance_scale=scale,
        generator=torch.Generator().manual_seed(seed), output_type="pt", max_sequence_length=512,
    ).frames
    return out[0].permute(0, 2, 3, 1)
