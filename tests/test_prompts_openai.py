"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1 (http.server in a thread).

Every failure mode must end in a valid plan (rule-based fallback with a note saying why) or, with
``fallback=False``, a clear error, and always within the configured timeout.
"""

from __future__ import annotations

import json
import socket
import time
import pytest
from fake_chat_server import ChatServer

from ttm_core.errors import TTMInputError
from ttm_core.prompts import OpenAICompatibleBackend, decompose_prompt
from ttm_core.types import PromptPlan

NAMES = ["dog", "cat"]
PROMPT = "A brown dog runs to the right while a grey cat jumps."
GOOD = {
    "global_prompt": "A brown dog runs to the right while a grey cat jumps in a garden.",
    "motion_prompt": "The dog runs to the right. The cat jumps.",
    "local_prompts": {"dog": "a brown dog running", "cat": "a grey cat jumping"},
    "keyframes": {"dog": [{"t": 0}, {"t": 1, "dx": 0.4}], "cat": [{"t": 0}, {"t": 0.5, "dy": -0.2}, {"t": 1}]},
}


@pytest.fixture
def server():
    s = ChatServer(sleep_answer=json.dumps(GOOD))
    yield s
    s.close()


def backend(server, **kw):
    kw.setdefault("timeout", 5.0)
    return OpenAICompatibleBackend(server.url, "tiny-chat", **kw)


def test_good_answer_is_used_and_the_request_is_well_formed(server, monkeypatch):
    monkeypatch.setenv("TTM_TEST_KEY", "sk-secret-123")
    server.replies = [("content", json.dumps(GOOD))]
    be = backend(server, api_key_env="TTM_TEST_KEY")
    plan = decompose_prompt(PROMPT, NAMES, be)
    assert isinstance(plan, PromptPlan)
    assert plan.local_prompts == GOOD["local_prompts"] and plan.keyframes["dog"][-1]["dx"] == 0.4
    assert plan.notes[0] == "Decomposed by tiny-chat at " + server.url + "."
    (req,) = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer sk-secret-123"
    body = req["body"]
    assert body["model"] == "tiny-chat" and body["stream"] is False
    assert body["messages"][0]["role"] == "system" and json.dumps(NAMES) in body["messages"][0]["content"]
    assert PROMPT in body["messages"][1]["content"]
    assert "sk-secret" not in repr(be) and "sk-secret" not in plan.to_json()


@pytest.mark.parametrize(
    "content",
    [
        "Here is the plan:\n```json\n" + json.dumps(GOOD, indent=2) + "\n```\nHope this helps!",
        "Sure! " + json.dumps(GOOD) + " Let me know if you need changes {ok}.",
        "<think>The dog {moves} right...</think>\n" + json.dumps(GOOD),
        "```\n" + json.dumps(GOOD) + "\n```",
    ],
)
def test_json_is_extracted_from_fences_and_prose(server, content):
    server.replies = [("content", content)]
    plan = decompose_prompt(PROMPT, NAMES, backend(server))
    assert plan.motion_prompt == GOOD["motion_prompt"] and len(server.requests) == 1


def test_malformed_answer_is_retried_once_with_the_error(server):
    bad = dict(GOOD, local_prompts={"dog": "a dog", "horse": "a horse"})
    server.replies = [("content", json.dumps(bad)), ("content", json.dumps(GOOD))]
    plan = decompose_prompt(PROMPT, NAMES, backend(server))
    assert plan.local_prompts == GOOD["local_prompts"]
    assert "after 1 retry" in plan.notes[0]
    retry = server.requests[1]["body"]["messages"]
    assert retry[-2] == {"role": "assistant", "content": json.dumps(bad)}
    assert "horse" in retry[-1]["content"] and "not a valid plan" in retry[-1]["content"]


def test_malformed_twice_falls_back_to_rules_with_a_note(server):
    server.replies = [("content", '{"global_prompt": "x", "local_prompts": {"dog": "a dog"'), ("content", "I cannot help.")]
    plan = decompose_prompt(PROMPT, NAMES, backend(server))
    assert len(server.requests) == 2
    assert plan.keyframes["dog"][-1]["dx"] > 0 and min(f["dy"] for f in plan.keyframes["cat"]) < 0  # the rule plan
    assert "gave no usable plan" in plan.notes[0] and "malformed" in plan.notes[0] and "rule-based" in plan.notes[0]
    with pytest.raises(TTMInputError, match="no JSON object") as err:
        server.replies = [("content", "no"), ("content", "still no")]
        decompose_prompt(PROMPT, NAMES, backend(server), fallback=False)
    assert err.value.input_name == "llm" and "offline rules" in err.value.fix


def test_http_500_falls_back_without_retry_and_hides_the_key(server, monkeypatch):
    monkeypatch.setenv("TTM_TEST_KEY", "sk-secret-456")
    server.replies = [("status", 500)]
    plan = decompose_prompt(PROMPT, NAMES, backend(server, api_key_env="TTM_TEST_KEY"))
    assert len(server.requests) == 1
    assert "HTTP 500" in plan.notes[0] and "rule-based" in plan.notes[0]
    assert "sk-secret-456" not in plan.notes[0] and "***" in plan.notes[0]  # the server echoed it; we redact


def test_timeout_ends_within_the_configured_time(server):
    server.replies = [("sleep", 3.0)]
    start = time.monotonic()
    plan = decompose_prompt(PROMPT, NAMES, backend(server, timeout=0.5))
    elapsed = time.monotonic() - start
    assert elapsed < 2.5
    assert "within 0.5 s" in plan.notes[0] and plan.local_prompts["dog"].startswith("A brown dog")
    server.replies = [("sleep", 3.0)]
    start = time.monotonic()
    with pytest.raises(TTMInputError, match="within 0.5 s"):
        decompose_prompt(PROMPT, NAMES, backend(server, timeout=0.5), fallback=False)
    assert time.monotonic() - start < 2.5


def test_connection_refused_falls_back_quickly():
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    plan = decompose_prompt(PROMPT, NAMES, OpenAICompatibleBackend(f"http://127.0.0.1:{port}", "m", timeout=2.0))
    assert time.monotonic() - start < 2.0
    assert "connection refused" in plan.notes[0] and plan.keyframes["dog"][-1]["dx"] > 0


def test_missing_api_key_variable_is_named_not_leaked(server, monkeypatch):
    monkeypatch.delenv("TTM_MISSING_KEY", raising=False)
    plan = decompose_prompt(PROMPT, NAMES, backend(server, api_key_env="TTM_MISSING_KEY"))
    assert "TTM_MISSING_KEY" in plan.notes[0] and not server.requests


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"base_url": "", "model": "m"}, "base_url"),
        ({"base_url": "localhost:1234", "model": "m"}, "not an http"),
        ({"base_url": "http://127.0.0.1:1", "model": " "}, "model"),
        ({"base_url": "http://127.0.0.1:1", "model": "m", "timeout": 0}, "timeout"),
    ],
)
def test_bad_backend_settings(kwargs, match):
    with pytest.raises(TTMInputError, match=match) as err:
        OpenAICompatibleBackend(**kwargs)
    assert err.value.input_name in ("base_url", "model", "timeout")


def test_url_forms():
    assert OpenAICompatibleBackend("http://127.0.0.1:11434", "m").path == "/v1/chat/completions"
    assert OpenAICompatibleBackend("http://127.0.0.1:8000/v1/", "m").path == "/v1/chat/completions"
    assert OpenAICompatibleBackend("http://h:1/api/chat/completions", "m").path == "/api/chat/completions"
