"""Similarity transforms about an object's centroid, in the pixel-centre convention.

Convention used across the whole repository (plan keyframes, paths, the reference video):
- coordinates are pixels, x right, y down, and integer coordinates are pixel *centres*
  (pixel (row i, column j) is the point (x=j, y=i)), exactly as :class:`MaskTrajectory` documents;
- ``rot`` is in degrees and **positive turns clockwise as seen on screen** (as CSS ``rotate``
  and as the prompt decomposition writes it; the opposite sign of OpenCV's
  ``getRotationMatrix2D``): a point to the right of the centroid moves down;
- ``scale`` multiplies sizes about the centroid; ``dx``/``dy`` move the centroid (pixels here).

A frame-0 point ``p`` lands at ``A (p - c) + c + d`` with ``A = scale * [[cos, -sin], [sin, cos]]``
(the usual rotation matrix, which turns clockwise on screen because y points down).
"""

from __future__ import annotations

import math

import torch


def similarity_affines(
    centroids: torch.Tensor,
    shift: torch.Tensor,
    scale: torch.Tensor,
    rot_degrees: torch.Tensor,
) -> torch.Tensor:
    """``[T, K, 2, 3]`` frame-0 -> frame-t maps.

    ``centroids`` ``[K, 2]``; ``shift`` ``[T, K, 2]`` pixels; ``scale`` and ``rot_degrees`` ``[T, K]``.
    """
    c = centroids.to(torch.float64).unsqueeze(0)  # [1, K, 2]
    theta = rot_degrees.to(torch.float64) * (math.pi / 180.0)
    s = scale.to(torch.float64)
    a = s * torch.cos(theta)
    b = s * torch.sin(theta)
    lin = torch.stack([torch.stack([a, -b], -1), torch.stack([b, a], -1)], -2)  # [T, K, 2, 2]
    trans = c + shift.to(torch.float64) - (lin @ c.unsqueeze(-1)).squeeze(-1)
    return torch.cat([lin, trans.unsqueeze(-1)], -1)


def apply_affine(affine: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Map points ``[..., 2]`` with a broadcastable ``[..., 2, 3]`` affine."""
    affine = affine.to(torch.float64)
    pts = points.to(torch.float64)
    return (affine[..., :2] @ pts.unsqueeze(-1)).squeeze(-1) + affine[..., 2]


def is_identity(affine: torch.Tensor, tol: float = 1e-9) -> bool:
    eye = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=affine.dtype)
    return bool((affine - eye).abs().max() <= tol)
