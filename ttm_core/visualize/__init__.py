"""Seeing trajectories before spending GPU minutes: mask videos, overlays, summaries, files."""

from .io import save_png, save_video
from .palette import palette, palette_uint8
from .render import render_summary, render_trajectory

__all__ = ["palette", "palette_uint8", "render_summary", "render_trajectory", "save_png", "save_video"]
