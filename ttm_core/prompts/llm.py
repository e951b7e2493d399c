"""What every LLM backend shares: the instructions, JSON extraction and the strict answer check.

LLMs wrap JSON in ```json fences, add prose around it, or think aloud in ``<think>`` blocks; we
pull out the first JSON object robustly, then hold it to the ``PromptPlan`` schema (unknown keys,
unknown object names and missing local prompts are errors the model is asked to fix once).
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from ..errors import TTMInputError
from ..types import PromptPlan


class LLMUnavailable(RuntimeError):
    """The backend gave no answer (down, HTTP error, timeout, missing model): fall back at once."""


class LLMAnswerError(ValueError):
    """The backend answered, but not with a valid plan: worth one retry with the reason."""


class ChatBackend(Protocol):
    label: str

    def complete(self, messages: list[dict]) -> str: ...


_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.S)
_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)

EXAMPLE = {
    "global_prompt": "A brown dog runs to the right across a sunny park while a grey cat jumps on a bench.",
    "motion_prompt": "The dog runs to the right. The cat jumps.",
    "local_prompts": {"dog": "a brown dog running to the right", "cat": "a grey cat jumping"},
    "keyframes": {
        "dog": [{"t": 0, "dx": 0, "dy": 0}, {"t": 1, "dx": 0.35, "dy": 0}],
        "cat": [{"t": 0, "dy": 0}, {"t": 0.5, "dy": -0.15}, {"t": 1, "dy": 0}],
    },
}


def system_prompt(names: list[str]) -> str:
    return (
        "You split a video prompt into a JSON plan for an image-to-video model that animates "
        "segmented objects.\n"
        f"The objects are: {json.dumps(names)}. Use exactly these names as keys.\n"
        "Answer with ONE JSON object and nothing else, with these keys:\n"
        '- "global_prompt": the whole scene, appearance and motion, in one or two sentences;\n'
        '- "motion_prompt": ONLY the motion: which object moves how and in which direction. '
        "No colours, sizes, materials, textures or background;\n"
        '- "local_prompts": for EVERY object, a short description of that object alone '
        "(its appearance and its own action);\n"
        '- "keyframes": for every object that moves, a list of keyframes sorted by "t": '
        '{"t": time 0..1, "dx": shift as a fraction of the image width (+ right), '
        '"dy": shift as a fraction of the image height (+ down), "scale": size factor (1 = same), '
        '"rot": degrees clockwise, "z": depth order (higher = in front)}. Start at t=0 with no shift. '
        "A jump goes up (dy < 0) and back; towards the camera grows (scale > 1, z > 0); "
        "leaving the frame to the left ends near dx = -1.2.\n"
        "Example for objects [\"dog\", \"cat\"]:\n" + json.dumps(EXAMPLE)
    )


def build_messages(prompt: str, names: list[str]) -> list[dict]:
    return [
        {"role": "system", "content": system_prompt(names)},
        {"role": "user", "content": f"Prompt: {prompt}"},
    ]


def retry_message(error: str) -> dict:
    return {
        "role": "user",
        "content": f"That answer was not a valid plan: {error} Reply with only the corrected JSON object.",
    }


def extract_json_object(text: str) -> dict:
    """The plan object in an LLM answer: whole text, fenced block, or the first ``{...}`` in prose."""
    if not isinstance(text, str) or not text.strip():
        raise LLMAnswerError("the answer was empty.")
    cleaned = _THINK.sub("", text).strip()
    candidates = [cleaned] + [m.group(1).strip() for m in _FENCE.finditer(cleaned)]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    decoder = json.JSONDecoder()
    found: list[dict] = []
    for match in re.finditer(r"\{", cleaned):
        try:
            value, _ = decoder.raw_decode(cleaned, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            found.append(value)
            if "global_prompt" in value:
                return value
    if found:
        return found[0]
    raise LLMAnswerError("no JSON object was found in the answer.")


def parse_llm_answer(text: str, names: list[str]) -> PromptPlan:
    """Strict: the schema of ``PromptPlan.from_dict``, known names only, a local prompt for each."""
    data = extract_json_object(text)
    try:
        plan = PromptPlan.from_dict(data, "answer")
        plan.check_names(names, "answer")
    except TTMInputError as exc:
        raise LLMAnswerError(str(exc)) from exc
    missing = [n for n in names if not plan.local_prompts.get(n, "").strip()]
    if missing:
        raise LLMAnswerError(f"local_prompts has no prompt for {missing}; give one for every object.")
    return plan


def redact(text: Any, secret: str | None) -> str:
    """Never let an API key reach an error message or a note."""
    out = str(text)
    if secret:
        out = out.replace(secret, "***")
    return out
