"""Segmentation logic with scripted predictors: composition, empty masks, prompt parsing, hooks.

The real tiny SAM2 is exercised in test_segment_sam2.py; here the predictor's answers are chosen
by the test so every rule (overlaps, empty masks, ranking) is checked deterministically.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ttm_core.errors import TTMInputError, TTMInterrupted
from ttm_core.segment import objects_from_masks, parse_object_prompts, prompts_from_points, segment_image
from ttm_core.segment.configs import config_from_filename, normalize_config

H, W = 60, 100  # non-square on purpose


def rect(x0, y0, x1, y1, h=H, w=W):
    m = np.zeros((h, w), dtype=bool)
    m[y0:y1, x0:x1] = True
    return m


class ScriptedPredictor:
    """SAM2ImagePredictor-compatible: returns the masks/scores registered for each first point/box."""

    def __init__(self, answers):
        self.answers = answers  # key (first point or box) -> list of (mask, score)
        self.calls = []
        self.image_shape = None

    def set_image(self, image):
        self.image_shape = image.shape

    def predict(self, point_coords=None, point_labels=None, box=None, multimask_output=True):
        key = tuple(np.round(box).astype(int)) if box is not None else tuple(np.round(point_coords[0]).astype(int))
        self.calls.append({"points": point_coords, "labels": point_labels, "box": box, "multi": multimask_output})
        masks, scores = zip(*self.answers[key])
        return np.stack(masks), np.asarray(scores, dtype=np.float32), None


def test_overlaps_resolved_by_score_then_smaller_on_top():
    big, small = rect(10, 10, 80, 50), rect(30, 20, 50, 40)
    pred = ScriptedPredictor({(20, 15): [(big, 0.9)], (40, 30): [(small, 0.8)], (60, 15): [(rect(55, 5, 95, 30), 0.8)]})
    objs = segment_image(pred, torch.rand(H, W, 3), [
        {"name": "person", "points": [[20, 15]]},
        {"name": "ball", "points": [[40, 30]]},
    ], on_empty="drop")
    # the higher score wins the overlap: the ball is covered entirely and dropped
    assert objs.names == ["person"]
    with pytest.raises(TTMInputError, match="'ball'.*covered") as err:
        segment_image(pred, torch.rand(H, W, 3), [{"name": "person", "points": [[20, 15]]},
                                                  {"name": "ball", "points": [[40, 30]]}])
    assert "fallback" in str(err.value)
    # equal scores: the smaller mask is painted on top
    pred.answers[(40, 30)] = [(small, 0.9)]
    objs = segment_image(pred, torch.rand(H, W, 3), [{"name": "person", "points": [[20, 15]]},
                                                     {"name": "ball", "points": [[40, 30]]}])
    assert objs.names == ["person", "ball"]
    assert objs.labels.shape == (H, W)
    assert torch.equal(objs.mask("ball"), torch.from_numpy(small))
    assert torch.equal(objs.mask("person"), torch.from_numpy(big & ~small))


def test_fallback_lifts_covered_object_and_replaces_empty_mask():
    big, small = rect(10, 10, 80, 50), rect(30, 20, 50, 40)
    empty = np.zeros((H, W), dtype=bool)
    pred = ScriptedPredictor({(20, 15): [(big, 0.95)], (40, 30): [(small, 0.5)], (5, 5, 30, 25): [(empty, 0.3)]})
    objects = [{"name": "person", "points": [[20, 15]]}, {"name": "ball", "points": [[40, 30]]},
               {"name": "hat", "box": [5, 5, 30, 25]}]
    with pytest.raises(TTMInputError, match="no mask for object 'hat'"):
        segment_image(pred, torch.rand(H, W, 3), objects)
    objs = segment_image(pred, torch.rand(H, W, 3), objects, on_empty="fallback")
    assert objs.names == ["person", "ball", "hat"]
    assert torch.equal(objs.mask("ball"), torch.from_numpy(small))  # lifted on top of the person
    hat = objs.mask("hat")  # the box itself, minus what higher-scored objects hold
    assert bool(hat[5:25, 5:30].any()) and not bool(hat[:, 30:].any()) and not bool(hat[25:].any())
    dropped = segment_image(pred, torch.rand(H, W, 3), objects, on_empty="drop")
    assert dropped.names == ["person"]


def test_prompt_kinds_reach_the_predictor_and_box_clips_leaks():
    leaky = rect(0, 0, W, H)
    pred = ScriptedPredictor({
        (10, 10, 40, 30): [(leaky, 0.7)],
        (70, 40): [(rect(60, 30, 90, 55), 0.2), (rect(65, 35, 85, 50), 0.9), (rect(0, 0, 5, 5), 0.1)],
    })
    kj_points = json.dumps([{"x": 70, "y": 40}])  # KJNodes PointsEditor string
    objs = segment_image(pred, np.random.rand(H, W, 3).astype(np.float32), [
        {"name": "car", "box": [10, 10, 40, 30], "points": [[20, 20]], "negative": [[35, 25]]},
        {"name": "tree", "points": kj_points},
    ])
    assert pred.image_shape == (H, W, 3)
    car, tree = pred.calls
    assert car["labels"].tolist() == [1, 0] and car["multi"] is False
    assert tree["multi"] is True  # a single click asks for three masks ...
    assert torch.equal(objs.mask("tree"), torch.from_numpy(rect(65, 35, 85, 50)))  # ... and keeps the best
    assert torch.equal(objs.mask("car"), torch.from_numpy(rect(10, 10, 40, 30)))  # clipped to its box
    assert objs.scores == pytest.approx([0.7, 0.9])
    unclipped = segment_image(pred, torch.rand(H, W, 3), [{"name": "car", "box": [10, 10, 40, 30]}], clip_to_box=False)
    assert int(unclipped.areas()[0]) == H * W


def test_normalised_points_and_json_objects_and_default_names():
    pred = ScriptedPredictor({(50, 30): [(rect(40, 20, 60, 40), 0.9)], (10, 10): [(rect(0, 0, 20, 20), 0.8)]})
    objs = segment_image(pred, torch.rand(1, H, W, 3), '[{"points": [[0.5, 0.5]]}, {"points": [[10, 10]]}]')
    assert objs.names == ["object_1", "object_2"]
    assert objs.height == H and objs.width == W


@pytest.mark.parametrize(
    "objects, match",
    [
        ([{"name": "dog", "points": [[150, 10]]}], r"objects\[0\]\.points: point \(150, 10\).*outside the 100x60"),
        ([{"name": "dog", "box": [200, 200, 300, 300]}], r"objects\[0\]\.box\[0\].*outside the image"),
        ([{"name": "dog", "negative": [[5, 5]]}], r"objects\[0\].*neither positive points nor a box"),
        ([{"name": "dog", "point": [[5, 5]]}], r"unknown keys \['point'\]"),
        ([{"name": "a", "points": [[5, 5]]}, {"name": "a", "points": [[6, 6]]}], "must be unique"),
        ("[{'name': ", "not valid JSON"),
        ([], "lists no objects"),
        (None, "no objects given"),
    ],
)
def test_bad_object_prompts_name_the_input_and_the_fix(objects, match):
    pred = ScriptedPredictor({})
    with pytest.raises(TTMInputError, match=match) as err:
        segment_image(pred, torch.rand(H, W, 3), objects)
    assert err.value.input_name.startswith("objects") and err.value.fix


def test_bad_images_and_predictors():
    pred = ScriptedPredictor({})
    with pytest.raises(TTMInputError, match="batch of 2 images") as err:
        segment_image(pred, torch.rand(2, H, W, 3), [{"points": [[1, 1]]}])
    assert "ImageFromBatch" in err.value.fix
    with pytest.raises(TTMInputError, match="sam2_model"):
        segment_image(object(), torch.rand(H, W, 3), [{"points": [[1, 1]]}])
    with pytest.raises(TTMInputError, match="mode"):
        segment_image(pred, torch.rand(H, W, 3), mode="everything")


class ScriptedGenerator:
    def __init__(self, records):
        self.records = records

    def generate(self, image):
        return self.records


def _rec(mask, iou):
    return {"segmentation": mask, "area": int(mask.sum()), "predicted_iou": iou, "stability_score": 0.95}


def test_auto_mode_ranks_filters_and_composes():
    records = [
        _rec(rect(0, 0, W, H), 0.99),          # whole image: background, filtered by max_area_frac
        _rec(rect(0, 0, 2, 2), 0.98),          # speck below min_area
        _rec(rect(10, 10, 50, 50), 0.90),
        _rec(rect(60, 10, 90, 40), 0.95),
        _rec(rect(20, 20, 30, 30), 0.97),      # inside the 0.90 one, higher score -> on top
        _rec(rect(70, 45, 95, 58), 0.80),      # fourth: cut by max_objects=3
    ]
    objs = segment_image(ScriptedGenerator(records), torch.rand(H, W, 3), mode="auto", max_objects=3, min_area=50)
    assert objs.names == ["object_1", "object_2", "object_3"]
    assert objs.scores == pytest.approx([0.97, 0.95, 0.90])
    assert torch.equal(objs.mask("object_1"), torch.from_numpy(rect(20, 20, 30, 30)))
    assert int(objs.areas()[2]) == 40 * 40 - 100
    by_area = segment_image(ScriptedGenerator(records), torch.rand(H, W, 3), mode="auto", max_objects=2,
                            min_area=50, rank_by="area", names=["thing"])
    assert by_area.names == ["thing", "object_2"] and by_area.areas().tolist() == [1600, 900]
    # an object mostly covered by a better one falls below min_area after composition and is dropped
    nested = [_rec(rect(10, 10, 50, 50), 0.99), _rec(rect(10, 10, 52, 50), 0.5)]
    assert segment_image(ScriptedGenerator(nested), torch.rand(H, W, 3), mode="auto", min_area=100).num_objects == 1
    with pytest.raises(TTMInputError, match="found no object of at least 5000 pixels") as err:
        segment_image(ScriptedGenerator(records), torch.rand(H, W, 3), mode="auto", min_area=5000)
    assert "min_area" in err.value.fix


def test_progress_and_interrupt_between_objects():
    pred = ScriptedPredictor({(10, 10): [(rect(0, 0, 20, 20), 0.9)], (50, 30): [(rect(40, 20, 60, 40), 0.9)]})
    objects = [{"points": [[10, 10]]}, {"points": [[50, 30]]}]
    seen = []
    segment_image(pred, torch.rand(H, W, 3), objects, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    calls = []

    def stop_after_first():
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(TTMInterrupted):
        segment_image(pred, torch.rand(H, W, 3), objects, interrupt=stop_after_first)
    assert len(pred.calls) == 2 + 1  # two from the first run, one before the interrupt


def test_objects_from_masks_and_points_helper():
    masks = torch.stack([torch.from_numpy(rect(0, 0, 50, 60)), torch.from_numpy(rect(40, 10, 60, 30))]).float()
    objs = objects_from_masks(masks, ["sky", "bird"])
    assert objs.names == ["sky", "bird"] and torch.equal(objs.mask("bird"), masks[1].bool())
    with pytest.raises(TTMInputError, match=r"\['bird'\] are smaller than min_area"):
        objects_from_masks(masks, ["sky", "bird"], min_area=0.1)
    with pytest.raises(TTMInputError, match="empty"):
        objects_from_masks(torch.zeros(1, H, W), ["ghost"])
    prompts = prompts_from_points('[{"x": 10, "y": 12}, {"x": 50, "y": 30}]', "[[3, 4]]", names=["a", "b"])
    assert [p["name"] for p in prompts] == ["a", "b"] and prompts[1]["negative"] == [[3.0, 4.0]]
    parsed = parse_object_prompts(prompts, W, H)
    assert parsed[0].points == [(10.0, 12.0)] and parsed[1].negative == [(3.0, 4.0)]
    one = prompts_from_points("[[10, 12], [50, 30]]", one_object_per_point=False)
    assert len(one) == 1 and len(one[0]["points"]) == 2


@pytest.mark.parametrize(
    "filename, config",
    [
        ("sam2.1_hiera_tiny.pt", "sam2.1_hiera_t"),
        ("sam2_hiera_large.pt", "sam2_hiera_l"),
        ("sam2.1_hiera_base_plus-fp16.safetensors", "sam2.1_hiera_b+"),
        ("sam2_hiera_small.safetensors", "sam2_hiera_s"),
        ("sam2.1_hiera_small-bf16.safetensors", "sam2.1_hiera_s"),
        ("SAM2.1-Hiera-Large.pt", "sam2.1_hiera_l"),
        ("sam2_hiera_b+.pt", "sam2_hiera_b+"),
        ("my_model.pt", None),
        ("sam2_weights.pt", None),
    ],
)
def test_config_from_filename(filename, config):
    assert config_from_filename(filename) == config


def test_explicit_config_names():
    assert normalize_config("configs/sam2.1/sam2.1_hiera_t.yaml") == "sam2.1_hiera_t"
    assert normalize_config("sam2_hiera_large") == "sam2_hiera_l"
    with pytest.raises(TTMInputError, match="unknown SAM2 config") as err:
        normalize_config("sam3_huge")
    assert "sam2.1_hiera_t" in err.value.fix


class ScriptedVideoModel:
    """Stands in for SAM2VideoPredictor: object 2 drifts right and is lost from frame 3 on."""

    image_size = 64

    def __init__(self):
        self.seeded = {}

    def add_new_mask(self, state, frame_idx, obj_id, mask):
        assert frame_idx == 0 and state["video_height"] == H and state["video_width"] == W
        assert state["images"][0].shape == (3, 64, 64)  # frames converted lazily, in memory
        self.seeded[obj_id] = mask.clone()

    def propagate_in_video(self, state):
        ids = [2, 1]  # SAM2 may order ids as it likes; propagate_video maps them back
        for t in range(state["num_frames"]):
            logits = torch.full((2, 1, H, W), -5.0)
            logits[1, 0][self.seeded[1]] = 3.0
            if t < 3:
                logits[0, 0] = -5.0
                logits[0, 0][:, 60 + 5 * t:80 + 5 * t] = 4.0  # overlaps object 1? higher logit wins
            yield t, ids, logits


def test_video_propagation_keeps_vanished_objects_and_frame0():
    from ttm_core.segment import Sam2Handle, propagate_video
    from ttm_core.types import ObjectSet

    labels = torch.zeros(H, W, dtype=torch.long)
    labels[10:30, 10:70] = 1
    labels[:, 60:80] = 2
    seed = ObjectSet(labels, ["rock", "kite"])
    handle = Sam2Handle(model=ScriptedVideoModel(), config_name="scripted", device=torch.device("cpu"))
    traj = propagate_video(handle, torch.rand(6, H, W, 3), seed)
    assert torch.equal(traj.labels[0].long(), seed.labels)
    assert traj.names == ["rock", "kite"]
    assert traj.visible[:, 1].tolist() == [True, True, True, False, False, False]
    assert bool(traj.visible[:, 0].all())
    assert torch.isnan(traj.anchors[3:, 1]).all() and not torch.isnan(traj.anchors[:, 0]).any()
    # frame 1: the kite (logit 4) wins the pixels it shares with the rock (logit 3)
    assert bool((traj.labels[1, 10:30, 65:85] == 2).all())
    with pytest.raises(TTMInputError, match="ObjectSet"):
        propagate_video(handle, torch.rand(2, H, W, 3), labels)
    with pytest.raises(TTMInputError, match=r"frames.*\[T, H, W, 3\]"):
        propagate_video(handle, torch.rand(H, W, 3), seed)


def test_importing_segment_and_prompts_stays_cheap():
    """ComfyUI imports every pack at start-up: no sam2/Hydra/transformers until a model is used."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = ("import sys, ttm_core.segment, ttm_core.prompts, ttm_core.testing; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'sam2', 'hydra', 'omegaconf', 'transformers', 'diffusers', 'cv2', 'torchvision'}))")
    env = dict(os.environ, PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=str(root), timeout=120)
    assert out.returncode == 0, out.stderr[-1500:]
    assert out.stdout.strip() == "[]"
