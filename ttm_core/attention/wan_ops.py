"""The pieces of diffusers' ``WanAttnProcessor`` our processors re-use, in its exact order.

Kept in one place so the masked processors compute q/k/v, RoPE and the image branch the way the
stock processor does (diffusers >= 0.35 layout: [B, S, heads, dim], RoPE as (cos, sin)).
"""

from __future__ import annotations

import torch

# diffusers hard-codes the text context to the last 512 tokens when Wan 2.1's image branch is on
WAN_TEXT_CONTEXT = 512


def split_image_context(attn, encoder_hidden_states: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor]:
    """Wan 2.1 I2V prepends CLIP image tokens to the text tokens; split them as stock does."""
    if getattr(attn, "add_k_proj", None) is None:
        return None, encoder_hidden_states
    n_img = encoder_hidden_states.shape[1] - WAN_TEXT_CONTEXT
    return encoder_hidden_states[:, :n_img], encoder_hidden_states[:, n_img:]


def project_query(attn, hidden_states: torch.Tensor) -> torch.Tensor:
    """The query of a cross-attention layer: fusing never touches ``to_q`` there (only k/v)."""
    return attn.norm_q(attn.to_q(hidden_states)).unflatten(2, (attn.heads, -1))


def project_qkv_self(attn, hidden_states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    if getattr(attn, "fused_projections", False):
        query, key, value = attn.to_qkv(hidden_states).chunk(3, dim=-1)
    else:
        query, key, value = attn.to_q(hidden_states), attn.to_k(hidden_states), attn.to_v(hidden_states)
    query, key = attn.norm_q(query), attn.norm_k(key)
    return (
        query.unflatten(2, (attn.heads, -1)),
        key.unflatten(2, (attn.heads, -1)),
        value.unflatten(2, (attn.heads, -1)),
    )


def project_kv(attn, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Keys/values of a text context (global or local prompt) for a cross-attention layer."""
    if getattr(attn, "fused_projections", False):
        key, value = attn.to_kv(context).chunk(2, dim=-1)
    else:
        key, value = attn.to_k(context), attn.to_v(context)
    key = attn.norm_k(key)
    return key.unflatten(2, (attn.heads, -1)), value.unflatten(2, (attn.heads, -1))


def project_image_kv(attn, image_context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if getattr(attn, "fused_projections", False):
        key, value = attn.to_added_kv(image_context).chunk(2, dim=-1)
    else:
        key, value = attn.add_k_proj(image_context), attn.add_v_proj(image_context)
    key = attn.norm_added_k(key)
    return key.unflatten(2, (attn.heads, -1)), value.unflatten(2, (attn.heads, -1))


def apply_rotary(x: torch.Tensor, rotary_emb: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Wan's interleaved-pair RoPE, identical arithmetic to the stock processor."""
    freqs_cos, freqs_sin = rotary_emb
    x1, x2 = x.unflatten(-1, (-1, 2)).unbind(-1)
    cos = freqs_cos[..., 0::2]
    sin = freqs_sin[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = x1 * cos - x2 * sin
    out[..., 1::2] = x1 * sin + x2 * cos
    return out.type_as(x)


def output_projection(attn, heads_out: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    hidden = heads_out.flatten(2, 3).type_as(like)
    hidden = attn.to_out[0](hidden)
    return attn.to_out[1](hidden)
