"""Install masked processors on Wan transformers for one sampling call, always restoring them."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import torch

from .grouped import TokenGroups
from .processors import LocalContext, MaskedCrossAttnProcessor, MaskedSelfAttnProcessor
from .schedule import GuidanceConfig, GuidanceState


def _project_locals(transformer, local_embeds: dict[int, torch.Tensor]) -> list[LocalContext]:
    """Run each object's raw T5 embedding through *this* transformer's text projection.

    Wan projects the prompt inside ``forward`` (``condition_embedder.text_embedder``); for the
    two-expert A14B each expert has its own projection, so this is done per transformer.
    """
    embedder = transformer.condition_embedder.text_embedder
    param = next(embedder.parameters())
    out = []
    with torch.no_grad():
        for label, emb in sorted(local_embeds.items()):
            projected = embedder(emb.to(device=param.device, dtype=param.dtype))
            out.append(LocalContext(label=int(label), embeds=projected))
    return out


@contextmanager
def masked_attention(
    transformers: Sequence,
    token_labels: torch.Tensor,
    config: GuidanceConfig,
    state: GuidanceState,
    local_embeds: dict[int, torch.Tensor] | None = None,
) -> Iterator[list]:
    """Swap ``attn1``/``attn2`` processors of the selected blocks; restore on any exit.

    ``token_labels`` is the flat (t, h, w) label of every latent token; ``local_embeds`` maps an
    object label to its local prompt's text-encoder output ``[1, L_valid, text_dim]``.
    Yields the list of installed processors (for inspection in tests).
    """
    groups = TokenGroups.from_labels(token_labels)
    saved: list[tuple[object, object]] = []
    installed: list = []
    try:
        for transformer in transformers:
            if transformer is None:
                continue
            locals_ = _project_locals(transformer, local_embeds or {}) if config.beta_cross > 0 else []
            blocks = transformer.blocks
            for index in sorted(config.block_indices(len(blocks))):
                block = blocks[index]
                if config.beta_self > 0:
                    proc = MaskedSelfAttnProcessor(
                        block.attn1.processor, groups, config.beta_self, state, config.self_on_uncond
                    )
                    saved.append((block.attn1, block.attn1.processor))
                    block.attn1.set_processor(proc)
                    installed.append(proc)
                if config.beta_cross > 0 and locals_:
                    proc = MaskedCrossAttnProcessor(block.attn2.processor, groups, locals_, config.beta_cross, state)
                    saved.append((block.attn2, block.attn2.processor))
                    block.attn2.set_processor(proc)
                    installed.append(proc)
        yield installed
    finally:
        for module, processor in reversed(saved):
            module.set_processor(processor)
