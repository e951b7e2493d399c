"""The offline rules' keyframes for single predicates, against values worked out by hand.

The rules document their scale (module constants of ``ttm_core.prompts.motion``): a step is 0.35
of the width / 0.25 of the height (x1.5 "quickly", x0.5 "slowly"), leaving the frame is 1.2,
a jump is 0.15 high (a bounce: three of 0.7 x that), towards the camera scales by 1.6 with z = +1
and away by 0.6 with z = -1, a circle has radius 0.12 in 8 steps, a wave rocks +-8 degrees three
times, a spin turns 360 degrees (clockwise unless it goes left). Keyframes are rounded to 4 places.
"""

from __future__ import annotations

import math

import pytest

from ttm_core.prompts.decompose import decompose_prompt


def _track(prompt: str, name: str) -> list[tuple]:
    plan = decompose_prompt(prompt, [name])
    return [(k["t"], k["dx"], k["dy"], k["scale"], k["rot"], k["z"]) for k in plan.keyframes.get(name, [])]


def _motion(prompt: str, name: str) -> str:
    return decompose_prompt(prompt, [name]).motion_prompt


START = (0.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _flat(rows) -> list[float]:
    return [float(x) for row in rows for x in row]


def _same(got, want) -> bool:
    """Row by row, to the 4 decimals keyframes are rounded to."""
    a, b = _flat(got), _flat(want)
    return len(got) == len(want) and len(a) == len(b) and all(abs(x - y) <= 1.5e-4 for x, y in zip(a, b))


def test_a_circle_is_eight_points_on_a_circle_through_the_start():
    r = 0.12
    want = [START] + [(round(k / 8, 4), round(r * math.sin(2 * math.pi * k / 8), 4),
                       round(r * (math.cos(2 * math.pi * k / 8) - 1), 4), 1.0, 0.0, 0.0) for k in range(1, 9)]
    got = _track("the ball moves in a circle", "ball")
    assert _same(got, want)
    assert got[4][1:3] == pytest.approx((0.0, -0.24), abs=1e-4)  # half way round: straight above, 2r up


@pytest.mark.parametrize("prompt,end,phrase", [
    ("the car spins to the left", (1.0, -0.35, 0.0, 1.0, -360.0, 0.0), "The car spins to the left."),
    ("the car spins to the right", (1.0, 0.35, 0.0, 1.0, 360.0, 0.0), "The car spins to the right."),
    ("the bird approaches", (1.0, 0.0, 0.0, 1.6, 0.0, 1.0), "The bird approaches towards the camera."),
    ("the dog walks away", (1.0, 0.0, 0.0, 0.6, 0.0, -1.0), "The dog walks away from the camera."),
    ("the dog walks towards the camera", (1.0, 0.0, 0.0, 1.6, 0.0, 1.0), "The dog walks towards the camera."),
    ("the leaf falls quickly", (1.0, 0.0, 0.375, 1.0, 0.0, 0.0), "The leaf falls quickly downwards."),
    ("the balloon rises slowly", (1.0, 0.0, -0.125, 1.0, 0.0, 0.0), "The balloon rises slowly upwards."),
    ("the cat leaves the frame upwards", (1.0, 0.0, -1.2, 1.0, 0.0, 0.0), "The cat leaves out of the frame upwards."),
    ("the cat runs to the left out of the frame", (1.0, -1.2, 0.0, 1.0, 0.0, 0.0), "The cat runs out of the frame to the left."),
    ("the cat runs down to the left", (1.0, -0.35, 0.25, 1.0, 0.0, 0.0), "The cat runs downwards and to the left."),
])
def test_one_predicate_ends_where_the_rules_scale_puts_it(prompt, end, phrase):
    name = prompt.split()[1]
    got = _track(prompt, name)
    assert got[0] == START and got[-1] == pytest.approx(end, abs=1e-4)
    assert _motion(prompt, name) == phrase


def test_a_bounce_is_three_lower_hops_and_a_jump_one():
    h = round(0.15 * 0.7, 4)
    hops = [(1 / 6, -h), (2 / 6, 0.0), (3 / 6, -h), (4 / 6, 0.0), (5 / 6, -h), (1.0, 0.0)]
    got = _track("the ball bounces", "ball")
    assert _same([(t, dy) for t, _, dy, *_ in got[1:]], hops)
    got = _track("the dog jumps", "dog")
    assert _same([(t, dy) for t, _, dy, *_ in got[1:]], [(0.5, -0.15), (1.0, 0.0)])


def test_a_jump_to_the_right_adds_the_hop_to_the_walk():
    got = _track("the dog jumps to the right", "dog")
    assert _same([(t, dx, dy) for t, dx, dy, *_ in got], [(0.0, 0.0, 0.0), (0.5, 0.175, -0.15), (1.0, 0.35, 0.0)])


def test_a_wave_rocks_three_times_and_comes_back():
    want = []
    for i in range(3):
        want += [((i + 0.25) / 3, 8.0), ((i + 0.75) / 3, -8.0), ((i + 1) / 3, 0.0)]
    got = _track("the man waves", "man")
    assert _same([(t, rot) for t, _, _, _, rot, _ in got[1:]], want)


def test_a_takeoff_goes_up():
    got = _track("the plane takes off", "plane")
    assert got[-1][2] < 0 and "takes off" in _motion("the plane takes off", "plane")


# ---- verb groups next to a "still" word, exits, gazes and turns (from surviving mutants) ----------

@pytest.mark.parametrize("prompt,name,end,motion", [
    # a moving verb wins over a "still" word that describes something else
    ("The deer approaches the still water.", "deer", (1.0, 0.0, 0.0, 1.6, 0.0, 1.0),
     "The deer approaches towards the camera."),
    ("The boat sails to the right across the still lake.", "boat", (1.0, 0.35, 0.0, 1.0, 0.0, 0.0),
     "The boat sails to the right."),
    ("The apple falls from the still tree.", "apple", (1.0, 0.0, 0.25, 1.0, 0.0, 0.0), "The apple falls downwards."),
    # leaving the frame: by its own verb, downwards by falling, or carried with no motion verb at all
    ("The car exits to the left.", "car", (1.0, -1.2, 0.0, 1.0, 0.0, 0.0), "The car exits out of the frame to the left."),
    ("The ball falls out of the frame.", "ball", (1.0, 0.0, 1.2, 1.0, 0.0, 0.0),
     "The ball falls out of the frame downwards."),
    ("The balloon is carried out of the frame to the left.", "balloon", (1.0, -1.2, 0.0, 1.0, 0.0, 0.0),
     "The balloon moves out of the frame to the left."),
    # a verb that is no motion, with a side: faces that way, stays in place
    ("The dog barks to the left.", "dog", (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), "The dog turns to the left."),
    # a gaze in the same predicate as a run does not name the motion
    ("The dog, looking to the left, runs to the right.", "dog", (1.0, 0.35, 0.0, 1.0, 0.0, 0.0),
     "The dog runs to the right."),
    # a negated motion verb stays still, whatever the verb
    ("The cat doesn't move.", "cat", (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), "The cat stays still."),
    ("The cat does not run.", "cat", (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), "The cat stays still."),
])
def test_single_predicates_next_to_still_words_exits_gazes_and_turns(prompt, name, end, motion):
    assert _track(prompt, name) == [START, end]
    assert _motion(prompt, name) == motion


def test_a_negated_motion_gives_no_no_direction_note():
    plan = decompose_prompt("The cat doesn't move.", ["cat"])
    assert not any("names no direction" in n for n in plan.notes), plan.notes


def test_a_gaze_alone_moves_nothing_and_is_left_out_of_the_motion_prompt():
    plan = decompose_prompt("The cat looks up while the dog runs to the right.", ["cat", "dog"])
    assert [(k["t"], k["dx"], k["dy"]) for k in plan.keyframes["cat"]] == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]
    assert plan.motion_prompt == "The dog runs to the right."


def test_circling_by_its_verb_alone_is_a_circle_of_radius_0_12():
    track = _track("The hawk circles.", "hawk")
    r = 0.12  # a quarter of the way: (r, -r); half: (0, -2r); back at the start at the end
    assert track[2] == (0.25, r, -r, 1.0, 0.0, 0.0) and track[4] == (0.5, 0.0, -2 * r, 1.0, 0.0, 0.0)
    assert len(track) == 9 and track[-1][1:3] == (0.0, 0.0)
    assert _motion("The hawk circles.", "hawk") == "The hawk moves in a circle."


def test_a_concurrent_growth_is_named_with_and_and_interpolates_its_scale_geometrically():
    assert _motion("The balloon floats to the right, getting bigger.", "balloon") == \
        "The balloon floats to the right and grows."
    # jump + grow: the arc's top at t = 0.5 is half the log-scale, sqrt(1.6) = 1.26491... -> 1.2649
    assert _track("The frog jumps and grows.", "frog") == [
        START, (0.5, 0.0, -0.15, round(math.sqrt(1.6), 4), 0.0, 0.0), (1.0, 0.0, 0.0, 1.6, 0.0, 0.0)]
