"""Native half of the rounding test: block_fraction selects ceil(fraction x blocks) blocks of a
core Wan MODEL for masked attention (the diffusers half is in test_clocks.py)."""

import pytest
import torch

from native_helpers import native_models, native_pack  # noqa: F401  (fixture)
from ttm_core import MaskTrajectory, ObjectSet


def _patched_blocks(model) -> set[int]:
    return {int(key.split(".")[2]) for key in model.object_patches if key.startswith("diffusion_model.blocks.")}


@pytest.mark.parametrize("fraction, expected", [(0.3, {0}), (0.5, {0}), (0.51, {0, 1}), (1.0, {0, 1})])
def test_native_block_fraction_rounds_up(native_models, pack, fraction, expected):
    _, model = native_models("t2v")  # two blocks
    labels = torch.zeros(64, 64, dtype=torch.long)
    labels[8:40, 8:40] = 1
    traj = MaskTrajectory.still(ObjectSet(labels, ["dog"]), 9)
    node = native_pack(pack).attention_nodes.TTMNativeMaskedAttention()
    patched, _ = node.patch(model, traj, 0.5, 0.0, fraction, "", 0.0, 0.4)
    assert _patched_blocks(patched) == expected
