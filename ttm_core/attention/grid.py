"""Token labels for the latent a sampler actually runs, with a named error when they disagree.

Native samplers take the video size from the LATENT, not from our inputs, so the trajectory is
checked against the latent's shape at the first model call: same frame count (F' = (T-1)/4+1)
and the same pixel size (latent size times the VAE stride).
"""

from __future__ import annotations

import torch

from ..errors import TTMInputError
from ..tokens import latent_frame_count, token_labels

# latent channels -> (spatial, temporal) VAE stride of the Wan VAEs
WAN_VAE_STRIDES = {16: (8, 4), 48: (16, 4)}


def latent_token_labels(
    labels: torch.Tensor,
    latent_shape: tuple[int, ...],
    spatial_stride: int,
    patch: tuple[int, int, int] = (1, 2, 2),
    temporal_stride: int = 4,
    num_labels: int | None = None,
) -> torch.Tensor:
    """Flat (t, h, w) labels ``[N]`` for a latent ``[B, C, F', h, w]``; TTMInputError on mismatch."""
    frames, height, width = (int(s) for s in latent_shape[-3:])
    t, h, w = (int(s) for s in labels.shape)
    want_t = (frames - 1) * temporal_stride + 1
    want_h, want_w = height * spatial_stride, width * spatial_stride
    if latent_frame_count(t, temporal_stride) != frames or (t - 1) % temporal_stride or (h, w) != (want_h, want_w):
        raise TTMInputError(
            "trajectory",
            f"is {w}x{h} px with {t} frames, but the sampled latent {tuple(latent_shape)} is a "
            f"{want_w}x{want_h} px video with {want_t} frames.",
            f"make the latent (e.g. the video node's width/height/length) {w}x{h} with {t} frames, "
            f"or build the trajectory at {want_w}x{want_h} with {want_t} frames.",
        )
    pt, ph, pw = patch
    if pt != 1 or height % ph or width % pw:
        raise TTMInputError(
            "trajectory",
            f"the latent {height}x{width} is not a multiple of the model's patch size {ph}x{pw}.",
            f"use a video size that is a multiple of {spatial_stride * ph} px.",
        )
    cell = (spatial_stride * ph, spatial_stride * pw)
    return token_labels(labels, cell, temporal_stride, num_labels)

