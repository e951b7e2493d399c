"""Native dual-clock anchoring nodes: reference video + hold mask, anchor latent, the anchoring
MODEL patch and the start step of a schedule. They work with core ``UNETLoader`` / ``VAELoader``
outputs and core ``KSamplerAdvanced`` / ``SamplerCustomAdvanced``; the math is in ``ttm_core``.
"""

from __future__ import annotations

import logging

import torch

from .._base import (
    CATEGORY, TRAJECTORY, as_mask_batch, combo, first_image, integer, node_inputs, number, object_example,
    per_object_numbers, socket, text, to_image_batch,
)
from ...ttm_core.errors import TTMInputError, require
from ...ttm_core.guidance.anchoring import latent_hold_map
from ...ttm_core.guidance.clocks import T_STRONG, T_WEAK, check_clock, check_per_object, schedule_percents, start_step
from ...ttm_core.guidance.hold import ObjectHolds, clock_maps
from ...ttm_core.guidance.inpaint import METHODS
from .anchor_hold import AnchorHold, is_stochastic, patch_model, stochastic_note

LOG = logging.getLogger("ttm.anchoring")
HOLD = "TTM_HOLD"
NATIVE = f"{CATEGORY}/native"
TEMPORAL = 4  # Wan VAEs: latent frame j covers pixel frames 4j-3..4j
CLOCK_TIP = "a noise-level percent: 0 = pure noise, 1 = clean (ComfyUI's percent); the same noise level at any step count and scheduler."


def _per_object(value: str, name: str, values: tuple[float, ...], names: list[str]) -> dict[str, float]:
    parsed = per_object_numbers(value, name, object_example(names, values))
    if isinstance(parsed, float):
        parsed = {n: parsed for n in names}
    return dict(parsed or {})


class TTMReferenceVideo:
    DESCRIPTION = (
        "Reference video + hold mask for native anchoring: each object's first-frame pixels are cut and "
        "dragged along its trajectory over an inpainted background (Time-to-Move). The frames leave as IMAGE "
        "(inspect or replace them), the hold mask as MASK (where, and how strongly, the sampler holds the "
        "reference), and per-object hold ends as TTM_HOLD for TTM Native Anchoring."
    )
    CATEGORY = NATIVE
    RETURN_TYPES = ("IMAGE", "MASK", HOLD)
    RETURN_NAMES = ("reference", "hold_mask", "hold")
    FUNCTION = "build"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": socket("IMAGE", "The first frame (the image the objects were segmented on)."),
                "trajectory": socket(TRAJECTORY, "Mask trajectory from an Image-to-Motion node."),
                "width": integer(0, 0, 4096, "Video width; 0 keeps the trajectory's. Use the sampler latent's width (Wan 2.1: multiple of 16, TI2V-5B: of 32).", step=16),
                "height": integer(0, 0, 4096, "Video height; 0 keeps the trajectory's.", step=16),
                "hold_margin": integer(8, 0, 256, "Pixels the hold reaches beyond each object's mask (8 = one Wan 2.1 latent cell, 16 for TI2V-5B)."),
                "inpaint": combo(list(METHODS), "How the place an object left is filled in the reference.", "telea"),
            },
            "optional": {
                "hold_strength": text("Per-object hold strength 0..1: one number for all, or name: number pairs (dog: 1, ball: 0.5). Empty = 1."),
                "hold_end": text("Per-object end of the hold (" + CLOCK_TIP + "): name: number pairs (dog: 0.2, ball: 0.1). Empty = TTM Native Anchoring's hold_end."),
            },
        }

    def build(self, image, trajectory, width, height, hold_margin, inpaint, hold_strength="", hold_end=""):
        from ...ttm_core.guidance.reference import build_reference_video
        from ...ttm_core.images import resize_image

        img = first_image(image)
        names = list(trajectory.names)
        strengths = _per_object(hold_strength, "hold_strength", (1.0, 0.5), names)
        ends = check_per_object(_per_object(hold_end, "hold_end", (0.2, 0.1), names), names, "hold_end", 0.1)
        h, w = int(height) or trajectory.height, int(width) or trajectory.width
        if img.shape[:2] != (trajectory.height, trajectory.width):
            img = resize_image(img, trajectory.height, trajectory.width)
        traj = trajectory.resized(h, w)
        with node_inputs():
            ref = build_reference_video(resize_image(img, h, w), traj, hold_margin=int(hold_margin), inpaint=inpaint,
                                        hold_strength=strengths or None)
        for note in ref.notes:
            LOG.warning("TTM Native Reference Video: %s", note)
        holds = ObjectHolds(list(ref.names), ref.owner, ends)
        return (to_image_batch(ref.frames), ref.hold_weights().float().contiguous(), holds)


def _is_wan_vae(vae) -> bool:
    module = type(getattr(vae, "first_stage_model", None)).__module__
    return module in ("comfy.ldm.wan.vae", "comfy.ldm.wan.vae2_2")


class TTMAnchorLatent:
    DESCRIPTION = (
        "Anchor latent: the reference video encoded with the Wan VAE, to start KSamplerAdvanced from (with "
        "start_at_step from TTM Native Anchor Start Step) and to give TTM Native Anchoring. Wire the latent of "
        "WanImageToVideo / Wan22ImageToVideoLatent / WanFirstLastFrameToVideo in: its shape is checked, and "
        "its noise_mask and clean frames (TI2V-5B's first frame) are kept."
    )
    CATEGORY = NATIVE
    RETURN_TYPES = ("LATENT",)
    RETURN_NAMES = ("latent",)
    FUNCTION = "encode"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "vae": socket("VAE", "The Wan VAE the model samples in (wan_2.1_vae for Wan 2.1 / A14B, wan2.2_vae for TI2V-5B)."),
                "reference": socket("IMAGE", "Reference video frames (TTM Native Reference Video, or your own), 4k+1 frames at the video size."),
            },
            "optional": {
                "latent": socket("LATENT", "The sampler latent of WanImageToVideo / Wan22ImageToVideoLatent / WanFirstLastFrameToVideo / EmptyHunyuanLatentVideo."),
            },
        }

    def encode(self, vae, reference, latent=None):
        if not _is_wan_vae(vae):
            raise TTMInputError(
                "vae", f"is not a Wan VAE ({type(getattr(vae, 'first_stage_model', vae)).__name__}); the anchor latent must "
                "be encoded by the VAE the Wan model samples in.",
                "load wan_2.1_vae.safetensors (Wan 2.1, Wan 2.2 A14B) or wan2.2_vae.safetensors (Wan 2.2 TI2V-5B) with "
                "VAELoader.")
        frames = _video(reference)
        stride = _stride(vae)
        t, h, w = frames.shape[:3]
        require((t - 1) % TEMPORAL == 0, "reference", f"has {t} frames; Wan needs 4k+1.",
                f"use {((t - 1) // TEMPORAL) * TEMPORAL + 1} or {((t - 1) // TEMPORAL + 1) * TEMPORAL + 1} frames.")
        require(h % stride == 0 and w % stride == 0, "reference", f"is {w}x{h}; this VAE needs multiples of {stride}.",
                f"use {w // stride * stride}x{h // stride * stride} (TTM Native Reference Video's width/height).")
        z = vae.encode(frames[..., :3]).float().cpu()
        if latent is None:
            return ({"samples": z},)
        samples = latent["samples"]
        if tuple(samples.shape[1:]) != tuple(z.shape[1:]):
            raise TTMInputError(
                "latent", f"has shape {tuple(samples.shape)} but the reference ({w}x{h}, {t} frames) encodes to "
                f"{tuple(z.shape)}.",
                f"set the width, height and length of the node that made the latent to {w}, {h} and {t}, or build "
                "the reference at the latent's size.")
        z = z.expand(samples.shape[0], *z.shape[1:]).to(samples.dtype)
        out = dict(latent)
        mask = latent.get("noise_mask")
        if mask is not None:  # clean frames (mask 0) stay the conditioning's, e.g. TI2V-5B's first frame
            mask = mask.to(samples)
            z = samples * (1.0 - mask) + z * mask
        out["samples"] = z.contiguous()
        return (out,)


def _video(reference) -> torch.Tensor:
    if not isinstance(reference, torch.Tensor) or reference.ndim != 4:
        raise TTMInputError("reference", f"expected IMAGE frames [T, H, W, C], got {getattr(reference, 'shape', type(reference).__name__)}.")
    return reference.float()


def _stride(vae) -> int:
    ratio = getattr(vae, "downscale_ratio", 8)
    return int(ratio[1] if isinstance(ratio, (tuple, list)) else ratio)


def _check_model(model):
    inner = getattr(model, "model", None)
    names = [c.__name__ for c in type(inner).__mro__]
    if "WAN21" not in names:
        raise TTMInputError("model", f"is not a Wan model ({type(inner).__name__}); TTM Native Anchoring patches native Wan 2.1 / 2.2.",
                            "load a Wan diffusion model with UNETLoader (or a GGUF/fp8 loader) and patch that.")
    return inner


class TTMAnchoring:
    DESCRIPTION = (
        "Dual-clock anchoring as a MODEL patch: until hold_end, the hold region stays on the anchor latent's "
        "noising path (1-σ)·z + σ·noise, with the sampler's own noise sample; outside the hold region and after "
        "hold_end the model is free. The start clock is the sampler's start_at_step (TTM Native Anchor Start Step). "
        "Deterministic samplers (euler, dpmpp_2m, uni_pc) hold exactly; ancestral/SDE samplers add fresh noise "
        "between steps (a warning says so). Wan 2.2 A14B: patch both experts with the same inputs."
    )
    CATEGORY = NATIVE
    RETURN_TYPES = ("MODEL",)
    RETURN_NAMES = ("model",)
    FUNCTION = "patch"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": socket("MODEL", "Native Wan model (after LoRAs and the masked-attention patch)."),
                "anchor_latent": socket("LATENT", "The TTM Native Anchor Latent output (the encoded reference)."),
                "hold_mask": socket("MASK", "Where to hold, 0..1 per pixel and frame [T, H, W] (TTM Native Reference Video's hold_mask, or your own)."),
                "hold_end": number(T_STRONG, 0.0, 1.0, 0.01, "t_strong: the hold acts until this noise level, " + CLOCK_TIP + " 0.14 = step 7 of 50."),
            },
            "optional": {
                "hold": socket(HOLD, "Per-object hold ends from TTM Native Reference Video (objects not named there end at hold_end)."),
            },
        }

    def patch(self, model, anchor_latent, hold_mask, hold_end, hold=None):
        inner = _check_model(model)
        end = check_clock(hold_end, "hold_end")
        if not isinstance(anchor_latent, dict) or not isinstance(anchor_latent.get("samples"), torch.Tensor):
            raise TTMInputError("anchor_latent", "expected a LATENT.", "wire the TTM Native Anchor Latent output.")
        z = anchor_latent["samples"]
        channels = inner.latent_format.latent_channels
        require(z.ndim == 5 and z.shape[1] == channels, "anchor_latent",
                f"has shape {tuple(z.shape)}, but this model samples video latents with {channels} channels.",
                "encode the reference with the VAE of this model (Wan 2.1 / A14B: wan_2.1_vae, TI2V-5B: wan2.2_vae).")
        mask = as_mask_batch(hold_mask, "hold_mask")
        spatial = _check_geometry(mask, z)
        if hold is not None and not isinstance(hold, ObjectHolds):
            raise TTMInputError("hold", f"expected TTM Native Reference Video's hold, got {type(hold).__name__}.")

        def pool(weights):
            return latent_hold_map(weights, spatial, TEMPORAL)

        maps = clock_maps(mask.clamp(0, 1), hold, end, pool)
        return (patch_model(model, AnchorHold(z, maps)),)


def _check_geometry(mask: torch.Tensor, z: torch.Tensor) -> int:
    t, h, w = mask.shape
    frames, lh, lw = z.shape[2:]
    spatial = h // lh if lh else 0
    ok = spatial > 0 and h == lh * spatial and w == lw * spatial and t == (frames - 1) * TEMPORAL + 1
    if not ok:
        raise TTMInputError(
            "hold_mask", f"is {w}x{h}, {t} frames, which does not cover the anchor latent {tuple(z.shape)}.",
            "use the hold_mask of the TTM Native Reference Video whose frames made the anchor latent.")
    return spatial


class TTMAnchorStartStep:
    DESCRIPTION = (
        "t_weak as a step: where KSamplerAdvanced's start_at_step (or SplitSigmas' step) must be so sampling "
        "starts from the anchor latent at the t_weak noise level, for this model, step count, sampler and "
        "scheduler."
    )
    CATEGORY = NATIVE
    RETURN_TYPES = ("INT",)
    RETURN_NAMES = ("start_at_step",)
    FUNCTION = "start"

    @classmethod
    def INPUT_TYPES(cls):
        import comfy.samplers

        return {
            "required": {
                "model": socket("MODEL", "The model the sampler runs (its model sampling places the noise levels)."),
                "steps": integer(20, 1, 10000, "The sampler's steps."),
                "sampler_name": (comfy.samplers.KSampler.SAMPLERS, {"tooltip": "The sampler's sampler_name (some drop a sigma)."}),
                "scheduler": (comfy.samplers.KSampler.SCHEDULERS, {"tooltip": "The sampler's scheduler."}),
                "t_weak": number(T_WEAK, 0.0, 1.0, 0.01, "Where sampling starts, " + CLOCK_TIP + " 0.06 = step 3 of 50."),
            }
        }

    def start(self, model, steps, sampler_name, scheduler, t_weak):
        import comfy.samplers

        t = check_clock(t_weak, "t_weak")
        sigmas = comfy.samplers.KSampler(model, steps=int(steps), device="cpu", sampler=sampler_name,
                                         scheduler=scheduler).sigmas
        ms = model.get_model_object("model_sampling")
        percents = schedule_percents(sigmas.tolist(), lambda p: float(ms.percent_to_sigma(p)))
        start = start_step(percents, t)
        note = f"start_at_step {start} of {int(steps)}: sampling starts at noise level {percents[start]:.3f}."
        if is_stochastic(sampler_name):
            note += " " + stochastic_note(sampler_name)
        return {"ui": {"text": [note]}, "result": (start,)}


NODE_CLASS_MAPPINGS = {
    "TTMReferenceVideo": TTMReferenceVideo,
    "TTMAnchorLatent": TTMAnchorLatent,
    "TTMAnchoring": TTMAnchoring,
    "TTMAnchorStartStep": TTMAnchorStartStep,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "TTMReferenceVideo": "TTM Native Reference Video + Hold Mask",
    "TTMAnchorLatent": "TTM Native Anchor Latent",
    "TTMAnchoring": "TTM Native Anchoring",
    "TTMAnchorStartStep": "TTM Native Anchor Start Step",
}
