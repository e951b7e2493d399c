"""Stage 1 ``track`` mode: draft scoring and selection on synthetic drafts, stock Wan drafts.

The synthetic drafts paint the objects in their own colours on a grey background; the stub
propagation is a colour tracker (pixels whose colour matches object k's frame-0 colour), so the
selection logic is exercised on real per-frame masks without SAM2.
"""

from __future__ import annotations

import pytest
import torch

from test_motion_scenes import disc, objects_from, rect
from ttm_core import MaskTrajectory, TTMInputError, image_to_motion
from ttm_core.motion import score_draft
from ttm_core.motion.track import draft_size_for

H = W = 64
COLOURS = torch.tensor([[0.9, 0.1, 0.1], [0.1, 0.2, 0.9]])


def scene():
    return objects_from([disc(20, 32, 7, H, W), rect(46, 20, 5.5, 5.5, 0, H, W)], ["ball", "box"])


def paint(ball_x: float, ball_visible: bool = True, noise: float = 0.0, gen=None, size=(H, W)):
    h, w = size
    frame = torch.full((h, w, 3), 0.5)
    if noise:
        frame = (frame + noise * torch.randn(h, w, 3, generator=gen)).clamp(0, 1)
    sy, sx = h / H, w / W
    frame[rect(46 * sx, 20 * sy, 5.5 * sx, 5.5 * sy, 0, h, w)] = COLOURS[1]
    if ball_visible:
        frame[disc(ball_x * sx, 32 * sy, 7 * sx, h, w)] = COLOURS[0]
    return frame


def synthetic_draft(image, prompt, *, num_frames, height, width, steps, seed):
    """Seed picks the behaviour: 0 still, 1 good motion, 2 ball vanishes, 3 motion + flicker."""
    kind = seed % 4
    gen = torch.Generator().manual_seed(seed)
    frames = []
    for t in range(num_frames):
        u = t / max(1, num_frames - 1)
        x = 20 + (24 * u if kind in (1, 3) else 0)
        frames.append(
            paint(
                x,
                ball_visible=not (kind == 2 and t > num_frames // 3),
                noise=0.3 if kind == 3 else 0.0,
                gen=gen,
                size=(height, width),
            )
        )
    return torch.stack(frames)


def colour_tracker(frames, objects):
    labels = torch.zeros(frames.shape[:3], dtype=torch.uint8)
    for k in range(objects.num_objects):
        colour = frames[0][objects.labels == k + 1].mean(0)
        labels[(frames - colour).abs().amax(-1) < 0.05] = k + 1
    labels[0] = objects.labels.to(torch.uint8)
    return MaskTrajectory(labels, list(objects.names))


def run(seed=0, candidates=4, num_frames=9, **kw):
    objs = scene()
    return image_to_motion(
        objs,
        "the ball rolls right",
        num_frames,
        "track",
        image=paint(20),
        draft_fn=synthetic_draft,
        propagate_fn=colour_tracker,
        candidates=candidates,
        seed=seed,
        **kw,
    )


def test_scores_reward_survival_motion_and_still_background():
    objs = scene()
    scores = []
    for seed in range(4):
        frames = synthetic_draft(None, "", num_frames=9, height=H, width=W, steps=1, seed=seed)
        scores.append(score_draft(frames, colour_tracker(frames, objs)))
    still, good, vanish, flicker = scores
    assert good["survival"] == 1.0 and good["motion"] == 1.0 and good["background_stillness"] == 1.0
    assert still["motion"] == 0.0 and still["survival"] == 1.0
    assert vanish["survival"] < 0.75
    assert flicker["background_stillness"] < 0.2
    assert good["total"] > max(still["total"], vanish["total"], flicker["total"])
    for s in scores:
        assert all(0.0 <= s[k] <= 1.0 for k in ("survival", "motion", "background_stillness", "total"))


def test_best_candidate_chosen_and_deterministic_for_a_seed():
    a = run(seed=0)
    assert a.scores["candidate"] == 1.0 and a.scores["seed"] == 1.0
    assert a.scores["total"] == max(a.scores[f"candidate_{i}_total"] for i in range(4))
    b = run(seed=0)
    assert torch.equal(a.labels, b.labels) and a.scores == b.scores
    c = run(seed=2, candidates=2)  # seeds 2 (vanish) and 3 (flicker): the flicker draft still moves
    assert c.scores["seed"] == 3.0
    # the chosen trajectory is the good draft: the ball travels right, the box stays
    assert float(a.anchors[-1, 0, 0] - a.anchors[0, 0, 0]) > 20
    assert torch.allclose(a.anchors[-1, 1], a.anchors[0, 1], atol=0.5)


def test_draft_size_frame_count_and_upsampling():
    traj = run(seed=1, candidates=1, num_frames=10, draft_size=(32, 32))  # drafts at 13 frames, 32x32
    assert traj.num_frames == 10 and (traj.height, traj.width) == (H, W)
    assert torch.equal(traj.labels[0].long(), scene().labels)
    assert draft_size_for(480, 832) == (192, 320)
    assert draft_size_for(64, 64) == (64, 64)


def test_track_errors_name_the_input():
    objs = scene()
    with pytest.raises(TTMInputError, match="^image"):
        image_to_motion(objs, "move", 9, "track", draft_fn=synthetic_draft, propagate_fn=colour_tracker)
    with pytest.raises(TTMInputError, match="^pipe"):
        image_to_motion(objs, "move", 9, "track", image=paint(20), propagate_fn=colour_tracker)
    with pytest.raises(TTMInputError, match="^predictor"):
        image_to_motion(objs, "move", 9, "track", image=paint(20), draft_fn=synthetic_draft)
    with pytest.raises(TTMInputError, match="^source"):
        image_to_motion(objs, "  ", 9, "track", image=paint(20), draft_fn=synthetic_draft, propagate_fn=colour_tracker)
    bad = lambda frames, o: MaskTrajectory(frames[..., 0].to(torch.uint8) * 0, ["x"])  # noqa: E731
    with pytest.raises(TTMInputError, match="^propagate_fn"):
        image_to_motion(objs, "move", 9, "track", image=paint(20), draft_fn=synthetic_draft, propagate_fn=bad)
    short = lambda image, prompt, **kw: torch.zeros(3, 8, 8, 3)  # noqa: E731
    with pytest.raises(TTMInputError, match="^draft_fn"):
        image_to_motion(objs, "move", 9, "track", image=paint(20), draft_fn=short, propagate_fn=colour_tracker)



@pytest.fixture(scope="module")
def tiny_pipe():
    from ttm_core.testing import tiny_wan_pipeline

    return tiny_wan_pipeline("wan22_ti2v_5b")


def _track_twice(tiny_pipe, seed: int, **wiring):
    """Two track-mode runs with the same seed on the tiny random Wan (drafts at 32x32, 2 steps)."""
    objs = scene()
    opts = dict(image=paint(20), pipe=tiny_pipe, candidates=2, steps=2, draft_size=(32, 32), guidance_scale=1.0)
    a = image_to_motion(objs, "the ball rolls right", 5, "track", seed=seed, **opts, **wiring)
    b = image_to_motion(objs, "the ball rolls right", 5, "track", seed=seed, **opts, **wiring)
    assert a.scores == b.scores and torch.equal(a.labels, b.labels)
    assert {"survival", "motion", "background_stillness", "total", "candidate", "seed"} <= set(a.scores)
    assert a.num_frames == 5 and (a.height, a.width) == (H, W)
    return objs, a


@pytest.mark.slow
def test_stock_wan_drafts_are_deterministic_for_a_seed(tiny_pipe):
    """Default draft wiring (the stock diffusers call) on the tiny random Wan; propagation stubbed."""
    _, a = _track_twice(tiny_pipe, 3, propagate_fn=colour_tracker)
    # different seeds give different drafts, hence different scores
    assert a.scores["candidate_0_total"] != a.scores["candidate_1_total"]


@pytest.mark.slow
def test_track_end_to_end_tiny_wan_and_tiny_sam2(tiny_pipe):
    from ttm_core.testing import build_tiny_sam2

    predictor = build_tiny_sam2("sam2.1_hiera_t", image_size=64, seed=0)
    objs, a = _track_twice(tiny_pipe, 0, predictor=predictor)
    assert a.names == objs.names
    assert torch.equal(a.labels[0].long(), objs.labels)
    assert torch.equal(a.visible, a.areas() > 0)
