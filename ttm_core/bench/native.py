"""``python -m ttm_core.bench native``: core ComfyUI sampling of a tiny native Wan, stock vs guided.

One invocation runs core's KSamplerAdvanced path (``comfy.sample.sample``) on the same tiny
random Wan 2.2 TI2V-5B-layout model (loaded through ``comfy.sd.load_diffusion_model_state_dict``,
what UNETLoader calls), latent, noise sample, sampler, steps and seed, in three cases:

- **stock**: the core MODEL, the ``Wan22ImageToVideoLatent``-style latent, from step 0;
- **guided**: the same MODEL with the pack's default *TTM Native Masked Attention* (per-object
  local prompts) and *TTM Anchoring* (hold until t_strong), from the anchor latent, from step 0
  (the patches' cost at equal work);
- **guided, start at t_weak**: as the shipped workflows run it (``start_at_step`` from
  *TTM Anchor Start Step*), which skips the steps before t_weak.

It prints wall-time and peak-memory ratios per step count. Wall time: best of ``--repeats``
calls in one process that interleaves the cases round by round (a busy machine slows all alike).
Peak memory: one fresh process per case, holding the same inputs and warmed up by one call of
every case (so the first call's one-off imports are in every baseline), the resident (or CUDA)
peak of one more call of that case. The reference video and its VAE
encode (done once, before sampling) are not part of the timed call; the encoded reference is a
seeded stand-in of the right shape. ComfyUI is imported inside the worker from ``--comfyui``
(default ``$TTM_COMFYUI_DIR`` or ``.cache/comfyui-current``); ``ttm_core`` itself never
imports it.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import os
import sys
import time
from pathlib import Path

import torch

from ._measure import current_rss_kb, run_worker

ROOT = Path(__file__).resolve().parents[2]
WHAT = {"stock": "stock core sampling", "guided_same_start": "guided, from step 0",
        "guided": "guided, start at t_weak (as shipped)"}


def _import_comfy(comfy_dir: Path, device: str):
    if not (comfy_dir / "comfy" / "model_management.py").is_file():
        raise SystemExit(f"no ComfyUI at {comfy_dir}: pass --comfyui DIR (a v0.3.64+ checkout) or set TTM_COMFYUI_DIR")
    sys.path.insert(0, str(comfy_dir))
    import comfy.cli_args

    comfy.cli_args.args.cpu = device == "cpu"
    import comfy.model_management  # noqa: F401  (reads the flag once)
    import comfy.sample
    import comfy.sd

    return comfy


def _load_pack():
    """The repo root as a package (as ComfyUI loads it), for its native nodes."""
    spec = importlib.util.spec_from_file_location("ttm_bench_pack", ROOT / "__init__.py",
                                                  submodule_search_locations=[str(ROOT)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return importlib.import_module(spec.name + ".nodes.native")


def _tiny_model(comfy, spec: dict):
    """A seeded random Wan 2.2 TI2V-5B-layout WanModel (head_dim 128, as detection requires)."""
    import comfy.ldm.wan.model as wan
    import comfy.ops

    net = wan.WanModel(model_type="t2v", in_dim=48, out_dim=48, dim=spec["dim"], ffn_dim=spec["ffn_dim"],
                       num_heads=spec["dim"] // 128, num_layers=spec["layers"], text_dim=4096, freq_dim=256,
                       operations=comfy.ops.disable_weight_init, device="cpu", dtype=torch.float32)
    g = torch.Generator().manual_seed(0)
    state = {}
    for name, value in net.state_dict().items():
        if value.ndim >= 2 and "modulation" not in name:
            state[name] = torch.randn(value.shape, generator=g) / math.sqrt(math.prod(value.shape[1:]))
        elif name.endswith("weight") and value.ndim == 1:
            state[name] = 1.0 + 0.1 * torch.randn(value.shape, generator=g)
        else:
            state[name] = 0.1 * torch.randn(value.shape, generator=g)
    del net
    return comfy.sd.load_diffusion_model_state_dict(state, model_options={"dtype": torch.float32})


def _embeds(tokens: int, seed: int) -> torch.Tensor:
    out = torch.zeros(1, 512, 4096)
    out[0, :tokens] = torch.randn(tokens, 4096, generator=torch.Generator().manual_seed(seed))
    return out


def _runs(spec: dict, cases) -> dict:
    """Case -> (call running core sampling once, its start step); all on one loaded model."""
    import importlib

    comfy = _import_comfy(Path(spec["comfyui"]), spec["device"])
    native = _load_pack()
    # the pack's own copy of ttm_core: its nodes check types against those classes
    _scene = importlib.import_module("ttm_bench_pack.ttm_core.bench.pipeline")._scene
    torch.set_grad_enabled(False)
    stock_model = _tiny_model(comfy, spec)
    h, w, n, steps = spec["height"], spec["width"], spec["frames"], spec["steps"]
    image, trajectory = _scene(h, w, n)
    frames, lh, lw = (n - 1) // 4 + 1, h // 16, w // 16
    g = torch.Generator().manual_seed(1)
    z_image, z_ref = torch.randn(1, 48, 1, lh, lw, generator=g), torch.randn(1, 48, frames, lh, lw, generator=g)
    mask = torch.ones(1, 1, frames, lh, lw)
    mask[:, :, 0] = 0.0  # what Wan22ImageToVideoLatent returns: frame 0 is the clean image
    samples = torch.zeros(1, 48, frames, lh, lw)
    samples[:, :, :1] = z_image
    stock_latent = {"samples": samples, "noise_mask": mask}
    positive, negative = [[_embeds(12, 2), {}]], [[_embeds(20, 3), {}]]
    # every case holds the same inputs (the local prompts too); only the MODEL, the tag and the latent differ
    local = {name: [[_embeds(6, 10 + k), {}]] for k, name in enumerate(trajectory.names)}
    sampler, scheduler, cfg = spec["sampler"], spec["scheduler"], 5.0
    attention, anchoring = native.attention_nodes, native.anchoring
    _, hold_mask, hold = anchoring.TTMReferenceVideo().build(image[None], trajectory, w, h, 16, "telea")
    guided_model, tagged = attention.TTMNativeMaskedAttention().patch(
        stock_model, trajectory, 0.5, 0.7, 0.25, "", 0.0, 0.4, local_prompts=attention.LocalPrompts(local),
        positive=positive)
    anchor = {"samples": samples * (1.0 - mask) + z_ref * mask, "noise_mask": mask}  # as TTM Anchor Latent
    (guided_model,) = anchoring.TTMAnchoring().patch(guided_model, anchor, hold_mask, 0.14, hold)
    out = anchoring.TTMAnchorStartStep().start(guided_model, steps, sampler, scheduler, 0.06)
    (t_weak_step,) = out["result"] if isinstance(out, dict) else out  # the node may also return a UI note
    setups = {"stock": (stock_model, positive, stock_latent, 0), "guided_same_start": (guided_model, tagged, anchor, 0),
              "guided": (guided_model, tagged, anchor, t_weak_step)}
    noise = comfy.sample.prepare_noise(samples, spec["seed"])  # the same noise sample for every case
    cuda = spec["device"] != "cpu" and torch.cuda.is_available()

    def make(model, pos, latent, start):
        def run():
            out = comfy.sample.sample(model, noise, steps, cfg, sampler, scheduler, pos, negative, latent["samples"],
                                      start_step=start, last_step=steps, force_full_denoise=True,
                                      noise_mask=latent["noise_mask"], disable_pbar=True, seed=spec["seed"])
            if cuda:
                torch.cuda.synchronize()
            return out
        return run

    return {case: (make(*setups[case]), setups[case][3]) for case in cases}, cuda


def _memory_worker(spec: dict) -> dict:
    """Peak memory of one case, in a process holding the same inputs as every case's."""
    runs, cuda = _runs(spec, list(WHAT))
    for warm, _ in runs.values():  # every case once: the model on the device, every first-call import done
        warm()
    run, start = runs[spec["what"]]
    if cuda:
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated() / 2**20
        run()
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        before = current_rss_kb() / 1024
        with RssPeak() as watch:
            run()
        peak = watch.peak_mb
    return {"peak_total_mb": peak, "peak_extra_mb": peak - before, "start_step": start}


def _time_worker(spec: dict) -> dict:
    """Best wall time per case, the cases interleaved round by round (load drifts hit all alike)."""
    runs, _ = _runs(spec, list(WHAT))
    best = {case: math.inf for case in runs}
    for case, (run, _) in runs.items():
        run()  # warm-up
    for _ in range(max(1, spec["repeats"])):
        for case, (run, _) in runs.items():
            begin = time.perf_counter()
            run()
            best[case] = min(best[case], time.perf_counter() - begin)
    return best


def _worker(spec: dict) -> dict:
    return _time_worker(spec) if spec["what"] == "time" else _memory_worker(spec)


class RssPeak:
    """Highest resident memory while the block runs (polled: ``ru_maxrss`` cannot be reset)."""

    def __enter__(self) -> "RssPeak":
        import threading

        self.peak_mb, self._stop = current_rss_kb() / 1024, threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def _poll(self) -> None:
        while not self._stop.wait(0.002):
            self.peak_mb = max(self.peak_mb, current_rss_kb() / 1024)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, current_rss_kb() / 1024)


def _ratio(ours: float, stock: float) -> str:
    """A ratio of allocations, or a dash where both are within the 1 MB measuring grain."""
    return "—" if max(ours, stock) < 1.0 else f"{ours / max(stock, 1e-6):.3f}"


def main(argv: list[str] | None = None) -> int:
    default_dir = os.environ.get("TTM_COMFYUI_DIR") or str(ROOT / ".cache" / "comfyui-current")
    parser = argparse.ArgumentParser(prog="python -m ttm_core.bench native", description=__doc__.split("\n\n")[0])
    parser.add_argument("--comfyui", default=default_dir, help="a current ComfyUI checkout (v0.3.64+)")
    parser.add_argument("--steps", type=int, nargs="+", default=[4, 20])
    parser.add_argument("--sampler", default="euler")
    parser.add_argument("--scheduler", default="simple")
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--width", type=int, default=448)
    parser.add_argument("--frames", type=int, default=17)
    parser.add_argument("--dim", type=int, default=256, help="model width, a multiple of 128 (heads of 128)")
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--ffn-dim", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per case (best is kept)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(json.loads(args.worker))))
        return 0
    base = {"comfyui": str(Path(args.comfyui).resolve()), "sampler": args.sampler, "scheduler": args.scheduler,
            "height": args.height, "width": args.width, "frames": args.frames, "dim": args.dim,
            "layers": args.layers, "ffn_dim": args.ffn_dim, "repeats": args.repeats, "device": args.device, "seed": 0}
    tokens = ((args.frames - 1) // 4 + 1) * (args.height // 32) * (args.width // 32)
    print(f"core sampling of a tiny random native Wan 2.2 TI2V-5B layout: {args.layers} blocks x {args.dim} "
          f"({args.dim // 128} heads), {args.width}x{args.height}, {args.frames} frames ({tokens} tokens), "
          f"{args.sampler}/{args.scheduler}, CFG 5, seed 0, {args.device}, {torch.get_num_threads()} threads")
    memory = "peak CUDA MB" if args.device == "cuda" else "peak RSS MB"
    print(f"| steps | run | start step | wall s | {memory} | above the state before the call MB | time ratio |"
          " memory ratio | ratio above the state before |")
    print("|---|---|---|---|---|---|---|---|---|")
    for steps in args.steps:
        seconds = run_worker("ttm_core.bench.native", {**base, "steps": steps, "what": "time"})
        results = {what: {**run_worker("ttm_core.bench.native", {**base, "steps": steps, "what": what}),
                          "seconds": seconds[what]} for what in WHAT}
        stock = results["stock"]
        for what, r in results.items():
            print(f"| {steps} | {WHAT[what]} | {r['start_step']} | {r['seconds']:.2f} | {r['peak_total_mb']:.0f} | "
                  f"{r['peak_extra_mb']:.0f} | {r['seconds'] / stock['seconds']:.3f} | "
                  f"{r['peak_total_mb'] / stock['peak_total_mb']:.3f} | {_ratio(r['peak_extra_mb'], stock['peak_extra_mb'])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
