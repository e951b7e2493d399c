"""Masked self/cross attention for Wan transformers (design, section 5)."""

from .grouped import TokenGroups, blend_grouped_attention
from .install import masked_attention
from .processors import LocalContext, MaskedCrossAttnProcessor, MaskedSelfAttnProcessor
from .schedule import GuidanceConfig, GuidanceState

__all__ = [
    "GuidanceConfig",
    "GuidanceState",
    "LocalContext",
    "MaskedCrossAttnProcessor",
    "MaskedSelfAttnProcessor",
    "TokenGroups",
    "blend_grouped_attention",
    "masked_attention",
]
