"""Exact block-diagonal ("same object") attention without an N x N mask.

Token i may attend to token j only when both carry the same label. Grouping tokens by label and
running one dense attention per group computes exactly that, with extra memory linear in N
(one group's gathered q/k/v at a time) and fewer FLOPs than full attention (sum of n_k^2 <= N^2).
A dense boolean mask would cost N^2 bytes (>1 GB at 480p/81 frames) and knock SDPA off its
fast kernels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch


@dataclass
class TokenGroups:
    """Token indices per label, built once per sampling call and reused by every block."""

    num_tokens: int
    labels: list[int]
    index: list[torch.Tensor]

    @classmethod
    def from_labels(cls, labels: torch.Tensor) -> "TokenGroups":
        labels = labels.flatten().long()
        order = torch.argsort(labels, stable=True)
        counts = torch.bincount(labels)
        index, present = [], []
        start = 0
        for lab, n in enumerate(counts.tolist()):
            if n:
                index.append(order[start : start + n].contiguous())
                present.append(lab)
            start += n
        return cls(num_tokens=int(labels.numel()), labels=present, index=index)

    @property
    def is_single_group(self) -> bool:
        return len(self.index) == 1

    def get(self, label: int) -> torch.Tensor | None:
        try:
            return self.index[self.labels.index(label)]
        except ValueError:
            return None

    def to(self, device: torch.device) -> "TokenGroups":
        if all(i.device == device for i in self.index):
            return self
        return TokenGroups(self.num_tokens, list(self.labels), [i.to(device) for i in self.index])


AttentionFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
"""``attention(q, k, v) -> out`` on [B, N, heads, dim] tensors (no mask, no dropout).

Each adapter passes the attention its framework would run (diffusers' dispatcher, ComfyUI's
``optimized_attention``), so the user's backend choice applies to our extra calls too.
"""


def sdpa_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Plain PyTorch SDPA on the [B, N, heads, dim] layout (the framework-free default)."""
    out = torch.nn.functional.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
    return out.transpose(1, 2)


def sdpa_bshd(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, backend=None) -> torch.Tensor:
    """Attention on diffusers' [B, S, heads, dim] layout through diffusers' dispatcher when present.

    Using the dispatcher keeps whatever backend the user selected (flash, sage, ...) for our
    extra attention calls too.
    """
    try:
        from diffusers.models.attention_dispatch import dispatch_attention_fn
    except ImportError:  # pragma: no cover - very old diffusers
        return sdpa_attention(q, k, v)
    return dispatch_attention_fn(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, backend=backend)


def check_token_count(num_tokens: int, groups: TokenGroups, what: str = "masked attention") -> None:
    """The token grid built from the trajectory must match the tokens the model attends over."""
    if num_tokens != groups.num_tokens:
        raise RuntimeError(
            f"{what} got {num_tokens} tokens but the trajectory was reduced to "
            f"{groups.num_tokens}; the token grid and the latent size disagree"
        )


def blend_grouped_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    groups: TokenGroups,
    full: torch.Tensor | None,
    beta: float,
    attention: AttentionFn | None = None,
) -> torch.Tensor:
    """``(1 - beta) * full + beta * same_object`` on [B, N, heads, dim] tensors.

    ``full`` is the ordinary attention output (may be None when ``beta == 1``); it is updated in
    place group by group, so peak extra memory is one group's q/k/v/out. ``attention`` runs
    every partial call (``None``: plain PyTorch SDPA).
    """
    attention = attention or sdpa_attention
    check_token_count(q.shape[1], groups)
    groups = groups.to(q.device)
    if full is None:
        if beta != 1.0:
            raise ValueError("full attention output is needed when beta < 1")
        out = torch.empty_like(q)
    else:
        out = full
    if groups.is_single_group:
        # every token shares one label: same-object attention *is* full attention
        return out if full is not None else attention(q, k, v)
    for idx in groups.index:
        res = attention(q.index_select(1, idx), k.index_select(1, idx), v.index_select(1, idx))
        if full is not None and beta != 1.0:
            res = torch.lerp(out.index_select(1, idx), res.to(out.dtype), beta)
        out.index_copy_(1, idx, res.to(out.dtype))
    return out
