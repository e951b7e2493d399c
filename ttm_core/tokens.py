"""Reduce a pixel label video to the transformer's token grid.

Wan's VAE folds pixel frames 1+4(j-1)..4j into latent frame j (frame 0 alone into latent frame
0) and the patch embedding folds ``cell x cell`` pixels into one token, so each token gets the
label that covers most of its pixels over those frames. Tokens are ordered (t, h, w), as Wan
flattens them.
"""

from __future__ import annotations

import torch

from .errors import require


def latent_frame_count(num_frames: int, temporal_factor: int = 4) -> int:
    return (int(num_frames) - 1) // temporal_factor + 1


def token_label_grid(
    labels: torch.Tensor,
    cell: int | tuple[int, int],
    temporal_factor: int = 4,
    num_labels: int | None = None,
) -> torch.Tensor:
    """Majority label per token: ``[T, H, W]`` uint8 -> ``[F', H/ch, W/cw]`` long.

    Ties go to the lower label (background first), so the result is deterministic. Memory stays
    at one float per pixel per label pass; no one-hot video is built.
    """
    require(labels.ndim == 3, "labels", f"expected [T, H, W], got shape {tuple(labels.shape)}.")
    ch, cw = (cell, cell) if isinstance(cell, int) else cell
    t, h, w = labels.shape
    require(
        (t - 1) % temporal_factor == 0,
        "trajectory",
        f"has {t} frames; Wan needs 4k+1 frames (e.g. {max(1, (t - 1) // 4 * 4 + 1)} or {(t - 1) // 4 * 4 + 5}).",
        "regenerate the trajectory with a valid frame count.",
    )
    require(
        h % ch == 0 and w % cw == 0,
        "trajectory",
        f"size {w}x{h} is not a multiple of the token cell {cw}x{ch}.",
        "resize the trajectory to the generation size.",
    )
    k = int(labels.max()) if num_labels is None else int(num_labels)
    f = latent_frame_count(t, temporal_factor)
    gh, gw = h // ch, w // cw
    best_count = torch.full((f, gh, gw), -1.0)
    best_label = torch.zeros((f, gh, gw), dtype=torch.long)
    for lab in range(k + 1):
        ind = (labels == lab).to(torch.float32)
        first = ind[:1].view(1, gh, ch, gw, cw).sum((2, 4))
        if f > 1:
            rest = ind[1:].view(f - 1, temporal_factor, gh, ch, gw, cw).sum((1, 3, 5))
            count = torch.cat([first, rest], 0)
        else:
            count = first
        better = count > best_count
        best_count = torch.where(better, count, best_count)
        best_label = torch.where(better, torch.full_like(best_label, lab), best_label)
    return best_label


def token_labels(
    labels: torch.Tensor,
    cell: int | tuple[int, int],
    temporal_factor: int = 4,
    num_labels: int | None = None,
) -> torch.Tensor:
    """Flat ``[N]`` token labels in Wan's (t, h, w) order."""
    return token_label_grid(labels, cell, temporal_factor, num_labels).flatten()
