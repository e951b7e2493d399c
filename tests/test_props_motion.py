"""Property tests: stage-1 trajectory invariants and plan interpolation at keyframes.

Invariants every strategy promises (``image_to_motion``): frame 0 is the input objects, one
label per pixel, an object is visible exactly where it has pixels and its anchor is NaN exactly
where it is invisible; masks -> trajectory -> masks is the identity. A plan passes through its
keyframes: at a keyframe's time the state is that keyframe's values.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ttm_core import ObjectSet, image_to_motion
from ttm_core.motion.plan import keyframe_states
from ttm_core.types import normalize_keyframes

SETTINGS = settings(max_examples=25, deadline=None)
H, W = 24, 32


@st.composite
def object_sets(draw):
    k = draw(st.integers(1, 3))
    labels = torch.zeros(H, W, dtype=torch.long)
    for i in range(1, k + 1):
        x0, y0 = draw(st.integers(0, W - 4)), draw(st.integers(0, H - 4))
        w, h = draw(st.integers(2, 10)), draw(st.integers(2, 8))
        labels[y0 : y0 + h, x0 : x0 + w] = i  # later objects may cover earlier ones
    present = sorted(int(v) for v in labels.unique() if v > 0)
    remap = torch.zeros(k + 1, dtype=torch.long)
    for new, old in enumerate(present, start=1):
        remap[old] = new
    return ObjectSet(remap[labels], [f"o{i}" for i in range(1, len(present) + 1)])


keyframe = st.fixed_dictionaries({
    "dx": st.floats(-1.5, 1.5), "dy": st.floats(-1.5, 1.5), "scale": st.floats(0.3, 2.5),
    "rot": st.floats(-360, 360), "z": st.floats(-2, 2), "ease": st.sampled_from(["linear", "ease_in_out"]),
})


@st.composite
def plans(draw, names):
    out = {}
    for name in names:
        times = draw(st.lists(st.sampled_from([0.25, 0.5, 0.75, 1.0]), min_size=0, max_size=3, unique=True))
        out[name] = [{"t": t, **draw(keyframe)} for t in sorted(times)]
    return out


def _check_invariants(objects: ObjectSet, traj) -> None:
    assert torch.equal(traj.labels[0].long(), objects.labels)
    assert int(traj.labels.max()) <= objects.num_objects and traj.labels.dtype == torch.uint8
    areas = torch.stack([(traj.labels == k).sum((1, 2)) for k in range(1, objects.num_objects + 1)], 1)
    assert torch.equal(traj.visible, areas > 0)
    if traj.anchors is not None:
        assert torch.equal(torch.isnan(traj.anchors).any(-1), ~traj.visible)


@SETTINGS
@given(st.data())
def test_plan_trajectories_keep_the_invariants(data):
    objects = data.draw(object_sets())
    source = data.draw(plans(objects.names))
    traj = image_to_motion(objects, source, 5, "plan")
    _check_invariants(objects, traj)
    back = image_to_motion(objects, traj.masks(), 5, "masks", first_frame="check")
    assert torch.equal(back.labels, traj.labels)  # masks -> trajectory -> masks


@SETTINGS
@given(st.data())
def test_path_trajectories_keep_the_invariants(data):
    objects = data.draw(object_sets())
    point = st.tuples(st.floats(-40, 70), st.floats(-40, 60))
    paths = {n: data.draw(st.lists(point, min_size=2, max_size=5)) for n in objects.names}
    traj = image_to_motion(objects, {n: [list(p) for p in v] for n, v in paths.items()}, 4, "paths",
                           normalized=False, timing=data.draw(st.sampled_from(["arc", "time"])))
    _check_invariants(objects, traj)


@SETTINGS
@given(st.lists(st.sampled_from([0.2, 0.4, 0.6, 0.8, 1.0]), min_size=1, max_size=4, unique=True).map(sorted),
       st.lists(keyframe, min_size=4, max_size=4))
def test_a_plan_passes_through_its_keyframes(times, values):
    frames = normalize_keyframes([{"t": t, **v} for t, v in zip(times, values)], "kf")
    states = keyframe_states(frames, torch.tensor([0.0] + times, dtype=torch.float64)).numpy()
    assert np.allclose(states[0], [0.0, 0.0, 1.0, 0.0, frames[0]["z"]])  # the implicit identity at t=0
    for row, kf in zip(states[1:], frames):
        assert np.allclose(row, [kf["dx"], kf["dy"], kf["scale"], kf["rot"], kf["z"]], atol=1e-9)
    after = keyframe_states(frames, torch.tensor([1.0], dtype=torch.float64)).numpy()[0]
    last = frames[-1]
    assert np.allclose(after, [last["dx"], last["dy"], last["scale"], last["rot"], last["z"]])  # holds


@SETTINGS
@given(keyframe, keyframe, st.floats(0.0, 1.0))
def test_between_two_keyframes_each_value_follows_the_easing(a, b, u):
    frames = normalize_keyframes([{"t": 0.0, "z": a["z"]}, {"t": 0.5, **a}, {"t": 1.0, **b}], "kf")
    state = keyframe_states(frames, torch.tensor([0.5 + 0.5 * u], dtype=torch.float64)).numpy()[0]
    w = u if b["ease"] == "linear" else u * u * (3 - 2 * u)  # smoothstep
    expected = [a[k] + (b[k] - a[k]) * w for k in ("dx", "dy", "scale", "rot", "z")]
    assert np.allclose(state, expected, atol=1e-9)
