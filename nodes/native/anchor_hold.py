"""The native anchoring hold: a ``SAMPLER_SAMPLE`` + ``PREDICT_NOISE`` wrapper pair on a MODEL.

``SAMPLER_SAMPLE`` sees the sampler's own raw noise sample and sigma schedule; it places the
clocks on that schedule and checks the inputs. ``PREDICT_NOISE`` then, at every evaluation before
the strong clock, resets the model input in the hold region to the reference's noising path
``(1-σ)·z + σ·noise`` and forces the denoised output there to ``z``. A sampler that is exact on a
constant-denoised flow ODE (euler, dpmpp_2m, uni_pc, ...) therefore keeps the hold region's
state on that path. ``noise_mask`` is never used for this (on Wan 2.2 it becomes per-frame
timesteps, on Wan 2.1 the I2V concat mask); an existing one (TI2V-5B's clean frame 0) only
multiplies the hold.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

import torch

from ...ttm_core.errors import TTMInputError
from ...ttm_core.guidance.clocks import sigma_to_percent
from ...ttm_core.guidance.hold import HoldSchedule, noising_path

LOG = logging.getLogger("ttm.anchoring")
KEY = "ttm_anchoring"
# samplers that add fresh noise every step: the model input of a held step is exact, the state between steps is not
_STOCHASTIC = ("ancestral", "sde", "ddpm", "lcm", "seeds", "sa_solver")
_RECORDS: "OrderedDict[tuple, tuple[torch.Tensor, float]]" = OrderedDict()  # anchor -> (noise, last sigma)
_MAX_RECORDS = 4


def anchor_fingerprint(z: torch.Tensor) -> tuple:
    """Identifies an anchor latent across the two patched experts of a two-sampler chain."""
    zd = z.detach().double()
    return (tuple(z.shape), round(float(zd.sum()), 6), round(float((zd * zd).sum()), 6))


def is_stochastic(name: str) -> bool:
    return any(tag in name for tag in _STOCHASTIC)


def stochastic_note(name: str) -> str:
    """What holds with a sampler that adds fresh noise (the warning users see)."""
    return (f"sampler {name!r} adds fresh noise every step: the held region's model input is exact at every held "
            "step, but its state between steps carries that fresh noise. For an exact hold use euler, dpmpp_2m, "
            "uni_pc or another deterministic sampler.")


def sampler_name(sampler) -> str:
    fn = getattr(sampler, "sampler_function", None)
    return getattr(fn, "__name__", type(sampler).__name__).removeprefix("sample_")


class AnchorHold:
    """State of one anchoring patch; the wrappers are its bound methods."""

    def __init__(self, z_raw: torch.Tensor, maps: list[tuple[float, torch.Tensor]]):
        self.z_raw = z_raw.detach().float().cpu()
        self.maps = [(float(end), m.detach().float().cpu()) for end, m in maps]
        self.key = anchor_fingerprint(self.z_raw)
        self.run = None  # per sampler call: (schedule, z, noise)
        self.log: list[dict] = []  # what each call held (read by tests and the UI note)

    def __deepcopy__(self, memo):  # model_options are deep-copied on clone: keep one state
        return self

    # ---- SAMPLER_SAMPLE ----------------------------------------------------------------------
    def sampler_sample(self, executor, guider, sigmas, extra_args, callback, noise, latent_image, denoise_mask,
                       disable_pbar):
        model = guider.inner_model
        self._check_shape(noise)
        ms = model.model_sampling
        maps = [(end, m.to(noise.device)) for end, m in self.maps]
        if denoise_mask is not None:  # TI2V-5B: frame 0 stays the clean image
            maps = [(end, m * denoise_mask.to(m)) for end, m in maps]
        schedule = HoldSchedule(maps, sigmas.tolist(), lambda p: float(ms.percent_to_sigma(p)))
        entry = {"sigmas": [float(s) for s in sigmas], "steps_held": schedule.steps_held, "sampler": sampler_name(executor.class_obj)}
        self.log = self.log[-7:] + [entry]
        if not schedule.active:
            return executor(guider, sigmas, extra_args, callback, noise, latent_image, denoise_mask, disable_pbar)
        z = model.process_latent_in(self.z_raw.to(device=noise.device, dtype=noise.dtype))
        if not bool(torch.count_nonzero(noise)):  # the sampler keeps its zero noise; the hold uses the carried one
            path_noise = self._carried_noise(schedule, z, noise, latent_image, ms)
        else:
            path_noise = noise
            self._record(noise, float(sigmas[-1]))
        self._warn_stochastic(entry["sampler"], entry)
        self.run = (schedule, z, path_noise)
        try:
            return executor(guider, sigmas, extra_args, callback, noise, latent_image, denoise_mask, disable_pbar)
        finally:
            self.run = None

    def _check_shape(self, noise: torch.Tensor) -> None:
        z = self.z_raw
        same = z.ndim == noise.ndim and tuple(z.shape[1:]) == tuple(noise.shape[1:]) and z.shape[0] in (1, noise.shape[0])
        if not same:
            raise TTMInputError(
                "anchor_latent", f"has shape {tuple(z.shape)} but the sampler's latent is {tuple(noise.shape)}.",
                "feed the TTM Native Anchor Latent output to the sampler's latent_image, and build the reference at the "
                "sampler's width, height and length.")

    def _record(self, noise: torch.Tensor, last_sigma: float) -> None:
        _RECORDS[self.key] = (noise.detach().to("cpu", copy=True), last_sigma)  # no VRAM held between runs
        _RECORDS.move_to_end(self.key)
        while len(_RECORDS) > _MAX_RECORDS:
            _RECORDS.popitem(last=False)

    def _carried_noise(self, schedule: HoldSchedule, z, noise, latent_image, ms) -> torch.Tensor:
        """A zero-noise sampler the hold reaches: continue with the first sampler's noise, verified."""
        first = schedule.sigmas[0]
        percent = sigma_to_percent(first, lambda p: float(ms.percent_to_sigma(p)))
        record = _RECORDS.get(self.key)
        if record is None or record[0].shape != noise.shape:
            raise TTMInputError(
                "add_noise",
                f"is disabled (zero noise) on a sampler the hold reaches (it starts at noise level {percent:.3f}, "
                "before the hold ends); anchoring needs the noise sample of the sampler that started from the anchor latent.",
                "enable add_noise on this sampler; in a two-sampler chain (Wan 2.2 A14B) also patch the first "
                f"sampler's MODEL with TTM Native Anchoring (same anchor latent and hold), or set hold_end to {percent:.3f} "
                "or less so the hold ends before this sampler.")
        carried, last = record
        carried = carried.to(device=noise.device, dtype=noise.dtype)
        state = ms.noise_scaling(torch.tensor(first, device=latent_image.device), noise, latent_image)
        expected = noising_path(z, carried, first)
        full = schedule.weight(first)  # the maps held at this sampler's first step
        full = None if full is None else (full >= 1.0 - 1e-6).expand_as(state)
        off = abs(last - first) > 1e-6 * max(1.0, first)
        if not off and full is not None and bool(full.any()):
            diff = (state - expected).abs()[full]
            off = bool((diff > 1e-3 * (1.0 + expected.abs()[full])).any())
        if off:
            raise TTMInputError(
                "hold_end",
                f"reaches this zero-noise sampler (from noise level {percent:.3f}), but its latent is not on the "
                "anchor's noising path there: the first sampler stopped holding earlier, ended elsewhere, or used other noise.",
                "give both experts' TTM Native Anchoring the same anchor latent, hold and hold_end, chain the samplers "
                f"(end_at_step of the first = start_at_step of the second), or set hold_end to {percent:.3f} or less.")
        return carried

    def _warn_stochastic(self, name: str, entry: dict) -> None:
        if is_stochastic(name):
            entry["warning"] = note = "TTM Native Anchoring: " + stochastic_note(name)
            LOG.warning(note)

    # ---- PREDICT_NOISE -----------------------------------------------------------------------
    def predict_noise(self, executor, x, timestep, model_options, seed):
        run = self.run
        if run is None:
            return executor(x, timestep, model_options, seed)
        schedule, z, noise = run
        sigma = float(timestep.flatten()[0]) if isinstance(timestep, torch.Tensor) else float(timestep)
        weight = schedule.weight(sigma)
        if weight is None:
            return executor(x, timestep, model_options, seed)
        weight = weight.to(x.dtype)
        x_in = torch.lerp(x, noising_path(z, noise, sigma).to(x.dtype), weight)
        out = executor(x_in, timestep, model_options, seed)
        return torch.lerp(out, z.to(out.dtype), weight.to(out.dtype))


def patch_model(model, hold: AnchorHold):
    """A clone of ``model`` with the two wrappers (other wrappers are kept)."""
    import comfy.patcher_extension as ext

    patched = model.clone()
    patched.remove_wrappers_with_key(ext.WrappersMP.SAMPLER_SAMPLE, KEY)
    patched.remove_wrappers_with_key(ext.WrappersMP.PREDICT_NOISE, KEY)
    patched.add_wrapper_with_key(ext.WrappersMP.SAMPLER_SAMPLE, KEY, hold.sampler_sample)
    patched.add_wrapper_with_key(ext.WrappersMP.PREDICT_NOISE, KEY, hold.predict_noise)
    return patched
