"""Native-path workflows: stage 2 on core ComfyUI Wan (``UNETLoader`` / ``CLIPLoader`` /
``VAELoader`` -> the pack's patches -> ``KSamplerAdvanced`` -> ``VAEDecode``).

Files are Comfy-Org's repackaged ones (the frontend offers them for download when missing).
"""

from __future__ import annotations

from ttm_wf_diffusers import PROMPT, paths_nodes, plan_nodes, preview_nodes, segment_nodes
from ttm_wf_nodes import MODEL_FILES, TEXT_ENCODER, Node

# Wan's usual negative prompt (English gloss of the one Wan was trained with)
NEGATIVE = ("vivid colours, overexposed, static, blurry details, subtitles, style, artwork, still frame, grey overall, "
            "worst quality, low quality, JPEG artifacts, ugly, deformed, extra fingers, badly drawn hands or face, "
            "fused fingers, cluttered background, three legs, walking backwards")
FRAMES = 49
TI2V_SAMPLER = {"steps": 20, "sampler_name": "uni_pc", "scheduler": "simple"}  # keep TTMAnchorStartStep equal
A14B_SAMPLER = {"steps": 4, "sampler_name": "euler", "scheduler": "simple"}  # 4-step LoRA: cfg 1
WIDTH, HEIGHT = 832, 480  # the example image: the latent must have the trajectory's (the image's) size


def _name(key: str) -> str:
    return MODEL_FILES[key]["name"]


def _loader(node_id: int, kind: str, key: str, pos: tuple[int, int], links: dict | None = None) -> Node:
    """A core loader set to a repackaged file, with its download entry."""
    widget = {"UNETLoader": "unet_name", "VAELoader": "vae_name", "LoraLoaderModelOnly": "lora_name"}[kind]
    return Node(node_id, kind, pos, {widget: _name(key)}, links or {}, models=[MODEL_FILES[key]])


def _text_nodes(x: int) -> list[Node]:
    """Text encoder and the prompts (ids 40-42)."""
    return [
        Node(40, "CLIPLoader", (x, 900), {"clip_name": TEXT_ENCODER, "type": "wan"}, models=[MODEL_FILES["umt5"]]),
        Node(41, "CLIPTextEncode", (x + 380, 900), {"text": PROMPT}, {"clip": (40, "CLIP")}, title="Positive prompt"),
        Node(42, "CLIPTextEncode", (x + 380, 1100), {"text": NEGATIVE}, {"clip": (40, "CLIP")}, title="Negative prompt"),
    ]


def _save(node_id: int, images: tuple[int, str], x: int, fps: float) -> Node:
    return Node(node_id, "SaveAnimatedWEBP", (x, 560), {"filename_prefix": "ttm/video", "fps": fps, "quality": 90},
                {"images": images})


def _attention(node_id: int, model: tuple[int, str], positive: tuple[int, str], pos: tuple[int, int],
               title: str | None = None) -> Node:
    """Masked self/cross attention on one MODEL; its tagged positive goes to that MODEL's sampler."""
    return Node(node_id, "TTMNativeMaskedAttention", pos, {},
                {"model": model, "trajectory": (6, "trajectory"), "local_prompts": (43, "local_prompts"),
                 "positive": positive}, title=title)


def _anchoring(x: int, latent: tuple[int, str], models: dict[int, tuple[int, str]], margin: int) -> list[Node]:
    """Reference video + hold mask -> anchor latent (ids 46-47) -> anchoring on each MODEL (ids in ``models``)."""
    nodes = [
        Node(46, "TTMReferenceVideo", (x + 1140, 1300), {"hold_margin": margin},
             {"image": (1, "IMAGE"), "trajectory": (6, "trajectory")}),
        Node(47, "TTMAnchorLatent", (x + 1520, 1300), {}, {"vae": (31, "VAE"), "reference": (46, "reference"),
                                                           "latent": latent}),
    ]
    for node_id, model in models.items():
        nodes.append(Node(node_id, "TTMAnchoring", (x + 1520, 560 + 140 * len(nodes)), {},
                          {"model": model, "anchor_latent": (47, "latent"), "hold_mask": (46, "hold_mask"),
                           "hold": (46, "hold")}))
    return nodes


def _start_step(model: tuple[int, str], x: int, **sampler) -> Node:
    """t_weak -> the sampler's start_at_step (same steps / sampler / scheduler as the sampler)."""
    return Node(49, "TTMAnchorStartStep", (x + 1520, 1000), sampler, {"model": model})


def _local_prompts(x: int) -> Node:
    return Node(43, "TTMNativeLocalPrompts", (x + 760, 900), {}, {"clip": (40, "CLIP"), "prompts": (5, "prompts")})


def ti2v_5b_nodes(x: int = 1140) -> list[Node]:
    """Wan 2.2 TI2V-5B: one model, the image as frame 0 of the latent (ids 30-59)."""
    return _text_nodes(x) + [
        _loader(30, "UNETLoader", "ti2v_5b", (x, 560)),
        _loader(31, "VAELoader", "vae22", (x, 1300)),
        Node(32, "ModelSamplingSD3", (x + 380, 560), {"shift": 8.0}, {"model": (30, "MODEL")}),
        _local_prompts(x),
        _attention(44, (32, "MODEL"), (41, "CONDITIONING"), (x + 760, 560)),
        Node(50, "Wan22ImageToVideoLatent", (x + 760, 1100), {"width": WIDTH, "height": HEIGHT, "length": FRAMES},
             {"vae": (31, "VAE"), "start_image": (1, "IMAGE")}),
        *_anchoring(x, (50, "LATENT"), {48: (44, "model")}, margin=16),
        _start_step((48, "model"), x, **TI2V_SAMPLER),
        Node(51, "KSamplerAdvanced", (x + 1900, 560), {"noise_seed": 42, "cfg": 5.0, **TI2V_SAMPLER},
             {"model": (48, "model"), "positive": (44, "positive"), "negative": (42, "CONDITIONING"),
              "latent_image": (47, "latent"), "start_at_step": (49, "start_at_step")}),
        Node(52, "VAEDecode", (x + 2280, 560), {}, {"samples": (51, "LATENT"), "vae": (31, "VAE")}),
        _save(53, (52, "IMAGE"), x + 2660, 24.0),
    ]


def a14b_nodes(x: int = 1140) -> list[Node]:
    """Wan 2.2 I2V-A14B: high-noise then low-noise expert, each with a 4-step lightx2v LoRA."""
    return _text_nodes(x) + [
        _loader(30, "UNETLoader", "i2v_a14b_high", (x, 560)),
        _loader(33, "UNETLoader", "i2v_a14b_low", (x, 700)),
        _loader(31, "VAELoader", "vae21", (x, 1300)),
        _loader(34, "LoraLoaderModelOnly", "lightx2v_high", (x + 380, 560), {"model": (30, "MODEL")}),
        _loader(35, "LoraLoaderModelOnly", "lightx2v_low", (x + 380, 700), {"model": (33, "MODEL")}),
        Node(36, "ModelSamplingSD3", (x + 760, 560), {"shift": 5.0}, {"model": (34, "MODEL")}, title="Shift (high noise)"),
        Node(37, "ModelSamplingSD3", (x + 760, 700), {"shift": 5.0}, {"model": (35, "MODEL")}, title="Shift (low noise)"),
        _local_prompts(x),
        _attention(44, (36, "MODEL"), (50, "positive"), (x + 1140, 900), "TTM Native Masked Attention (high noise)"),
        _attention(45, (37, "MODEL"), (50, "positive"), (x + 1140, 1100), "TTM Native Masked Attention (low noise)"),
        Node(50, "WanImageToVideo", (x + 760, 1100), {"width": WIDTH, "height": HEIGHT, "length": FRAMES},
             {"positive": (41, "CONDITIONING"), "negative": (42, "CONDITIONING"), "vae": (31, "VAE"),
              "start_image": (1, "IMAGE")}),
        *_anchoring(x, (50, "latent"), {48: (44, "model"), 55: (45, "model")}, margin=8),
        _start_step((48, "model"), x, **A14B_SAMPLER),
        Node(51, "KSamplerAdvanced", (x + 1900, 560),
             {"noise_seed": 42, "cfg": 1.0, **A14B_SAMPLER, "end_at_step": 2, "return_with_leftover_noise": "enable"},
             {"model": (48, "model"), "positive": (44, "positive"), "negative": (50, "negative"),
              "latent_image": (47, "latent"), "start_at_step": (49, "start_at_step")}, title="KSampler (high noise)"),
        Node(54, "KSamplerAdvanced", (x + 2280, 560),
             {"add_noise": "disable", "cfg": 1.0, **A14B_SAMPLER, "start_at_step": 2},
             {"model": (55, "model"), "positive": (45, "positive"), "negative": (50, "negative"),
              "latent_image": (51, "LATENT")}, title="KSampler (low noise)"),
        Node(52, "VAEDecode", (x + 2660, 560), {}, {"samples": (54, "LATENT"), "vae": (31, "VAE")}),
        _save(53, (52, "IMAGE"), x + 3040, 16.0),
    ]


def workflow_native_prompt_to_video() -> list[Node]:
    """Image -> SAM2 -> LLM plan -> trajectory -> native Wan 2.2 TI2V-5B."""
    return segment_nodes() + plan_nodes(llm=True) + preview_nodes(6, 1520) + ti2v_5b_nodes()


def workflow_native_paths_to_video() -> list[Node]:
    """Image -> SAM2 -> drawn paths -> trajectory -> native Wan 2.2 TI2V-5B."""
    return segment_nodes() + paths_nodes() + preview_nodes(6, 1520) + ti2v_5b_nodes()


def workflow_native_a14b_paths_to_video() -> list[Node]:
    """Image -> SAM2 -> drawn paths -> native Wan 2.2 I2V-A14B (two experts, 4-step LoRA)."""
    return segment_nodes() + paths_nodes() + preview_nodes(6, 1520) + a14b_nodes()


WORKFLOWS = {
    "ttm_native_prompt_to_video": workflow_native_prompt_to_video,
    "ttm_native_paths_to_video": workflow_native_paths_to_video,
    "ttm_native_a14b_paths_to_video": workflow_native_a14b_paths_to_video,
}
