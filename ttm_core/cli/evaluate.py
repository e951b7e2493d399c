"""``evaluate --video out.mp4 --trajectory t.safetensors --sam2 CKPT``: how well a video follows its masks.

Prints the score table, writes ``<out>/scores.json`` and ``<out>/iou_plot.png``. Several
``--video`` files are ranked (best first in the JSON's ``best``), as the node's best-of-N does.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import TTMInputError

NAME = "evaluate"
HELP = "Score generated videos against their mask trajectory (mIoU, centroid error, AD, background motion, CLIPFrame)."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--video", required=True, nargs="+", help="generated video file(s): MP4, WEBM, GIF, WEBP")
    p.add_argument("--trajectory", required=True, help="the trajectory the video was made from (.safetensors)")
    add_scoring_arguments(p)
    p.add_argument("--rank-by", default="miou", choices=["miou", "centroid_error", "visibility"],
                   help="with several videos: what 'best' means")
    p.add_argument("--out", default=None, help="folder for scores.json and iou_plot.png (default: next to the first video)")


def add_scoring_arguments(p: argparse.ArgumentParser) -> None:
    """Options shared with ``benchmark``."""
    g = p.add_argument_group("scoring")
    g.add_argument("--sam2", default=None, help="SAM2 checkpoint that tracks the objects through the video")
    g.add_argument("--sam2-size", type=int, default=0, help="SAM2 input size (0: the checkpoint's own)")
    g.add_argument("--sam2-device", default="auto")
    g.add_argument("--clip", default=None, help="local transformers CLIP vision folder for CLIPFrame (optional)")
    g.add_argument("--flow", default="dis", choices=["dis", "farneback", "none"], help="optical flow for AD / background motion")
    g.add_argument("--background-margin", type=int, default=8, help="px around objects left out of background motion")


def scoring_tools(args: argparse.Namespace):
    """(SAM2 handle, CLIP encoder or None) from the shared options; named errors when missing."""
    if not args.sam2:
        raise TTMInputError("--sam2", "evaluation needs SAM2 to find the objects in the video.",
                            "pass --sam2 models/sam2/sam2.1_hiera_base_plus.safetensors (or another SAM2 checkpoint).")
    if not Path(args.sam2).is_file():
        raise TTMInputError("--sam2", f"file not found: {args.sam2}.", "give the path of a SAM2 .pt or .safetensors file.")
    from ..segment import load_sam2

    sam2 = load_sam2(args.sam2, device=args.sam2_device, image_size=args.sam2_size or None, input_name="--sam2")
    clip = None
    if args.clip:
        from ..evaluate import TransformersClipEncoder

        clip = TransformersClipEncoder(args.clip, device="cpu")
    return sam2, clip


def run(args: argparse.Namespace) -> None:
    from ..evaluate import plot_iou, rank_videos, read_video
    from ..types import MaskTrajectory
    from ..visualize import save_png

    if not Path(args.trajectory).is_file():
        raise TTMInputError("--trajectory", f"file not found: {args.trajectory}.",
                            "give the trajectory.safetensors the video was generated from.")
    trajectory = MaskTrajectory.load(args.trajectory)
    videos = [read_video(v, "--video")[0] for v in args.video]
    sam2, clip = scoring_tools(args)
    ranking = rank_videos(videos, trajectory, key=args.rank_by, sam2=sam2, clip=clip,
                          flow=None if args.flow == "none" else args.flow, background_margin=args.background_margin)
    out = Path(args.out) if args.out else Path(args.video[0]).parent
    out.mkdir(parents=True, exist_ok=True)
    best = ranking.scores[ranking.best]
    if len(videos) > 1:
        print(f"best: {args.video[ranking.best]} (candidate {ranking.best}, by {args.rank_by})")
        print(ranking.table(), "\n")
    print(best.table())
    data = ranking.to_dict()
    data["videos"] = [str(v) for v in args.video]
    (out / "scores.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    save_png(plot_iou(best), out / "iou_plot.png")
    print(f"scores: {out / 'scores.json'}\nplot: {out / 'iou_plot.png'}")
