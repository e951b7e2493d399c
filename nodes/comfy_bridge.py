"""The only module that touches ComfyUI: model folders, progress, interrupt, memory, previews.

Every ComfyUI module is imported lazily and optionally, so the node classes stay plain Python
classes that run (and are tested) without ComfyUI. Without ComfyUI, model folders come from
``TTM_MODELS_DIR`` (default ``./models``), input/output/temp folders from ``TTM_INPUT_DIR`` /
``TTM_OUTPUT_DIR`` / ``TTM_TEMP_DIR`` (default under the system temp dir), and progress is a no-op.

Works with the early-2024 ComfyUI API (``ProgressBar(total)``, ``add_model_folder_path(name,
path)``) and the current one (``ProgressBar(total, node_id)``, ``is_default``).
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Callable, Iterable

from ..ttm_core.errors import TTMInputError

WEIGHT_EXTENSIONS = {".pt", ".pth", ".bin", ".ckpt", ".safetensors", ".sft"}

# model kinds -> (default sub-folder of models/, how entries are found)
FILE_KINDS = {"sam2": WEIGHT_EXTENSIONS, "diffusion_models": WEIGHT_EXTENSIONS, "vae": WEIGHT_EXTENSIONS}
FOLDER_KINDS = {"diffusers": "model_index.json", "LLM": "config.json"}
# ComfyUI renamed "unet" to "diffusion_models" in 2024; the old server only knows "unet"
_LEGACY_KINDS = {"diffusion_models": "unet"}


def _optional_module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def comfy_available() -> bool:
    return _optional_module("folder_paths") is not None


# ---- model folders ----------------------------------------------------------------------------
def _fallback_models_dir() -> Path:
    return Path(os.environ.get("TTM_MODELS_DIR", "models")).expanduser().resolve()


def _registered_name(fp, kind: str) -> str:
    if kind in fp.folder_names_and_paths:
        return kind
    legacy = _LEGACY_KINDS.get(kind)
    if legacy and legacy in fp.folder_names_and_paths:
        return legacy
    return kind


def register_model_folders() -> None:
    """Register ``models/sam2`` and ``models/LLM`` with ComfyUI (idempotent).

    ``add_model_folder_path`` keeps paths that ``extra_model_paths.yaml`` added before the packs
    loaded; we only make sure the default folder is among them and the extensions are known.
    """
    fp = _optional_module("folder_paths")
    if fp is None:
        return
    for kind in ("sam2", "LLM"):
        default = os.path.join(fp.models_dir, kind)
        paths = fp.folder_names_and_paths.get(kind, ([], set()))[0]
        if default not in paths:
            fp.add_model_folder_path(kind, default)
        paths, exts = fp.folder_names_and_paths[kind]
        wanted = set(FILE_KINDS.get(kind, ()))
        if wanted and not wanted <= set(exts):
            fp.folder_names_and_paths[kind] = (paths, set(exts) | wanted)


def model_folders(kind: str) -> list[Path]:
    """Every folder where models of ``kind`` may live, in search order."""
    fp = _optional_module("folder_paths")
    if fp is None:
        return [_fallback_models_dir() / kind]
    name = _registered_name(fp, kind)
    if name not in fp.folder_names_and_paths:
        return [Path(fp.models_dir) / kind]
    return [Path(p) for p in fp.get_folder_paths(name)]


def list_model_files(kind: str) -> list[str]:
    """Weight files (relative paths, ``/``-separated) under every folder of ``kind``."""
    found: set[str] = set()
    for root in model_folders(kind):
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for f in filenames:
                if Path(f).suffix.lower() in FILE_KINDS.get(kind, WEIGHT_EXTENSIONS):
                    found.add(Path(dirpath, f).relative_to(root).as_posix())
    return sorted(found)


def list_model_dirs(kind: str, marker: str | None = None) -> list[str]:
    """Model folders (relative names) holding ``marker``, one or two levels deep.

    Two levels covers ``models/diffusers/Wan-AI/Wan2.2-TI2V-5B-Diffusers`` as laid out by
    ``huggingface-cli download --local-dir`` with an organisation folder.
    """
    marker = marker or FOLDER_KINDS[kind]
    found: set[str] = set()
    for root in model_folders(kind):
        if not root.is_dir():
            continue
        for child in sorted(root.iterdir()):
            if not child.is_dir() or child.name.startswith("."):
                continue
            if (child / marker).is_file():
                found.add(child.name)
                continue
            for grandchild in sorted(child.iterdir()):
                if grandchild.is_dir() and (grandchild / marker).is_file():
                    found.add(f"{child.name}/{grandchild.name}")
    return sorted(found)


def _where(kind: str) -> str:
    return ", ".join(str(p) for p in model_folders(kind)) or f"models/{kind}"


def resolve_model_file(kind: str, name: str, input_name: str) -> Path:
    """Full path of a listed weight file, or an error saying where to put it."""
    if not name or name == "none":
        raise TTMInputError(input_name, "no model file chosen.", f"put the file in one of: {_where(kind)}.")
    rel = Path(name)
    if rel.is_absolute() and rel.is_file():
        return rel
    for root in model_folders(kind):
        candidate = root / rel
        if candidate.is_file():
            return candidate
    raise TTMInputError(
        input_name,
        f"model file {name!r} was not found.",
        f"put it in one of: {_where(kind)} (then refresh the browser page).",
    )


def resolve_model_dir(kind: str, name: str, input_name: str, marker: str | None = None) -> Path:
    """Full path of a listed model folder, or an error saying where to put it."""
    marker = marker or FOLDER_KINDS[kind]
    if not name or name == "none":
        raise TTMInputError(input_name, "no model folder chosen.", f"put a model folder in one of: {_where(kind)}.")
    rel = Path(name)
    if rel.is_absolute() and (rel / marker).is_file():
        return rel
    for root in model_folders(kind):
        candidate = root / rel
        if (candidate / marker).is_file():
            return candidate
    raise TTMInputError(
        input_name,
        f"model folder {name!r} (with a {marker}) was not found.",
        f"put the whole folder in one of: {_where(kind)} (then refresh the browser page).",
    )


# ---- input / output / temp folders -------------------------------------------------------------
def _dir(getter: str, env: str, default_sub: str) -> Path:
    fp = _optional_module("folder_paths")
    if fp is not None:
        path = Path(getattr(fp, getter)())
    else:
        path = Path(os.environ.get(env) or Path(tempfile.gettempdir()) / "ttm" / default_sub)
    path.mkdir(parents=True, exist_ok=True)
    return path


def input_dir() -> Path:
    return _dir("get_input_directory", "TTM_INPUT_DIR", "input")


def output_dir() -> Path:
    return _dir("get_output_directory", "TTM_OUTPUT_DIR", "output")


def temp_dir() -> Path:
    return _dir("get_temp_directory", "TTM_TEMP_DIR", "temp")


_example_image: list[Path] = []  # the image still to copy (empty once done or never wanted)


def install_example_image(source: Path) -> None:
    """Copy the workflows' example image into ComfyUI's input folder if no file of that name is
    there (never overwriting), so the shipped workflows' ``LoadImage`` finds it on first open.

    Early-2024 ComfyUI applies ``--input-directory`` only after loading the packs: then the copy
    waits for :func:`ensure_example_image` (called when the node list is built)."""
    if _inside_comfyui_server() and source.is_file():
        _example_image[:] = [source]
        ensure_example_image()


def _inside_comfyui_server() -> bool:
    """True only when a ComfyUI server loads the pack (not when a script imports ``comfy``)."""
    server = sys.modules.get("server")
    return getattr(getattr(server, "PromptServer", None), "instance", None) is not None


def _input_dir_is_final() -> bool:
    argv = sys.argv
    if "--input-directory" not in argv[:-1]:
        return True
    wanted = os.path.abspath(argv[argv.index("--input-directory") + 1])
    return os.path.abspath(str(input_dir())) == wanted


def ensure_example_image() -> None:
    """Do the pending copy once the input folder is the one ComfyUI will use (cheap otherwise)."""
    if not _example_image or not _input_dir_is_final():
        return
    source = _example_image.pop()
    target = input_dir() / source.name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(source, "rb") as src, open(target, "xb") as dst:  # "x": an existing file is kept
            dst.write(src.read())
    except OSError:  # already there, or a read-only folder: the user picks an image as usual
        pass


def safe_join(root: Path, name: str, input_name: str) -> Path:
    """``root/name`` refusing paths that escape ``root`` (the server is reachable over HTTP)."""
    root = root.resolve()
    path = (root / name).resolve()
    if root != path and root not in path.parents:
        raise TTMInputError(input_name, f"{name!r} points outside {root}.", "use a name inside that folder.")
    return path


# ---- progress, interrupt, memory ---------------------------------------------------------------
def progress_callback(total: int = 1) -> Callable[[int, int], None]:
    """``progress(done, total)`` driving ComfyUI's progress bar (its hook also raises on interrupt)."""
    utils = _optional_module("comfy.utils")
    if utils is None or not hasattr(utils, "ProgressBar"):
        return lambda done, total: None
    bar = utils.ProgressBar(max(int(total), 1))

    def progress(done: int, total: int) -> None:
        bar.update_absolute(int(done), max(int(total), 1))

    return progress


def interrupt_callback() -> Callable[[], bool] | None:
    """Raises ComfyUI's own interrupt exception, so the UI reports "interrupted", not an error."""
    mm = _optional_module("comfy.model_management")
    if mm is None:
        return None

    def interrupt() -> bool:
        mm.throw_exception_if_processing_interrupted()
        return False

    return interrupt


def free_comfy_memory() -> None:
    """Unload ComfyUI's own models and empty the CUDA cache before we load a large model."""
    mm = _optional_module("comfy.model_management")
    if mm is None:
        return
    try:
        mm.unload_all_models()
    finally:
        mm.soft_empty_cache()


def soft_empty_cache() -> None:
    mm = _optional_module("comfy.model_management")
    if mm is not None:
        mm.soft_empty_cache()
    else:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def comfy_device() -> str | None:
    """The device ComfyUI runs on (``--cpu`` makes it cpu), or None outside ComfyUI."""
    mm = _optional_module("comfy.model_management")
    if mm is None:
        return None
    return str(mm.get_torch_device())


# ---- previews ------------------------------------------------------------------------------------
def preview_images(frames: Iterable, prefix: str = "ttm_preview") -> list[dict]:
    """Save ``[H,W,3]`` float images to ComfyUI's temp folder; returns the ``ui.images`` entries.

    Outside ComfyUI there is nobody to show them to, so nothing is written.
    """
    fp = _optional_module("folder_paths")
    if fp is None:
        return []
    import numpy as np
    from PIL import Image

    folder = Path(fp.get_temp_directory())
    folder.mkdir(parents=True, exist_ok=True)
    stamp = uuid.uuid4().hex[:8]
    out = []
    for i, frame in enumerate(frames):
        array = (frame.detach().cpu().clamp(0, 1).numpy() * 255.0).round().astype(np.uint8)
        name = f"{prefix}_{stamp}_{i:05d}.png"
        Image.fromarray(array).save(folder / name, compress_level=1)
        out.append({"filename": name, "subfolder": "", "type": "temp"})
    return out
