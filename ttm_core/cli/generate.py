"""``generate``: the whole chain on your own image, from the command line.

Objects come from SAM2 clicks (``--sam2 CKPT --points``), SAM2 automatic mode (``--sam2 CKPT``
alone) or mask images (``--masks a.png b.png``); motion from the prompt (rules, an
OpenAI-compatible endpoint or a manual plan), from drawn paths, or from drafts of the video model
followed by SAM2 (``--track``); then Wan renders the video.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import TTMInputError
from .demo import add_video_arguments, load_model, log, run_stage2, write_visuals

NAME = "generate"
HELP = "Image + prompt (+ clicks or masks, + paths) -> mask trajectory -> Wan video."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--image", required=True, help="first frame (PNG/JPEG)")
    p.add_argument("--prompt", required=True, help="what happens, naming the objects")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--names", default="", help="object names, comma-separated, in click/mask order")
    p.add_argument("--sam2", default=None, help="SAM2 checkpoint (.pt / .safetensors)")
    p.add_argument("--sam2-size", type=int, default=0, help="SAM2 input size (0: the checkpoint's own)")
    p.add_argument("--points", default=None, help='one click per object: [[x, y], ...] (pixels or 0..1); without it SAM2 runs in auto mode')
    p.add_argument("--max-objects", type=int, default=4, help="auto mode: most objects kept")
    p.add_argument("--masks", nargs="+", default=None, help="mask images, one per object (white = object), instead of SAM2")
    p.add_argument("--plan", default=None, help="JSON plan file used instead of decomposing the prompt")
    p.add_argument("--llm-url", default=None, help="OpenAI-compatible endpoint for the decomposition (else rules)")
    p.add_argument("--llm-model", default="qwen2.5:7b-instruct")
    p.add_argument("--llm-key-env", default=None, help="environment variable holding the endpoint's API key")
    p.add_argument("--paths", default=None, help="JSON paths, one per object (KJNodes spline / track JSON): paths mode")
    p.add_argument("--track", action="store_true",
                   help="track mode: draft low-res videos with --model and follow the objects with --sam2")
    p.add_argument("--candidates", type=int, default=3, help="track mode: number of drafts")
    p.add_argument("--draft-steps", type=int, default=8, help="track mode: sampling steps per draft")
    p.add_argument("--frames", type=int, default=49)
    p.add_argument("--fps", type=float, default=16.0)
    add_video_arguments(p, required=False)


def _load_image(path: str):
    import numpy as np
    import torch
    from PIL import Image

    if not Path(path).is_file():
        raise TTMInputError("--image", f"file not found: {path}.")
    return torch.from_numpy(np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0)


def _sam2(args):
    from ..segment import load_sam2

    return load_sam2(args.sam2, image_size=args.sam2_size or None)


def _objects(args, image, names: list[str]):
    import numpy as np
    from PIL import Image

    if args.masks:
        from ..segment import objects_from_masks

        masks = []
        for path in args.masks:
            if not Path(path).is_file():
                raise TTMInputError("--masks", f"file not found: {path}.")
            masks.append(np.asarray(Image.open(path).convert("L"), dtype=np.float32) / 255.0)
        return objects_from_masks(np.stack(masks), names or None)
    if not args.sam2:
        raise TTMInputError("--sam2", "objects need SAM2 or masks.", "pass --sam2 CKPT [--points ...] or --masks a.png b.png.")
    from ..segment import segment_image

    handle = _sam2(args)
    if not args.points:
        return segment_image(handle, image, None, mode="auto", max_objects=args.max_objects, names=names or None)
    points = json.loads(args.points)
    if names and len(names) != len(points):
        raise TTMInputError("--names", f"{len(names)} names for {len(points)} clicks.", "give one name per click.")
    prompts = [{"name": names[i] if names else f"object_{i + 1}", "points": [p]} for i, p in enumerate(points)]
    return segment_image(handle, image, prompts)


def _plan(args, names: list[str]):
    from .. import prompts

    if args.plan:
        if not Path(args.plan).is_file():
            raise TTMInputError("--plan", f"file not found: {args.plan}.")
        return prompts.parse_manual_plan(Path(args.plan).read_text(encoding="utf-8"), names)
    backend = None
    if args.llm_url:
        backend = prompts.OpenAICompatibleBackend(args.llm_url, args.llm_model, api_key_env=args.llm_key_env)
    return prompts.decompose_prompt(args.prompt, names, backend=backend)


def run(args: argparse.Namespace) -> None:
    from ..motion import image_to_motion

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    image = _load_image(args.image)
    names = [n.strip() for n in args.names.split(",") if n.strip()]
    objects = _objects(args, image, names)
    log(f"objects: {objects.names}")
    plan = _plan(args, objects.names)
    for note in plan.notes:
        log(f"note: {note}")
    model = None
    if args.track:
        if not (args.model and args.sam2):
            raise TTMInputError("--track", "needs the video model and SAM2.", "pass --model DIR and --sam2 CKPT.")
        model = load_model(args)
        trajectory = image_to_motion(
            objects, plan, args.frames, mode="track", fps=args.fps, image=image, pipe=model.pipe,
            predictor=_sam2(args), candidates=args.candidates, steps=args.draft_steps, seed=args.seed,
        )
        log(f"track scores: {json.dumps(trajectory.scores)}")
    elif args.paths:
        trajectory = image_to_motion(objects, args.paths, args.frames, mode="paths", fps=args.fps)
    else:
        trajectory = image_to_motion(objects, plan, args.frames, mode="plan", fps=args.fps)
    files = write_visuals(out, image, objects, trajectory, plan)
    if args.model:
        files.update(run_stage2(args, out, image, trajectory, plan, model))
    else:
        log("no --model given: stopping after the trajectory (stage 1)")
    for name, path in files.items():
        log(f"{name}: {path}")
