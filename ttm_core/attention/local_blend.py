"""Per-object local prompts in cross-attention, independent of the framework running the model.

For the tokens of object k with a local prompt: ``out = (1 - beta) * attn(global) + beta *
attn(local_k)``. Background and objects without a local prompt keep the global prompt. Each
adapter passes its attention function and a key/value projection of the layer being run, so
diffusers' processors and ComfyUI's native patches share this one loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from .grouped import AttentionFn, TokenGroups, check_token_count

KVProjection = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""``project_kv(context [B, L, C]) -> (k, v)`` each [B, L, heads, dim], with this layer's weights."""


@dataclass
class LocalContext:
    """One object's local prompt, already projected by this model's text embedding."""

    label: int
    embeds: torch.Tensor  # [1 or B, L_valid, inner_dim], padding tokens removed


def strip_padding(embeds: torch.Tensor) -> torch.Tensor:
    """Drop trailing all-zero token rows of a ``[B, L, C]`` text encoding (keeps at least one).

    UMT5 outputs exactly zero rows for padding; both paths drop them from local prompts so a
    local prompt attends over its own words only (the diffusers path drops them by the
    tokenizer's attention mask, which gives the same rows).
    """
    nonzero = embeds.ne(0).any(dim=-1).any(dim=0)  # [L]
    if not bool(nonzero.any()):
        return embeds[:, :1]
    last = int(torch.nonzero(nonzero).max()) + 1
    return embeds[:, :last]


def blend_local_prompts(
    query: torch.Tensor,
    out: torch.Tensor,
    groups: TokenGroups,
    locals_: Sequence[LocalContext],
    beta: float,
    attention: AttentionFn,
    project_kv: KVProjection,
    rows: torch.Tensor | None = None,
) -> torch.Tensor:
    """Blend each object's local-prompt attention into ``out`` (updated in place and returned).

    ``query`` / ``out`` are [B, N, heads, dim]; ``rows`` (batch indices, e.g. the positive
    prompt's rows of a batched cond/uncond call) limits the change to those rows; ``None``: all.
    """
    check_token_count(query.shape[1], groups, "masked cross-attention")
    groups = groups.to(query.device)
    if rows is not None:
        rows = rows.to(query.device)
        if rows.numel() == 0:
            return out
    target = out if rows is None else out.index_select(0, rows)
    for local in locals_:
        idx = groups.get(local.label)
        if idx is None:  # object absent from the token grid at this resolution
            continue
        q_obj = query.index_select(1, idx)
        if rows is not None:
            q_obj = q_obj.index_select(0, rows)
        ctx = local.embeds.to(device=query.device)
        if ctx.shape[0] != q_obj.shape[0]:
            ctx = ctx.expand(q_obj.shape[0], -1, -1)
        k_loc, v_loc = project_kv(ctx)
        res = attention(q_obj, k_loc, v_loc).type_as(target)
        target.index_copy_(1, idx, torch.lerp(target.index_select(1, idx), res, beta))
    if rows is not None:
        out.index_copy_(0, rows, target)
    return out
