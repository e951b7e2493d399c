"""Stage-1 speed: plan and paths modes at Wan's 81 frames, 832x480, 3 objects.

Prints the best of ``--repeat`` runs for each mode and the ratio against a naive warp that
transforms the full frame for every object and frame (what the bounding-box warp avoids).
Target on a laptop CPU: < 1 s per mode.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch


def scene(height: int, width: int, count: int):
    """``count`` discs and boxes spread over the image, with a plan and paths that move them."""
    from ..types import ObjectSet, PromptPlan

    yy, xx = torch.meshgrid(
        torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32), indexing="ij"
    )
    labels = torch.zeros(height, width, dtype=torch.long)
    names, keyframes, paths = [], {}, {}
    r = min(height, width) / 8
    for i in range(count):
        cx, cy = width * (i + 1) / (count + 1), height * (0.35 + 0.3 * (i % 2))
        shape = (
            ((xx - cx) ** 2 + (yy - cy) ** 2 <= r * r)
            if i % 2 == 0
            else ((xx - cx).abs() <= r) & ((yy - cy).abs() <= 0.6 * r)
        )
        labels[shape & (labels == 0)] = i + 1
        name = f"object_{i + 1}"
        names.append(name)
        sign = 1 if i % 2 == 0 else -1
        keyframes[name] = [
            {"t": 0.5, "dx": 0.15 * sign, "dy": 0.05, "rot": 20.0 * sign, "scale": 1.2, "ease": "ease_in_out"},
            {"t": 1.0, "dx": 0.3 * sign, "dy": -0.05, "rot": 45.0 * sign, "scale": 0.8, "z": float(i)},
        ]
        paths[name] = [
            [cx, cy],
            [cx + 0.15 * width * sign, cy - 0.1 * height],
            [cx + 0.3 * width * sign, cy + 0.05 * height],
        ]
    return ObjectSet(labels, names), PromptPlan("benchmark scene", keyframes=keyframes), paths


def naive_compose(objects, affines: torch.Tensor) -> np.ndarray:
    """Reference cost: full-frame inverse warp of every object mask in every frame."""
    import cv2

    t, k = affines.shape[:2]
    out = np.zeros((t, objects.height, objects.width), np.uint8)
    masks = objects.masks().numpy().astype(np.uint8)
    for f in range(t):
        for i in range(k):
            warped = cv2.warpAffine(
                masks[i],
                affines[f, i].numpy().astype(np.float64),
                (objects.width, objects.height),
                flags=cv2.INTER_NEAREST,
            )
            out[f][warped > 0] = i + 1
    return out


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ttm_core.bench motion", description=__doc__)
    parser.add_argument("--frames", type=int, default=81)
    parser.add_argument("--width", type=int, default=832)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--objects", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from ..motion import image_to_motion

    objects, plan, paths = scene(args.height, args.width, args.objects)
    image_to_motion(objects, plan, 5, "plan")  # warm up imports and OpenCV
    print(
        f"stage 1 motion benchmark: {args.frames} frames, {args.width}x{args.height}, {args.objects} objects, "
        f"best of {args.repeat}, torch threads {torch.get_num_threads()}"
    )
    results = {}
    for mode, source in (("plan", plan), ("paths", paths)):
        traj = image_to_motion(objects, source, args.frames, mode)
        seconds = _best(lambda: image_to_motion(objects, source, args.frames, mode), args.repeat)
        naive = _best(lambda: naive_compose(objects, traj.affines), 1)
        results[mode] = seconds
        status = "OK" if seconds < 1.0 else "SLOW"
        print(
            f"  {mode:<6} {seconds:7.3f} s  ({1000 * seconds / args.frames:5.1f} ms/frame)  "
            f"naive full-frame warp {naive:6.3f} s  ratio naive/ours {naive / seconds:5.1f}x  target < 1 s: {status}"
        )
    return 0
