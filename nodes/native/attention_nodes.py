"""V1 nodes: masked attention on a core Wan MODEL, and per-object local prompts for it."""

from __future__ import annotations

from .._base import CATEGORY, PROMPTS, TRAJECTORY, node_inputs, number, socket, text
from ...ttm_core.errors import TTMInputError
from .conditioning import LOCAL_PROMPTS, LocalPrompts, local_embeddings, tag_positive
from .patch import NODE, NativeMaskedAttention

SUB = f"{CATEGORY}/native"


def wan_model_or_error(model):
    """The WanModel inside a MODEL, or a named error for anything else."""
    import comfy.ldm.wan.model as wan

    inner = getattr(getattr(model, "model", None), "diffusion_model", None)
    ok = isinstance(inner, wan.WanModel) and all(
        isinstance(b.self_attn, wan.WanSelfAttention)
        and isinstance(b.cross_attn, (wan.WanT2VCrossAttention, wan.WanI2VCrossAttention))
        for b in inner.blocks)
    if not ok:
        kind = type(inner).__name__ if inner is not None else type(model).__name__
        raise TTMInputError("model", f"is a {kind}, not a Wan 2.1 / 2.2 video model.",
                            "load a Wan diffusion model (Load Diffusion Model / UNETLoader) and connect it here.")
    if any(getattr(v, "_ttm_key", None) for v in model.object_patches.values()):
        raise TTMInputError("model", f"already has {NODE} applied.", f"apply {NODE} once per MODEL.")
    return inner


def parse_blocks(value: str) -> tuple[int, ...] | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return tuple(int(p) for p in value.replace(";", ",").split(",") if p.strip())
    except ValueError as exc:
        raise TTMInputError("blocks", f"cannot read {value!r} as block numbers.",
                            "write numbers like 0, 1, 2, or leave it empty to use block_fraction.") from exc


class TTMNativeMaskedAttention:
    DESCRIPTION = (
        "Masked self- and cross-attention on a core Wan MODEL (Wan 2.1 T2V/I2V, Wan 2.2 TI2V-5B; for "
        "Wan 2.2 A14B apply it to both experts' MODELs): tokens of an object attend to the same object, "
        "and the object's tokens also read its local prompt. Acts in a window of the noise level (same "
        "meaning at any step count or scheduler) and on the first blocks. Calls ComfyUI's own attention, "
        "so sage/flash choices, LoRAs and low-VRAM loading apply. Apply it last among attention patches."
    )
    CATEGORY = SUB
    RETURN_TYPES = ("MODEL", "CONDITIONING")
    RETURN_NAMES = ("model", "positive")
    OUTPUT_TOOLTIPS = ("The patched copy of the model (the input is left unchanged).",
                       "The positive input, tagged so local prompts act on it only; connect it to the sampler.")
    FUNCTION = "patch"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": socket("MODEL", "A Wan diffusion model (UNETLoader, LoRA, ModelSampling... outputs)."),
                "trajectory": socket(TRAJECTORY, "The object masks over time; its size and frame count must match the latent you sample."),
                "beta_self": number(0.5, 0.0, 1.0, 0.05, "Blend of same-object self-attention into full self-attention (0 = stock, 1 = objects only see themselves)."),
                "beta_cross": number(0.7, 0.0, 1.0, 0.05, "Blend of each object's local prompt into the global prompt on its tokens (needs local_prompts)."),
                "block_fraction": number(0.25, 0.0, 1.0, 0.05, "Share of transformer blocks, from the first, that get masked attention (rounded up)."),
                "blocks": text("Explicit block numbers, e.g. 0, 1, 2 (overrides block_fraction); empty: use block_fraction."),
                "start_percent": number(0.0, 0.0, 1.0, 0.01, "Where the window opens, as a share of denoising (0 = pure noise), converted to a noise level with the model's schedule."),
                "end_percent": number(0.4, 0.0, 1.0, 0.01, "Where the window closes (1 = clean); e.g. 0.4 acts over the noisiest 40% of the noise range."),
            },
            "optional": {
                "local_prompts": socket(LOCAL_PROMPTS, "Per-object prompts from TTM Native Local Prompts / TTM Native Object Prompt."),
                "positive": socket("CONDITIONING", "The positive conditioning the sampler uses (e.g. WanImageToVideo's positive); needed with local prompts."),
            },
        }

    def patch(self, model, trajectory, beta_self, beta_cross, block_fraction, blocks, start_percent, end_percent,
              local_prompts=None, positive=None):
        from ...ttm_core.attention.schedule import GuidanceConfig
        from ...ttm_core.attention.window import NoiseWindow
        from ...ttm_core.types import MaskTrajectory

        inner = wan_model_or_error(model)
        if not isinstance(trajectory, MaskTrajectory):
            raise TTMInputError("trajectory", f"expected a TTM_TRAJECTORY, got {type(trajectory).__name__}.")
        with node_inputs():
            config = GuidanceConfig(beta_self=beta_self, beta_cross=beta_cross, block_fraction=block_fraction,
                                    step_fraction=1.0, blocks=parse_blocks(blocks))
            chosen = config.block_indices(len(inner.blocks))
            window = NoiseWindow(float(start_percent), float(end_percent))
        locals_ = local_embeddings(local_prompts, list(trajectory.names), int(inner.text_embedding[0].in_features))
        if locals_ and beta_cross > 0 and positive is None:
            raise TTMInputError("positive", "is needed with local prompts: they act on the positive prompt only.",
                                "connect the sampler's positive conditioning here and this node's positive output to the sampler.")
        patch = NativeMaskedAttention(trajectory.labels, trajectory.num_objects, float(beta_self), float(beta_cross),
                                      window, frozenset(chosen), locals_)
        return (patch.install(model), tag_positive(positive) if positive is not None else None)


class TTMNativeLocalPrompts:
    DESCRIPTION = ("Encodes each object's local prompt (from TTM Decompose Prompt) with the CLIP text encoder, "
                   "one CONDITIONING per object, for TTM Native Masked Attention.")
    CATEGORY = SUB
    RETURN_TYPES = (LOCAL_PROMPTS,)
    RETURN_NAMES = ("local_prompts",)
    FUNCTION = "encode"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "clip": socket("CLIP", "The text encoder of the global prompt (e.g. umt5_xxl from Load CLIP, type wan)."),
                "prompts": socket(PROMPTS, "The decomposed prompts; their per-object local prompts are encoded."),
            },
            "optional": {
                "local_prompts": socket(LOCAL_PROMPTS, "Local prompts to extend (hand-written ones win over decomposed ones)."),
            },
        }

    def encode(self, clip, prompts, local_prompts=None):
        if clip is None or not hasattr(clip, "tokenize"):
            raise TTMInputError("clip", "expected a CLIP text encoder.", "connect Load CLIP's output.")
        texts = dict(getattr(prompts, "local_prompts", {}) or {})
        out = LocalPrompts()
        for name, prompt in texts.items():
            if prompt and prompt.strip():
                out[name] = clip.encode_from_tokens_scheduled(clip.tokenize(prompt))
        out.update(local_prompts or {})
        return (out,)


class TTMNativeObjectPrompt:
    DESCRIPTION = ("Attaches any text conditioning (e.g. a CLIPTextEncode output) to one named object as its "
                   "local prompt; chain several to write local prompts by hand.")
    CATEGORY = SUB
    RETURN_TYPES = (LOCAL_PROMPTS,)
    RETURN_NAMES = ("local_prompts",)
    FUNCTION = "attach"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "conditioning": socket("CONDITIONING", "The object's prompt, encoded by CLIPTextEncode with the global prompt's CLIP."),
                "object": text("The object's name as in the trajectory (e.g. dog)."),
            },
            "optional": {
                "local_prompts": socket(LOCAL_PROMPTS, "Local prompts to add this one to."),
            },
        }

    def attach(self, conditioning, object, local_prompts=None):
        name = (object or "").strip()
        if not name:
            raise TTMInputError("object", "is empty.", "type the object's name as the trajectory names it.")
        return (LocalPrompts(local_prompts or {}).with_prompt(name, conditioning),)


NODE_CLASS_MAPPINGS = {
    "TTMNativeMaskedAttention": TTMNativeMaskedAttention,
    "TTMNativeLocalPrompts": TTMNativeLocalPrompts,
    "TTMNativeObjectPrompt": TTMNativeObjectPrompt,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "TTMNativeMaskedAttention": NODE,
    "TTMNativeLocalPrompts": "TTM Native Local Prompts",
    "TTMNativeObjectPrompt": "TTM Native Object Prompt",
}
