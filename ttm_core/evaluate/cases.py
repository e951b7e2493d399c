"""Benchmark cases from a folder: one sub-folder per case.

```
CASES_DIR/
  <case>/                       any name; cases run in sorted order
    image.png                   first frame (.png / .jpg / .jpeg)
    masks/<name>.png            one first-frame mask per object (white = object); the file stem is
                                the object's name, objects in sorted file-name order
                                ("1_dog.png" -> "dog": a leading "<digits>_" only orders)
    prompt.txt                  the prompt, naming the objects
    trajectory.safetensors      optional target (MaskTrajectory.save); else paths.json; else the
                                prompt's rule-based plan
    paths.json                  optional: one path per object (what paths mode reads: KJNodes
                                spline/points JSON, core track JSON or [[x, y], ...] lists)
    case.json                   optional: {"frames": 49, "fps": 16}
```
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import TTMInputError, require
from ..types import MaskTrajectory, ObjectSet, PromptPlan

IMAGE_NAMES = ("image.png", "image.jpg", "image.jpeg")


@dataclass
class Case:
    name: str
    image: torch.Tensor  # [H, W, 3]
    objects: ObjectSet
    plan: PromptPlan
    trajectory: MaskTrajectory


def _image(path: Path, gray: bool = False) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("L" if gray else "RGB"), dtype=np.float32) / 255.0


def load_case(folder: str | Path, num_frames: int = 49, fps: float = 16.0) -> Case:
    """One case folder (see the module doc); ``num_frames``/``fps`` unless ``case.json`` says otherwise."""
    from ..motion import image_to_motion
    from ..prompts import decompose_prompt
    from ..segment import objects_from_masks

    folder = Path(folder)
    where = f"cases/{folder.name}"
    image_path = next((folder / n for n in IMAGE_NAMES if (folder / n).is_file()), None)
    require(image_path is not None, where, "has no image.png (or .jpg).", "put the first frame there as image.png.")
    masks = sorted((folder / "masks").glob("*.png")) if (folder / "masks").is_dir() else []
    require(bool(masks), where, "has no masks/*.png.", "add one white-on-black first-frame mask per object to masks/.")
    require((folder / "prompt.txt").is_file(), where, "has no prompt.txt.", "write the prompt into prompt.txt.")
    meta = json.loads((folder / "case.json").read_text()) if (folder / "case.json").is_file() else {}
    num_frames, fps = int(meta.get("frames", num_frames)), float(meta.get("fps", fps))
    image = torch.from_numpy(_image(image_path))
    names = [re.sub(r"^\d+_", "", m.stem) for m in masks]
    stack = np.stack([_image(m, gray=True) for m in masks])
    require(stack.shape[1:] == tuple(image.shape[:2]), where,
            f"masks are {stack.shape[2]}x{stack.shape[1]} but the image is {image.shape[1]}x{image.shape[0]}.",
            "draw the masks on the image itself (same size).")
    objects = objects_from_masks(stack, names)
    prompt = (folder / "prompt.txt").read_text(encoding="utf-8").strip()
    plan = decompose_prompt(prompt, objects.names)
    if (folder / "trajectory.safetensors").is_file():
        trajectory = MaskTrajectory.load(folder / "trajectory.safetensors")
    elif (folder / "paths.json").is_file():
        trajectory = image_to_motion(objects, (folder / "paths.json").read_text(), num_frames, mode="paths", fps=fps)
    else:
        trajectory = image_to_motion(objects, plan, num_frames, mode="plan", fps=fps)
    require((trajectory.height, trajectory.width) == tuple(image.shape[:2]), where,
            f"trajectory is {trajectory.width}x{trajectory.height} but the image is {image.shape[1]}x{image.shape[0]}.")
    return Case(folder.name, image, objects, plan, trajectory)


def load_cases(root: str | Path, num_frames: int = 49, fps: float = 16.0) -> list[Case]:
    root = Path(root)
    if not root.is_dir():
        raise TTMInputError("CASES_DIR", f"{root} is not a folder.", "give a folder with one sub-folder per case.")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    require(bool(folders), "CASES_DIR", f"{root} has no case folders.",
            "make one folder per case holding image.png, masks/<name>.png and prompt.txt.")
    return [load_case(f, num_frames, fps) for f in folders]


def write_case(folder: str | Path, image: torch.Tensor, objects: ObjectSet, prompt: str,
               trajectory: MaskTrajectory | None = None) -> Path:
    """Write a case in the format above (the demo scene as a case, tests, your own scripts)."""
    from PIL import Image

    folder = Path(folder)
    (folder / "masks").mkdir(parents=True, exist_ok=True)
    Image.fromarray((image.numpy() * 255 + 0.5).astype(np.uint8)).save(folder / "image.png")
    for i, (name, mask) in enumerate(zip(objects.names, objects.masks())):
        Image.fromarray(mask.numpy().astype(np.uint8) * 255).save(folder / "masks" / f"{i + 1}_{name}.png")
    (folder / "prompt.txt").write_text(prompt, encoding="utf-8")
    if trajectory is not None:
        trajectory.save(folder / "trajectory.safetensors")
    return folder
