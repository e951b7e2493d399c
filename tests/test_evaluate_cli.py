"""``python -m ttm_core evaluate`` and ``benchmark`` end to end on tiny models (SAM2, Wan TI2V-5B)."""

from __future__ import annotations

import json

import pytest

from ttm_core.cli import main

W, H, FRAMES = 64, 32, 5  # the tiny TI2V-5B takes multiples of 32


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from ttm_core.testing import save_tiny_sam2, save_tiny_wan

    root = tmp_path_factory.mktemp("eval-models")
    wan = root / "wan"
    save_tiny_wan("wan22_ti2v_5b", wan, seed=0)
    return {"wan": wan, "sam2": save_tiny_sam2(root / "sam2.pt", image_size=128, seed=0)}


def demo_case(width: int = W, height: int = H, prompt: str | None = None):
    from ttm_core.cli.scene import example_scene

    scene = example_scene(width, height)
    return scene, prompt or scene.prompt


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    from ttm_core.evaluate.cases import write_case

    root = tmp_path_factory.mktemp("cases")
    scene, prompt = demo_case()
    write_case(root / "a_demo", scene.image, scene.objects, prompt)
    # objects as large as the tiny model's 32x32 px token cells, so masked attention has tokens to act on
    import torch
    from ttm_core.types import ObjectSet

    labels = torch.zeros(32, 96, dtype=torch.long)
    labels[:, :32], labels[:, 64:] = 1, 2
    image = torch.rand(32, 96, 3, generator=torch.Generator().manual_seed(0))
    write_case(root / "b_blocks", image, ObjectSet(labels, ["ball", "cube"]),
               "The ball rolls to the right while the cube slides to the left.")
    (root / "b_blocks" / "case.json").write_text(json.dumps({"frames": FRAMES}))
    return root


def test_evaluate_cli_prints_the_table_and_writes_json_and_plot(tmp_path, tiny, capsys):
    from ttm_core.guidance import build_reference_video
    from ttm_core.motion import image_to_motion
    from ttm_core.prompts import decompose_prompt
    from ttm_core.visualize import save_video

    scene, prompt = demo_case(128, 64)
    traj = image_to_motion(scene.objects, decompose_prompt(prompt, scene.objects.names), FRAMES, mode="plan")
    traj.save(tmp_path / "t.safetensors")
    ref = build_reference_video(scene.image, traj, objects=scene.objects).frames
    a = save_video(ref, tmp_path / "a.mp4")
    b = save_video(ref.flip(1), tmp_path / "b.mp4")
    args = ["evaluate", "--video", str(a), str(b), "--trajectory", str(tmp_path / "t.safetensors"),
            "--sam2", str(tiny["sam2"]), "--sam2-size", "128", "--out", str(tmp_path / "scores")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "best: " in out and "object" in out and "ball" in out and "AD " in out
    data = json.loads((tmp_path / "scores" / "scores.json").read_text())
    assert len(data["candidates"]) == 2 and data["videos"] == [str(a), str(b)]
    assert data["candidates"][0]["num_frames"] == FRAMES
    assert (tmp_path / "scores" / "iou_plot.png").stat().st_size > 1000


def test_evaluate_cli_named_errors(tmp_path, tiny, capsys):
    from ttm_core.types import MaskTrajectory
    import torch

    labels = torch.zeros(FRAMES, H, W, dtype=torch.uint8)
    labels[:, 5:15, 5:15] = 1
    MaskTrajectory(labels, ["box"]).save(tmp_path / "t.safetensors")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 4096)
    base = ["evaluate", "--trajectory", str(tmp_path / "t.safetensors")]
    assert main([*base, "--video", str(broken), "--sam2", str(tiny["sam2"])]) == 2
    assert "error: --video: cannot read" in capsys.readouterr().err
    from ttm_core.visualize import save_video

    ok = save_video(torch.zeros(FRAMES, H, W, 3), tmp_path / "ok.mp4")
    assert main([*base, "--video", str(ok)]) == 2
    assert "error: --sam2: evaluation needs SAM2" in capsys.readouterr().err


def test_benchmark_prints_one_row_per_setting_reproducibly(cases, tiny, tmp_path, capsys):
    args = ["benchmark", str(cases), "--model", str(tiny["wan"]), "--sam2", str(tiny["sam2"]), "--sam2-size", "128",
            "--frames", str(FRAMES), "--steps", "2", "--seed", "3", "--dtype", "fp32", "--device", "cpu",
            # 2 steps and 2 blocks: let the guidance act in all of them, so the rows differ
            "--block-fraction", "1", "--step-fraction", "1", "--t-weak", "0", "--t-strong", "0.6"]
    assert main([*args, "--out", str(tmp_path / "one")]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("setting"))
    table = lines[start:start + 6]
    assert table[0].split()[:2] == ["setting", "mIoU"] and "s/video" in table[0]
    assert [line.split("  ")[0] for line in table[2:]] == [
        "guidance off", "masked attention only", "anchoring only", "all on"]
    assert main([*args, "--out", str(tmp_path / "two")]) == 0

    def rows(name):
        data = json.loads((tmp_path / name / "benchmark.json").read_text())
        for row in data["rows"]:
            row.pop("seconds_per_video")
            for case in row["cases"].values():
                case.pop("seconds")
        return data["rows"]

    first, second = rows("one"), rows("two")
    assert first == second
    assert set(first[0]["cases"]) == {"a_demo", "b_blocks"}
    # the settings really differ: each row's videos move differently
    ads = [row["cases"]["b_blocks"]["average_displacement"] for row in first]
    assert len(set(ads)) == 4, ads


def test_benchmark_named_errors(tmp_path, tiny, capsys):
    assert main(["benchmark", str(tmp_path / "nope"), "--model", str(tiny["wan"]), "--sam2", str(tiny["sam2"])]) == 2
    assert "error: CASES_DIR: " in capsys.readouterr().err
    (tmp_path / "c" / "x").mkdir(parents=True)
    assert main(["benchmark", str(tmp_path / "c"), "--model", str(tiny["wan"]), "--sam2", str(tiny["sam2"])]) == 2
    assert "error: cases/x: has no image.png" in capsys.readouterr().err
    assert main(["benchmark", str(tmp_path / "c"), "--model", "m", "--settings", "turbo"]) == 2
    assert "error: --settings: unknown setting(s) ['turbo']" in capsys.readouterr().err
