"""The offline rule-based decomposer on a table of varied prompts.

Each row names the objects (as segmentation would) and, per object, the motion a reader expects
and a word its local prompt must contain (its own clause). An object is scored correct when its
keyframes show the expected motion AND its local prompt holds its own clause and no other
object's. The motion label is computed from the keyframes here, independently of the parser.
"""

from __future__ import annotations

import json

import pytest

from ttm_core.errors import TTMInputError
from ttm_core.prompts import RuleBasedDecomposer, decompose_prompt
from ttm_core.types import PromptPlan

# (prompt, object names, {name: (expected motion, word of its own clause or None)})
TABLE = [
    ("A dog runs to the right.", ["dog"], {"dog": ("right", "runs")}),
    ("The cat jumps.", ["cat"], {"cat": ("jump", "jumps")}),
    ("A red ball rolls to the left across the floor.", ["ball"], {"ball": ("left", "rolls")}),
    ("The balloon slowly rises into the sky.", ["balloon"], {"balloon": ("up", "rises")}),
    ("An apple falls from the tree.", ["apple", "tree"], {"apple": ("down", "falls"), "tree": ("still", None)}),
    ("The car drives towards the camera.", ["car"], {"car": ("closer", "drives")}),
    ("The boat sails away into the distance.", ["boat"], {"boat": ("away", "sails")}),
    ("A small bird flies up and to the right.", ["bird"], {"bird": ("up-right", "flies")}),
    ("The man walks to the left while the woman stands still.", ["man", "woman"],
     {"man": ("left", "walks"), "woman": ("still", "stands")}),
    ("The dog runs to the right and then jumps.", ["dog"], {"dog": ("right+jump", "jumps")}),
    ("The cat sleeps on the sofa.", ["cat", "sofa"], {"cat": ("still", "sleeps"), "sofa": ("still", None)}),
    ("The dogs run to the left.", ["dog"], {"dog": ("left", "run")}),
    ("The horse gallops from left to right.", ["horse"], {"horse": ("right", "gallops")}),
    ("A leaf drifts down slowly.", ["leaf"], {"leaf": ("down", "drifts")}),
    ("The rocket takes off.", ["rocket"], {"rocket": ("up", "takes off")}),
    ("The girl spins around.", ["girl"], {"girl": ("spin", "spins")}),
    ("The snowman slowly shrinks.", ["snowman"], {"snowman": ("shrink", "shrinks")}),
    ("The balloon inflates and gets bigger.", ["balloon"], {"balloon": ("grow", "inflates")}),
    ("A car leaves the frame to the left.", ["car"], {"car": ("exit_left", "leaves")}),
    ("The plane flies out of the frame to the right.", ["plane"], {"plane": ("exit_right", "flies")}),
    ("The dog walks away from the camera.", ["dog"], {"dog": ("away", "walks")}),
    ("The cat jumps onto the table while the dog barks.", ["cat", "dog", "table"],
     {"cat": ("jump", "jumps"), "dog": ("still", "barks"), "table": ("still", None)}),
    ("The bird flies to the left, then it lands on the branch.", ["bird", "branch"],
     {"bird": ("left", "flies"), "branch": ("still", None)}),
    ("The fish swims to the right.", ["fish"], {"fish": ("right", "swims")}),
    ("A man on a bicycle rides to the left.", ["person"], {"person": ("left", "rides")}),
    ("The ball bounces to the right.", ["ball"], {"ball": ("right+jump", "bounces")}),
    ("The robot moves up.", ["robot"], {"robot": ("up", "moves")}),
    ("The toy car moves down the ramp.", ["car", "ramp"], {"car": ("down", "moves"), "ramp": ("still", None)}),
    ("The kite rises higher and higher.", ["kite"], {"kite": ("up", "rises")}),
    ("The dog sits while the cat walks to the right.", ["dog", "cat"],
     {"dog": ("still", "sits"), "cat": ("right", "walks")}),
    ("The duck swims to the left and the swan swims to the right.", ["duck", "swan"],
     {"duck": ("left", "left"), "swan": ("right", "right")}),
    ("The man and the woman walk away together.", ["man", "woman"],
     {"man": ("away", "walk"), "woman": ("away", "walk")}),
    ("The boy and the girl jump.", ["boy", "girl"], {"boy": ("jump", "jump"), "girl": ("jump", "jump")}),
    ("The butterfly flutters upward.", ["butterfly"], {"butterfly": ("up", "flutters")}),
    ("The car drives to the right while the truck drives to the left.", ["car", "truck"],
     {"car": ("right", "right"), "truck": ("left", "left")}),
    ("She walks to the left.", ["woman"], {"woman": ("left", "walks")}),
    ("The cat wakes up. Then it jumps off the sofa.", ["cat", "sofa"],
     {"cat": ("jump", "jumps"), "sofa": ("still", None)}),
    ("The horse trots forward.", ["horse"], {"horse": ("closer", "trots")}),
    ("The man walks to the right, and then he sits down.", ["man"], {"man": ("right", "sits")}),
    ("A yellow taxi drives past from right to left.", ["car"], {"car": ("left", "drives")}),
    ("The dog is running to the left.", ["dog"], {"dog": ("left", "running")}),
    ("There is a cat walking to the right.", ["cat"], {"cat": ("right", "walking")}),
    ("The stone sinks into the water.", ["stone", "water"], {"stone": ("down", "sinks"), "water": ("still", None)}),
    ("The tree sways in the wind while a bird flies away.", ["tree", "bird"],
     {"tree": ("wiggle", "sways"), "bird": ("away", "flies")}),
    ("The lamp stays still and the moth circles around it.", ["lamp", "moth"],
     {"lamp": ("still", "stays"), "moth": ("circle", "circles")}),
    ("The ball rolls to the right, then the dog runs after it.", ["ball", "dog"],
     {"ball": ("right", "rolls"), "dog": ("right", "runs after")}),
    ("A little girl and her puppy walk to the left.", ["girl", "dog"],
     {"girl": ("left", "walk"), "dog": ("left", "walk")}),
    ("The camera stays still as the bird glides to the left.", ["bird"], {"bird": ("left", "glides")}),
    ("The spaceship zooms off the screen to the right.", ["spaceship"], {"spaceship": ("exit_right", "zooms")}),
    ("The jellyfish grows larger.", ["jellyfish"], {"jellyfish": ("grow", "grows")}),
    ("The dog runs to the left, the cat jumps, and the bird flies up.", ["dog", "cat", "bird"],
     {"dog": ("left", "runs"), "cat": ("jump", "jumps"), "bird": ("up", "flies")}),
    ("The boy runs to the right while the girl waves, the dog sleeps and the ball rolls to the left.",
     ["boy", "girl", "dog", "ball"],
     {"boy": ("right", "runs"), "girl": ("wiggle", "waves"), "dog": ("still", "sleeps"), "ball": ("left", "rolls")}),
    ("The red car drives to the left and the blue car drives to the right.", ["red car", "blue car"],
     {"red car": ("left", "left"), "blue car": ("right", "right")}),
    ("Three balloons float upward while the kid stands still.", ["balloon", "child"],
     {"balloon": ("up", "float"), "child": ("still", "stands")}),
    ("A puppy chases a kitten to the left.", ["dog", "cat"], {"dog": ("left", "chases"), "cat": ("left", None)}),
    ("The seagull dives down toward the sea.", ["bird", "sea"], {"bird": ("down", "dives"), "sea": ("still", None)}),
    ("The skateboarder slides to the right and the crowd watches.", ["skateboarder", "crowd"],
     {"skateboarder": ("right", "slides"), "crowd": ("still", "watches")}),
    ("Slowly, the moon rises above the mountains.", ["moon", "mountain"],
     {"moon": ("up", "rises"), "mountain": ("still", None)}),
    # Held-out rows: written after the parser existed and scored before any change made for them
    # (first runs: 26/32 and then 27/30 objects right); general fixes followed, no row was edited.
    ("A golden retriever sprints toward the camera.", ["dog"], {"dog": ("closer", "sprints")}),
    ("The penguin waddles to the left while the seal lies on the ice.", ["penguin", "seal", "ice"],
     {"penguin": ("left", "waddles"), "seal": ("still", "lies"), "ice": ("still", None)}),
    ("Leaves fall slowly from the branches.", ["leaf", "branch"], {"leaf": ("down", "fall"), "branch": ("still", None)}),
    ("The drone ascends and then flies off to the right.", ["drone"], {"drone": ("up-right", "ascends")}),
    ("The toddler crawls to the right.", ["child"], {"child": ("right", "crawls")}),
    ("The cat rolls onto its back.", ["cat"], {"cat": ("spin", "rolls")}),
    ("A frog hops to the left, then hops again.", ["frog"], {"frog": ("left", "hops")}),
    ("The two horses gallop side by side to the right.", ["horse"], {"horse": ("right", "gallop")}),
    ("The ballerina twirls.", ["ballerina"], {"ballerina": ("spin", "twirls")}),
    ("The man pushes the cart to the left.", ["man", "cart"], {"man": ("left", "pushes"), "cart": ("left", None)}),
    ("Smoke rises from the chimney while the car drives away.", ["smoke", "chimney", "car"],
     {"smoke": ("up", "rises"), "chimney": ("still", None), "car": ("away", "drives")}),
    ("The ball is thrown up into the air.", ["ball"], {"ball": ("up", "thrown")}),
    ("The clock hangs on the wall and does not move.", ["clock", "wall"], {"clock": ("still", "hangs"), "wall": ("still", None)}),
    ("The bus drives from the left side of the frame to the right side.", ["bus"], {"bus": ("right", "drives")}),
    ("The eagle swoops down on the rabbit, which runs to the left.", ["bird", "rabbit"],
     {"bird": ("down", "swoops"), "rabbit": ("left", "runs")}),
    ("The sun sets slowly.", ["sun"], {"sun": ("down", "sets")}),
    ("The two cars race to the right.", ["car"], {"car": ("right", "race")}),
    ("The kitten chases its tail in circles.", ["cat"], {"cat": ("circle", "chases")}),
    ("The boat rocks gently on the waves.", ["boat"], {"boat": ("wiggle", "rocks")}),
    ("A girl walks her dog to the right.", ["girl", "dog"], {"girl": ("right", "walks"), "dog": ("right", None)}),
    ("The elevator goes down.", ["elevator"], {"elevator": ("down", "goes")}),
    ("The bird lands on the roof.", ["bird", "roof"], {"bird": ("down", "lands"), "roof": ("still", None)}),
    ("A squirrel scampers up the tree.", ["squirrel", "tree"], {"squirrel": ("up", "scampers"), "tree": ("still", None)}),
    ("The motorcycle speeds off to the left.", ["motorcycle"], {"motorcycle": ("left", "speeds")}),
    ("The astronaut floats slowly upward while the satellite spins.", ["astronaut", "satellite"],
     {"astronaut": ("up", "floats"), "satellite": ("spin", "spins")}),
    ("The dog shakes itself dry.", ["dog"], {"dog": ("wiggle", "shakes")}),
    ("A paper plane glides down to the floor.", ["plane", "floor"], {"plane": ("down", "glides"), "floor": ("still", None)}),
    ("The cyclist rides towards the viewer.", ["cyclist"], {"cyclist": ("closer", "rides")}),
    ("The bubble expands and then pops.", ["bubble"], {"bubble": ("grow", "expands")}),
    ("The cat walks to the left. Then the dog walks to the right.", ["cat", "dog"],
     {"cat": ("left", "left"), "dog": ("right", "right")}),
    ("The soccer ball flies into the goal on the right.", ["ball", "goal"], {"ball": ("right", "flies"), "goal": ("still", None)}),
    ("Both birds fly away.", ["bird"], {"bird": ("away", "fly")}),
    ("The woman turns to the left and walks out of the frame.", ["woman"], {"woman": ("exit_left", "walks")}),
    ("The puppy wags its tail while the kitten sleeps.", ["dog", "cat"],
     {"dog": ("wiggle", "wags"), "cat": ("still", "sleeps")}),
    ("The truck backs away slowly.", ["truck"], {"truck": ("away", "backs")}),
    ("The hot air balloon drifts to the right across the sky.", ["balloon", "sky"],
     {"balloon": ("right", "drifts"), "sky": ("still", None)}),
    ("The lion walks toward the camera and the zebra runs to the left.", ["lion", "zebra"],
     {"lion": ("closer", "walks"), "zebra": ("left", "runs")}),
    ("A coin spins on the table.", ["coin", "table"], {"coin": ("spin", "spins"), "table": ("still", None)}),
    ("The boy climbs the ladder.", ["boy", "ladder"], {"boy": ("up", "climbs"), "ladder": ("still", None)}),
    ("The train moves from right to left.", ["train"], {"train": ("left", "moves")}),
    ("The flower grows taller.", ["flower"], {"flower": ("grow", "grows")}),
    ("The kids run to the right, then they jump.", ["child"], {"child": ("right+jump", "run")}),
]


def motion_label_ok(label: str, frames: list[dict]) -> bool:
    last = frames[-1]
    dx, dy, scale, rot, z = last["dx"], last["dy"], last["scale"], last["rot"], last["z"]
    min_dy = min(f["dy"] for f in frames)
    back = abs(dx) < 0.05 and abs(dy) < 0.05 and abs(scale - 1) < 0.05 and abs(rot) < 1
    moved = any(abs(f["dx"]) > 0.01 or abs(f["dy"]) > 0.01 or abs(f["rot"]) > 1 or abs(f["scale"] - 1) > 0.01
                for f in frames)
    checks = {
        "right": dx >= 0.1 and abs(dy) < abs(dx),
        "left": dx <= -0.1 and abs(dy) < abs(dx),
        "up": dy <= -0.1 and abs(dx) < abs(dy),
        "down": dy >= 0.1 and abs(dx) < abs(dy),
        "up-right": dx >= 0.1 and dy <= -0.1,
        "jump": min_dy <= -0.05 and abs(dy) < 0.05 and abs(dx) < 0.05,
        "right+jump": dx >= 0.1 and min(f["dy"] for f in frames) <= -0.05 and abs(dy) < 0.05,
        "spin": abs(rot) >= 90,
        "grow": scale >= 1.2 and abs(dx) < 0.05,
        "shrink": scale <= 0.8 and abs(dx) < 0.05,
        "closer": scale >= 1.2 and z > 0,
        "away": scale <= 0.8 and z < 0,
        "exit_left": dx <= -0.5,
        "exit_right": dx >= 0.5,
        "still": not moved,
        "wiggle": moved and back,
        "circle": back and max(abs(f["dx"]) for f in frames) > 0.05 and max(abs(f["dy"]) for f in frames) > 0.05,
    }
    return checks[label]


def clause_ok(name: str, plan: PromptPlan, expected: dict) -> bool:
    local = plan.local_prompts.get(name, "").lower()
    own = expected[name][1]
    if own is not None and own not in local:
        return False
    others = {w for n, (_, w) in expected.items() if n != name and w and w != own}
    return not any(w in local for w in others)


def test_table_is_varied_enough():
    assert len(TABLE) >= 40
    counts = {len(names) for _, names, _ in TABLE}
    assert counts >= {1, 2, 3, 4}


def test_rule_based_accuracy_on_the_table():
    decomposer = RuleBasedDecomposer()
    total, correct, failures = 0, 0, []
    for prompt, names, expected in TABLE:
        plan = decomposer.decompose(prompt, names)
        plan.check_names(names)
        for name, (label, _) in expected.items():
            total += 1
            frames = plan.keyframes[name]
            ok_motion, ok_clause = motion_label_ok(label, frames), clause_ok(name, plan, expected)
            if ok_motion and ok_clause:
                correct += 1
            else:
                failures.append(f"{prompt!r} / {name}: expected {label}; motion ok={ok_motion}, clause ok={ok_clause}; "
                                f"local={plan.local_prompts.get(name)!r} last={frames[-1]}")
    score = correct / total
    print(f"\nrule-based decomposer: {correct}/{total} objects right = {score:.3f}")
    for f in failures:
        print("  MISS", f)
    assert score >= 0.9


def test_motion_prompt_is_motion_only_and_plan_is_valid_json():
    plan = decompose_prompt("A fluffy white dog with a red collar happily runs to the right across the green park, "
                            "while a tiny grey kitten jumps on the wooden bench.", ["dog", "cat", "bench"])
    motion = plan.motion_prompt.lower()
    for word in ("white", "fluffy", "red", "green", "grey", "tiny", "wooden", "park", "collar"):
        assert word not in motion
    assert "dog runs to the right" in motion and "cat jumps" in motion
    assert "white dog" in plan.local_prompts["dog"] and "kitten jumps" in plan.local_prompts["cat"]
    assert plan.global_prompt.startswith("A fluffy white dog")
    again = PromptPlan.from_json(plan.to_json())
    assert again.keyframes == plan.keyframes and again.local_prompts == plan.local_prompts
    assert any("bench" in n and "still" in n for n in plan.notes)


def test_sequence_timing_and_notes():
    plan = decompose_prompt("The dog runs to the left, then the cat jumps.", ["dog", "cat"])
    dog, cat = plan.keyframes["dog"], plan.keyframes["cat"]
    assert dog[-1]["dx"] < 0 and max(f["t"] for f in dog if f["dx"] > -0.3) <= 0.5  # dog moves first ...
    assert all(f["dy"] == 0 for f in cat if f["t"] <= 0.5) and min(f["dy"] for f in cat) < 0  # ... then the cat
    still = decompose_prompt("The dog runs.", ["dog"])
    assert still.keyframes["dog"][-1]["dx"] == 0 and any("no direction" in n for n in still.notes)


@pytest.mark.parametrize(
    "prompt, names, match, input_name",
    [
        ("", ["dog"], "is empty", "prompt"),
        ("   ", ["dog"], "is empty", "prompt"),
        (None, ["dog"], "must be text", "prompt"),
        ("The horse gallops to the left.", ["dog", "cat"], "none of the objects", "names"),
        ("A dog runs.", ["dog", "dog"], "unique", "names"),
    ],
)
def test_bad_inputs_name_the_input_and_the_fix(prompt, names, match, input_name):
    with pytest.raises(TTMInputError, match=match) as err:
        decompose_prompt(prompt, names)
    assert err.value.input_name == input_name
    if input_name != "names" or match != "unique":
        assert err.value.fix


def test_default_names_and_single_unnamed_object_never_block():
    plan = decompose_prompt("The horse gallops to the left.", ["object_1", "object_2"])
    assert all(f["dx"] == 0 for kfs in plan.keyframes.values() for f in kfs)
    one = decompose_prompt("Something flies up into the sky.", ["object_1"])
    assert one.keyframes["object_1"][-1]["dy"] < 0
    json.loads(one.to_json())
