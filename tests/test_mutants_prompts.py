"""Tests written from surviving mutants of ``ttm_core/prompts/text.py`` and ``motion.py``
(tools/mutation.py, group prompts; ``llm.py`` and ``decompose.py`` are in
``test_mutants_prompts_llm.py``, ``rules.py`` in ``test_mutants_prompts_rules.py``).

Expected values come from the documented scale of the offline rules (module constants of
``ttm_core.prompts.motion``: a step is 0.35 of the width / 0.25 of the height, x1.5 "quickly",
x0.5 "slowly", leaving the frame is 1.2, a jump 0.15 high), from what an English reader takes a
prompt to say, from the literal answers written into each case, or from the project's error
rule (a bad input is a :class:`TTMInputError` whose message starts with the input's name; an LLM
answer's errors start with ``answer:`` so the retry tells the model which text was wrong).
Verdicts on the survivors not killed here are in ``docs/mutation-survivors/prompts.md``.
"""

from __future__ import annotations

import pytest

from ttm_core.prompts.decompose import decompose_prompt
from prompt_helpers import xy


# ---- text.py: where a new subject starts --------------------------------------------------------

@pytest.mark.parametrize("prompt", ["The dog runs to the right as", "The dog runs to the right as the",
                                    "The dog runs to the right, and the brown", "The dog runs to the right,"])
def test_a_prompt_cut_off_after_a_connector_still_parses(prompt):
    """A half-typed prompt (ending in "as", or in determiners/adjectives) is read up to where it stops."""
    plan = decompose_prompt(prompt, ["dog"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]


def test_both_after_and_starts_a_clause_for_every_object_so_far():
    plan = decompose_prompt("the dog runs to the right and the cat runs to the left and both jump", ["dog", "cat"])
    # each runs its own way and jumps (0.15 high, half way) over the whole clip
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (0.5, 0.175, -0.15), (1.0, 0.35, 0.0)]
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (0.5, -0.175, -0.15), (1.0, -0.35, 0.0)]


def test_as_fast_as_compares_speeds_and_starts_no_clause():
    """"as fast as the cat" is a comparison, not "as the cat ...": the dog runs fast (x1.5) to the right."""
    plan = decompose_prompt("the dog runs to the right as fast as the cat", ["dog", "cat"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (1.0, 0.525, 0.0)]
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]


def test_a_local_prompt_keeps_adjectives_the_lexicon_does_not_know():
    """"playful" and "muddy" are in no word list; their adjective endings make them part of the
    noun phrase that introduces the dog, so the dog's own prompt keeps them as written."""
    plan = decompose_prompt("A playful muddy dog runs to the right", ["dog"])
    assert plan.local_prompts["dog"] == "A playful muddy dog runs to the right"


@pytest.mark.parametrize("prompt,expected", [
    ("Dogs run to the left quickly", "Dogs run to the left quickly"),  # the name first, an -ly word last
    ("Fluffy dogs run to the right", "Fluffy dogs run to the right"),  # the adjective is the first word
    ("Dogs walk to the right one by one", "Dogs walk to the right one by one"),  # a determiner last
])
def test_a_noun_phrase_at_the_start_of_the_prompt_is_kept_as_written(prompt, expected):
    assert decompose_prompt(prompt, ["dog"]).local_prompts["dog"] == expected


def test_the_second_subject_of_a_compound_keeps_only_its_own_words():
    plan = decompose_prompt("The dog and the brown cat run to the right", ["dog", "cat"])
    assert plan.local_prompts == {"dog": "The dog runs to the right", "cat": "The brown cat runs to the right"}


def test_an_object_with_no_predicate_is_described_by_its_noun_phrase_alone():
    assert decompose_prompt("A brown dog.", ["dog"]).local_prompts == {"dog": "A brown dog"}


# ---- motion.py: the motion-only phrase --------------------------------------------------------

def test_leaving_the_frame_to_the_right_says_so():
    plan = decompose_prompt("the cat runs out of the frame to the right", ["cat"])
    assert plan.motion_prompt == "The cat runs out of the frame to the right."
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (1.0, 1.2, 0.0)]


@pytest.mark.parametrize("prompt,phrase", [
    ("the ball to the left", "The ball moves to the left."),  # no verb at all
    ("the dog scampers to the right", "The dog moves to the right."),  # a verb the rules do not know
])
def test_a_direction_without_a_known_verb_is_said_with_moves(prompt, phrase):
    name = prompt.split()[1]
    assert decompose_prompt(prompt, [name]).motion_prompt == phrase


@pytest.mark.parametrize("prompt,dx", [
    ("the car drives from left to right", 0.35),
    ("the car drives in from the right", -0.35),
])
def test_from_a_side_is_one_step_the_other_way(prompt, dx):
    assert xy(decompose_prompt(prompt, ["car"]), "car") == [(0.0, 0.0, 0.0), (1.0, dx, 0.0)]


@pytest.mark.parametrize("prompt,name,phrase", [
    ("the rocket takes off", "rocket", "The rocket takes off upwards."),
    ("the balloon lifts off", "balloon", "The balloon takes off upwards."),
    ("the plane speeds along to take off", "plane", "The plane speeds upwards."),  # its own verb is kept
])
def test_taking_off_rises_one_step(prompt, name, phrase):
    plan = decompose_prompt(prompt, [name])
    assert plan.motion_prompt == phrase
    assert xy(plan, name) == [(0.0, 0.0, 0.0), (1.0, 0.0, -0.25)]


def test_leaving_the_frame_without_a_side_goes_right_with_a_note():
    plan = decompose_prompt("the cat walks out of the frame", ["cat"])
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (1.0, 1.2, 0.0)]
    assert any("without a side" in n for n in plan.notes)


def test_leaving_the_frame_after_turning_takes_that_side_without_a_note():
    plan = decompose_prompt("the cat turns to the left and walks out of the frame", ["cat"])
    assert plan.keyframes["cat"][-1]["dx"] == -1.2
    assert not any("without a side" in n for n in plan.notes)


def test_turning_to_the_right_is_said_and_does_not_move():
    plan = decompose_prompt("the dog turns to the right", ["dog"])
    assert plan.motion_prompt == "The dog turns to the right."
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]


def test_looking_somewhere_is_not_moving_there():
    """"keeps looking to the left": only a gaze (and a verb of no motion), the cat stays."""
    plan = decompose_prompt("the cat keeps looking to the left", ["cat"])
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]


def test_a_gaze_verb_is_not_the_motion_verb():
    plan = decompose_prompt("the dog stares ahead running to the left", ["dog"])
    assert plan.motion_prompt == "The dog runs to the left."


@pytest.mark.parametrize("prompt", ["the cat sits", "the cat is motionless"])
def test_a_still_verb_or_a_still_word_alone_stays_still(prompt):
    plan = decompose_prompt(prompt, ["cat"])
    assert plan.motion_prompt == "The cat stays still."
    assert not any("names no direction" in n for n in plan.notes)


@pytest.mark.parametrize("prompt,name,key,value", [
    ("the frog jumps into the still water", "frog", "dy", -0.15),  # the jump's top at t = 0.5
    ("the balloon rises over the still lake", "balloon", "dy", -0.25),
    ("the top spins on the static table", "top", "rot", 360.0),
    ("the car exits the frame past the stationary truck", "car", "dx", 1.2),
    ("the bird circles above the still lake", "bird", "dy", -0.24),  # half way round: 2 r = 0.24 up
])
def test_a_still_word_about_the_scenery_does_not_stop_a_moving_verb(prompt, name, key, value):
    frames = decompose_prompt(prompt, [name]).keyframes[name]
    assert any(k[key] == pytest.approx(value, abs=1e-4) for k in frames)


# ---- motion.py: headings, speed, spins and wiggles ---------------------------------------------

@pytest.mark.parametrize("prompt,end", [
    ("the dog turns to the left, then walks", (1.0, -0.35, 0.0)),  # walks the way it faces
    ("the dog turns to the left, then walks to the right", (1.0, 0.35, 0.0)),  # its own direction wins
    ("the dog turns to the left, then walks upwards", (1.0, 0.0, -0.25)),
])
def test_a_heading_is_used_only_when_the_walk_names_no_direction(prompt, end):
    assert xy(decompose_prompt(prompt, ["dog"]), "dog")[-1] == end


def test_slowly_halves_a_sideways_step():
    assert xy(decompose_prompt("the dog walks slowly to the right", ["dog"]), "dog") == [(0.0, 0.0, 0.0), (1.0, 0.175, 0.0)]


@pytest.mark.parametrize("prompt,name,phrase,rot", [
    ("the ball rolls", "ball", "The ball rolls.", 360.0),
    ("the dancer twirls", "dancer", "The dancer twirls.", 360.0),
    ("the dancer is twirling", "dancer", "The dancer twirls.", 360.0),
])
def test_a_spin_or_a_roll_turns_once_and_says_its_own_verb(prompt, name, phrase, rot):
    plan = decompose_prompt(prompt, [name])
    assert plan.motion_prompt == phrase and plan.keyframes[name][-1]["rot"] == rot


def test_a_ball_rolling_sideways_also_turns_once():
    frames = decompose_prompt("the ball rolls to the right", ["ball"]).keyframes["ball"]
    assert (frames[-1]["dx"], frames[-1]["rot"]) == (0.35, 360.0)


def test_a_wave_says_its_verb():
    assert decompose_prompt("the flag waves", ["flag"]).motion_prompt == "The flag waves."


# ---- text.py: connectors, sentences, pronouns, object words -------------------------------------

SEQ_DOG = [(0.0, 0.0, 0.0), (0.5, 0.35, 0.0), (1.0, 0.35, 0.0)]
SEQ_CAT = [(0.0, 0.0, 0.0), (0.5, 0.0, 0.0), (0.75, 0.0, -0.15), (1.0, 0.0, 0.0)]
CONC_DOG = [(0.0, 0.0, 0.0), (1.0, 0.35, 0.0)]
CONC_CAT = [(0.0, 0.0, 0.0), (0.5, 0.0, -0.15), (1.0, 0.0, 0.0)]


@pytest.mark.parametrize("joint", [", afterwards the cat", ", later the cat", ", finally the cat", ", next the cat"])
def test_a_single_sequence_word_after_a_comma_orders_the_clauses(joint):
    plan = decompose_prompt("The dog runs to the right" + joint + " jumps", ["dog", "cat"])
    assert (xy(plan, "dog"), xy(plan, "cat")) == (SEQ_DOG, SEQ_CAT)


@pytest.mark.parametrize("prompt", ["The dog runs to the right, meanwhile the cat jumps",
                                    "The dog runs to the right as cats jump"])
def test_meanwhile_and_as_before_a_bare_plural_act_together(prompt):
    plan = decompose_prompt(prompt, ["dog", "cat"])
    assert (xy(plan, "dog"), xy(plan, "cat")) == (CONC_DOG, CONC_CAT)


def test_next_to_is_a_place_not_a_sequence():
    plan = decompose_prompt("the dog runs next to the cat to the right", ["dog", "cat"])
    assert (xy(plan, "dog"), xy(plan, "cat")) == (CONC_DOG, [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)])


def test_and_then_with_no_new_subject_keeps_the_next_verb():
    plan = decompose_prompt("the dog runs to the right and then jumps", ["dog"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (0.5, 0.35, 0.0), (0.75, 0.35, -0.15), (1.0, 0.35, 0.0)]


@pytest.mark.parametrize("rel", ["who", "that"])
def test_a_relative_clause_after_a_comma_belongs_to_the_noun_before_it(rel):
    plan = decompose_prompt(f"The girl watches the boy, {rel} runs to the right", ["girl", "boy"])
    assert xy(plan, "boy") == CONC_DOG and xy(plan, "girl") == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]


def test_a_new_sentence_about_the_same_object_comes_after():
    plan = decompose_prompt("The dog runs to the right. It jumps.", ["dog"])
    assert xy(plan, "dog") == [(0.0, 0.0, 0.0), (0.5, 0.35, 0.0), (0.75, 0.35, -0.15), (1.0, 0.35, 0.0)]


def test_a_curly_apostrophe_reads_like_a_straight_one():
    plan = decompose_prompt("the dog doesn’t move", ["dog"])
    assert plan.motion_prompt == "The dog stays still."
    assert not any("names no direction" in n for n in plan.notes)


def test_an_adjective_at_the_very_start_picks_the_object():
    plan = decompose_prompt("Red car drives to the right while the blue car stays still", ["red_car", "blue_car"])
    assert xy(plan, "red_car") == CONC_DOG and xy(plan, "blue_car") == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]


@pytest.mark.parametrize("word", ["they", "everyone", "everybody", "everything", "both"])
def test_they_or_everyone_after_one_subject_means_everyone_mentioned(word):
    plan = decompose_prompt(f"The cat sits. The dog runs to the right. Then {word} jump.", ["cat", "dog"])
    for name in ("cat", "dog"):
        # the jump is the second phase: its top at t = 0.75
        assert any(t == 0.75 and dy == -0.15 for t, _, dy in xy(plan, name)), name


@pytest.mark.parametrize("prompt,names", [
    ("the leaves fall while the dog runs to the right", ["leaf", "dog"]),  # -ves -> -f
    ("the knives fall while the dog runs to the right", ["knife", "dog"]),  # -ves -> -fe
    ("the wives fall while the dog runs to the right", ["wife", "dog"]),
    ("the elves fall while the dog runs to the right", ["elf", "dog"]),
    ("the doves fall while the dog runs to the right", ["dove", "dog"]),  # -ves, but just -s
])
def test_a_plural_in_ves_finds_its_object(prompt, names):
    plan = decompose_prompt(prompt, names)
    assert xy(plan, names[0]) == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.25)] and xy(plan, "dog") == CONC_DOG


def test_object_names_with_numbers_are_found_by_their_words():
    plan = decompose_prompt("the dog runs to the right while the cat jumps", ["dog_1", "cat 2"])
    assert (xy(plan, "dog_1"), xy(plan, "cat 2")) == (CONC_DOG, CONC_CAT)


# ---- text.py: subjects before an unknown verb, after a preposition, after "there is" -----------

STILL = [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]


@pytest.mark.parametrize("prompt", ["Suddenly the dog scampers to the right", "Dogs scamper to the right"])
def test_an_unknown_verb_after_an_adverb_or_a_bare_plural_still_has_its_subject(prompt):
    plan = decompose_prompt(prompt, ["dog", "cat"])
    assert (xy(plan, "dog"), xy(plan, "cat")) == (CONC_DOG, STILL)


@pytest.mark.parametrize("prompt", ["the dog and the cat scamper to the right", "the dog, the cat scamper to the right"])
def test_two_subjects_of_an_unknown_verb_both_move(prompt):
    plan = decompose_prompt(prompt, ["dog", "cat"])
    assert (xy(plan, "dog"), xy(plan, "cat")) == (CONC_DOG, CONC_DOG)


def test_the_object_after_an_unknown_verb_is_not_a_subject():
    plan = decompose_prompt("the dog nuzzles the cat to the right", ["dog", "cat"])
    assert (xy(plan, "dog"), xy(plan, "cat")) == (CONC_DOG, STILL)


@pytest.mark.parametrize("prompt", ["Beside the cat, the dog runs to the right", "Beside cats, the dog runs to the right",
                                    "Beside the cat the dog runs to the right", "With cats the dog runs to the right"])
def test_an_object_after_an_opening_preposition_is_not_a_subject(prompt):
    plan = decompose_prompt(prompt, ["dog", "cat"])
    assert (xy(plan, "dog"), xy(plan, "cat")) == (CONC_DOG, STILL)


@pytest.mark.parametrize("prompt,local", [("There is a dog running to the right", "A dog running to the right"),
                                          ("There are dogs running to the right", "Dogs running to the right")])
def test_there_is_puts_the_subject_after_the_verb(prompt, local):
    plan = decompose_prompt(prompt, ["dog", "cat"])
    assert (xy(plan, "dog"), xy(plan, "cat")) == (CONC_DOG, STILL)
    assert plan.local_prompts["dog"] == local


def test_there_is_takes_only_the_noun_before_the_next_verb():
    plan = decompose_prompt("There is a dog chasing the cat", ["dog", "cat"])
    assert plan.motion_prompt == "The dog chases." and plan.local_prompts["cat"] == "cat"


# ---- text.py: pronouns, relative clauses, phases ------------------------------------------------

RUN_THEN_JUMP = [(0.0, 0.0, 0.0), (0.5, 0.35, 0.0), (0.75, 0.35, -0.15), (1.0, 0.35, 0.0)]
STILL_THEN_JUMP = [(0.0, 0.0, 0.0), (0.5, 0.0, 0.0), (0.75, 0.0, -0.15), (1.0, 0.0, 0.0)]


def test_they_after_two_subjects_means_those_two():
    plan = decompose_prompt("The bird sits. The dog and the cat run to the right. Then they jump.", ["bird", "dog", "cat"])
    assert (xy(plan, "bird"), xy(plan, "dog"), xy(plan, "cat")) == (STILL, RUN_THEN_JUMP, RUN_THEN_JUMP)


def test_they_after_one_subject_leaves_an_object_the_prompt_never_named():
    plan = decompose_prompt("The cat sits. The dog runs to the right. Then they jump.", ["cat", "dog", "bird"])
    assert (xy(plan, "cat"), xy(plan, "dog"), xy(plan, "bird")) == (STILL_THEN_JUMP, RUN_THEN_JUMP, STILL)


def test_a_noun_next_to_everyone_or_it_keeps_both():
    plan = decompose_prompt("The cat sits. Then the dog and everyone jump.", ["cat", "dog"])
    assert (xy(plan, "cat"), xy(plan, "dog")) == (STILL_THEN_JUMP, STILL_THEN_JUMP)
    plan = decompose_prompt("The dog runs to the right. Then the cat and it jump.", ["dog", "cat"])
    assert (xy(plan, "dog"), xy(plan, "cat")) == (RUN_THEN_JUMP, STILL_THEN_JUMP)


def test_a_relative_clause_after_a_plural_word_for_two_objects_is_theirs():
    plan = decompose_prompt("The girl watches the cars, which drive to the right", ["girl", "red_car", "blue_car"])
    assert plan.local_prompts["red_car"] == "The red car drives to the right"
    assert plan.local_prompts["blue_car"] == "The blue car drives to the right"


def test_a_sentence_about_another_object_does_not_reset_who_acted_in_the_phase():
    # the cat's sentence joins the dog's run; the dog's second sentence comes after both
    plan = decompose_prompt("The dog runs to the right. The cat jumps. The dog jumps.", ["dog", "cat"])
    assert xy(plan, "dog") == RUN_THEN_JUMP
    assert xy(plan, "cat") == [(0.0, 0.0, 0.0), (0.25, 0.0, -0.15), (0.5, 0.0, 0.0), (1.0, 0.0, 0.0)]


@pytest.mark.parametrize("joint", [", and the cat", ", and meanwhile the cat", ", and while the cat"])
def test_comma_and_before_a_new_subject_acts_together(joint):
    plan = decompose_prompt("The dog runs to the right" + joint + " jumps", ["dog", "cat"])
    assert (xy(plan, "dog"), xy(plan, "cat")) == (CONC_DOG, CONC_CAT)
    # each object's own words, without the joint
    assert plan.local_prompts == {"dog": "The dog runs to the right", "cat": "The cat jumps"}


@pytest.mark.parametrize("word,base", [("axes", "ax"), ("gas", "gas"), ("octopus", "octopus"), ("bus", "bus")])
def test_lemma_of_short_and_us_words(word, base):
    from ttm_core.prompts.text import lemma
    assert lemma(word) == base


def test_axes_are_found_as_the_ax():
    plan = decompose_prompt("the axes fall while the dog runs to the right", ["ax", "dog"])
    assert (xy(plan, "ax"), xy(plan, "dog")) == ([(0.0, 0.0, 0.0), (1.0, 0.0, 0.25)], CONC_DOG)
