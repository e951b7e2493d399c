"""Propagate the first-frame objects through in-memory frames with SAM2's video predictor.

The stock ``init_state`` only reads JPEG folders or mp4 files. We build the same inference state
around a lazy frame sequence instead (each frame is resized and normalised when SAM2 asks for it),
seed every object with its mask on frame 0 (``add_new_mask``) and reuse SAM2's own
``propagate_in_video``. No file is written and only one converted frame is alive at a time.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import Any

import torch
import torch.nn.functional as F

from ..callbacks import InterruptFn, ProgressFn, check_interrupt, report
from ..images import as_video
from ..errors import TTMInputError, require
from ..types import MaskTrajectory, ObjectSet
from .loader import Sam2Handle

_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


class _LazyFrames:
    """What SAM2 expects in ``inference_state["images"]``: indexable ``[3, S, S]`` normalised frames."""

    def __init__(self, frames: torch.Tensor, size: int) -> None:
        self.frames, self.size = frames, size
        self.mean = torch.tensor(_MEAN).view(3, 1, 1)
        self.std = torch.tensor(_STD).view(3, 1, 1)

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def __getitem__(self, index: int) -> torch.Tensor:
        x = self.frames[index].permute(2, 0, 1).unsqueeze(0)
        x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True)
        return (x[0] - self.mean) / self.std


def _inference_state(model, frames: torch.Tensor, out_h: int, out_w: int, device: torch.device) -> dict:
    """Mirror of ``SAM2VideoPredictor.init_state`` for in-memory frames (keys kept identical)."""
    return {
        "images": _LazyFrames(frames, int(model.image_size)),
        "num_frames": int(frames.shape[0]),
        "offload_video_to_cpu": True,
        "offload_state_to_cpu": False,
        # SAM2 resizes its output logits to this size: we ask for the objects' resolution
        "video_height": out_h,
        "video_width": out_w,
        "device": device,
        "storage_device": device,
        "point_inputs_per_obj": {},
        "mask_inputs_per_obj": {},
        "cached_features": {},
        "constants": {},
        "obj_id_to_idx": OrderedDict(),
        "obj_idx_to_id": OrderedDict(),
        "obj_ids": [],
        "output_dict_per_obj": {},
        "temp_output_dict_per_obj": {},
        "frames_tracked_per_obj": {},
    }


def _labels_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """``[K, 1, H, W]`` logits -> uint8 labels: each pixel goes to its most confident object."""
    scores = logits[:, 0].float()
    best = scores.argmax(0)
    labels = (best + 1).to(torch.uint8)
    labels[scores.max(0).values <= 0] = 0
    return labels


def _check_sizes(frames: torch.Tensor, objects: ObjectSet) -> None:
    fh, fw = int(frames.shape[1]), int(frames.shape[2])
    if (fh, fw) == (objects.height, objects.width):
        return
    ratio = (fw / fh) / (objects.width / objects.height)
    require(
        abs(ratio - 1) < 0.02,
        "frames",
        f"are {fw}x{fh} but the objects were segmented at {objects.width}x{objects.height} (another aspect ratio).",
        "segment the first frame of this video, or resize the frames to the objects' aspect ratio.",
    )


def propagate_video(
    predictor: Any,
    frames: Any,
    objects: ObjectSet,
    *,
    fps: float = 16.0,
    keep_loaded: bool = True,
    progress: ProgressFn | None = None,
    interrupt: InterruptFn | None = None,
) -> MaskTrajectory:
    """Track ``objects`` (segmented on frame 0) through ``frames`` ``[T, H, W, 3]``.

    The result has the objects' resolution (frames of the same aspect ratio but another size are
    fine, e.g. a low-resolution draft), frame 0 equal to ``objects.labels``, one label per pixel
    (the most confident object wins), and every object kept in ``names``: an object SAM2 loses
    is marked invisible in those frames. ``interrupt`` is checked before every frame.
    """
    if not isinstance(predictor, Sam2Handle):
        raise TTMInputError("sam2_model",
                            f"expected a loaded SAM2 model (from load_sam2), got {type(predictor).__name__}.",
                            "connect the SAM2 loader node.")
    require(isinstance(objects, ObjectSet), "objects", f"expected an ObjectSet, got {type(objects).__name__}.")
    video = as_video(frames, "frames", single_image=False)
    _check_sizes(video, objects)
    require(float(fps) > 0, "fps", f"must be > 0, got {fps}.")
    if objects.num_objects == 0:  # nothing to track: the background stays background
        return MaskTrajectory(torch.zeros((int(video.shape[0]), objects.height, objects.width), dtype=torch.uint8),
                              [], fps=float(fps))
    handle = predictor
    handle.activate()
    model = handle.model
    require(hasattr(model, "propagate_in_video"), "sam2_model", "was not built as a SAM2 video predictor.",
            "load it with load_sam2.")
    t_total = int(video.shape[0])
    labels = torch.zeros((t_total, objects.height, objects.width), dtype=torch.uint8)
    labels[0] = objects.labels.to(torch.uint8)
    report(progress, 0, t_total)
    state = None
    try:
        with torch.inference_mode(), handle.autocast():
            check_interrupt(interrupt)
            state = _inference_state(model, video, objects.height, objects.width, handle.device)
            for k, mask in enumerate(objects.masks(), start=1):
                model.add_new_mask(state, frame_idx=0, obj_id=k, mask=mask)
            frames_iter = model.propagate_in_video(state)
            try:
                for frame_idx, obj_ids, logits in frames_iter:
                    if frame_idx > 0:  # frame 0 is the seed itself, exactly
                        order = [list(obj_ids).index(k) for k in range(1, objects.num_objects + 1)]
                        labels[frame_idx] = _labels_from_logits(logits[order].cpu())
                    report(progress, frame_idx + 1, t_total)
                    if frame_idx + 1 < t_total:
                        check_interrupt(interrupt)
            finally:
                with contextlib.suppress(Exception):
                    frames_iter.close()
    finally:
        state = None
        if not keep_loaded:
            handle.unload()
    traj = MaskTrajectory(labels, list(objects.names), fps=float(fps))
    return MaskTrajectory(labels, traj.names, fps=traj.fps, anchors=traj.centroids())
