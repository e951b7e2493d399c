"""A stand-in OpenAI-compatible LLM server on 127.0.0.1 (``POST /v1/chat/completions``).

One server for every test that needs an LLM: the prompt backend's failure-mode tests script each
reply, the node and ComfyUI server tests give one answer for every request (what Ollama etc. do).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ChatServer:
    """Each request takes the next scripted reply from ``replies``, else ``default``.

    A reply is ``("content", text)`` (a chat answer), ``("status", code)`` (an HTTP error whose
    body echoes the Authorization header, to check keys never leak) or ``("sleep", seconds)``
    (answers ``sleep_answer`` late, to check timeouts). Every request is kept in ``requests``.
    """

    def __init__(self, default: tuple = ("status", 404), sleep_answer: str = "") -> None:
        self.replies: list[tuple] = []
        self.requests: list[dict] = []
        self.default = default
        self.sleep_answer = sleep_answer
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                kind, value = server.replies.pop(0) if server.replies else server.default
                try:
                    if kind == "sleep":
                        time.sleep(value)
                        kind, value = "content", server.sleep_answer
                    if kind == "status":
                        auth = self.headers.get("Authorization")
                        self._send(value, json.dumps({"error": {"message": f"boom, auth was {auth}"}}))
                    else:
                        answer = {"id": "x", "object": "chat.completion", "model": body.get("model", ""),
                                  "choices": [{"index": 0, "finish_reason": "stop",
                                               "message": {"role": "assistant", "content": value}}]}
                        self._send(200, json.dumps(answer))
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send(self, status, text):
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def answering(answer: str) -> ChatServer:
    """A server that answers every request with ``answer``."""
    return ChatServer(default=("content", answer))
