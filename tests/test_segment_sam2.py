"""The real SAM2 code path on a tiny random SAM2.1 hiera_t (input size 64 so CPU runs are quick).

Random weights give arbitrary (but deterministic, non-empty) masks, so these tests check what
does not depend on trained weights: shapes, names, non-overlap, boxes honoured, weights loaded,
frame 0 of a propagation equal to the seed, hooks and Hydra isolation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from ttm_core.errors import TTMInputError, TTMInterrupted
from ttm_core.segment import load_sam2, propagate_video, segment_image
from ttm_core.testing import build_tiny_sam2, save_tiny_sam2
from ttm_core.types import MaskTrajectory, ObjectSet

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
SIZE = 64
BOXES = {"dog": (5, 8, 60, 64), "ball": (70, 10, 120, 50)}
H, W = 72, 128  # 16:9, non-square



@pytest.fixture(scope="module")
def tiny():
    return build_tiny_sam2("sam2.1_hiera_t", image_size=SIZE, seed=0)


@pytest.fixture(scope="module")
def checkpoints(tiny, tmp_path_factory):
    folder = tmp_path_factory.mktemp("models_sam2")
    pt = save_tiny_sam2(folder, "pt", handle=tiny)
    st = save_tiny_sam2(folder, "safetensors", half=True, handle=tiny)
    return pt, st


@pytest.fixture(scope="module")
def image():
    g = torch.Generator().manual_seed(1)
    return torch.rand(H, W, 3, generator=g)


@pytest.fixture(scope="module")
def seed(tiny, image):
    """Two boxed objects: segmented once, reused by several tests (the handle stays loaded)."""
    return segment_image(tiny, image, [{"name": n, "box": list(b)} for n, b in BOXES.items()])


def check_objects(objs: ObjectSet, names):
    assert isinstance(objs, ObjectSet)
    assert objs.labels.shape == (H, W) and objs.labels.dtype == torch.long
    assert objs.names == names
    assert int(objs.labels.max()) == len(names)
    assert all(a > 0 for a in objs.areas().tolist())  # every object visible, one label per pixel


def test_both_checkpoint_formats_round_trip_the_weights(tiny, checkpoints, tmp_path):
    pt, st = checkpoints
    assert pt.name == "sam2.1_hiera_tiny.pt" and st.name == "sam2.1_hiera_tiny-fp16.safetensors"
    reference = tiny.model.state_dict()
    loaded_pt = load_sam2(pt, image_size=SIZE)
    assert loaded_pt.config_name == "sam2.1_hiera_t" and loaded_pt.image_size == SIZE
    got = loaded_pt.model.state_dict()
    assert got.keys() == reference.keys()
    assert all(torch.equal(got[k], reference[k]) for k in reference)
    # kijai-style flat fp16 safetensors under a name without the size: cast to float32 on load,
    # equal to the fp16-rounded weights, config recognised from the weights themselves
    renamed = tmp_path / "my_segmenter-fp16.safetensors"
    renamed.write_bytes(st.read_bytes())
    loaded_st = load_sam2(renamed, image_size=SIZE)
    assert loaded_st.config_name == "sam2.1_hiera_t"
    got = loaded_st.model.state_dict()
    assert all(got[k].dtype == reference[k].dtype for k in reference)
    assert all(torch.equal(got[k], reference[k].half().to(reference[k].dtype)) for k in reference
               if reference[k].is_floating_point())


def test_bad_checkpoints_name_the_input_and_the_fix(checkpoints, tmp_path):
    pt, _ = checkpoints
    with pytest.raises(TTMInputError, match="file not found") as err:
        load_sam2(tmp_path / "sam2.1_hiera_tiny.pt")
    assert err.value.input_name == "sam2_model" and "models/sam2" in err.value.fix
    for name, payload in (("sam2.1_hiera_tiny.pt", b"\x80\x02not a pickle"), ("sam2_hiera_large.safetensors", b"garbage")):
        broken = tmp_path / name
        broken.write_bytes(payload)
        with pytest.raises(TTMInputError, match="could not be read") as err:
            load_sam2(broken)
        assert "download it again" in err.value.fix
    unknown = tmp_path / "mystery.pt"
    torch.save({"model": {"layer.weight": torch.zeros(2, 2)}}, unknown)
    with pytest.raises(TTMInputError, match="cannot tell which SAM2 model mystery.pt is") as err:
        load_sam2(unknown)
    assert "sam2.1_hiera_tiny.pt" in err.value.fix
    with pytest.raises(TTMInputError, match="does not match the sam2_hiera_t config.*look like sam2.1_hiera_t"):
        load_sam2(pt, config="sam2_hiera_t", image_size=SIZE)
    with pytest.raises(TTMInputError, match="not a .pt, .pth or .safetensors"):
        load_sam2(tmp_path / "sam2.1_hiera_tiny.ckpt")
    with pytest.raises(TTMInputError, match="multiple of 32"):
        load_sam2(pt, image_size=100)
    with pytest.raises(TTMInputError, match="dtype"):
        load_sam2(pt, dtype="int8")
    with pytest.raises(TTMInputError, match="unknown device"):
        load_sam2(pt, device="gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(TTMInputError, match="no CUDA GPU") as err:
            load_sam2(pt, device="cuda")
        assert err.value.input_name == "device" and "cpu" in err.value.fix


def test_point_box_multi_object_and_auto_segmentation(tiny, image, seed):
    one = segment_image(tiny, image, [{"name": "dog", "points": [[40, 30]]}])
    check_objects(one, ["dog"])
    assert one.scores is not None and len(one.scores) == 1

    check_objects(seed, ["dog", "ball"])
    for name, (x0, y0, x1, y1) in BOXES.items():
        ys, xs = torch.nonzero(seed.mask(name), as_tuple=True)
        assert xs.min() >= x0 and xs.max() < x1 and ys.min() >= y0 and ys.max() < y1

    objects = [
        {"name": "cat", "points": [[20, 20], [25, 30]], "negative": [[100, 60]]},
        {"name": "bird", "points": [[100, 20]]},
        {"name": "car", "points": '[{"x": 64, "y": 60}]', "box": [40, 40, 90, 72]},
    ]
    three = segment_image(tiny, image, objects, on_empty="fallback")
    check_objects(three, ["cat", "bird", "car"])

    auto = segment_image(tiny, image, mode="auto", max_objects=3, min_area=0.01,
                         auto_options={"points_per_side": 6, "pred_iou_thresh": 0.0, "stability_score_thresh": 0.0})
    assert 1 <= auto.num_objects <= 3
    check_objects(auto, [f"object_{i + 1}" for i in range(auto.num_objects)])
    assert min(auto.areas().tolist()) >= 0.01 * H * W


def test_bfloat16_compute_and_handle_reuse(tiny, image, seed, monkeypatch):
    prompts = [{"name": n, "box": list(b)} for n, b in BOXES.items()]
    unloads = []
    monkeypatch.setattr(tiny, "unload", lambda: unloads.append(1))
    again = segment_image(tiny, image, prompts, keep_loaded=False)  # the same handle, reused
    assert torch.equal(again.labels, seed.labels) and unloads == [1]
    tiny.to(dtype=torch.bfloat16)
    try:
        half = segment_image(tiny, image, prompts)
    finally:
        tiny.to(dtype=torch.float32)
    assert unloads == [1]  # keep_loaded=True (default) leaves it loaded
    check_objects(half, ["dog", "ball"])
    # most pixels agree with float32 (bf16 only perturbs the logits slightly)
    assert (half.labels == seed.labels).float().mean() > 0.9


def test_propagation_over_in_memory_frames(tiny, image, seed):
    g = torch.Generator().manual_seed(2)
    frames = torch.rand(8, H, W, 3, generator=g)
    frames[0] = image
    seen = []
    traj = propagate_video(tiny, frames, seed, fps=12.0, progress=lambda d, t: seen.append((d, t)))
    assert isinstance(traj, MaskTrajectory)
    assert traj.labels.shape == (8, H, W) and traj.names == ["dog", "ball"] and traj.fps == 12.0
    assert torch.equal(traj.labels[0].long(), seed.labels)
    assert traj.visible.shape == (8, 2) and bool(traj.visible[0].all())
    assert traj.anchors.shape == (8, 2, 2)
    assert seen == [(0, 8)] + [(i, 8) for i in range(1, 9)]

    # a half-size draft with the same aspect ratio: masks come back at the objects' resolution
    small = torch.nn.functional.interpolate(frames[:3].permute(0, 3, 1, 2), size=(H // 2, W // 2), mode="area")
    low = propagate_video(tiny, small.permute(0, 2, 3, 1), seed)
    assert low.labels.shape == (3, H, W) and torch.equal(low.labels[0].long(), seed.labels)
    with pytest.raises(TTMInputError, match="another aspect ratio"):
        propagate_video(tiny, torch.rand(3, 64, 64, 3), seed)

    calls = []

    def stop_at_fourth_check():
        calls.append(1)
        return len(calls) >= 4

    progress = []
    with pytest.raises(TTMInterrupted):
        propagate_video(tiny, frames, seed, interrupt=stop_at_fourth_check, progress=lambda d, t: progress.append(d))
    assert progress[-1] == 3  # stopped between frames, before frame 4 was computed


HYDRA_SCRIPT = textwrap.dedent(
    """
    import json, sys, tempfile
    from pathlib import Path
    import torch
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    # a fake other pack sets up Hydra with its own config folder and keeps it
    folder = Path(tempfile.mkdtemp())
    (folder / "other_pack.yaml").write_text("greeting: hello\\n")
    initialize_config_dir(config_dir=str(folder), version_base=None)
    sources = lambda: [(s.provider, s.path) for s in GlobalHydra.instance().config_loader().get_sources()]
    before = sources()

    import ttm_core.segment as seg
    handle = seg.load_sam2(sys.argv[1], image_size=64)
    objs = seg.segment_image(handle, torch.rand(48, 80, 3), [{"box": [5, 5, 40, 40]}])
    print(json.dumps({
        "initialized": GlobalHydra.instance().is_initialized(),
        "same_sources": sources() == before,
        "other_config": compose(config_name="other_pack").greeting,
        "objects": objs.names,
    }))
    """
)


def test_loading_after_another_pack_initialised_hydra_keeps_its_state(checkpoints):
    pt, _ = checkpoints
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), OMP_NUM_THREADS="1")
    run = subprocess.run([sys.executable, "-c", HYDRA_SCRIPT, str(pt)], capture_output=True, text=True,
                         env=env, timeout=300, cwd=str(ROOT))
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {"initialized": True, "same_sources": True, "other_config": "hello", "objects": ["object_1"]}
