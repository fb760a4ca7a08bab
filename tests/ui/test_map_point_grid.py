"""The cell-sorted point grid culls exactly what brute force finds, and the scale bar picks
readable lengths."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from districtplanner.ui.map.point_grid import PointGrid
from districtplanner.ui.map.scale_bar import format_length, nice_length

rects = st.tuples(st.floats(-100, 1100), st.floats(-100, 1100),
                  st.floats(0, 800), st.floats(0, 800))


@pytest.fixture(scope="module")
def points():
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.normal(300, 40, 4000), rng.uniform(0, 1000, 6000)])
    y = np.concatenate([rng.normal(700, 60, 4000), rng.uniform(0, 1000, 6000)])
    x[5] = np.nan  # a missing geometry is skipped, not binned
    return x, y, PointGrid(x, y, np.arange(len(x)) % 7)


@settings(max_examples=60, deadline=None)
@given(rect=rects)
def test_gather_matches_brute_force(points, rect):
    x, y, grid = points
    x0, y0, w, h = rect
    r = (x0, y0, x0 + w, y0 + h)
    inside = np.flatnonzero((x >= r[0]) & (x <= r[2]) & (y >= r[1]) & (y <= r[3]))
    got = np.sort(grid.rows[grid.gather(r)])
    np.testing.assert_array_equal(got, inside)
    # The O(1) count covers the touching cells: never below the exact count.
    assert grid.count_in(r) >= len(inside)
    assert grid.count_in(r) == len(grid.gather(r, exact=False))


def test_grid_keeps_classes_with_their_points(points):
    x, _y, grid = points
    np.testing.assert_array_equal(grid.classes, grid.rows % 7)
    np.testing.assert_array_equal(grid.x, x[grid.rows])
    assert len(grid) == len(x) - 1


def test_nearest_finds_the_closest_row_within_tolerance(points):
    x, y, grid = points
    row = 1234
    assert grid.nearest(x[row] + 0.01, y[row], tolerance=0.5) == row
    assert grid.nearest(-500.0, -500.0, tolerance=5.0) is None


def test_whole_grid_is_one_slice(points):
    _, _, grid = points
    assert grid.slices_in((-1e9, -1e9, 1e9, 1e9)) == [slice(0, len(grid))]
    assert grid.count_in((-1e9, -1e9, 1e9, 1e9)) == len(grid)
    assert grid.count_in((5000, 5000, 6000, 6000)) == 0


@pytest.mark.parametrize(("mpp", "expected"), [
    (1.0, 100.0), (2.0, 200.0), (5.0, 500.0), (7.0, 1000.0), (12.5, 2000.0),
    (0.01, 1.0), (100.0, 10_000.0),
])
def test_scale_bar_length_is_a_round_number_that_fits(mpp, expected):
    length = nice_length(mpp, max_px=160)
    assert length == pytest.approx(expected)
    assert length / mpp <= 160


def test_scale_bar_labels_switch_to_km():
    assert format_length(500) == "500 m"
    assert format_length(2000) == "2 km"
    assert format_length(2500) == "2.5 km"
    assert nice_length(0.0) == 0.0
