"""Dual-clock anchoring clocks on the noise level, shared by the diffusers and the native path.

Time-to-Move states its clocks as step indices of a 50-step schedule (start 3, hold until 7). A
step index means a different noise level at 4 or 8 steps (distillation LoRAs) or with another
scheduler, so here a clock is a *percent of the noise range* in ComfyUI's sense: percent 0 is
pure noise (sigma 1), percent 1 is clean (sigma 0), and a flow model with shift ``s`` maps a
percent ``p`` to ``sigma = s (1-p) / (1 + (s-1)(1-p))`` (``percent_to_sigma`` of ComfyUI's
``ModelSamplingDiscreteFlow``, and the shift diffusers' flow schedulers apply).

Which steps a clock covers: a step goes from ``sigma_i`` to ``sigma_{i+1}``; it lies *before*
clock ``t`` when the midpoint of its percent interval is below ``t``. On the uniform-in-percent
schedules Wan samples with, that is ``round(t * steps)`` steps, today's rule at 50 steps, and it
keeps meaning the same noise levels at any step count and for any scheduler.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from ..errors import TTMInputError, require

PercentToSigma = Callable[[float], float]

T_WEAK = 3 / 50  # Time-to-Move on Wan, 50 steps: start at step 3 ...
T_STRONG = 7 / 50  # ... and hold the objects until step 7


def flow_percent_to_sigma(percent: float, shift: float) -> float:
    """Sigma of a flow-matching model with ``shift`` at ``percent`` of the noise range."""
    if percent <= 0.0:
        return 1.0
    if percent >= 1.0:
        return 0.0
    t = 1.0 - float(percent)
    return shift * t / (1.0 + (shift - 1.0) * t)


def sigma_to_percent(sigma: float, percent_to_sigma: PercentToSigma) -> float:
    """Inverse of a (decreasing) ``percent_to_sigma`` by bisection: exact for any model sampling."""
    sigma = float(sigma)
    lo, hi = 0.0, 1.0
    if sigma >= percent_to_sigma(lo):
        return 0.0
    if sigma <= percent_to_sigma(hi):
        return 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if percent_to_sigma(mid) > sigma:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def schedule_percents(sigmas: Sequence[float], percent_to_sigma: PercentToSigma) -> list[float]:
    """Percent of every entry of a sigma schedule (the last entry is usually 0, percent 1)."""
    return [sigma_to_percent(float(s), percent_to_sigma) for s in sigmas]


def steps_before(percents: Sequence[float], t: float) -> int:
    """How many steps of the schedule lie before clock ``t`` (midpoint rule, see module doc).

    ``percents`` has one entry per sigma (steps + 1); the steps before ``t`` are a prefix.
    """
    count = 0
    for i in range(len(percents) - 1):
        if 0.5 * (percents[i] + percents[i + 1]) < t:
            count = i + 1
        else:
            break
    return count


def start_step(percents: Sequence[float], t_weak: float) -> int:
    """The step sampling starts at for clock ``t_weak`` (``start_at_step``), never past the last step."""
    return min(len(percents) - 2, steps_before(percents, t_weak)) if len(percents) > 1 else 0


def check_clock(value: float, input_name: str) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value))
    require(ok and 0.0 <= float(value) <= 1.0, input_name,
            f"must be a noise-level percent within 0..1 (0 = pure noise, 1 = clean), got {value!r}.",
            f"use a value like {T_STRONG:.2f}.")
    return float(value)


def check_per_object(values: Mapping[str, float] | None, names: Sequence[str], input_name: str,
                     example: float) -> dict[str, float]:
    """Per-object settings by name, each within 0..1; unknown names are a named error."""
    if not values:
        return {}
    require(isinstance(values, Mapping), input_name, f"must map object names to 0..1, got {type(values).__name__}.")
    names = list(names)
    unknown = [k for k in values if k not in names]
    if unknown:
        hint = f"{names[0]}: {example:g}" if names else "leave it empty"
        raise TTMInputError(input_name, f"names {unknown} are not objects of the trajectory; objects are {names}.",
                            f"name only those objects, e.g. {hint}.")
    out = {}
    for name, value in values.items():
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value))
        require(ok and 0.0 <= float(value) <= 1.0, f"{input_name}[{name!r}]",
                f"must be a number in 0..1, got {value!r}.", f"write e.g. {name}: {example:g}.")
        out[name] = float(value)
    return out


@dataclass(frozen=True)
class HoldClocks:
    """``t_weak`` (where sampling starts) and ``t_strong`` (until when the hold acts) as percents;
    ``ends`` overrides ``t_strong`` per object (a held object may be released earlier or later)."""

    t_weak: float = T_WEAK
    t_strong: float = T_STRONG
    ends: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_clock(self.t_weak, "t_weak")
        check_clock(self.t_strong, "t_strong")
        require(self.t_strong >= self.t_weak, "t_strong",
                f"({self.t_strong}) must be >= t_weak ({self.t_weak}): the hold region is anchored at least as long as the start.",
                f"set t_strong to {max(self.t_weak, T_STRONG):.2f} or lower t_weak.")
        for name, end in dict(self.ends).items():
            check_clock(end, f"hold_end[{name!r}]")

    def end(self, name: str | None) -> float:
        return float(self.ends.get(name, self.t_strong)) if name is not None else self.t_strong

    @property
    def latest_end(self) -> float:
        return max([self.t_strong, *(float(v) for v in self.ends.values())])

    def start_step(self, percents: Sequence[float]) -> int:
        """The step sampling starts at (``start_at_step``), never past the last step."""
        return start_step(percents, self.t_weak)

    def hold_until(self, percents: Sequence[float], name: str | None = None) -> int:
        """Steps ``i < hold_until`` are held (their result is put back on the noising path)."""
        return steps_before(percents, self.end(name))
