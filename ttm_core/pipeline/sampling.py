"""Stage 2, Motion-to-Video: Wan image-to-video sampling guided by a mask trajectory.

The loop mirrors diffusers' ``WanImageToVideoPipeline.__call__`` operation for operation (same
prompt/image encoding, latent preparation, expert switch, CFG and decoding), so with every
guidance off it returns the stock frames bit for bit. Guidance enters at three points only:
masked attention processors (installed for this call), the start latents and the hold-region
overwrite of dual-clock anchoring.
"""

from __future__ import annotations

from contextlib import ExitStack, nullcontext
from typing import Any, Sequence

import torch

from ..attention import GuidanceConfig, GuidanceState, masked_attention
from ..callbacks import InterruptFn, ProgressFn, check_interrupt, report
from ..images import as_image, resize_image, to_pil
from ..guidance.anchoring import (
    AnchorConfig, encode_reference, latent_hold_map, noise_to_step, scheduler_percent_to_sigma,
)
from ..guidance.hold import HoldSchedule, ObjectHolds, clock_maps
from ..guidance.clocks import T_STRONG, T_WEAK, check_per_object
from ..tokens import token_labels
from ..types import MaskTrajectory
from .inputs import (
    as_plan,
    check_num_frames,
    check_size,
    check_trajectory,
    local_prompts_by_label,
)
from .local_prompts import encode_local_prompts
from .variants import as_i2v_pipeline, wan_layout


def _cache_context(model, name: str):
    ctx = getattr(model, "cache_context", None)
    return ctx(name) if ctx is not None else nullcontext()


def _unwrap(pipe_or_model):
    return getattr(pipe_or_model, "pipe", pipe_or_model)


@torch.no_grad()
def motion_to_video(
    pipe,
    image: Any,
    trajectory: MaskTrajectory,
    prompts: Any,
    *,
    num_frames: int,
    height: int,
    width: int,
    num_inference_steps: int = 30,
    guidance_scale: float = 5.0,
    guidance_scale_2: float | None = None,
    seed: int = 0,
    negative_prompt: str | None = None,
    local_prompts: Sequence[str] | dict | None = None,
    beta_self: float = 0.5,
    beta_cross: float = 0.7,
    block_fraction: float = 0.25,
    step_fraction: float = 0.4,
    blocks: Sequence[int] | None = None,
    anchoring: bool | AnchorConfig = True,
    t_weak: float = T_WEAK,
    t_strong: float = T_STRONG,
    hold_margin: int | None = None,
    hold_strength: dict[str, float] | None = None,
    hold_end: dict[str, float] | None = None,
    max_sequence_length: int = 512,
    progress: ProgressFn | None = None,
    interrupt: InterruptFn | None = None,
    return_info: bool = False,
):
    """Generate ``[T, H, W, 3]`` frames (float 0..1, CPU) that follow ``trajectory``.

    ``image`` is the first frame (tensor [H, W, 3] 0..1, numpy or PIL) at the trajectory's size;
    it is handed to the pipeline as the 8-bit PIL image the stock pipeline expects and resized
    to ``height`` x ``width`` by the pipeline. ``prompts`` is a :class:`PromptPlan` (or a global
    prompt string). Guidance: ``beta_self``/``beta_cross`` (0 turns each off), block and step
    windows, and dual-clock ``anchoring`` with ``t_weak``/``t_strong`` noise-level percents
    (:mod:`ttm_core.guidance.clocks`; the defaults are steps 3 and 7 at 50 steps), per-object
    ``hold_strength`` (0..1) and ``hold_end`` (a percent) by object name.
    With ``return_info`` a dict of what was applied is returned too.
    """
    pipe = as_i2v_pipeline(_unwrap(pipe))
    layout = wan_layout(pipe)
    image_t = as_image(image)
    check_size(int(height), int(width), layout)
    check_num_frames(int(num_frames), layout)
    trajectory = check_trajectory(trajectory, image_t, int(num_frames))
    plan = as_plan(prompts)
    require_steps = int(num_inference_steps)
    if require_steps < 1:
        from ..errors import TTMInputError

        raise TTMInputError("num_inference_steps", f"must be >= 1, got {num_inference_steps}.")
    local_text = local_prompts_by_label(plan, trajectory.names, local_prompts)
    guidance = GuidanceConfig(
        beta_self=beta_self, beta_cross=beta_cross, block_fraction=block_fraction,
        step_fraction=step_fraction, blocks=None if blocks is None else tuple(blocks),
    )
    anchor = anchoring if isinstance(anchoring, AnchorConfig) else AnchorConfig(
        enabled=bool(anchoring), t_weak=t_weak, t_strong=t_strong, hold_margin=hold_margin,
        hold_strength=dict(hold_strength or {}), hold_end=dict(hold_end or {}),
    )
    check_per_object(anchor.hold_end, trajectory.names, "hold_end", anchor.t_strong)
    has_objects = trajectory.num_objects > 0 and bool(trajectory.visible.any())
    use_attention = guidance.enabled and has_objects
    use_anchor = anchor.enabled and has_objects

    pil = to_pil(image_t)
    traj = trajectory.resized(int(height), int(width))
    device = pipe._execution_device
    do_cfg = guidance_scale > 1.0
    if pipe.config.boundary_ratio is not None and guidance_scale_2 is None:
        guidance_scale_2 = guidance_scale

    try:
        prompt_embeds, negative_embeds = pipe.encode_prompt(
            prompt=plan.global_prompt,
            negative_prompt=negative_prompt,
            do_classifier_free_guidance=do_cfg,
            num_videos_per_prompt=1,
            max_sequence_length=max_sequence_length,
            device=device,
        )
        main = pipe.transformer if pipe.transformer is not None else pipe.transformer_2
        transformer_dtype = main.dtype
        prompt_embeds = prompt_embeds.to(transformer_dtype)
        if negative_embeds is not None:
            negative_embeds = negative_embeds.to(transformer_dtype)
        local_embeds = {}
        if use_attention and guidance.beta_cross > 0 and local_text:
            local_embeds = encode_local_prompts(pipe, local_text, device, max_sequence_length)

        image_embeds = None
        if pipe.transformer is not None and pipe.transformer.config.image_dim is not None:
            image_embeds = pipe.encode_image(pil, device).repeat(1, 1, 1).to(transformer_dtype)

        pipe.scheduler.set_timesteps(require_steps, device=device)
        timesteps = pipe.scheduler.timesteps
        use_anchor = use_anchor and anchor.latest_until(pipe.scheduler) > 0

        image_in = pipe.video_processor.preprocess(pil, height=height, width=width).to(device, dtype=torch.float32)
        generator = torch.Generator(device="cpu").manual_seed(int(seed))
        outputs = pipe.prepare_latents(
            image_in, 1, pipe.vae.config.z_dim, height, width, num_frames, torch.float32, device, generator, None, None
        )
        if pipe.config.expand_timesteps:
            latents, condition, first_frame_mask = outputs
        else:
            (latents, condition), first_frame_mask = outputs, None

        start, strong_until = 0, 0
        noise = latents
        z_ref = hold = None
        schedule = None
        if use_anchor:
            from ..guidance.reference import build_reference_video

            ref = build_reference_video(
                resize_image(image_t, int(height), int(width)),
                traj,
                # default margin: one latent cell, so held cells cover the object's border
                hold_margin=layout.vae_spatial if anchor.hold_margin is None else anchor.hold_margin,
                inpaint=anchor.inpaint,
                hold_strength=anchor.hold_strength or None,
                interrupt=interrupt,
            )
            def pool(weights):
                return latent_hold_map(weights, layout.vae_spatial, layout.vae_temporal).to(device)

            hold = pool(ref.hold_weights())
            objects = ObjectHolds(list(ref.names), ref.owner, anchor.hold_end) if anchor.hold_end else None
            # per-object clocks: one map per object (they sum to ``hold``), one schedule for both paths
            schedule = HoldSchedule(clock_maps(ref.hold_weights(), objects, anchor.t_strong, pool),
                                    pipe.scheduler.sigmas, scheduler_percent_to_sigma(pipe.scheduler))
            z_ref = encode_reference(pipe, ref.frames, device, consume=True)
            del ref  # full-resolution frames are not needed once encoded
            start, strong_until = anchor.start_index(pipe.scheduler), schedule.steps_held
            latents = noise_to_step(pipe.scheduler, z_ref, noise, start)
            if hasattr(pipe.scheduler, "set_begin_index"):
                pipe.scheduler.set_begin_index(start)

        boundary = None
        if pipe.config.boundary_ratio is not None:
            boundary = pipe.config.boundary_ratio * pipe.scheduler.config.num_train_timesteps

        state = GuidanceState(num_steps=require_steps, active_steps=guidance.active_steps(require_steps))
        info = {"masked_attention": use_attention, "anchoring": use_anchor, "start_step": start,
                "strong_until": strong_until, "steps": require_steps, "state": state}
        if return_info and use_anchor:
            info.update(z_ref=z_ref, noise=noise, hold=hold)
        with ExitStack() as stack:
            if use_attention:
                labels = token_labels(traj.labels, layout.cell, layout.vae_temporal, traj.num_objects)
                stack.enter_context(
                    masked_attention([pipe.transformer, pipe.transformer_2], labels, guidance, state, local_embeds)
                )
            total = len(timesteps) - start
            for i in range(start, len(timesteps)):
                check_interrupt(interrupt)
                t = timesteps[i]
                if boundary is None or t >= boundary:
                    model, scale = pipe.transformer, guidance_scale
                else:
                    model, scale = pipe.transformer_2, guidance_scale_2
                if first_frame_mask is not None:
                    model_input = ((1 - first_frame_mask) * condition + first_frame_mask * latents).to(transformer_dtype)
                    temp_ts = (first_frame_mask[0][0][:, ::2, ::2] * t).flatten()
                    timestep = temp_ts.unsqueeze(0).expand(latents.shape[0], -1)
                else:
                    model_input = torch.cat([latents, condition], dim=1).to(transformer_dtype)
                    timestep = t.expand(latents.shape[0])
                state.step, state.conditional = i, True
                with _cache_context(model, "cond"):
                    noise_pred = model(
                        hidden_states=model_input, timestep=timestep, encoder_hidden_states=prompt_embeds,
                        encoder_hidden_states_image=image_embeds, attention_kwargs=None, return_dict=False,
                    )[0]
                if do_cfg:
                    state.conditional = False
                    with _cache_context(model, "uncond"):
                        noise_uncond = model(
                            hidden_states=model_input, timestep=timestep, encoder_hidden_states=negative_embeds,
                            encoder_hidden_states_image=image_embeds, attention_kwargs=None, return_dict=False,
                        )[0]
                        noise_pred = noise_uncond + scale * (noise_pred - noise_uncond)
                latents = pipe.scheduler.step(noise_pred, t, latents, return_dict=False)[0]
                weight = None if schedule is None else schedule.weight_at_step(i)
                if z_ref is not None and weight is not None:
                    target = noise_to_step(pipe.scheduler, z_ref, noise, i + 1)
                    latents = torch.lerp(latents, target.to(latents.dtype), weight.to(latents.dtype))
                report(progress, i - start + 1, total)

        check_interrupt(interrupt)  # the decode of a long clip takes a while: last chance to stop
        if first_frame_mask is not None:
            latents = (1 - first_frame_mask) * condition + first_frame_mask * latents
        video = _decode(pipe, latents)
    finally:
        pipe.maybe_free_model_hooks()
    frames = video[0].permute(0, 2, 3, 1).float().cpu().contiguous()
    return (frames, info) if return_info else frames


def _decode(pipe, latents: torch.Tensor) -> torch.Tensor:
    """The stock decode: de-normalise, VAE decode, post-process to [B, T, C, H, W] in 0..1."""
    try:
        from diffusers.utils.torch_utils import get_module_execution_device

        vae_device = get_module_execution_device(pipe.vae)
    except ImportError:  # pragma: no cover
        vae_device = latents.device
    latents = latents.to(device=vae_device, dtype=pipe.vae.dtype)
    z = pipe.vae.config.z_dim
    mean = torch.tensor(pipe.vae.config.latents_mean).view(1, z, 1, 1, 1).to(latents.device, latents.dtype)
    std = 1.0 / torch.tensor(pipe.vae.config.latents_std).view(1, z, 1, 1, 1).to(latents.device, latents.dtype)
    latents = latents / std + mean
    video = pipe.vae.decode(latents, return_dict=False)[0]
    return pipe.video_processor.postprocess_video(video, output_type="pt")
