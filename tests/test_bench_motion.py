"""``python -m ttm_core.bench``: generic dispatcher and the stage-1 benchmark (tiny sizes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ttm_core.bench.__main__ import available, main


def test_dispatcher_lists_and_rejects(capsys):
    assert "motion" in available()
    assert main(["--help"]) == 0
    assert "motion" in capsys.readouterr().out
    assert main(["no_such_bench"]) == 2
    assert main([]) == 2


def test_motion_bench_prints_both_modes(capsys):
    assert main(["motion", "--frames", "5", "--width", "64", "--height", "48", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "plan" in out and "paths" in out and "ratio naive/ours" in out


def test_module_entry_point_runs():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ttm_core.bench",
            "motion",
            "--frames",
            "3",
            "--width",
            "32",
            "--height",
            "32",
            "--repeat",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr
    assert "paths" in done.stdout
