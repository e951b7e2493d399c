"""SAM2 wrappers: load checkpoints, segment the first frame, propagate objects through a video.

Importing this package is cheap: ``sam2``, Hydra and OmegaConf load only when a model is built.
"""

from .configs import CONFIG_NAMES, config_from_filename, config_from_state_dict
from ..images import as_image_array
from .image import objects_from_masks, segment_image
from .loader import Sam2Handle, build_sam2_model, load_sam2
from .object_prompts import ObjectPrompt, parse_object_prompts, prompts_from_points
from .video import propagate_video

__all__ = [
    "CONFIG_NAMES",
    "ObjectPrompt",
    "Sam2Handle",
    "as_image_array",
    "build_sam2_model",
    "config_from_filename",
    "config_from_state_dict",
    "load_sam2",
    "objects_from_masks",
    "parse_object_prompts",
    "prompts_from_points",
    "propagate_video",
    "segment_image",
]
