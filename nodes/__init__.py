"""Thin ComfyUI V1 nodes over :mod:`ttm_core`; one module per stage."""

from __future__ import annotations

NODE_CLASS_MAPPINGS: dict[str, type] = {}
NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {}
