"""``python -m ttm_core.bench pipeline`` on a tiny size: three paths, each on the attention it names."""

from __future__ import annotations

import re

from ttm_core.bench import pipeline


def test_pipeline_bench_times_stock_two_call_and_one_pass_each_on_its_own_attention_path(capsys):
    args = ["--height", "64", "--width", "96", "--frames", "5", "--steps", "2", "--layers", "1",
            "--heads", "2", "--head-dim", "16", "--ffn-dim", "32"]
    assert pipeline.main(args) == 0
    out = capsys.readouterr().out
    assert "best of 1 round(s)" in out
    rows = {m[0]: m[1:] for m in re.findall(
        r"^\| (stock diffusers|motion_to_video[^|]*) \| (\w+) \| ([\d.]+) \| ([\d.]+) \| [\d.]+ \((\d+)\) \|", out, flags=re.M)}
    assert set(rows) == set(pipeline.LABELS.values())
    # the stock call never reaches our masked self-attention; ours is forced off the kernel, or on it
    assert rows[pipeline.LABELS["stock"]][0] == "none"
    assert rows[pipeline.LABELS["two_call"]][0] == "two_call"
    assert rows[pipeline.LABELS["one_pass"]][0] == "one_pass"
    assert rows[pipeline.LABELS["stock"]][2] == "1.000"  # stock against itself
    # stock never calls it; both of ours call it alike (1 step, 1 block: cond + uncond = 2 calls)
    assert [rows[pipeline.LABELS[p]][3] for p in pipeline.PATHS] == ["0", "2", "2"]
    assert re.search(r"^one-pass / two-call: time [\d.]+, masked self-attention [\d.]+, peak RSS [\d.]+$",
                     out, flags=re.M)
    assert re.findall(r"^round 1: (\w+) [\d.]+ s$", out, flags=re.M) == list(pipeline.PATHS)


def test_pipeline_bench_rejects_zero_rounds(capsys):
    try:
        pipeline.main(["--rounds", "0"])
    except SystemExit as e:
        assert e.code == 2
    else:
        raise AssertionError("--rounds 0 was accepted")
    assert "--rounds must be at least 1, got 0" in capsys.readouterr().err
