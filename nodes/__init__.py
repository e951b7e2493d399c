"""Thin ComfyUI V1 nodes over :mod:`ttm_core`; one module per stage.

Importing this package stays cheap (torch only): each node imports the heavy libraries it needs
(diffusers, transformers, sam2, OpenCV) when it runs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from . import comfy_bridge, convert, editor, evaluate, files, loaders, motion, prompts, segment, video, visualize

comfy_bridge.register_model_folders()
comfy_bridge.install_example_image(Path(__file__).resolve().parents[1] / "workflows" / "ttm_example.png")

NODE_CLASS_MAPPINGS: dict[str, type] = {}
NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {}
for _module in (loaders, segment, prompts, motion, editor, video, visualize, convert, files, evaluate):
    NODE_CLASS_MAPPINGS.update(_module.NODE_CLASS_MAPPINGS)
    NODE_DISPLAY_NAME_MAPPINGS.update(_module.NODE_DISPLAY_NAME_MAPPINGS)


def _native_available() -> bool:
    """Native Wan nodes need a ComfyUI with ``comfy.ldm.wan`` (the early-2024 one has none)."""
    import importlib.util

    try:
        return importlib.util.find_spec("comfy") is not None and importlib.util.find_spec("comfy.ldm.wan") is not None
    except (ImportError, ValueError):
        return False


if _native_available():
    from . import native

    NODE_CLASS_MAPPINGS.update(native.NODE_CLASS_MAPPINGS)
    NODE_DISPLAY_NAME_MAPPINGS.update(native.NODE_DISPLAY_NAME_MAPPINGS)
else:
    logging.getLogger(__name__).info("Through-The-Mask: this ComfyUI has no comfy.ldm.wan; native Wan nodes skipped")

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
