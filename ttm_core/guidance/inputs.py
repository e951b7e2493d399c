"""Checks of the reference video's own options (choices, margins, per-object strengths).

Images are coerced by :mod:`ttm_core.images`, shared with every other stage.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from ..errors import require


def check_choice(value: Any, choices: tuple[str, ...], input_name: str) -> str:
    require(
        isinstance(value, str) and value in choices,
        input_name,
        f"must be one of {list(choices)}, got {value!r}.",
    )
    return value


def check_margin(value: Any, input_name: str) -> int:
    require(
        isinstance(value, (int, np.integer)) and not isinstance(value, bool) and int(value) >= 0,
        input_name,
        f"must be a whole number of pixels >= 0, got {value!r}.",
    )
    return int(value)


def check_strengths(value: Mapping[str, Any] | None, names: list[str], input_name: str = "hold_strength") -> list[float]:
    """Per-object hold strengths in 0..1 by name; objects not named hold fully (1.0)."""
    if value is None:
        return [1.0] * len(names)
    require(isinstance(value, Mapping), input_name, f"must map object names to 0..1, got {type(value).__name__}.")
    unknown = [k for k in value if k not in names]
    example = f"{names[0]}: 0.5" if names else "leave it empty"
    require(not unknown, input_name, f"names {unknown} are not objects of the trajectory; objects are {names}.",
            f"name only those objects, e.g. {example}.")
    out = []
    for name in names:
        s = value.get(name, 1.0)
        ok = isinstance(s, (int, float, np.number)) and not isinstance(s, bool) and math.isfinite(float(s))
        require(ok and 0.0 <= float(s) <= 1.0, f"{input_name}[{name!r}]", f"must be a number in 0..1, got {s!r}.",
                f"write e.g. {name}: 0.5.")
        out.append(float(s))
    return out


def _is_pil(value: Any) -> bool:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - pillow is a dependency
        return False
    return isinstance(value, Image.Image)
