"""Bad inputs to the native patch stop with an error that names the input and the fix."""

from __future__ import annotations

import pytest
import torch

from native_helpers import empty_latent, import_comfy, native_models, native_pack, sample, text_cond  # noqa: F401
from test_native_attention_equivalence import patch, trajectory
from ttm_core.errors import TTMInputError
from ttm_core.types import MaskTrajectory


def test_trajectory_latent_mismatch_is_named_at_the_first_step(pack, native_models):
    _, model = native_models("t2v")
    patched, _ = patch(pack, model, trajectory("t2v"))
    for latent in (empty_latent(16, frames=4), empty_latent(16, height=10)):  # 13 frames / 80 px
        with pytest.raises(TTMInputError) as err:
            sample(patched, text_cond(), text_cond(3, 1), latent, steps=2)
        assert err.value.input_name == "trajectory"
        assert "64x64 px with 9 frames" in str(err.value) and "Fix:" in str(err.value)


def test_non_wan_model_is_refused(pack):
    import_comfy()
    import comfy.model_patcher

    class Holder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.diffusion_model = torch.nn.Linear(2, 2)

    other = comfy.model_patcher.ModelPatcher(Holder(), torch.device("cpu"), torch.device("cpu"))
    with pytest.raises(TTMInputError) as err:
        patch(pack, other, trajectory("t2v"))
    assert err.value.input_name == "model" and "Linear, not a Wan" in str(err.value)


def test_local_prompts_for_unknown_objects_and_missing_positive(pack, native_models):
    _, model = native_models("t2v")
    native = native_pack(pack)
    bad = native.conditioning.LocalPrompts(cat=text_cond(3, 5))
    with pytest.raises(TTMInputError) as err:
        patch(pack, model, trajectory("t2v"), local_prompts=bad, positive=text_cond())
    assert err.value.input_name == "local_prompts" and "['cat']" in str(err.value) and "dog" in str(err.value)
    good = native.conditioning.LocalPrompts(dog=text_cond(3, 5))
    with pytest.raises(TTMInputError) as err:
        patch(pack, model, trajectory("t2v"), local_prompts=good)
    assert err.value.input_name == "positive"
    # the positive output not wired to the sampler: named at the first step
    patched, tagged = patch(pack, model, trajectory("t2v"), local_prompts=good, positive=text_cond())
    with pytest.raises(TTMInputError) as err:
        sample(patched, text_cond(), text_cond(3, 1), empty_latent(16), steps=2)
    assert err.value.input_name == "positive"
    sample(patched, tagged, text_cond(3, 1), empty_latent(16), steps=2)  # wired: runs


def test_a_later_patch_of_the_same_forward_is_detected_and_the_other_order_works(pack, native_models):
    _, model = native_models("t2v")
    attr = "diffusion_model.blocks.0.self_attn.forward"

    def other_node(patcher):  # e.g. an Enhance-A-Video-like node: replaces the forward, calls the old one
        clone = patcher.clone()
        old = clone.get_model_object(attr)
        clone.add_object_patch(attr, lambda *a, **k: old(*a, **k))
        return clone

    ours_first, _ = patch(pack, model, trajectory("t2v"))
    with pytest.raises(TTMInputError) as err:
        sample(other_node(ours_first), text_cond(), text_cond(3, 1), empty_latent(16), steps=2)
    assert err.value.input_name == "model" and "block 0" in str(err.value) and "apply that node first" in str(err.value)
    ours_last, _ = patch(pack, other_node(model), trajectory("t2v"))
    assert torch.isfinite(sample(ours_last, text_cond(), text_cond(3, 1), empty_latent(16), steps=2)).all()
    with pytest.raises(TTMInputError) as err:  # and twice on one MODEL is refused up front
        patch(pack, ours_first, trajectory("t2v"))
    assert err.value.input_name == "model" and "once" in str(err.value)


def test_context_windows_are_refused(pack, native_models):
    _, model = native_models("t2v")
    import comfy.context_windows as cw

    windowed = model.clone()  # what WanContextWindowsManual does (2 latent frames, overlap 1)
    windowed.model_options["context_handler"] = cw.IndexListContextHandler(
        context_schedule=cw.get_matching_context_schedule(cw.ContextSchedules.STATIC_STANDARD),
        fuse_method=cw.get_matching_fuse_method(cw.ContextFuseMethods.PYRAMID),
        context_length=2, context_overlap=1, context_stride=1, closed_loop=False, dim=2)
    cw.create_prepare_sampling_wrapper(windowed)
    patched, _ = patch(pack, windowed, trajectory("t2v"))
    with pytest.raises(TTMInputError) as err:
        sample(patched, text_cond(), text_cond(3, 1), empty_latent(16), steps=2)
    assert err.value.input_name == "model" and "context windows" in str(err.value)


def test_token_count_change_is_named(pack, native_models):
    """Anything that adds tokens inside the model (time-concatenated frames here) is a named error."""
    _, model = native_models("t2v")
    patched, _ = patch(pack, model, trajectory("t2v"))
    extra = torch.zeros(1, 16, 1, 8, 8)
    pos = [[t, {**d, "time_dim_concat": extra}] for t, d in text_cond()]
    neg = [[t, {**d, "time_dim_concat": extra}] for t, d in text_cond(3, 1)]
    with pytest.raises(TTMInputError) as err:
        sample(patched, pos, neg, empty_latent(16), steps=2)
    assert err.value.input_name == "model" and "tokens" in str(err.value)


def test_bad_settings_name_their_widget(pack, native_models):
    _, model = native_models("t2v")
    for kw, name in ((dict(blocks="0, x"), "blocks"), (dict(blocks="7"), "blocks"),
                     (dict(start_percent=0.6, end_percent=0.2), "end_percent")):
        with pytest.raises(TTMInputError) as err:
            patch(pack, model, trajectory("t2v"), **kw)
        assert err.value.input_name == name, kw
    with pytest.raises(TTMInputError) as err:
        patch(pack, model, MaskTrajectory(torch.zeros(9, 64, 64, dtype=torch.uint8), ["dog"]).labels)
    assert err.value.input_name == "trajectory"
