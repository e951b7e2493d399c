"""When and where masked attention acts: a block set, a step window and the CFG pass.

The sampling loop owns one :class:`GuidanceState` and updates it before every transformer call;
processors read it. (Wan's transformer does not forward ``attention_kwargs`` to processors, so a
shared state object is the only clean channel.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

from ..errors import require


@dataclass(frozen=True)
class GuidanceConfig:
    """User-facing masked-attention settings (defaults in the spirit of the paper).

    ``beta_self`` / ``beta_cross`` blend masked into full attention (0 = stock, 1 = masked only);
    ``block_fraction`` selects the first fraction of transformer blocks unless ``blocks`` lists
    them; ``step_fraction`` is the share of denoising steps (from the noisiest) where it acts.
    """

    beta_self: float = 0.5
    beta_cross: float = 0.7
    block_fraction: float = 0.25
    step_fraction: float = 0.4
    blocks: tuple[int, ...] | None = None
    self_on_uncond: bool = True

    def __post_init__(self) -> None:
        for name in ("beta_self", "beta_cross", "block_fraction", "step_fraction"):
            value = getattr(self, name)
            require(0.0 <= float(value) <= 1.0, name, f"must be within 0..1, got {value}.")

    @property
    def enabled(self) -> bool:
        return (self.beta_self > 0 or self.beta_cross > 0) and self.step_fraction > 0 and (
            self.block_fraction > 0 or bool(self.blocks)
        )

    def block_indices(self, num_blocks: int) -> frozenset[int]:
        if self.blocks is not None:
            bad = [b for b in self.blocks if not 0 <= int(b) < num_blocks]
            require(not bad, "blocks", f"indices {bad} are outside 0..{num_blocks - 1}.")
            return frozenset(int(b) for b in self.blocks)
        count = math.ceil(self.block_fraction * num_blocks - 1e-9)
        return frozenset(range(min(count, num_blocks)))

    def active_steps(self, num_steps: int) -> int:
        return min(num_steps, math.ceil(self.step_fraction * num_steps - 1e-9))


@dataclass
class GuidanceState:
    """Mutable per-call state: which step and which CFG pass the transformer is running."""

    num_steps: int
    active_steps: int
    step: int = 0
    conditional: bool = True
    enabled: bool = True
    calls: dict = field(default_factory=lambda: {"self": 0, "cross": 0})

    def step_active(self) -> bool:
        return self.enabled and self.step < self.active_steps


def as_block_set(blocks: Iterable[int] | None) -> tuple[int, ...] | None:
    return None if blocks is None else tuple(int(b) for b in blocks)
