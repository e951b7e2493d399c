"""Default wiring of the ``track`` strategy: stock Wan drafts and SAM2 video propagation.

Both are plain callables so tests, notebooks and other back ends can swap them:
- ``draft_fn(image, prompt, *, num_frames, height, width, steps, seed) -> Tensor[T, h, w, 3]``
  (float 0..1);
- ``propagate_fn(frames, objects) -> MaskTrajectory`` at the frames' size.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from ..callbacks import InterruptFn
from ..images import to_pil
from ..errors import TTMInputError
from ..types import MaskTrajectory, ObjectSet

DraftFn = Callable[..., torch.Tensor]
PropagateFn = Callable[[torch.Tensor, ObjectSet], MaskTrajectory]


def diffusers_draft_fn(pipe: Any, *, guidance_scale: float = 5.0, negative_prompt: str | None = None) -> DraftFn:
    """Drafts with the stock diffusers ``WanImageToVideoPipeline`` call (no guidance of ours)."""

    def draft(image, prompt: str, *, num_frames: int, height: int, width: int, steps: int, seed: int) -> torch.Tensor:
        generator = torch.Generator("cpu").manual_seed(int(seed))
        out = pipe(
            image=to_pil(image),
            prompt=prompt,
            negative_prompt=negative_prompt,
            height=height,
            width=width,
            num_frames=num_frames,
            num_inference_steps=steps,
            guidance_scale=guidance_scale,
            output_type="pt",
            generator=generator,
        )
        frames = out.frames[0] if isinstance(out.frames, torch.Tensor) else torch.as_tensor(np.asarray(out.frames[0]))
        if frames.shape[-1] != 3:  # diffusers gives [T, C, H, W]
            frames = frames.permute(0, 2, 3, 1)
        return frames.float().clamp(0, 1).cpu()

    return draft


def sam2_propagate_fn(predictor: Any, *, fps: float = 16.0, interrupt: InterruptFn | None = None) -> PropagateFn:
    """Propagate the first-frame objects through a draft with SAM2's video predictor."""

    def propagate(frames: torch.Tensor, objects: ObjectSet) -> MaskTrajectory:
        try:
            from ..segment import propagate_video
        except ImportError as exc:
            raise TTMInputError(
                "propagate_fn",
                "SAM2 video propagation (ttm_core.segment.propagate_video) is not available in this build.",
                "update the pack, or pass your own propagate_fn(frames, objects).",
            ) from exc
        return propagate_video(predictor, frames, objects, fps=fps, interrupt=interrupt)

    return propagate
