"""Tests written from surviving mutants of ``ttm_core/motion/paths.py`` (tools/mutation.py, group motion).

Expected values are hand-computed on tiny paths and objects (pixel centres, frame times evenly
spread over 0..1) or come from the project's error rule (a bad input is a
:class:`TTMInputError` whose message starts with the input's name). Verdicts on the survivors
not killed here are in ``docs/mutation-survivors/motion.md``.
"""

from __future__ import annotations

import numpy as np
import pytest

from ttm_core.errors import TTMInputError, TTMInterrupted
from ttm_core.motion.paths import arc_positions, parse_paths, paths_motion, resample_path, scale_curve
from tiny_objects import two_objects


# ---- paths mode --------------------------------------------------------------------------------


def test_empty_paths_keep_the_object_still():
    objs = two_objects()
    assert parse_paths({"a": []}, objs) == [None, None]
    paths = parse_paths("[[], [[1, 2], [5, 2]]]", objs)  # an empty first track, then b's
    assert paths[0] is None and paths[1].tolist() == [[1.0, 2.0], [5.0, 2.0]]


def test_path_errors_name_the_entry_and_the_default_input():
    objs = two_objects()
    with pytest.raises(TTMInputError, match=r"^paths\[1\]: is not a valid coordinate string"):
        parse_paths([None, "[[1, 2"], objs)
    with pytest.raises(TTMInputError, match=r"^paths: expected a dict of paths"):
        parse_paths(42, objs)


def test_declared_normalised_paths_scale_by_width_and_height_in_every_form():
    """``normalized=True``: x by the width (8), y by the height (6), even past 1 (leaving the frame)."""
    objs = two_objects()
    want = [[4.0, 3.0], [12.0, 6.0]]
    aligned = parse_paths(["[[0.5, 0.5], [1.5, 1.0]]", None], objs, normalized=True)
    assert aligned[0].tolist() == want and aligned[1] is None
    one_string = parse_paths("[[0.5, 0.5], [1.5, 1.0]]", objs, normalized=True)
    assert one_string[0].tolist() == want and one_string[1] is None
    auto = parse_paths("[[0.5, 0.5], [0.25, 1.0]]", objs)  # auto: every value within 0..1
    assert auto[0].tolist() == [[4.0, 3.0], [2.0, 6.0]]


def test_a_path_string_may_leave_the_frame():
    objs = two_objects()
    paths = parse_paths("[[2, 2], [2, -50]]", objs)
    assert paths[0].tolist() == [[2.0, 2.0], [2.0, -50.0]]


def test_arc_positions_by_hand():
    # unit diagonal steps are real moves (only repeated points are skipped)
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    assert arc_positions(pts, [0.0, 0.5, 1.0]).tolist() == pts.tolist()
    rep = np.array([[0.0, 0.0], [0.0, 0.0], [4.0, 0.0]])
    assert arc_positions(rep, [0.0, 0.5, 1.0]).tolist() == [[0.0, 0.0], [2.0, 0.0], [4.0, 0.0]]


def test_auto_timing_with_fewer_points_than_frames_moves_at_constant_speed():
    # 30 px long, the first point 10 px in: arc timing puts frame j at 30 * j / 4
    pts = np.array([[0.0, 0.0], [10.0, 0.0], [30.0, 0.0]])
    out = resample_path(pts, 5, "auto")
    assert out[:, 0].tolist() == pytest.approx([0.0, 7.5, 15.0, 22.5, 30.0])
    assert out[:, 1].tolist() == [0.0] * 5


# ---- paths mode options -------------------------------------------------------------------------


def _still_paths():
    return {"a": [[1.5, 1.5], [1.5, 1.5 + 1e-9]], "b": [[5.5, 3.5], [5.5, 3.5 + 1e-9]]}


def test_one_scale_number_applies_to_every_object():
    traj = paths_motion(two_objects(), _still_paths(), 3, scale=2.0)
    assert traj.affines[-1, :, 0, 0].tolist() == [2.0, 2.0]  # end scale 2 for both, about each centroid


def test_paths_option_errors_name_the_option():
    objs = two_objects()
    with pytest.raises(TTMInputError, match=r"^scale: mentions \['dog'\]"):
        paths_motion(objs, _still_paths(), 3, scale={"dog": 2.0})
    with pytest.raises(TTMInputError, match=r"^z: mentions \['dog'\]"):
        paths_motion(objs, _still_paths(), 3, z={"dog": 1.0})
    for bad in (True, float("inf"), float("nan")):
        with pytest.raises(TTMInputError, match=r"^z\['a'\]: must be a finite number"):
            paths_motion(objs, _still_paths(), 3, z={"a": bad})
    with pytest.raises(TTMInputError, match=r"^scale\['a'\]: scales must be finite numbers > 0"):
        paths_motion(objs, _still_paths(), 3, scale={"a": 0.0})
    with pytest.raises(TTMInputError, match=r"^my_paths: expected a dict of paths"):
        paths_motion(objs, 42, 3, input_name="my_paths")
    # a one-value list is read relative to its first value: constant 1
    assert scale_curve([2.0], 3, "scale").tolist() == [1.0, 1.0, 1.0]


def test_paths_progress_and_interrupt():
    calls = []
    paths_motion(two_objects(), _still_paths(), 3, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]  # one step per frame
    with pytest.raises(TTMInterrupted):
        paths_motion(two_objects(), _still_paths(), 3, interrupt=lambda: True)
