"""Trajectory previews: stable colours, exact backgrounds outside masks, shapes, files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from test_motion_scenes import disc, objects_from, rect
from ttm_core import TTMInputError, image_to_motion, render_trajectory
from ttm_core.visualize import palette, render_summary, save_png, save_video

H, W = 72, 96


@pytest.fixture(scope="module")
def traj():
    objs = objects_from([disc(25, 36, 10, H, W), rect(70, 30, 8.5, 6.5, 0, H, W)], ["dog", "ball"])
    plan = {"dog": [{"t": 1.0, "dx": 0.3, "dy": 0.1}], "ball": [{"t": 1.0, "dx": -0.4, "rot": 60, "z": 1.0}]}
    return image_to_motion(objs, plan, 9, "plan")


def test_palette_is_stable_by_object_index():
    a = palette(["dog", "ball", "cat"])
    assert a.shape == (4, 3) and a.dtype == torch.float32
    assert torch.equal(a, palette(["dog", "ball", "cat"]))  # same call, same colours
    assert torch.equal(a[:3], palette(["x", "y"]))  # object i keeps colour i whatever its name
    assert torch.equal(a, palette(3))
    assert torch.equal(a[0], torch.zeros(3))  # background black
    big = palette(60)
    assert float(big.min()) >= 0 and float(big.max()) <= 1
    assert len({tuple(c) for c in (big[1:] * 255).round().int().tolist()}) == 60  # all distinct
    with pytest.raises(TTMInputError, match="^names"):
        palette(300)


def test_overlay_keeps_background_outside_masks_when_annotations_off(traj):
    bg = torch.rand(H, W, 3)
    out = render_trajectory(traj, bg, style="overlay", alpha=0.4, contours=False, names=False, trails=False)
    assert out.shape == (9, H, W, 3) and out.dtype == torch.float32
    outside = traj.labels == 0
    assert torch.equal(out[outside], bg.expand(9, H, W, 3)[outside])
    colours = palette(traj.names)[traj.labels.long()]
    inside = ~outside
    expected = bg.expand(9, H, W, 3)[inside] * 0.6 + colours[inside] * 0.4
    assert torch.allclose(out[inside], expected, atol=1e-6)


def test_overlay_on_a_video_of_another_size(traj):
    video = torch.rand(9, 2 * H, 2 * W, 3)
    out = render_trajectory(traj, video, style="overlay", contours=False, names=False, trails=False)
    assert out.shape == (9, 2 * H, 2 * W, 3)
    big = traj.resized(2 * H, 2 * W)
    outside = big.labels == 0
    assert torch.equal(out[outside], video[outside])
    with pytest.raises(TTMInputError, match="^background: has 4 frames"):
        render_trajectory(traj, torch.rand(4, H, W, 3), style="overlay")


def test_mask_style_is_the_colour_coded_label_video(traj):
    out = render_trajectory(traj, contours=False, names=False, trails=False)
    assert torch.equal(out, palette(traj.names)[traj.labels.long()])


def test_annotations_draw_contours_trails_and_names(traj):
    plain = render_trajectory(traj, contours=False, names=False, trails=False)
    contours = render_trajectory(traj, contours=True, names=False, trails=False)
    changed = (contours != plain).any(-1)
    assert bool(changed.any()) and not bool(changed[traj.labels == 0].any())  # contours stay on objects
    trails = render_trajectory(traj, contours=False, names=False, trails=True)
    drawn = (trails != plain).any(-1)
    assert not bool(drawn[0].any()) and bool(drawn[-1].any())  # no trail yet at frame 0
    named = render_trajectory(traj, contours=False, names=True, trails=False)
    assert bool((named != plain).any(-1)[0].any())
    full = render_trajectory(traj, torch.rand(H, W, 3), style="overlay")
    assert float(full.min()) >= 0 and float(full.max()) <= 1


def test_summary_draws_paths_and_markers(traj):
    image = torch.full((H, W, 3), 0.5)
    out = render_summary(traj, image, names=False)
    assert out.shape == (H, W, 3) and float(out.min()) >= 0 and float(out.max()) <= 1
    # the dog's path runs right from its start: the mid-point of the path is painted
    mid = traj.anchors[4, 0].round().long()
    assert not torch.allclose(out[mid[1], mid[0]], image[0, 0])
    far_corner = out[H - 2, 2]
    assert torch.equal(far_corner, image[H - 2, 2])
    assert render_summary(traj).shape == (H, W, 3)


def test_bad_inputs_name_the_input(traj):
    with pytest.raises(TTMInputError, match="^style"):
        render_trajectory(traj, style="neon")
    with pytest.raises(TTMInputError, match="^alpha"):
        render_trajectory(traj, alpha=2)
    with pytest.raises(TTMInputError, match="^trajectory"):
        render_trajectory(traj.labels)
    with pytest.raises(TTMInputError, match="^background"):
        render_trajectory(traj, "image.png")


def test_save_png_and_video_atomically(tmp_path, traj):
    from PIL import Image

    frames = render_trajectory(traj)
    png = save_png(frames[3], tmp_path / "sub" / "frame.png")
    back = torch.from_numpy(np.array(Image.open(png))).float() / 255
    assert torch.allclose(back, frames[3], atol=1 / 255)
    mp4 = save_video(frames[:, :-1, :-1], tmp_path / "clip.mp4", fps=8)  # odd size is padded
    assert mp4.suffix == ".mp4" and mp4.stat().st_size > 0
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(mp4))
    meta = next(reader)
    assert meta["size"] == (W, H) and sum(1 for _ in reader) == 9
    gif = save_video(frames, tmp_path / "clip.gif", fps=8)
    assert gif.suffix == ".gif" and Image.open(gif).n_frames == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.gif", "clip.mp4", "sub"]  # no temp files left


def test_trail_length_limits_the_trail(traj):
    plain = render_trajectory(traj, contours=False, names=False, trails=False)
    full = (render_trajectory(traj, contours=False, names=False, trails=True) != plain).any(-1)[-1]
    short = (render_trajectory(traj, contours=False, names=False, trails=True, trail_length=1) != plain).any(-1)[-1]
    assert 0 < int(short.sum()) < int(full.sum())


def test_video_falls_back_to_gif_when_mp4_fails(tmp_path, traj, monkeypatch):
    from ttm_core.visualize import io

    def broken(*args, **kwargs):
        raise RuntimeError("no ffmpeg here")

    monkeypatch.setattr(io, "_write_mp4", broken)
    out = save_video(render_trajectory(traj), tmp_path / "clip.mp4", fps=8)
    assert out.name == "clip.gif" and out.stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir()] == ["clip.gif"]
