"""Segmentation, stage-1, visualisation, converter and file nodes on tiny models, without ComfyUI."""

from __future__ import annotations

import json
import sys

import pytest
import torch

from node_helpers import H, VARIANT_FOLDERS, W, call, io_dirs, models, node, plan, sam2, scene  # noqa: F401
from ttm_core.errors import TTMInputError, TTMInterrupted
from ttm_core.types import MaskTrajectory


# ---- segmentation ---------------------------------------------------------------------------------
def test_segment_objects_from_clicks_and_boxes(pack, sam2):
    image, _ = scene()
    (objects, masks, preview), ui = call(
        pack, "TTMSegmentObjects", sam2=sam2, image=image, object_names="ball, cube",
        positive_points='[{"x": 20, "y": 30}, {"x": 70, "y": 35}]', boxes="[[10, 20, 30, 40], [60, 25, 80, 45]]",
        on_empty="fallback",
    )
    assert objects.names == ["ball", "cube"] and (objects.height, objects.width) == (H, W)
    assert masks.shape == (2, H, W) and (masks.sum(0) <= 1).all()  # one object per pixel
    assert preview.shape == (1, H, W, 3)
    assert ui == {"images": []}  # no ComfyUI, no preview files


def test_segment_one_list_of_clicks_per_object_and_auto_mode(pack, sam2):
    image, _ = scene()
    (objects, masks, _), _ = call(
        pack, "TTMSegmentObjects", sam2=sam2, image=image,
        positive_points="[[[20, 30], [25, 35]], [[70, 35]]]", negative_points="[[5, 5]]", on_empty="fallback",
    )
    assert objects.names == ["object_1", "object_2"]
    (auto, _, _), _ = call(pack, "TTMSegmentObjects", sam2=sam2, image=image, mode="auto", min_area=0, max_objects=3,
                           auto_points_per_side=4, auto_iou_threshold=0.0, auto_stability_threshold=0.0)
    assert 1 <= auto.num_objects <= 3


@pytest.mark.parametrize(
    "inputs, name",
    [
        ({"positive_points": '[{"x": 500, "y": 10}]'}, "positive_points"),
        ({"positive_points": "[[1, 2"}, "positive_points"),
        ({"positive_points": "", "boxes": ""}, "positive_points"),
        ({"positive_points": "[[10, 10], [20, 20]]", "object_names": "a, b, c"}, "object_names"),
        ({"positive_points": "[[10, 10], [20, 20]]", "boxes": "[[0, 0, 5, 5]]"}, "boxes"),
    ],
)
def test_segment_errors_name_the_widget(pack, sam2, inputs, name):
    image, _ = scene()
    with pytest.raises(TTMInputError) as info:
        call(pack, "TTMSegmentObjects", sam2=sam2, image=image, **inputs)
    assert str(info.value).startswith(f"{name}: ") and "Fix:" in str(info.value)


def test_objects_from_masks_and_back(pack):
    _, objects = scene()
    masks = objects.masks().float()
    (rebuilt, out_masks) = call(pack, "TTMObjectsFromMasks", masks=masks[:1], more_masks=masks[1:], object_names="ball, cube")
    assert torch.equal(rebuilt.labels, objects.labels) and rebuilt.names == ["ball", "cube"]
    (back, label_image, names) = call(pack, "TTMObjectsToMasks", objects=rebuilt)
    assert torch.equal(back, masks) and names == "ball, cube" and label_image.shape == (1, H, W, 3)
    with pytest.raises(TTMInputError, match="^more_masks: "):
        call(pack, "TTMObjectsFromMasks", masks=masks, more_masks=torch.zeros(1, 8, 8), object_names="")


# ---- stage 1 ------------------------------------------------------------------------------------
def test_motion_from_plan_moves_the_objects(pack):
    _, objects = scene()
    (traj,) = call(pack, "TTMMotionFromPlan", objects=objects, prompts=plan(), num_frames=9, fps=12.0)
    assert traj.num_frames == 9 and traj.fps == 12.0 and torch.equal(traj.labels[0].long(), objects.labels)
    c = traj.centroids()
    assert c[-1, 0, 0] - c[0, 0, 0] == pytest.approx(0.3 * W, abs=1.0)  # the ball went right
    assert torch.allclose(c[-1, 1], c[0, 1])  # the cube stayed


def test_motion_from_paths_and_scale(pack):
    _, objects = scene()
    paths = json.dumps([[{"x": 20, "y": 30}, {"x": 40, "y": 30}], []])
    (traj,) = call(pack, "TTMMotionFromPaths", objects=objects, paths=paths, num_frames=5, scale="ball: 1.5")
    c = traj.centroids()
    assert c[-1, 0, 0] - c[0, 0, 0] == pytest.approx(20, abs=1.0)
    assert traj.areas()[-1, 0] > 1.8 * traj.areas()[0, 0]
    with pytest.raises(TTMInputError, match="^paths"):
        call(pack, "TTMMotionFromPaths", objects=objects, paths="[[{'x': 1}]]", num_frames=5)
    with pytest.raises(TTMInputError, match="^paths: is empty"):
        call(pack, "TTMMotionFromPaths", objects=objects, paths=" ", num_frames=5)


def test_trajectory_masks_round_trip_through_masks_mode(pack):
    _, objects = scene()
    (traj,) = call(pack, "TTMMotionFromPlan", objects=objects, prompts=plan(), num_frames=5)
    masks, frames, count = call(pack, "TTMTrajectoryToMasks", trajectory=traj)
    assert masks.shape == (2 * 5, H, W) and (frames, count) == (5, 2)
    (again,) = call(pack, "TTMMotionFromMasks", objects=objects, masks=masks, num_frames=5)
    assert torch.equal(again.labels, traj.labels)
    ball, _, one = call(pack, "TTMTrajectoryToMasks", trajectory=traj, object_name="ball")
    assert ball.shape == (5, H, W) and one == 1
    with pytest.raises(TTMInputError, match="^object_name: "):
        call(pack, "TTMTrajectoryToMasks", trajectory=traj, object_name="dog")
    with pytest.raises(TTMInputError, match="^masks: "):
        call(pack, "TTMMotionFromMasks", objects=objects, masks=masks[:3], num_frames=5)


def test_trajectory_to_tracks_json(pack):
    _, objects = scene()
    (traj,) = call(pack, "TTMMotionFromPlan", objects=objects, prompts=plan(), num_frames=5)
    (tracks,) = call(pack, "TTMTrajectoryToTracks", trajectory=traj, samples=121)
    data = json.loads(tracks)
    assert len(data) == 2 and all(len(t) == 121 for t in data) and set(data[0][0]) == {"x", "y"}
    (norm,) = call(pack, "TTMTrajectoryToTracks", trajectory=traj, coordinates="normalized")
    assert all(0 <= p["x"] <= 1 for p in json.loads(norm)[1])


@pytest.mark.slow
def test_motion_from_draft_tracks_objects_with_sam2(models, pack, sam2):
    image, objects = scene()
    (ref,) = call(pack, "TTMLoadVideoModel", model=VARIANT_FOLDERS["wan22_ti2v_5b"], device="cpu", precision="fp32")
    traj, scores = call(pack, "TTMMotionFromDraft", objects=objects, image=image, prompts=plan(), video_model=ref,
                        sam2=sam2, num_frames=5, candidates=2, steps=1, draft_long_side=64, seed=1)
    assert traj.num_frames == 5 and (traj.height, traj.width) == (H, W)
    assert torch.equal(traj.labels[0].long(), objects.labels)
    assert json.loads(scores) == traj.scores


# ---- visualisation and files ----------------------------------------------------------------------
def test_visualize_trajectory(pack):
    image, objects = scene()
    (traj,) = call(pack, "TTMMotionFromPlan", objects=objects, prompts=plan(), num_frames=5)
    (frames, summary), ui = call(pack, "TTMVisualizeTrajectory", trajectory=traj, background=image)
    assert frames.shape == (5, H, W, 3) and summary.shape == (1, H, W, 3)
    assert not torch.equal(frames[0], frames[-1])
    (masks_video, _), _ = call(pack, "TTMVisualizeTrajectory", trajectory=traj, style="masks")
    colours = {tuple(c) for c in (masks_video[0] * 255).round().long().view(-1, 3).tolist()}
    assert (0, 0, 0) in colours and len(colours) >= 3  # background + one colour per object (+ outlines)


def test_save_and_load_trajectory(pack, io_dirs):
    _, objects = scene()
    (traj,) = call(pack, "TTMMotionFromPlan", objects=objects, prompts=plan(), num_frames=5)
    (first,), ui = call(pack, "TTMSaveTrajectory", trajectory=traj, filename_prefix="runs/plan")
    (second,), _ = call(pack, "TTMSaveTrajectory", trajectory=traj, filename_prefix="runs/plan")
    assert (first, second) == ("runs/plan_00001.safetensors", "runs/plan_00002.safetensors") and ui["text"] == [first]
    listed = node(pack, "TTMLoadTrajectory").INPUT_TYPES()["required"]["file"][0]
    assert listed == [f"{first} [output]", f"{second} [output]"]
    (loaded,) = call(pack, "TTMLoadTrajectory", file=listed[0])
    assert torch.equal(loaded.labels, traj.labels) and loaded.names == traj.names
    with pytest.raises(TTMInputError, match="^filename_prefix: "):
        call(pack, "TTMSaveTrajectory", trajectory=traj, filename_prefix="../../escape")
    with pytest.raises(TTMInputError, match="^file: "):
        call(pack, "TTMLoadTrajectory", file="missing.safetensors")
