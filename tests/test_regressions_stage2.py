"""Stage 2 through the public diffusers path: which tokens hear which local prompt, and CFG per expert.

The tiny pipelines are real diffusers Wan pipelines; a forward hook on the transformer records
what the model predicts (the noise prediction of each call), the only thing the sampler acts on.

Isolation argument used below (independent of our code): with ``beta_self = beta_cross = 1`` in
every block, an object's tokens attend only to tokens of the same object and, in cross-attention,
only to that object's local prompt. Every other operation of a Wan block (norms, feed-forward,
modulation by the timestep, the image branch) is per token. So at the first step, where all
tokens start from the same latents, an object's predictions depend on its own local prompt and
on nothing else of the text: not on the global prompt, not on other objects' prompts, and not
on how many padding tokens a prompt was given.
"""

from __future__ import annotations

import pytest
import torch

from ttm_core import MaskTrajectory, ObjectSet, PromptPlan, motion_to_video
from ttm_core.images import to_pil
from pipeline_helpers import cached_pipe, make_image

FRAMES = 5
# variant -> (height, width, VAE downscale); token cells are 2 x 2 latent pixels (16 / 32 px)
SCENES = {"wan21_i2v": (48, 80, 8), "wan22_ti2v_5b": (64, 96, 16)}
DOG, BALL = (0, 0, 32, 32), (64, 32, 96, 64)  # (x0, y0, x1, y1) pixels, whole token cells in both


def _objects(variant: str) -> ObjectSet:
    h, w, _ = SCENES[variant]
    labels = torch.zeros(h, w, dtype=torch.long)
    for label, (x0, y0, x1, y1) in ((1, DOG), (2, BALL)):
        labels[y0:y1, x0:x1] = label
    return ObjectSet(labels, ["dog", "ball"])


def _latent_masks(variant: str):
    """(dog, ball, background) as bool latent-pixel masks."""
    h, w, f = SCENES[variant]
    out = []
    for x0, y0, x1, y1 in (DOG, BALL):
        m = torch.zeros(h // f, w // f, dtype=torch.bool)
        m[y0 // f : y1 // f, x0 // f : x1 // f] = True
        out.append(m)
    return out[0], out[1], ~(out[0] | out[1])


class Recorder:
    """Forward hook: the output of every call of a transformer, in order."""

    def __init__(self, module):
        self.outputs: list[torch.Tensor] = []
        self.handle = module.register_forward_hook(self._hook)

    def _hook(self, module, args, output):
        out = output[0] if isinstance(output, (tuple, list)) else output.sample
        self.outputs.append(out.detach().clone())

    def close(self):
        self.handle.remove()


def _first_prediction(plan: PromptPlan, variant: str = "wan21_i2v", max_sequence_length: int = 512) -> torch.Tensor:
    """The conditional noise prediction of step 0, [C, F, h, w] latents."""
    pipe = cached_pipe(variant)
    h, w, _ = SCENES[variant]
    traj = MaskTrajectory.still(_objects(variant), FRAMES)
    rec = Recorder(pipe.transformer)
    try:
        motion_to_video(
            pipe, make_image(h, w), traj, plan, num_frames=FRAMES, height=h, width=w, num_inference_steps=1,
            guidance_scale=5.0, seed=3, beta_self=1.0, beta_cross=1.0, blocks=range(len(pipe.transformer.blocks)),
            step_fraction=1.0, anchoring=False, max_sequence_length=max_sequence_length,
        )
    finally:
        rec.close()
    assert len(rec.outputs) == 2  # one step: the conditional pass, then the unconditional one
    return rec.outputs[0][0]


def _changed(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[h, w] bool: latent pixels whose prediction differs (any channel, any latent frame)."""
    return (a - b).abs().amax(dim=(0, 1)) > 1e-6


@pytest.fixture(scope="module")
def base():
    plan = PromptPlan("a dog and a ball in a park", local_prompts={"ball": "a shiny red ball"})
    return plan, _first_prediction(plan)


def test_an_objects_local_prompt_reaches_exactly_that_objects_tokens(base):
    plan, ref = base
    other = PromptPlan(plan.global_prompt, local_prompts={"ball": "a green cube made of wood"})
    changed = _changed(ref, _first_prediction(other))
    dog, ball, background = _latent_masks("wan21_i2v")
    assert changed[ball].all(), "the ball's tokens did not hear the ball's prompt"
    assert not changed[dog].any() and not changed[background].any(), "another object heard the ball's prompt"


def test_an_object_with_a_local_prompt_does_not_hear_the_global_prompt(base):
    plan, ref = base
    other = PromptPlan("a cat sleeping in the snow", local_prompts=dict(plan.local_prompts))
    changed = _changed(ref, _first_prediction(other))
    dog, ball, background = _latent_masks("wan21_i2v")
    assert not changed[ball].any()
    assert changed[dog].all() and changed[background].all()  # no local prompt: they keep the global one


def test_local_prompts_drop_their_padding_tokens():
    """512 or 64 tokens of room: the ball's prediction must not change (padding is not attended).

    TI2V-5B, because Wan 2.1's image branch needs exactly 512 text tokens (stock splits there).
    """
    plan = PromptPlan("a dog and a ball in a park", local_prompts={"ball": "a shiny red ball"})
    ref = _first_prediction(plan, "wan22_ti2v_5b")
    changed = _changed(ref, _first_prediction(plan, "wan22_ti2v_5b", max_sequence_length=64))
    dog, ball, background = _latent_masks("wan22_ti2v_5b")
    assert not changed[ball].any()
    assert changed[background].any()  # the global prompt keeps Wan's zero padding, as stock does


def test_a14b_low_noise_expert_uses_its_own_cfg_scale_like_stock():
    """Guidance off: the two-expert pipeline must equal diffusers' own with a distinct guidance_scale_2."""
    pipe = cached_pipe("wan22_i2v_a14b")
    h, w, frames = 48, 64, 5
    image = make_image(h, w, seed=1)
    rec_low = Recorder(pipe.transformer_2)
    try:
        ours = motion_to_video(pipe, image, MaskTrajectory.still(ObjectSet(torch.zeros(h, w, dtype=torch.long)), frames),
                               "a dog runs", num_frames=frames, height=h, width=w, num_inference_steps=4,
                               guidance_scale=5.0, guidance_scale_2=1.5, seed=5, anchoring=False)
    finally:
        rec_low.close()
    assert len(rec_low.outputs) > 0, "the low-noise expert never ran: the test would prove nothing"
    stock = pipe(
        image=to_pil(image), prompt="a dog runs", height=h, width=w, num_frames=frames, num_inference_steps=4,
        guidance_scale=5.0, guidance_scale_2=1.5, generator=torch.Generator().manual_seed(5), output_type="pt",
        max_sequence_length=512,
    ).frames[0].permute(0, 2, 3, 1)
    assert float((ours - stock).abs().max()) <= 1e-5
    same_scale = pipe(
        image=to_pil(image), prompt="a dog runs", height=h, width=w, num_frames=frames, num_inference_steps=4,
        guidance_scale=5.0, guidance_scale_2=5.0, generator=torch.Generator().manual_seed(5), output_type="pt",
        max_sequence_length=512,
    ).frames[0].permute(0, 2, 3, 1)
    assert float((ours - same_scale).abs().max()) > 1e-4  # the scale of the low-noise steps matters here
