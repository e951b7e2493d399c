"""Masked self- and cross-attention processors for diffusers' ``WanAttention``.

Both fall back to the stock processor they replace whenever they are inactive (another step,
another block, or a blend weight of 0), so with guidance off the model runs bit-for-bit as
stock.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .grouped import TokenGroups, sdpa_bshd
from .one_pass import blended_self_attention, diffusers_attention
from .schedule import GuidanceState
from .wan_ops import (
    apply_rotary,
    output_projection,
    project_image_kv,
    project_kv,
    project_query,
    project_qkv_self,
    split_image_context,
)


class MaskedSelfAttnProcessor:
    """``attn1``: ``(1 - beta) * full + beta * same_object`` after RoPE."""

    def __init__(self, base, groups: TokenGroups, beta: float, state: GuidanceState, on_uncond: bool = True):
        self.base = base
        self.groups = groups
        self.beta = float(beta)
        self.state = state
        self.on_uncond = on_uncond
        self._attention_backend = getattr(base, "_attention_backend", None)

    def active(self) -> bool:
        return self.beta > 0 and self.state.step_active() and (self.state.conditional or self.on_uncond)

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, rotary_emb=None, **kw):
        if not self.active() or attention_mask is not None:
            return self.base(attn, hidden_states, encoder_hidden_states, attention_mask, rotary_emb, **kw)
        self.state.calls["self"] += 1
        query, key, value = project_qkv_self(attn, hidden_states)
        if rotary_emb is not None:
            query, key = apply_rotary(query, rotary_emb), apply_rotary(key, rotary_emb)
        attention = diffusers_attention(self._attention_backend)  # None: plain SDPA, one pass
        out = blended_self_attention(query, key, value, self.groups, self.beta, attention)
        return output_projection(attn, out, query)


@dataclass
class LocalContext:
    """One object's local prompt, already projected by this transformer's text embedder."""

    label: int
    embeds: torch.Tensor  # [B, L_valid, inner_dim], padding tokens removed


class MaskedCrossAttnProcessor:
    """``attn2``: tokens of object k get ``(1 - beta) * attn(global) + beta * attn(local_k)``.

    Background and objects without a local prompt keep the global prompt; Wan 2.1's image
    branch is added unchanged to every token; only the conditional CFG pass is changed.
    """

    def __init__(self, base, groups: TokenGroups, locals_: list[LocalContext], beta: float, state: GuidanceState):
        self.base = base
        self.groups = groups
        self.locals = locals_
        self.beta = float(beta)
        self.state = state
        self._attention_backend = getattr(base, "_attention_backend", None)

    def active(self) -> bool:
        return self.beta > 0 and bool(self.locals) and self.state.conditional and self.state.step_active()

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, rotary_emb=None, **kw):
        if not self.active() or attention_mask is not None or encoder_hidden_states is None:
            return self.base(attn, hidden_states, encoder_hidden_states, attention_mask, rotary_emb, **kw)
        self.state.calls["cross"] += 1
        image_context, text_context = split_image_context(attn, encoder_hidden_states)
        query = project_query(attn, hidden_states)
        key, value = project_kv(attn, text_context)
        out = sdpa_bshd(query, key, value, self._attention_backend).type_as(query)
        groups = self.groups.to(query.device)
        if query.shape[1] != groups.num_tokens:
            raise RuntimeError(
                f"masked cross-attention got {query.shape[1]} tokens, expected {groups.num_tokens}"
            )
        for local in self.locals:
            idx = groups.get(local.label)
            if idx is None:  # object absent from the token grid at this resolution
                continue
            ctx = local.embeds.to(device=query.device, dtype=text_context.dtype)
            if ctx.shape[0] != query.shape[0]:
                ctx = ctx.expand(query.shape[0], -1, -1)
            k_loc, v_loc = project_kv(attn, ctx)
            q_obj = query.index_select(1, idx)
            res = sdpa_bshd(q_obj, k_loc, v_loc, self._attention_backend).type_as(out)
            out.index_copy_(1, idx, torch.lerp(out.index_select(1, idx), res, self.beta))
        if image_context is not None:
            k_img, v_img = project_image_kv(attn, image_context)
            img = sdpa_bshd(query, k_img, v_img, self._attention_backend).type_as(query)
            out = out.flatten(2, 3) + img.flatten(2, 3)
            out = out.unflatten(2, (attn.heads, -1))
        return output_projection(attn, out, query)
