"""CLIPFrame: mean cosine similarity of consecutive frames' image embeddings.

``CF = 1/(T-1) · Σ_t cos(e_t, e_{t+1})`` with ``e_t`` the image embedding of frame ``t``
(1.0 for a still video; flicker and identity changes lower it). The encoder is any callable
``encode(frames [B, H, W, 3] float 0..1) -> [B, D]``:

- :class:`TransformersClipEncoder`: a local transformers CLIP vision folder (``CLIPVisionModel
  WithProjection``; its ``image_embeds``), preprocessed like CLIP (shortest side to the model's
  size, bicubic, centre crop, CLIP mean/std), so no processor files are needed;
- in ComfyUI, ``nodes/evaluate.py`` wraps a core ``CLIP_VISION`` (``encode_image``) the same way.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import torch
import torch.nn.functional as F

from ..errors import TTMInputError, require

ImageEncoder = Callable[[torch.Tensor], torch.Tensor]

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def clip_preprocess(frames: torch.Tensor, size: int, mean=CLIP_MEAN, std=CLIP_STD) -> torch.Tensor:
    """``[B, H, W, 3]`` 0..1 -> ``[B, 3, size, size]`` normalised (resize shortest side, centre crop)."""
    x = frames.permute(0, 3, 1, 2).float()
    h, w = x.shape[-2:]
    scale = size / min(h, w)
    x = F.interpolate(x, size=(max(size, round(h * scale)), max(size, round(w * scale))), mode="bicubic",
                      align_corners=False, antialias=True)
    top, left = (x.shape[-2] - size) // 2, (x.shape[-1] - size) // 2
    x = x[..., top:top + size, left:left + size].clamp(0, 1)
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


class TransformersClipEncoder:
    """Image embeddings from a transformers CLIP vision model (a folder or a loaded model)."""

    def __init__(self, model: Any, device: str = "cpu", batch_size: int = 16) -> None:
        if isinstance(model, (str, os.PathLike)):
            model = load_clip_vision_folder(model, device)
        self.model = model.eval()
        self.device = torch.device(device)
        self.size = int(getattr(model.config, "image_size", 224))
        self.batch_size = int(batch_size)

    @torch.inference_mode()
    def __call__(self, frames: torch.Tensor) -> torch.Tensor:
        out = []
        dtype = next(self.model.parameters()).dtype
        for i in range(0, int(frames.shape[0]), self.batch_size):
            pixels = clip_preprocess(frames[i:i + self.batch_size], self.size).to(self.device, dtype)
            result = self.model(pixel_values=pixels)
            emb = getattr(result, "image_embeds", None)
            if emb is None:  # a CLIPVisionModel without projection: the pooled output
                emb = result.pooler_output
            out.append(emb.float().cpu())
        return torch.cat(out)


def load_clip_vision_folder(path: str | os.PathLike, device: str = "cpu"):
    """``CLIPVisionModelWithProjection`` from a local folder (config.json + weights)."""
    folder = Path(path)
    require((folder / "config.json").is_file(), "clip", f"{folder} is not a transformers model folder (no config.json).",
            "pass a local CLIP vision folder, e.g. one saved with save_pretrained.")
    from transformers import CLIPVisionModelWithProjection

    try:
        return CLIPVisionModelWithProjection.from_pretrained(str(folder), local_files_only=True).to(device)
    except (OSError, ValueError) as exc:
        raise TTMInputError("clip", f"cannot load a CLIP vision model from {folder}: {exc}",
                            "use a CLIP (vision) model folder with its weights.") from exc


def clip_frame(frames: torch.Tensor, encoder: ImageEncoder) -> tuple[float, list[float]]:
    """``(CF, per-pair similarities)`` of float frames ``[T, H, W, 3]`` (see module doc)."""
    require(callable(encoder), "clip", f"expected an image encoder, got {type(encoder).__name__}.")
    if frames.shape[0] < 2:
        return float("nan"), []
    emb = torch.as_tensor(encoder(frames)).detach().float()
    require(emb.ndim == 2 and emb.shape[0] == frames.shape[0], "clip",
            f"the encoder returned shape {tuple(emb.shape)} for {frames.shape[0]} frames; expected [T, D].")
    emb = F.normalize(emb, dim=-1)
    sims = (emb[:-1] * emb[1:]).sum(-1).clamp(-1, 1)
    return float(sims.mean()), [float(s) for s in sims]
