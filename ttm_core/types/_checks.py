"""Validation helpers shared by the data types (tensor coercion, names, file round-trips)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import TTMInputError, require

MAX_OBJECTS = 254  # labels live in uint8 next to background 0; 255 stays free as a sentinel


def as_tensor(value: Any, input_name: str) -> torch.Tensor:
    """Accept torch tensors, numpy arrays and nested lists; anything else is a named error."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, (list, tuple)):
        return torch.as_tensor(value)
    raise TTMInputError(input_name, f"expected a tensor or array, got {type(value).__name__}.")


def as_label_tensor(value: Any, input_name: str, ndim: int, dtype: torch.dtype) -> torch.Tensor:
    """Coerce an integer label map/video, refusing floats with fractions and out-of-range values."""
    t = as_tensor(value, input_name)
    require(
        t.ndim == ndim,
        input_name,
        f"expected {ndim} dimensions ({'H, W' if ndim == 2 else 'T, H, W'}), got shape {tuple(t.shape)}.",
    )
    require(t.numel() > 0, input_name, "is empty.", "pass a label map with at least one pixel.")
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    if t.is_floating_point():
        require(bool(torch.isfinite(t).all()), input_name, "contains NaN or infinite values.")
        require(bool((t == t.round()).all()), input_name, "must hold integer labels, got fractional values.")
    lo, hi = int(t.min()), int(t.max())
    require(lo >= 0, input_name, f"labels must be >= 0 (0 = background), found {lo}.")
    require(hi <= MAX_OBJECTS, input_name, f"at most {MAX_OBJECTS} objects are supported, found label {hi}.")
    return t.to(dtype).contiguous()


def check_names(names: Any, count: int | None, input_name: str = "names") -> list[str]:
    """Names identify objects across nodes (prompts, colours, paths): unique, non-empty strings."""
    require(isinstance(names, (list, tuple)), input_name, f"expected a list of strings, got {type(names).__name__}.")
    clean = []
    for i, n in enumerate(names):
        require(isinstance(n, str) and n.strip() != "", input_name, f"entry {i} must be a non-empty string, got {n!r}.")
        clean.append(n.strip())
    dupes = sorted({n for n in clean if clean.count(n) > 1})
    require(not dupes, input_name, f"object names must be unique, repeated: {dupes}.", "rename the objects.")
    if count is not None:
        require(
            len(clean) == count,
            input_name,
            f"{len(clean)} names given for {count} objects.",
            "give exactly one name per object label 1..K.",
        )
    return clean


def default_names(count: int) -> list[str]:
    return [f"object_{i + 1}" for i in range(count)]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, writer) -> Path:
    """Write through a temp file in the same folder, then rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        writer(tmp)
        os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp creates 0600; give files normal permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_tensors(path: str | os.PathLike, tensors: dict[str, torch.Tensor], kind: str, meta: dict) -> Path:
    """safetensors + JSON metadata, written atomically."""
    from safetensors.torch import save_file

    header = {"ttm_type": kind, "ttm_version": "1", "meta": json.dumps(meta)}
    tensors = {k: v.contiguous() for k, v in tensors.items() if v is not None}
    return atomic_write_bytes(path, lambda tmp: save_file(tensors, tmp, metadata=header))


def load_tensors(path: str | os.PathLike, kind: str, input_name: str = "path") -> tuple[dict[str, torch.Tensor], dict]:
    """Read a file written by :func:`save_tensors`, checking it holds the expected type."""
    from safetensors import safe_open

    path = Path(path)
    require(path.is_file(), input_name, f"file not found: {path}.")
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # corrupt or not safetensors
        raise TTMInputError(input_name, f"{path.name} is not a readable safetensors file ({exc}).") from exc
    found = header.get("ttm_type")
    require(
        found == kind,
        input_name,
        f"{path.name} holds {found or 'no Through-The-Mask data'}, expected {kind}.",
    )
    return tensors, json.loads(header.get("meta", "{}"))
