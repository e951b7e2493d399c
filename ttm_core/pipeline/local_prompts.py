"""Encode per-object local prompts once, with the pipeline's own tokenizer and text encoder."""

from __future__ import annotations

import torch


def encode_local_prompts(pipe, prompts: dict[int, str], device, max_sequence_length: int = 512) -> dict[int, torch.Tensor]:
    """Label -> T5 hidden states ``[1, L_valid, text_dim]`` with padding tokens dropped.

    Cleaning, tokenisation and truncation follow the pipeline's ``_get_t5_prompt_embeds`` so a
    local prompt is read exactly as the same text would be as a global prompt.
    """
    if not prompts:
        return {}
    try:
        from diffusers.pipelines.wan.pipeline_wan_i2v import prompt_clean
    except ImportError:  # pragma: no cover - older layout
        def prompt_clean(text: str) -> str:
            return " ".join(text.split())

    labels = sorted(prompts)
    texts = [prompt_clean(prompts[k]) for k in labels]
    tokens = pipe.tokenizer(
        texts,
        padding="max_length",
        max_length=max_sequence_length,
        truncation=True,
        add_special_tokens=True,
        return_attention_mask=True,
        return_tensors="pt",
    )
    lengths = tokens.attention_mask.gt(0).sum(dim=1).tolist()
    encoder = pipe.text_encoder
    enc_device = next(encoder.parameters()).device
    try:
        from diffusers.utils.torch_utils import get_module_execution_device

        enc_device = get_module_execution_device(encoder)
    except ImportError:  # pragma: no cover
        pass
    hidden = encoder(tokens.input_ids.to(enc_device), tokens.attention_mask.to(enc_device)).last_hidden_state
    hidden = hidden.to(device=device)
    return {label: hidden[i : i + 1, : lengths[i]] for i, label in enumerate(labels)}
