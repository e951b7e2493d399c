"""Tiny random models built offline, for tests, benchmarks, smoke checks and ``tiny-models``."""

from .tiny_sam2 import build_tiny_sam2, save_tiny_sam2, tiny_sam2_filename
from .tiny_wan import WAN_VARIANTS, TinyWanSize, save_tiny_wan, tiny_wan_components, tiny_wan_pipeline

__all__ = [
    "WAN_VARIANTS",
    "TinyWanSize",
    "build_tiny_sam2",
    "save_tiny_sam2",
    "save_tiny_wan",
    "tiny_sam2_filename",
    "tiny_wan_components",
    "tiny_wan_pipeline",
]
