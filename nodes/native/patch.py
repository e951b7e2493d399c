"""Masked attention as a patch on a core Wan ``MODEL`` (object patches + two wrappers).

- object patches replace ``self_attn.forward`` / ``cross_attn.forward`` of the chosen blocks
  (``wan_forwards``); they fall through to the forward they replaced unless per-call state says
  otherwise;
- a ``CALC_COND_BATCH`` wrapper sees the sampler's conditionings: it finds the tagged positive
  ones (their ``uuid``s) and refuses context windows;
- an ``APPLY_MODEL`` wrapper decides per model call: noise window (sigma, through the model's
  own ``percent_to_sigma``), token labels for the latent actually sampled, which batch rows are
  the positive prompt, the local prompts projected by this model's ``text_embedding``; it hands
  that state to the forwards in a copy of ``transformer_options``.
The state object is shared by every clone (``__deepcopy__`` returns self): it holds settings,
never per-run data.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

import torch

from ...ttm_core.attention.grid import WAN_VAE_STRIDES, latent_token_labels
from ...ttm_core.attention.grouped import TokenGroups
from ...ttm_core.attention.local_blend import LocalContext
from ...ttm_core.attention.window import NoiseWindow
from ...ttm_core.errors import TTMInputError
from .wan_forwards import make_cross_forward, make_self_forward

POSITIVE_TAG = "ttm_positive"  # conditioning key set on the positive prompt (any truthy value)
POSITIVE_UUIDS = "ttm_positive_uuids"  # transformer_options key the cond-batch wrapper fills
NODE = "TTM Native Masked Attention"


@dataclass
class CallState:
    """What one model call needs: read by the patched forwards through ``transformer_options``."""

    groups: TokenGroups
    beta_self: float
    beta_cross: float
    self_blocks: frozenset
    cross_blocks: frozenset
    locals: list
    rows: torch.Tensor | None
    sigma: float
    record: list | None = None

    def self_active(self, block: int) -> bool:
        return self.beta_self > 0 and block in self.self_blocks

    def cross_active(self, block: int) -> bool:
        return self.beta_cross > 0 and block in self.cross_blocks and bool(self.locals) and (
            self.rows is None or self.rows.numel() > 0)

    def check_tokens(self, count: int) -> None:
        if count != self.groups.num_tokens:
            raise TTMInputError(
                "model",
                f"the attention saw {count} tokens but the latent's token grid has {self.groups.num_tokens}; "
                "something adds or removes tokens (reference latents, time-concatenated frames, context windows).",
                f"remove that node or option, or bypass {NODE} for this model.",
            )

    def note(self, block: int, kind: str) -> None:
        if self.record is not None:
            self.record.append({"sigma": self.sigma, "block": block, "kind": kind})


@dataclass(eq=False)
class NativeMaskedAttention:
    """Settings of one patch; installs itself on a clone of a Wan ModelPatcher."""

    labels: torch.Tensor  # [T, H, W] uint8 trajectory labels
    num_labels: int
    beta_self: float
    beta_cross: float
    window: NoiseWindow
    blocks: frozenset
    locals: dict = field(default_factory=dict)  # label -> raw text encoding [1, L, 4096], padding dropped
    key: str = field(default_factory=lambda: f"ttm_masked_attention_{uuid.uuid4().hex[:8]}")
    record: list | None = None  # set to a list to record which steps / blocks were guided

    def __deepcopy__(self, memo):
        return self

    @property
    def uses_cross(self) -> bool:
        return self.beta_cross > 0 and bool(self.locals)

    @property
    def enabled(self) -> bool:
        return (self.beta_self > 0 or self.uses_cross) and not self.window.empty and bool(self.blocks)

    # ---- installing ---------------------------------------------------------------------------
    def install(self, model):
        """A clone of ``model`` with the forwards and wrappers installed (input never changed)."""
        import comfy.patcher_extension as ext

        patched = model.clone()
        if not self.enabled:
            return patched
        self.forwards: dict = {}
        for block in sorted(self.blocks):
            kinds = [("self_attn", make_self_forward)] if self.beta_self > 0 else []
            if self.uses_cross:
                kinds.append(("cross_attn", make_cross_forward))
            for name, make in kinds:
                attr = f"diffusion_model.blocks.{block}.{name}.forward"
                module = patched.get_model_object(f"diffusion_model.blocks.{block}.{name}")
                previous = patched.get_model_object(attr)
                if getattr(previous, "__self__", None) is not module:
                    logging.getLogger(__name__).warning(
                        "%s: block %d's %s was already replaced by another node; inside the window TTM runs "
                        "its own attention there (the other node's change is skipped on that block)", NODE, block, name)
                fn = make(self.key, block, module, previous)
                patched.add_object_patch(attr, fn)
                self.forwards[attr] = fn
        patched.add_wrapper_with_key(ext.WrappersMP.CALC_COND_BATCH, self.key, self.calc_cond_batch_wrapper)
        patched.add_wrapper_with_key(ext.WrappersMP.APPLY_MODEL, self.key, self.apply_model_wrapper)
        patched.set_attachments(self.key, self)
        return patched

    # ---- wrappers -----------------------------------------------------------------------------
    def calc_cond_batch_wrapper(self, executor, model, conds, x_in, timestep, model_options):
        frames = (int(self.labels.shape[0]) - 1) // 4 + 1
        if model_options.get("context_handler") is not None and x_in.shape[2] != frames:
            raise TTMInputError(
                "model",
                f"sampling runs in context windows ({x_in.shape[2]} of {frames} latent frames per call); "
                "masked attention needs every frame's tokens in one call.",
                f"remove the context-window node from this MODEL, or bypass {NODE}.",
            )
        positive = {c["uuid"] for group in conds if group for c in group if c.get(POSITIVE_TAG) and "uuid" in c}
        if self.uses_cross and not positive:
            raise TTMInputError(
                "positive",
                "the sampler's positive conditioning carries no TTM tag, so the local prompts cannot tell "
                "the positive rows from the negative ones.",
                f"connect {NODE}'s positive output to the sampler's positive input.",
            )
        options = dict(model_options)
        options["transformer_options"] = {**model_options.get("transformer_options", {}),
                                          POSITIVE_UUIDS: frozenset(positive)}
        return executor(model, conds, x_in, timestep, options)

    def apply_model_wrapper(self, executor, x, t, c_concat, c_crossattn, control, transformer_options, **kwargs):
        base = executor.class_obj
        self._check_forwards(base)
        groups = self._groups(x.shape, base)
        sigma = float(t.max())
        active = self.window.contains(sigma, base.model_sampling.percent_to_sigma)
        if self.record is not None:
            self.record.append({"sigma": sigma, "block": None, "kind": "call", "active": active})
        if not active:
            return executor(x, t, c_concat, c_crossattn, control, transformer_options, **kwargs)
        rows = self._positive_rows(transformer_options, x.shape[0])
        locals_ = self._project_locals(base, x.device) if self.uses_cross and rows.numel() else []
        state = CallState(groups, self.beta_self, self.beta_cross, self.blocks, self.blocks, locals_, rows, sigma,
                          self.record)
        options = dict(transformer_options)
        options[self.key] = state
        return executor(x, t, c_concat, c_crossattn, control, options, **kwargs)

    # ---- per-call pieces ----------------------------------------------------------------------
    def _check_forwards(self, base) -> None:
        import comfy.utils

        for attr, fn in self.forwards.items():
            if comfy.utils.get_attr(base, attr) is not fn:
                block, layer = attr.split(".")[2], attr.split(".")[3]
                raise TTMInputError(
                    "model",
                    f"a node applied after {NODE} replaced {layer} of block {block} (e.g. another attention "
                    "patch such as Enhance-A-Video or NAG), so the masked attention would silently be skipped.",
                    f"apply that node first and connect its MODEL output to {NODE}'s model input, "
                    f"so {NODE} is the last patch before the sampler.",
                )

    def _groups(self, latent_shape, base) -> TokenGroups:
        cache = getattr(self, "_group_cache", None)
        shape = tuple(int(s) for s in latent_shape[2:])
        if cache is not None and cache[0] == shape:
            return cache[1]
        channels = int(latent_shape[1])
        stride = WAN_VAE_STRIDES.get(channels, (8, 4))[0]
        patch = tuple(base.diffusion_model.patch_size)
        labels = latent_token_labels(self.labels, latent_shape, stride, patch, 4, self.num_labels)
        groups = TokenGroups.from_labels(labels)
        self._group_cache = (shape, groups)
        return groups

    def _positive_rows(self, transformer_options: dict, batch: int) -> torch.Tensor:
        uuids = transformer_options.get("uuids") or []
        positive = transformer_options.get(POSITIVE_UUIDS, frozenset())
        if not uuids:
            return torch.arange(0)
        per = batch // len(uuids)
        rows = [j * per + r for j, u in enumerate(uuids) if u in positive for r in range(per)]
        return torch.tensor(rows, dtype=torch.long)

    def _project_locals(self, base, device) -> list[LocalContext]:
        """Local prompts through *this* model's text projection, as ``forward`` projects the prompt."""
        import comfy.model_management as mm

        dtype = base.manual_cast_dtype if base.manual_cast_dtype is not None else base.get_dtype()
        embed = base.diffusion_model.text_embedding
        return [LocalContext(label, embed(mm.cast_to_device(raw, device, dtype)))
                for label, raw in sorted(self.locals.items())]
