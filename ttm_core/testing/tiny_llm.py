"""A tiny random chat LLM folder (GPT-2 architecture, byte-level tokenizer), built offline.

Its answers are garbage, which is what an install smoke test of the local-LLM path needs: the
decomposition loads it from ``models/LLM``, retries once, falls back to the rules and says so.
"""

from __future__ import annotations

import os
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def byte_tokenizer():
    """256 byte tokens and an end token: exact round trips, no vocabulary files needed."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {c: i for i, c in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    vocab["<|endoftext|>"] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    fast.chat_template = CHAT_TEMPLATE
    return fast


def save_tiny_llm(folder: str | os.PathLike, seed: int = 0) -> Path:
    """Write ``config.json``, weights and tokenizer, as ``models/LLM/<name>`` folders hold them."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    folder = Path(folder)
    tok = byte_tokenizer()
    eos = tok.eos_token_id
    cfg = GPT2Config(vocab_size=len(tok), n_positions=8192, n_embd=32, n_layer=2, n_head=2,
                     bos_token_id=eos, eos_token_id=eos)
    torch.manual_seed(seed)
    GPT2LMHeadModel(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder
