"""Shared helpers of the node tests: call a node the way ComfyUI does and check its outputs."""

from __future__ import annotations

import pytest
import torch

from ttm_core.types import MaskTrajectory, ObjectSet, PromptPlan

W, H = 96, 64  # image size: a multiple of 32 for every Wan layout
VARIANT_FOLDERS = {
    "wan21_i2v": "tiny-random-Wan2.1-I2V-Diffusers",
    "wan22_ti2v_5b": "tiny-random-Wan2.2-TI2V-5B-Diffusers",
    "wan22_i2v_a14b": "tiny-random-Wan2.2-I2V-A14B-Diffusers",
}


@pytest.fixture(scope="module")
def models(tiny_models_dir, pack):
    """Model folders resolve to the tiny-models tree (``TTM_MODELS_DIR`` outside ComfyUI)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TTM_MODELS_DIR", str(tiny_models_dir))
    yield tiny_models_dir
    mp.undo()


@pytest.fixture(scope="module")
def sam2(models, pack):
    from ttm_core.testing.models_tree import SAM2_FILE_NAME, SAM2_IMAGE_SIZE

    (handle,) = call(pack, "TTMLoadSAM2", sam2_model=SAM2_FILE_NAME, device="cpu", image_size=SAM2_IMAGE_SIZE)
    return handle


@pytest.fixture
def io_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("TTM_INPUT_DIR", str(tmp_path / "input"))
    monkeypatch.setenv("TTM_OUTPUT_DIR", str(tmp_path / "output"))
    return tmp_path


def node(pack, name):
    return pack.NODE_CLASS_MAPPINGS[name]


def defaults(cls) -> dict:
    """Widget defaults, as the frontend would send them (first choice of a combo)."""
    out = {}
    for section in ("required", "optional"):
        for name, (kind, opts) in cls.INPUT_TYPES().get(section, {}).items():
            if isinstance(kind, list):
                out[name] = opts.get("default", kind[0] if kind else None)
            elif "default" in opts:
                out[name] = opts["default"]
    return out


def call(pack, name, **inputs):
    """Run a node like ComfyUI does and check every output against RETURN_TYPES."""
    cls = node(pack, name)
    kwargs = {**defaults(cls), **inputs}
    result = getattr(cls(), cls.FUNCTION)(**kwargs)
    values = result["result"] if isinstance(result, dict) else result
    assert isinstance(values, tuple) and len(values) == len(cls.RETURN_TYPES)
    for kind, value in zip(cls.RETURN_TYPES, values):
        check_type(pack, kind, value)
    return values if not isinstance(result, dict) else (values, result.get("ui", {}))


def check_type(pack, kind, value):
    if kind == "IMAGE":
        assert value.ndim == 4 and value.shape[-1] == 3 and value.dtype == torch.float32
        assert float(value.min()) >= 0.0 and float(value.max()) <= 1.0 and torch.isfinite(value).all()
    elif kind == "MASK":
        assert value.ndim == 3 and value.dtype == torch.float32
        assert float(value.min()) >= 0.0 and float(value.max()) <= 1.0
    elif kind == "STRING":
        assert isinstance(value, str)
    elif kind == "INT":
        assert isinstance(value, int)
    elif kind == "TTM_OBJECTS":
        assert isinstance(value, ObjectSet)
    elif kind == "TTM_PROMPTS":
        assert isinstance(value, PromptPlan)
    elif kind == "TTM_TRAJECTORY":
        assert isinstance(value, MaskTrajectory)
    elif kind == "TTM_VIDEO_MODEL":
        assert type(value).__name__ == "VideoModelRef" and value.model is not None
    elif kind == "TTM_SAM2":
        from ttm_core.segment import Sam2Handle

        assert isinstance(value, Sam2Handle)
    elif kind == "TTM_LLM":
        assert value is None or type(value).__name__.endswith("Backend")
    else:  # pragma: no cover
        raise AssertionError(f"unknown type {kind}")


def scene():
    """Two boxes on a gradient, as IMAGE, with their objects."""
    image = torch.linspace(0, 1, W).view(1, 1, W, 1).expand(1, H, W, 3).clone()
    labels = torch.zeros(H, W, dtype=torch.long)
    labels[20:40, 10:30] = 1
    labels[25:45, 60:80] = 2
    image[0][labels == 1] = torch.tensor([0.9, 0.1, 0.1])
    image[0][labels == 2] = torch.tensor([0.1, 0.2, 0.9])
    return image, ObjectSet(labels, ["ball", "cube"])


def plan(**moves) -> PromptPlan:
    return PromptPlan(
        "a ball and a cube on a table", "the ball moves right",
        {"ball": "a red ball rolling", "cube": "a blue cube"},
        {"ball": [{"t": 0.0}, {"t": 1.0, "dx": 0.3}], **moves},
    )
