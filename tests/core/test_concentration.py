"""Concentration figures on small cities computed by hand."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.citydata import CityData
from districtplanner.analysis.concentration import (
    concentration,
    herfindahl,
    location_quotient,
    shannon_entropy,
)
from districtplanner.analysis.index import CityIndex

CRS = "EPSG:32632"


def frame(rows, **extra) -> gpd.GeoDataFrame:
    xs, ys = zip(*[(r[0], r[1]) for r in rows], strict=True)
    cols = {"sector": [r[2] for r in rows], "employees": [r[3] for r in rows]}
    return gpd.GeoDataFrame({**cols, **extra}, geometry=gpd.points_from_xy(xs, ys), crs=CRS)


# A 200 m x 100 m city; the district is the left half (x < 100).
ROWS = [
    (10, 10, "film_tv", 10), (20, 20, "film_tv", 10), (30, 30, "publishing", 20),
    (40, 40, "retail", 40),
    (150, 10, "film_tv", 10), (160, 20, "retail", 50), (170, 30, "retail", 50),
    (180, 40, "logistics", 10),
]
DISTRICT = box(0, 0, 100, 100)


def figures(rows=ROWS, jobs=True, stops=None, a=None):
    est = frame(rows)
    if not jobs:
        est = est.drop(columns="employees")
    st = None if stops is None else gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(*zip(*stops, strict=True)), crs=CRS)
    nb = gpd.GeoDataFrame({"name": ["city"]}, geometry=[box(0, 0, 200, 100)], crs=CRS)
    index = CityIndex.build(CityData.from_frames(est, stops=st, neighbourhoods=nb))
    a = a or Assumptions()
    return concentration(index.select(DISTRICT), index.totals, a, index.city.has_jobs)


def test_counts_jobs_and_density():
    c = figures()
    assert c.establishments == 4 and c.jobs == 80
    assert c.creative_establishments == 3 and c.creative_jobs == 40
    assert c.by_sector["film_tv"].establishments == 2 and c.by_sector["film_tv"].jobs == 20
    # 0.01 km² district.
    assert c.creative_establishments_per_km2 == pytest.approx(300)
    assert c.creative_jobs_per_km2 == pytest.approx(4000)
    assert c.establishments_per_km2 == pytest.approx(400)


def test_shares_of_the_city():
    c = figures()
    assert c.share_of_city_creative_establishments == pytest.approx(3 / 4)
    assert c.share_of_city_creative_jobs == pytest.approx(40 / 50)
    assert c.by_sector["film_tv"].share_of_city_establishments == pytest.approx(2 / 3)


def test_location_quotients_on_jobs():
    c = figures()
    # City jobs 200, creative 50; district jobs 80, creative 40.
    assert c.lq_basis == "jobs"
    assert c.location_quotient == pytest.approx((40 / 80) / (50 / 200))
    assert c.by_sector["film_tv"].location_quotient == pytest.approx((20 / 80) / (30 / 200))
    assert c.by_sector["publishing"].location_quotient == pytest.approx((20 / 80) / (20 / 200))
    assert c.by_sector["architecture"].location_quotient == 0.0
    # Density ratio: creative jobs per km² district / city (0.02 km²).
    assert c.density_ratio == pytest.approx((40 / 0.01) / (50 / 0.02))


def test_location_quotient_falls_back_to_firms_without_jobs():
    c = figures(jobs=False)
    assert c.lq_basis == "establishments" and not c.jobs_known
    assert c.location_quotient == pytest.approx((3 / 4) / (4 / 8))


def test_entropy_and_hhi():
    c = figures()
    p = np.array([0.5, 0.5])  # film_tv 20 jobs, publishing 20 jobs
    assert c.entropy == pytest.approx(-(p * np.log(p)).sum() / math.log(9))
    assert c.hhi == pytest.approx(0.5)
    assert shannon_entropy(np.ones(9)) == pytest.approx(1.0)
    assert shannon_entropy(np.r_[5.0, np.zeros(8)]) == 0.0
    assert herfindahl(np.r_[5.0, np.zeros(8)]) == 1.0
    assert herfindahl(np.zeros(9)) == 0.0 and shannon_entropy(np.zeros(9)) == 0.0


def test_transit_proximity_shares():
    a = Assumptions().replace(transit_near_m=50, transit_far_m=100)
    rows = [*ROWS[:3], (60, 60, "design_fashion", 1), (90, 90, "architecture", 1), *ROWS[3:]]
    c = figures(rows=rows, stops=[(0.0, 0.0)], a=a)
    # Creative firms inside lie 14.1, 28.3, 42.4, 84.9 and 127.3 m from the stop.
    assert c.transit_near_share == pytest.approx(3 / 5)
    assert c.transit_far_share == pytest.approx(4 / 5)
    assert figures(a=a).transit_near_share == 0.0  # no stops: nobody is near one


def test_location_quotient_helper_handles_zeros():
    assert location_quotient(0, 0, 5, 10) == 0.0
    assert location_quotient(1, 2, 0, 10) == 0.0
    assert location_quotient(1, 2, 5, 10) == pytest.approx(1.0)
