"""The offline rules' reading of sentences: connectors, pronouns, follow links, headings, lemmas
and the notes, each against what an English reader takes the prompt to say.

Timing convention (documented in ``ttm_core.prompts.rules``): clauses joined by a sequence word
("and then", "after that", "finally", a new sentence starting "Then") share the clip in turn, so
with two clauses the first acts over t in 0..0.5 and the second over 0.5..1; concurrent words
("while", "whereas", "when", "as") let both act over the whole clip.
"""

from __future__ import annotations

import pytest

from ttm_core.prompts.decompose import decompose_prompt
from ttm_core.prompts.text import lemma
from prompt_helpers import xy


@pytest.mark.parametrize("joint", [" and then the cat", ", after that the cat", " and finally the cat",
                                   ". Then the cat", " and later the cat"])
def test_a_sequence_word_makes_the_second_clause_act_after_the_first(joint):
    plan = decompose_prompt("The dog runs to the right" + joint + " jumps", ["dog", "cat"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (0.5, 0.35, 0.0), (1.0, 0.35, 0.0)]
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (0.5, 0.0, 0.0), (0.75, 0.0, -0.15), (1.0, 0.0, 0.0)]
    assert plan.motion_prompt == "The dog runs to the right. The cat jumps."


@pytest.mark.parametrize("joint", [" while the cat", " whereas the cat", " when the cat", " as the cat",
                                   " but the cat"])
def test_a_concurrent_word_lets_both_clauses_act_over_the_whole_clip(joint):
    plan = decompose_prompt("The dog runs to the right" + joint + " jumps", ["dog", "cat"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (0.5, 0.0, -0.15), (1.0, 0.0, 0.0)]


def test_one_subject_in_sequence_reads_as_one_sentence_and_keeps_its_heading():
    # walks right (0.35 by t = 0.5), turns left, leaves to the left: 0.35 - 1.2 = -0.85 at t = 1
    plan = decompose_prompt("The dog walks to the right. Then it turns to the left and walks out of the frame", ["dog"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (0.5, 0.35, 0.0), (1.0, -0.85, 0.0)]
    assert plan.motion_prompt == ("The dog walks to the right, then turns to the left and walks out of the frame "
                                  "to the left.")


def test_a_follower_takes_the_leaders_path_and_says_so():
    plan = decompose_prompt("The dog runs to the left and the cat follows it", ["dog", "cat"])
    assert xy(plan, "cat") == xy(plan, "dog") == [(0.0, 0.0, 0.0), (1.0, -0.35, 0.0)]
    assert "'cat' follows ['dog'] in the same direction." in plan.notes


def test_a_relative_clause_between_commas_does_not_split_the_sentence():
    plan = decompose_prompt("The dog, which is brown, runs to the right", ["dog"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]
    assert plan.motion_prompt == "The dog runs to the right."


@pytest.mark.parametrize("names,local,note", [
    (["dog", "cat"], {"cat": "cat"}, "'cat' is not mentioned in the prompt: it stays still."),
    (["dog", "object_2"], {}, "'object_2' is not mentioned in the prompt: it stays still."),
])
def test_an_unmentioned_object_stays_still_and_keeps_its_name_as_prompt_unless_unnamed(names, local, note):
    plan = decompose_prompt("The dog runs to the right", names)
    other = names[1]
    assert xy(plan, other) == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]
    assert {k: v for k, v in plan.local_prompts.items() if k != "dog"} == local
    assert note in plan.notes
    assert plan.notes[0] == "Decomposed by the offline rule-based parser (no LLM)."


def test_an_object_mentioned_without_an_action_of_its_own_is_told_apart():
    plan = decompose_prompt("The dog runs to the right past the cat", ["dog", "cat"])
    assert "'cat' has no action of its own in the prompt: it stays still." in plan.notes


@pytest.mark.parametrize("word,base", [
    ("carries", "carry"), ("flies", "fly"), ("watches", "watch"), ("fixes", "fix"), ("buzzes", "buzz"),
    ("passes", "pass"), ("dresses", "dress"), ("runs", "run"), ("bus", "bus"), ("glass", "glass"),
    ("iris", "iris"), ("ties", "tie"), ("goes", "go"),
])
def test_lemma_table(word, base):
    assert lemma(word) == base


def test_a_pronoun_object_him_is_the_leader_to_follow():
    plan = decompose_prompt("The dog runs to the left and the cat chases him", ["dog", "cat"])
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (1.0, -0.35, 0.0)]
    assert "'cat' follows ['dog'] in the same direction." in plan.notes


def test_a_combined_motion_keeps_its_heading_for_the_next_clause():
    # jump to the left = walk left + hop: the later exit goes left too, -0.35 - 1.2 = -1.55
    plan = decompose_prompt("The dog jumps to the left. Then it walks out of the frame", ["dog"])
    assert xy(plan, "dog")[-2:] == [(0.5, -0.35, 0.0), (1.0, -1.55, 0.0)]
    assert plan.motion_prompt == "The dog jumps to the left, then walks out of the frame to the left."


@pytest.mark.parametrize("prompt,scale,phrase", [
    ("The balloon gets bigger", 1.6, "The balloon grows."),
    ("The balloon grows", 1.6, "The balloon grows."),
    ("The balloon shrinks", 0.6, "The balloon shrinks."),
])
def test_growing_and_shrinking(prompt, scale, phrase):
    plan = decompose_prompt(prompt, ["balloon"])
    assert [(k["t"], k["scale"]) for k in plan.keyframes["balloon"]] == [(0.0, 1.0), (1.0, scale)]
    assert plan.motion_prompt == phrase


def test_circles_without_a_circle_verb_and_keyframes_rounded_to_four_places():
    plan = decompose_prompt("The dog runs in circles", ["dog"])
    frames = plan.keyframes["dog"]
    assert plan.motion_prompt == "The dog moves in a circle."
    assert [k["t"] for k in frames] == [0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0]  # one end, no repeat
    assert (frames[7]["dx"], frames[7]["dy"]) == (-0.0849, -0.0351)  # 0.12 * sin(-45 deg), 0.12 * (cos - 1), rounded


def test_they_after_a_compound_subject_moves_both():
    plan = decompose_prompt("The dog and the cat run to the right. Then they jump", ["dog", "cat"])
    for name in ("dog", "cat"):
        assert xy(plan, name) == [(0.0, 0.0, 0.0), (0.5, 0.35, 0.0), (0.75, 0.35, -0.15), (1.0, 0.35, 0.0)]


def test_a_compound_subject_gives_each_object_the_motion():
    plan = decompose_prompt("The dog and the cat run to the right", ["dog", "cat"])
    assert xy(plan, "dog") == xy(plan, "cat") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]
    assert plan.motion_prompt == "The dog runs to the right. The cat runs to the right."


def test_adjectives_tell_two_objects_of_one_kind_apart():
    plan = decompose_prompt("The red car drives to the left while the blue car drives to the right",
                            ["red car", "blue car"])
    assert xy(plan, "red car") == [(0.0, 0.0, 0.0), (1.0, -0.35, 0.0)]
    assert xy(plan, "blue car") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]


@pytest.mark.parametrize("prompt,name", [("The wolves run to the left", "wolf"), ("The knives fall", "knife")])
def test_a_plural_in_f_or_fe_names_the_object(prompt, name):
    plan = decompose_prompt(prompt, [name])
    assert plan.keyframes[name][-1]["dx"] != 0.0 or plan.keyframes[name][-1]["dy"] != 0.0
    assert not any("not mentioned" in n for n in plan.notes)


@pytest.mark.parametrize("opening", ["Meanwhile", "While that happens,"])
def test_a_sentence_opening_with_a_concurrent_word_acts_at_the_same_time(opening):
    # "Meanwhile it jumps" is the same clip as the run (it was read as "then": run over 0..0.5,
    # jump over 0.5..1); one phase: the run over 0..1 and one jump arc peaking at t = 0.5
    plan = decompose_prompt(f"The dog runs to the right. {opening} it jumps.", ["dog"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (0.5, 0.175, -0.15), (1.0, 0.35, 0.0)]
    assert plan.motion_prompt == "The dog runs to the right and jumps."


def test_a_sentence_opening_with_then_still_acts_after():
    plan = decompose_prompt("The dog runs to the right. Then it jumps.", ["dog"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (0.5, 0.35, 0.0), (0.75, 0.35, -0.15), (1.0, 0.35, 0.0)]


@pytest.mark.parametrize("prompt, local", [
    ("It flies up into the sky.", "The bird flies up into the sky"),
    ("Then it flies up.", "The bird flies up"),
    ("They fly to the left.", "The bird flies to the left"),
])
def test_a_pronoun_opening_the_prompt_of_one_object_is_that_object(prompt, local):
    # the local prompt used to keep the pronoun after the name: "The bird It flies up into the sky"
    plan = decompose_prompt(prompt, ["bird"])
    assert plan.local_prompts["bird"] == local
