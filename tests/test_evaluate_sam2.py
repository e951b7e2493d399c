"""The SAM2 path end to end on tiny SAM2 with the demo scene, the node on tiny models, and the
named errors of bad input."""

from __future__ import annotations

import json
import math
import sys

import pytest
import torch

from ttm_core.errors import TTMInputError
from ttm_core.evaluate import evaluate_video, palette_segmenter, read_video, split_candidates
from ttm_core.types import MaskTrajectory

from node_helpers import call

FRAMES = 5


@pytest.fixture(scope="module")
def demo():
    from ttm_core.cli.scene import example_scene
    from ttm_core.guidance import build_reference_video
    from ttm_core.motion import image_to_motion
    from ttm_core.prompts import decompose_prompt

    scene = example_scene(128, 64)
    plan = decompose_prompt(scene.prompt, scene.objects.names)
    traj = image_to_motion(scene.objects, plan, FRAMES, mode="plan")
    frames = build_reference_video(scene.image, traj, objects=scene.objects).frames
    return scene, traj, frames


@pytest.fixture(scope="module")
def tiny_sam2():
    from ttm_core.testing import build_tiny_sam2

    return build_tiny_sam2(image_size=128, seed=0)


def test_sam2_path_end_to_end_is_deterministic(demo, tiny_sam2):
    _, traj, frames = demo
    a = evaluate_video(frames, traj, sam2=tiny_sam2)
    b = evaluate_video(frames, traj, sam2=tiny_sam2)
    assert [o.name for o in a.objects] == ["ball", "cube"]
    for obj in a.objects:
        assert len(obj.iou) == FRAMES and math.isnan(obj.iou[0])
        assert all(math.isnan(v) or 0.0 <= v <= 1.0 for v in obj.iou)
        assert 0.0 <= obj.visibility <= 1.0
    assert (a.num_frames, a.width, a.height) == (FRAMES, 128, 64)
    assert a.average_displacement > 0  # the reference video moves its objects
    da, db = a.to_dict(), b.to_dict()
    da.pop("seconds"), db.pop("seconds")
    assert da == db


def test_node_best_of_n_returns_the_best_candidate(pack, tiny_sam2, demo):
    _, traj, frames = demo
    still = frames[:1].expand(FRAMES, -1, -1, -1)
    batch = torch.cat([still, frames, frames.flip(2)])  # three candidates
    (best, index, plot, scores), ui = call(pack, "TTMEvaluateVideo", frames=batch, trajectory=traj, sam2=tiny_sam2)
    ranking = json.loads(scores)
    mious = [c["miou"] if c["miou"] is not None else -1 for c in ranking["candidates"]]
    assert len(mious) == 3 and index == ranking["best"] == max(range(3), key=lambda i: (mious[i], -i))
    assert torch.equal(best, batch[index * FRAMES:(index + 1) * FRAMES])
    assert plot.shape[0] == 1 and plot.shape[-1] == 3 and float(plot.std()) > 0.05
    assert ui["text"][0].startswith(f"best: candidate {index} by miou") and "ball" in ui["text"][0]


def test_node_names_bad_inputs(pack, tiny_sam2, demo):
    _, traj, frames = demo
    with pytest.raises(TTMInputError, match="^candidates: 2 videos of 5 frames need 10 images, the batch has 5"):
        call(pack, "TTMEvaluateVideo", frames=frames, trajectory=traj, sam2=tiny_sam2, candidates=2)
    with pytest.raises(TTMInputError, match="^frames: holds 7 images, not a whole number of 5-frame videos"):
        call(pack, "TTMEvaluateVideo", frames=torch.cat([frames, frames[:2]]), trajectory=traj, sam2=tiny_sam2)
    with pytest.raises(TTMInputError, match="^sam2: expected a loaded SAM2 model"):
        call(pack, "TTMEvaluateVideo", frames=frames, trajectory=traj, sam2="sam2.pt")


def test_bad_input_gets_named_errors(demo, tiny_sam2, tmp_path):
    _, traj, frames = demo
    oracle = palette_segmenter()
    with pytest.raises(TTMInputError, match=r"^frames: has 4 frames but the trajectory has 5\. Fix: "):
        evaluate_video(frames[:4], traj, segmenter=oracle)
    wide = torch.zeros(FRAMES, 64, 160, 3)
    with pytest.raises(TTMInputError, match=r"^frames: are 160x64 but the trajectory is 128x64\. Fix: "):
        evaluate_video(wide, traj, segmenter=oracle, resize=False)
    with pytest.raises(TTMInputError, match=r"^trajectory: object\(s\) \['ball', 'cube'\] are not in frame 0 at 4x2"):
        evaluate_video(torch.zeros(FRAMES, 2, 4, 3), traj, segmenter=oracle)
    nan = frames.clone()
    nan[2, 3, 4, 1] = float("nan")
    with pytest.raises(TTMInputError, match="^frames: contains NaN or infinite values"):
        evaluate_video(nan, traj, segmenter=oracle)
    with pytest.raises(TTMInputError, match=r"^frames: values must lie in 0\.\.1"):
        evaluate_video(frames * 255, traj, segmenter=oracle)
    empty = MaskTrajectory(torch.zeros(FRAMES, 64, 128, dtype=torch.uint8), [])
    with pytest.raises(TTMInputError, match="^trajectory: has no objects"):
        evaluate_video(frames, empty, segmenter=oracle)
    with pytest.raises(TTMInputError, match="^sam2: evaluation needs SAM2 .* Fix: pass a loaded SAM2"):
        evaluate_video(frames, traj)
    with pytest.raises(TTMInputError, match="^sam2: expected a loaded SAM2 model"):
        evaluate_video(frames, traj, sam2=object())
    with pytest.raises(TTMInputError, match="^video: file not found"):
        read_video(tmp_path / "missing.mp4")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 100)
    with pytest.raises(TTMInputError, match="^video: cannot read .*broken.mp4 as a video"):
        read_video(broken)
    # another size is fine by default: the target is stretched to the video, as stage 2 does
    other = torch.nn.functional.interpolate(frames.permute(0, 3, 1, 2), size=(32, 96)).permute(0, 2, 3, 1)
    s = evaluate_video(other, traj, sam2=tiny_sam2, flow=None)
    assert (s.width, s.height) == (96, 32)
    assert len(split_candidates(torch.cat([frames, frames]), FRAMES)) == 2


def test_video_file_round_trip(demo, tmp_path):
    from ttm_core.visualize import save_video

    _, traj, frames = demo
    path = save_video(frames, tmp_path / "v.mp4", fps=16)
    back, fps = read_video(path)
    assert back.shape == frames.shape and fps == pytest.approx(16)
    assert float((back - frames).abs().mean()) < 0.05  # H.264 is lossy
