"""Test-only ComfyUI nodes (never shipped): core Wan loaders for tiny random files.

ComfyUI's ``VAELoader`` and ``CLIPLoader`` hard-code the Wan VAE widths and the UMT5-XXL
config, so no tiny VAE or text encoder loads through them (see ``../shared/native-wan.md``).
These two nodes take the same inputs and run the same core code (``comfy.sd.VAE``,
``comfy.sd.load_clip`` with ``CLIPType.WAN``, the real tokenizer class, T5 and CLIP wrappers),
substituting exactly one thing each, read from the tiny file's metadata:

- **TTMTestTinyVAELoader**: the width arguments (``dim``, ``dec_dim``, ``num_res_blocks``) with
  which ``comfy.sd.VAE`` builds ``WanVAE`` (Wan 2.1 or 2.2 layout, z_dim, strides and latent
  format unchanged);
- **TTMTestTinyCLIPLoader**: the ``umt5_config_xxl.json`` that ``UMT5XXlModel`` reads, replaced
  by a tiny UMT5 config (same 4096 width and 24 blocks, so detection and the CONDITIONING shape
  ``[1, 512, 4096]`` are the real ones; 1 head, d_ff 8, a small SentencePiece vocabulary).

The server tests swap ``VAELoader`` -> ``TTMTestTinyVAELoader`` and ``CLIPLoader`` ->
``TTMTestTinyCLIPLoader`` in a shipped API workflow (class type only, inputs unchanged).
``tiny_files.py`` writes the matching files. The folder is linked into the test servers'
``custom_nodes`` only; on a ComfyUI without native Wan it registers nothing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import tempfile

TINY_CONFIG_KEY = "ttm_tiny_config"  # safetensors metadata: JSON of what is substituted
SUBSTITUTES = {"VAELoader": "TTMTestTinyVAELoader", "CLIPLoader": "TTMTestTinyCLIPLoader"}


@contextlib.contextmanager
def _wrapped(owner, name: str, make):
    """Temporarily replace ``owner.name`` by ``make(original)``."""
    original = getattr(owner, name)
    setattr(owner, name, make(original))
    try:
        yield
    finally:
        setattr(owner, name, original)


def _tiny_config(path: str) -> dict:
    import comfy.utils

    sd, metadata = comfy.utils.load_torch_file(path, return_metadata=True)
    if not metadata or TINY_CONFIG_KEY not in metadata:
        raise ValueError(f"{os.path.basename(path)} is not a tiny test file (no {TINY_CONFIG_KEY} metadata)")
    return sd, json.loads(metadata[TINY_CONFIG_KEY])


class TTMTestTinyVAELoader:
    """``VAELoader`` for tiny random Wan VAE files (test fixture)."""

    CATEGORY = "Through-The-Mask/testing"
    RETURN_TYPES = ("VAE",)
    FUNCTION = "load_vae"
    DESCRIPTION = "Test fixture: core VAE loading with the Wan VAE widths taken from a tiny file."

    @classmethod
    def INPUT_TYPES(cls):
        import folder_paths

        return {"required": {"vae_name": (folder_paths.get_filename_list("vae"), {"tooltip": "A tiny Wan VAE file."})}}

    def load_vae(self, vae_name):
        import comfy.ldm.wan.vae
        import comfy.ldm.wan.vae2_2
        import comfy.sd
        import folder_paths

        sd, tiny = _tiny_config(folder_paths.get_full_path_or_raise("vae", vae_name))
        module = comfy.ldm.wan.vae2_2 if tiny.pop("layout") == "wan2.2" else comfy.ldm.wan.vae
        with _wrapped(module, "WanVAE", lambda original: lambda **config: original(**{**config, **tiny})):
            vae = comfy.sd.VAE(sd=sd)
        vae.throw_exception_if_invalid()
        return (vae,)


class TTMTestTinyCLIPLoader:
    """``CLIPLoader`` (type ``wan``) for a tiny random UMT5 file (test fixture)."""

    CATEGORY = "Through-The-Mask/testing"
    RETURN_TYPES = ("CLIP",)
    FUNCTION = "load_clip"
    DESCRIPTION = "Test fixture: core Wan text-encoder loading with a tiny UMT5 config taken from the file."

    @classmethod
    def INPUT_TYPES(cls):
        import folder_paths

        return {"required": {"clip_name": (folder_paths.get_filename_list("text_encoders"), {"tooltip": "A tiny UMT5 file."}),
                             "type": (["wan"], {"tooltip": "Only Wan's UMT5."})},
                "optional": {"device": (["default", "cpu"], {"tooltip": "Ignored: the tests run on CPU."})}}

    def load_clip(self, clip_name, type="wan", device="default"):
        import comfy.sd
        import comfy.sd1_clip
        import folder_paths

        path = folder_paths.get_full_path_or_raise("text_encoders", clip_name)
        _, tiny = _tiny_config(path)
        with tempfile.TemporaryDirectory() as tmp:
            config_path = os.path.join(tmp, "umt5_config_tiny.json")
            with open(config_path, "w") as f:
                json.dump(tiny, f)

            def swap(original):
                def init(self, *args, textmodel_json_config=None, **kwargs):
                    if str(textmodel_json_config).endswith("umt5_config_xxl.json"):
                        textmodel_json_config = config_path
                    original(self, *args, textmodel_json_config=textmodel_json_config, **kwargs)
                return init

            with _wrapped(comfy.sd1_clip.SDClipModel, "__init__", swap):
                clip = comfy.sd.load_clip(ckpt_paths=[path], embedding_directory=folder_paths.get_folder_paths("embeddings"),
                                          clip_type=comfy.sd.CLIPType.WAN)
        return (clip,)


def _has_native_wan() -> bool:
    try:
        return importlib.util.find_spec("comfy.ldm.wan") is not None
    except ImportError:  # no ComfyUI at all (imported by the tests for SUBSTITUTES)
        return False


if _has_native_wan():  # current ComfyUI
    NODE_CLASS_MAPPINGS = {cls.__name__: cls for cls in (TTMTestTinyVAELoader, TTMTestTinyCLIPLoader)}
else:  # early-2024 ComfyUI: nothing to substitute
    NODE_CLASS_MAPPINGS = {}
NODE_DISPLAY_NAME_MAPPINGS = {name: f"TTM test: {name[7:]}" for name in NODE_CLASS_MAPPINGS}
