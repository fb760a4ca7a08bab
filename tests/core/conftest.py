"""Fixtures shared by the headless tests."""

from __future__ import annotations

import pytest

from districtplanner.analysis.citydata import CityData
from districtplanner.analysis.index import CityIndex
from districtplanner.sample_city import generate_city


@pytest.fixture(scope="module")
def sample():
    """A small seeded city and its index (module scope: the index keeps a one-district
    memo, so each module starts from a fresh one)."""
    c = generate_city(4000, n_rent_points=800)
    city = CityData.from_frames(c.establishments, rents=c.rent_points, stops=c.transit_stops,
                                institutions=c.institutions, neighbourhoods=c.neighbourhoods)
    return c, CityIndex.build(city)
