"""Masked self- and cross-attention processors for diffusers' ``WanAttention``.

Both fall back to the stock processor they replace whenever they are inactive (another step,
another block, or a blend weight of 0), so with guidance off the model runs bit-for-bit as
stock.
"""

from __future__ import annotations

from functools import partial

import torch

from .grouped import AttentionFn, TokenGroups, sdpa_bshd
from .local_blend import LocalContext, blend_local_prompts
from .one_pass import blended_self_attention, one_pass_or_backend
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


def diffusers_attention(backend=None) -> AttentionFn:
    """The attention diffusers' stock processor runs (its dispatcher, the layer's backend)."""
    return partial(sdpa_bshd, backend=backend)


class MaskedSelfAttnProcessor:
    """``attn1``: ``(1 - beta) * full + beta * same_object`` after RoPE."""

    def __init__(self, base, groups: TokenGroups, beta: float, state: GuidanceState, on_uncond: bool = True):
        self.base = base
        self.groups = groups
        self.beta = float(beta)
        self.state = state
        self.on_uncond = on_uncond
        self.backend = getattr(base, "_attention_backend", None)

    def active(self) -> bool:
        return self.beta > 0 and self.state.step_active() and (self.state.conditional or self.on_uncond)

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, rotary_emb=None, **kw):
        if not self.active() or attention_mask is not None:
            return self.base(attn, hidden_states, encoder_hidden_states, attention_mask, rotary_emb, **kw)
        self.state.calls["self"] += 1
        query, key, value = project_qkv_self(attn, hidden_states)
        if rotary_emb is not None:
            query = apply_rotary(query, rotary_emb)  # one at a time, as stock: one q-sized buffer less at the peak
            key = apply_rotary(key, rotary_emb)
        attention = one_pass_or_backend(self.backend)  # None: plain SDPA, one pass over the keys
        out = blended_self_attention(query, key, value, self.groups, self.beta, attention)
        return output_projection(attn, out, query)


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
        self.attention = diffusers_attention(getattr(base, "_attention_backend", None))

    def active(self) -> bool:
        return self.beta > 0 and bool(self.locals) and self.state.conditional and self.state.step_active()

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, rotary_emb=None, **kw):
        if not self.active() or attention_mask is not None or encoder_hidden_states is None:
            return self.base(attn, hidden_states, encoder_hidden_states, attention_mask, rotary_emb, **kw)
        self.state.calls["cross"] += 1
        image_context, text_context = split_image_context(attn, encoder_hidden_states)
        query = project_query(attn, hidden_states)
        key, value = project_kv(attn, text_context)
        out = self.attention(query, key, value).type_as(query)
        dtype = text_context.dtype
        blend_local_prompts(query, out, self.groups, self.locals, self.beta, self.attention,
                            lambda ctx: project_kv(attn, ctx.to(dtype)))
        if image_context is not None:
            k_img, v_img = project_image_kv(attn, image_context)
            img = self.attention(query, k_img, v_img).type_as(query)
            out = out.flatten(2, 3) + img.flatten(2, 3)
            out = out.unflatten(2, (attn.heads, -1))
        return output_projection(attn, out, query)
