import json

import numpy as np
import pytest
import torch

from ttm_core import MaskTrajectory, ObjectSet, PromptPlan, TTMInputError


def _two_boxes(h=40, w=60):
    labels = torch.zeros(h, w, dtype=torch.long)
    labels[5:15, 5:20] = 1
    labels[20:35, 30:55] = 2
    return labels


def test_objectset_views_and_roundtrip(tmp_path):
    obj = ObjectSet(_two_boxes(), ["dog", "ball"], scores=[0.9, 0.8])
    assert (obj.height, obj.width, obj.num_objects) == (40, 60, 2)
    assert obj.areas().tolist() == [150, 375]
    assert torch.allclose(obj.centroids()[0], torch.tensor([12.0, 9.5]))
    assert obj.bboxes()[1].tolist() == [30, 20, 55, 35]
    obj.save(tmp_path / "o.safetensors")
    back = ObjectSet.load(tmp_path / "o.safetensors")
    assert torch.equal(back.labels, obj.labels) and back.names == obj.names and back.scores == obj.scores


@pytest.mark.parametrize(
    "labels,names,match",
    [
        (torch.zeros(3, 4, 5), None, "2 dimensions"),
        (torch.full((4, 4), -1), None, ">= 0"),
        (torch.tensor([[0.5, 1.0]]), None, "integer"),
        (torch.ones(4, 4, dtype=torch.long) * 2, ["a", "b"], "empty mask"),
        (torch.ones(4, 4, dtype=torch.long), ["a", "a"], "unique"),
        (torch.ones(4, 4, dtype=torch.long) * 3, ["a"], "only 1 names"),
    ],
)
def test_objectset_rejects_bad_labels(labels, names, match):
    with pytest.raises(TTMInputError, match=match):
        ObjectSet(labels, names or [])


def test_from_masks_resolves_overlap_by_score_then_smaller_on_top():
    big = torch.zeros(20, 20, dtype=torch.bool)
    big[2:18, 2:18] = True
    small = torch.zeros(20, 20, dtype=torch.bool)
    small[8:12, 8:12] = True
    # equal scores: the smaller mask is painted on top
    obj = ObjectSet.from_masks(torch.stack([big, small]), ["person", "ball"])
    assert int(obj.labels[10, 10]) == 2 and int(obj.labels[3, 3]) == 1
    # a higher score wins regardless of size: the ball is then fully covered, which is an error...
    with pytest.raises(TTMInputError, match="ball"):
        ObjectSet.from_masks(torch.stack([big, small]), ["person", "ball"], scores=[0.9, 0.1])
    dropped = ObjectSet.from_masks(torch.stack([big, small]), ["person", "ball"], scores=[0.9, 0.1], drop_empty=True)
    assert dropped.names == ["person"]  # ...unless empty objects may be dropped (automatic mode)


def test_from_masks_accepts_float_numpy_masks():
    m = np.zeros((2, 8, 8), dtype=np.float32)
    m[0, :4] = 1.0
    m[1, 4:] = 0.9
    obj = ObjectSet.from_masks(m)
    assert obj.names == ["object_1", "object_2"]
    assert int(obj.labels[0, 0]) == 1 and int(obj.labels[7, 7]) == 2


def test_prompt_plan_strict_json_roundtrip(tmp_path):
    plan = PromptPlan(
        "a dog and a ball in a park",
        "the dog runs right",
        {"dog": "a dog running"},
        {"dog": [{"t": 0.0}, {"t": 1.0, "dx": 0.3, "ease": "ease_in_out"}]},
    )
    back = PromptPlan.from_json(plan.to_json())
    assert back == plan
    assert back.keyframes["dog"][1] == {"t": 1.0, "dx": 0.3, "dy": 0.0, "scale": 1.0, "rot": 0.0, "z": 0.0, "ease": "ease_in_out"}
    plan.save(tmp_path / "p.json")
    assert PromptPlan.load(tmp_path / "p.json") == plan


@pytest.mark.parametrize(
    "data,match",
    [
        ({"motion_prompt": "x"}, "global_prompt"),
        ({"global_prompt": "  "}, "empty"),
        ({"global_prompt": "x", "extra": 1}, "unknown keys"),
        ({"global_prompt": "x", "keyframes": {"a": [{"t": 1.5}]}}, "within 0..1"),
        ({"global_prompt": "x", "keyframes": {"a": [{"t": 0.5, "scale": 0}]}}, "> 0"),
        ({"global_prompt": "x", "keyframes": {"a": [{"t": 0.5}, {"t": 0.2}]}}, "sorted"),
        ({"global_prompt": "x", "keyframes": {"a": [{"t": "1"}]}}, "number"),
    ],
)
def test_prompt_plan_rejects_malformed(data, match):
    with pytest.raises(TTMInputError, match=match):
        PromptPlan.from_json(json.dumps(data))


def test_prompt_plan_check_names_reports_unknown_objects():
    plan = PromptPlan("scene", "", {"dgo": "typo"})
    with pytest.raises(TTMInputError, match="dgo"):
        plan.check_names(["dog"])


def test_trajectory_still_roundtrip_and_visibility(tmp_path):
    obj = ObjectSet(_two_boxes(), ["dog", "ball"])
    traj = MaskTrajectory.still(obj, 5, fps=8)
    assert traj.num_frames == 5 and traj.visible.all()
    labels = traj.labels.clone()
    labels[3][labels[3] == 2] = 0  # ball vanishes in frame 3
    traj = MaskTrajectory(labels, traj.names, 8, anchors=traj.anchors, affines=traj.affines)
    assert traj.visible[:, 1].tolist() == [True, True, True, False, True]
    assert torch.isnan(traj.centroids()[3, 1]).all()
    traj.save(tmp_path / "t.safetensors")
    back = MaskTrajectory.load(tmp_path / "t.safetensors")
    assert torch.equal(back.labels, traj.labels) and back.fps == 8 and torch.equal(back.visible, traj.visible)
    assert torch.allclose(back.affines, traj.affines)
    assert back.first_objects().names == ["dog", "ball"]


def test_trajectory_rejects_inconsistent_fields():
    labels = torch.zeros(3, 8, 8, dtype=torch.uint8)
    labels[:, 2:4, 2:4] = 1
    with pytest.raises(TTMInputError, match="anchors"):
        MaskTrajectory(labels, ["a"], anchors=torch.zeros(2, 1, 2))
    with pytest.raises(TTMInputError, match="visible"):
        MaskTrajectory(labels, ["a"], visible=torch.zeros(3, 1, dtype=torch.bool))
    with pytest.raises(TTMInputError, match="fps"):
        MaskTrajectory(labels, ["a"], fps=0)


def test_trajectory_resize_keeps_affine_consistent():
    obj = ObjectSet(_two_boxes(), ["dog", "ball"])
    traj = MaskTrajectory.still(obj, 5)
    a = torch.tensor([[1.0, 0.0, 4.0], [0.0, 1.0, -2.0]])  # translate by (4, -2)
    traj.affines[2, 0] = a
    big = traj.resized(80, 120)
    assert (big.height, big.width) == (80, 120)
    assert torch.allclose(big.affines[2, 0], torch.tensor([[1.0, 0.0, 8.0], [0.0, 1.0, -4.0]]), atol=1e-5)
    # pixel-centre convention: p' = s * (p + 0.5) - 0.5, the resized mask's centroid
    assert torch.allclose(big.anchors[0, 0], traj.anchors[0, 0] * 2 + 0.5, atol=1e-5)


def test_load_refuses_wrong_type_and_corrupt_file(tmp_path):
    obj = ObjectSet(_two_boxes(), ["dog", "ball"])
    obj.save(tmp_path / "o.safetensors")
    with pytest.raises(TTMInputError, match="expected MaskTrajectory"):
        MaskTrajectory.load(tmp_path / "o.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a file")
    with pytest.raises(TTMInputError, match="not a readable"):
        ObjectSet.load(bad)
    with pytest.raises(TTMInputError, match="not found"):
        ObjectSet.load(tmp_path / "missing.safetensors")


def test_saved_files_get_normal_permissions(tmp_path):
    import os
    import stat

    obj = ObjectSet(_two_boxes(), ["dog", "ball"])
    obj.save(tmp_path / "o.safetensors")
    mode = stat.S_IMODE(os.stat(tmp_path / "o.safetensors").st_mode)
    mask = os.umask(0)
    os.umask(mask)
    assert mode == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["o.safetensors"]  # no temp file left behind


def test_public_names_resolve_when_the_core_is_imported_under_another_name(tmp_path):
    """ComfyUI imports the pack as a package named after its folder: ``<pack>.ttm_core``."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    (tmp_path / "some_pack").mkdir()
    (tmp_path / "some_pack" / "__init__.py").write_text("")
    (tmp_path / "some_pack" / "ttm_core").symlink_to(root / "ttm_core")
    code = (
        "import some_pack.ttm_core as core, sys\n"
        "names = ['ObjectSet', 'PromptPlan', 'MaskTrajectory', 'TTMInputError', 'image_to_motion',"
        " 'render_trajectory', 'decompose_prompt', 'segment_image']\n"
        "[getattr(core, n) for n in names]\n"
        "assert 'ttm_core' not in sys.modules, 'the core leaked under its bare name'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
