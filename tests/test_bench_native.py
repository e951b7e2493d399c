"""``python -m ttm_core.bench native`` on a minimal size: it runs core sampling through the
current ComfyUI, stock and guided, and the guided run starts where TTM Anchor Start Step says."""

from __future__ import annotations

import pytest

from comfy_paths import current_comfyui_dir, current_missing_reason, current_sources

pytestmark = pytest.mark.slow


def _tree():
    tree = current_comfyui_dir()
    if tree is None:
        if not any((p / "main.py").is_file() for p in current_sources()):
            pytest.skip(current_missing_reason())
        pytest.fail(current_missing_reason())
    return tree


def test_native_bench_prints_stock_and_guided_rows(capsys):
    import ttm_core.bench.native as bench  # never imports comfy itself (the worker does)

    code = bench.main(["--comfyui", str(_tree()), "--steps", "2", "--frames", "5", "--height", "64",
                       "--width", "96", "--dim", "128", "--layers", "2", "--ffn-dim", "128", "--repeats", "1"])
    assert code == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 2 |")]
    assert [row.split("|")[2].strip() for row in rows] == list(bench.WHAT.values())
    assert all(float(row.split("|")[4]) > 0 for row in rows)  # wall seconds were measured


def test_importing_the_benchmark_imports_no_comfyui():
    import subprocess
    import sys

    code = "import sys, ttm_core.bench.native; bad = [m for m in sys.modules if m.split('.')[0] in ('comfy', 'folder_paths')]; print(bad); assert not bad"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
