"""Stage 1 ``masks`` mode: every accepted layout, overlap by z, frame-0 handling, errors."""

from __future__ import annotations

import pytest
import torch

from test_motion_scenes import disc, objects_from
from ttm_core import TTMInputError, image_to_motion

H = W = 64
N = 6


def scene():
    objs = objects_from([disc(16, 32, 6, H, W), disc(48, 32, 6, H, W)], ["a", "b"])
    seq_a = torch.stack([disc(16 + 3 * t, 32, 6, H, W) for t in range(N)])  # moves right
    seq_b = torch.stack([disc(48 - 3 * t, 32, 6, H, W) for t in range(N)])  # moves left, crosses a
    return objs, seq_a, seq_b


def test_layouts_agree_and_overlaps_follow_z():
    objs, a, b = scene()
    tkhw = torch.stack([a, b], 1).float()
    ref = image_to_motion(objs, tkhw, N, "masks")
    assert torch.equal(ref.labels[0].long(), objs.labels)
    # equal z: b (higher label) wins where they overlap
    overlap = a[-1] & b[-1]
    assert bool(overlap.any()) and bool((ref.labels[-1][overlap] == 2).all())
    for form in (tkhw.transpose(0, 1).contiguous(), [a.float(), b], tkhw.numpy()):
        assert torch.equal(image_to_motion(objs, form, N, "masks").labels, ref.labels)
    front_a = image_to_motion(objs, tkhw, N, "masks", z={"a": 1.0})
    assert bool((front_a.labels[-1][overlap] == 1).all())
    assert torch.equal(front_a.depth[0], torch.tensor([1.0, 0.0]))


def test_label_video_single_object_mask_batch_and_still_objects():
    objs, a, b = scene()
    label_video = a.to(torch.uint8) + 2 * (b & ~a).to(torch.uint8)
    traj = image_to_motion(objs, label_video, N, "masks")
    assert torch.equal(traj.labels[1:], label_video[1:])
    single = objects_from([disc(16, 32, 6, H, W)], ["a"])
    comfy_mask = a.float() * 0.9  # a ComfyUI MASK batch, float 0..1
    assert torch.equal(image_to_motion(single, comfy_mask, N, "masks").labels.bool(), a)
    kept = image_to_motion(objs, [a, None], N, "masks")
    assert all(torch.equal(kept.labels[t] == 2, objs.labels == 2) for t in range(N))


def test_frame0_forced_or_checked_and_invisible_marked():
    objs, a, b = scene()
    shifted = a.clone()
    shifted[0] = disc(18, 32, 6, H, W)
    b_gone = b.clone()
    b_gone[3:] = False
    traj = image_to_motion(objs, [shifted, b_gone], N, "masks")
    assert torch.equal(traj.labels[0].long(), objs.labels)
    assert 0.4 < traj.scores["first_frame_iou"] < 1.0
    assert traj.visible[:, 1].tolist() == [True, True, True, False, False, False]
    assert bool(torch.isnan(traj.anchors[3:, 1]).all())
    with pytest.raises(TTMInputError, match=r"^masks: frame 0 differs"):
        image_to_motion(objs, [shifted, b], N, "masks", first_frame="check")


def test_mask_errors_name_the_input():
    objs, a, b = scene()
    with pytest.raises(TTMInputError, match=r"^masks\[0\] \(object 'a'\): masks are 32x32 but the objects are 64x64"):
        image_to_motion(objs, [a[:, :32, :32], b], N, "masks")
    with pytest.raises(TTMInputError, match=r"has 6 frames but num_frames is 9"):
        image_to_motion(objs, torch.stack([a, b], 1), 9, "masks")
    with pytest.raises(TTMInputError, match=r"gives 1 mask sequences for 2 objects"):
        image_to_motion(objs, [a], N, "masks")
    with pytest.raises(TTMInputError, match=r"no axis of size 2"):
        image_to_motion(objs, torch.stack([a, b, a], 1), N, "masks")
    with pytest.raises(TTMInputError, match=r"labels must be within 0\.\.2"):
        image_to_motion(objs, a.to(torch.uint8) * 3, N, "masks")
    with pytest.raises(TTMInputError, match=r"NaN"):
        image_to_motion(objs, torch.full((N, 2, H, W), float("nan")), N, "masks")
