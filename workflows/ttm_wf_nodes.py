"""What the workflow builder knows without ComfyUI: the graph node record and the core nodes.

``CORE_NODES`` mirrors the input declarations of the core ComfyUI nodes the workflows use
(v0.3.64: ``nodes.py``, ``comfy_extras/nodes_wan.py``, ``nodes_model_advanced.py``,
``nodes_images.py``): names, order, widget kinds and defaults. Model lists are left empty (the
widget value is what counts); the browser test checks the result against the real frontend and
the server test checks this table against the real ``/object_info``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXAMPLE_IMAGE = "ttm_example.png"

SAMPLERS = ["euler", "euler_ancestral", "heun", "dpmpp_2m", "uni_pc"]  # the first is the core default
SCHEDULERS = ["simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal"]
CLIP_TYPES = ["stable_diffusion", "wan"]  # the core list is longer; only the value is written


def _int(default: int, lo: int = 0, hi: int = 16384, **extra) -> tuple:
    return ("INT", {"default": default, "min": lo, "max": hi, **extra})


def _float(default: float, lo: float = 0.0, hi: float = 100.0, **extra) -> tuple:
    return ("FLOAT", {"default": default, "min": lo, "max": hi, **extra})


_SIZE = {"width": _int(832, 16, step=16), "height": _int(480, 16, step=16), "length": _int(81, 1, step=4),
         "batch_size": _int(1, 1, 4096)}

# core ComfyUI nodes used by the workflows; LoadImage and SaveAnimatedWEBP exist in early-2024
# ComfyUI too, the others only in current ComfyUI (native Wan)
CORE_NODES = {
    "LoadImage": {
        "input": {"required": {"image": ([EXAMPLE_IMAGE], {"image_upload": True})}},
        "output": [("IMAGE", "IMAGE"), ("MASK", "MASK")],
    },
    "SaveAnimatedWEBP": {
        "input": {"required": {
            "images": ("IMAGE",),
            "filename_prefix": ("STRING", {"default": "ComfyUI"}),
            "fps": _float(6.0, 0.01, 1000.0, step=0.01),
            "lossless": ("BOOLEAN", {"default": True}),
            "quality": _int(80, 0, 100),
            "method": (["default", "fastest", "slowest"],),
        }},
        "output": [],
    },
    "UNETLoader": {
        "input": {"required": {"unet_name": ([],), "weight_dtype": (["default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"],)}},
        "output": [("MODEL", "MODEL")],
    },
    "CLIPLoader": {
        "input": {"required": {"clip_name": ([],), "type": (CLIP_TYPES,)},
                  "optional": {"device": (["default", "cpu"], {"advanced": True})}},
        "output": [("CLIP", "CLIP")],
    },
    "VAELoader": {"input": {"required": {"vae_name": ([],)}}, "output": [("VAE", "VAE")]},
    "LoraLoaderModelOnly": {
        "input": {"required": {"model": ("MODEL",), "lora_name": ([],), "strength_model": _float(1.0, -100.0, step=0.01)}},
        "output": [("MODEL", "MODEL")],
    },
    "ModelSamplingSD3": {
        "input": {"required": {"model": ("MODEL",), "shift": _float(3.0, step=0.01)}},
        "output": [("MODEL", "MODEL")],
    },
    "CLIPTextEncode": {
        "input": {"required": {"text": ("STRING", {"multiline": True, "dynamicPrompts": True}), "clip": ("CLIP",)}},
        "output": [("CONDITIONING", "CONDITIONING")],
    },
    "Wan22ImageToVideoLatent": {
        "input": {"required": {"vae": ("VAE",), **{**_SIZE, "width": _int(1280, 32, step=32),
                                                   "height": _int(704, 32, step=32), "length": _int(49, 1, step=4)}},
                  "optional": {"start_image": ("IMAGE",)}},
        "output": [("LATENT", "LATENT")],
    },
    "WanImageToVideo": {
        "input": {"required": {"positive": ("CONDITIONING",), "negative": ("CONDITIONING",), "vae": ("VAE",), **_SIZE},
                  "optional": {"clip_vision_output": ("CLIP_VISION_OUTPUT",), "start_image": ("IMAGE",)}},
        "output": [("positive", "CONDITIONING"), ("negative", "CONDITIONING"), ("latent", "LATENT")],
    },
    "KSamplerAdvanced": {
        "input": {"required": {
            "model": ("MODEL",),
            "add_noise": (["enable", "disable"],),
            "noise_seed": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFFFFFFFFFFFF, "control_after_generate": True}),
            "steps": _int(20, 1, 10000),
            "cfg": _float(8.0, step=0.1, round=0.01),
            "sampler_name": (SAMPLERS,),
            "scheduler": (SCHEDULERS,),
            "positive": ("CONDITIONING",),
            "negative": ("CONDITIONING",),
            "latent_image": ("LATENT",),
            "start_at_step": _int(0, 0, 10000),
            "end_at_step": _int(10000, 0, 10000),
            "return_with_leftover_noise": (["disable", "enable"],),
        }},
        "output": [("LATENT", "LATENT")],
    },
    "VAEDecode": {"input": {"required": {"samples": ("LATENT",), "vae": ("VAE",)}}, "output": [("IMAGE", "IMAGE")]},
}
LEGACY_CORE_TYPES = {"LoadImage", "SaveAnimatedWEBP"}  # the only core nodes early-2024 ComfyUI has of these


@dataclass
class Node:
    """One node of a workflow graph: widget values that differ from the defaults, and links."""

    id: int
    type: str
    pos: tuple[int, int]
    widgets: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)  # input name -> (source node id, output name)
    models: list = field(default_factory=list)
    title: str | None = None


def download(name: str, repo: str, folder: str, directory: str) -> dict:
    """A ``properties.models`` entry: the frontend offers ``url`` when ``name`` is missing."""
    return {"name": name, "url": f"https://huggingface.co/{repo}/resolve/main/split_files/{folder}/{name}",
            "directory": directory}


WAN22_REPO = "Comfy-Org/Wan_2.2_ComfyUI_Repackaged"
WAN21_REPO = "Comfy-Org/Wan_2.1_ComfyUI_repackaged"
TEXT_ENCODER = "umt5_xxl_fp8_e4m3fn_scaled.safetensors"
MODEL_FILES = {  # Comfy-Org's repackaged files, as its own templates name them
    "ti2v_5b": download("wan2.2_ti2v_5B_fp16.safetensors", WAN22_REPO, "diffusion_models", "diffusion_models"),
    "i2v_a14b_high": download("wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors", WAN22_REPO, "diffusion_models",
                              "diffusion_models"),
    "i2v_a14b_low": download("wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors", WAN22_REPO, "diffusion_models",
                             "diffusion_models"),
    "lightx2v_high": download("wan2.2_i2v_lightx2v_4steps_lora_v1_high_noise.safetensors", WAN22_REPO, "loras", "loras"),
    "lightx2v_low": download("wan2.2_i2v_lightx2v_4steps_lora_v1_low_noise.safetensors", WAN22_REPO, "loras", "loras"),
    "vae22": download("wan2.2_vae.safetensors", WAN22_REPO, "vae", "vae"),
    "vae21": download("wan_2.1_vae.safetensors", WAN22_REPO, "vae", "vae"),
    "umt5": download(TEXT_ENCODER, WAN21_REPO, "text_encoders", "text_encoders"),
}
