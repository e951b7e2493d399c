"""Reading a PromptPlan's keyframes in the shape the rule-parser tests write by hand."""

from __future__ import annotations


def xy(plan, name):
    """``(t, dx, dy)`` of each keyframe of ``name``."""
    return [(k["t"], k["dx"], k["dy"]) for k in plan.keyframes[name]]
