"""The native nodes inside a real current ComfyUI (v0.3.64+), over HTTP like the UI.

A tiny native Wan file goes into the server's own ``models/diffusion_models`` and loads through
core's UNETLoader; a trajectory file into its input folder. No text encoder loads offline, so
the checks stay at node level: the nodes are listed, a good patch runs, a bad input comes back
as a named error and the server keeps serving.
"""

from __future__ import annotations

import pytest
import torch

from comfy_harness import error_messages
from native_helpers import tiny_wan_checkpoint
from ttm_core.types import MaskTrajectory

pytestmark = [pytest.mark.server, pytest.mark.slow]
NATIVE_NODES = ("TTMNativeMaskedAttention", "TTMNativeLocalPrompts", "TTMNativeObjectPrompt")


def _prompt(blocks: str) -> dict:
    return {
        "1": {"class_type": "UNETLoader", "inputs": {"unet_name": "tiny_wan_t2v_0.safetensors", "weight_dtype": "default"}},
        "2": {"class_type": "TTMLoadTrajectory", "inputs": {"file": "native_trajectory.safetensors"}},
        "3": {"class_type": "TTMNativeMaskedAttention", "inputs": {
            "model": ["1", 0], "trajectory": ["2", 0], "beta_self": 0.5, "beta_cross": 0.7, "block_fraction": 0.5,
            "blocks": blocks, "start_percent": 0.0, "end_percent": 0.4}},
        "4": {"class_type": "PreviewAny", "inputs": {"source": ["3", 0]}},
    }


@pytest.mark.parametrize("comfy_server", ["current"], indirect=True)
def test_native_nodes_listed_and_bad_input_named_while_serving(comfy_server):
    info = comfy_server.get("/object_info")
    for node_id in NATIVE_NODES:
        assert info[node_id]["category"] == "Through-The-Mask/native"
        assert info[node_id]["display_name"].startswith("TTM Native ")
    spec = info["TTMNativeMaskedAttention"]["input"]
    assert spec["required"]["model"][0] == "MODEL" and spec["optional"]["local_prompts"][0] == "TTM_LOCAL_PROMPTS"

    models = comfy_server.base / "models" / "diffusion_models"
    models.mkdir(parents=True, exist_ok=True)
    tiny_wan_checkpoint(models, "t2v")
    labels = torch.zeros(9, 64, 64, dtype=torch.uint8)
    labels[:, 16:48, 16:48] = 1
    MaskTrajectory(labels, ["dog"]).save(comfy_server.input_dir / "native_trajectory.safetensors")

    good = comfy_server.run(_prompt(""))
    assert good["status"]["status_str"] == "success", (good["status"], comfy_server.log_tail())
    bad = comfy_server.run(_prompt("0, 9"))
    assert bad["status"]["status_str"] == "error"
    (err,) = error_messages(bad)
    assert err["node_type"] == "TTMNativeMaskedAttention"
    assert err["exception_message"].startswith("blocks:") and "0..1" in err["exception_message"], err
    assert comfy_server.alive()
    again = comfy_server.run(_prompt("1"))
    assert again["status"]["status_str"] == "success", (again["status"], comfy_server.log_tail())
