"""Through-The-Mask core: framework-free, never imports ComfyUI.

Public names are resolved lazily (relative to this package, which ComfyUI imports under the
pack's folder name) so ``import ttm_core`` stays cheap (ComfyUI imports every pack
at start-up; diffusers, transformers and SAM2 load only when a function that needs them runs).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ObjectSet": ".types",
    "PromptPlan": ".types",
    "MaskTrajectory": ".types",
    "TTMInputError": ".errors",
    "TTMInterrupted": ".errors",
    "segment_image": ".segment",
    "load_sam2": ".segment",
    "Sam2Handle": ".segment",
    "objects_from_masks": ".segment",
    "propagate_video": ".segment",
    "decompose_prompt": ".prompts",
    "parse_manual_plan": ".prompts",
    "RuleBasedDecomposer": ".prompts",
    "OpenAICompatibleBackend": ".prompts",
    "LocalTransformersBackend": ".prompts",
    "image_to_motion": ".motion",
    "motion_to_video": ".pipeline",
    "render_trajectory": ".visualize",
    "build_reference_video": ".guidance",
    "load_video_model": ".pipeline",
    "render_summary": ".visualize",
    "palette": ".visualize",
    "save_video": ".visualize",
    "save_png": ".visualize",
    "trajectory_to_tracks": ".motion",
    "tracks_to_paths": ".motion",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ttm_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .errors import TTMInputError, TTMInterrupted
    from .types import MaskTrajectory, ObjectSet, PromptPlan
