"""Stage 2 node (Motion-to-Video): the first frame, the mask trajectory and the prompt plan
become video frames through masked attention and trajectory anchoring on Wan."""

from __future__ import annotations

from . import comfy_bridge as bridge
from ._base import (
    CATEGORY, PROMPTS, TRAJECTORY, VIDEO_MODEL, boolean, first_image, integer, node_inputs, number,
    object_example, per_object_numbers, socket, text, to_image_batch,
)


class TTMMotionToVideo:
    DESCRIPTION = (
        "Motion-to-Video: generates the video with Wan so each object follows its mask trajectory "
        "and its own local prompt (masked self/cross-attention in the early blocks and steps, plus "
        "dual-clock anchoring to a warped reference video). Frames leave as IMAGE: chain Save "
        "Animated WEBP, Save WEBM or VideoHelperSuite."
    )
    CATEGORY = f"{CATEGORY}/video"
    RETURN_TYPES = ("IMAGE",)
    RETURN_NAMES = ("frames",)
    FUNCTION = "generate"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "video_model": socket(VIDEO_MODEL, "Wan model from TTM Load Video Model."),
                "image": socket("IMAGE", "The first frame (the image the objects were segmented on)."),
                "trajectory": socket(TRAJECTORY, "Mask trajectory from an Image-to-Motion node."),
                "prompts": socket(PROMPTS, "Prompt plan: global prompt plus one local prompt per object."),
                "width": integer(832, 16, 4096, "Video width; a multiple of 16 (Wan 2.1/A14B) or 32 (TI2V-5B).", step=16),
                "height": integer(480, 16, 4096, "Video height; a multiple of 16 (Wan 2.1/A14B) or 32 (TI2V-5B).", step=16),
                "num_frames": integer(0, 0, 1025, "Frames to generate, 4k+1 (e.g. 49, 81); 0 takes the trajectory's length."),
                "steps": integer(30, 1, 200, "Sampling steps."),
                "cfg": number(5.0, 1.0, 20.0, 0.1, "Classifier-free guidance scale."),
                "seed": integer(0, 0, 0xFFFFFFFFFFFFFFFF, "Noise seed.", control_after_generate=True),
                "negative_prompt": text("What to avoid; empty uses the model's usual negative prompt.", "", True),
                "beta_self": number(0.5, 0.0, 1.0, 0.05, "Masked self-attention strength: 0 off, 1 tokens see only their own object."),
                "beta_cross": number(0.7, 0.0, 1.0, 0.05, "Masked cross-attention strength: how much each object listens to its local prompt."),
                "block_fraction": number(0.25, 0.0, 1.0, 0.05, "Fraction of transformer blocks (from the first) with masked attention."),
                "step_fraction": number(0.4, 0.0, 1.0, 0.05, "Fraction of sampling steps (from the first) with masked attention."),
                "anchoring": boolean(True, "Start from the warped reference video and hold the moving regions to it early on (needed for open weights to follow trajectories)."),
                "t_weak": number(0.06, 0.0, 1.0, 0.01, "Anchoring: noise level sampling starts at, as a percent of the noise range (0 = pure noise, 1 = clean); the same noise level at any step count. 0.06 = step 3 of 50."),
                "t_strong": number(0.14, 0.0, 1.0, 0.01, "Anchoring: noise level (percent, like t_weak) until which the object regions are held to the reference. 0.14 = step 7 of 50."),
            },
            "optional": {
                "hold_strength": text("Optional per-object hold strength 0..1: one number for all or name: number pairs (dog: 1, ball: 0.5)."),
                "hold_end": text("Optional per-object end of the hold, a noise-level percent like t_strong: name: number pairs (dog: 0.2, ball: 0.1); objects not named use t_strong."),
                "cfg_low_noise": number(0.0, 0.0, 20.0, 0.1, "Wan 2.2 A14B only: guidance of the low-noise expert; 0 uses cfg."),
                "hold_margin": integer(-1, -1, 256, "Anchoring: pixels the held region reaches beyond each object's mask; -1 uses the VAE's cell size."),
            },
        }

    def generate(self, video_model, image, trajectory, prompts, width, height, num_frames, steps, cfg, seed,
                 negative_prompt, beta_self, beta_cross, block_fraction, step_fraction, anchoring, t_weak, t_strong,
                 hold_strength="", cfg_low_noise=0.0, hold_margin=-1, hold_end=""):
        from ..ttm_core.pipeline import motion_to_video

        img = first_image(image)
        frames = int(num_frames) or trajectory.num_frames
        hold = per_object_numbers(hold_strength, "hold_strength", object_example(trajectory.names, (1.0, 0.5)))
        if isinstance(hold, float):
            hold = {name: hold for name in trajectory.names}
        ends = per_object_numbers(hold_end, "hold_end", object_example(trajectory.names, (0.2, 0.1)))
        if isinstance(ends, float):
            ends = {name: ends for name in trajectory.names}
        model = video_model.get()
        try:
            with node_inputs({"pipe": "video_model", "pipe_or_model": "video_model", "num_inference_steps": "steps",
                              "guidance_scale": "cfg", "guidance_scale_2": "cfg_low_noise"}):
                video = motion_to_video(
                    model, img, trajectory, prompts,
                    num_frames=frames, height=int(height), width=int(width), num_inference_steps=int(steps),
                    guidance_scale=float(cfg), guidance_scale_2=float(cfg_low_noise) or None, seed=int(seed),
                    negative_prompt=negative_prompt.strip() or None,
                    beta_self=float(beta_self), beta_cross=float(beta_cross),
                    block_fraction=float(block_fraction), step_fraction=float(step_fraction),
                    anchoring=bool(anchoring), t_weak=float(t_weak), t_strong=float(t_strong), hold_strength=hold,
                    hold_end=ends,
                    hold_margin=None if int(hold_margin) < 0 else int(hold_margin),
                    progress=bridge.progress_callback(int(steps)), interrupt=bridge.interrupt_callback(),
                )
        finally:
            video_model.release()
        return (to_image_batch(video),)


NODE_CLASS_MAPPINGS = {"TTMMotionToVideo": TTMMotionToVideo}
NODE_DISPLAY_NAME_MAPPINGS = {"TTMMotionToVideo": "TTM Motion-to-Video (Wan)"}
