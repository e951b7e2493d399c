"""Stage 1 ``paths`` mode: analytic ground truth, input formats, track export round trip."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from test_motion_scenes import SIZE, compare, disc, objects_from, rect
from ttm_core import TTMInputError, image_to_motion
from ttm_core.motion import trajectory_to_tracks, tracks_to_paths

T = 25


def times(n: int = T) -> list[float]:
    return [j / (n - 1) for j in range(n)]


def check(traj, gt, label):
    res = compare(traj, gt)
    assert res["checked"] > 0, label
    assert res["iou"] >= 0.95, (label, res)
    assert res["centroid_err"] <= 1.0, (label, res)
    assert not res["visibility_mismatch"], (label, res)


def polyline_point(points, s):
    """Point at arc length ``s`` along ``points`` (closed form for straight segments)."""
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        seg = math.hypot(x1 - x0, y1 - y0)
        if s <= seg:
            return x0 + (x1 - x0) * s / seg, y0 + (y1 - y0) * s / seg
        s -= seg
    return points[-1]


def test_constant_speed_along_a_polyline():
    objs = objects_from([disc(100, 100, 30)], ["ball"])
    path = [(100, 100), (400, 100), (400, 400)]  # 600 px long
    traj = image_to_motion(objs, {"ball": path}, T, "paths", timing="arc")
    gt = [[disc(*polyline_point(path, 600 * u), 30)] for u in times()]
    check(traj, gt, "arc")


def test_time_timing_follows_per_frame_samples():
    objs = objects_from([disc(100, 256, 30)], ["ball"])
    xs = [100 + 300 * u * u for u in times()]  # accelerating: arc-length resampling would differ
    track = [{"x": x, "y": 256} for x in xs]
    traj = image_to_motion(objs, json.dumps([track]), T, "paths")  # auto -> time (T points)
    gt = [[disc(x, 256, 30)] for x in xs]
    check(traj, gt, "time")
    arc = image_to_motion(objs, json.dumps([track]), T, "paths", timing="arc")
    assert abs(float(arc.anchors[T // 2, 0, 0]) - 250.0) < 1.0  # constant speed reaches the middle
    assert abs(float(traj.anchors[T // 2, 0, 0]) - 175.0) < 1.0


def test_relative_and_absolute_anchoring():
    objs = objects_from([disc(100, 100, 20)], ["ball"])
    path = [(120, 130), (320, 130)]  # drawn near, not on, the centroid
    rel = image_to_motion(objs, {"ball": path}, 5, "paths")
    assert torch.allclose(rel.anchors[-1, 0], torch.tensor([300.0, 100.0]), atol=1e-3)
    ab = image_to_motion(objs, {"ball": path}, 5, "paths", anchor="absolute")
    assert torch.allclose(ab.anchors[-1, 0], torch.tensor([320.0, 130.0]), atol=1e-3)
    assert torch.equal(ab.labels[0].long(), objs.labels)


def test_scale_along_the_path():
    objs = objects_from([disc(150, 256, 30)], ["ball"])
    path = [(150, 256), (350, 256)]
    traj = image_to_motion(objs, {"ball": path}, T, "paths", scale={"ball": 2.0})
    gt = [[disc(150 + 200 * u, 256, 30 * (1 + u))] for u in times()]
    check(traj, gt, "scale")
    listed = image_to_motion(objs, {"ball": path}, 3, "paths", scale=[[2.0, 4.0, 2.0]])
    assert torch.allclose(listed.affines[:, 0, 0, 0], torch.tensor([1.0, 2.0, 1.0]))


def test_leave_the_frame_and_cross_with_z():
    objs = objects_from([disc(120, 250, 45), disc(400, 262, 45), rect(256, 60, 30.5, 20.5)], ["a", "b", "c"])
    paths = {"a": [(120, 250), (402, 250)], "b": [(400, 262), (118, 262)], "c": [(256, 60), (256, -100)]}
    traj = image_to_motion(objs, paths, T, "paths", z={"a": 1.0})  # the lower label in front
    gt = []
    for u in times():
        a = disc(120 + 282 * u, 250, 45)
        b = disc(400 - 282 * u, 262, 45)
        c = rect(256, 60 - 160 * u, 30.5, 20.5)
        gt.append([a, b & ~a, c])
    check(traj, gt, "cross+leave")
    assert not bool(traj.visible[-1, 2]) and bool(torch.isnan(traj.anchors[-1, 2]).all())


def test_input_forms_agree():
    objs = objects_from([disc(100, 100, 20), disc(300, 300, 20)], ["a", "b"])
    pa, pb = [[100, 100], [200, 150]], [[300, 300], [250, 400]]
    ref = image_to_motion(objs, {"a": pa, "b": pb}, 5, "paths")
    forms = [
        [pa, pb],  # plain pairs, several paths
        json.dumps([[{"x": x, "y": y} for x, y in pa], [{"x": x, "y": y} for x, y in pb]]),  # SplineEditor / tracks
        [json.dumps([{"x": x, "y": y} for x, y in pa]), None],  # aligned list, b still
        {"a": [[x / SIZE, y / SIZE] for x, y in pa]},  # normalised
    ]
    for i, form in enumerate(forms):
        traj = image_to_motion(objs, form, 5, "paths")
        if i < 2:
            assert torch.equal(traj.labels, ref.labels), i
        else:
            assert torch.equal(traj.labels == 1, ref.labels == 1), i
            assert all(torch.equal(traj.labels[t] == 2, objs.labels == 2) for t in range(5)), i
    # one spline for two objects: the second stays still
    single = image_to_motion(objs, json.dumps([{"x": x, "y": y} for x, y in pa]), 5, "paths")
    assert torch.equal(single.labels == 1, ref.labels == 1)


def test_normalised_paths_may_leave_the_frame_when_declared():
    objs = objects_from([disc(256, 256, 20)], ["a"])
    traj = image_to_motion(objs, {"a": [[0.5, 0.5], [1.5, 0.5]]}, 5, "paths", normalized=True)
    assert float(traj.affines[-1, 0, 0, 2]) == pytest.approx(SIZE, abs=1e-3)
    assert not bool(traj.visible[-1, 0])


def test_path_errors_name_the_input():
    objs = objects_from([disc(100, 100, 20), disc(300, 300, 20)], ["a", "b"])
    with pytest.raises(TTMInputError, match=r"paths\['a'\].*single point.*at least 2"):
        image_to_motion(objs, {"a": [[100, 100]]}, 5, "paths")
    with pytest.raises(TTMInputError, match=r"paths\[1\] \(object 'b'\).*single point"):
        image_to_motion(objs, [[[100, 100], [120, 100]], [[300, 300]]], 5, "paths")
    with pytest.raises(TTMInputError, match=r"^paths: is not a valid coordinate string"):
        image_to_motion(objs, '[{"x": 10, "y": ', 5, "paths")
    with pytest.raises(TTMInputError, match=r"paths\['a'\].*point needs 'x' and 'y'"):
        image_to_motion(objs, {"a": '[{"x": 10}, {"x": 20, "y": 3}]'}, 5, "paths")
    with pytest.raises(TTMInputError, match=r"holds 3 paths but there are only 2 objects"):
        image_to_motion(objs, [[[0, 0], [1, 1]]] * 3, 5, "paths")
    with pytest.raises(TTMInputError, match=r"paths.*\['dog'\].*not among the objects"):
        image_to_motion(objs, {"dog": [[0, 0], [5, 5]]}, 5, "paths")
    with pytest.raises(TTMInputError, match=r"scale\['a'\].*> 0"):
        image_to_motion(objs, {"a": [[100, 100], [120, 100]]}, 5, "paths", scale={"a": -1})
    with pytest.raises(TTMInputError, match=r"^timing"):
        image_to_motion(objs, {"a": [[100, 100], [120, 100]]}, 5, "paths", timing="fast")


def test_tracks_export_and_round_trip():
    objs = objects_from([disc(100, 256, 30), disc(400, 100, 25)], ["a", "b"])
    plan = {"a": [{"t": 1.0, "dx": 0.5, "ease": "ease_in_out"}], "b": [{"t": 1.0, "dy": 0.2}]}
    traj = image_to_motion(objs, plan, 17, "plan")
    tracks = json.loads(trajectory_to_tracks(traj))
    assert len(tracks) == 2 and all(len(t) == 17 for t in tracks)
    assert tracks[0][0] == {"x": 100.0, "y": 256.0}
    assert tracks[0][-1]["x"] == pytest.approx(100 + 0.5 * SIZE, abs=0.01)  # moved by half the frame width (still on screen; off-screen extrapolation: test_mutants_motion.py)
    held = json.loads(trajectory_to_tracks(traj, invisible="hold"))
    last_visible = int(torch.nonzero(traj.visible[:, 0]).max())
    assert held[0][-1] == held[0][last_visible]
    core = json.loads(trajectory_to_tracks(traj, samples=121))
    assert len(core[0]) == 121 and core[0][60]["x"] == pytest.approx(tracks[0][8]["x"], abs=0.01)
    norm = json.loads(trajectory_to_tracks(traj, normalized=True))
    assert norm[1][0]["x"] == pytest.approx(400 / SIZE, abs=1e-5)
    # back into paths mode with time timing reproduces the motion (ease included)
    paths = tracks_to_paths(trajectory_to_tracks(traj), objs.names)
    again = image_to_motion(objs, paths, 17, "paths", timing="time")
    agree = (again.labels == traj.labels).double().mean()
    assert float(agree) > 0.999
    assert np.allclose(again.anchors.nan_to_num(-1).numpy(), traj.anchors.nan_to_num(-1).numpy(), atol=0.02)
