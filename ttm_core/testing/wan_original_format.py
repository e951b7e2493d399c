"""Write diffusers Wan transformer weights with the original Wan key names ComfyUI files use.

Lets tests build offline the kind of single-file checkpoint users download for ComfyUI
(``diffusion_models/*.safetensors``, optionally with the ``model.diffusion_model.`` prefix).
"""

from __future__ import annotations

import torch

# diffusers name -> original name, applied in order (inverse of diffusers' single-file converter)
_RENAMES = [
    ("condition_embedder.time_embedder.linear_1", "time_embedding.0"),
    ("condition_embedder.time_embedder.linear_2", "time_embedding.2"),
    ("condition_embedder.text_embedder.linear_1", "text_embedding.0"),
    ("condition_embedder.text_embedder.linear_2", "text_embedding.2"),
    ("condition_embedder.time_proj", "time_projection.1"),
    ("condition_embedder.image_embedder.norm1", "img_emb.proj.0"),
    ("condition_embedder.image_embedder.ff.net.0.proj", "img_emb.proj.1"),
    ("condition_embedder.image_embedder.ff.net.2", "img_emb.proj.3"),
    ("condition_embedder.image_embedder.norm2", "img_emb.proj.4"),
    ("attn2", "cross_attn"),
    ("attn1", "self_attn"),
    (".to_out.0.", ".o."),
    (".to_q.", ".q."),
    (".to_k.", ".k."),
    (".to_v.", ".v."),
    (".add_k_proj.", ".k_img."),
    (".add_v_proj.", ".v_img."),
    (".norm_added_k.", ".norm_k_img."),
    ("ffn.net.0.proj", "ffn.0"),
    ("ffn.net.2", "ffn.2"),
    (".norm2.", ".norm__swap."),
    (".norm3.", ".norm2."),
    (".norm__swap.", ".norm3."),
]


def to_original_wan_keys(state: dict[str, torch.Tensor], prefix: str = "") -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        new = key
        if new == "scale_shift_table":
            new = "head.modulation"
        elif new.startswith("proj_out."):
            new = "head.head." + new[len("proj_out.") :]
        elif new.endswith(".scale_shift_table"):
            new = new.replace(".scale_shift_table", ".modulation")
        for a, b in _RENAMES:
            new = new.replace(a, b)
        out[prefix + new] = value.clone()
    return out
