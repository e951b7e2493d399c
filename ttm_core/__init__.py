"""Through-The-Mask core: framework-free, never imports ComfyUI.

Public names are resolved lazily so ``import ttm_core`` stays cheap (ComfyUI imports every pack
at start-up; diffusers, transformers and SAM2 load only when a function that needs them runs).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ObjectSet": "ttm_core.types",
    "PromptPlan": "ttm_core.types",
    "MaskTrajectory": "ttm_core.types",
    "TTMInputError": "ttm_core.errors",
    "TTMInterrupted": "ttm_core.errors",
    "segment_image": "ttm_core.segment",
    "load_sam2": "ttm_core.segment",
    "Sam2Handle": "ttm_core.segment",
    "objects_from_masks": "ttm_core.segment",
    "propagate_video": "ttm_core.segment",
    "decompose_prompt": "ttm_core.prompts",
    "parse_manual_plan": "ttm_core.prompts",
    "RuleBasedDecomposer": "ttm_core.prompts",
    "OpenAICompatibleBackend": "ttm_core.prompts",
    "LocalTransformersBackend": "ttm_core.prompts",
    "image_to_motion": "ttm_core.motion",
    "motion_to_video": "ttm_core.pipeline",
    "render_trajectory": "ttm_core.visualize",
    "build_reference_video": "ttm_core.guidance",
    "load_video_model": "ttm_core.pipeline",
    "render_summary": "ttm_core.visualize",
    "palette": "ttm_core.visualize",
    "save_video": "ttm_core.visualize",
    "save_png": "ttm_core.visualize",
    "trajectory_to_tracks": "ttm_core.motion",
    "tracks_to_paths": "ttm_core.motion",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ttm_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .errors import TTMInputError, TTMInterrupted
    from .types import MaskTrajectory, ObjectSet, PromptPlan
