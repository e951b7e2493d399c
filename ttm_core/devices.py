"""Device and dtype names as users type them ("auto", "cuda:1", "bf16"), checked once for all loaders."""

from __future__ import annotations

from typing import Any

import torch

from .errors import TTMInputError, require

DTYPE_NAMES = {
    "fp32": torch.float32, "float32": torch.float32,
    "fp16": torch.float16, "float16": torch.float16,
    "bf16": torch.bfloat16, "bfloat16": torch.bfloat16,
}


def resolve_device(device: Any = "auto") -> torch.device:
    """``"auto"`` picks CUDA, then MPS, then CPU; anything else must exist on this machine."""
    if isinstance(device, torch.device):
        return device
    if device is None or str(device) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        out = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise TTMInputError("device", f"unknown device {device!r}.", "use 'auto', 'cpu', 'cuda' or 'cuda:N'.") from exc
    if out.type == "cuda":
        require(torch.cuda.is_available(), "device", "CUDA was asked for but no CUDA GPU is available.",
                "use 'auto' or 'cpu'.")
        require(out.index is None or out.index < torch.cuda.device_count(), "device",
                f"there is no GPU {out.index} (found {torch.cuda.device_count()}).", "use 'cuda:0' or 'auto'.")
    if out.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        require(mps is not None and mps.is_available(), "device", "MPS is not available here.", "use 'auto' or 'cpu'.")
    return out


def parse_dtype(dtype: Any, input_name: str = "dtype") -> torch.dtype:
    """``torch.dtype`` from a dtype or its common names (fp32/float32, fp16/float16, bf16/bfloat16)."""
    if isinstance(dtype, torch.dtype):
        out = dtype
    else:
        out = DTYPE_NAMES.get(str(dtype).lower().replace("torch.", ""))
    require(
        out in (torch.float32, torch.float16, torch.bfloat16),
        input_name,
        f"unsupported dtype {dtype!r}.",
        "use fp32, bf16 or fp16.",
    )
    return out
