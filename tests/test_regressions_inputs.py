"""Inputs of stage 1: SAM2 overlap priority, normalised coordinates and click discs.

Expected values come from the documented rules: a covered object lifted by ``on_empty=
"fallback"`` goes above every other score; a coordinate list is normalised when every value
lies within 0..1 (1.0 included: the right or bottom edge); clicks are in pixel-edge coordinates
(the click (x, y) lies inside pixel column floor(x), row floor(y), as SAM2 reads them).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ttm_core.coords import parse_boxes, parse_point_lists, parse_points
from ttm_core.segment import segment_image
from test_segment_compose import H, W, ScriptedPredictor, rect


def test_fallback_lifts_a_covered_object_above_every_score_even_when_it_is_larger():
    """A table covered by two higher-scored halves (each smaller than the table): lifted on top, whole."""
    table, left, right = rect(10, 10, 90, 50), rect(5, 5, 50, 55), rect(50, 5, 95, 55)
    pred = ScriptedPredictor({(20, 20): [(left, 0.9)], (70, 20): [(right, 0.8)], (30, 30): [(table, 0.3)]})
    prompts = [{"name": "left", "points": [[20, 20]]}, {"name": "right", "points": [[70, 20]]},
               {"name": "table", "points": [[30, 30]]}]
    objs = segment_image(pred, torch.rand(H, W, 3), prompts, on_empty="fallback")
    assert objs.names == ["left", "right", "table"]
    assert torch.equal(objs.mask("table"), torch.from_numpy(table))
    assert torch.equal(objs.mask("left"), torch.from_numpy(left & ~table))
    assert torch.equal(objs.mask("right"), torch.from_numpy(right & ~table))


@pytest.mark.parametrize("x, y", [(70.0, 12.0), (20.0, 30.0), (30.0, 20.0)])
def test_fallback_disc_sits_on_the_click(x, y):
    """SAM2 finds nothing: the object becomes a disc of radius 2 px around the click."""
    empty = np.zeros((H, W), dtype=bool)
    pred = ScriptedPredictor({(int(round(x)), int(round(y))): [(empty, 0.5)]})
    objs = segment_image(pred, torch.rand(H, W, 3), [{"name": "dot", "points": [[x, y]]}], on_empty="fallback")
    ys, xs = torch.nonzero(objs.mask("dot"), as_tuple=True)
    # pixel centres within 2 px of the click: columns x-2 .. x+1, rows y-2 .. y+1
    assert (int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max())) == (x - 2, x + 1, y - 2, y + 1)
    assert torch.allclose(objs.centroids()[0], torch.tensor([x - 0.5, y - 0.5]))


def test_a_coordinate_of_exactly_one_is_normalised():
    assert parse_points([[1.0, 0.5]], "p", width=100, height=50) == [(100.0, 25.0)]
    assert parse_points('[{"x": 0.25, "y": 1}]', "p", width=100, height=50) == [(25.0, 50.0)]
    assert parse_boxes([0.0, 0.0, 1.0, 1.0], "b", width=100, height=50) == [(0.0, 0.0, 100.0, 50.0)]
    # one value above 1: pixels, all of them
    assert parse_points([[1.5, 0.5]], "p", width=100, height=50) == [(1.5, 0.5)]
    assert parse_points([[1.0, 0.5], [2.0, 3.0]], "p", width=100, height=50) == [(1.0, 0.5), (2.0, 3.0)]
    assert parse_boxes([0.5, 0.5, 2.0, 1.0], "b", width=100, height=50) == [(0.5, 0.5, 2.0, 1.0)]
    # explicit choices override the guess
    assert parse_point_lists([[1.0, 1.0]], "p", width=100, height=50, normalized=False) == [[(1.0, 1.0)]]
    assert parse_point_lists([[2.0, 0.5]], "p", width=10, height=10, normalized=True, inside=False) == [[(20.0, 5.0)]]
