"""Thin ComfyUI V1 nodes over :mod:`ttm_core`; one module per stage.

Importing this package stays cheap (torch only): each node imports the heavy libraries it needs
(diffusers, transformers, sam2, OpenCV) when it runs.
"""

from __future__ import annotations

from pathlib import Path

from . import comfy_bridge, convert, files, loaders, motion, prompts, segment, video, visualize

comfy_bridge.register_model_folders()
comfy_bridge.install_example_image(Path(__file__).resolve().parents[1] / "workflows" / "ttm_example.png")

NODE_CLASS_MAPPINGS: dict[str, type] = {}
NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {}
for _module in (loaders, segment, prompts, motion, video, visualize, convert, files):
    NODE_CLASS_MAPPINGS.update(_module.NODE_CLASS_MAPPINGS)
    NODE_DISPLAY_NAME_MAPPINGS.update(_module.NODE_DISPLAY_NAME_MAPPINGS)

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
