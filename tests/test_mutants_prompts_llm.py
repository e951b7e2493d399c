"""Tests written from surviving mutants of ``ttm_core/prompts/llm.py`` and ``decompose.py``
(tools/mutation.py, group prompts): the LLM answer handling and the decomposer's bookkeeping.

Expected values are the literal answers written into each case, the strict answer format the
instructions promise, and the project's error rule (a bad input is a :class:`TTMInputError`
whose message starts with the input's name; an LLM answer's errors start with ``answer:`` so the
retry tells the model which text was wrong). Verdicts on the survivors not killed here are in
``docs/mutation-survivors/prompts.md``.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from ttm_core.errors import TTMInputError
from ttm_core.prompts.decompose import decompose_prompt, parse_manual_plan
from ttm_core.prompts.llm import LLMAnswerError, extract_json_object, parse_llm_answer, redact, system_prompt
from ttm_core.types import PromptPlan
from ttm_core.types.plan import KEYFRAME_DEFAULTS
from llm_fakes import PLAN, ScriptedBackend


# ---- decompose.py ------------------------------------------------------------------------------

def test_an_empty_hand_written_plan_names_the_default_input():
    with pytest.raises(TTMInputError) as err:
        parse_manual_plan("  ", ["dog"])
    assert err.value.input_name == "plan_json" and str(err.value).startswith("plan_json: ")


def test_a_hand_written_plan_with_repeated_object_names_blames_the_names():
    plan = {"global_prompt": "a dog runs", "local_prompts": {"dog": "a dog"}}
    with pytest.raises(TTMInputError) as err:
        parse_manual_plan(plan, ["dog", "dog"], input_name="my_plan")
    assert err.value.input_name == "names" and str(err.value).startswith("names: ")


class _Bare(ScriptedBackend):
    """A minimal LLM backend: ``complete`` only (no ``label``, no ``unload_after``), plus an
    optional ``release`` that must not be called unless the backend asks for it."""

    def __init__(self, answers, with_release=False):
        super().__init__(answers)
        if with_release:
            self.release = self.count_release


def test_a_backend_without_a_label_is_named_by_its_class():
    plan = decompose_prompt("a dog runs", ["dog"], _Bare([json.dumps(PLAN)]))
    assert plan.notes[0] == "Decomposed by _Bare."


def test_a_backend_with_release_but_no_unload_after_is_not_released():
    backend = _Bare([json.dumps(PLAN)], with_release=True)
    plan = decompose_prompt("a dog runs", ["dog"], backend)
    assert plan.local_prompts == {"dog": "a dog"} and backend.released == 0


def test_the_model_is_told_the_object_names():
    # not the example's "dog" and "cat": those are in the instructions whatever the objects
    backend = _Bare([json.dumps({"global_prompt": "g", "local_prompts": {"fox": "a fox", "owl": "an owl"}})])
    decompose_prompt("a fox chases an owl", ["fox", "owl"], backend)
    system = backend.asked[0][0]
    assert system["role"] == "system" and '["fox", "owl"]' in system["content"]


# ---- llm.py ------------------------------------------------------------------------------------

def test_thinking_aloud_before_a_whole_object_answer_still_takes_the_whole_object():
    # without the think block the answer is one object: taken as is, not its nested plan-like part
    text = '<think>draft</think>{"a": {"global_prompt": "inner"}}'
    assert extract_json_object(text) == {"a": {"global_prompt": "inner"}}


@pytest.mark.parametrize("answer,problem", [
    ({"global_prompt": "g", "extra": 1, "local_prompts": {"dog": "a dog"}}, "has unknown keys"),
    ({"motion_prompt": "m", "local_prompts": {"dog": "a dog"}}, "is missing 'global_prompt'"),
    ({"global_prompt": "g", "local_prompts": {"dog": "a dog", "cow": "a cow"}}, "local_prompts mention ['cow']"),
])
def test_a_malformed_llm_answer_is_blamed_on_the_answer(answer, problem):
    """The error goes back to the model in the retry: it must say the *answer* is wrong and how."""
    with pytest.raises(LLMAnswerError) as err:
        parse_llm_answer(json.dumps(answer), ["dog"])
    assert str(err.value).startswith("answer: ") and problem in str(err.value)


def test_the_instructions_name_only_keys_the_strict_check_accepts():
    """A model that copies the key names it is told must pass ``parse_llm_answer``: every quoted
    identifier in the instructions is a plan field, a keyframe field or an object name, and all
    four plan fields the answer needs are named."""
    names = ["dog", "cat"]
    instructions = system_prompt(names).rsplit("\n", 1)[0]
    quoted = set(re.findall(r'"([A-Za-z_]+)"', instructions))
    plan_fields = {f.name for f in dataclasses.fields(PromptPlan)}
    frame_fields = {"t", "ease", *KEYFRAME_DEFAULTS}
    assert quoted <= plan_fields | frame_fields | set(names)
    assert {"global_prompt", "motion_prompt", "local_prompts", "keyframes"} <= quoted


def test_the_example_in_the_instructions_is_itself_a_valid_answer():
    example = system_prompt(["dog", "cat"]).rsplit("\n", 1)[1]
    plan = parse_llm_answer(example, ["dog", "cat"])
    assert set(plan.local_prompts) == {"dog", "cat"} and set(plan.keyframes) == {"dog", "cat"}


def test_a_secret_is_replaced_by_three_stars():
    assert redact("401 for key sk-abc (sk-abc)", "sk-abc") == "401 for key *** (***)"
    assert redact("no key here", None) == "no key here"
