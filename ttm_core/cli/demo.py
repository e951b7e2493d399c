"""``demo --out DIR``: the main job on a fresh machine, no weights needed.

A generated two-object scene -> (SAM2 with ``--sam2``, else the scene's own masks) -> rule-based
prompt decomposition -> plan-mode mask trajectory -> visualisations (PNG, MP4, GIF). With
``--model`` a Wan diffusers folder then renders the video (stage 2).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ..guidance.clocks import T_STRONG, T_WEAK

NAME = "demo"
HELP = "Run the pipeline on a generated example scene and write visualisations (no weights needed)."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--prompt", default=None, help="motion prompt naming 'ball' and 'cube'")
    p.add_argument("--width", type=int, default=832)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--frames", type=int, default=49, help="number of frames (Wan takes 4k+1)")
    p.add_argument("--fps", type=float, default=16.0)
    p.add_argument("--sam2", default=None, help="SAM2 checkpoint: segment the scene with it instead of using its known masks")
    p.add_argument("--sam2-size", type=int, default=0, help="SAM2 input size (0: the checkpoint's own)")
    add_video_arguments(p, required=False)


def add_video_arguments(p: argparse.ArgumentParser, required: bool) -> None:
    """Stage-2 options shared with ``generate``."""
    g = p.add_argument_group("video (stage 2)")
    g.add_argument("--model", required=required, default=None, help="Wan diffusers folder (model_index.json inside)")
    g.add_argument("--video-width", type=int, default=0, help="video width (0: the image's)")
    g.add_argument("--video-height", type=int, default=0, help="video height (0: the image's)")
    g.add_argument("--steps", type=int, default=30)
    g.add_argument("--cfg", type=float, default=5.0)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--negative-prompt", default=None)
    g.add_argument("--beta-self", type=float, default=0.5)
    g.add_argument("--beta-cross", type=float, default=0.7)
    g.add_argument("--block-fraction", type=float, default=0.25)
    g.add_argument("--step-fraction", type=float, default=0.4)
    g.add_argument("--no-anchoring", action="store_true", help="turn dual-clock anchoring off")
    g.add_argument("--t-weak", type=float, default=T_WEAK,
                   help="noise-level percent sampling starts at (0 = pure noise; 0.06 = step 3 of 50, any step count)")
    g.add_argument("--t-strong", type=float, default=T_STRONG,
                   help="noise-level percent until which the objects are held (0.14 = step 7 of 50)")
    g.add_argument("--dtype", default="auto", choices=["auto", "bf16", "fp16", "fp32"])
    g.add_argument("--device", default="auto")
    g.add_argument("--offload", default="none", choices=["none", "model", "group", "sequential"])
    g.add_argument("--vae-tiling", action="store_true")


def log(message: str) -> None:
    print(message, flush=True)


def write_visuals(out: Path, image, objects, trajectory, plan) -> dict[str, Path]:
    """Everything an artist looks at before stage 2: PNGs, the mask video and the overlay."""
    from ..types import MaskTrajectory
    from ..visualize import render_summary, render_trajectory, save_png, save_video

    files = {"input": save_png(image, out / "input.png")}
    still = MaskTrajectory.still(objects, 1)
    files["objects"] = save_png(render_trajectory(still, image.unsqueeze(0), style="overlay")[0], out / "objects.png")
    files["summary"] = save_png(render_summary(trajectory, image), out / "summary.png")
    masks = render_trajectory(trajectory, style="masks", names=False, trails=False)
    overlay = render_trajectory(trajectory, image.unsqueeze(0), style="overlay")
    files["masks"] = save_video(masks, out / "masks.mp4", trajectory.fps)
    files["overlay"] = save_video(overlay, out / "overlay.mp4", trajectory.fps)
    files["overlay_gif"] = save_video(_half_size(overlay), out / "overlay.gif", trajectory.fps)  # small, for sharing
    # the crude cut-and-drag video stage 2 anchors to: objects actually move, the place they
    # left is inpainted (the best motion preview there is without a video model)
    from ..guidance import build_reference_video

    reference = build_reference_video(image, trajectory, objects=objects)
    files["reference"] = save_video(reference.frames, out / "reference.mp4", trajectory.fps)
    files["reference_frame"] = save_png(reference.frames[-1], out / "reference_last_frame.png")
    (out / "plan.json").write_text(plan.to_json(), encoding="utf-8")
    files["plan"] = out / "plan.json"
    trajectory.save(out / "trajectory.safetensors")
    files["trajectory"] = out / "trajectory.safetensors"
    return files


def _half_size(frames):
    import torch.nn.functional as F

    t, h, w, _ = frames.shape
    small = F.interpolate(frames.permute(0, 3, 1, 2), size=(max(h // 2, 1), max(w // 2, 1)), mode="area")
    return small.permute(0, 2, 3, 1).contiguous()


def load_model(args: argparse.Namespace):
    from ..pipeline import load_video_model

    started = time.perf_counter()
    model = load_video_model(
        args.model, dtype=args.dtype, device=args.device, offload=args.offload, vae_tiling=args.vae_tiling
    )
    log(f"loaded {model.variant} from {args.model} ({time.perf_counter() - started:.1f} s)")
    return model


def run_stage2(args: argparse.Namespace, out: Path, image, trajectory, plan, model=None) -> dict[str, Path]:
    from ..pipeline import motion_to_video
    from ..visualize import render_trajectory, save_png, save_video

    model = model or load_model(args)

    def progress(done: int, total: int) -> None:
        print(f"\r  step {done}/{total}", end="\n" if done >= total else "", flush=True)

    video = motion_to_video(
        model, image, trajectory, plan,
        num_frames=trajectory.num_frames,
        height=args.video_height or trajectory.height, width=args.video_width or trajectory.width,
        num_inference_steps=args.steps, guidance_scale=args.cfg, seed=args.seed,
        negative_prompt=args.negative_prompt, beta_self=args.beta_self, beta_cross=args.beta_cross,
        block_fraction=args.block_fraction, step_fraction=args.step_fraction,
        anchoring=not args.no_anchoring, t_weak=args.t_weak, t_strong=args.t_strong, progress=progress,
    )
    model.unload()
    files = {"video": save_video(video, out / "video.mp4", trajectory.fps)}
    files["video_first_frame"] = save_png(video[0], out / "video_frame_000.png")
    files["video_overlay"] = save_video(render_trajectory(trajectory, video, style="overlay"), out / "video_overlay.mp4", trajectory.fps)
    return files


def segment_with_sam2(checkpoint: str, image, points: dict, size: int):
    from ..segment import load_sam2, segment_image

    handle = load_sam2(checkpoint, image_size=size or None)
    # a click per object; if SAM2 finds nothing for one, a disk around the click stands in
    prompts = [{"name": n, "points": [list(p)]} for n, p in points.items()]
    return segment_image(handle, image, prompts, on_empty="fallback")


def run(args: argparse.Namespace) -> None:
    from ..motion import image_to_motion
    from ..prompts import decompose_prompt
    from .scene import example_scene

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scene = example_scene(args.width, args.height)
    prompt = args.prompt or scene.prompt
    objects = segment_with_sam2(args.sam2, scene.image, scene.points, args.sam2_size) if args.sam2 else scene.objects
    log(f"objects: {objects.names} ({'SAM2' if args.sam2 else 'scene masks'})")
    plan = decompose_prompt(prompt, objects.names)
    log(f"plan: {json.dumps(plan.local_prompts)}; motion: {plan.motion_prompt!r}")
    for note in plan.notes:
        log(f"note: {note}")
    trajectory = image_to_motion(objects, plan, args.frames, mode="plan", fps=args.fps)
    files = write_visuals(out, scene.image, objects, trajectory, plan)
    if args.model:
        files.update(run_stage2(args, out, scene.image, trajectory, plan))
    for name, path in files.items():
        log(f"{name}: {path}")
