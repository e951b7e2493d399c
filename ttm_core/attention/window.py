"""When masked attention acts, defined on the noise level instead of the step index.

A step index means different noise levels at 4, 20 or 50 steps and under different
schedulers; a sigma range does not. ``start``/``end`` are fractions of the denoising process
as in core ComfyUI's ``start_percent``/``end_percent`` (0 = pure noise, 1 = clean); the adapter
converts them to sigmas with the model's own schedule (``percent_to_sigma``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import require


@dataclass(frozen=True)
class NoiseWindow:
    """Active while ``sigma_end <= sigma <= sigma_start`` (both ends inclusive, as core does)."""

    start_percent: float = 0.0
    end_percent: float = 0.4

    def __post_init__(self) -> None:
        for name in ("start_percent", "end_percent"):
            value = float(getattr(self, name))
            require(0.0 <= value <= 1.0, name, f"must be within 0..1, got {value}.")
        require(
            self.start_percent <= self.end_percent,
            "end_percent",
            f"({self.end_percent}) is before start_percent ({self.start_percent}).",
            f"set end_percent to at least {self.start_percent}.",
        )

    @property
    def empty(self) -> bool:
        return self.start_percent == self.end_percent

    def sigma_range(self, percent_to_sigma: Callable[[float], float]) -> tuple[float, float]:
        """``(sigma_start, sigma_end)`` of this window under a model's schedule."""
        return float(percent_to_sigma(self.start_percent)), float(percent_to_sigma(self.end_percent))

    def contains(self, sigma: float, percent_to_sigma: Callable[[float], float]) -> bool:
        if self.empty:
            return False
        high, low = self.sigma_range(percent_to_sigma)
        return low <= float(sigma) <= high
