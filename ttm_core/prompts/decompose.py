"""``decompose_prompt``: ask the chosen backend, retry once on a malformed answer, else use rules.

An LLM step must never block an artist: when the model is down, slow or answers garbage, the
rule-based plan is used and ``plan.notes`` says so and why. ``fallback=False`` turns that into a
clear :class:`TTMInputError` instead (for users who would rather fix their server).
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import TTMInputError, require
from ..types import PromptPlan
from ..types._checks import check_names
from .llm import LLMAnswerError, LLMUnavailable, build_messages, extract_json_object, parse_llm_answer, retry_message
from .rules import RuleBasedDecomposer, check_prompt


def decompose_prompt(
    prompt: str,
    names: list[str],
    backend: Any = None,
    *,
    retries: int = 1,
    fallback: bool = True,
) -> PromptPlan:
    """Global, motion-only and per-object prompts plus keyframes for the objects ``names``.

    ``backend`` None (or a :class:`RuleBasedDecomposer`) runs offline rules; otherwise it is an
    LLM backend with ``complete(messages) -> str`` (:class:`OpenAICompatibleBackend`,
    :class:`LocalTransformersBackend`). A malformed answer is retried ``retries`` times with the
    error appended to the conversation; an unreachable backend is not retried.
    """
    text = check_prompt(prompt)
    names = check_names(list(names or []), None, "names")
    rules = RuleBasedDecomposer()
    if backend is None or isinstance(backend, RuleBasedDecomposer):
        return rules.decompose(text, names)
    require(hasattr(backend, "complete"), "llm", f"{type(backend).__name__} is not an LLM backend.",
            "connect an LLM loader node or leave it empty for the offline rules.")
    require(int(retries) >= 0, "retries", f"must be >= 0, got {retries}.")
    label = getattr(backend, "label", type(backend).__name__)
    messages = build_messages(text, names)
    reason = ""
    try:
        for attempt in range(int(retries) + 1):
            try:
                answer = backend.complete(messages)
            except LLMUnavailable as exc:
                reason = str(exc)
                break
            try:
                plan = parse_llm_answer(answer, names)
            except LLMAnswerError as exc:
                reason = f"answer {attempt + 1} was malformed: {exc}"
                messages = messages + [{"role": "assistant", "content": str(answer)[:4000]}, retry_message(str(exc))]
                continue
            plan.notes = [f"Decomposed by {label}" + (f" after {attempt} retry." if attempt else ".")] + plan.notes
            return plan
    finally:
        release = getattr(backend, "release", None)
        if callable(release) and getattr(backend, "unload_after", False):
            release()
    if not fallback:
        raise TTMInputError("llm", f"{label} gave no usable plan: {reason}",
                            "check that the server/model runs and answers JSON, or use the offline rules.")
    plan = rules.decompose(text, names)
    plan.notes = [f"LLM {label} gave no usable plan ({reason}); used the offline rule-based plan instead."] + [
        n for n in plan.notes if not n.startswith("Decomposed by the offline")]
    return plan


def parse_manual_plan(text: Any, names: list[str], input_name: str = "plan_json") -> PromptPlan:
    """A plan written by hand (JSON text or a dict), validated against the objects and used as is."""
    if isinstance(text, dict):
        data = text
    else:
        require(isinstance(text, str) and text.strip() != "", input_name, "is empty.",
                'paste a plan like {"global_prompt": "...", "local_prompts": {"dog": "..."}}.')
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            try:  # tolerate a plan pasted with ```json fences or a sentence around it
                data = extract_json_object(text)
            except LLMAnswerError as exc:
                raise TTMInputError(input_name, f"is not valid JSON ({exc})",
                                    "check quotes and commas, e.g. with a JSON validator.") from None
    plan = PromptPlan.from_dict(data, input_name)
    plan.check_names(check_names(list(names or []), None, "names"), input_name)
    return plan
