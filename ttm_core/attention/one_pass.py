"""Blended masked self-attention at the cost of one plain attention call.

``(1 - beta) * full + beta * same_object`` needs, for a query of object g, the softmax over all
keys and the softmax over g's keys. Splitting the keys into g's keys and the others gives two
partial attentions whose outputs, weighted by ``exp(lse_part - lse_all)``, sum exactly to the
full attention; the same-object output is one of the two parts. So every key is read once per
query (N^2 work in all, as stock), instead of full (N^2) plus same-object (sum n_g^2).

Tokens are sorted by label once per sampling call (``TokenGroups.sorted_order``, cached and
reused by every block), so each object's keys are one contiguous slice of the sorted keys and its
"other" keys are the slices before and after it: no per-block gathers of key subsets, no mask.
Queries are processed per object in bounded chunks, so extra memory is the sorted keys/values
plus a few chunk-sized buffers; never an N x N tensor.

The partial attentions need a kernel that returns its log-sum-exp: PyTorch's CPU flash kernel,
and on CUDA the flash (fp16/bf16) or memory-efficient kernels. Where none exists, or when the
caller names its own attention function (e.g. ComfyUI's sage/flash choice), the two-call path
(full + grouped) runs instead; the choice is logged once per device/dtype.
"""

from __future__ import annotations

import logging
import math
from functools import partial
from typing import Callable, Optional

import torch

from .grouped import AttentionFn, TokenGroups, blend_grouped_attention, check_token_count, sdpa_attention, sdpa_bshd

log = logging.getLogger(__name__)

# (q, k, v) on [B, heads, S, dim] -> (out [B, heads, S, dim], lse [B, heads, S])
LseKernel = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]

# queries per kernel call are capped so per-chunk buffers stay small next to q/k/v
CHUNK_ELEMENTS = 1 << 23


def one_pass_or_backend(backend=None) -> Optional[AttentionFn]:
    """None when diffusers would run plain PyTorch SDPA (``native``), else that backend as a function.

    ``backend`` is a processor's ``_attention_backend``; None defers to diffusers' active backend.
    """
    try:
        from diffusers.models.attention_dispatch import AttentionBackendName, _AttentionBackendRegistry

        name = _AttentionBackendRegistry.get_active_backend()[0] if backend is None else backend
        if AttentionBackendName(name) == AttentionBackendName.NATIVE:
            return None
    except ImportError:
        return None
    except (AttributeError, ValueError, TypeError):  # unknown diffusers internals: keep its dispatcher
        pass
    return partial(sdpa_bshd, backend=backend)


def _cpu_flash(q, k, v):
    return torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(q, k, v)


def _cuda_flash(q, k, v):
    res = torch.ops.aten._scaled_dot_product_flash_attention(q, k, v, 0.0, False, False)
    return res[0], res[1]


def _cuda_efficient(q, k, v):
    out, lse = torch.ops.aten._scaled_dot_product_efficient_attention(q, k, v, None, True)[:2]
    return out, lse[..., : q.shape[2]]  # the kernel pads the LSE length to a multiple of 32


def _candidates(device: torch.device, dtype: torch.dtype) -> list[tuple[str, LseKernel]]:
    if device.type == "cpu":
        return [("aten._scaled_dot_product_flash_attention_for_cpu", _cpu_flash)]
    if device.type == "cuda":
        out = []
        if dtype in (torch.float16, torch.bfloat16):
            out.append(("aten._scaled_dot_product_flash_attention (CUDA flash)", _cuda_flash))
        out.append(("aten._scaled_dot_product_efficient_attention (CUDA mem-efficient)", _cuda_efficient))
        return out
    return []


_KERNELS: dict[tuple, Optional[LseKernel]] = {}


def lse_kernel(q: torch.Tensor) -> Optional[LseKernel]:
    """The first LSE-returning kernel that runs and agrees with SDPA here; None -> two-call path.

    Probed once per (device type, dtype, head dim) on a tiny input and logged once.
    """
    key = (q.device.type, q.dtype, q.shape[-1])
    if key in _KERNELS:
        return _KERNELS[key]
    g = torch.Generator().manual_seed(0)
    probe = [torch.randn(1, 2, 40, q.shape[-1], generator=g).to(q.device, q.dtype) for _ in range(3)]
    ref = torch.nn.functional.scaled_dot_product_attention(*probe).float()
    chosen, name = None, None
    for name_, fn in _candidates(q.device, q.dtype):
        try:
            out, lse = fn(*probe)
        except (RuntimeError, NotImplementedError):
            continue
        tol = 1e-3 if q.dtype == torch.float32 or q.dtype == torch.float64 else 3e-2
        if lse.shape == probe[0].shape[:3] and torch.allclose(out.float(), ref, atol=tol):
            chosen, name = fn, name_
            break
    if chosen is None:
        log.info("masked self-attention on %s/%s: no attention kernel returning its log-sum-exp; "
                 "using the two-call path (full + same-object)", q.device.type, q.dtype)
    else:
        log.info("masked self-attention on %s/%s: one pass over the keys with %s", q.device.type, q.dtype, name)
    _KERNELS[key] = chosen
    return chosen


def blended_self_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    groups: TokenGroups,
    beta: float,
    attention: Optional[AttentionFn] = None,
) -> torch.Tensor:
    """``(1 - beta) * full + beta * same_object`` on [B, N, heads, dim] (diffusers layout).

    ``attention=None`` means plain PyTorch SDPA, computed in one pass with exact LSE merging where
    a kernel allows it; a given ``attention(q, k, v)`` is used for every call (two-call path).
    """
    check_token_count(q.shape[1], groups)
    beta = float(beta)
    if attention is None:
        kernel = lse_kernel(q)
        if kernel is not None:
            return _one_pass(q, k, v, groups, beta, kernel)
        attention = sdpa_attention
    return _two_call(q, k, v, groups, beta, attention)


def _two_call(q, k, v, groups: TokenGroups, beta: float, attention: AttentionFn) -> torch.Tensor:
    """Today's path: one full attention call, then one dense call per object, blended in place."""
    if groups.is_single_group or beta == 0.0:
        return attention(q, k, v).to(q.dtype)  # same-object attention *is* full attention
    full = attention(q, k, v).to(q.dtype) if beta < 1.0 else None
    return blend_grouped_attention(q, k, v, groups, full, beta, attention)


def _one_pass(q, k, v, groups: TokenGroups, beta: float, kernel: LseKernel) -> torch.Tensor:
    """Per object and query chunk: partial attentions over its key slice and the other slices, merged."""
    b, n, h, d = q.shape
    if groups.is_single_group or beta == 0.0:
        return kernel(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))[0].transpose(1, 2)
    perm, bounds = groups.sorted_order(q.device)
    # [B, H, N, D] contiguous copies, each label one contiguous slice of N. Gathering along N of
    # the transposed view lays the copy out head-major: the CPU flash kernel runs ~14 % faster on
    # that than on the [B, N, H, D] strides that stock attention hands it (measured at 8k tokens)
    qt = q.transpose(1, 2)
    ks = k.transpose(1, 2).index_select(2, perm)
    vs = v.transpose(1, 2).index_select(2, perm)
    out = torch.empty_like(q)
    acc_dtype = torch.float64 if q.dtype == torch.float64 else torch.float32
    rows = max(768, CHUNK_ELEMENTS // max(1, b * h * d))
    for s, e in zip(bounds[:-1], bounds[1:]):
        chunk = math.ceil((e - s) / math.ceil((e - s) / rows))  # equal chunks, each <= rows
        key_slices = [(s, e)] + ([(0, s)] if s > 0 else []) + ([(e, n)] if e < n else [])
        if beta == 1.0:
            key_slices = key_slices[:1]
        for c0 in range(s, e, chunk):
            idx = perm[c0 : min(e, c0 + chunk)]
            qc = qt.index_select(2, idx)
            parts = [kernel(qc, ks[:, :, a:z], vs[:, :, a:z]) for a, z in key_slices]
            out.index_copy_(1, idx, _merge(parts, beta, acc_dtype).to(q.dtype).transpose(1, 2))
    return out


def _merge(parts: list[tuple[torch.Tensor, torch.Tensor]], beta: float, acc_dtype: torch.dtype) -> torch.Tensor:
    """Exact blend of partial attentions; ``parts[0]`` is the same-object one.

    full = sum_i w_i o_i with w_i = exp(lse_i - logsumexp_j lse_j); the blend adds beta * o_0.
    """
    if len(parts) == 1:
        return parts[0][0]
    lse = torch.stack([p[1].to(acc_dtype) for p in parts])
    weights = (lse - torch.logsumexp(lse, 0)).exp_().mul_(1.0 - beta).unsqueeze(-1)
    weights[0] += beta
    acc = parts[0][0] * weights[0]
    for (o, _), w in zip(parts[1:], weights[1:]):
        acc.addcmul_(o, w)
    return acc
