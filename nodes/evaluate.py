"""Evaluation node: how well generated frames follow their mask trajectory, and best-of-N.

The core (:mod:`ttm_core.evaluate`) does the math; this node adapts ComfyUI types (IMAGE batches,
a core ``CLIP_VISION``) and shows the table and the plot on the node.
"""

from __future__ import annotations

import json

import torch

from . import comfy_bridge as bridge
from ._base import CATEGORY, SAM2, TRAJECTORY, combo, integer, node_inputs, socket, to_image_batch
from ..ttm_core.errors import TTMInputError


class ClipVisionEncoder:
    """A core ``CLIP_VISION`` (anything with ``encode_image(IMAGE) -> .image_embeds``) as the
    core's image encoder ``frames [B, H, W, 3] -> [B, D]``. ComfyUI does its own CLIP
    preprocessing (resize, centre crop, normalise) inside ``encode_image``."""

    def __init__(self, clip_vision, batch_size: int = 16) -> None:
        if not callable(getattr(clip_vision, "encode_image", None)):
            raise TTMInputError("clip_vision", f"expected a CLIP_VISION model, got {type(clip_vision).__name__}.",
                                "connect a Load CLIP Vision node (e.g. clip_vision_h.safetensors).")
        self.clip_vision, self.batch_size = clip_vision, int(batch_size)

    def __call__(self, frames: torch.Tensor) -> torch.Tensor:
        out = []
        for i in range(0, int(frames.shape[0]), self.batch_size):
            result = self.clip_vision.encode_image(frames[i:i + self.batch_size])
            emb = getattr(result, "image_embeds", None)
            if emb is None and isinstance(result, dict):
                emb = result.get("image_embeds")
            if emb is None:
                raise TTMInputError("clip_vision", "encode_image returned no image_embeds.",
                                    "connect a CLIP vision model with a projection (CLIP ViT-H/L/G).")
            out.append(emb.float().cpu().reshape(emb.shape[0], -1))
        return torch.cat(out)


class TTMEvaluateVideo:
    DESCRIPTION = (
        "Scores how well generated frames follow the mask trajectory: SAM2 tracks the frame-0 objects "
        "through the video, then per object mIoU (frames where the target shows it), visibility "
        "agreement, centroid and end-point error, plus Average Displacement, background motion "
        "(optical flow) and CLIPFrame (with a CLIP vision model). Stack several candidate videos "
        "(e.g. seeds, with Batch Images) to keep the one that follows best."
    )
    CATEGORY = f"{CATEGORY}/evaluate"
    RETURN_TYPES = ("IMAGE", "INT", "IMAGE", "STRING")
    RETURN_NAMES = ("best_frames", "best_index", "plot", "scores_json")
    FUNCTION = "evaluate"

    @classmethod
    def INPUT_TYPES(cls):
        from ..ttm_core.evaluate import FLOW_METHODS, RANK_KEYS

        return {
            "required": {
                "frames": socket("IMAGE", "Generated frames: one video, or several candidate videos stacked one after another (each as long as the trajectory)."),
                "trajectory": socket(TRAJECTORY, "The mask trajectory the video was generated from (its target)."),
                "sam2": socket(SAM2, "SAM2 from TTM Load SAM2: tracks the frame-0 objects through the generated frames."),
                "candidates": integer(0, 0, 64, "How many videos are stacked in frames; 0 infers it from the batch size and the trajectory's length."),
                "rank_by": combo(list(RANK_KEYS), "What 'best' means: highest mIoU, lowest centroid error, or highest visibility agreement."),
                "flow": combo([*FLOW_METHODS, "none"], "Optical flow for Average Displacement and background motion (no weights); none skips them."),
                "background_margin": integer(8, 0, 128, "Background motion ignores pixels this close (px) to any object, where flow smears across edges."),
            },
            "optional": {
                "clip_vision": socket("CLIP_VISION", "Optional CLIP vision model (Load CLIP Vision, e.g. clip_vision_h) for CLIPFrame: similarity of consecutive frames."),
            },
        }

    def evaluate(self, frames, trajectory, sam2, candidates, rank_by, flow, background_margin, clip_vision=None):
        from ..ttm_core.evaluate import plot_iou, rank_videos, sam2_segmenter, split_candidates

        encoder = None if clip_vision is None else ClipVisionEncoder(clip_vision)
        interrupt = bridge.interrupt_callback()
        with node_inputs({"segmenter": "sam2", "clip": "clip_vision"}):
            if not hasattr(trajectory, "num_frames"):
                raise TTMInputError("trajectory", f"expected a TTM_TRAJECTORY, got {type(trajectory).__name__}.")
            videos = split_candidates(frames, trajectory.num_frames, int(candidates))
            progress = bridge.progress_callback(len(videos))
            segmenter = sam2_segmenter(sam2, fps=trajectory.fps, interrupt=interrupt)
            done = [0]

            def counted(video, objects):  # one progress tick per candidate tracked
                out = segmenter(video, objects)
                done[0] += 1
                progress(done[0], len(videos))
                return out

            ranking = rank_videos(videos, trajectory, key=rank_by, segmenter=counted, clip=encoder,
                                  flow=None if flow == "none" else flow, background_margin=int(background_margin),
                                  interrupt=interrupt)
        best = ranking.scores[ranking.best]
        title = "mask-following IoU per frame" + (f" (candidate {ranking.best} of {len(videos)})" if len(videos) > 1 else "")
        plot = plot_iou(best, title=title)
        text = best.table()
        if len(videos) > 1:
            text = f"best: candidate {ranking.best} by {rank_by}\n{ranking.table()}\n\ncandidate {ranking.best}:\n{text}"
        result = (to_image_batch(videos[ranking.best]), int(ranking.best), to_image_batch(plot),
                  json.dumps(ranking.to_dict()))
        return {"ui": {"text": [text], "images": bridge.preview_images([plot], "ttm_evaluate")}, "result": result}


NODE_CLASS_MAPPINGS = {"TTMEvaluateVideo": TTMEvaluateVideo}
NODE_DISPLAY_NAME_MAPPINGS = {"TTMEvaluateVideo": "TTM Evaluate Video"}
