"""Masked self/cross attention for Wan transformers (design, section 5).

The math (grouped same-object attention, the local-prompt blend) is framework-free and takes
the attention function as an argument; diffusers' processors (``processors``) and the native
ComfyUI patches (``nodes/native``) are thin adapters over it.
"""

from .grouped import AttentionFn, TokenGroups, blend_grouped_attention, sdpa_attention
from .install import masked_attention
from .local_blend import LocalContext, blend_local_prompts, strip_padding
from .processors import MaskedCrossAttnProcessor, MaskedSelfAttnProcessor
from .schedule import GuidanceConfig, GuidanceState
from .window import NoiseWindow

__all__ = [
    "AttentionFn",
    "GuidanceConfig",
    "GuidanceState",
    "LocalContext",
    "MaskedCrossAttnProcessor",
    "MaskedSelfAttnProcessor",
    "NoiseWindow",
    "TokenGroups",
    "blend_grouped_attention",
    "blend_local_prompts",
    "masked_attention",
    "sdpa_attention",
    "strip_padding",
]
