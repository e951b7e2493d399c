"""Which Wan image-to-video flavour a diffusers pipeline is, and what that implies for us."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import TTMInputError

VARIANT_LABELS = {
    "wan21_i2v": "Wan 2.1 I2V (CLIP image branch)",
    "wan22_ti2v_5b": "Wan 2.2 TI2V-5B",
    "wan22_i2v_a14b": "Wan 2.2 I2V-A14B (two experts)",
}


@dataclass(frozen=True)
class WanLayout:
    """Geometry the token grid and the size checks need."""

    variant: str
    vae_spatial: int
    vae_temporal: int
    patch: tuple[int, int, int]

    @property
    def cell(self) -> tuple[int, int]:
        """Pixels per token (height, width): 16 for Wan 2.1/A14B, 32 for TI2V-5B."""
        return self.vae_spatial * self.patch[1], self.vae_spatial * self.patch[2]


def as_i2v_pipeline(pipe):
    """Accept the T2V ``WanPipeline`` class the TI2V-5B folder ships with, as an I2V pipeline.

    Both share components; only the image-conditioned ``WanImageToVideoPipeline`` call path
    conditions on the first frame, so we rebuild that class around the same modules.
    """
    from diffusers import WanImageToVideoPipeline

    if isinstance(pipe, WanImageToVideoPipeline):
        return pipe
    if type(pipe).__name__ != "WanPipeline":
        raise TTMInputError(
            "model",
            f"expected a diffusers Wan image-to-video pipeline, got {type(pipe).__name__}.",
            "load a Wan 2.1 I2V, Wan 2.2 TI2V-5B or Wan 2.2 I2V-A14B diffusers folder.",
        )
    if not getattr(pipe.config, "expand_timesteps", False):
        raise TTMInputError(
            "model",
            "this is a text-to-video Wan model (no image conditioning).",
            "use an image-to-video model: Wan 2.1 I2V, Wan 2.2 TI2V-5B or Wan 2.2 I2V-A14B.",
        )
    i2v = WanImageToVideoPipeline(
        tokenizer=pipe.tokenizer,
        text_encoder=pipe.text_encoder,
        vae=pipe.vae,
        scheduler=pipe.scheduler,
        transformer=pipe.transformer,
        transformer_2=getattr(pipe, "transformer_2", None),
        boundary_ratio=getattr(pipe.config, "boundary_ratio", None),
        expand_timesteps=True,
    )
    i2v.set_progress_bar_config(disable=True)
    return i2v


def wan_layout(pipe) -> WanLayout:
    transformer = pipe.transformer if pipe.transformer is not None else pipe.transformer_2
    cfg = transformer.config
    if getattr(pipe.config, "expand_timesteps", False):
        variant = "wan22_ti2v_5b"
    elif getattr(pipe.config, "boundary_ratio", None) is not None and getattr(pipe, "transformer_2", None) is not None:
        variant = "wan22_i2v_a14b"
    elif cfg.image_dim is not None:
        variant = "wan21_i2v"
    elif cfg.in_channels == 36:
        variant = "wan22_i2v_a14b"  # single-expert I2V without a CLIP branch
    else:
        raise TTMInputError(
            "model",
            f"unsupported Wan transformer (in_channels={cfg.in_channels}, image_dim={cfg.image_dim}).",
            "use an image-to-video model: Wan 2.1 I2V, Wan 2.2 TI2V-5B or Wan 2.2 I2V-A14B.",
        )
    return WanLayout(
        variant=variant,
        vae_spatial=int(pipe.vae_scale_factor_spatial),
        vae_temporal=int(pipe.vae_scale_factor_temporal),
        patch=tuple(int(p) for p in cfg.patch_size),
    )
