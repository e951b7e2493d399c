"""Which packaged SAM2 config belongs to a checkpoint: from its file name, or from its weights.

Real files in ``models/sam2`` are named like ``sam2.1_hiera_tiny.pt``, ``sam2_hiera_large.pt`` or
kijai's ``sam2.1_hiera_base_plus-fp16.safetensors``. When a user renamed the file, the weights
still tell the size (trunk width and depth) and the version (SAM2.1 adds ``no_obj_embed_spatial``).
"""

from __future__ import annotations

import re
from typing import Mapping

from ..errors import TTMInputError

SIZES = ("tiny", "small", "base_plus", "large")
_SIZE_LETTER = {"tiny": "t", "small": "s", "base_plus": "b+", "large": "l"}
# (trunk embed_dim, number of trunk blocks) of each size, from the packaged YAML files
_TRUNK_SHAPES = {(96, 12): "tiny", (96, 16): "small", (112, 24): "base_plus", (144, 48): "large"}

CONFIG_NAMES = tuple(f"{v}_hiera_{_SIZE_LETTER[s]}" for v in ("sam2", "sam2.1") for s in SIZES)

_SIZE_PATTERNS = (
    ("base_plus", r"(base[_\-]?plus|b\+|bplus|hiera[_\-]?b(?![a-z]))"),
    ("tiny", r"(tiny|hiera[_\-]?t(?![a-z]))"),
    ("small", r"(small|hiera[_\-]?s(?![a-z]))"),
    ("large", r"(large|hiera[_\-]?l(?![a-z]))"),
)

MODELS_HINT = (
    "put a SAM2 checkpoint such as sam2.1_hiera_tiny.pt, sam2.1_hiera_large.pt or "
    "sam2.1_hiera_base_plus-fp16.safetensors into ComfyUI/models/sam2"
)


def config_name(version: str, size: str) -> str:
    return f"{version}_hiera_{_SIZE_LETTER[size]}"


def config_path(name: str) -> str:
    """Path of the YAML shipped inside the installed ``sam2`` package (read as a file, no Hydra)."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("sam2")
    if spec is None or not spec.submodule_search_locations:
        raise TTMInputError(
            "sam2",
            "the SAM2 package is not installed.",
            "install it (see the pack's install.py / README: pip install --no-build-isolation "
            "git+https://github.com/facebookresearch/sam2).",
        )
    root = list(spec.submodule_search_locations)[0]
    folder = "sam2.1" if name.startswith("sam2.1") else "sam2"
    path = os.path.join(root, "configs", folder, f"{name}.yaml")
    if not os.path.isfile(path):
        raise TTMInputError("config", f"the installed sam2 package has no {folder}/{name}.yaml.", "update sam2.")
    return path


def normalize_config(config: str) -> str:
    """Accept ``sam2.1_hiera_t``, ``sam2.1_hiera_tiny``, ``sam2.1_hiera_t.yaml``, ``configs/sam2.1/...``."""
    text = str(config).strip().lower().replace("\\", "/").rsplit("/", 1)[-1]
    text = re.sub(r"\.ya?ml$", "", text)
    found = config_from_filename(text)
    if found is None:
        raise TTMInputError(
            "config",
            f"unknown SAM2 config {config!r}.",
            f"use one of {list(CONFIG_NAMES)} or leave it empty to pick it from the file name.",
        )
    return found


def config_from_filename(name: str) -> str | None:
    """``sam2.1_hiera_base_plus-fp16.safetensors`` -> ``sam2.1_hiera_b+``; None when unclear."""
    text = str(name).lower().replace("\\", "/").rsplit("/", 1)[-1]
    if "sam2" not in text and "sam_2" not in text and "sam-2" not in text:
        return None
    version = "sam2.1" if re.search(r"sam[_\-]?2(\.|_|-)?1", text) else "sam2"
    sizes = [size for size, pattern in _SIZE_PATTERNS if re.search(pattern, text)]
    if len(sizes) != 1:
        return None
    return config_name(version, sizes[0])


def config_from_state_dict(state: Mapping[str, object]) -> str | None:
    """Size from the trunk's width and depth, version from a key only SAM2.1 has."""
    weight = state.get("image_encoder.trunk.patch_embed.proj.weight")
    if weight is None or not hasattr(weight, "shape"):
        return None
    blocks = {
        int(m.group(1))
        for key in state
        if (m := re.match(r"image_encoder\.trunk\.blocks\.(\d+)\.", key))
    }
    size = _TRUNK_SHAPES.get((int(weight.shape[0]), len(blocks)))
    if size is None:
        return None
    version = "sam2.1" if "no_obj_embed_spatial" in state else "sam2"
    return config_name(version, size)
