"""Stage 1 ``plan`` mode against closed-form ground truth at 512x512 (IoU >= 0.95, centroid <= 1 px)."""

from __future__ import annotations

import math

import pytest
import torch

from test_motion_scenes import SIZE, compare, disc, objects_from, rect
from ttm_core import PromptPlan, TTMInputError, image_to_motion

T = 17


def times(n: int = T) -> list[float]:
    return [j / (n - 1) for j in range(n)]


def smooth(u: float) -> float:
    return u * u * (3 - 2 * u)


def check(traj, gt, label: str) -> dict:
    res = compare(traj, gt)
    assert res["checked"] > 0, label
    assert res["iou"] >= 0.95, (label, res)
    assert res["centroid_err"] <= 1.0, (label, res)
    assert not res["visibility_mismatch"], (label, res)
    return res


def test_translate_linear():
    objs = objects_from([disc(150, 200, 50)], ["ball"])
    plan = PromptPlan("a ball", keyframes={"ball": [{"t": 1.0, "dx": 0.4, "dy": 0.2}]})
    traj = image_to_motion(objs, plan, T, "plan")
    gt = [[disc(150 + 0.4 * SIZE * u, 200 + 0.2 * SIZE * u, 50)] for u in times()]
    check(traj, gt, "translate")
    # anchors are the transformed centroids, affines map frame-0 px to frame-t px
    assert torch.allclose(traj.anchors[-1, 0], torch.tensor([150 + 0.4 * SIZE, 200 + 0.2 * SIZE]), atol=1e-3)
    assert torch.allclose(traj.affines[-1, 0], torch.tensor([[1.0, 0, 0.4 * SIZE], [0, 1.0, 0.2 * SIZE]]), atol=1e-4)


def test_scale_with_ease_in_out():
    objs = objects_from([rect(256, 256, 50.5, 30.5)], ["box"])
    plan = PromptPlan("a box", keyframes={"box": [{"t": 1.0, "scale": 1.8, "ease": "ease_in_out"}]})
    traj = image_to_motion(objs, plan, T, "plan")
    gt = []
    for u in times():
        s = 1 + 0.8 * smooth(u)
        gt.append([rect(256, 256, 50.5 * s, 30.5 * s)])
    check(traj, gt, "scale")


def test_rotate_clockwise_on_screen():
    objs = objects_from([rect(256, 256, 100.5, 25.5)], ["bar"])
    plan = PromptPlan("a bar", keyframes={"bar": [{"t": 1.0, "rot": 90.0}]})
    traj = image_to_motion(objs, plan, T, "plan")
    gt = [[rect(256, 256, 100.5, 25.5, 90.0 * u)] for u in times()]
    check(traj, gt, "rotate")


def test_positive_rotation_turns_right_side_down():
    """Convention check with an asymmetric object: a square with an arm pointing right."""
    square = rect(256, 256, 30.5, 30.5)
    arm = rect(316, 256, 30.5, 6.5)
    objs = objects_from([square | arm], ["flag"])
    traj = image_to_motion(objs, {"flag": [{"t": 1.0, "rot": 90.0}]}, 5, "plan")
    anchor = traj.anchors[-1, 0]
    ys, xs = torch.nonzero(traj.labels[-1] == 1, as_tuple=True)
    dx, dy = xs.double() - float(anchor[0]), ys.double() - float(anchor[1])
    far = dx**2 + dy**2 > 45**2  # the arm only
    assert float(dy[far].mean()) > 40 and abs(float(dx[far].mean())) < 5  # the arm now points down


def test_leaves_the_frame_and_is_marked_invisible():
    objs = objects_from([disc(400, 256, 40)], ["ball"])
    traj = image_to_motion(objs, {"ball": [{"t": 1.0, "dx": 0.5}]}, T, "plan")
    gt = [[disc(400 + 0.5 * SIZE * u, 256, 40)] for u in times()]
    check(traj, gt, "leave")
    gone = [t for t, g in enumerate(gt) if not bool(g[0].any())]
    assert gone and gone[-1] == T - 1
    assert not bool(traj.visible[gone, 0].any())
    assert bool(torch.isnan(traj.anchors[gone, 0]).all())
    # the affine still knows where it went (the reference video and track export use it)
    assert float(traj.affines[-1, 0, 0, 2]) == pytest.approx(0.5 * SIZE, abs=1e-3)


@pytest.mark.parametrize("front", ["a", "b"])
def test_two_objects_crossing_ordered_by_z(front):
    objs = objects_from([disc(120, 250, 45), disc(400, 262, 45)], ["a", "b"])
    za, zb = (1.0, 0.0) if front == "a" else (0.0, 1.0)
    plan = {
        "a": [{"t": 1.0, "dx": 0.55, "z": za}],
        "b": [{"t": 1.0, "dx": -0.55, "z": zb}],
    }
    traj = image_to_motion(objs, plan, T, "plan")
    gt = []
    for u in times():
        a = disc(120 + 0.55 * SIZE * u, 250, 45)
        b = disc(400 - 0.55 * SIZE * u, 262, 45)
        gt.append([a & ~b, b] if front == "b" else [a, b & ~a])
    check(traj, gt, f"crossing {front} in front")
    assert torch.equal(traj.depth[-1], torch.tensor([za, zb]))
    mid = T // 2
    hidden = 1 if front == "a" else 0
    assert int((traj.labels[mid] == hidden + 1).sum()) < 0.25 * int((traj.labels[0] == hidden + 1).sum())


def test_equal_z_puts_higher_label_in_front():
    objs = objects_from([disc(150, 256, 40), disc(360, 256, 40)], ["a", "b"])
    traj = image_to_motion(objs, {"a": [{"t": 1.0, "dx": 210 / SIZE}]}, 3, "plan")
    assert int((traj.labels[-1] == 1).sum()) == 0  # a sits exactly under b
    assert not bool(traj.visible[-1, 0])


def test_implicit_identity_start_hold_after_last_and_multi_segment():
    objs = objects_from([disc(100, 100, 20)], ["ball"])
    kfs = [{"t": 0.25, "dx": 0.2}, {"t": 0.5, "dx": 0.2, "dy": 0.4, "ease": "ease_in_out"}]
    n = 9  # frame times 0, 1/8, ..., 1
    traj = image_to_motion(objs, {"ball": kfs}, n, "plan")
    shift = traj.affines[:, 0, :, 2] / SIZE
    expected = [
        (0.0, 0.0),
        (0.1, 0.0),
        (0.2, 0.0),
        (0.2, 0.4 * smooth(0.5)),
        (0.2, 0.4),
        (0.2, 0.4),
        (0.2, 0.4),
        (0.2, 0.4),
        (0.2, 0.4),
    ]
    assert torch.allclose(shift, torch.tensor(expected, dtype=torch.float32), atol=1e-6)


def test_objects_without_keyframes_stay_still_and_frame0_is_input():
    objs = objects_from([disc(100, 100, 20), rect(300, 300, 40.5, 20.5)], ["ball", "box"])
    traj = image_to_motion(objs, {"ball": [{"t": 1.0, "dx": 0.3}]}, 9, "plan")
    assert torch.equal(traj.labels[0].long(), objs.labels)
    assert all(torch.equal(traj.labels[t] == 2, objs.labels == 2) for t in range(9))
    assert traj.labels.dtype == torch.uint8 and int(traj.labels.max()) <= 2


def test_plan_errors_name_the_input():
    objs = objects_from([disc(100, 100, 20)], ["ball"])
    with pytest.raises(TTMInputError, match=r"keyframes\['ball'\]\[0\]\.t.*within 0\.\.1"):
        image_to_motion(objs, {"ball": [{"t": 1.5, "dx": 0.3}]}, 9, "plan")
    with pytest.raises(TTMInputError, match=r"keyframes\['ball'\]\[0\].*t=0"):
        image_to_motion(objs, {"ball": [{"t": 0.0, "dx": 0.3}]}, 9, "plan")
    with pytest.raises(TTMInputError, match=r"dog.*not among the objects"):
        image_to_motion(objs, {"dog": [{"t": 1.0, "dx": 0.3}]}, 9, "plan")
    with pytest.raises(TTMInputError, match="^plan: is not valid JSON"):
        image_to_motion(objs, "{not json", 9, "plan")
    # a t=0 keyframe that only sets z is fine
    image_to_motion(objs, {"ball": [{"t": 0.0, "z": 2.0}, {"t": 1.0, "dx": 0.1, "z": 2.0}]}, 3, "plan")


def test_plan_from_json_and_progress_and_interrupt():
    objs = objects_from([disc(100, 100, 20)], ["ball"])
    plan = PromptPlan("a ball", keyframes={"ball": [{"t": 1.0, "dx": 0.3}]})
    seen = []
    traj = image_to_motion(objs, plan.to_json(), 5, "plan", progress=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (5, 5) and traj.num_frames == 5
    from ttm_core import TTMInterrupted

    with pytest.raises(TTMInterrupted):
        image_to_motion(objs, plan, 5, "plan", interrupt=lambda: True)


def test_rotation_and_scale_affine_matches_documented_formula():
    objs = objects_from([rect(200, 220, 30.5, 10.5)], ["box"])
    traj = image_to_motion(objs, {"box": [{"t": 1.0, "rot": 30.0, "scale": 2.0, "dx": 0.1}]}, 2, "plan")
    a, b = 2 * math.cos(math.radians(30)), 2 * math.sin(math.radians(30))
    lin = traj.affines[-1, 0, :, :2]
    assert torch.allclose(lin, torch.tensor([[a, -b], [b, a]], dtype=torch.float32), atol=1e-5)
    # the centroid maps to centroid + shift
    c = torch.tensor([200.0, 220.0])
    mapped = traj.affines[-1, 0, :, :2] @ c + traj.affines[-1, 0, :, 2]
    assert torch.allclose(mapped, c + torch.tensor([0.1 * SIZE, 0.0]), atol=1e-3)
