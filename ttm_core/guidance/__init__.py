"""Trajectory anchoring (design, section 5): the reference video and dual-clock sampling.

OpenCV is imported inside the functions that need it, so importing this package stays cheap.
"""

from .reference import ReferenceVideo, build_reference_video

__all__ = ["ReferenceVideo", "build_reference_video"]
