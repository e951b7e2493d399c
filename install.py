"""Run by ComfyUI-Manager after ``pip install -r requirements.txt`` (and safe to run by hand).

SAM2 is only published as a source package whose isolated build would download a second copy
of torch; built against the torch ComfyUI already has (no build isolation, no CUDA extension),
it installs in seconds. Nothing happens when SAM2 is already importable.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys


def main() -> int:
    if importlib.util.find_spec("sam2") is not None:
        print("[Through-The-Mask] sam2 already installed")
        return 0
    env = dict(os.environ, SAM2_BUILD_CUDA="0")
    cmd = [sys.executable, "-m", "pip", "install", "--no-build-isolation", "sam2>=1.0"]
    print("[Through-The-Mask] installing sam2:", " ".join(cmd))
    result = subprocess.run(cmd, env=env)
    if result.returncode != 0:
        print(
            "[Through-The-Mask] could not install sam2; segmentation nodes will ask for it. "
            "Run: SAM2_BUILD_CUDA=0 pip install --no-build-isolation sam2",
            file=sys.stderr,
        )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
