"""A ComfyUI-style models tree of tiny random models, for smoke-testing an install offline.

``DIR/diffusers/<name>/`` holds one diffusers folder per Wan variant, ``DIR/sam2/<file>`` a SAM2.1
checkpoint, ``DIR/LLM/<name>/`` a chat LLM, ``DIR/diffusion_models`` and ``DIR/vae`` the 5B
transformer and VAE as single files; every name contains ``tiny``. Point ComfyUI at ``DIR`` (``extra_model_paths
.yaml`` or ``--base-directory``), switch a shipped workflow's model choices to these names, and
every node runs in seconds on a CPU: nothing meaningful comes out, but every code path runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from .tiny_wan import WAN_VARIANTS, save_tiny_wan

WAN_FOLDER_NAMES = {
    "wan21_i2v": "tiny-random-Wan2.1-I2V-Diffusers",
    "wan22_ti2v_5b": "tiny-random-Wan2.2-TI2V-5B-Diffusers",
    "wan22_i2v_a14b": "tiny-random-Wan2.2-I2V-A14B-Diffusers",
}
SAM2_FILE_NAME = "sam2.1_hiera_tiny-random.pt"
SINGLE_TRANSFORMER_NAME = "tiny-random-wan2.2-ti2v-5b-transformer.safetensors"
SINGLE_VAE_NAME = "tiny-random-wan2.2-vae.safetensors"
LLM_FOLDER_NAME = "tiny-random-gpt2-chat"
# the random SAM2 is built for this input size; loading it at 1024 works but is slower
SAM2_IMAGE_SIZE = 256


def write_models_tree(
    root: str | os.PathLike,
    variants: tuple[str, ...] = WAN_VARIANTS,
    sam2: bool = True,
    llm: bool = True,
    seed: int = 0,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write the tree (skipping models already there unless ``overwrite``); returns name -> path."""
    root = Path(root)
    written: dict[str, Path] = {}
    for variant in variants:
        if variant not in WAN_FOLDER_NAMES:
            raise ValueError(f"unknown Wan variant {variant!r}; choose from {WAN_VARIANTS}")
        folder = root / "diffusers" / WAN_FOLDER_NAMES[variant]
        if overwrite or not (folder / "model_index.json").is_file():
            save_tiny_wan(variant, folder, seed=seed)
        written[variant] = folder
    if sam2:
        from .tiny_sam2 import save_tiny_sam2

        path = root / "sam2" / SAM2_FILE_NAME
        if overwrite or not path.is_file():
            save_tiny_sam2(path, fmt="pt", image_size=SAM2_IMAGE_SIZE, seed=seed)
        written["sam2"] = path
    if llm:
        from .tiny_llm import save_tiny_llm

        folder = root / "LLM" / LLM_FOLDER_NAME
        if overwrite or not (folder / "config.json").is_file():
            save_tiny_llm(folder, seed=seed)
        written["llm"] = folder
    if "wan22_ti2v_5b" in variants:
        written.update(_single_files(root, written["wan22_ti2v_5b"], overwrite))
    for sub in ("LLM", "diffusion_models", "vae"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return written


def _single_files(root: Path, folder: Path, overwrite: bool) -> dict[str, Path]:
    """The 5B folder's transformer and VAE as ComfyUI-style single files (original Wan keys)."""
    from safetensors.torch import load_file, save_file

    from .wan_original_format import to_original_wan_keys

    out = {
        "transformer_file": root / "diffusion_models" / SINGLE_TRANSFORMER_NAME,
        "vae_file": root / "vae" / SINGLE_VAE_NAME,
    }
    if overwrite or not out["transformer_file"].is_file():
        state = {}
        for shard in sorted((folder / "transformer").glob("*.safetensors")):
            state.update(load_file(str(shard)))
        out["transformer_file"].parent.mkdir(parents=True, exist_ok=True)
        save_file(to_original_wan_keys(state, prefix="model.diffusion_model."), str(out["transformer_file"]))
    if overwrite or not out["vae_file"].is_file():
        state = {}
        for shard in sorted((folder / "vae").glob("*.safetensors")):
            state.update(load_file(str(shard)))
        out["vae_file"].parent.mkdir(parents=True, exist_ok=True)
        save_file(state, str(out["vae_file"]))
    return out
