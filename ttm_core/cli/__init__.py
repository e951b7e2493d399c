"""Command line: ``python -m ttm_core {demo,generate,evaluate,benchmark,tiny-models} ...``.

- ``demo``: a generated two-object scene through rule-based decomposition and plan-mode motion
  to visualisations (PNG + MP4/GIF) with no weights at all; ``--model`` adds stage 2.
- ``generate``: the whole chain on your own image for researchers (SAM2 clicks or masks, plan
  or paths, Wan video).
- ``evaluate``: score generated videos against their mask trajectory (table, JSON, plot).
- ``benchmark``: generate + evaluate over a folder of cases, one row per guidance setting.
- ``tiny-models``: a ComfyUI-style models tree of tiny random models for offline smoke tests.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ..errors import TTMInputError


def _parser() -> argparse.ArgumentParser:
    from . import benchmark, demo, evaluate, generate, tiny_models

    parser = argparse.ArgumentParser(prog="python -m ttm_core", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (demo, generate, evaluate, benchmark, tiny_models):
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except TTMInputError as exc:  # a user error: say what to change, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
