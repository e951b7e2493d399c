"""Geometry bookkeeping of the core types against analytic values and round trips.

One convention everywhere (see ``ttm_core.motion.affine``): integer coordinates are pixel
centres, pixel ``i`` spans ``[i - 0.5, i + 0.5]``. So the centroid of columns ``x0 .. x1 - 1`` is
``(x0 + x1 - 1) / 2``, and resizing by ``s`` maps a point as ``s * (p + 0.5) - 0.5``.
"""

from __future__ import annotations

import math

import torch

from ttm_core import MaskTrajectory, ObjectSet, image_to_motion


def _box_objects(h=20, w=30):
    labels = torch.zeros(h, w, dtype=torch.long)
    labels[5:15, 5:20] = 1  # centroid (x, y) = ((5 + 19) / 2, (5 + 14) / 2) = (12, 9.5)
    labels[2:4, 24:29] = 2  # centroid (26, 2.5)
    return ObjectSet(labels, ["dog", "ball"])


EXPECTED = torch.tensor([[12.0, 9.5], [26.0, 2.5]])


def test_every_centroid_is_the_mean_of_pixel_centres():
    obj = _box_objects()
    assert torch.equal(obj.centroids(), EXPECTED)
    still = MaskTrajectory.still(obj, 3)
    assert torch.equal(still.centroids()[2], EXPECTED)
    assert torch.equal(still.anchors[1], EXPECTED)
    # each stage-1 strategy measures the centroid itself: frame 0's anchors must be these too
    plan = image_to_motion(obj, {"dog": [{"t": 1.0, "dx": 0.1}]}, 4, "plan")
    paths = image_to_motion(obj, {"dog": [[0, 0], [3, 0]]}, 4, "paths", normalized=False)
    masks = image_to_motion(obj, obj.masks().unsqueeze(0).expand(4, -1, -1, -1), 4, "masks")
    for traj in (plan, paths, masks):
        assert torch.allclose(traj.anchors[0], EXPECTED, atol=1e-6), traj


def test_resized_anchor_lands_on_the_resized_mask_centroid():
    """The issue's case: (12, 9.5) doubled is (24.5, 19.5), not (24, 19)."""
    traj = MaskTrajectory.still(_box_objects(), 3)
    big = traj.resized(40, 60)
    assert torch.allclose(big.anchors[0, 0], torch.tensor([24.5, 19.5]))
    assert torch.allclose(big.anchors, big.centroids(), atol=1e-5)
    assert torch.allclose(big.anchors[0], big.first_objects().centroids(), atol=1e-5)


def test_resized_affine_keeps_the_fixed_point_of_a_scaling():
    """A 2x scaling about the dog's centroid (12, 9.5): after a 2x resize its fixed point is (24.5, 19.5)."""
    traj = MaskTrajectory.still(_box_objects(), 3)
    c = EXPECTED[0]
    traj.affines[2, 0] = torch.tensor([[2.0, 0.0, -c[0]], [0.0, 2.0, -c[1]]])  # p -> 2 (p - c) + c
    big = traj.resized(40, 60)
    a = big.affines[2, 0].double()
    fixed = torch.tensor([24.5, 19.5], dtype=torch.float64)
    assert torch.allclose(a[:, :2] @ fixed + a[:, 2], fixed, atol=1e-5)
    assert torch.allclose(a[:, :2], 2 * torch.eye(2, dtype=torch.float64))


def test_resized_affine_maps_resized_points_like_the_original():
    """Conjugation, checked point by point: resize(A p + b) == A' resize(p) + b'."""
    traj = MaskTrajectory.still(_box_objects(), 2)
    theta = math.radians(30.0)
    rot = torch.tensor([[math.cos(theta), -math.sin(theta), 3.0], [math.sin(theta), math.cos(theta), -1.5]])
    traj.affines[1, 1] = 1.5 * torch.cat([rot[:, :2], rot[:, 2:] / 1.5], 1)
    sx, sy = 50 / 30, 28 / 20
    big = traj.resized(28, 50)
    s = torch.tensor([sx, sy], dtype=torch.float64)
    pts = torch.tensor([[0.0, 0.0], [7.0, 3.0], [29.0, 19.0], [12.0, 9.5]], dtype=torch.float64)
    a, a2 = traj.affines[1, 1].double(), big.affines[1, 1].double()
    moved = pts @ a[:, :2].T + a[:, 2]
    expected = s * (moved + 0.5) - 0.5
    got = (s * (pts + 0.5) - 0.5) @ a2[:, :2].T + a2[:, 2]
    assert torch.allclose(got, expected, atol=1e-4)


def test_resize_there_and_back_is_the_identity():
    traj = image_to_motion(_box_objects(), {"dog": [{"t": 1.0, "dx": 0.2, "scale": 1.5, "rot": 20}]}, 5, "plan")
    traj.scores["first_frame_iou"] = 0.5
    big = traj.resized(60, 90)
    assert torch.equal(big.depth, traj.depth) and big.scores == traj.scores  # z order and scores travel
    back = big.resized(20, 30)
    assert torch.equal(back.labels, traj.labels)
    assert torch.allclose(back.affines, traj.affines, atol=1e-4)
    ok = ~torch.isnan(traj.anchors)
    assert torch.equal(ok, ~torch.isnan(back.anchors))
    assert torch.allclose(back.anchors[ok], traj.anchors[ok], atol=1e-4)


def test_save_and_load_keep_every_field(tmp_path):
    objects = _box_objects()
    labels = MaskTrajectory.still(objects, 3).labels.clone()
    labels[2][labels[2] == 2] = 0  # the ball leaves in frame 2
    depth = torch.tensor([[0.0, 1.0], [0.5, -1.0], [2.0, 3.0]])
    anchors = torch.tensor([[[12.0, 9.5], [26.0, 2.5]], [[13.0, 9.0], [25.0, 2.0]], [[14.0, 8.5], [float("nan")] * 2]])
    affines = torch.randn(3, 2, 2, 3)
    traj = MaskTrajectory(labels, ["dog", "ball"], 12.0, anchors=anchors, affines=affines, depth=depth,
                          scores={"iou": 0.75})
    traj.save(tmp_path / "t.safetensors")
    back = MaskTrajectory.load(tmp_path / "t.safetensors")
    assert torch.equal(back.labels, labels) and back.names == ["dog", "ball"] and back.fps == 12.0
    assert back.depth is not None and torch.equal(back.depth, depth)  # the z order survives
    assert torch.equal(back.affines, affines)
    assert torch.equal(torch.isnan(back.anchors), torch.isnan(anchors))
    assert torch.equal(torch.nan_to_num(back.anchors), torch.nan_to_num(anchors))
    assert back.visible.tolist() == [[True, True], [True, True], [True, False]]
    assert back.scores == {"iou": 0.75}
