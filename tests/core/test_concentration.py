"""Concentration figures on small cities computed by hand."""

from __future__ import annotations

import dataclasses
import math

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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
from districtplanner.analysis.sectors import CREATIVE_SECTORS

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


def _ratio_plain(num, den) -> float:
    return float(num / den) if den > 0 else 0.0


def _plain_figures(sel, totals, jobs_known: bool) -> dict:
    """Every figure by the per-sector formulas on numpy scalars (the reference the
    vectorised figures must equal exactly)."""
    count, jobs = sel.count_by_sector, sel.jobs_by_sector
    ccount, cjobs = totals.count_by_sector, totals.jobs_by_sector
    q, qc = (jobs, cjobs) if jobs_known else (count, ccount)
    n = len(CREATIVE_SECTORS)

    def lq(part, part_total, city, city_total):
        return _ratio_plain(_ratio_plain(part, part_total), _ratio_plain(city, city_total))

    area, city_area = sel.area_m2 / 1e6, totals.area_m2 / 1e6
    return {
        "by_sector": {k: {"establishments": float(count[i]), "jobs": float(jobs[i]),
                          "share_of_city_establishments": _ratio_plain(count[i], ccount[i]),
                          "share_of_city_jobs": _ratio_plain(jobs[i], cjobs[i]),
                          "location_quotient": lq(q[i], q.sum(), qc[i], qc.sum())}
                      for i, k in enumerate(CREATIVE_SECTORS)},
        "establishments": float(count.sum()), "jobs": float(jobs.sum()),
        "creative_establishments": float(count[:n].sum()),
        "creative_jobs": float(jobs[:n].sum()),
        "establishments_per_km2": _ratio_plain(count.sum(), area),
        "creative_jobs_per_km2": _ratio_plain(jobs[:n].sum(), area),
        "share_of_city_creative_establishments": _ratio_plain(count[:n].sum(),
                                                              ccount[:n].sum()),
        "share_of_city_creative_jobs": _ratio_plain(jobs[:n].sum(), cjobs[:n].sum()),
        "location_quotient": lq(q[:n].sum(), q.sum(), qc[:n].sum(), qc.sum()),
        "density_ratio": _ratio_plain(_ratio_plain(q[:n].sum(), area),
                                      _ratio_plain(qc[:n].sum(), city_area)),
    }


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), jobs_known=st.booleans(),
       zeros=st.floats(0, 1), area=st.sampled_from([0.0, 1.0, 3.3e5, 1.7e7]))
def test_vectorised_figures_equal_the_per_sector_formulas(seed, jobs_known, zeros, area):
    rng = np.random.default_rng(seed)
    est = frame(ROWS)
    index = CityIndex.build(CityData.from_frames(est))
    k = len(index.totals.count_by_sector)

    def counts(scale):
        v = np.floor(rng.random(k) * scale)
        v[rng.random(k) < zeros] = 0.0
        return v

    sel = dataclasses.replace(index.select(DISTRICT), count_by_sector=counts(50),
                              jobs_by_sector=counts(50) * rng.random(k) * 9.7,
                              area_m2=area)
    totals = dataclasses.replace(index.totals, count_by_sector=sel.count_by_sector + counts(80),
                                 jobs_by_sector=sel.jobs_by_sector + counts(800) / 3)
    got = concentration(sel, totals, Assumptions(), jobs_known).to_dict()
    for key, value in _plain_figures(sel, totals, jobs_known).items():
        assert got[key] == value, key
        assert type(got[key]) is type(value), key
