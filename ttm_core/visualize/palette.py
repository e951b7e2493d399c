"""Object colours, stable across nodes: colour i always belongs to object label i.

Object identity across nodes is its label index (names can be renamed, labels travel with the
masks), so ``palette`` indexes a fixed table: background (label 0) is black, the first objects
get hand-picked, well separated colours, later ones golden-ratio hues. The same call gives the
same colours in every node, run and process.
"""

from __future__ import annotations

import colorsys
from typing import Sequence

import torch

from ..errors import require

_BASE = [
    (230, 25, 75),  # red
    (60, 180, 75),  # green
    (0, 130, 200),  # blue
    (255, 225, 25),  # yellow
    (245, 130, 48),  # orange
    (145, 30, 180),  # purple
    (70, 240, 240),  # cyan
    (240, 50, 230),  # magenta
    (210, 245, 60),  # lime
    (250, 190, 212),  # pink
    (0, 128, 128),  # teal
    (220, 190, 255),  # lavender
    (170, 110, 40),  # brown
    (255, 250, 200),  # beige
    (128, 0, 0),  # maroon
    (170, 255, 195),  # mint
    (128, 128, 0),  # olive
    (255, 215, 180),  # apricot
    (0, 0, 128),  # navy
    (128, 128, 128),  # grey
]


def _colour(index: int) -> tuple[int, int, int]:
    """RGB 0..255 of object ``index`` (0-based object index, i.e. label - 1)."""
    if index < len(_BASE):
        return _BASE[index]
    hue = (index * 0.618033988749895) % 1.0
    sat = 0.65 + 0.3 * ((index * 7) % 3) / 2
    r, g, b = colorsys.hsv_to_rgb(hue, sat, 0.95)
    return int(r * 255 + 0.5), int(g * 255 + 0.5), int(b * 255 + 0.5)


def palette_uint8(names_or_count: Sequence[str] | int) -> torch.Tensor:
    """``[K + 1, 3]`` uint8 table: row 0 background (black), row k object k."""
    if isinstance(names_or_count, int) and not isinstance(names_or_count, bool):
        count = names_or_count
    else:
        require(
            isinstance(names_or_count, (list, tuple)),
            "names",
            f"expected object names or a count, got {names_or_count!r}.",
        )
        count = len(names_or_count)
    require(0 <= count <= 254, "names", f"between 0 and 254 objects are supported, got {count}.")
    rows = [(0, 0, 0)] + [_colour(i) for i in range(count)]
    return torch.tensor(rows, dtype=torch.uint8)


def palette(names_or_count: Sequence[str] | int) -> torch.Tensor:
    """``[K + 1, 3]`` float 0..1 colours; ``palette(names)[labels]`` colours a label video."""
    return palette_uint8(names_or_count).float() / 255.0
