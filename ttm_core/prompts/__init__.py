"""Prompt decomposition: global, motion-only and per-object prompts plus motion keyframes."""

from .rules import RuleBasedDecomposer


def decompose_prompt(prompt, names, backend=None, **kwargs):  # replaced below once the LLM path lands
    return RuleBasedDecomposer().decompose(prompt, names)


__all__ = ["RuleBasedDecomposer", "decompose_prompt"]
