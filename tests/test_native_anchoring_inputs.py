"""Native anchoring nodes: what they build, and bad input as named errors whose fixes are valid.

After each error the same patched MODEL still samples (nothing is left half-set), which is what
lets a server go on serving.
"""

import re
import types

import pytest
import torch

from native_anchor_helpers import NotWanVAE, StandInWanVAE, anchor_case, run
from native_helpers import native_models, native_pack  # noqa: F401  (fixture)
from pipeline_helpers import make_image, two_object_trajectory
from ttm_core.errors import TTMInputError


@pytest.fixture(scope="module")
def anchoring(pack):
    return native_pack(pack).anchoring


def suggested(err) -> str:
    """The example value an error's fix suggests ("... e.g. X." or "... like X.")."""
    match = re.search(r"(?:e\.g\.|like) (.+?)\.?$", str(err.value))
    assert match, str(err.value)
    return match.group(1)


def test_reference_node_outputs(anchoring):
    image, traj = make_image(32, 48), two_object_trajectory(32, 48, 9)
    frames, mask, hold = anchoring.TTMReferenceVideo().build(image[None], traj, 64, 48, 8, "telea",
                                                             hold_strength="dog: 1, ball: 0.5", hold_end="ball: 0.1")
    assert frames.shape == (9, 48, 64, 3) and mask.shape == (9, 48, 64)
    assert hold.names == ["dog", "ball"] and hold.ends == {"ball": 0.1}
    assert set(torch.unique(mask).tolist()) <= {0.0, 0.5, 1.0} and (mask == 0.5).any() and (mask == 1).any()
    parts = dict(hold.split(mask))
    assert torch.equal(parts["dog"] + parts["ball"], mask)
    assert float(parts["ball"].max()) == 0.5 and float(parts["dog"].max()) == 1.0


@pytest.mark.parametrize("field, value, name", [
    ("hold_strength", "cat: 0.5", "hold_strength"),
    ("hold_strength", "dog: 1.5", "hold_strength['dog']"),
    ("hold_strength", "ball: strong", "hold_strength"),
    ("hold_end", "cat: 0.2", "hold_end"),
    ("hold_end", "dog: 2", "hold_end['dog']"),
])
def test_reference_node_per_object_errors_suggest_valid_fixes(anchoring, field, value, name):
    image, traj = make_image(32, 48), two_object_trajectory(32, 48, 5)
    node = anchoring.TTMReferenceVideo()
    with pytest.raises(TTMInputError) as err:
        node.build(image[None], traj, 0, 0, 8, "telea", **{field: value})
    assert err.value.input_name == name
    fix = suggested(err)
    node.build(image[None], traj, 0, 0, 8, "telea", **{field: fix})  # the fix itself is valid


def test_motion_to_video_hold_strength_fix_is_valid():
    """Today's message suggested ``dog: 1.5`` for a 0..1 input; the suggestion must be valid."""
    from ttm_core.guidance.inputs import check_strengths

    for bad in ({"card": 1.5}, {"cat": 0.5}):
        with pytest.raises(TTMInputError) as err:
            check_strengths(bad, ["card", "ball"])
        name, number = suggested(err).split(":")
        assert check_strengths({name.strip(): float(number)}, ["card", "ball"])


@pytest.mark.parametrize("field, value", [("hold_strength", "ball: strong"), ("hold_end", "dog: soon")])
def test_motion_to_video_node_suggests_valid_per_object_values(pack, field, value):
    """The diffusers node's per-object texts: the suggested fix names the trajectory's own objects
    with values inside 0..1 (it used to suggest ``dog: 1.5``)."""
    import importlib

    from ttm_core.guidance.clocks import check_per_object
    from ttm_core.guidance.inputs import check_strengths

    video = importlib.import_module(pack.__name__ + ".nodes.video")
    base = importlib.import_module(pack.__name__ + ".nodes._base")
    traj = two_object_trajectory(32, 48, 5)
    args = dict(video_model=None, image=make_image(32, 48)[None], trajectory=traj, prompts=None, width=48, height=32,
                num_frames=5, steps=1, cfg=1.0, seed=0, negative_prompt="", beta_self=0.0, beta_cross=0.0,
                block_fraction=0.0, step_fraction=0.0, anchoring=True, t_weak=0.06, t_strong=0.14)
    with pytest.raises(TTMInputError) as err:
        video.TTMMotionToVideo().generate(**args, **{field: value})
    assert err.value.input_name == field
    fixed = base.per_object_numbers(suggested(err), field)
    assert set(fixed) <= set(traj.names)
    check_strengths(fixed, traj.names) if field == "hold_strength" else check_per_object(fixed, traj.names, field, 0.1)


def test_anchor_latent_node(anchoring):
    vae = StandInWanVAE()
    frames = torch.rand(9, 32, 48, 3)
    (plain,) = anchoring.TTMAnchorLatent().encode(vae, frames)
    assert plain["samples"].shape == (1, 16, 3, 4, 6) and "noise_mask" not in plain
    assert torch.isfinite(plain["samples"]).all()
    clean = torch.randn(1, 16, 3, 4, 6)
    mask = torch.ones(1, 1, 3, 4, 6)
    mask[:, :, 0] = 0
    (anchor,) = anchoring.TTMAnchorLatent().encode(vae, frames, {"samples": clean, "noise_mask": mask})
    assert torch.equal(anchor["noise_mask"], mask)
    assert torch.equal(anchor["samples"][:, :, 0], clean[:, :, 0])  # the conditioning's clean frame stays
    assert torch.equal(anchor["samples"][:, :, 1:], plain["samples"][:, :, 1:])


def test_anchor_latent_errors(anchoring):
    frames = torch.rand(9, 32, 48, 3)
    node = anchoring.TTMAnchorLatent()
    with pytest.raises(TTMInputError, match=r"^vae: is not a Wan VAE .* Fix: load wan_2\.1_vae"):
        node.encode(NotWanVAE(), frames)
    with pytest.raises(TTMInputError, match=r"^latent: has shape \(1, 16, 3, 8, 8\) but the reference \(48x32, 9 frames\)"):
        node.encode(StandInWanVAE(), frames, {"samples": torch.zeros(1, 16, 3, 8, 8)})
    with pytest.raises(TTMInputError, match=r"^reference: has 8 frames.* use 5 or 9 frames"):
        node.encode(StandInWanVAE(), torch.rand(8, 32, 48, 3))


def test_patch_errors(native_models, anchoring):
    _, model = native_models("t2v")
    z, mask = anchor_case()
    node = anchoring.TTMAnchoring()
    with pytest.raises(TTMInputError, match=r"^model: is not a Wan model"):
        node.patch(types.SimpleNamespace(model=torch.nn.Linear(2, 2)), {"samples": z}, mask, 0.14)
    with pytest.raises(TTMInputError, match=r"^anchor_latent: .*16 channels.*Fix: encode the reference"):
        node.patch(model, {"samples": torch.zeros(1, 48, 3, 8, 8)}, mask, 0.14)
    with pytest.raises(TTMInputError, match=r"^hold_mask: is 64x64, 5 frames"):
        node.patch(model, {"samples": z}, mask[:5], 0.14)
    with pytest.raises(TTMInputError, match=r"^hold_end: must be a noise-level percent"):
        node.patch(model, {"samples": z}, mask, 1.5)


def test_sampling_errors_leave_the_model_usable(native_models, anchoring):
    _, model = native_models("t2v")
    z, mask = anchor_case(seed=31)
    patched = anchoring.TTMAnchoring().patch(model, {"samples": z}, mask, 0.5)[0]
    with pytest.raises(TTMInputError, match=r"^add_noise: is disabled \(zero noise\).* Fix: enable add_noise"):
        run(patched, {"samples": z}, 6, "euler", 1, add_noise=False)
    other = {"samples": torch.zeros(1, 16, 3, 8, 10)}
    with pytest.raises(TTMInputError, match=r"^anchor_latent: has shape \(1, 16, 3, 8, 8\) but the sampler's latent is \(1, 16, 3, 8, 10\)"):
        run(patched, other, 6, "euler", 1)
    out = run(patched, {"samples": z}, 6, "euler", 1)  # the fix (add_noise enabled, the anchor latent) runs
    assert torch.isfinite(out).all()


def test_start_step_node(native_models, anchoring):
    _, model = native_models("t2v")
    node = anchoring.TTMAnchorStartStep()
    assert [node.start(model, n, "euler", "simple", 0.06)["result"][0] for n in (4, 8, 20, 50)] == [0, 0, 1, 3]
    assert node.start(model, 10, "euler", "simple", 1.0)["result"][0] == 9  # never past the last step
    (note,) = node.start(model, 20, "euler_ancestral", "simple", 0.06)["ui"]["text"]  # the UI note
    assert note.startswith("start_at_step 1 of 20") and "fresh noise" in note
    assert "fresh noise" not in node.start(model, 20, "uni_pc", "simple", 0.06)["ui"]["text"][0]
    with pytest.raises(TTMInputError, match=r"^t_weak: must be a noise-level percent"):
        node.start(model, 10, "euler", "simple", -0.1)


def test_native_nodes_follow_the_pack_conventions(pack):
    import inspect

    native = native_pack(pack)
    assert set(native.NODE_CLASS_MAPPINGS) >= {"TTMReferenceVideo", "TTMAnchorLatent", "TTMAnchoring", "TTMAnchorStartStep"}
    for node_id, cls in native.NODE_CLASS_MAPPINGS.items():
        assert native.NODE_DISPLAY_NAME_MAPPINGS[node_id].startswith("TTM ")
        assert cls.CATEGORY.startswith("Through-The-Mask/") and len(cls.DESCRIPTION) > 40
        assert len(cls.RETURN_NAMES) == len(cls.RETURN_TYPES)
        params = inspect.signature(getattr(cls, cls.FUNCTION)).parameters
        for section, decls in cls.INPUT_TYPES().items():
            for name, (_, opts) in decls.items():
                assert len(opts.get("tooltip", "")) > 10, f"{node_id}.{name} has no tooltip"
                assert name in params and (section == "required" or params[name].default is not inspect.Parameter.empty)
