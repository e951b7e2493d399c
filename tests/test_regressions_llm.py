"""LLM answer handling the mutation run found unguarded: JSON extraction, the chat messages, the
retry/fallback bookkeeping of ``decompose_prompt`` and hand-written plans.

Expected values are the literal answers written into each case (which object a reader would
take as the plan), the OpenAI chat format (roles ``system``/``user``), and counts of calls.
"""

from __future__ import annotations

import json

import pytest

from ttm_core.errors import TTMInputError
from ttm_core.prompts.decompose import decompose_prompt, parse_manual_plan
from ttm_core.prompts.llm import LLMAnswerError, build_messages, extract_json_object, retry_message
from llm_fakes import PLAN, ScriptedBackend


@pytest.mark.parametrize("text,expected", [
    # the whole answer is one object: taken as is, even if a nested object looks like a plan
    ('{"a": {"global_prompt": "inner"}}', {"a": {"global_prompt": "inner"}}),
    # a fenced block wins over a brace in the prose before it
    ('Use {"k": 1} style.\n```json\n{"motion_prompt": "m"}\n```', {"motion_prompt": "m"}),
    # a brace that starts no JSON is skipped, the later plan is found
    ('Here { is not json } but {"global_prompt": "x"} is.', {"global_prompt": "x"}),
    # of several objects in prose, the one with a global prompt
    ('first {"k": 1} then {"global_prompt": "y"}', {"global_prompt": "y"}),
    # none has one: the first object
    ('only {"k": 1} and {"j": 2} here', {"k": 1}),
    # thinking aloud is ignored
    ('<think>{"global_prompt": "draft"}</think>{"global_prompt": "final"}', {"global_prompt": "final"}),
])
def test_extract_json_object_takes_the_plan_a_reader_would(text, expected):
    assert extract_json_object(text) == expected


@pytest.mark.parametrize("text", [None, "", "   \n"])
def test_an_empty_or_missing_answer_is_called_empty(text):
    with pytest.raises(LLMAnswerError, match="empty"):
        extract_json_object(text)


def test_chat_messages_follow_the_openai_roles():
    messages = build_messages("a dog runs", ["dog"])
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"] == "Prompt: a dog runs" and '["dog"]' in messages[0]["content"]
    retry = retry_message("local_prompts has no prompt for ['dog'].")
    assert retry["role"] == "user" and "local_prompts has no prompt for ['dog']." in retry["content"]


class _Backend(ScriptedBackend):
    """An LLM stand-in that answers from a list and counts what it was asked."""

    label = "fake-llm"

    def __init__(self, answers, unload_after=False):
        super().__init__(answers)
        self.unload_after = unload_after

    def release(self):
        self.count_release()


def test_fallback_note_names_the_last_malformed_answer_and_drops_the_rules_own_note():
    backend = _Backend(["not json", "still not json"])
    plan = decompose_prompt("a dog runs to the right", ["dog"], backend, retries=1)
    assert len(backend.asked) == 2
    assert plan.notes[0].startswith("LLM fake-llm gave no usable plan (answer 2 was malformed:")
    assert not any(n.startswith("Decomposed by the offline") for n in plan.notes)
    offline = decompose_prompt("a dog runs to the right", ["dog"])
    assert any(n.startswith("Decomposed by the offline") for n in offline.notes)  # the note that is dropped
    assert plan.notes[1:] == [n for n in offline.notes if not n.startswith("Decomposed by the offline")]


@pytest.mark.parametrize("unload_after,released", [(True, 1), (False, 0)])
def test_a_local_model_is_released_after_the_call_only_when_asked(unload_after, released):
    backend = _Backend([json.dumps(PLAN)], unload_after=unload_after)
    plan = decompose_prompt("a dog runs", ["dog"], backend)
    assert plan.local_prompts == {"dog": "a dog"} and plan.notes[0] == "Decomposed by fake-llm."
    assert backend.released == released


@pytest.mark.parametrize("given", [PLAN, json.dumps(PLAN), "My plan:\n```json\n" + json.dumps(PLAN) + "\n```"])
def test_a_hand_written_plan_is_read_from_a_dict_json_or_fenced_text(given):
    plan = parse_manual_plan(given, ["dog", "cat"])
    assert (plan.global_prompt, plan.motion_prompt, plan.local_prompts) == (
        "a dog runs", "the dog runs right", {"dog": "a dog"})


def test_a_hand_written_plan_with_an_unknown_object_names_the_input():
    with pytest.raises(TTMInputError) as err:
        parse_manual_plan(PLAN, ["cat"], input_name="my_plan")
    assert err.value.input_name == "my_plan" and "['dog']" in str(err.value)
    with pytest.raises(TTMInputError) as err:
        parse_manual_plan('{"motion_prompt": "m"}', ["dog"], input_name="my_plan")
    assert err.value.input_name == "my_plan" and "global_prompt" in str(err.value)
    with pytest.raises(TTMInputError) as err:
        parse_manual_plan("no json here", ["dog"], input_name="my_plan")
    assert err.value.input_name == "my_plan"
