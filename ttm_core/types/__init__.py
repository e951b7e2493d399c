"""Data types passed between nodes (design, section 2)."""

from .objects import ObjectSet
from .plan import PromptPlan, normalize_keyframes
from .trajectory import MaskTrajectory

__all__ = ["ObjectSet", "PromptPlan", "MaskTrajectory", "normalize_keyframes"]
