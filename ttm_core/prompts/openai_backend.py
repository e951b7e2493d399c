"""OpenAI-compatible chat completions over plain HTTP (Ollama, LM Studio, llama.cpp, vLLM...).

Standard library only (``http.client``), one overall deadline per request: a server that accepts
the connection and then stalls still ends within ``timeout`` seconds. The API key is read from an
environment variable at call time and never logged or echoed in errors.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
from urllib.parse import urlsplit

from ..errors import require
from .llm import LLMUnavailable, redact


class OpenAICompatibleBackend:
    """``complete(messages) -> str`` against ``{base_url}/chat/completions``.

    ``base_url`` like ``http://127.0.0.1:11434/v1`` (a bare ``http://host:port`` gets ``/v1``;
    a URL ending in ``/chat/completions`` is used as is). ``json_mode`` asks the server for
    ``response_format: json_object`` (Ollama, vLLM and llama.cpp support it; LM Studio does not).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str | None = None,
        timeout: float = 30.0,
        *,
        temperature: float = 0.2,
        max_tokens: int = 1024,
        json_mode: bool = False,
    ) -> None:
        require(isinstance(base_url, str) and base_url.strip() != "", "base_url", "is empty.",
                "give the server's address, e.g. http://127.0.0.1:11434/v1 for Ollama.")
        parts = urlsplit(base_url.strip())
        require(parts.scheme in ("http", "https") and bool(parts.hostname), "base_url",
                f"{base_url!r} is not an http(s) URL.", "use e.g. http://127.0.0.1:1234/v1.")
        require(isinstance(model, str) and model.strip() != "", "model", "is empty.",
                "give the model name the server knows (e.g. 'qwen2.5:7b-instruct').")
        require(float(timeout) > 0, "timeout", f"must be > 0 seconds, got {timeout}.")
        path = parts.path.rstrip("/")
        if not path.endswith("/chat/completions"):
            path = (path or "/v1") + "/chat/completions"
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.path = path
        self.base_url = base_url.strip()
        self.model = model.strip()
        self.api_key_env = api_key_env or None
        self.timeout = float(timeout)
        self.temperature = float(temperature)
        self.max_tokens = int(max_tokens)
        self.json_mode = bool(json_mode)

    @property
    def label(self) -> str:
        return f"{self.model} at {self.base_url}"

    def __repr__(self) -> str:  # no key, ever
        return f"OpenAICompatibleBackend({self.base_url!r}, {self.model!r}, api_key_env={self.api_key_env!r})"

    def _key(self) -> str | None:
        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env, "").strip()
        if not key:
            raise LLMUnavailable(f"the environment variable {self.api_key_env} (API key) is not set.")
        return key

    def complete(self, messages: list[dict]) -> str:
        key = self._key()
        body = {"model": self.model, "messages": messages, "temperature": self.temperature,
                "max_tokens": self.max_tokens, "stream": False}
        if self.json_mode:
            body["response_format"] = {"type": "json_object"}
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        try:
            status, raw = self._post(json.dumps(body).encode("utf-8"), headers)
        except LLMUnavailable as exc:
            raise LLMUnavailable(redact(exc, key)) from None
        if status != 200:
            detail = redact(raw[:300].decode("utf-8", "replace").strip(), key)
            raise LLMUnavailable(f"HTTP {status} from {self.base_url}: {detail or 'no details'}")
        try:
            data = json.loads(raw.decode("utf-8"))
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMUnavailable(f"{self.base_url} did not answer in the chat-completions format ({exc}).") from None
        if not isinstance(content, str):
            raise LLMUnavailable(f"{self.base_url} returned no text content.")
        return content

    def _post(self, payload: bytes, headers: dict) -> tuple[int, bytes]:
        deadline = time.monotonic() + self.timeout
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        conn = cls(self.host, self.port, timeout=self.timeout)
        try:
            conn.request("POST", self.path, body=payload, headers=headers)
            sock = conn.sock  # getresponse() may hand the socket over to the response
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            response = conn.getresponse()
            chunks = []
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout()
                sock.settimeout(left)
                chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
                if not chunk:
                    break
                chunks.append(chunk)
            return response.status, b"".join(chunks)
        except (socket.timeout, TimeoutError):
            raise LLMUnavailable(f"no answer from {self.base_url} within {self.timeout:g} s.") from None
        except ConnectionRefusedError:
            raise LLMUnavailable(
                f"cannot connect to {self.base_url} (connection refused: is the server running?)."
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            raise LLMUnavailable(f"request to {self.base_url} failed ({type(exc).__name__}: {exc}).") from None
        finally:
            conn.close()
