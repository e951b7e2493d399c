"""`MaskTrajectory`: the label video ``ŝ`` that joins stage 1 to stage 2."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import require
from ._checks import as_label_tensor, as_tensor, check_names, default_names, load_tensors, save_tensors
from .objects import ObjectSet


def _optional(value: Any, name: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor | None:
    if value is None:
        return None
    t = as_tensor(value, name).to(dtype)
    require(tuple(t.shape) == shape, name, f"expected shape {shape}, got {tuple(t.shape)}.")
    if t.is_floating_point():
        finite = torch.isfinite(t) | torch.isnan(t) if name == "anchors" else torch.isfinite(t)
        require(bool(finite.all()), name, "contains infinite or NaN values.")
    return t.contiguous()


@dataclass(eq=False)
class MaskTrajectory:
    """Per-object masks over time as one label per pixel (objects never overlap).

    Optional per-frame, per-object fields travel with the masks when the strategy that built
    them knows them: ``anchors`` (x, y) pixels, NaN while invisible; ``visible``; ``affines``
    (2x3 maps from frame-0 pixels to frame-t pixels, used to warp the reference video) and
    ``depth`` (z order, higher in front).
    """

    labels: torch.Tensor
    names: list[str] = field(default_factory=list)
    fps: float = 16.0
    anchors: torch.Tensor | None = None
    visible: torch.Tensor | None = None
    affines: torch.Tensor | None = None
    depth: torch.Tensor | None = None
    scores: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.labels = as_label_tensor(self.labels, "labels", ndim=3, dtype=torch.uint8)
        top = int(self.labels.max())
        if not self.names:
            self.names = default_names(top)
        self.names = check_names(self.names, None)
        require(
            top <= len(self.names),
            "labels",
            f"contain label {top} but only {len(self.names)} names were given.",
        )
        require(float(self.fps) > 0, "fps", f"must be > 0, got {self.fps}.")
        self.fps = float(self.fps)
        t, k = self.num_frames, self.num_objects
        self.anchors = _optional(self.anchors, "anchors", (t, k, 2), torch.float32)
        self.affines = _optional(self.affines, "affines", (t, k, 2, 3), torch.float32)
        self.depth = _optional(self.depth, "depth", (t, k), torch.float32)
        present = self.presence()
        if self.visible is None:
            self.visible = present
        else:
            self.visible = _optional(self.visible, "visible", (t, k), torch.bool)
            require(
                bool((self.visible | ~present).all()),
                "visible",
                "marks an object invisible in a frame where it has pixels.",
            )
        self.scores = {str(a): float(b) for a, b in dict(self.scores).items()}

    # ---- shape -----------------------------------------------------------------------------
    @property
    def num_frames(self) -> int:
        return int(self.labels.shape[0])

    @property
    def height(self) -> int:
        return int(self.labels.shape[1])

    @property
    def width(self) -> int:
        return int(self.labels.shape[2])

    @property
    def num_objects(self) -> int:
        return len(self.names)

    # ---- views -----------------------------------------------------------------------------
    def presence(self) -> torch.Tensor:
        """``[T, K]`` bool: does object k have any pixel in frame t."""
        counts = self.areas()
        return counts > 0

    def areas(self) -> torch.Tensor:
        """``[T, K]`` pixel counts."""
        # per-frame bincount of the object pixels only: no int64 copy of the whole video
        # (the old scatter_add took ~0.7 s at 81x480x832, this ~0.05 s)
        k = self.num_objects
        flat = self.labels.numpy().reshape(self.num_frames, -1)
        counts = np.zeros((self.num_frames, k + 1), dtype=np.int64)
        for t in range(self.num_frames):
            row = flat[t]
            counts[t] = np.bincount(row[row != 0], minlength=k + 1)[: k + 1]
        return torch.from_numpy(counts[:, 1:])

    def masks(self, frame: int | None = None) -> torch.Tensor:
        """Bool masks ``[T, K, H, W]`` (or ``[K, H, W]`` for one frame)."""
        ids = torch.arange(1, self.num_objects + 1, dtype=torch.uint8)
        if frame is not None:
            return self.labels[frame].unsqueeze(0) == ids.view(-1, 1, 1)
        return self.labels.unsqueeze(1) == ids.view(1, -1, 1, 1)

    def centroids(self) -> torch.Tensor:
        """``[T, K, 2]`` (x, y) mask centroids; NaN where the object is invisible."""
        k = self.num_objects
        flat = self.labels.numpy().reshape(self.num_frames, -1)
        xs = np.tile(np.arange(self.width, dtype=np.float64), self.height)
        ys = np.repeat(np.arange(self.height, dtype=np.float64), self.width)
        out = np.full((self.num_frames, k, 2), np.nan, dtype=np.float64)
        for t in range(self.num_frames):
            row = flat[t]
            area = np.bincount(row, minlength=k + 1)[1 : k + 1]
            sx = np.bincount(row, weights=xs, minlength=k + 1)[1 : k + 1]
            sy = np.bincount(row, weights=ys, minlength=k + 1)[1 : k + 1]
            ok = area > 0
            out[t, ok, 0] = sx[ok] / area[ok]
            out[t, ok, 1] = sy[ok] / area[ok]
        return torch.from_numpy(out).float()

    def first_objects(self) -> ObjectSet:
        """Frame 0 as an :class:`ObjectSet` (objects absent from frame 0 cannot be represented)."""
        return ObjectSet(self.labels[0].long(), list(self.names))

    # ---- construction / transforms -----------------------------------------------------------
    @classmethod
    def still(cls, objects: ObjectSet, num_frames: int, fps: float = 16.0) -> "MaskTrajectory":
        """Every object stays where it is: the identity trajectory."""
        require(int(num_frames) >= 1, "num_frames", f"must be >= 1, got {num_frames}.")
        labels = objects.labels.to(torch.uint8).unsqueeze(0).repeat(int(num_frames), 1, 1)
        eye = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
        affines = eye.expand(int(num_frames), objects.num_objects, 2, 3).clone()
        anchors = objects.centroids().unsqueeze(0).repeat(int(num_frames), 1, 1)
        return cls(labels, list(objects.names), fps, anchors=anchors, affines=affines)

    def resized(self, height: int, width: int) -> "MaskTrajectory":
        """Nearest-neighbour resize; anchors and affines are rescaled to the new pixel grid.

        Every geometric field uses the pixel-centre convention, so after a resize an object's
        anchor is still its mask centroid (for scales that keep whole pixels) and its affine still
        maps frame-0 pixels onto the resized frame-t mask.
        """
        if (height, width) == (self.height, self.width):
            return self
        labels = F.interpolate(self.labels.unsqueeze(1).float(), size=(height, width), mode="nearest-exact")
        sx, sy = width / self.width, height / self.height
        # pixel-centre coordinates (integer = the centre of that pixel, as centroids are): pixel i
        # spans [i - 0.5, i + 0.5], so a point maps as p' = s * (p + 0.5) - 0.5. Anchors, affines
        # and the resized masks' centroids then agree.
        s = torch.tensor([sx, sy])
        anchors = None if self.anchors is None else (self.anchors + 0.5) * s - 0.5
        affines = None
        if self.affines is not None:
            # conjugate each frame-0 -> frame-t map by the same pixel-centre scaling
            scale = torch.tensor([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1.0]])
            inv = torch.linalg.inv(scale)
            full = torch.cat([self.affines, torch.tensor([0, 0, 1.0]).expand(*self.affines.shape[:2], 1, 3)], -2)
            affines = (scale @ full @ inv)[..., :2, :]
        return MaskTrajectory(
            labels.squeeze(1).to(torch.uint8),
            list(self.names),
            self.fps,
            anchors=anchors,
            visible=None,
            affines=affines,
            depth=self.depth,
            scores=dict(self.scores),
        )

    # ---- files -----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        save_tensors(
            path,
            {
                "labels": self.labels,
                "anchors": self.anchors,
                "visible": None if self.visible is None else self.visible.to(torch.uint8),
                "affines": self.affines,
                "depth": self.depth,
            },
            "MaskTrajectory",
            {"names": self.names, "fps": self.fps, "scores": self.scores},
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> "MaskTrajectory":
        t, meta = load_tensors(path, "MaskTrajectory")
        vis = t.get("visible")
        return cls(
            t["labels"],
            meta.get("names", []),
            meta.get("fps", 16.0),
            anchors=t.get("anchors"),
            visible=None if vis is None else vis.bool(),
            affines=t.get("affines"),
            depth=t.get("depth"),
            scores=meta.get("scores", {}),
        )

    def __repr__(self) -> str:
        return (
            f"MaskTrajectory({self.num_frames} frames, {self.width}x{self.height}, "
            f"objects={self.names}, fps={self.fps:g})"
        )
