"""The offline rules' English: plural nouns, verb agreement, sentence case and follow links.

Expected texts are what an English reader writes for the prompt, by hand; the motion scale is the
documented one (a walk "to the right" ends at dx = 0.35).
"""

from __future__ import annotations

import pytest

from ttm_core.prompts.decompose import decompose_prompt
from ttm_core.prompts.motion import plural_phrase
from ttm_core.prompts.text import lemma
from prompt_helpers import xy


@pytest.mark.parametrize("word,base", [
    ("horses", "horse"), ("houses", "house"), ("roses", "rose"), ("chases", "chase"), ("rises", "rise"),
    ("gazes", "gaze"), ("sizes", "size"), ("buses", "bus"), ("minibuses", "minibus"), ("lenses", "lens"),
    ("glasses", "glass"), ("passes", "pass"), ("buzzes", "buzz"), ("boxes", "box"), ("dishes", "dish"),
])
def test_lemma_of_words_in_ses_and_zes(word, base):
    assert lemma(word) == base


def test_an_object_named_in_the_singular_is_found_in_its_plural_ending_in_ses():
    plan = decompose_prompt("Two horses gallop to the left while the bus drives right.", ["horse", "bus"])
    assert xy(plan, "horse") == [(0.0, 0.0, 0.0), (1.0, -0.35, 0.0)]
    assert xy(plan, "bus") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]
    assert plan.local_prompts == {"horse": "Two horses gallop to the left", "bus": "The bus drives right"}
    assert plan.motion_prompt == "The horse gallops to the left. The bus drives to the right."


@pytest.mark.parametrize("prompt,names,motion", [
    ("The dogs run to the right.", ["dogs"], "The dogs run to the right."),
    ("Two birds fly up while the car drives left.", ["birds", "car"],
     "The birds fly upwards. The car drives to the left."),
    ("The horses gallop to the left, then jump.", ["horses"], "The horses gallop to the left, then jump."),
])
def test_the_motion_prompt_agrees_with_a_plural_object_name(prompt, names, motion):
    assert decompose_prompt(prompt, names).motion_prompt == motion


@pytest.mark.parametrize("phrase,plural", [
    ("runs quickly out of the frame to the right, then jumps and spins",
     "run quickly out of the frame to the right, then jump and spin"),
    ("moves upwards and to the right", "move upwards and to the right"),
    ("takes off upwards", "take off upwards"),
    ("stays still", "stay still"),
    ("flies downwards and towards the camera", "fly downwards and towards the camera"),
    ("chases the dog", "chase the dog"),
    ("goes to the left", "go to the left"),
])
def test_plural_phrase_puts_each_leading_verb_back_to_its_base(phrase, plural):
    assert plural_phrase(phrase) == plural


def test_a_compound_subjects_later_verbs_agree_with_each_object_and_each_prompt_is_a_sentence():
    plan = decompose_prompt("The dog and the cat run to the right, then jump.", ["dog", "cat"])
    assert plan.local_prompts == {"dog": "The dog runs to the right, then jumps",
                                  "cat": "The cat runs to the right, then jumps"}


def test_an_inherited_plural_noun_subject_keeps_the_plural_verb():
    plan = decompose_prompt("The birds fly up, then land.", ["birds"])
    assert plan.local_prompts == {"birds": "The birds fly up, then land"}


def test_they_after_two_singular_subjects_gives_each_a_singular_verb():
    plan = decompose_prompt("The dog and the cat sit. Then they run to the right.", ["dog", "cat"])
    assert plan.local_prompts == {"dog": "The dog sits, then runs to the right",
                                  "cat": "The cat sits, then runs to the right"}


def test_a_follower_that_names_no_direction_is_not_also_told_it_stays_in_place():
    plan = decompose_prompt("The dog runs left. The cat chases him.", ["dog", "cat"])
    assert xy(plan, "cat") == xy(plan, "dog") == [(0.0, 0.0, 0.0), (1.0, -0.35, 0.0)]
    assert "'cat' follows ['dog'] in the same direction." in plan.notes
    assert not any("names no direction" in n for n in plan.notes), plan.notes
    assert plan.motion_prompt == "The dog runs to the left. The cat chases the dog."


def test_a_directionless_verb_without_a_leader_still_says_it_stays_in_place():
    plan = decompose_prompt("The cat chases.", ["cat"])
    assert any(n.startswith("'cat': 'chases' names no direction") for n in plan.notes), plan.notes
    assert plan.motion_prompt == "The cat chases."


def test_a_follower_keeps_its_own_motion_and_adds_the_leaders_direction():
    # the cat's jump (one arc: dy -0.15 at mid-clip) stays; the dog's walk left (dx -0.35) is added
    plan = decompose_prompt("The dog runs to the left. The cat jumps and follows the dog.", ["dog", "cat"])
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (0.5, -0.175, -0.15), (1.0, -0.35, 0.0)]


def test_a_follower_of_two_leaders_names_both_in_the_motion_prompt():
    plan = decompose_prompt("The red car and the blue car drive to the right. The truck follows the cars.",
                            ["red car", "blue car", "truck"])
    assert xy(plan, "truck") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]
    assert plan.motion_prompt == ("The red car drives to the right. The blue car drives to the right. "
                                  "The truck follows the red car and the blue car.")


def test_a_carrier_does_not_take_the_direction_of_what_it_carries():
    plan = decompose_prompt("The dog carries the ball. The ball rolls to the right.", ["dog", "ball"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]
    assert xy(plan, "ball") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]
