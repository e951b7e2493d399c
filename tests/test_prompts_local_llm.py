"""LocalTransformersBackend on a tiny random GPT-2 saved to a folder, as users keep models/LLM/<name>.

The random model's text is garbage, which is exactly the malformed-answer path: one retry, then
the rule-based plan with a note. A scripted answer forced through ``generate`` (only the next
token of a known-good plan allowed at each step) proves the decoding and parsing path end to end.
"""

from __future__ import annotations

import json

import pytest

from ttm_core.errors import TTMInputError
from ttm_core.prompts import LocalTransformersBackend, decompose_prompt, parse_manual_plan
from ttm_core.testing.tiny_llm import byte_tokenizer, save_tiny_llm

NAMES = ["dog", "ball"]
PROMPT = "The dog chases the ball to the left."
GOOD = {
    "global_prompt": "A dog chases a red ball to the left on a lawn.",
    "motion_prompt": "The dog runs to the left after the ball.",
    "local_prompts": {"dog": "a dog running left", "ball": "a red ball rolling left"},
    "keyframes": {"dog": [{"t": 0}, {"t": 1, "dx": -0.3}], "ball": [{"t": 0}, {"t": 1, "dx": -0.4, "rot": -360}]},
}


SHORT = {"global_prompt": "A dog chases a ball.", "local_prompts": {"dog": "a dog", "ball": "a red ball"},
         "keyframes": {"ball": [{"t": 0}, {"t": 1, "dx": -0.4, "rot": -360}]}}



@pytest.fixture(scope="module")
def llm_folder(tmp_path_factory):
    return save_tiny_llm(tmp_path_factory.mktemp("LLM") / "tiny-gpt2-chat")


def forced(tokenizer_folder, text: str):
    """``prefix_allowed_tokens_fn`` that lets generate() emit exactly ``text`` then EOS."""
    tok = byte_tokenizer()
    target = tok(text)["input_ids"] + [tok.eos_token_id]
    start = {}

    def allowed(batch_id, input_ids):
        start.setdefault(batch_id, input_ids.shape[-1])
        step = input_ids.shape[-1] - start[batch_id]
        return [target[min(step, len(target) - 1)]]

    return allowed


def test_garbage_answers_are_retried_then_fall_back(llm_folder):
    be = LocalTransformersBackend(llm_folder, max_new_tokens=24)
    plan = decompose_prompt(PROMPT, NAMES, be)
    assert be.calls == 2  # one answer and one retry
    assert "local model tiny-gpt2-chat gave no usable plan" in plan.notes[0] and "rule-based" in plan.notes[0]
    assert plan.keyframes["dog"][-1]["dx"] < 0 and plan.keyframes["ball"][-1]["dx"] < 0  # rules: chased ball moves too
    assert be.model is None  # unloaded after use by default


def test_forced_good_answer_parses_and_model_can_stay_loaded(llm_folder):
    answer = "Here you go:\n```json\n" + json.dumps(SHORT) + "\n```"
    be = LocalTransformersBackend(llm_folder, unload_after=False, max_new_tokens=len(answer.encode()) + 4,
                                  generate_kwargs={"prefix_allowed_tokens_fn": forced(llm_folder, answer)})
    plan = decompose_prompt(PROMPT, NAMES, be)
    assert be.calls == 1 and be.model is not None  # kept loaded for the next run
    assert plan.local_prompts == SHORT["local_prompts"] and plan.keyframes["ball"][-1]["rot"] == -360
    assert plan.notes == ["Decomposed by local model tiny-gpt2-chat."]
    model = be.model
    again = decompose_prompt(PROMPT, NAMES, be)
    assert again.to_dict() == plan.to_dict() and be.calls == 2 and be.model is model  # not reloaded
    be.release()
    assert be.model is None


def test_bad_model_folders(tmp_path, llm_folder):
    with pytest.raises(TTMInputError, match="folder not found") as err:
        LocalTransformersBackend(tmp_path / "missing")
    assert err.value.input_name == "llm_model" and "models/LLM" in err.value.fix
    with pytest.raises(TTMInputError, match="no config.json"):
        LocalTransformersBackend(tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((llm_folder / "config.json").read_text())
    with pytest.raises(TTMInputError, match="could not be loaded"):
        decompose_prompt(PROMPT, NAMES, LocalTransformersBackend(broken))


def test_manual_plan_override():
    plan = parse_manual_plan(json.dumps(GOOD), NAMES)
    assert plan.to_dict()["local_prompts"] == GOOD["local_prompts"] and plan.notes == []
    fenced = parse_manual_plan("My plan:\n```json\n" + json.dumps(GOOD) + "\n```", NAMES)
    assert fenced.keyframes == plan.keyframes
    with pytest.raises(TTMInputError, match=r"local_prompts mention \['horse'\]") as err:
        parse_manual_plan(dict(GOOD, local_prompts={"horse": "a horse"}), NAMES)
    assert err.value.input_name == "plan_json" and "rename" in err.value.fix
    with pytest.raises(TTMInputError, match="is empty"):
        parse_manual_plan("  ", NAMES)
    with pytest.raises(TTMInputError, match="not valid JSON"):
        parse_manual_plan('{"global_prompt": "x",', NAMES)
    with pytest.raises(TTMInputError, match=r"unknown keys \['speed'\]"):
        parse_manual_plan(dict(GOOD, speed=2), NAMES)
    with pytest.raises(TTMInputError, match=r"keyframes\['dog'\]\[1\]\.t"):
        parse_manual_plan(dict(GOOD, keyframes={"dog": [{"t": 0}, {"t": 2}]}), NAMES)
