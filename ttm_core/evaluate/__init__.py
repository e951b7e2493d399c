"""Evaluation: how well a generated video follows its mask trajectory (framework-free).

:func:`evaluate_video` tracks the trajectory's frame-0 objects through the generated frames with
a segmenter (SAM2 video propagation for users, :func:`palette_segmenter` as the oracle of the
tests) and reports per object and overall, in one :class:`VideoScores`:

- mask-following IoU per frame and mIoU over the frames where the target shows the object,
  visibility agreement, centroid error (px and fraction of the diagonal), end-point error
  (:mod:`.masks`);
- Average Displacement and background stability from weight-free optical flow (:mod:`.flow`);
- CLIPFrame with an image encoder (:mod:`.clipframe`).

:func:`rank_videos` scores several candidates and names the best; :func:`plot_iou` draws the
per-object IoU over time.
"""

from .api import RANK_KEYS, evaluate_video, rank_videos, split_candidates, target_for
from .clipframe import TransformersClipEncoder, clip_frame, clip_preprocess
from .flow import FLOW_METHODS, flow_numbers
from .masks import MaskFollowing, mask_following
from .plot import plot_iou
from .scores import ObjectScores, Ranking, VideoScores
from .segmenters import palette_segmenter, sam2_segmenter
from .video_file import read_video

__all__ = [
    "FLOW_METHODS", "MaskFollowing", "ObjectScores", "RANK_KEYS", "Ranking", "TransformersClipEncoder", "VideoScores",
    "clip_frame", "clip_preprocess", "evaluate_video", "flow_numbers", "mask_following", "palette_segmenter",
    "plot_iou", "rank_videos", "read_video", "sam2_segmenter", "split_candidates", "target_for",
]
