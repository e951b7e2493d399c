import pytest

from ttm_core.coords import parse_boxes, parse_point_lists, parse_points, points_to_json
from ttm_core.errors import TTMInputError


def test_kjnodes_and_core_formats():
    assert parse_points('[{"x": 10, "y": 20}, {"x": 30, "y": 40}]', "p") == [(10, 20), (30, 40)]
    assert parse_points("[{'x': 1.5, 'y': 2}]", "p") == [(1.5, 2.0)]  # single quotes, as core tolerates
    nested = '[[{"x": 1, "y": 2}], [{"x": 3, "y": 4}, {"x": 5, "y": 6}]]'
    assert parse_point_lists(nested, "p") == [[(1, 2)], [(3, 4), (5, 6)]]
    assert parse_point_lists([[10, 20], [30, 40]], "p") == [[(10, 20), (30, 40)]]
    assert parse_point_lists("", "p") == []


def test_normalised_points_are_scaled_and_bounds_checked():
    assert parse_points("[[0.5, 0.25]]", "p", width=200, height=100) == [(100.0, 25.0)]
    assert parse_points("[[0.5, 0.25]]", "p", width=200, height=100, normalized=False) == [(0.5, 0.25)]
    with pytest.raises(TTMInputError, match="outside the 200x100 image"):
        parse_points("[[250, 20]]", "points", width=200, height=100)
    assert parse_points("[[250, 20]]", "p", width=200, height=100, inside=False) == [(250, 20)]


@pytest.mark.parametrize("bad", ["[{x: 1}]", '[{"x": 1}]', '[["a", 2]]', '{"x": 1, "y": 2}', "[[1, NaN]]"])
def test_malformed_strings_name_the_input(bad):
    with pytest.raises(TTMInputError, match="^pts"):
        parse_point_lists(bad, "pts")


def test_boxes_formats_and_clipping():
    assert parse_boxes("[[10, 10, 50, 40]]", "b", width=100, height=100) == [(10, 10, 50, 40)]
    assert parse_boxes([[10, 10, 40, 30]], "b", width=100, height=100, fmt="xywh") == [(10, 10, 50, 40)]
    assert parse_boxes([{"startX": 50, "startY": 40, "endX": 10, "endY": 10}], "b") == [(10, 10, 50, 40)]
    assert parse_boxes([0.1, 0.1, 0.5, 0.5], "b", width=200, height=100) == [(20, 10, 100, 50)]
    assert parse_boxes([[-10, 0, 300, 50]], "b", width=200, height=100) == [(0, 0, 200, 50)]
    with pytest.raises(TTMInputError, match="empty or lies outside"):
        parse_boxes([[300, 0, 400, 50]], "boxes", width=200, height=100)


def test_points_to_json_roundtrip():
    pts = [(1.0, 2.5), (3.25, 4.0)]
    assert parse_points(points_to_json(pts), "p") == pts
