"""Helpers of the native anchoring tests: recorders around the anchoring wrapper, the expected
values computed independently of the code under test, and a test-only Wan VAE stand-in.

Expected values come from core's own sigma table (``comfy.samplers.KSampler(...).sigmas``), core's
noise (``comfy.sample.prepare_noise``) and core's latent format (``process_latent_in``); which
steps a clock holds comes from the analytic inverse of the flow shift below, not from
``ttm_core.guidance.clocks`` (which inverts by bisection).
"""

from __future__ import annotations

import torch

from native_helpers import import_comfy, sample, text_cond

HOLD_KEY = "ttm_anchoring"


def analytic_percent(sigma: float, shift: float) -> float:
    """Percent of a flow sigma: invert ``sigma = s t / (1 + (s-1) t)``, percent = 1 - t."""
    if sigma >= 1.0:
        return 0.0
    if sigma <= 0.0:
        return 1.0
    return 1.0 - sigma / (shift - (shift - 1.0) * sigma)


def expected_held(sigmas: list[float], shift: float, end: float) -> int:
    """Steps held for clock ``end``: those whose percent-midpoint lies before it (hand rule)."""
    p = [analytic_percent(s, shift) for s in sigmas]
    n = 0
    while n < len(sigmas) - 1 and (p[n] + p[n + 1]) / 2 < end:
        n += 1
    return n


def core_sigmas(model, steps: int, sampler: str, scheduler: str = "simple") -> list[float]:
    import comfy.samplers

    return comfy.samplers.KSampler(model, steps=steps, device="cpu", sampler=sampler, scheduler=scheduler).sigmas.tolist()


class Recorder:
    """PREDICT_NOISE recorders outside (``outer``) and inside (``inner``) the anchoring wrapper:
    outer sees the sampler's state and the output the sampler gets, inner what the model gets
    and what it returns."""

    def __init__(self):
        self.outer, self.inner = [], []

    def _wrap(self, store):
        def wrapper(executor, x, timestep, model_options, seed):
            out = executor(x, timestep, model_options, seed)
            store.append((float(timestep.flatten()[0]), x.detach().clone(), out.detach().clone()))
            return out
        return wrapper

    def around(self, model, patch):
        """``patch(model)`` with this recorder outside and inside the patch's wrappers."""
        import comfy.patcher_extension as ext

        base = model.clone()
        base.add_wrapper_with_key(ext.WrappersMP.PREDICT_NOISE, "test_outer", self._wrap(self.outer))
        patched = patch(base)
        patched.add_wrapper_with_key(ext.WrappersMP.PREDICT_NOISE, "test_inner", self._wrap(self.inner))
        return patched


def hold_of(model):
    """The AnchorHold a patched model carries (its call log tells what each sampler call held)."""
    import comfy.patcher_extension as ext

    (fn,) = model.get_wrappers(ext.WrappersMP.SAMPLER_SAMPLE, HOLD_KEY)
    return fn.__self__


def anchor_case(channels: int = 16, frames: int = 3, h: int = 8, w: int = 8, seed: int = 7):
    """A raw (VAE-space) anchor latent and a pixel hold mask aligned to whole latent cells (stride 8)."""
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(1, channels, frames, h, w, generator=gen) * 1.5 + 0.3
    t = (frames - 1) * 4 + 1
    mask = torch.zeros(t, h * 8, w * 8)
    mask[:, 16:40, 8:32] = 1.0  # latent rows 2..4, cols 1..3 in every frame
    return z, mask


def cell_mask(mask_pixels: torch.Tensor, stride: int = 8) -> torch.Tensor:
    """Latent cells that are held fully ([1, 1, F', h, w] bool), computed by hand from pixels."""
    t, h, w = mask_pixels.shape
    frames = [mask_pixels[:1]] + [mask_pixels[1 + 4 * j: 5 + 4 * j] for j in range((t - 1) // 4)]
    out = torch.stack([f.amin(0) for f in frames])  # [F', H, W]
    out = out.view(len(frames), h // stride, stride, w // stride, stride).amin(dim=(2, 4))
    return (out >= 1.0)[None, None]


def conds():
    return text_cond(5, seed=1), text_cond(4, seed=2)


def run(model, latent: dict, steps: int, sampler: str, start: int, seed: int = 3, cfg: float = 3.0, **kw):
    pos, neg = conds()
    return sample(model, pos, neg, latent, steps=steps, cfg=cfg, sampler=sampler, scheduler="simple", seed=seed,
                  start_step=start, **kw)


def processed(model, z: torch.Tensor) -> torch.Tensor:
    return model.model.process_latent_in(z)


def core_noise(z: torch.Tensor, seed: int) -> torch.Tensor:
    import comfy.sample

    return comfy.sample.prepare_noise(z, seed)


class StandInWanVAE:
    """Test-only stand-in for ``comfy.sd.VAE`` around a *tiny* real Wan 2.1 VAE module
    (``comfy.ldm.wan.vae.WanVAE``): core's VAELoader hard-codes the full-size config, so no tiny
    VAE loads through it. ``encode`` does what ``VAE.encode`` does for video (pixels to -1..1,
    ``[T, H, W, C]`` to ``[1, C, T, H, W]``), without the memory management."""

    downscale_ratio = (lambda a: max(0, (a + 3) // 4), 8, 8)

    def __init__(self, seed: int = 0):
        import_comfy()
        import comfy.ldm.wan.vae as wan_vae

        torch.manual_seed(seed)
        self.first_stage_model = wan_vae.WanVAE(dim=8, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=1,
                                                temperal_downsample=[False, True, True]).eval()
        with torch.no_grad():  # core's ops leave weights uninitialised: fill them (seeded)
            for p in self.first_stage_model.parameters():
                p.copy_(torch.randn_like(p) / max(1, p[0].numel()) ** 0.5 if p.ndim > 1 else 0.1 * torch.randn_like(p))

    @torch.no_grad()
    def encode(self, pixels: torch.Tensor) -> torch.Tensor:
        x = pixels.movedim(-1, 0).unsqueeze(0) * 2.0 - 1.0
        return self.first_stage_model.encode(x).float()


class NotWanVAE(StandInWanVAE):
    def __init__(self):
        self.first_stage_model = torch.nn.Conv2d(3, 4, 1)
