"""Stage 2 (Motion-to-Video) on diffusers Wan pipelines."""

from .sampling import motion_to_video
from .variants import VARIANT_LABELS, WanLayout, as_i2v_pipeline, wan_layout

__all__ = ["VARIANT_LABELS", "WanLayout", "as_i2v_pipeline", "motion_to_video", "wan_layout"]
from .loading import VideoModel, load_video_model  # noqa: E402

__all__ += ["VideoModel", "load_video_model"]
