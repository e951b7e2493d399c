"""Property tests: token grid reduction and hold-map pooling against brute-force loops.

The references below are written from the documented rules, one pixel at a time: pixel frame 0
alone forms latent frame 0, frames 1+4(j-1)..4j form latent frame j; a token takes the label
covering most of its pixels over those frames, ties going to the lower label; a latent hold
weight is the mean of its pixels' weights over the same frames.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ttm_core.guidance.anchoring import latent_hold_map
from ttm_core.tokens import token_label_grid, token_labels

SETTINGS = settings(max_examples=40, deadline=None)


def _frame_groups(t: int, tf: int) -> list[list[int]]:
    return [[0]] + [list(range(1 + tf * (j - 1), 1 + tf * j)) for j in range(1, (t - 1) // tf + 1)]


def _majority_reference(labels: np.ndarray, ch: int, cw: int, tf: int) -> np.ndarray:
    t, h, w = labels.shape
    groups = _frame_groups(t, tf)
    out = np.zeros((len(groups), h // ch, w // cw), np.int64)
    for j, frames in enumerate(groups):
        for y in range(h // ch):
            for x in range(w // cw):
                counts: dict[int, int] = {}
                for f in frames:
                    for yy in range(y * ch, (y + 1) * ch):
                        for xx in range(x * cw, (x + 1) * cw):
                            lab = int(labels[f, yy, xx])
                            counts[lab] = counts.get(lab, 0) + 1
                best = max(counts.values())
                out[j, y, x] = min(lab for lab, c in counts.items() if c == best)  # ties: lower label
    return out


@st.composite
def label_videos(draw, max_labels=4):
    tf = draw(st.sampled_from([1, 2, 4]))
    groups = draw(st.integers(0, 2))
    ch, cw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    gh, gw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = draw(st.integers(0, max_labels))
    t = 1 + tf * groups
    flat = draw(st.lists(st.integers(0, k), min_size=t * gh * ch * gw * cw, max_size=t * gh * ch * gw * cw))
    labels = np.asarray(flat, np.uint8).reshape(t, gh * ch, gw * cw)
    num_labels = draw(st.sampled_from([None, k, k + 2]))  # the object count may exceed the labels shown
    return labels, ch, cw, tf, num_labels


@SETTINGS
@given(label_videos())
def test_token_grid_is_the_majority_with_ties_to_the_lower_label(case):
    labels, ch, cw, tf, num_labels = case
    got = token_label_grid(torch.from_numpy(labels), (ch, cw), tf, num_labels)
    assert got.dtype == torch.long
    assert np.array_equal(got.numpy(), _majority_reference(labels, ch, cw, tf))
    flat = token_labels(torch.from_numpy(labels), (ch, cw), tf, num_labels)
    assert torch.equal(flat, got.flatten())  # Wan's (t, h, w) order
    if ch == cw:
        assert torch.equal(token_label_grid(torch.from_numpy(labels), ch, tf), got)  # an int cell is square


@SETTINGS
@given(st.integers(0, 3), st.integers(1, 4), st.integers(0, 5))
def test_an_exact_tie_goes_to_the_lower_label(a, gap, frames_extra):
    """Half the pixels of a 2 x 2 cell carry label a, half a + gap: the token takes a."""
    b = a + gap
    cell = np.array([[a, b], [b, a]], np.uint8)
    labels = np.broadcast_to(cell, (1 + 4 * frames_extra, 2, 2)).copy()
    grid = token_label_grid(torch.from_numpy(labels), 2)
    assert grid.unique().tolist() == [a]


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 4))
def test_latent_frame_j_sees_only_pixel_frames_of_its_group(groups, marked):
    """A label shown in exactly one pixel frame appears in exactly that frame's latent frame."""
    t = 1 + 4 * groups
    f = min(marked, t - 1)
    labels = np.zeros((t, 4, 4), np.uint8)
    labels[f] = 1
    grid = token_label_grid(torch.from_numpy(labels), 2).numpy()
    # 16 of 64 pixels in the group: not a majority unless the group is a single frame
    expect = np.zeros_like(grid)
    assert np.array_equal(grid, expect)
    labels[f - (f - 1) % 4 : f - (f - 1) % 4 + 4] = 1  # the whole group of frame f
    grid = token_label_grid(torch.from_numpy(labels), 2).numpy()
    expect[(f - 1) // 4 + 1] = 1
    assert np.array_equal(grid, expect)


def _hold_reference(hold: np.ndarray, s: int, tf: int) -> np.ndarray:
    t, h, w = hold.shape
    groups = _frame_groups(t, tf)
    out = np.zeros((len(groups), h // s, w // s))
    for j, frames in enumerate(groups):
        for y in range(h // s):
            for x in range(w // s):
                out[j, y, x] = hold[frames, y * s : (y + 1) * s, x * s : (x + 1) * s].mean()
    return out


@SETTINGS
@given(st.sampled_from([1, 2, 4]), st.integers(0, 2), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.randoms(use_true_random=False))
def test_hold_map_is_the_mean_weight_of_each_latent_cell(tf, groups, s, gh, gw, rnd):
    t = 1 + tf * groups
    hold = np.array([[[rnd.choice([0.0, 0.25, 1.0]) for _ in range(gw * s)] for _ in range(gh * s)] for _ in range(t)],
                    np.float32)
    got = latent_hold_map(torch.from_numpy(hold), s, tf)
    assert got.shape == (1, 1, groups + 1, gh, gw)
    assert np.allclose(got[0, 0].numpy(), _hold_reference(hold, s, tf), atol=1e-6)
