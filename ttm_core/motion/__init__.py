"""Stage 1, Image-to-Motion: first-frame objects + motion description -> mask trajectory."""

from .affine import apply_affine, similarity_affines
from .api import MODES, image_to_motion
from .compose import compose_affine_trajectory
from .drafts import diffusers_draft_fn, sam2_propagate_fn
from .track import TrackWeights, score_draft
from .tracks_io import WAN_TRACK_SAMPLES, trajectory_positions, trajectory_to_tracks, tracks_to_paths

__all__ = [
    "MODES",
    "TrackWeights",
    "WAN_TRACK_SAMPLES",
    "apply_affine",
    "compose_affine_trajectory",
    "diffusers_draft_fn",
    "image_to_motion",
    "sam2_propagate_fn",
    "score_draft",
    "similarity_affines",
    "trajectory_positions",
    "trajectory_to_tracks",
    "tracks_to_paths",
]
