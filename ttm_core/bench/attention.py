"""``python -m ttm_core.bench attention``: masked self-attention cost against the stock path.

For N in {4k, 16k, 32k} tokens and 1/3/6 objects, with Wan 2.2-5B's 24 heads x 128 dims, it
prints time and peak-extra-memory ratios of
  * same-object attention (grouped, exact) vs one full attention call, and
  * our whole ``attn1`` processor (default blend: full + same-object) vs diffusers' stock one.
Every number comes from a fresh process (peak RSS is per process).
"""

from __future__ import annotations

import argparse
import json
import sys

import torch

from ._measure import run_worker, time_and_peak

HEADS, HEAD_DIM = 24, 128  # Wan 2.2 TI2V-5B
TOKENS_PER_FRAME = (16, 32)


def object_labels(num_tokens: int, num_objects: int) -> torch.Tensor:
    """Half the frame background, the other half split between the objects, in every latent frame."""
    h, w = TOKENS_PER_FRAME
    frames = num_tokens // (h * w)
    grid = torch.zeros(frames, h, w, dtype=torch.long)
    for k in range(num_objects):
        rows = slice(k * h // num_objects, (k + 1) * h // num_objects)
        grid[:, rows, w // 2 :] = k + 1
    return grid.flatten()


def _worker(spec: dict) -> dict:
    from ..attention import GuidanceState, MaskedSelfAttnProcessor, TokenGroups, blend_grouped_attention
    from ..attention.grouped import sdpa_bshd

    import diffusers.models.attention_dispatch  # noqa: F401  (library import is not the op's memory)

    torch.manual_seed(0)
    torch.set_grad_enabled(False)
    dtype = getattr(torch, spec["dtype"])
    n, k, what = spec["tokens"], spec["objects"], spec["what"]
    labels = object_labels(n, k)
    groups = TokenGroups.from_labels(labels)
    if what in ("full", "masked"):
        q, kk, v = (torch.randn(1, n, HEADS, HEAD_DIM, dtype=dtype) for _ in range(3))
        if what == "full":
            fn = lambda: sdpa_bshd(q, kk, v)  # noqa: E731
        else:
            fn = lambda: blend_grouped_attention(q, kk, v, groups, None, 1.0)  # noqa: E731
    else:
        from diffusers.models.transformers.transformer_wan import WanAttention, WanAttnProcessor, WanRotaryPosEmbed

        dim = HEADS * HEAD_DIM
        attn = WanAttention(dim=dim, heads=HEADS, dim_head=HEAD_DIM, eps=1e-6, processor=WanAttnProcessor()).to(dtype)
        h, w = TOKENS_PER_FRAME
        rope = WanRotaryPosEmbed(HEAD_DIM, (1, 2, 2), 1024)
        rotary = rope(torch.zeros(1, 1, n // (h * w), 2 * h, 2 * w))
        hidden = torch.randn(1, n, dim, dtype=dtype)
        stock = attn.processor
        if what == "stock_processor":
            fn = lambda: attn(hidden, None, None, rotary)  # noqa: E731
        else:
            state = GuidanceState(num_steps=1, active_steps=1)
            attn.set_processor(MaskedSelfAttnProcessor(stock, groups, spec["beta"], state))
            fn = lambda: attn(hidden, None, None, rotary)  # noqa: E731
    return time_and_peak(fn, spec["repeats"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ttm_core.bench attention", description=__doc__)
    parser.add_argument("--tokens", type=int, nargs="+", default=[4096, 16384, 32768])
    parser.add_argument("--objects", type=int, nargs="+", default=[1, 3, 6])
    parser.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float32", "float16"])
    parser.add_argument("--beta", type=float, default=0.5, help="blend of the processor run (default guidance)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(json.loads(args.worker))))
        return 0

    module = "ttm_core.bench.attention"
    print(f"masked self-attention vs stock, {HEADS} heads x {HEAD_DIM} dims, {args.dtype}, "
          f"{torch.get_num_threads()} threads, processor blend beta={args.beta}")
    header = ("N", "objects", "full s", "masked s", "time x", "full MB", "masked MB", "mem x",
              "stock proc s", "our proc s", "time x", "stock MB", "our MB", "mem x")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for n in args.tokens:
        repeats = args.repeats if n <= 8192 else 1
        base = {"tokens": n, "dtype": args.dtype, "repeats": repeats, "beta": args.beta}
        full = run_worker(module, {**base, "objects": 1, "what": "full"})
        stock = run_worker(module, {**base, "objects": 1, "what": "stock_processor"})
        for k in args.objects:
            masked = run_worker(module, {**base, "objects": k, "what": "masked"})
            ours = run_worker(module, {**base, "objects": k, "what": "our_processor"})
            row = (
                n, k,
                f"{full['seconds']:.2f}", f"{masked['seconds']:.2f}", f"{masked['seconds'] / full['seconds']:.2f}",
                f"{full['peak_extra_mb']:.0f}", f"{masked['peak_extra_mb']:.0f}",
                f"{masked['peak_extra_mb'] / max(full['peak_extra_mb'], 1e-6):.2f}",
                f"{stock['seconds']:.2f}", f"{ours['seconds']:.2f}", f"{ours['seconds'] / stock['seconds']:.2f}",
                f"{stock['peak_extra_mb']:.0f}", f"{ours['peak_extra_mb']:.0f}",
                f"{ours['peak_extra_mb'] / max(stock['peak_extra_mb'], 1e-6):.2f}",
            )
            print("| " + " | ".join(str(c) for c in row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
