"""Replacement ``forward``s for native Wan attention layers: the thin ComfyUI adapter.

Each replays the stock forward of ``comfy.ldm.wan.model`` (projections, q/k norms, RoPE, image
branch, output projection) and hands the attention itself to the shared math in
``ttm_core.attention``. Inactive (no per-call state from our wrapper) they call the forward they
replaced with the very same arguments, so stock behaviour is untouched bit for bit.
"""

from __future__ import annotations

from typing import Callable

import torch

from ...ttm_core.attention.grouped import AttentionFn, blend_grouped_attention
from ...ttm_core.attention.local_blend import blend_local_prompts


def comfy_attention(heads: int, transformer_options: dict) -> AttentionFn:
    """ComfyUI's attention on [B, N, heads, dim], looked up now (not at import).

    ``comfy.ldm.wan.model.optimized_attention`` is what the stock layers call: the CLI choice
    (sage/flash/pytorch/...), another pack's replacement of it, and
    ``transformer_options["optimized_attention_override"]`` all apply to our extra calls.
    """
    import comfy.ldm.wan.model as wan

    attention = wan.optimized_attention

    def run(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        b, n = q.shape[:2]
        out = attention(q.reshape(b, n, -1), k.reshape(b, k.shape[1], -1), v.reshape(b, v.shape[1], -1),
                        heads=heads, transformer_options=transformer_options)
        return out.view(b, n, heads, -1)

    return run


def make_self_forward(key: str, block: int, module, previous: Callable) -> Callable:
    """``self_attn.forward(x, freqs, transformer_options)`` with ``(1-b)*full + b*same_object``."""

    def forward(*args, **kwargs):
        transformer_options = kwargs.get("transformer_options", {})
        state = transformer_options.get(key) if isinstance(transformer_options, dict) else None
        if state is None or not state.self_active(block):
            return previous(*args, **kwargs)
        import comfy.ldm.wan.model as wan

        x, freqs = args[0], args[1] if len(args) > 1 else kwargs["freqs"]
        b, s, n, d = *x.shape[:2], module.num_heads, module.head_dim
        state.check_tokens(s)
        q = wan.apply_rope1(module.norm_q(module.q(x)).view(b, s, n, d), freqs)
        k = wan.apply_rope1(module.norm_k(module.k(x)).view(b, s, n, d), freqs)
        v = module.v(x).view(b, s, n, d)
        attention = comfy_attention(n, transformer_options)
        full = attention(q, k, v) if state.beta_self < 1.0 else None
        out = blend_grouped_attention(q, k, v, state.groups, full, state.beta_self, attention)
        state.note(block, "self")
        return module.o(out.reshape(b, s, n * d))

    forward._ttm_key = key
    return forward


def make_cross_forward(key: str, block: int, module, previous: Callable) -> Callable:
    """``cross_attn.forward``: object tokens of the positive rows blend in their local prompt."""
    has_image = hasattr(module, "k_img")

    def forward(*args, **kwargs):
        transformer_options = kwargs.get("transformer_options", {})
        state = transformer_options.get(key) if isinstance(transformer_options, dict) else None
        if state is None or not state.cross_active(block):
            return previous(*args, **kwargs)
        x = args[0]
        context = args[1] if len(args) > 1 else kwargs["context"]
        b, s, n, d = *x.shape[:2], module.num_heads, module.head_dim
        state.check_tokens(s)
        context_img = None
        if has_image:
            img_len = args[2] if len(args) > 2 else kwargs["context_img_len"]
            context_img, context = context[:, :img_len], context[:, img_len:]
        q = module.norm_q(module.q(x))
        k = module.norm_k(module.k(context))
        v = module.v(context)
        attention = comfy_attention(n, transformer_options)
        out = attention(q.view(b, s, n, d), k.view(b, -1, n, d), v.view(b, -1, n, d))

        def project_kv(ctx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            ctx = ctx.to(dtype=context.dtype)
            return module.norm_k(module.k(ctx)).unflatten(2, (n, d)), module.v(ctx).unflatten(2, (n, d))

        blend_local_prompts(q.view(b, s, n, d), out, state.groups, state.locals, state.beta_cross, attention,
                            project_kv, rows=state.rows)
        out = out.reshape(b, s, n * d)
        if context_img is not None:
            k_img = module.norm_k_img(module.k_img(context_img))
            v_img = module.v_img(context_img)
            out = out + attention(q.view(b, s, n, d), k_img.view(b, -1, n, d), v_img.view(b, -1, n, d)).reshape(b, s, n * d)
        state.note(block, "cross")
        return module.o(out)

    forward._ttm_key = key
    return forward
