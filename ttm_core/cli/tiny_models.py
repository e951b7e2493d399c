"""``tiny-models DIR``: tiny random Wan (all variants) and SAM2 models as a ComfyUI models tree."""

from __future__ import annotations

import argparse

NAME = "tiny-models"
HELP = (
    "Write tiny random Wan 2.1 / 2.2 diffusers folders (DIR/diffusers/...), a tiny SAM2.1 checkpoint "
    "(DIR/sam2/...) and a tiny chat LLM (DIR/LLM/...) to smoke-test an install or a server without "
    "downloading weights."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..testing.tiny_wan import WAN_VARIANTS

    p.add_argument("dir", help="models folder to fill (e.g. a scratch ComfyUI models/ folder)")
    p.add_argument("--variants", nargs="+", default=list(WAN_VARIANTS), choices=list(WAN_VARIANTS), help="Wan variants to write")
    p.add_argument("--no-sam2", action="store_true", help="skip the SAM2 checkpoint")
    p.add_argument("--no-llm", action="store_true", help="skip the chat LLM folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true", help="rewrite models that already exist")


def run(args: argparse.Namespace) -> None:
    from ..testing.models_tree import write_models_tree

    written = write_models_tree(
        args.dir, tuple(args.variants), sam2=not args.no_sam2, llm=not args.no_llm, seed=args.seed,
        overwrite=args.overwrite,
    )
    for name, path in written.items():
        print(f"{name}: {path}")
