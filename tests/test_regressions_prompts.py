"""The offline prompt parser and the LLM answer check, one behaviour per test.

The accuracy table in ``test_prompts_rules`` tolerates a few misses, so a flipped direction or a
lost clause boundary can hide in it; these cases must each be right. Directions follow the
documented convention: +dx is to the right, -dy is up.
"""

from __future__ import annotations

import json

import pytest

from ttm_core.prompts import LLMAnswerError, decompose_prompt, parse_llm_answer


def _end(plan, name):
    return plan.keyframes[name][-1]


@pytest.mark.parametrize(
    "prompt, name, sign",
    [
        ("The train moves from left to right.", "train", 1),
        ("A car enters from the left.", "car", 1),
        ("The bus drives from the left side of the frame to the right side.", "bus", 1),
        ("The train moves from right to left.", "train", -1),
        ("A yellow taxi drives past from right to left.", "car", -1),
    ],
)
def test_from_one_side_to_the_other_moves_towards_the_second_side(prompt, name, sign):
    plan = decompose_prompt(prompt, [name])
    dx = _end(plan, name)["dx"]
    assert dx * sign > 0.2, (prompt, plan.keyframes)
    assert ("to the right" if sign > 0 else "to the left") in plan.motion_prompt


def test_and_before_a_new_subject_starts_a_new_clause():
    plan = decompose_prompt("The duck swims to the left and the swan swims to the right.", ["duck", "swan"])
    assert _end(plan, "duck")["dx"] < -0.2 and _end(plan, "swan")["dx"] > 0.2
    assert "swan" not in plan.local_prompts["duck"].lower() and "right" not in plan.local_prompts["duck"]
    assert "duck" not in plan.local_prompts["swan"].lower() and "left" not in plan.local_prompts["swan"]


def test_three_clauses_joined_by_commas_and_and():
    plan = decompose_prompt("The dog runs to the left, the cat jumps, and the bird flies up.", ["dog", "cat", "bird"])
    assert _end(plan, "dog")["dx"] < -0.2 and _end(plan, "dog")["dy"] == 0
    assert _end(plan, "cat")["dx"] == 0 and min(f["dy"] for f in plan.keyframes["cat"]) < 0  # up and back
    assert _end(plan, "bird")["dy"] < -0.1 and _end(plan, "bird")["dx"] == 0


@pytest.mark.parametrize(
    "prompt, names, mover, still, sign",
    [
        ("The cat sees the dog, which runs to the right.", ["cat", "dog"], "dog", "cat", 1),
        ("The eagle swoops down on the rabbit, which runs to the left.", ["bird", "rabbit"], "rabbit", "bird", -1),
    ],
)
def test_a_relative_clause_belongs_to_the_noun_right_before_it(prompt, names, mover, still, sign):
    plan = decompose_prompt(prompt, names)
    assert _end(plan, mover)["dx"] * sign > 0.2
    assert _end(plan, still)["dx"] == 0
    assert "runs" in plan.local_prompts[mover] and "runs" not in plan.local_prompts[still]


def test_a_pronoun_refers_to_the_latest_subject():
    plan = decompose_prompt("The dog sits. The cat runs to the left, then it jumps.", ["dog", "cat"])
    cat, dog = plan.keyframes["cat"], plan.keyframes["dog"]
    assert min(f["dy"] for f in cat) < 0 and cat[-1]["dx"] < -0.2  # the cat runs, then jumps
    assert all(f["dx"] == 0 and f["dy"] == 0 for f in dog)  # the dog only sits
    assert "jumps" in plan.local_prompts["cat"] and "jumps" not in plan.local_prompts["dog"]


def _answer(local_prompts, keyframes=None):
    return json.dumps({
        "global_prompt": "A dog and a cat.",
        "motion_prompt": "The dog runs right.",
        "local_prompts": local_prompts,
        "keyframes": keyframes if keyframes is not None else {"dog": [{"t": 0}, {"t": 1, "dx": 0.3}],
                                                              "cat": [{"t": 0}, {"t": 1, "dx": -0.3}]},
    })


@pytest.mark.parametrize("local", [{"dog": "a brown dog"}, {"dog": "a brown dog", "cat": "  "}])
def test_llm_answer_without_a_local_prompt_for_every_object_is_refused(local):
    with pytest.raises(LLMAnswerError, match=r"no prompt for \['cat'\]"):
        parse_llm_answer(_answer(local), ["dog", "cat"])


def test_llm_answer_may_leave_an_object_without_keyframes():
    plan = parse_llm_answer(_answer({"dog": "a dog", "cat": "a cat"}, {"dog": [{"t": 0}, {"t": 1, "dx": 0.3}]}),
                            ["dog", "cat"])
    assert plan.local_prompts == {"dog": "a dog", "cat": "a cat"}
    assert plan.keyframes.get("cat", []) == []
