"""A transformers causal LM from a local folder (e.g. ``models/LLM/Qwen2.5-1.5B-Instruct``).

Loaded on first use, offline only (``local_files_only``), and unloaded after the decomposition by
default so the video model gets the memory back.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import torch

from ..errors import TTMInputError, require
from .llm import LLMUnavailable

LLM_HINT = ("put a small instruct model folder (config.json, tokenizer and weights, e.g. "
            "Qwen2.5-1.5B-Instruct) into ComfyUI/models/LLM/")


class LocalTransformersBackend:
    """``complete(messages) -> str`` with greedy decoding; ``release()`` frees the model."""

    def __init__(
        self,
        folder: str | Path,
        device: Any = "cpu",
        unload_after: bool = True,
        *,
        dtype: Any = None,
        max_new_tokens: int = 512,
        generate_kwargs: dict | None = None,
    ) -> None:
        path = Path(folder)
        require(path.is_dir(), "llm_model", f"folder not found: {path}.", LLM_HINT + ".")
        require((path / "config.json").is_file(), "llm_model",
                f"{path.name} has no config.json, so it is not a transformers model folder.", LLM_HINT + ".")
        require(int(max_new_tokens) > 0, "max_new_tokens", f"must be > 0, got {max_new_tokens}.")
        self.folder = path
        self.device = torch.device(device)
        self.dtype = dtype
        self.unload_after = bool(unload_after)
        self.max_new_tokens = int(max_new_tokens)
        self.generate_kwargs = dict(generate_kwargs or {})
        self.model = None
        self.tokenizer = None
        self.calls = 0

    @property
    def label(self) -> str:
        return f"local model {self.folder.name}"

    def load(self) -> None:
        if self.model is not None:
            return
        from transformers import AutoModelForCausalLM, AutoTokenizer

        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(self.folder), local_files_only=True)
            kwargs = {"local_files_only": True}
            if self.dtype is not None:
                kwargs["dtype"] = self.dtype
            self.model = AutoModelForCausalLM.from_pretrained(str(self.folder), **kwargs).to(self.device).eval()
        except (OSError, ValueError, KeyError) as exc:
            self.release()
            raise TTMInputError("llm_model", f"{self.folder.name} could not be loaded ({type(exc).__name__}: "
                                f"{str(exc)[:200]}).", LLM_HINT + " (complete download).") from exc

    def _prompt_ids(self, messages: list[dict]) -> torch.Tensor:
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            ids = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                          return_dict=False)
            if isinstance(ids, dict) or hasattr(ids, "input_ids"):
                ids = ids["input_ids"]
            return torch.as_tensor(ids)
        text = "".join(f"{m['role'].capitalize()}: {m['content']}\n" for m in messages) + "Assistant:"
        return tok(text, return_tensors="pt")["input_ids"]

    def complete(self, messages: list[dict]) -> str:
        self.load()
        ids = self._prompt_ids(messages).to(self.device)
        pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = self.tokenizer.eos_token_id
        kwargs = {"max_new_tokens": self.max_new_tokens, "do_sample": False, "pad_token_id": pad}
        kwargs.update(self.generate_kwargs)
        self.calls += 1
        try:
            with torch.inference_mode():
                out = self.model.generate(ids, attention_mask=torch.ones_like(ids), **kwargs)
        except torch.cuda.OutOfMemoryError as exc:  # pragma: no cover - needs a GPU
            self.release()
            raise LLMUnavailable(f"{self.label} ran out of GPU memory ({exc}).") from None
        return self.tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True)

    def release(self) -> None:
        """Drop the model (called after a decomposition when ``unload_after``)."""
        self.model = None
        self.tokenizer = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
