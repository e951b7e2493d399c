"""The hold of dual-clock anchoring, framework-free: the noising path, per-object hold maps and
which of them act at a given noise level. Both the diffusers loop and the native ComfyUI
wrappers use these, so the two paths hold the same cells at the same noise levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch

from ..errors import require
from .clocks import PercentToSigma, check_per_object, schedule_percents, steps_before


def noising_path(z: torch.Tensor, noise: torch.Tensor, sigma) -> torch.Tensor:
    """``(1 - sigma) z + sigma noise``: where a flow sampler's state is at noise level ``sigma``
    when the clean latent is ``z`` and its noise sample ``noise``."""
    if not isinstance(sigma, torch.Tensor):
        sigma = torch.tensor(float(sigma), dtype=torch.float32)
    sigma = sigma.to(device=z.device, dtype=torch.float32)
    return ((1.0 - sigma) * z.float() + sigma * noise.float()).to(z.dtype)


@dataclass(eq=False)
class ObjectHolds:
    """Per-object hold clocks (the ``TTM_HOLD`` socket): which object each held pixel belongs
    to (``owner``, uint8 ``[T, H, W]``, 0 = none) and per-object ends (noise percents)."""

    names: list[str]
    owner: torch.Tensor
    ends: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require(self.owner.ndim == 3, "hold", f"owner map must be [T, H, W], got {tuple(self.owner.shape)}.")
        self.ends = check_per_object(self.ends, self.names, "hold_end", 0.1)

    def split(self, weights: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
        """``weights`` ``[T, H, W]`` cut into per-object parts that sum back to ``weights``."""
        require(tuple(weights.shape) == tuple(self.owner.shape), "hold_mask",
                f"is {tuple(weights.shape)} but the hold's object map is {tuple(self.owner.shape)} ([T, H, W]).",
                "use the hold_mask and hold outputs of the same TTM Reference Video node.")
        return [(name, weights * (self.owner == k + 1)) for k, name in enumerate(self.names)]

    def __repr__(self) -> str:
        return f"ObjectHolds({self.names}, ends={self.ends})"


def clock_maps(weights: torch.Tensor, holds: ObjectHolds | None, default_end: float, pool) -> list[tuple[float, torch.Tensor]]:
    """``(end percent, latent map)`` pairs: one for all, or one per object with its own end.

    ``pool`` turns pixel weights ``[T, H, W]`` into a latent map (:func:`.anchoring.latent_hold_map`).
    """
    if holds is None or not holds.ends:
        return [(float(default_end), pool(weights))]
    return [(holds.ends.get(name, float(default_end)), pool(part)) for name, part in holds.split(weights)]


class HoldSchedule:
    """Which hold maps act at each noise level of one sampler call.

    ``sigmas`` is the schedule the sampler runs (``steps + 1`` entries). A map with end ``e``
    holds the first ``steps_before(percents, e)`` steps, i.e. every model evaluation at a sigma
    strictly above the sigma where its last held step ends.
    """

    def __init__(self, maps: Sequence[tuple[float, torch.Tensor]], sigmas: Sequence[float], percent_to_sigma: PercentToSigma):
        self.sigmas = [float(s) for s in sigmas]
        self.percents = schedule_percents(self.sigmas, percent_to_sigma)
        self.entries = []  # (threshold sigma, steps held, map)
        for end, latent_map in maps:
            until = steps_before(self.percents, end)
            if until > 0 and float(latent_map.max()) > 0:
                self.entries.append((self.sigmas[until], until, latent_map))

    @property
    def active(self) -> bool:
        return bool(self.entries)

    @property
    def steps_held(self) -> int:
        return max((until for _, until, _ in self.entries), default=0)

    def weight(self, sigma: float) -> torch.Tensor | None:
        """The hold weights at an evaluation at ``sigma`` (None: nothing held there)."""
        active = [m for threshold, _, m in self.entries if sigma > threshold]
        if not active:
            return None
        return active[0] if len(active) == 1 else torch.stack(active).sum(0).clamp(0, 1)

    def weight_at_step(self, i: int) -> torch.Tensor | None:
        return self.weight(self.sigmas[i]) if i < len(self.sigmas) - 1 else None
