"""Tiny first-frame object sets shared by the motion mutant tests: one or two 2 x 2 blocks on a
6 x 8 frame (not square, so a swapped width/height shows)."""

from __future__ import annotations

import torch

from ttm_core import ObjectSet

H, W = 6, 8


def two_objects() -> ObjectSet:
    labels = torch.zeros(H, W, dtype=torch.long)
    labels[1:3, 1:3] = 1  # a: 2 x 2, centroid (1.5, 1.5)
    labels[3:5, 5:7] = 2  # b: 2 x 2, centroid (5.5, 3.5)
    return ObjectSet(labels, ["a", "b"])


def one_object() -> ObjectSet:
    labels = torch.zeros(H, W, dtype=torch.long)
    labels[1:3, 1:3] = 1
    return ObjectSet(labels, ["a"])


def block(y0: int, x0: int, size: int = 2) -> torch.Tensor:
    m = torch.zeros(H, W, dtype=torch.bool)
    m[y0 : y0 + size, x0 : x0 + size] = True
    return m
