"""``masks`` strategy: per-object mask sequences from any node, validated and composited.

Accepted ``source``:
- a tensor ``[T, K, H, W]`` or ``[K, T, H, W]`` (``layout="auto"`` picks the axis that matches
  the number of objects, preferring ``[T, K, H, W]`` when both do);
- a list with one ``[T, H, W]`` mask sequence per object (``None`` = the object stays still);
- a ``[T, H, W]`` integer label video (0 = background, k = object k), or, with a single
  object, that object's ComfyUI ``MASK`` batch (float 0..1).
Float masks are thresholded at 0.5. Overlaps are resolved by ``z`` (per object, higher in front;
equal ``z``: the higher label is in front). Frame 0 must show the input objects: ``first_frame=
"force"`` (default) replaces it by the input and records the agreement as
``scores["first_frame_iou"]``; ``"check"`` refuses a frame 0 that differs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..callbacks import InterruptFn, ProgressFn, check_interrupt, report
from ..errors import TTMInputError, require
from ..types import MaskTrajectory, ObjectSet
from ..types._checks import as_tensor
from .compose import paint_order
from .measure import label_stats, mask_iou

LAYOUTS = ("auto", "TKHW", "KTHW")
FIRST_FRAME = ("force", "check")


def _binary(m: torch.Tensor, where: str) -> torch.Tensor:
    if m.is_floating_point():
        require(bool(torch.isfinite(m).all()), where, "contains NaN or infinite values.")
        return m > 0.5
    return m != 0


def _check_frames(t: int, num_frames: int, where: str) -> None:
    require(
        t == num_frames,
        where,
        f"has {t} frames but num_frames is {num_frames}.",
        f"set num_frames to {t} or trim/extend the mask batch to {num_frames} frames.",
    )


def _check_size(shape: tuple[int, int], objects: ObjectSet, where: str) -> None:
    require(
        tuple(shape) == (objects.height, objects.width),
        where,
        f"masks are {shape[1]}x{shape[0]} but the objects are {objects.width}x{objects.height}.",
        f"resize the masks to {objects.width}x{objects.height} (nearest) before this node.",
    )


def _per_object_sequences(source: Any, objects: ObjectSet, num_frames: int, layout: str, input_name: str):
    """A list (one entry per object) of bool ``[T, H, W]`` tensors or None, or a label video."""
    k = objects.num_objects
    per_object = isinstance(source, (list, tuple)) and len(source) > 0
    per_object = per_object and all(item is None or isinstance(item, (torch.Tensor, np.ndarray)) for item in source)
    if per_object:
        require(len(source) == k, input_name, f"gives {len(source)} mask sequences for {k} objects {objects.names}.")
        seqs = []
        for i, item in enumerate(source):
            where = f"{input_name}[{i}] (object {objects.names[i]!r})"
            if item is None:
                seqs.append(None)
                continue
            m = as_tensor(item, where)
            require(m.ndim == 3, where, f"expected a [T, H, W] mask sequence, got shape {tuple(m.shape)}.")
            _check_frames(m.shape[0], num_frames, where)
            _check_size(m.shape[1:], objects, where)
            seqs.append(_binary(m, where))
        return seqs, None
    m = as_tensor(source, input_name)
    if m.ndim == 3:
        _check_frames(m.shape[0], num_frames, input_name)
        _check_size(m.shape[1:], objects, input_name)
        if k == 1 and m.is_floating_point() and float(m.max()) <= 1.0:
            return [_binary(m, input_name)], None
        require(bool(torch.isfinite(m.float()).all()), input_name, "contains NaN or infinite values.")
        require(
            bool((m == m.round()).all()) if m.is_floating_point() else True,
            input_name,
            "a label video must hold whole numbers.",
        )
        lo, hi = int(m.min()), int(m.max())
        require(lo >= 0 and hi <= k, input_name, f"labels must be within 0..{k} (one per object), found {lo}..{hi}.")
        return None, m.to(torch.uint8)
    require(
        m.ndim == 4,
        input_name,
        f"expected [T, K, H, W], [K, T, H, W], a [T, H, W] label video or a list, got shape {tuple(m.shape)}.",
    )
    require(layout in LAYOUTS, "layout", f"must be one of {LAYOUTS}, got {layout!r}.")
    if layout == "auto":
        layout = "TKHW" if m.shape[1] == k else "KTHW" if m.shape[0] == k else ""
        require(
            layout != "",
            input_name,
            f"shape {tuple(m.shape)} has no axis of size {k} (one mask per object {objects.names}).",
            "pass one mask per object, as [T, K, H, W] or [K, T, H, W].",
        )
    if layout == "KTHW":
        m = m.transpose(0, 1)
    require(m.shape[1] == k, input_name, f"holds {m.shape[1]} objects but there are {k} {objects.names}.")
    _check_frames(m.shape[0], num_frames, input_name)
    _check_size(m.shape[2:], objects, input_name)
    return [_binary(m[:, i], f"{input_name}[object {objects.names[i]!r}]") for i in range(k)], None


def masks_motion(
    objects: ObjectSet,
    source: Any,
    num_frames: int,
    *,
    fps: float = 16.0,
    layout: str = "auto",
    first_frame: str = "force",
    z: Any = None,
    progress: ProgressFn | None = None,
    interrupt: InterruptFn | None = None,
    input_name: str = "masks",
) -> MaskTrajectory:
    require(first_frame in FIRST_FRAME, "first_frame", f"must be one of {FIRST_FRAME}, got {first_frame!r}.")
    from .paths import _per_object

    k = objects.num_objects
    seqs, labels = _per_object_sequences(source, objects, num_frames, layout, input_name)
    zs = [0.0 if v is None else float(v) for v in _per_object(z, objects, "z")]
    if labels is None:
        labels = torch.zeros((num_frames, objects.height, objects.width), dtype=torch.uint8)
        for done, i in enumerate(paint_order(np.asarray(zs))):
            check_interrupt(interrupt)
            m = seqs[i] if seqs[i] is not None else objects.mask(objects.names[i]).expand(num_frames, -1, -1)
            labels[m] = i + 1
            report(progress, done + 1, k)
    first = labels[0].long()
    agreement = float(np.mean([mask_iou(first == i + 1, objects.labels == i + 1) for i in range(k)]))
    if first_frame == "check" and not torch.equal(first, objects.labels):
        raise TTMInputError(
            input_name,
            f"frame 0 differs from the input objects (mean IoU {agreement:.3f}); frame 0 must show them exactly.",
            "use first_frame='force', or build the masks from the same segmentation.",
        )
    labels[0] = objects.labels.to(torch.uint8)
    _, cents = label_stats(labels, k)
    depth = torch.tensor(zs, dtype=torch.float32).expand(num_frames, k).clone()
    return MaskTrajectory(
        labels,
        list(objects.names),
        fps,
        anchors=cents.to(torch.float32),
        depth=depth,
        scores={"first_frame_iou": agreement},
    )
