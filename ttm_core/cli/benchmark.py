"""``benchmark CASES_DIR --model DIR --sam2 CKPT``: generate + evaluate every case per setting.

Prints a paper-style table (one row per setting: guidance off / masked attention only /
anchoring only / all on) and writes ``<out>/benchmark.json`` (every case's scores) and, with
``--save-videos``, each video. The case folder format is in :mod:`ttm_core.evaluate.cases`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .demo import load_model, log
from .evaluate import add_scoring_arguments, scoring_tools

NAME = "benchmark"
HELP = "Generate + evaluate over a folder of cases; one table row per guidance setting (reproducible for a seed)."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("cases", metavar="CASES_DIR", help="folder with one sub-folder per case (image.png, masks/, prompt.txt, ...)")
    p.add_argument("--model", required=True, help="Wan diffusers folder")
    p.add_argument("--out", default="benchmark_out", help="folder for benchmark.json (and videos)")
    p.add_argument("--settings", default="all",
                   help="comma-separated rows to run: 'guidance off', 'masked attention only', 'anchoring only', 'all on' (default all)")
    p.add_argument("--frames", type=int, default=49, help="frames per case (case.json may say otherwise)")
    p.add_argument("--fps", type=float, default=16.0)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--cfg", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=0, help="the same seed for every case and setting")
    p.add_argument("--width", type=int, default=0, help="video width (0: the case image's)")
    p.add_argument("--height", type=int, default=0, help="video height (0: the case image's)")
    p.add_argument("--beta-self", type=float, default=0.5, help="masked self-attention strength where it is on")
    p.add_argument("--beta-cross", type=float, default=0.7, help="masked cross-attention strength where it is on")
    p.add_argument("--block-fraction", type=float, default=0.25, help="masked attention: fraction of blocks")
    p.add_argument("--step-fraction", type=float, default=0.4, help="masked attention: fraction of steps")
    p.add_argument("--t-weak", type=float, default=3 / 50, help="anchoring: start from the noised reference here")
    p.add_argument("--t-strong", type=float, default=7 / 50, help="anchoring: hold the objects to the reference until here")
    p.add_argument("--dtype", default="auto", choices=["auto", "bf16", "fp16", "fp32"])
    p.add_argument("--device", default="auto")
    p.add_argument("--offload", default="none", choices=["none", "model", "group", "sequential"])
    p.add_argument("--vae-tiling", action="store_true")
    p.add_argument("--save-videos", action="store_true", help="write every generated video to <out>/videos/")
    add_scoring_arguments(p)


def _settings(value: str, beta_self: float, beta_cross: float) -> dict:
    from ..errors import TTMInputError
    from ..evaluate.benchmark import default_settings

    every = default_settings(beta_self, beta_cross)
    if value.strip() == "all":
        return every
    chosen = [s.strip() for s in value.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in every]
    if unknown or not chosen:
        raise TTMInputError("--settings", f"unknown setting(s) {unknown}.", f"choose from {list(every)} or 'all'.")
    return {s: every[s] for s in chosen}


def run(args: argparse.Namespace) -> None:
    from ..evaluate.benchmark import benchmark_table, run_benchmark, stage2_generate
    from ..evaluate.cases import load_cases
    from ..visualize import save_video

    settings = _settings(args.settings, args.beta_self, args.beta_cross)
    cases = load_cases(args.cases, args.frames, args.fps)
    log(f"{len(cases)} case(s): {', '.join(c.name for c in cases)}; settings: {', '.join(settings)}")
    sam2, clip = scoring_tools(args)
    model = load_model(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    generate = stage2_generate(model, steps=args.steps, cfg=args.cfg, height=args.height, width=args.width,
                               block_fraction=args.block_fraction, step_fraction=args.step_fraction,
                               t_weak=args.t_weak, t_strong=args.t_strong)
    if args.save_videos:
        inner = generate

        def generate(case, setting, seed):  # noqa: F811 - the same call, plus the file
            frames = inner(case, setting, seed)
            tag = "_".join(k for k, v in setting.items() if v) or "off"
            save_video(frames, out / "videos" / f"{case.name}__{tag}.mp4", case.trajectory.fps)
            return frames

    rows = run_benchmark(cases, generate, settings=settings, seed=args.seed, log=log, sam2=sam2, clip=clip,
                         flow=None if args.flow == "none" else args.flow, background_margin=args.background_margin)
    model.unload()
    table = benchmark_table(rows)
    print(table)
    (out / "benchmark.json").write_text(json.dumps({"seed": args.seed, "steps": args.steps, "cfg": args.cfg,
                                                    "rows": [r.to_dict() for r in rows]}, indent=1), encoding="utf-8")
    (out / "benchmark.txt").write_text(table + "\n", encoding="utf-8")
    log(f"results: {out / 'benchmark.json'}")
