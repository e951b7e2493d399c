"""Thin ComfyUI V1 nodes over :mod:`ttm_core`; one module per stage.

Importing this package stays cheap (torch only): each node imports the heavy libraries it needs
(diffusers, transformers, sam2, OpenCV) when it runs.
"""

from __future__ import annotations

from . import comfy_bridge, convert, files, loaders, motion, prompts, segment, video, visualize

comfy_bridge.register_model_folders()

NODE_CLASS_MAPPINGS: dict[str, type] = {}
NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {}
for _module in (loaders, segment, prompts, motion, video, visualize, convert, files):
    NODE_CLASS_MAPPINGS.update(_module.NODE_CLASS_MAPPINGS)
    NODE_DISPLAY_NAME_MAPPINGS.update(_module.NODE_DISPLAY_NAME_MAPPINGS)


def _native_available() -> bool:
    """Running inside a current ComfyUI (``folder_paths``, wrappers, native Wan): the native nodes
    register. In-process tests import ``comfy`` without ``folder_paths`` and reach them directly."""
    import importlib.util

    try:
        return all(importlib.util.find_spec(m) is not None
                   for m in ("folder_paths", "comfy.patcher_extension", "comfy.ldm.wan"))
    except (ImportError, ValueError):
        return False


if _native_available():
    from . import native

    NODE_CLASS_MAPPINGS.update(native.NODE_CLASS_MAPPINGS)
    NODE_DISPLAY_NAME_MAPPINGS.update(native.NODE_DISPLAY_NAME_MAPPINGS)

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
