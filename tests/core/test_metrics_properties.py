"""Properties of the district figures over generated cities (hypothesis)."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.citydata import CityData
from districtplanner.analysis.index import CityIndex, PlainSelector
from districtplanner.analysis.metrics import compute, compute_selection
from districtplanner.sample_city import generate_city

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
A = Assumptions()


@cache
def sample():
    c = generate_city(3000, n_rent_points=600)
    city = CityData.from_frames(c.establishments, rents=c.rent_points, stops=c.transit_stops,
                                institutions=c.institutions, neighbourhoods=c.neighbourhoods)
    index = CityIndex.build(city)
    return c, city, index, PlainSelector(index)


def star(cx: float, cy: float, radius: float, radii: list[float]) -> shapely.Polygon:
    theta = np.linspace(0, 2 * np.pi, len(radii), endpoint=False)
    r = radius * np.asarray(radii)
    return shapely.Polygon(np.column_stack([cx + r * np.cos(theta), cy + r * np.sin(theta)]))


@st.composite
def districts(draw):
    """Star-shaped polygons (3..60 vertices, 50 m..3 km) anywhere over the sample city."""
    xmin, ymin, xmax, ymax = sample()[1].extent()
    cx = draw(st.floats(xmin - 500, xmax + 500))
    cy = draw(st.floats(ymin - 500, ymax + 500))
    radius = draw(st.floats(50, 3000))
    radii = draw(st.lists(st.floats(0.3, 1.0), min_size=3, max_size=60))
    return star(cx, cy, radius, radii)


def close(a, b, path="") -> None:
    """Figure-for-figure equality (floats to 1e-9 relative)."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            if k != "explanations":
                close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (path, a, b)
    else:
        assert a == b, (path, a, b)


@SETTINGS
@given(districts())
def test_fast_path_equals_plain_geopandas(district):
    _, _, index, plain = sample()
    fast = compute(index, district, A).to_dict(sensitivity=False)
    slow = compute_selection(index, plain.select(district, A.institution_buffer_m), A)
    close(fast, slow.to_dict(sensitivity=False))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(districts(), st.integers(0, 2**32 - 1), st.sampled_from([40.0, 150.0, 600.0]))
def test_results_do_not_depend_on_row_order(district, seed, cell):
    c, _city, index, _ = sample()
    rng = np.random.default_rng(seed)
    shuffled = CityData.from_frames(
        c.establishments.iloc[rng.permutation(len(c.establishments))],
        rents=c.rent_points.iloc[rng.permutation(len(c.rent_points))],
        stops=c.transit_stops.iloc[rng.permutation(len(c.transit_stops))],
        institutions=c.institutions.iloc[rng.permutation(len(c.institutions))],
        neighbourhoods=c.neighbourhoods)
    other = CityIndex.build(shuffled, cell_size=cell)
    close(compute(index, district, A).to_dict(sensitivity=False),
          compute(other, district, A).to_dict(sensitivity=False))


@SETTINGS
@given(st.floats(1.0, 5000.0))
def test_district_covering_the_city_has_location_quotient_one(margin):
    _, city, index, _ = sample()
    xmin, ymin, xmax, ymax = city.extent()
    m = compute(index, box(xmin - margin, ymin - margin, xmax + margin, ymax + margin), A)
    assert m.concentration.location_quotient == 1.0
    for s in m.concentration.by_sector.values():
        assert s.location_quotient == (1.0 if s.jobs > 0 else 0.0)
    assert m.concentration.establishments == city.n_establishments


@SETTINGS
@given(districts(), districts())
def test_disjoint_districts_add_up_to_their_union(d1, d2):
    assume(not d1.intersects(d2))
    _, _, index, _ = sample()
    m1, m2 = compute(index, d1, A), compute(index, d2, A)
    mu = compute(index, shapely.union(d1, d2), A)
    c1, c2, cu = m1.concentration, m2.concentration, mu.concentration
    assert cu.establishments == c1.establishments + c2.establishments
    assert cu.jobs == c1.jobs + c2.jobs
    for k in cu.by_sector:
        assert cu.by_sector[k].establishments == (c1.by_sector[k].establishments
                                                  + c2.by_sector[k].establishments)
    assert (mu.affordability.rent_observations == m1.affordability.rent_observations
            + m2.affordability.rent_observations)
    assert (sum(cu.institutions_inside.values()) == sum(c1.institutions_inside.values())
            + sum(c2.institutions_inside.values()))
    assert math.isclose(mu.area_km2, m1.area_km2 + m2.area_km2, rel_tol=1e-9)
    assert math.isclose(mu.affordability.households,
                        m1.affordability.households + m2.affordability.households,
                        rel_tol=1e-9, abs_tol=1e-6)


@SETTINGS
@given(st.floats(-1e4, 1e4), st.floats(-1e4, 1e4), st.sampled_from(["empty", "line", "point",
                                                                    "far"]))
def test_empty_or_zero_area_district_gives_zeros(dx, dy, kind):
    _, city, index, _ = sample()
    xmin, ymin, _, _ = city.extent()
    x, y = xmin + 5000 + dx, ymin + 5000 + dy
    geom = {
        "empty": shapely.Polygon(),
        "line": shapely.Polygon([(x, y), (x + 100, y + 100), (x + 200, y + 200)]),
        "point": shapely.Polygon([(x, y), (x, y), (x, y)]),
        "far": box(x + 1e6, y + 1e6, x + 1e6 + 10, y + 1e6 + 10),
    }[kind]
    d = compute(index, geom, A).to_dict(sensitivity=False)
    conc, aff = d["concentration"], d["affordability"]
    assert conc["establishments"] == 0 and conc["jobs"] == 0
    assert conc["location_quotient"] == 0 and conc["entropy"] == 0 and conc["hhi"] == 0
    assert all(v["establishments"] == 0 for v in conc["by_sector"].values())
    assert aff["rent_observations"] == 0 and aff["rent_median"] is None
    assert aff["households"] == 0 and aff["neighbourhoods"] == []
    assert aff["creative_firms_priced_out"] == 0
