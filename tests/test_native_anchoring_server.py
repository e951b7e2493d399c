"""Native anchoring nodes in a real current ComfyUI (v0.3.64): they register, a bad input is a
named execution error, and the same server goes on serving the next prompt."""

from __future__ import annotations

import pytest

from comfy_harness import error_messages
from native_helpers import tiny_wan_checkpoint

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.fixture
def server(comfy_server):
    """The session's current ComfyUI (shared with the other native server tests) with a tiny Wan file."""
    models = comfy_server.base / "models" / "diffusion_models"
    models.mkdir(parents=True, exist_ok=True)
    if not (models / "tiny_wan_t2v_0.safetensors").is_file():
        tiny_wan_checkpoint(models, "t2v")
    return comfy_server


def _model():
    return {"class_type": "UNETLoader", "inputs": {"unet_name": "tiny_wan_t2v_0.safetensors", "weight_dtype": "default"}}


@pytest.mark.parametrize("comfy_server", ["current"], indirect=True)
def test_registered_with_their_sockets(server):
    info = server.get("/object_info")
    assert info["TTMAnchoring"]["output"] == ["MODEL"]
    assert list(info["TTMAnchoring"]["input"]["required"]) == ["model", "anchor_latent", "hold_mask", "hold_end"]
    assert info["TTMReferenceVideo"]["output"] == ["IMAGE", "MASK", "TTM_HOLD"]
    assert info["TTMAnchorLatent"]["output"] == ["LATENT"] and info["TTMAnchorStartStep"]["output"] == ["INT"]


@pytest.mark.parametrize("comfy_server", ["current"], indirect=True)
def test_bad_hold_mask_is_named_and_the_server_keeps_serving(server):
    bad = {
        "1": _model(),
        "2": {"class_type": "EmptyHunyuanLatentVideo", "inputs": {"width": 64, "height": 64, "length": 9, "batch_size": 1}},
        "3": {"class_type": "SolidMask", "inputs": {"value": 1.0, "width": 32, "height": 32}},
        "4": {"class_type": "TTMAnchoring", "inputs": {"model": ["1", 0], "anchor_latent": ["2", 0], "hold_mask": ["3", 0],
                                                       "hold_end": 0.14}},
        "5": {"class_type": "PreviewAny", "inputs": {"source": ["4", 0]}},
    }
    errors = error_messages(server.run(bad))
    assert errors and errors[0]["node_type"] == "TTMAnchoring"
    assert errors[0]["exception_message"].startswith("hold_mask: is 32x32, 1 frames")
    good = {
        "1": _model(),
        "6": {"class_type": "TTMAnchorStartStep", "inputs": {"model": ["1", 0], "steps": 50, "sampler_name": "euler",
                                                             "scheduler": "simple", "t_weak": 0.06}},
        "7": {"class_type": "PreviewAny", "inputs": {"source": ["6", 0]}},
    }
    entry = server.run(good)
    assert not error_messages(entry) and server.alive()
    assert entry["outputs"]["7"]["text"] == ["3"]  # step 3 of 50, on the tiny model's own schedule
    assert entry["outputs"]["6"]["text"][0].startswith("start_at_step 3 of 50")  # the note the node shows
