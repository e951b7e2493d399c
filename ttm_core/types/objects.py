"""`ObjectSet`: the first-frame instance segmentation ``s0`` that every stage starts from."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import torch

from ..errors import TTMInputError, require
from ._checks import (
    MAX_OBJECTS,
    as_label_tensor,
    as_tensor,
    check_names,
    default_names,
    load_tensors,
    save_tensors,
)


@dataclass(eq=False)
class ObjectSet:
    """First-frame objects as one label map (0 = background, ``k`` = ``names[k-1]``).

    One label per pixel means objects can never overlap; whoever builds an ``ObjectSet`` from
    overlapping masks decides who is on top (:meth:`from_masks`).
    """

    labels: torch.Tensor
    names: list[str] = field(default_factory=list)
    scores: list[float] | None = None

    def __post_init__(self) -> None:
        self.labels = as_label_tensor(self.labels, "labels", ndim=2, dtype=torch.long)
        count = int(self.labels.max())
        if not self.names:
            self.names = default_names(count)
        self.names = check_names(self.names, None)
        require(
            count <= len(self.names),
            "labels",
            f"contain label {count} but only {len(self.names)} names were given.",
            "give one name per object or relabel the map to 0..K.",
        )
        present = torch.bincount(self.labels.flatten(), minlength=len(self.names) + 1)[1:]
        empty = [n for n, c in zip(self.names, present.tolist()) if c == 0]
        require(
            not empty,
            "labels",
            f"object(s) {empty} have an empty mask.",
            "remove those names or give them at least one pixel.",
        )
        if self.scores is not None:
            self.scores = [float(s) for s in self.scores]
            require(len(self.scores) == len(self.names), "scores", "need one score per object.")

    # ---- shape -----------------------------------------------------------------------------
    @property
    def height(self) -> int:
        return int(self.labels.shape[0])

    @property
    def width(self) -> int:
        return int(self.labels.shape[1])

    @property
    def num_objects(self) -> int:
        return len(self.names)

    # ---- views -----------------------------------------------------------------------------
    def index(self, name: str) -> int:
        """1-based label of ``name``."""
        if name not in self.names:
            raise TTMInputError("name", f"no object named {name!r}; objects are {self.names}.")
        return self.names.index(name) + 1

    def masks(self) -> torch.Tensor:
        """Bool masks ``[K, H, W]`` in label order."""
        ids = torch.arange(1, self.num_objects + 1).view(-1, 1, 1)
        return self.labels.unsqueeze(0) == ids

    def mask(self, name: str) -> torch.Tensor:
        return self.labels == self.index(name)

    def areas(self) -> torch.Tensor:
        return torch.bincount(self.labels.flatten(), minlength=self.num_objects + 1)[1:]

    def centroids(self) -> torch.Tensor:
        """Mask centroids ``[K, 2]`` as (x, y) pixel coordinates (pixel centres)."""
        masks = self.masks().float()
        ys = torch.arange(self.height, dtype=torch.float32).view(1, -1, 1)
        xs = torch.arange(self.width, dtype=torch.float32).view(1, 1, -1)
        area = masks.sum((1, 2)).clamp_min(1)
        return torch.stack([(masks * xs).sum((1, 2)) / area, (masks * ys).sum((1, 2)) / area], dim=-1)

    def bboxes(self) -> torch.Tensor:
        """Tight boxes ``[K, 4]`` as (x0, y0, x1, y1), inclusive-exclusive."""
        out = []
        for m in self.masks():
            ys, xs = torch.nonzero(m, as_tuple=True)
            out.append([int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1])
        return torch.tensor(out, dtype=torch.long).view(-1, 4)

    # ---- construction ----------------------------------------------------------------------
    @classmethod
    def from_masks(
        cls,
        masks: Any,
        names: Sequence[str] | None = None,
        scores: Sequence[float] | None = None,
        *,
        drop_empty: bool = False,
        input_name: str = "masks",
    ) -> "ObjectSet":
        """Compose possibly overlapping masks ``[K, H, W]`` into one label map.

        Where masks overlap, the higher score wins; equal scores put the smaller mask on top
        (a ball in front of the person holding it). ``drop_empty`` silently drops objects that
        end up with no pixels (automatic mode); otherwise that is an error naming the object.
        """
        m = as_tensor(masks, input_name)
        if m.ndim == 2:
            m = m.unsqueeze(0)
        require(m.ndim == 3, input_name, f"expected [K, H, W] masks, got shape {tuple(m.shape)}.")
        if m.is_floating_point():
            require(bool(torch.isfinite(m).all()), input_name, "contains NaN or infinite values.")
            m = m > 0.5
        else:
            m = m != 0
        k = m.shape[0]
        require(k <= MAX_OBJECTS, input_name, f"at most {MAX_OBJECTS} objects are supported, got {k}.")
        names = list(names) if names else default_names(k)
        names = check_names(names, k, "names")
        score_t = torch.zeros(k) if scores is None else torch.as_tensor(list(scores), dtype=torch.float32)
        require(score_t.numel() == k, "scores", f"{score_t.numel()} scores given for {k} masks.")
        areas = m.flatten(1).sum(1)
        # paint from the bottom up: lowest score first; among equal scores the largest first
        order = sorted(range(k), key=lambda i: (float(score_t[i]), -int(areas[i])))
        labels = torch.zeros(m.shape[1:], dtype=torch.long)
        for i in order:
            labels[m[i]] = i + 1
        kept = torch.bincount(labels.flatten(), minlength=k + 1)[1:]
        empty = [i for i in range(k) if kept[i] == 0]
        if empty and not drop_empty:
            which = [names[i] for i in empty]
            why = "are empty" if all(areas[i] == 0 for i in empty) else "are empty or fully covered by other objects"
            raise TTMInputError(input_name, f"mask(s) for {which} {why}.", "remove them or redraw the masks.")
        keep = [i for i in range(k) if kept[i] > 0]
        remap = torch.zeros(k + 1, dtype=torch.long)
        for new, old in enumerate(keep, start=1):
            remap[old + 1] = new
        return cls(
            labels=remap[labels],
            names=[names[i] for i in keep],
            scores=None if scores is None else [float(score_t[i]) for i in keep],
        )

    def with_names(self, names: Sequence[str]) -> "ObjectSet":
        return ObjectSet(self.labels.clone(), check_names(list(names), self.num_objects), self.scores)

    # ---- files -----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        save_tensors(
            path,
            {"labels": self.labels.to(torch.uint8)},
            "ObjectSet",
            {"names": self.names, "scores": self.scores},
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> "ObjectSet":
        tensors, meta = load_tensors(path, "ObjectSet")
        return cls(tensors["labels"].long(), meta.get("names", []), meta.get("scores"))

    def __repr__(self) -> str:
        return f"ObjectSet({self.width}x{self.height}, objects={self.names})"
