"""Loader nodes: SAM2, the prompt-decomposition LLM and the Wan video model.

Models are listed from ComfyUI's model folders (``models/sam2``, ``models/LLM``,
``models/diffusers``; ``extra_model_paths.yaml`` is honoured) and loaded through ``ttm_core``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from . import comfy_bridge as bridge
from ._base import CATEGORY, DEVICES, LLM, SAM2, VIDEO_MODEL, boolean, combo, integer, node_inputs, number, text

SAM2_CONFIGS = [
    "auto",
    "sam2.1_hiera_t", "sam2.1_hiera_s", "sam2.1_hiera_b+", "sam2.1_hiera_l",
    "sam2_hiera_t", "sam2_hiera_s", "sam2_hiera_b+", "sam2_hiera_l",
]
LLM_BACKENDS = ["openai_compatible", "local_folder", "rules"]
PRECISIONS = ["auto", "bf16", "fp16", "fp32"]
OFFLOADS = ["none", "model", "group", "sequential"]


def _device(choice: str) -> str:
    """``auto`` follows ComfyUI (``--cpu`` means cpu) and otherwise lets the core pick."""
    if choice != "auto":
        return choice
    return bridge.comfy_device() or "auto"


class TTMLoadSAM2:
    DESCRIPTION = (
        "Loads a SAM2 / SAM2.1 checkpoint (.pt or .safetensors) from models/sam2 for object "
        "segmentation and, in track mode, video propagation."
    )
    CATEGORY = f"{CATEGORY}/loaders"
    RETURN_TYPES = (SAM2,)
    RETURN_NAMES = ("sam2",)
    FUNCTION = "load"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "sam2_model": combo(
                    bridge.list_model_files("sam2"),
                    "Checkpoint in models/sam2, e.g. sam2.1_hiera_base_plus.safetensors.",
                ),
                "config": combo(SAM2_CONFIGS, "Model config; auto reads it from the file name or the weights."),
                "device": combo(DEVICES, "Where SAM2 runs; auto follows ComfyUI."),
                "precision": combo(["fp32", "bf16", "fp16"], "Compute precision (autocast); fp32 is safest on CPU."),
            },
            "optional": {
                "image_size": integer(
                    0, 0, 2048, "Square input size of the model; 0 keeps the checkpoint's own (1024).", step=16
                ),
            },
        }

    def load(self, sam2_model: str, config: str, device: str, precision: str, image_size: int = 0):
        from ..ttm_core.segment import load_sam2

        path = bridge.resolve_model_file("sam2", sam2_model, "sam2_model")
        with node_inputs({"dtype": "precision"}):
            handle = load_sam2(
                path,
                None if config == "auto" else config,
                device=_device(device),
                dtype=precision,
                image_size=int(image_size) or None,
            )
        return (handle,)


class TTMLoadLLM:
    DESCRIPTION = (
        "Chooses how prompts are decomposed into global, motion and per-object prompts: an "
        "OpenAI-compatible endpoint (Ollama, LM Studio, llama.cpp, vLLM), a local instruct model "
        "folder in models/LLM, or the offline rules. Failures fall back to the rules and say so."
    )
    CATEGORY = f"{CATEGORY}/loaders"
    RETURN_TYPES = (LLM,)
    RETURN_NAMES = ("llm",)
    FUNCTION = "load"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "backend": combo(LLM_BACKENDS, "openai_compatible: a chat endpoint; local_folder: a model in models/LLM; rules: offline."),
                "base_url": text("Endpoint base URL (OpenAI-compatible), e.g. Ollama's http://127.0.0.1:11434/v1.",
                                 "http://127.0.0.1:11434/v1"),
                "model": text("Model name the endpoint serves, e.g. qwen2.5:7b-instruct.", "qwen2.5:7b-instruct"),
                "api_key_env": text("Name of an environment variable holding the API key (the key itself is never stored)."),
                "local_model": combo(["none"] + bridge.list_model_dirs("LLM"), "Instruct model folder in models/LLM (local_folder backend)."),
                "device": combo(DEVICES, "Where a local model runs."),
                "timeout": number(30.0, 1.0, 600.0, 1.0, "Seconds to wait for an endpoint answer before falling back to the rules."),
                "unload_after": boolean(True, "Free the local model's memory after each decomposition."),
                "max_tokens": integer(1024, 16, 8192, "Longest answer the LLM may give (a plan needs a few hundred tokens)."),
                "json_mode": boolean(False, "Ask the endpoint for JSON output (Ollama, vLLM, llama.cpp support it; LM Studio does not)."),
            }
        }

    def load(self, backend, base_url, model, api_key_env, local_model, device, timeout, unload_after, max_tokens,
             json_mode):
        from ..ttm_core import prompts

        if backend == "rules":
            return (None,)
        if backend == "openai_compatible":
            with node_inputs():
                return (prompts.OpenAICompatibleBackend(
                    base_url.strip(), model.strip(), api_key_env=api_key_env.strip() or None, timeout=float(timeout),
                    max_tokens=int(max_tokens), json_mode=bool(json_mode),
                ),)
        folder = bridge.resolve_model_dir("LLM", local_model, "local_model")
        with node_inputs({"folder": "local_model", "llm_model": "local_model"}):
            return (prompts.LocalTransformersBackend(
                str(folder), device=_device(device), unload_after=bool(unload_after), max_new_tokens=int(max_tokens),
            ),)


@dataclass(eq=False)
class VideoModelRef:
    """What travels on a ``TTM_VIDEO_MODEL`` socket: load options plus the loaded model.

    ComfyUI caches the loader's output between runs; with ``keep_loaded`` off the model is
    unloaded after each generation and loaded again by :meth:`get` the next time.
    """

    path: str
    options: dict
    keep_loaded: bool = True
    model: Any = None
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def get(self):
        with self._lock:
            if self.model is None:
                self.model = _load_video_model(self)
            return self.model

    def release(self, force: bool = False) -> None:
        with self._lock:
            if self.model is not None and (force or not self.keep_loaded):
                self.model.unload()
                self.model = None
                bridge.soft_empty_cache()

    @property
    def variant(self) -> str | None:
        return getattr(self.model, "variant", None)


_CURRENT: list[VideoModelRef] = []  # the one video model we keep; loading another frees it


def _load_video_model(ref: VideoModelRef):
    from ..ttm_core.pipeline import load_video_model

    for old in list(_CURRENT):
        if old is not ref:
            old.release(force=True)
            _CURRENT.remove(old)
    bridge.free_comfy_memory()
    with node_inputs({"path": "model", "dtype": "precision"}):
        model = load_video_model(ref.path, **ref.options)
    if ref not in _CURRENT:
        _CURRENT.append(ref)
    return model


class TTMLoadVideoModel:
    DESCRIPTION = (
        "Loads a Wan 2.1 I2V / Wan 2.2 TI2V-5B / Wan 2.2 I2V-A14B diffusers folder from "
        "models/diffusers (any folder with a model_index.json), optionally replacing its transformer "
        "or VAE with a single file from models/diffusion_models or models/vae."
    )
    CATEGORY = f"{CATEGORY}/loaders"
    RETURN_TYPES = (VIDEO_MODEL,)
    RETURN_NAMES = ("video_model",)
    FUNCTION = "load"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": combo(
                    bridge.list_model_dirs("diffusers"),
                    "Diffusers folder in models/diffusers, e.g. Wan2.2-TI2V-5B-Diffusers.",
                ),
                "precision": combo(PRECISIONS, "Weights dtype; auto picks bf16 on GPUs that support it, fp32 on CPU."),
                "device": combo(DEVICES, "Where the model runs; auto follows ComfyUI."),
                "offload": combo(OFFLOADS, "Memory saving: model = whole sub-models to CPU in turn, group = layer groups, sequential = lowest VRAM, slowest."),
                "vae_tiling": boolean(False, "Decode the video in tiles (less VRAM at large sizes)."),
                "keep_loaded": boolean(True, "Keep the model in memory between runs; off frees it after each video."),
            },
            "optional": {
                "transformer_file": combo(
                    ["none"] + bridge.list_model_files("diffusion_models"),
                    "Optional single-file transformer (models/diffusion_models) replacing the folder's.",
                ),
                "transformer_2_file": combo(
                    ["none"] + bridge.list_model_files("diffusion_models"),
                    "Wan 2.2 A14B only: optional single-file low-noise expert (transformer_2).",
                ),
                "vae_file": combo(["none"] + bridge.list_model_files("vae"), "Optional single-file VAE (models/vae) replacing the folder's."),
            },
        }

    def load(self, model, precision, device, offload, vae_tiling, keep_loaded, transformer_file="none",
             transformer_2_file="none", vae_file="none"):
        path = bridge.resolve_model_dir("diffusers", model, "model")

        def single(kind: str, name: str, input_name: str) -> str | None:
            return None if name in ("none", "", None) else str(bridge.resolve_model_file(kind, name, input_name))

        options = {
            "dtype": precision,
            "device": _device(device),
            "offload": offload,
            "vae_tiling": bool(vae_tiling),
            "transformer_file": single("diffusion_models", transformer_file, "transformer_file"),
            "transformer_2_file": single("diffusion_models", transformer_2_file, "transformer_2_file"),
            "vae_file": single("vae", vae_file, "vae_file"),
        }
        ref = VideoModelRef(str(path), options, keep_loaded=bool(keep_loaded))
        ref.get()  # load now, so a bad folder is reported on this node
        return (ref,)


NODE_CLASS_MAPPINGS = {
    "TTMLoadSAM2": TTMLoadSAM2,
    "TTMLoadLLM": TTMLoadLLM,
    "TTMLoadVideoModel": TTMLoadVideoModel,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "TTMLoadSAM2": "TTM Load SAM2",
    "TTMLoadLLM": "TTM Load LLM (prompt decomposition)",
    "TTMLoadVideoModel": "TTM Load Video Model (Wan)",
}
