"""Dual-clock latent anchoring (Time-to-Move, Singer et al. 2025), training-free.

Sampling starts from the reference video's latents noised to the ``t_weak`` step instead of pure
noise, and for every step before ``t_strong`` the hold region is overwritten with the reference
noised to the level the sampler has just reached — always with the *same* noise sample, so the
held region follows one consistent noising path. Outside the hold region the model is free
from the start; after ``t_strong`` it is free everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ..errors import TTMInputError, require
from .clocks import T_STRONG, T_WEAK, HoldClocks, flow_percent_to_sigma, schedule_percents
from .hold import noising_path


@dataclass(frozen=True)
class AnchorConfig:
    """``t_weak``/``t_strong`` are noise-level percents (:mod:`.clocks`; Time-to-Move on Wan:
    steps 3 and 7 of 50, kept exactly at 50 steps). ``hold_strength`` (0..1) and ``hold_end``
    (a percent) override the hold per object by name."""

    enabled: bool = True
    t_weak: float = T_WEAK
    t_strong: float = T_STRONG
    hold_margin: int | None = None
    hold_strength: dict[str, float] = field(default_factory=dict)
    inpaint: str = "telea"
    hold_end: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.clocks  # validates t_weak, t_strong and the per-object ends
        for name, value in dict(self.hold_strength).items():
            require(0.0 <= float(value) <= 1.0, f"hold_strength[{name!r}]", f"must be within 0..1, got {value}.",
                    f"write e.g. {name}: 0.5.")

    @property
    def clocks(self) -> HoldClocks:
        return HoldClocks(self.t_weak, self.t_strong, dict(self.hold_end))

    def start_index(self, scheduler) -> int:
        """Steps skipped at the start (sampling begins at this step of the scheduler's schedule)."""
        return self.clocks.start_step(scheduler_percents(scheduler))

    def hold_until(self, scheduler, name: str | None = None) -> int:
        """Steps ``i < hold_until`` overwrite (object ``name``'s part of) the hold region after they run."""
        return self.clocks.hold_until(scheduler_percents(scheduler), name)

    def latest_until(self, scheduler) -> int:
        """Steps held by the object held longest (0: the hold never acts at this step count)."""
        percents = scheduler_percents(scheduler)
        return max(self.clocks.hold_until(percents, n) for n in [None, *self.hold_end])


def is_flow_scheduler(scheduler) -> bool:
    cfg = scheduler.config
    return bool(
        getattr(cfg, "use_flow_sigmas", False)
        or "FlowMatch" in type(scheduler).__name__
        or getattr(cfg, "prediction_type", None) == "flow_prediction"
    )


def scheduler_shift(scheduler) -> float:
    """The flow shift a diffusers flow scheduler applies to its sigmas."""
    cfg = scheduler.config
    if getattr(cfg, "use_dynamic_shifting", False):
        raise TTMInputError("anchoring", "cannot place the clocks on a dynamically shifted schedule.",
                            "use Wan's UniPC / flow-match scheduler with a fixed shift.")
    value = getattr(cfg, "flow_shift", None) if getattr(cfg, "use_flow_sigmas", False) else getattr(cfg, "shift", None)
    return float(1.0 if value is None else value)


def scheduler_percent_to_sigma(scheduler):
    """The scheduler's percent -> sigma map (ComfyUI's ``percent_to_sigma`` with its shift)."""
    check_flow(scheduler)
    shift = scheduler_shift(scheduler)
    return lambda p: flow_percent_to_sigma(p, shift)


def scheduler_percents(scheduler) -> list[float]:
    """Noise-level percent of every sigma the scheduler will visit (after ``set_timesteps``)."""
    return schedule_percents([float(s) for s in scheduler.sigmas], scheduler_percent_to_sigma(scheduler))


def check_flow(scheduler) -> None:
    if not is_flow_scheduler(scheduler):
        raise TTMInputError(
            "anchoring",
            f"needs a flow-matching scheduler (Wan's default), got {type(scheduler).__name__}.",
            "turn anchoring off or use the model's own UniPC / flow-match scheduler.",
        )


def noise_to_step(scheduler, x0: torch.Tensor, noise: torch.Tensor, index: int) -> torch.Tensor:
    """``x0`` noised to the level of schedule step ``index``: ``(1 - sigma) x0 + sigma noise``.

    Read straight from ``scheduler.sigmas`` (``sigmas[i]`` belongs to ``timesteps[i]``; the last
    entry is 0), so it does not depend on the scheduler's internal step counter.
    """
    check_flow(scheduler)
    return noising_path(x0, noise, scheduler.sigmas[index])


def encode_reference(pipe, frames: torch.Tensor, device, *, consume: bool = False) -> torch.Tensor:
    """VAE latents of the reference video, normalised exactly as the pipeline normalises latents.

    ``consume`` lets the float frames be rescaled to -1..1 in place, saving a full-video copy
    at the moment memory peaks (the caller no longer needs them).
    """
    try:
        from diffusers.utils.torch_utils import get_module_execution_device

        vae_device = get_module_execution_device(pipe.vae)
    except ImportError:  # pragma: no cover
        vae_device = next(pipe.vae.parameters()).device
    video = frames.permute(3, 0, 1, 2).unsqueeze(0)  # [1, 3, T, H, W] in 0..1
    video = video.mul_(2.0).sub_(1.0) if consume and frames.is_floating_point() else video * 2.0 - 1.0
    video = video.to(device=vae_device, dtype=pipe.vae.dtype)
    dist = pipe.vae.encode(video)
    latents = dist.latent_dist.mode() if hasattr(dist, "latent_dist") else dist.latents
    latents = latents.to(device=device, dtype=torch.float32)
    z = pipe.vae.config.z_dim
    mean = torch.tensor(pipe.vae.config.latents_mean, device=device, dtype=torch.float32).view(1, z, 1, 1, 1)
    inv_std = 1.0 / torch.tensor(pipe.vae.config.latents_std, device=device, dtype=torch.float32).view(1, z, 1, 1, 1)
    return (latents - mean) * inv_std


def latent_hold_map(hold: torch.Tensor, spatial: int, temporal: int) -> torch.Tensor:
    """Pixel hold weights ``[T, H, W]`` in 0..1 -> latent weights ``[1, 1, F', H/s, W/s]``.

    Latent frame 0 covers pixel frame 0, latent frame j pixel frames 4j-3..4j (the VAE's
    grouping); each latent cell takes the mean weight of its pixels.
    """
    hold = hold.float()
    t, h, w = hold.shape
    first = hold[:1]
    groups = [first]
    if t > 1:
        rest = hold[1:].view((t - 1) // temporal, temporal, h, w).mean(1)
        groups.append(rest)
    frames = torch.cat(groups, 0).unsqueeze(1)  # [F', 1, H, W]
    pooled = F.avg_pool2d(frames, kernel_size=spatial, stride=spatial)
    return pooled.permute(1, 0, 2, 3).unsqueeze(0).clamp(0, 1)
