"""Checks of everything a user hands to stage 2, with errors that say what to change."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from ..errors import TTMInputError, require
from ..types import MaskTrajectory, PromptPlan
from .variants import WanLayout


def _nearest_multiples(value: int, multiple: int) -> str:
    lo = max(multiple, value // multiple * multiple)
    return f"{lo} or {lo + multiple}" if lo != value else str(value)


def check_size(height: int, width: int, layout: WanLayout) -> None:
    ch, cw = layout.cell
    require(int(height) >= ch, "height", f"must be at least {ch}, got {height}.")
    require(int(width) >= cw, "width", f"must be at least {cw}, got {width}.")
    require(
        height % ch == 0,
        "height",
        f"{height} is not a multiple of {ch} (required by {layout.variant}).",
        f"use {_nearest_multiples(height, ch)}.",
    )
    require(
        width % cw == 0,
        "width",
        f"{width} is not a multiple of {cw} (required by {layout.variant}).",
        f"use {_nearest_multiples(width, cw)}.",
    )


def check_num_frames(num_frames: int, layout: WanLayout) -> None:
    k = layout.vae_temporal
    require(int(num_frames) >= 1, "num_frames", f"must be >= 1, got {num_frames}.")
    if (num_frames - 1) % k:
        lo = (num_frames - 1) // k * k + 1
        raise TTMInputError(
            "num_frames",
            f"Wan takes {k}k+1 frames; {num_frames} is not.",
            f"use {lo} or {lo + k}.",
        )


def check_trajectory(trajectory: Any, image: torch.Tensor, num_frames: int) -> MaskTrajectory:
    require(
        isinstance(trajectory, MaskTrajectory),
        "trajectory",
        f"expected a MaskTrajectory, got {type(trajectory).__name__}.",
    )
    h, w = image.shape[:2]
    require(
        (trajectory.height, trajectory.width) == (h, w),
        "trajectory",
        f"is {trajectory.width}x{trajectory.height} but the image is {w}x{h}.",
        "build the trajectory from this image (or resize it to the image size).",
    )
    require(
        trajectory.num_frames == num_frames,
        "trajectory",
        f"has {trajectory.num_frames} frames but num_frames is {num_frames}.",
        f"set num_frames to {trajectory.num_frames} or regenerate the trajectory with {num_frames} frames.",
    )
    return trajectory


def as_plan(prompts: Any) -> PromptPlan:
    if isinstance(prompts, PromptPlan):
        return prompts
    if isinstance(prompts, str):
        return PromptPlan(global_prompt=prompts)
    if isinstance(prompts, dict):
        return PromptPlan.from_dict(prompts, "prompts")
    raise TTMInputError("prompts", f"expected a PromptPlan or a prompt string, got {type(prompts).__name__}.")


def local_prompts_by_label(
    plan: PromptPlan, names: Sequence[str], override: Sequence[str] | dict | None = None
) -> dict[int, str]:
    """Object label -> local prompt. A positional override must cover every object."""
    if override is not None and not isinstance(override, dict):
        override = list(override)
        require(
            len(override) == len(names),
            "local_prompts",
            f"the trajectory has {len(names)} objects ({', '.join(names)}) but {len(override)} local prompts were given.",
            "give one local prompt per object in label order (an empty string keeps the global prompt).",
        )
        mapping = dict(zip(names, override))
    else:
        mapping = dict(plan.local_prompts)
        if isinstance(override, dict):
            mapping.update(override)
    unknown = sorted(set(mapping) - set(names))
    require(
        not unknown,
        "prompts",
        f"local prompts name {unknown}, which are not objects of the trajectory {list(names)}.",
        "rename them to match the segmentation names.",
    )
    return {names.index(n) + 1: text.strip() for n, text in mapping.items() if isinstance(text, str) and text.strip()}
