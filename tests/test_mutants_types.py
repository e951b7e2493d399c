"""Tests written from surviving mutants of ``ttm_core/types/*`` (tools/mutation.py, group types;
those of ``ttm_core/coords.py`` are in ``test_mutants_coords.py``).

Expected values are hand-computed on tiny label maps, come from the project's error rule (a bad
input is a :class:`TTMInputError` whose message starts with the input's name and says what is
expected), or are round trips. Verdicts on the survivors not killed here are in
``docs/mutation-survivors/types.md``.
"""

from __future__ import annotations

import math
import os
import re
import warnings

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from ttm_core import MaskTrajectory, ObjectSet
from ttm_core.errors import TTMInputError
from ttm_core.types._checks import atomic_write_bytes
from ttm_core.types.plan import PromptPlan


def _two_objects():
    labels = torch.zeros(4, 5, dtype=torch.long)
    labels[0:2, 0:2] = 1  # 4 pixels
    labels[3, 4] = 2  # a single pixel
    return labels


# ---- label coercion --------------------------------------------------------------------------


def test_label_maps_of_any_integer_like_dtype_are_stored_as_the_documented_dtype():
    expected = _two_objects()
    for given in (expected.float(), expected.to(torch.uint8), expected.numpy().astype(np.int32), expected.tolist()):
        obj = ObjectSet(given, ["a", "b"])
        assert obj.labels.dtype == torch.long
        assert torch.equal(obj.labels, expected)
    video = expected.unsqueeze(0).repeat(2, 1, 1)
    for given in (video, video.float(), video.numpy()):
        traj = MaskTrajectory(given, ["a", "b"])
        assert traj.labels.dtype == torch.uint8  # a label video lives in uint8
        assert torch.equal(traj.labels.long(), video)


def test_a_bool_mask_is_label_one():
    mask = torch.zeros(3, 3, dtype=torch.bool)
    mask[1, 1:] = True
    obj = ObjectSet(mask, ["dog"])
    assert obj.labels.dtype == torch.long
    assert obj.labels.tolist() == [[0, 0, 0], [0, 1, 1], [0, 0, 0]]


def test_label_errors_name_the_labels_input():
    with pytest.raises(TTMInputError, match=r"^labels: expected a tensor or array, got str"):
        ObjectSet("not a map", ["a"])
    with pytest.raises(TTMInputError, match=r"^labels: expected 2 dimensions"):
        ObjectSet(torch.zeros(2, 2, 2, dtype=torch.long))
    with pytest.raises(TTMInputError, match=r"^labels: expected 3 dimensions"):
        MaskTrajectory(torch.zeros(2, 2, dtype=torch.uint8))


# ---- ObjectSet -------------------------------------------------------------------------------


def test_object_set_without_names_gets_default_names():
    assert ObjectSet(_two_objects()).names == ["object_1", "object_2"]


def test_object_set_names_errors():
    with pytest.raises(TTMInputError, match=r"^names: object names must be unique"):
        ObjectSet(_two_objects(), ["a", "a"])
    # a name past the largest label has no pixels: that must be reported, not dropped
    labels = torch.tensor([[0, 1]])
    with pytest.raises(TTMInputError, match=r"^labels: object\(s\) \['b'\] have an empty mask"):
        ObjectSet(labels, ["a", "b"])
    with pytest.raises(TTMInputError, match=r"^labels: object\(s\) \['b', 'c'\] have an empty mask"):
        ObjectSet(labels, ["a", "b", "c"])


def test_bboxes_of_no_objects_is_an_empty_integer_table():
    boxes = ObjectSet(torch.zeros(3, 3, dtype=torch.long)).bboxes()
    assert boxes.shape == (0, 4)
    assert boxes.dtype == torch.long


def test_from_masks_accepts_one_2d_mask():
    mask = torch.zeros(4, 5)
    mask[1:3, 2:4] = 1.0
    obj = ObjectSet.from_masks(mask, ["dog"])
    assert obj.names == ["dog"]
    assert torch.equal(obj.labels, (mask > 0).long())


def test_from_masks_keeps_given_scores_and_none_when_not_given():
    masks = torch.zeros(2, 4, 4)
    masks[0, :2] = 1
    masks[1, 2:] = 1
    assert ObjectSet.from_masks(masks, ["a", "b"], [0.5, 0.25]).scores == [0.5, 0.25]
    assert ObjectSet.from_masks(masks, ["a", "b"]).scores is None


def test_from_masks_keeps_an_object_of_one_pixel():
    masks = torch.zeros(2, 4, 4, dtype=torch.bool)
    masks[0, :2] = True
    masks[1, 3, 3] = True
    for drop_empty in (False, True):
        obj = ObjectSet.from_masks(masks, ["a", "ball"], drop_empty=drop_empty)
        assert obj.names == ["a", "ball"]
        assert obj.areas().tolist() == [8, 1]


def test_from_masks_errors_name_the_input():
    with pytest.raises(TTMInputError, match=r"^masks: expected \[K, H, W\] masks"):
        ObjectSet.from_masks(torch.zeros(1, 2, 2, 2))
    with pytest.raises(TTMInputError, match=r"^masks: expected a tensor or array, got int"):
        ObjectSet.from_masks(3)
    with pytest.raises(TTMInputError, match=r"^names: 1 names given for 2 objects"):
        ObjectSet.from_masks(torch.ones(2, 2, 2), ["a"])
    with pytest.raises(TTMInputError, match=r"^names: object names must be unique"):
        ObjectSet.from_masks(torch.ones(2, 2, 2), ["a", "a"])


def test_from_masks_says_whether_a_lost_object_was_empty_or_covered():
    empty = torch.zeros(2, 4, 4)
    empty[0, :2] = 1  # "ball" has no pixel at all
    with pytest.raises(TTMInputError, match=r"^masks: mask\(s\) for \['ball'\] are empty\. "):
        ObjectSet.from_masks(empty, ["person", "ball"])
    covered = torch.zeros(2, 4, 4)
    covered[0] = 1
    covered[1, 1:3, 1:3] = 1  # inside the person, and the person's score is higher
    with pytest.raises(
        TTMInputError, match=r"^masks: mask\(s\) for \['ball'\] are empty or fully covered by other objects\."
    ):
        ObjectSet.from_masks(covered, ["person", "ball"], [0.9, 0.1])


def test_with_names_renames_and_keeps_the_rest():
    obj = ObjectSet(_two_objects(), ["a", "b"], [0.5, 0.25])
    renamed = obj.with_names([" dog ", "ball"])
    assert renamed.names == ["dog", "ball"]
    assert torch.equal(renamed.labels, _two_objects())
    assert renamed.scores == [0.5, 0.25]
    assert obj.names == ["a", "b"]
    with pytest.raises(TTMInputError, match=r"^names: 1 names given for 2 objects"):
        obj.with_names(["dog"])
    with pytest.raises(TTMInputError, match=r"^names: 3 names given for 2 objects"):
        obj.with_names(["dog", "ball", "cat"])


# ---- files -----------------------------------------------------------------------------------


def test_save_creates_missing_folders(tmp_path):
    path = tmp_path / "a" / "b" / "objects.safetensors"
    ObjectSet(_two_objects(), ["a", "b"]).save(path)
    assert ObjectSet.load(path).names == ["a", "b"]


def test_the_temporary_file_is_hidden_next_to_the_target(tmp_path):
    seen = []

    def writer(tmp):
        seen.append(tmp)
        with open(tmp, "wb") as f:
            f.write(b"x")

    target = tmp_path / "plan.json"
    atomic_write_bytes(target, writer)
    tmp = seen[0]
    # same folder, so the final rename never crosses file systems; hidden, and marked .tmp
    assert os.path.dirname(os.path.abspath(tmp)) == str(tmp_path)
    assert re.fullmatch(r"\.plan\.json\..+\.tmp", os.path.basename(tmp)), tmp
    assert target.read_bytes() == b"x"


def test_a_failing_writer_raises_its_own_error_and_leaves_nothing(tmp_path):
    def fails(tmp):
        raise OSError("disk full")

    def removes_then_fails(tmp):
        os.remove(tmp)
        raise OSError("disk full")

    for writer in (fails, removes_then_fails):
        with pytest.raises(OSError, match="disk full"):
            atomic_write_bytes(tmp_path / "x.bin", writer)
        assert os.listdir(tmp_path) == []


def test_load_errors_name_the_path_input(tmp_path):
    with pytest.raises(TTMInputError, match=r"^path: file not found"):
        ObjectSet.load(tmp_path / "missing.safetensors")
    with pytest.raises(TTMInputError, match=r"^path: file not found"):
        MaskTrajectory.load(tmp_path / "missing.safetensors")


def test_minimal_files_without_metadata_load_with_defaults(tmp_path):
    # a file holding only the labels and its type (another tool, an older version)
    labels = _two_objects().to(torch.uint8)
    save_file({"labels": labels}, str(tmp_path / "o.safetensors"), metadata={"ttm_type": "ObjectSet"})
    obj = ObjectSet.load(tmp_path / "o.safetensors")
    assert obj.names == ["object_1", "object_2"]
    assert obj.scores is None
    assert torch.equal(obj.labels, labels.long())

    video = labels.unsqueeze(0).repeat(3, 1, 1)
    save_file({"labels": video}, str(tmp_path / "t.safetensors"), metadata={"ttm_type": "MaskTrajectory"})
    traj = MaskTrajectory.load(tmp_path / "t.safetensors")
    assert traj.names == ["object_1", "object_2"]
    assert traj.fps == 16.0  # Wan's native frame rate, the class default
    assert traj.scores == {}
    assert traj.visible.all()  # both objects have pixels in every frame
    assert traj.anchors is None and traj.affines is None and traj.depth is None


# ---- MaskTrajectory --------------------------------------------------------------------------


def test_optional_fields_are_stored_in_their_documented_dtypes():
    video = _two_objects().unsqueeze(0).repeat(2, 1, 1)
    t, k = 2, 2
    traj = MaskTrajectory(
        video,
        ["a", "b"],
        anchors=np.zeros((t, k, 2), dtype=np.float64),
        visible=[[1, 1], [1, 1]],
        affines=np.tile(np.array([[1.0, 0, 0], [0, 1.0, 0]]), (t, k, 1, 1)),
        depth=[[0, 1], [1, 0]],
    )
    assert traj.anchors.dtype == torch.float32
    assert traj.visible.dtype == torch.bool
    assert traj.affines.dtype == torch.float32
    assert traj.depth.dtype == torch.float32
    assert traj.depth.tolist() == [[0.0, 1.0], [1.0, 0.0]]


def test_only_anchors_may_hold_nan():
    video = _two_objects().unsqueeze(0).repeat(2, 1, 1)
    anchors = torch.full((2, 2, 2), float("nan"))
    assert torch.isnan(MaskTrajectory(video, ["a", "b"], anchors=anchors).anchors).all()
    affines = torch.zeros(2, 2, 2, 3)
    affines[1, 0, 0, 2] = float("nan")
    with pytest.raises(TTMInputError, match=r"^affines: contains infinite or NaN"):
        MaskTrajectory(video, ["a", "b"], affines=affines)
    with pytest.raises(TTMInputError, match=r"^depth: contains infinite or NaN"):
        MaskTrajectory(video, ["a", "b"], depth=torch.tensor([[0.0, float("nan")], [0.0, 0.0]]))


def test_trajectory_field_errors_name_the_field():
    video = _two_objects().unsqueeze(0).repeat(2, 1, 1)
    with pytest.raises(TTMInputError, match=r"^anchors: expected a tensor or array, got str"):
        MaskTrajectory(video, ["a", "b"], anchors="none")
    with pytest.raises(TTMInputError, match=r"^affines: expected shape \(2, 2, 2, 3\)"):
        MaskTrajectory(video, ["a", "b"], affines=torch.zeros(2, 2, 3, 3))
    with pytest.raises(TTMInputError, match=r"^depth: expected shape \(2, 2\)"):
        MaskTrajectory(video, ["a", "b"], depth=torch.zeros(2, 3))
    with pytest.raises(TTMInputError, match=r"^visible: expected shape \(2, 2\)"):
        MaskTrajectory(video, ["a", "b"], visible=torch.ones(2, 3, dtype=torch.bool))


def test_areas_are_integer_pixel_counts():
    video = _two_objects().unsqueeze(0).repeat(2, 1, 1)
    video[1] = 0
    video[1, 0, 0] = 2
    areas = MaskTrajectory(video, ["a", "b"]).areas()
    assert areas.dtype == torch.int64
    assert areas.tolist() == [[4, 1], [0, 1]]


def test_an_object_of_one_pixel_is_present():
    video = _two_objects().unsqueeze(0).repeat(2, 1, 1)  # "b" is a single pixel
    traj = MaskTrajectory(video, ["a", "b"])
    assert traj.presence().tolist() == [[True, True], [True, True]]
    assert traj.visible.tolist() == [[True, True], [True, True]]


def test_centroid_of_an_absent_object_is_nan_without_numpy_warnings():
    video = _two_objects().unsqueeze(0).repeat(2, 1, 1)
    video[1][video[1] == 2] = 0  # "b" leaves in frame 1
    traj = MaskTrajectory(video, ["a", "b"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = traj.centroids()
    # hand: "a" covers x 0..1, y 0..1 -> (0.5, 0.5); "b" is the pixel (4, 3)
    assert c[0].tolist() == [[0.5, 0.5], [4.0, 3.0]]
    assert c[1, 0].tolist() == [0.5, 0.5]
    assert all(math.isnan(v) for v in c[1, 1].tolist())


def test_still_is_the_identity_at_the_given_frame_rate():
    obj = ObjectSet(_two_objects(), ["a", "b"])
    still = MaskTrajectory.still(obj, 3)
    assert still.fps == 16.0  # Wan's native frame rate
    assert MaskTrajectory.still(obj, 3, fps=24).fps == 24.0
    identity = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert torch.equal(still.affines, identity.expand(3, 2, 2, 3))


# ---- PromptPlan ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "keyframes, match",
    [
        ({"dog": 5}, r"^keyframes\['dog'\]: must be a list of keyframes"),
        ({"dog": [5]}, r"^keyframes\['dog'\]\[0\]: must be an object"),
        ({"dog": [{"t": "late"}]}, r"^keyframes\['dog'\]\[0\]\.t: must be a number"),
        ({"dog": [{"t": 0.0}, {"t": 1.0, "dx": "far"}]}, r"^keyframes\['dog'\]\[1\]\.dx: must be a number"),
    ],
)
def test_keyframe_errors_name_the_object_index_and_key(keyframes, match):
    with pytest.raises(TTMInputError, match=match):
        PromptPlan("a dog", keyframes=keyframes)


def test_plan_keeps_notes_and_defaults():
    assert PromptPlan("a dog", notes=["slow", 3]).notes == ["slow", "3"]
    plan = PromptPlan.from_dict({"global_prompt": "a dog", "notes": ["from the LLM"]})
    assert plan.notes == ["from the LLM"]
    assert plan.motion_prompt == ""
    assert plan.local_prompts == {} and plan.keyframes == {}


def test_plan_check_names_says_which_mapping_and_input():
    plan = PromptPlan("a dog", local_prompts={"dgo": "a dog"})
    with pytest.raises(TTMInputError, match=r"^prompts: local_prompts mention \['dgo'\]"):
        plan.check_names(["dog"])
    plan = PromptPlan("a dog", keyframes={"dgo": [{"t": 1.0}]})
    with pytest.raises(TTMInputError, match=r"^prompts: keyframes mention \['dgo'\]"):
        plan.check_names(["dog"])


def test_plan_parse_errors_name_the_input(tmp_path):
    with pytest.raises(TTMInputError, match=r"^plan: must be a JSON object"):
        PromptPlan.from_dict([1])
    with pytest.raises(TTMInputError, match=r"^plan_json: is not valid JSON"):
        PromptPlan.from_json("{bad")
    with pytest.raises(TTMInputError, match=r"^plan_json: must be a JSON object"):
        PromptPlan.from_json("[1]")
    path = tmp_path / "plan.json"
    path.write_text("[1]", encoding="utf-8")
    with pytest.raises(TTMInputError, match="^" + re.escape(f"{path}: must be a JSON object")):
        PromptPlan.load(path)


def test_plan_json_is_readable_text():
    plan = PromptPlan("un café au lait", local_prompts={"tasse": "une tasse fumée"})
    text = plan.to_json()
    assert "café" in text and "fumée" in text  # artists read accents, not \u00e9
    assert text.count("\n") >= 3  # one key per line by default
    assert "\n" not in plan.to_json(indent=None)
    assert PromptPlan.from_json(text) == plan
