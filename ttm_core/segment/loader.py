"""Load SAM2 / SAM2.1 checkpoints into a reusable :class:`Sam2Handle`.

The model is built from the YAML shipped inside the ``sam2`` package with ``OmegaConf.load`` and
``hydra.utils.instantiate``; we never call Hydra's ``initialize``/``compose``/``clear``, so packs
that set up Hydra themselves keep their state. (``import sam2`` itself initialises GlobalHydra when
nobody did before, as it does for every user of that package; we leave that as sam2 defines it
because sam2's own ``build_sam2`` relies on it.)

One model instance (the video predictor class, a subclass of ``SAM2Base``) serves both image
segmentation and video propagation, so a node loads the weights once.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import torch

from ..devices import parse_dtype, resolve_device
from ..errors import TTMInputError, require
from .configs import (
    MODELS_HINT,
    config_from_filename,
    config_from_state_dict,
    config_path,
    normalize_config,
)

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".safetensors")


def resolve_dtype(dtype: Any) -> torch.dtype:
    return parse_dtype(dtype)


@dataclass(eq=False)
class Sam2Handle:
    """A loaded SAM2 model that nodes keep between runs.

    Weights stay in float32 (SAM2's own recipe: half precision comes from autocast, which also
    works on CPU where mixed-dtype layer norms would fail); ``dtype`` is the compute dtype.
    ``unload()`` parks the weights on the CPU; the next call that needs them moves them back to
    ``load_device``.
    """

    model: Any
    config_name: str
    device: torch.device
    dtype: torch.dtype = torch.float32
    path: str | None = None
    load_device: torch.device | None = None
    _image_predictor: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.load_device is None:
            self.load_device = self.device

    @property
    def image_size(self) -> int:
        return int(self.model.image_size)

    @property
    def is_loaded(self) -> bool:
        return self.device == self.load_device

    def to(self, device: Any = None, dtype: Any = None) -> "Sam2Handle":
        """Move the weights (and make ``device`` the one later calls run on)."""
        if dtype is not None:
            self.dtype = resolve_dtype(dtype)
        if device is not None:
            target = resolve_device(device)
            self.model.to(target)
            self.device = self.load_device = target
        return self

    def unload(self) -> None:
        """Offload to CPU and free the accelerator's cache; the handle stays usable."""
        if self.device.type != "cpu":
            self.model.to("cpu")
            self.device = torch.device("cpu")
            if torch.cuda.is_available():
                torch.cuda.empty_cache()

    def activate(self) -> None:
        """Bring offloaded weights back to ``load_device`` before a run."""
        if self.device != self.load_device:
            self.model.to(self.load_device)
            self.device = self.load_device

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        if self.dtype == torch.float32:
            yield
            return
        dtype = self.dtype
        if self.device.type == "cpu" and dtype == torch.float16:
            dtype = torch.bfloat16  # CPU autocast kernels are reliable in bf16
        with torch.autocast(device_type=self.device.type, dtype=dtype):
            yield

    def image_predictor(self):
        """A ``SAM2ImagePredictor`` on this model, fixed for non-1024 input sizes (cached)."""
        if self._image_predictor is None:
            from sam2.sam2_image_predictor import SAM2ImagePredictor

            pred = SAM2ImagePredictor(self.model)
            s = self.image_size
            # the stock predictor hard-codes the feature sizes of a 1024 input
            pred._bb_feat_sizes = [(s // 4, s // 4), (s // 8, s // 8), (s // 16, s // 16)]
            self._image_predictor = pred
        return self._image_predictor


def _has_connected_components_kernel() -> bool:
    try:
        from sam2 import _C  # noqa: F401  (probe only)
    except Exception:
        return False
    return True


def build_sam2_model(config: str, image_size: int | None = None) -> torch.nn.Module:
    """Random-initialised SAM2 video predictor from the packaged YAML (no Hydra global state)."""
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    name = normalize_config(config)
    cfg = OmegaConf.load(config_path(name))
    model_cfg = cfg.model
    model_cfg["_target_"] = "sam2.sam2_video_predictor.SAM2VideoPredictor"
    if image_size is not None:
        require(
            isinstance(image_size, int) and image_size >= 64 and image_size % 32 == 0,
            "image_size",
            f"must be a multiple of 32 and >= 64 (Hiera strides and window sizes), got {image_size!r}.",
            "use 1024 (SAM2's native size), 512 or 256.",
        )
        model_cfg["image_size"] = int(image_size)
    # the post-processing that sam2.build_sam applies to its image and video builders
    model_cfg["sam_mask_decoder_extra_args"] = {
        "dynamic_multimask_via_stability": True,
        "dynamic_multimask_stability_delta": 0.05,
        "dynamic_multimask_stability_thresh": 0.98,
    }
    model_cfg["binarize_mask_from_pts_for_mem_enc"] = True
    # hole filling needs sam2's optional CUDA extension; without it sam2 warns on every frame
    model_cfg["fill_hole_area"] = 8 if _has_connected_components_kernel() else 0
    OmegaConf.resolve(cfg)
    return instantiate(model_cfg, _recursive_=True)


def read_checkpoint(path: Path, input_name: str = "sam2_model") -> dict[str, torch.Tensor]:
    """Flat float32 state dict from a ``.pt`` (``{"model": ...}``) or flat ``.safetensors`` file."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".safetensors":
            from safetensors.torch import load_file

            state: Any = load_file(str(path), device="cpu")
        else:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise TTMInputError(
            input_name,
            f"{path.name} could not be read as a {suffix} checkpoint ({type(exc).__name__}: {str(exc)[:160]}).",
            f"the file is corrupt or incomplete: download it again ({MODELS_HINT}).",
        ) from exc
    if isinstance(state, Mapping) and isinstance(state.get("model"), Mapping):
        state = state["model"]
    ok = isinstance(state, Mapping) and state and all(isinstance(v, torch.Tensor) for v in state.values())
    require(
        bool(ok),
        input_name,
        f"{path.name} does not hold a SAM2 state dict.",
        f"use an original SAM2 checkpoint ({MODELS_HINT}).",
    )
    keys = list(state)
    if all(k.startswith("model.") for k in keys):
        state = {k[len("model."):]: v for k, v in state.items()}
    return {k: (v.float() if v.is_floating_point() else v) for k, v in state.items()}


def _pick_config(path: Path, config: str | None, state: Mapping[str, torch.Tensor], input_name: str) -> str:
    if config:
        return normalize_config(config)
    found = config_from_filename(path.name) or config_from_state_dict(state)
    if found is None:
        raise TTMInputError(
            input_name,
            f"cannot tell which SAM2 model {path.name} is (no tiny/small/base_plus/large in the "
            "name, and the weights match no known SAM2 size).",
            "rename the file like sam2.1_hiera_tiny.pt / sam2_hiera_large.pt, or pick the config "
            f"explicitly. Otherwise {MODELS_HINT}.",
        )
    return found


def load_sam2(
    path: str | os.PathLike,
    config: str | None = None,
    device: Any = "cpu",
    dtype: Any = torch.float32,
    *,
    image_size: int | None = None,
    input_name: str = "sam2_model",
) -> Sam2Handle:
    """Load a SAM2/SAM2.1 checkpoint; the config comes from ``config``, the file name or the weights.

    ``image_size`` overrides the model's square input size (1024 natively; smaller is faster and
    coarser; tiny test models use 128-256).
    """
    p = Path(path)
    require(p.suffix.lower() in CHECKPOINT_SUFFIXES, input_name,
            f"{p.name} is not a .pt, .pth or .safetensors file.", MODELS_HINT + ".")
    require(p.is_file(), input_name, f"file not found: {p}.", MODELS_HINT + ".")
    target_device = resolve_device(device)
    compute_dtype = resolve_dtype(dtype)
    state = read_checkpoint(p, input_name)
    name = _pick_config(p, config, state, input_name)
    model = build_sam2_model(name, image_size)
    try:
        result = model.load_state_dict(state, strict=False)
        problems = result.missing_keys + result.unexpected_keys
        detail = (f"{len(result.missing_keys)} missing, {len(result.unexpected_keys)} unexpected weights, "
                  f"e.g. {problems[:3]}")
    except RuntimeError as exc:  # shape mismatches raise even when strict=False
        problems, detail = [str(exc)], str(exc).splitlines()[-1].strip()[:200]
    if problems:
        detected = config_from_state_dict(state)
        hint = f" The weights look like {detected}." if detected and detected != name else ""
        raise TTMInputError(
            input_name,
            f"{p.name} does not match the {name} config ({detail}).{hint}",
            "choose the config that matches the checkpoint, or use an original SAM2 file.",
        )
    model = model.to(target_device).eval()
    return Sam2Handle(model=model, config_name=name, device=target_device, dtype=compute_dtype, path=str(p))
