"""The native nodes: registration, V1 contract, local-prompt plumbing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import torch

from conftest import ROOT
from native_helpers import native_models, native_pack, text_cond  # noqa: F401
from test_native_attention_equivalence import trajectory
from test_nodes import COMFY_TYPES, SOCKETS, _inputs

NATIVE_NODES = {"TTMNativeMaskedAttention", "TTMNativeLocalPrompts", "TTMNativeObjectPrompt",
                "TTMReferenceVideo", "TTMAnchorLatent", "TTMAnchoring", "TTMAnchorStartStep"}  # + anchoring
NATIVE_TYPES = {"MODEL", "CLIP", "CONDITIONING", "TTM_LOCAL_PROMPTS", "VAE", "LATENT", "TTM_HOLD"}


def _load_pack_code(with_comfy: bool) -> str:
    comfy = ("sys.path.insert(0, r'%s'); from comfy_paths import import_current_comfy; "
             "import_current_comfy('comfy.ldm.wan.model')" % (ROOT / "tests")) if with_comfy else ""
    return textwrap.dedent(f"""
        import importlib.util, logging, sys
        logging.basicConfig(level=logging.INFO, format="LOG %(message)s")
        {comfy}
        spec = importlib.util.spec_from_file_location("ComfyUI-ThroughTheMask", r"{ROOT}/__init__.py",
                                                      submodule_search_locations=[r"{ROOT}"])
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        print("NATIVE", sorted(k for k in module.NODE_CLASS_MAPPINGS if k in {sorted(NATIVE_NODES)!r}))
    """)


def test_native_nodes_register_only_where_comfy_has_wan():
    import_current = subprocess.run([sys.executable, "-c", _load_pack_code(True)], capture_output=True, text=True,
                                    timeout=300, cwd="/")
    assert import_current.returncode == 0, import_current.stderr[-3000:]
    assert f"NATIVE {sorted(NATIVE_NODES)}" in import_current.stdout
    without = subprocess.run([sys.executable, "-c", _load_pack_code(False)], capture_output=True, text=True,
                             timeout=300, cwd="/")
    assert without.returncode == 0, without.stderr[-3000:]
    assert "NATIVE []" in without.stdout
    skipped = [line for line in without.stderr.splitlines() if "native Wan nodes skipped" in line]
    assert len(skipped) == 1, without.stderr[-2000:]


def test_native_nodes_follow_the_v1_contract(pack):
    native = native_pack(pack)
    assert set(native.NODE_CLASS_MAPPINGS) == set(native.NODE_DISPLAY_NAME_MAPPINGS) == NATIVE_NODES
    for node_id, cls in native.NODE_CLASS_MAPPINGS.items():
        assert native.NODE_DISPLAY_NAME_MAPPINGS[node_id].startswith("TTM Native ")
        assert cls.CATEGORY == "Through-The-Mask/native" and len(cls.DESCRIPTION) > 40
        assert all(t in NATIVE_TYPES | SOCKETS | COMFY_TYPES for t in cls.RETURN_TYPES)
        for _, name, (kind, opts) in _inputs(cls):
            assert isinstance(opts.get("tooltip"), str) and len(opts["tooltip"]) > 10, f"{node_id}.{name}"
            assert isinstance(kind, list) or kind in COMFY_TYPES | SOCKETS | NATIVE_TYPES, f"{node_id}.{name}: {kind}"


class WordCLIP:
    """Stands for a CLIP: each text encodes to rows seeded by its words, padded to 512 with zeros."""

    def __init__(self):
        self.seen = []

    def tokenize(self, text):
        self.seen.append(text)
        return text.split()

    def encode_from_tokens_scheduled(self, tokens):
        out = torch.zeros(1, 512, 4096)
        for i, word in enumerate(tokens):
            out[0, i] = torch.randn(4096, generator=torch.Generator().manual_seed(sum(map(ord, word))))
        return [[out, {"pooled_output": None}]]


def test_local_prompt_nodes_build_one_conditioning_per_object(pack, native_models):
    from ttm_core.types import PromptPlan

    native = native_pack(pack)
    clip = WordCLIP()
    plan = PromptPlan(global_prompt="a dog and a ball", motion_prompt="", local_prompts={"dog": "brown dog", "ball": ""})
    (decomposed,) = native.attention_nodes.TTMNativeLocalPrompts().encode(clip, plan)
    assert list(decomposed) == ["dog"] and clip.seen == ["brown dog"]  # empty local prompts are skipped
    hand = text_cond(3, seed=9)
    (both,) = native.attention_nodes.TTMNativeObjectPrompt().attach(hand, " ball ", decomposed)
    assert set(both) == {"dog", "ball"} and both["ball"] is hand and set(decomposed) == {"dog"}
    embeds = native.conditioning.local_embeddings(both, ["dog", "ball"], 4096)
    assert embeds[1].shape == (1, 2, 4096) and embeds[2].shape == (1, 3, 4096)  # padding rows dropped
    # the patch takes them and tags a copy of the positive, leaving the input as it was
    _, model = native_models("t2v")
    positive = text_cond()
    _, tagged = native.attention_nodes.TTMNativeMaskedAttention().patch(
        model, trajectory("t2v"), 0.5, 0.7, 0.5, "", 0.0, 0.4, local_prompts=both, positive=positive)
    assert tagged[0][1].get("ttm_positive") and "ttm_positive" not in positive[0][1]
    assert tagged[0][0] is positive[0][0]
