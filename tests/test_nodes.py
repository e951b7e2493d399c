"""Node definitions, checked without ComfyUI: the contract the server and the frontend rely on."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

SOCKETS = {"TTM_OBJECTS", "TTM_PROMPTS", "TTM_TRAJECTORY", "TTM_VIDEO_MODEL", "TTM_SAM2", "TTM_LLM"}
COMFY_TYPES = {"IMAGE", "MASK", "STRING", "INT", "FLOAT", "BOOLEAN", "CLIP_VISION"}
EXPECTED_NODES = {
    "TTMLoadSAM2", "TTMLoadLLM", "TTMLoadVideoModel", "TTMSegmentObjects", "TTMObjectsFromMasks",
    "TTMDecomposePrompt", "TTMMotionFromPlan", "TTMMotionFromPaths", "TTMMotionFromMasks", "TTMMotionFromDraft",
    "TTMMotionToVideo", "TTMVisualizeTrajectory", "TTMObjectsToMasks", "TTMTrajectoryToMasks",
    "TTMTrajectoryToTracks", "TTMSaveTrajectory", "TTMLoadTrajectory", "TTMMotionEditor", "TTMEvaluateVideo",
}


def _is_native(cls) -> bool:
    """Native Wan nodes (``nodes/native``) register only where comfy.ldm.wan imports; they are
    checked in test_native_nodes."""
    return ".nodes.native" in cls.__module__


def _nodes(pack):
    return sorted((k, v) for k, v in pack.NODE_CLASS_MAPPINGS.items() if not _is_native(v))


def test_pack_exports_every_node_with_a_display_name(pack):
    assert {k for k, _ in _nodes(pack)} == EXPECTED_NODES
    native = {k for k, v in pack.NODE_CLASS_MAPPINGS.items() if _is_native(v)}
    assert set(pack.NODE_DISPLAY_NAME_MAPPINGS) - native == EXPECTED_NODES
    for node_id, display in pack.NODE_DISPLAY_NAME_MAPPINGS.items():
        assert node_id.startswith("TTM") and display.startswith("TTM ")


def _inputs(cls):
    spec = cls.INPUT_TYPES()
    assert isinstance(spec, dict) and set(spec) <= {"required", "optional", "hidden"}, spec.keys()
    for section in ("required", "optional"):
        for name, decl in spec.get(section, {}).items():
            yield section, name, decl


def test_input_types_are_valid_and_every_input_has_a_tooltip(pack):
    for node_id, cls in _nodes(pack):
        seen = set()
        for section, name, decl in _inputs(cls):
            where = f"{node_id}.{name}"
            assert name not in seen, f"{where} declared twice"
            seen.add(name)
            assert isinstance(decl, tuple) and len(decl) == 2, where
            kind, opts = decl
            assert isinstance(opts, dict), where
            assert isinstance(opts.get("tooltip"), str) and len(opts["tooltip"]) > 10, f"{where} has no tooltip"
            if isinstance(kind, list):
                assert all(isinstance(v, str) for v in kind), where
                if "default" in opts:
                    assert opts["default"] in kind, where
                continue
            assert kind in COMFY_TYPES | SOCKETS, f"{where}: unknown type {kind}"
            if kind in ("INT", "FLOAT"):
                assert opts["min"] <= opts["default"] <= opts["max"], where
                assert opts.get("step", 1) > 0, where
            if kind == "BOOLEAN":
                assert isinstance(opts["default"], bool), where
            if kind == "STRING":
                assert isinstance(opts.get("default", ""), str), where


def test_return_types_function_category_and_description(pack):
    for node_id, cls in _nodes(pack):
        assert isinstance(cls.RETURN_TYPES, tuple) and cls.RETURN_TYPES, node_id
        assert all(t in COMFY_TYPES | SOCKETS for t in cls.RETURN_TYPES), node_id
        assert len(cls.RETURN_NAMES) == len(cls.RETURN_TYPES), node_id
        assert cls.CATEGORY.startswith("Through-The-Mask/"), node_id
        assert isinstance(cls.DESCRIPTION, str) and len(cls.DESCRIPTION) > 40, node_id
        fn = getattr(cls, cls.FUNCTION)
        params = inspect.signature(fn).parameters
        for section, name, _ in _inputs(cls):
            assert name in params, f"{node_id}.{cls.FUNCTION} does not take input {name}"
            if section == "optional":
                assert params[name].default is not inspect.Parameter.empty, f"{node_id}: optional {name} needs a default"
            else:
                assert params[name].default is inspect.Parameter.empty, f"{node_id}.{name}"


def test_sockets_connect_producers_to_consumers(pack):
    """Every custom socket type some node consumes is produced by another node, and vice versa."""
    produced = {t for _, cls in _nodes(pack) for t in cls.RETURN_TYPES} & SOCKETS
    consumed = {decl[0] for _, cls in _nodes(pack) for _, _, decl in _inputs(cls) if isinstance(decl[0], str)} & SOCKETS
    assert produced == consumed == SOCKETS


def test_sam2_config_choices_match_the_core():
    from ttm_core.segment.configs import CONFIG_NAMES

    from conftest import load_pack

    loaders = sys.modules[load_pack().__name__ + ".nodes.loaders"]
    assert set(loaders.SAM2_CONFIGS) == {"auto", *CONFIG_NAMES}


def _run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, cwd="/")


def test_importing_the_pack_is_cheap_and_isolated(tmp_path):
    """Loaded like ComfyUI does (hyphenated name, symlinked folder, no sys.path entry): only torch
    among the heavy libraries, no top-level ``ttm_core``, ComfyUI's own ``nodes`` not shadowed."""
    link = tmp_path / "ComfyUI-ThroughTheMask"
    link.symlink_to(ROOT, target_is_directory=True)
    result = _run_python(f"""
        import importlib.util, sys, types
        sys.modules["nodes"] = types.ModuleType("nodes")  # stands for ComfyUI's own nodes.py
        spec = importlib.util.spec_from_file_location("ComfyUI-ThroughTheMask", r"{link}/__init__.py",
                                                      submodule_search_locations=[r"{link}"])
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        assert len(module.NODE_CLASS_MAPPINGS) == {len(EXPECTED_NODES)}
        for cls in module.NODE_CLASS_MAPPINGS.values():
            cls.INPUT_TYPES()
        heavy = sorted(m for m in ("diffusers", "transformers", "sam2", "cv2", "hydra", "imageio", "safetensors")
                       if m in sys.modules)
        print("HEAVY", heavy)
        print("TOPLEVEL", "ttm_core" in sys.modules)
        print("NODES", sys.modules["nodes"].__name__, type(sys.modules["nodes"]).__name__)
    """)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout
    assert "TOPLEVEL False" in result.stdout
    assert "NODES nodes module" in result.stdout


@pytest.mark.parametrize("bad", ["", "   "])
def test_split_names_and_numbers(pack, bad):
    base = sys.modules[pack.__name__ + ".nodes._base"]
    assert base.split_names("dog, ball\ncat") == ["dog", "ball", "cat"]
    assert base.split_names(bad) == []
    assert base.per_object_numbers(bad, "scale") is None
    assert base.per_object_numbers("1.5", "scale") == 1.5
    assert base.per_object_numbers("dog: 1.5, ball: 0.5", "scale") == {"dog": 1.5, "ball": 0.5}
    from ttm_core.errors import TTMInputError

    with pytest.raises(TTMInputError, match="^scale: "):
        base.per_object_numbers("dog: big", "scale")


def test_core_errors_are_renamed_to_node_inputs(pack):
    base = sys.modules[pack.__name__ + ".nodes._base"]
    from ttm_core.errors import TTMInputError

    with pytest.raises(TTMInputError) as info:
        with base.node_inputs({"source": "paths"}):
            raise TTMInputError("source[1]", "has one point.", "draw at least two.")
    assert info.value.input_name == "paths[1]"
    assert str(info.value) == "paths[1]: has one point. Fix: draw at least two."
    with pytest.raises(TTMInputError) as info:
        with base.node_inputs({"source": "paths"}):
            raise TTMInputError("num_frames", "must be >= 1.")
    assert info.value.input_name == "num_frames"
