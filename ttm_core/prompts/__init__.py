"""Prompt decomposition: global, motion-only and per-object prompts plus motion keyframes.

Backends: the offline :class:`RuleBasedDecomposer` (default), an OpenAI-compatible chat server
(:class:`OpenAICompatibleBackend`) and a local transformers model (:class:`LocalTransformersBackend`).
Importing this package loads neither transformers nor any network code path.
"""

from .decompose import decompose_prompt, parse_manual_plan
from .llm import (
    LLMAnswerError,
    LLMUnavailable,
    build_messages,
    extract_json_object,
    parse_llm_answer,
    system_prompt,
)
from .local_backend import LocalTransformersBackend
from .openai_backend import OpenAICompatibleBackend
from .rules import RuleBasedDecomposer

__all__ = [
    "LLMAnswerError",
    "LLMUnavailable",
    "LocalTransformersBackend",
    "OpenAICompatibleBackend",
    "RuleBasedDecomposer",
    "build_messages",
    "decompose_prompt",
    "extract_json_object",
    "parse_llm_answer",
    "parse_manual_plan",
    "system_prompt",
]
