"""``python -m ttm_core {demo,generate,tiny-models}``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT
from ttm_core.cli import main
from ttm_core.types import MaskTrajectory


def _size(path) -> tuple[int, int]:
    with Image.open(path) as im:
        return im.size


def test_demo_runs_in_a_fresh_interpreter_without_weights(tmp_path):
    out = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "ttm_core", "demo", "--out", str(out), "--width", "256", "--height", "160",
         "--frames", "9"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for name in ("input.png", "objects.png", "summary.png"):
        assert _size(out / name) == (256, 160)
    assert (out / "masks.mp4").stat().st_size > 0 or (out / "masks.gif").stat().st_size > 0
    assert _size(out / "overlay.gif") == (128, 80)
    assert any((out / n).is_file() for n in ("reference.mp4", "reference.gif"))
    assert _size(out / "reference_last_frame.png") == (256, 160)
    plan = json.loads((out / "plan.json").read_text())
    assert set(plan["local_prompts"]) == {"ball", "cube"}
    traj = MaskTrajectory.load(out / "trajectory.safetensors")
    assert traj.num_frames == 9 and traj.names == ["ball", "cube"]
    c = traj.centroids()
    assert c[-1, 0, 0] > c[0, 0, 0] + 20 and c[-1, 1, 0] < c[0, 1, 0] - 20  # ball right, cube left
    assert "summary: " in result.stdout


def test_tiny_models_tree_layout(tiny_models_dir):
    folders = sorted(p.name for p in (tiny_models_dir / "diffusers").iterdir())
    assert len(folders) == 3 and all("tiny" in f for f in folders)
    assert all((tiny_models_dir / "diffusers" / f / "model_index.json").is_file() for f in folders)
    sam2 = list((tiny_models_dir / "sam2").iterdir())
    assert len(sam2) == 1 and "tiny" in sam2[0].name
    assert all("tiny" in p.name for p in (tiny_models_dir / "diffusion_models").iterdir())


@pytest.mark.slow
def test_demo_with_sam2_and_a_video_model(tiny_models_dir, tmp_path, capsys):
    from ttm_core.testing.models_tree import SAM2_FILE_NAME, SAM2_IMAGE_SIZE, WAN_FOLDER_NAMES

    out = tmp_path / "demo"
    code = main([
        "demo", "--out", str(out), "--width", "96", "--height", "64", "--frames", "5",
        "--sam2", str(tiny_models_dir / "sam2" / SAM2_FILE_NAME), "--sam2-size", str(SAM2_IMAGE_SIZE),
        "--model", str(tiny_models_dir / "diffusers" / WAN_FOLDER_NAMES["wan22_ti2v_5b"]),
        "--steps", "2", "--device", "cpu", "--dtype", "fp32",
    ])
    printed = capsys.readouterr().out
    assert code == 0
    assert _size(out / "video_frame_000.png") == (96, 64)
    assert any((out / n).is_file() for n in ("video.mp4", "video.gif"))
    assert "loaded wan22_ti2v_5b" in printed


def test_generate_from_masks_and_paths(tmp_path, capsys):
    image = np.zeros((64, 96, 3), np.uint8)
    image[..., 1] = 120
    Image.fromarray(image).save(tmp_path / "in.png")
    for name, box in (("a", (10, 20, 30, 40)), ("b", (60, 20, 80, 40))):
        m = np.zeros((64, 96), np.uint8)
        m[box[1]:box[3], box[0]:box[2]] = 255
        Image.fromarray(m).save(tmp_path / f"{name}.png")
    out = tmp_path / "out"
    paths = json.dumps([[[20, 30], [40, 30]], [[70, 30], [70, 50]]])
    code = main([
        "generate", "--image", str(tmp_path / "in.png"), "--prompt", "the dog runs right and the cat falls",
        "--names", "dog, cat", "--masks", str(tmp_path / "a.png"), str(tmp_path / "b.png"),
        "--paths", paths, "--frames", "5", "--out", str(out),
    ])
    assert code == 0
    traj = MaskTrajectory.load(out / "trajectory.safetensors")
    c = traj.centroids()
    assert traj.names == ["dog", "cat"]
    assert c[-1, 0, 0] - c[0, 0, 0] == pytest.approx(20, abs=1) and c[-1, 1, 1] - c[0, 1, 1] == pytest.approx(20, abs=1)
    assert "stopping after the trajectory" in capsys.readouterr().out


def test_cli_errors_name_the_option(tmp_path, capsys):
    code = main(["generate", "--image", str(tmp_path / "missing.png"), "--prompt", "x", "--out", str(tmp_path)])
    assert code == 2
    assert capsys.readouterr().err.startswith("error: --image: file not found")


@pytest.mark.slow
def test_generate_track_mode_with_tiny_models(tiny_models_dir, tmp_path, capsys):
    from ttm_core.cli.scene import example_scene
    from ttm_core.testing.models_tree import SAM2_FILE_NAME, SAM2_IMAGE_SIZE, WAN_FOLDER_NAMES

    scene = example_scene(96, 64)
    Image.fromarray((scene.image.numpy() * 255).round().astype(np.uint8)).save(tmp_path / "in.png")
    points = json.dumps([list(scene.points["ball"]), list(scene.points["cube"])])
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"global_prompt": "a ball and a cube", "motion_prompt": "the ball rolls right",
                                "local_prompts": {"ball": "a red ball"}}))
    code = main([
        "generate", "--image", str(tmp_path / "in.png"), "--prompt", "the ball rolls right", "--names", "ball, cube",
        "--sam2", str(tiny_models_dir / "sam2" / SAM2_FILE_NAME), "--sam2-size", str(SAM2_IMAGE_SIZE),
        "--points", points, "--plan", str(plan), "--track", "--candidates", "1", "--draft-steps", "1",
        "--model", str(tiny_models_dir / "diffusers" / WAN_FOLDER_NAMES["wan22_ti2v_5b"]), "--device", "cpu",
        "--dtype", "fp32", "--steps", "1", "--frames", "5", "--out", str(tmp_path / "out"),
    ])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "track scores: " in printed and printed.count("loaded wan22_ti2v_5b") == 1
    assert MaskTrajectory.load(tmp_path / "out" / "trajectory.safetensors").num_frames == 5
    assert _size(tmp_path / "out" / "video_frame_000.png") == (96, 64)
