"""Vertex edits keep every other ring and part of a shape as it was."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon

from districtplanner.ui.map import edit_geometry as eg

SQUARE_WITH_HOLE = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)],
                           [[(4, 4), (6, 4), (6, 6), (4, 6)]])
TWO_PARTS = MultiPolygon([SQUARE_WITH_HOLE, shapely.box(20, 0, 25, 5)])


def test_split_and_join_round_trip():
    for g in (SQUARE_WITH_HOLE, TWO_PARTS):
        r = eg.split_rings(g)
        assert eg.join_rings(r).equals(g)
        assert type(eg.join_rings(r)) is type(g)
    assert len(eg.vertices(TWO_PARTS)) == 4 + 4 + 4


def test_nearest_vertex_and_edge_search_every_ring():
    ring, idx, d = eg.nearest_vertex(TWO_PARTS, 6.2, 6.1)
    assert eg.split_rings(TWO_PARTS).rings[ring][idx].tolist() == [6.0, 6.0]
    assert d == pytest.approx(np.hypot(0.2, 0.1))
    ring, pos, foot, d = eg.nearest_edge(TWO_PARTS, 22.0, 5.5)
    assert foot == (22.0, 5.0) and d == 0.5
    assert pos == 2  # between (25, 5) and (20, 5), the second edge of the box
    assert eg.split_rings(TWO_PARTS).owner[ring] == (1, 0)


def test_move_insert_delete_touch_only_their_ring():
    moved = eg.move_vertex(TWO_PARTS, 0, 2, 12.0, 12.0)
    assert moved.geoms[1].equals(TWO_PARTS.geoms[1])
    assert moved.geoms[0].interiors[0].equals(SQUARE_WITH_HOLE.interiors[0])
    assert (12.0, 12.0) in list(moved.geoms[0].exterior.coords)
    inserted = eg.insert_vertex(SQUARE_WITH_HOLE, 0, 1, 5.0, -2.0)
    assert list(inserted.exterior.coords)[:3] == [(0, 0), (5, -2), (10, 0)]
    assert inserted.area == SQUARE_WITH_HOLE.area + 10.0
    deleted = eg.delete_vertex(inserted, 0, 1)
    assert deleted.equals(SQUARE_WITH_HOLE)
    assert eg.delete_vertex(shapely.Polygon([(0, 0), (1, 0), (0, 1)]), 0, 0) is None


def test_translate_moves_every_vertex():
    moved = eg.translate(TWO_PARTS, 100.0, -5.0)
    np.testing.assert_allclose(eg.vertices(moved), eg.vertices(TWO_PARTS) + np.array([100.0, -5.0]))


def test_buffer_grows_and_shrinks_keeping_corners_square():
    grown = eg.buffer(shapely.box(0, 0, 100, 50), 10.0)
    assert grown.equals(shapely.box(-10, -10, 110, 60))
    assert eg.buffer(shapely.box(0, 0, 100, 50), -10.0).equals(shapely.box(10, 10, 90, 40))
    assert eg.buffer(shapely.box(0, 0, 100, 50), -30.0) is None
