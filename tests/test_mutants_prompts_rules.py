"""Tests written from surviving mutants of the prompts group (the rule parser, ``prompts/rules.py``).

Each test pins a behaviour a one-line change to ``ttm_core.prompts.rules`` could break without the
older tests noticing. Expected values are what an English reader takes the prompt to say, on the
documented scale (a walk "to the right" ends at dx = +0.35 of the width, "up" at dy = -0.25 of the
height; clauses in sequence share the clip in equal turns; keyframes rounded to 4 places), worked out
by hand.
"""

from __future__ import annotations

import pytest

from ttm_core.errors import TTMInputError
from ttm_core.prompts import RuleBasedDecomposer
from ttm_core.prompts.decompose import decompose_prompt
from prompt_helpers import xy


# ---- follow / carry links ------------------------------------------------------------------------


def test_a_follower_in_a_later_phase_takes_only_the_leaders_own_path():
    # the dog walks left over t 0..0.5 and holds; the cat then follows it over 0.5..1 to the same
    # -0.35 (the dog's phase without a clause adds nothing to the direction the cat copies)
    plan = decompose_prompt("The dog runs to the left. Then the cat chases the dog.", ["dog", "cat"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (0.5, -0.35, 0.0), (1.0, -0.35, 0.0)]
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (0.5, 0.0, 0.0), (1.0, -0.35, 0.0)]


def test_her_as_the_object_of_a_chase_is_the_woman_to_follow():
    # "her" after the verb with nothing after it is the object pronoun (not "walks her dog")
    plan = decompose_prompt("The woman runs to the left and the dog chases her", ["woman", "dog"])
    assert xy(plan, "dog") == xy(plan, "woman") == [(0.0, 0.0, 0.0), (1.0, -0.35, 0.0)]
    assert "'dog' follows ['woman'] in the same direction." in plan.notes
    assert plan.motion_prompt == "The woman runs to the left. The dog chases the woman."


def test_her_before_a_noun_is_still_a_possessive():
    plan = decompose_prompt("The girl walks her dog to the right.", ["girl", "dog"])
    assert xy(plan, "dog") == xy(plan, "girl") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]
    assert "'dog' moves along with ['girl'] (carry)." in plan.notes
    # the dog moves, carried: it is not also told it stays still
    assert not any("stays still" in n for n in plan.notes), plan.notes


@pytest.mark.parametrize("adverb", ["quickly", "slowly", "closely", "fast"])
def test_her_before_an_adverb_is_the_woman_to_follow(adverb):
    # a real bug found from the survivor _object_her__mutmut_7: "chases her slowly" read "her" as a
    # possessive of "slowly", so the dog stayed in place; the follower goes where the leader goes
    plan = decompose_prompt(f"The woman runs to the left and the dog chases her {adverb}.", ["woman", "dog"])
    assert xy(plan, "dog") == xy(plan, "woman") == [(0.0, 0.0, 0.0), (1.0, -0.35, 0.0)]
    assert "'dog' follows ['woman'] in the same direction." in plan.notes


@pytest.mark.parametrize("modifiers", ["lovely", "only", "lovely little"])
def test_her_before_an_ly_adjective_and_a_noun_is_still_a_possessive(modifiers):
    # "lovely"/"only" end in -ly but a name (or another adjective) follows: the girl walks her own
    # dog, which is carried along
    plan = decompose_prompt(f"The girl walks her {modifiers} dog to the right.", ["girl", "dog"])
    assert xy(plan, "dog") == xy(plan, "girl") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]
    assert "'dog' moves along with ['girl'] (carry)." in plan.notes


def test_her_before_a_plain_noun_carries_nobody():
    # "her puppy" (no object named puppy) is a possessive: the girl leads no object, and the boy is
    # not carried by her; "walks" names no direction, so she stays
    plan = decompose_prompt("The boy runs to the right and the girl walks her puppy.", ["boy", "girl"])
    assert xy(plan, "boy") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]
    assert xy(plan, "girl") == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]
    assert not any("moves along with" in n for n in plan.notes), plan.notes


def test_her_before_a_preposition_and_an_adverb_before_a_determiner():
    # "chases her into the garden": "her" is the woman; "chases quickly the dog": the adverb is skipped
    plan = decompose_prompt("The woman runs to the left and the dog chases her into the garden.", ["woman", "dog"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (1.0, -0.35, 0.0)]
    assert "'dog' follows ['woman'] in the same direction." in plan.notes
    plan = decompose_prompt("The dog runs to the left and the cat chases quickly the dog.", ["dog", "cat"])
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (1.0, -0.35, 0.0)]
    assert "'cat' follows ['dog'] in the same direction." in plan.notes


def test_them_as_the_object_of_a_chase_is_the_group_to_follow():
    plan = decompose_prompt("The dogs run to the left. The cat chases them.", ["dog", "cat"])
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (1.0, -0.35, 0.0)]
    assert "'cat' follows ['dog'] in the same direction." in plan.notes


@pytest.mark.parametrize("pronoun", ["it", "him"])
def test_runs_after_a_pronoun_follows_and_says_after_whom(pronoun):
    plan = decompose_prompt(f"The dog runs to the left and the cat runs after {pronoun}.", ["dog", "cat"])
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (1.0, -0.35, 0.0)]
    assert "'cat' follows ['dog'] in the same direction." in plan.notes
    assert plan.motion_prompt == "The dog runs to the left. The cat runs after the dog."


def test_after_as_a_time_word_before_a_subject_pronoun_is_no_chase():
    # "after he stops" says when the cat jumps, not whom it follows: the cat jumps in place
    plan = decompose_prompt("The dog runs to the left. The cat jumps after he stops.", ["dog", "cat"])
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (0.5, 0.0, -0.15), (1.0, 0.0, 0.0)]
    assert not any("follows" in n for n in plan.notes), plan.notes


def test_a_chased_object_without_a_clause_moves_along_with_the_chaser():
    plan = decompose_prompt("The dog chases the cat to the left.", ["dog", "cat"])
    assert xy(plan, "cat") == xy(plan, "dog") == [(0.0, 0.0, 0.0), (1.0, -0.35, 0.0)]
    assert "'cat' moves along with ['dog'] (follow)." in plan.notes
    assert not any("stays still" in n for n in plan.notes), plan.notes


def test_passing_an_object_does_not_carry_it_along():
    plan = decompose_prompt("The car drives to the right and passes the truck.", ["car", "truck"])
    assert xy(plan, "truck") == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]
    assert "'truck' has no action of its own in the prompt: it stays still." in plan.notes


def test_a_follower_with_its_own_direction_does_not_add_the_leaders():
    plan = decompose_prompt("The dog runs to the left. The cat chases the dog to the left.", ["dog", "cat"])
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (1.0, -0.35, 0.0)]
    assert not any("follows" in n for n in plan.notes), plan.notes


def test_a_follower_of_two_rising_leaders_rises_by_their_mean():
    plan = decompose_prompt("The red balloon and the blue balloon rise. The bird follows the balloons.",
                            ["red balloon", "blue balloon", "bird"])
    assert xy(plan, "bird") == [(0.0, 0.0, 0.0), (1.0, 0.0, -0.25)]


def test_a_leader_with_an_underscore_name_is_written_with_a_space():
    plan = decompose_prompt("The red car drives to the right. The truck follows it.", ["red_car", "truck"])
    assert xy(plan, "truck") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]
    assert plan.motion_prompt == "The red car drives to the right. The truck follows the red car."


# ---- names, notes and prompts --------------------------------------------------------------------


def test_underscore_names_read_as_words_in_every_prompt():
    plan = decompose_prompt("The red car drives to the right.", ["red_car", "blue_car"])
    assert plan.motion_prompt == "The red car drives to the right."
    assert plan.local_prompts == {"red_car": "The red car drives to the right", "blue_car": "blue car"}


def test_an_unmentioned_object_listed_first_does_not_hide_the_others():
    plan = decompose_prompt("The dog runs to the right", ["cat", "dog"])
    assert plan.local_prompts == {"cat": "cat", "dog": "The dog runs to the right"}
    assert plan.motion_prompt == "The dog runs to the right."
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]


def test_a_single_named_object_the_prompt_does_not_mention_takes_the_whole_prompt():
    plan = decompose_prompt("Something flies up into the sky.", ["bird"])
    assert xy(plan, "bird") == [(0.0, 0.0, 0.0), (1.0, 0.0, -0.25)]
    assert "'bird' is not named in the prompt; its motion was taken from the prompt as a whole." in plan.notes


def test_a_mentioned_object_gets_no_not_named_note():
    plan = decompose_prompt("The bird flies up into the sky.", ["bird"])
    assert not any("not named" in n for n in plan.notes), plan.notes


def test_a_prompt_with_no_motion_phrase_gives_an_empty_motion_prompt():
    plan = decompose_prompt("The cat looks up.", ["cat"])
    assert plan.motion_prompt == ""
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]


def test_a_local_prompt_has_no_space_before_a_comma():
    plan = decompose_prompt("The dog, happily, runs to the right.", ["dog"])
    local = plan.local_prompts["dog"]
    assert " ," not in local and "  " not in local, local
    assert local.startswith("The dog") and local.endswith("runs to the right")


def test_a_local_prompt_keeps_a_capital_x_at_its_end():
    plan = decompose_prompt("The dog runs to the right towards X.", ["dog"])
    assert plan.local_prompts["dog"] == "The dog runs to the right towards X"


# ---- errors of the decomposer called directly -----------------------------------------------------


@pytest.mark.parametrize("names, match", [(["dog", "dog"], "unique"), (["dog", ""], "entry 1")])
def test_the_decomposer_called_directly_names_the_names_input(names, match):
    with pytest.raises(TTMInputError, match=match) as err:
        RuleBasedDecomposer().decompose("A dog runs.", names)
    assert err.value.input_name == "names"


# ---- keyframe timing and rounding ----------------------------------------------------------------


def test_three_phases_share_the_clip_in_thirds_rounded_to_four_places():
    # right 0.35 by t = 1/3, one hop (top at the middle of 1/3..2/3), back left 0.35 by t = 1
    plan = decompose_prompt("The dog runs to the right, then jumps, then runs to the left.", ["dog"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (0.3333, 0.35, 0.0), (0.5, 0.35, -0.15), (0.6667, 0.35, 0.0),
                                (1.0, 0.0, 0.0)]


# ---- more links, local prompts -------------------------------------------------------------------


def test_a_pronoun_object_in_the_first_clause_has_no_one_to_refer_to():
    # nothing came before "it": the cat chases in place, with the usual note, and nothing breaks
    plan = decompose_prompt("The cat chases it.", ["cat"])
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]
    assert any(n.startswith("'cat': 'chases' names no direction") for n in plan.notes), plan.notes


def test_a_chased_object_with_its_own_clause_keeps_its_own_motion():
    plan = decompose_prompt("The dog chases the cat to the left. The cat runs to the right.", ["dog", "cat"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (1.0, -0.35, 0.0)]
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]
    assert not any("moves along" in n for n in plan.notes), plan.notes


def test_a_chased_object_is_not_moved_by_a_chaser_that_goes_nowhere():
    plan = decompose_prompt("The cat chases the mouse.", ["cat", "mouse"])
    assert xy(plan, "mouse") == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]
    assert "'mouse' has no action of its own in the prompt: it stays still." in plan.notes
    assert not any("moves along" in n for n in plan.notes), plan.notes


def test_a_carried_object_goes_up_with_its_carrier():
    plan = decompose_prompt("The man carries the box up the stairs.", ["man", "box"])
    assert xy(plan, "box") == xy(plan, "man") == [(0.0, 0.0, 0.0), (1.0, 0.0, -0.25)]
    assert "'box' moves along with ['man'] (carry)." in plan.notes


def test_a_relative_clause_subject_with_an_underscore_name_is_written_with_a_space():
    # ", which drives ..." names no subject of its own: the local prompt starts from the name
    plan = decompose_prompt("The cat sees the red car, which drives to the right.", ["cat", "red_car"])
    assert plan.local_prompts["red_car"] == "The red car drives to the right"
    assert xy(plan, "red_car") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]


def test_a_subject_only_sentence_does_not_end_the_local_prompt():
    # "A red car." has no predicate; the next sentence's predicate still belongs to the car
    plan = decompose_prompt("A red car. It drives to the right.", ["red_car"])
    assert plan.local_prompts["red_car"] == "A red car drives to the right"


def test_two_predicates_at_once_are_joined_by_and_in_the_local_prompt():
    plan = decompose_prompt("The dog runs to the right and jumps.", ["dog"])
    assert plan.local_prompts["dog"] == "The dog runs to the right and jumps"
    # both at once: half the walk (0.175) at the hop's top (t = 0.5)
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (0.5, 0.175, -0.15), (1.0, 0.35, 0.0)]


def test_her_before_a_verb_form_is_the_object_followed():
    # "chases her, jumping": the boy goes where the girl goes (0.35 to the right) and jumps on the way
    plan = decompose_prompt("The girl runs to the right and the boy chases her jumping", ["girl", "boy"])
    frames = [(k["t"], k["dx"], k["dy"]) for k in plan.keyframes["boy"]]
    assert frames == [(0.0, 0.0, 0.0), (0.5, 0.175, -0.15), (1.0, 0.35, 0.0)]
