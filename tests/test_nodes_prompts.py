"""The prompt nodes: LLM loader and decomposition (rules, manual plan, endpoint, local model)."""

from __future__ import annotations

import json
import sys

import pytest
import torch

from node_helpers import H, VARIANT_FOLDERS, W, call, io_dirs, models, node, plan, sam2, scene  # noqa: F401
from ttm_core.errors import TTMInputError, TTMInterrupted
from ttm_core.types import MaskTrajectory


# ---- prompts ------------------------------------------------------------------------------------------
GOOD_PLAN = {
    "global_prompt": "A red ball and a blue cube on a table.",
    "motion_prompt": "The ball rolls to the right.",
    "local_prompts": {"ball": "a red ball rolling", "cube": "a blue cube"},
    "keyframes": {"ball": [{"t": 0}, {"t": 1, "dx": 0.25}]},
}


def test_decompose_with_rules_and_the_manual_override(pack):
    _, objects = scene()
    (plan, text), ui = call(pack, "TTMDecomposePrompt", objects=objects,
                            prompt="the ball rolls to the right while the cube stays")
    assert set(plan.local_prompts) <= {"ball", "cube"} and plan.keyframes["ball"][-1]["dx"] > 0
    assert json.loads(text) == plan.to_dict()
    assert ui["text"][0].startswith("global: ") and "ball moves: dx=+" in ui["text"][0]
    (manual, _), _ = call(pack, "TTMDecomposePrompt", objects=objects, prompt="", manual_plan=json.dumps(GOOD_PLAN))
    assert manual.local_prompts == GOOD_PLAN["local_prompts"]
    with pytest.raises(TTMInputError, match="^manual_plan: "):
        call(pack, "TTMDecomposePrompt", objects=objects, prompt="", manual_plan='{"global_prompt": "x", "local_prompts": {"dog": "a"}}')
    with pytest.raises(TTMInputError, match="^prompt: "):
        call(pack, "TTMDecomposePrompt", objects=objects, prompt="  ")


def test_decompose_with_an_openai_compatible_endpoint(pack):
    from fake_chat_server import answering

    _, objects = scene()
    server = answering(json.dumps(GOOD_PLAN))
    try:
        (llm,) = call(pack, "TTMLoadLLM", backend="openai_compatible", base_url=server.url, model="tiny-chat")
        (plan, _), ui = call(pack, "TTMDecomposePrompt", objects=objects, prompt="the ball rolls right", llm=llm)
    finally:
        server.close()
    assert plan.local_prompts == GOOD_PLAN["local_prompts"] and plan.keyframes["ball"][-1]["dx"] == 0.25
    assert server.requests[0]["path"] == "/v1/chat/completions" and server.requests[0]["body"]["model"] == "tiny-chat"
    assert "tiny-chat" in ui["text"][0]  # the note says who decomposed it


def test_decompose_with_a_local_llm_falls_back_and_says_so(models, pack):
    from ttm_core.testing.models_tree import LLM_FOLDER_NAME

    _, objects = scene()
    assert node(pack, "TTMLoadLLM").INPUT_TYPES()["required"]["local_model"][0] == ["none", LLM_FOLDER_NAME]
    (llm,) = call(pack, "TTMLoadLLM", backend="local_folder", local_model=LLM_FOLDER_NAME, device="cpu", max_tokens=16)
    (plan, _), ui = call(pack, "TTMDecomposePrompt", objects=objects, prompt="the ball rolls to the right", llm=llm)
    assert plan.keyframes["ball"][-1]["dx"] > 0  # the rule-based plan
    assert any("offline rule-based plan instead" in n for n in plan.notes) and "note: LLM" in ui["text"][0]
    assert llm.model is None  # unloaded after use
    with pytest.raises(TTMInputError, match="^llm: "):
        call(pack, "TTMDecomposePrompt", objects=objects, prompt="the ball rolls right", llm=llm, llm_fallback=False)
    with pytest.raises(TTMInputError, match="^local_model: "):
        call(pack, "TTMLoadLLM", backend="local_folder", local_model="none")
    with pytest.raises(TTMInputError, match="^base_url: "):
        call(pack, "TTMLoadLLM", backend="openai_compatible", base_url="not a url")
