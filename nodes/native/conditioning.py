"""Conditioning plumbing of the native nodes: positive tag and per-object local prompts."""

from __future__ import annotations

import torch

from ...ttm_core.attention.local_blend import strip_padding
from ...ttm_core.errors import TTMInputError
from .patch import POSITIVE_TAG

LOCAL_PROMPTS = "TTM_LOCAL_PROMPTS"


class LocalPrompts(dict):
    """Object name -> CONDITIONING (one per object); what the local-prompt nodes pass on."""

    def with_prompt(self, name: str, conditioning) -> "LocalPrompts":
        out = LocalPrompts(self)
        out[name] = conditioning
        return out


def tag_positive(conditioning) -> list:
    """A copy of ``conditioning`` whose entries carry the positive tag (tensors shared, not copied).

    Sampling keeps unknown keys of a conditioning entry, so the tag reaches the sampler's cond
    list, where the patch maps the tagged entries' uuids to batch rows.
    """
    if not isinstance(conditioning, list) or not all(isinstance(c, (list, tuple)) and len(c) == 2 for c in conditioning):
        raise TTMInputError("positive", "expected a CONDITIONING (list of [tensor, dict]).")
    return [[c[0], {**c[1], POSITIVE_TAG: True}] for c in conditioning]


def local_embedding(name: str, conditioning) -> torch.Tensor:
    """The raw text encoding ``[1, L, C]`` of one object's local prompt, padding rows dropped."""
    where = f"local_prompts[{name}]"
    if not isinstance(conditioning, list) or not conditioning:
        raise TTMInputError(where, "expected a non-empty CONDITIONING (e.g. a CLIPTextEncode output).")
    if len(conditioning) != 1:
        raise TTMInputError(where, f"has {len(conditioning)} entries (combined or scheduled conditioning); "
                            "a local prompt is one text encoding.", "encode the object's prompt with one CLIPTextEncode.")
    embeds = conditioning[0][0]
    if not isinstance(embeds, torch.Tensor) or embeds.ndim != 3 or embeds.shape[0] != 1:
        shape = tuple(embeds.shape) if isinstance(embeds, torch.Tensor) else type(embeds).__name__
        raise TTMInputError(where, f"expected a text encoding [1, tokens, width], got {shape}.")
    return strip_padding(embeds.detach())


def local_embeddings(local_prompts, names: list[str], text_dim: int) -> dict[int, torch.Tensor]:
    """Label (1-based object index) -> raw local encoding, after checking names and widths."""
    if not local_prompts:
        return {}
    unknown = [n for n in local_prompts if n not in names]
    if unknown:
        raise TTMInputError("local_prompts", f"name objects {unknown} that the trajectory does not have "
                            f"(it has {names}).", f"rename them to one of {names} or remove them.")
    out = {}
    for name, cond in local_prompts.items():
        emb = local_embedding(name, cond)
        if emb.shape[-1] != text_dim:
            raise TTMInputError(f"local_prompts[{name}]", f"is {emb.shape[-1]} wide but the model reads {text_dim}-wide "
                                "text encodings.", "encode it with the same text encoder (CLIP) as the global prompt.")
        out[names.index(name) + 1] = emb
    return out
