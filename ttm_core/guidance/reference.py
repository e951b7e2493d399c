"""The reference video for dual-clock anchoring (Time-to-Move, Singer et al. 2025).

A crude "cut and drag" video: each object's first-frame pixels are warped along its
trajectory over a background plate with the objects removed. The sampler starts from this
video noised to a weak level and, inside the **hold mask**, keeps re-imposing it for the first
steps; that is what makes an untrained model move objects where the trajectory says.

Hold mask choice: it covers the *moved objects* only (their trajectory masks in each frame,
dilated by ``hold_margin``), never the vacated background. In Time-to-Move the mask marks
where the reference is trusted; the warped object pixels are (they are the object's own
pixels), the inpainted place it left is a guess the model should repaint freely. The margin
lets the hold reach the token cells that straddle an object's edge (one latent cell of Wan
2.1's VAE is 8 pixels). Objects with no pixels in the first frame have nothing to warp: they
are left out of the reference and of the hold mask (a note says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import torch

from ..callbacks import InterruptFn, ProgressFn, check_interrupt, report
from ..errors import require
from ..types import MaskTrajectory, ObjectSet
from .compose import Paste, dilate, disc, hold_maps, paste_into, reveal_plate, z_order
from .inpaint import METHODS, fill_holes
from ..images import as_image_array
from .inputs import check_choice, check_margin, check_strengths
from .similarity import affine_agrees, mask_points, mask_stats, moment_transforms
from .warp import ObjectSource, bounding_box, make_source, object_boxes, warp_into, warped_box

FITS = ("masks", "warp")
_OTHER = 255  # source label of first-frame objects the trajectory does not move


@dataclass(eq=False)
class ReferenceVideo:
    """What the dual-clock sampler needs: frames to encode and where to hold them."""

    frames: torch.Tensor  # float32 [T, H, W, 3] in 0..1
    hold_mask: torch.Tensor  # bool [T, H, W]
    background: torch.Tensor  # float32 [H, W, 3], the first frame with the objects inpainted away
    labels: torch.Tensor  # uint8 [T, H, W], which object's pixels each reference pixel shows (0 = none)
    transforms: torch.Tensor  # float32 [T, K, 2, 3], frame-0 -> frame-t maps used; NaN where not pasted
    names: list[str] = field(default_factory=list)
    strength: torch.Tensor | None = None  # float32 [T, H, W] per-object hold strength, None = 1 on the mask
    hold_margin: int = 0
    notes: list[str] = field(default_factory=list)
    owner: torch.Tensor | None = None  # uint8 [T, H, W], which object each held pixel's hold belongs to (0 = none)

    def __post_init__(self) -> None:
        t, h, w = self.hold_mask.shape
        require(tuple(self.frames.shape) == (t, h, w, 3), "frames", f"shape {tuple(self.frames.shape)} != {(t, h, w, 3)}.")
        require(tuple(self.labels.shape) == (t, h, w), "labels", f"shape {tuple(self.labels.shape)} != {(t, h, w)}.")
        require(tuple(self.background.shape) == (h, w, 3), "background", f"shape {tuple(self.background.shape)} != {(h, w, 3)}.")
        k = len(self.names)
        require(tuple(self.transforms.shape) == (t, k, 2, 3), "transforms", f"shape {tuple(self.transforms.shape)} != {(t, k, 2, 3)}.")
        if self.strength is not None:
            require(tuple(self.strength.shape) == (t, h, w), "strength", f"shape {tuple(self.strength.shape)} != {(t, h, w)}.")
        if self.owner is not None:
            require(tuple(self.owner.shape) == (t, h, w), "owner", f"shape {tuple(self.owner.shape)} != {(t, h, w)}.")

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def height(self) -> int:
        return int(self.frames.shape[1])

    @property
    def width(self) -> int:
        return int(self.frames.shape[2])

    def hold_weights(self) -> torch.Tensor:
        """Float ``[T, H, W]`` in 0..1: how strongly each pixel is held (strength or the mask)."""
        return self.strength if self.strength is not None else self.hold_mask.float()

    def object_hold_weights(self, name: str) -> torch.Tensor:
        """The part of :meth:`hold_weights` that belongs to object ``name`` (they sum to it)."""
        require(name in self.names, "name", f"{name!r} is not an object of the reference; objects are {self.names}.")
        if self.owner is None:
            require(len(self.names) == 1, "owner", "is missing: per-object hold weights need the owner map.")
            return self.hold_weights()
        return self.hold_weights() * (self.owner == self.names.index(name) + 1)

    def __repr__(self) -> str:
        return f"ReferenceVideo({self.num_frames} frames, {self.width}x{self.height}, objects={self.names})"


def build_reference_video(
    image: Any,
    trajectory: MaskTrajectory,
    *,
    hold_margin: int = 8,
    inpaint: str = "telea",
    objects: ObjectSet | None = None,
    hold_strength: Mapping[str, float] | None = None,
    fit: str = "masks",
    hole_margin: int = 3,
    progress: ProgressFn | None = None,
    interrupt: InterruptFn | None = None,
) -> ReferenceVideo:
    """Warp each object's first-frame pixels along ``trajectory`` over an inpainted background.

    ``image`` is the first frame (float ``[H, W, 3]`` 0..1, uint8, numpy or PIL) at the
    trajectory's size. Per object and frame the trajectory's ``affines`` are used when present
    and consistent with its masks, otherwise a similarity transform estimated from mask moments.
    ``fit="masks"`` (default) fills exactly each object's trajectory mask with its warped pixels
    (the label video is the truth of *where* an object is; it also drives the attention masks);
    ``fit="warp"`` pastes the warped pixels wherever they land, back to front by
    ``trajectory.depth`` (or, without depth, by which object the label map shows where two
    overlap). ``objects`` optionally gives the first-frame segmentation to cut pixels from
    (matched by name; default: the trajectory's frame 0). ``hole_margin`` widens the removed
    regions so object edge pixels do not stay behind. ``hold_strength`` maps object names to 0..1
    and adds the ``strength`` map (max over objects) for per-object blending in the sampler.
    """
    require(
        isinstance(trajectory, MaskTrajectory),
        "trajectory",
        f"expected a MaskTrajectory, got {type(trajectory).__name__}.",
    )
    img = as_image_array(image, "image")
    height, width = trajectory.height, trajectory.width
    require(
        img.shape[:2] == (height, width),
        "image",
        f"is {img.shape[1]}x{img.shape[0]} but the trajectory is {width}x{height}.",
        f"resize the image to {width}x{height}, or the trajectory with trajectory.resized({img.shape[0]}, {img.shape[1]}).",
    )
    hold_margin = check_margin(hold_margin, "hold_margin")
    hole_margin = check_margin(hole_margin, "hole_margin")
    check_choice(inpaint, METHODS, "inpaint")
    check_choice(fit, FITS, "fit")
    names = list(trajectory.names)
    strengths = check_strengths(hold_strength, names)
    count, frames_n = len(names), trajectory.num_frames

    labels = trajectory.labels.numpy()
    first = _source_labels(trajectory, objects)
    notes: list[str] = []
    sources = _sources(img, first, names, notes)
    boxes = object_boxes(labels, count)
    transforms = np.full((frames_n, count, 2, 3), np.nan)
    for src in sources.values():
        transforms[:, src.index - 1] = _object_transforms(src, labels, boxes, trajectory.affines, names, notes)

    origin = np.isin(first, list(sources)) if sources else np.zeros((height, width), bool)
    hole = dilate(origin, disc(hole_margin))
    plate = fill_holes(img, hole, inpaint)
    hole_boxes = [_grow(src.box, hole_margin, height, width) for src in sources.values()]

    frames = np.empty((frames_n, height, width, 3), dtype=np.float32)
    frames[:] = img
    shown = np.zeros((frames_n, height, width), dtype=np.uint8)
    hold = np.zeros((frames_n, height, width), dtype=bool)
    owner = np.zeros((frames_n, height, width), dtype=np.uint8)
    held = {k: strengths[k - 1] for k in sources}
    strength = None if hold_strength is None else np.zeros((frames_n, height, width), dtype=np.float32)
    depth = None if trajectory.depth is None else trajectory.depth.numpy()
    hold_kernel, hole_kernel = disc(hold_margin), disc(hole_margin)

    for t in range(frames_n):
        check_interrupt(interrupt)
        pastes = _frame_pastes(sources, transforms[t], labels[t], boxes[t], fit)
        if fit == "warp":
            pastes = z_order(pastes, labels[t], None if depth is None else depth[t])
        for item in pastes:
            paste_into(frames[t], shown[t], item)
        if inpaint != "none":
            reveal_plate(frames[t], shown[t], plate, origin, hole, hole_boxes, hole_kernel)
        hold_maps(
            labels[t], boxes[t], held, hold_kernel, hold_margin,
            hold[t], None if strength is None else strength[t], owner[t],
        )
        report(progress, t + 1, frames_n)

    return ReferenceVideo(
        frames=torch.from_numpy(frames),
        hold_mask=torch.from_numpy(hold),
        background=torch.from_numpy(plate),
        labels=torch.from_numpy(shown),
        transforms=torch.from_numpy(transforms.astype(np.float32)),
        names=names,
        strength=None if strength is None else torch.from_numpy(strength),
        hold_margin=hold_margin,
        notes=notes,
        owner=torch.from_numpy(owner),
    )


def _source_labels(trajectory: MaskTrajectory, objects: ObjectSet | None) -> np.ndarray:
    """First-frame label map in the trajectory's numbering (``_OTHER`` for objects it lacks)."""
    first = trajectory.labels[0].numpy()
    if objects is None:
        return first
    require(isinstance(objects, ObjectSet), "objects", f"expected an ObjectSet, got {type(objects).__name__}.")
    require(
        (objects.height, objects.width) == (trajectory.height, trajectory.width),
        "objects",
        f"is {objects.width}x{objects.height} but the trajectory is {trajectory.width}x{trajectory.height}.",
        "segment the same frame the trajectory was built from.",
    )
    shared = [n for n in objects.names if n in trajectory.names]
    require(
        bool(shared) or not trajectory.names or not objects.names,
        "objects",
        f"none of its names {objects.names} are objects of the trajectory {trajectory.names}.",
        "pass the ObjectSet the trajectory was built from.",
    )
    lut = np.zeros(objects.num_objects + 1, dtype=np.uint8)
    for i, name in enumerate(objects.names, start=1):
        lut[i] = trajectory.names.index(name) + 1 if name in trajectory.names else _OTHER
    out = lut[objects.labels.numpy()]
    for k, name in enumerate(trajectory.names, start=1):
        if name not in objects.names:
            out[(first == k) & (out == 0)] = k
    return out


def _sources(img: np.ndarray, first: np.ndarray, names: list[str], notes: list[str]) -> dict[int, ObjectSource]:
    out: dict[int, ObjectSource] = {}
    for k, name in enumerate(names, start=1):
        mask = first == k
        box = bounding_box(mask)
        if box is None:
            notes.append(f"object {name!r} has no pixels in the first frame: nothing to warp, it is left out of the reference and the hold mask.")
            continue
        out[k] = make_source(img, mask, k, mask_stats(first, k, box))
    return out


def _object_transforms(
    src: ObjectSource,
    labels: np.ndarray,
    boxes: np.ndarray,
    affines: torch.Tensor | None,
    names: list[str],
    notes: list[str],
) -> np.ndarray:
    """``[T, 2, 3]`` frame-0 -> frame-t maps for one object (NaN where it is absent)."""
    k = src.index
    visible = boxes[:, k - 1, 0] >= 0
    out = np.full((labels.shape[0], 2, 3), np.nan)
    estimate = visible.copy()
    if affines is not None:
        given = affines[:, k - 1].numpy().astype(np.float64)
        disagree = []
        for t in np.flatnonzero(visible):
            x0, y0, x1, y1 = boxes[t, k - 1]
            points = mask_points(labels[t, y0:y1, x0:x1] == k, (x0, y0))
            if affine_agrees(given[t], src.mask, points):
                out[t], estimate[t] = given[t], False
            else:
                disagree.append(int(t))
        if disagree:
            notes.append(
                f"object {names[k - 1]!r}: the trajectory's affines disagree with its masks in "
                f"{len(disagree)} frame(s) ({_frames_text(disagree)}); used mask moments there."
            )
    if estimate.any():
        targets = [mask_stats(labels[t], k, tuple(boxes[t, k - 1])) if visible[t] else None for t in range(len(out))]
        moments = moment_transforms(src.stats, src.mask, src.points, targets, labels, k)
        out[estimate] = moments[estimate]
    return out


def _frame_pastes(
    sources: dict[int, ObjectSource], affines: np.ndarray, labels: np.ndarray, boxes: np.ndarray, fit: str
) -> list[Paste]:
    out = []
    height, width = labels.shape
    for k, src in sources.items():
        affine = affines[k - 1]
        if not np.isfinite(affine).all():
            continue
        if fit == "masks":
            region = tuple(int(v) for v in boxes[k - 1])
            colour, _ = warp_into(src, affine, region, coverage=False)
            x0, y0, x1, y1 = region
            where = labels[y0:y1, x0:x1] == k
        else:
            region = warped_box(src, affine, height, width)
            if region is None:
                continue
            colour, alpha = warp_into(src, affine, region)
            where = alpha >= 0.5
        out.append(Paste(k, region, where, colour))
    return out


def _grow(box: tuple[int, int, int, int], margin: int, height: int, width: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    return max(x0 - margin, 0), max(y0 - margin, 0), min(x1 + margin, width), min(y1 + margin, height)


def _frames_text(frames: list[int], limit: int = 8) -> str:
    text = ", ".join(str(f) for f in frames[:limit])
    return text + (", ..." if len(frames) > limit else "")
