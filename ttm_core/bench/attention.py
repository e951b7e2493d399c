"""``python -m ttm_core.bench attention``: masked self-attention cost against the stock path.

For N in {4k, 16k, 32k} tokens and 1/3/6 objects, with Wan 2.2-5B's 24 heads x 128 dims, it
prints time and peak-extra-memory ratios of
  * same-object attention (grouped, exact) vs one full attention call, and
  * our whole ``attn1`` processor (default blend) vs diffusers' stock one, once on today's
    two-call path (full + same-object) and once on the one-pass path (exact LSE merge).
Every number comes from a fresh process (peak RSS is per process); processor runs of a row are
interleaved (``--rounds``). With a GPU present the same command adds CUDA rows (peak allocated).
"""

from __future__ import annotations

import argparse
import json
import sys

import torch

from ._measure import force_two_call_path, run_worker, time_and_peak

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


def _timed(fn, repeats: int, device: torch.device) -> dict:
    """CPU: peak RSS of the first call (fresh process). CUDA: peak allocated over a warm call."""
    if device.type != "cuda":
        return time_and_peak(fn, repeats)
    import time

    fn()  # warm-up: kernel probes, cuBLAS/cuDNN handles
    torch.cuda.synchronize(device)
    base = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    best = float("inf")
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize(device)
        best = min(best, time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated(device)
    return {"seconds": best, "peak_extra_mb": (peak - base) / 2**20, "peak_total_mb": peak / 2**20}


def _worker(spec: dict) -> dict:
    from ..attention import GuidanceState, MaskedSelfAttnProcessor, TokenGroups, blend_grouped_attention
    from ..attention.grouped import sdpa_bshd

    import diffusers.models.attention_dispatch  # noqa: F401  (library import is not the op's memory)

    torch.manual_seed(0)
    torch.set_grad_enabled(False)
    device = torch.device(spec.get("device", "cpu"))
    dtype = getattr(torch, spec["dtype"])
    n, k, what = spec["tokens"], spec["objects"], spec["what"]
    labels = object_labels(n, k)
    groups = TokenGroups.from_labels(labels)
    if what in ("full", "masked"):
        q, kk, v = (torch.randn(1, n, HEADS, HEAD_DIM, dtype=dtype, device=device) for _ in range(3))
        groups = groups.to(device)
        if what == "full":
            fn = lambda: sdpa_bshd(q, kk, v)  # noqa: E731
        else:
            fn = lambda: blend_grouped_attention(q, kk, v, groups, None, 1.0)  # noqa: E731
    else:
        from diffusers.models.transformers.transformer_wan import WanAttention, WanAttnProcessor, WanRotaryPosEmbed

        dim = HEADS * HEAD_DIM
        attn = WanAttention(dim=dim, heads=HEADS, dim_head=HEAD_DIM, eps=1e-6, processor=WanAttnProcessor())
        attn = attn.to(device=device, dtype=dtype)
        h, w = TOKENS_PER_FRAME
        rope = WanRotaryPosEmbed(HEAD_DIM, (1, 2, 2), 1024)
        rotary = tuple(r.to(device) for r in rope(torch.zeros(1, 1, n // (h * w), 2 * h, 2 * w)))
        hidden = torch.randn(1, n, dim, dtype=dtype, device=device)
        stock = attn.processor
        if what != "stock_processor":
            if what == "two_call_processor":  # today's path: as if no kernel returned its LSE
                force_two_call_path()
            state = GuidanceState(num_steps=1, active_steps=1)
            attn.set_processor(MaskedSelfAttnProcessor(stock, groups, spec["beta"], state))
        fn = lambda: attn(hidden, None, None, rotary)  # noqa: E731
    return _timed(fn, spec["repeats"], device)


PROCESSORS = ("stock_processor", "two_call_processor", "one_pass_processor")


def _best(runs: list[dict]) -> dict:
    """Fastest time and smallest peak over interleaved rounds (load from other users only adds)."""
    return {"seconds": min(r["seconds"] for r in runs), "peak_extra_mb": min(r["peak_extra_mb"] for r in runs)}


def _ratio(a: dict, b: dict, key: str) -> str:
    return f"{a[key] / max(b[key], 1e-9):.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ttm_core.bench attention", description=__doc__)
    parser.add_argument("--tokens", type=int, nargs="+", default=[4096, 16384, 32768])
    parser.add_argument("--objects", type=int, nargs="+", default=[1, 3, 6])
    parser.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float32", "float16"])
    parser.add_argument("--beta", type=float, default=0.5, help="blend of the processor run (default guidance)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1,
                        help="processor runs per row, each round in rotated order; best of the rounds is kept")
    parser.add_argument("--devices", nargs="+", default=None, help="default: cpu, plus cuda when present")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(json.loads(args.worker))))
        return 0
    devices = args.devices or (["cpu"] + (["cuda"] if torch.cuda.is_available() else []))

    module = "ttm_core.bench.attention"
    print(f"masked self-attention vs stock, {HEADS} heads x {HEAD_DIM} dims, {args.dtype}, "
          f"{torch.get_num_threads()} CPU threads, processor blend beta={args.beta}, best of {args.rounds} round(s)")
    header = ("device", "N", "objects", "full s", "masked s", "time x", "full MB", "masked MB", "mem x",
              "stock proc s", "two-call s", "time x", "one-pass s", "time x",
              "stock MB", "two-call MB", "mem x", "one-pass MB", "mem x")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for device in devices:
        for n in args.tokens:
            repeats = args.repeats if n <= 8192 or device != "cpu" else 1
            base = {"tokens": n, "dtype": args.dtype, "repeats": repeats, "beta": args.beta, "device": device}
            full = run_worker(module, {**base, "objects": 1, "what": "full"})
            for k in args.objects:
                masked = run_worker(module, {**base, "objects": k, "what": "masked"})
                runs = {p: [] for p in PROCESSORS}
                for r in range(args.rounds):  # rotate the order so drifting load hits each path alike
                    for p in PROCESSORS[r % 3:] + PROCESSORS[: r % 3]:
                        runs[p].append(run_worker(module, {**base, "objects": k, "what": p}))
                stock, two, one = (_best(runs[p]) for p in PROCESSORS)
                row = (
                    device, n, k,
                    f"{full['seconds']:.2f}", f"{masked['seconds']:.2f}", _ratio(masked, full, "seconds"),
                    f"{full['peak_extra_mb']:.0f}", f"{masked['peak_extra_mb']:.0f}",
                    _ratio(masked, full, "peak_extra_mb"),
                    f"{stock['seconds']:.2f}", f"{two['seconds']:.2f}", _ratio(two, stock, "seconds"),
                    f"{one['seconds']:.2f}", f"**{_ratio(one, stock, 'seconds')}**",
                    f"{stock['peak_extra_mb']:.0f}", f"{two['peak_extra_mb']:.0f}", _ratio(two, stock, "peak_extra_mb"),
                    f"{one['peak_extra_mb']:.0f}", f"**{_ratio(one, stock, 'peak_extra_mb')}**",
                )
                print("| " + " | ".join(str(c) for c in row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
