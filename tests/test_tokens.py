import pytest
import torch

from ttm_core.errors import TTMInputError
from ttm_core.tokens import token_label_grid, token_labels


def _reference(labels, cell, tf=4):
    """Loop version of the documented rule: majority per cell over the frame group, ties -> lower label."""
    t, h, w = labels.shape
    groups = [[0]] + [list(range(1 + tf * (j - 1), 1 + tf * j)) for j in range(1, (t - 1) // tf + 1)]
    out = torch.zeros(len(groups), h // cell, w // cell, dtype=torch.long)
    for j, frames in enumerate(groups):
        for y in range(h // cell):
            for x in range(w // cell):
                block = labels[frames, y * cell : (y + 1) * cell, x * cell : (x + 1) * cell].flatten()
                counts = torch.bincount(block.long(), minlength=int(labels.max()) + 1)
                out[j, y, x] = int(torch.argmax(counts))  # argmax returns the first maximum
    return out


@pytest.mark.parametrize("shape,cell", [((9, 32, 48), 16), ((13, 64, 32), 32), ((1, 16, 16), 16)])
def test_majority_matches_loop_reference(shape, cell):
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 4, shape, generator=g).to(torch.uint8)
    assert torch.equal(token_label_grid(labels, cell), _reference(labels, cell))


def test_frame_grouping_first_frame_alone():
    labels = torch.zeros(5, 16, 16, dtype=torch.uint8)
    labels[0] = 1  # only frame 0 has the object
    grid = token_label_grid(labels, 16)
    assert grid[:, 0, 0].tolist() == [1, 0]
    labels[1:3] = 2  # two of four frames in group 1: a tie with background -> background
    assert token_label_grid(labels, 16)[1, 0, 0] == 0
    labels[3] = 2
    assert token_label_grid(labels, 16)[1, 0, 0] == 2


def test_flat_order_is_t_h_w():
    labels = torch.zeros(5, 32, 64, dtype=torch.uint8)
    labels[1:, 16:, 48:] = 3  # bottom-right token of latent frame 1
    flat = token_labels(labels, 16)
    assert flat.shape == (2 * 2 * 4,)
    assert flat.nonzero().flatten().tolist() == [1 * 8 + 1 * 4 + 3]


def test_invalid_sizes_are_named():
    with pytest.raises(TTMInputError, match="4k\\+1"):
        token_labels(torch.zeros(8, 16, 16, dtype=torch.uint8), 16)
    with pytest.raises(TTMInputError, match="multiple of the token cell"):
        token_labels(torch.zeros(5, 20, 16, dtype=torch.uint8), 16)
