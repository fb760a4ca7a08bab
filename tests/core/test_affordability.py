"""Affordability-risk figures on small cities computed by hand."""

from __future__ import annotations

import dataclasses
import math

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from shapely.geometry import box

from districtplanner.analysis.affordability import (
    QUARTILES,
    affordability,
    burden_share,
    city_percentile,
    new_station_share,
    rent_quantiles,
    risk_class,
    share_below,
    sorted_bin_counts,
    sorted_quantiles,
)
from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.citydata import CityData
from districtplanner.analysis.index import CityIndex

CRS = "EPSG:32632"
DISTRICT = box(0, 0, 100, 100)  # half of the one neighbourhood


def pts(xy, **cols) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)


def city_index(rent_value: float = 15.0, rents=None, **nb_cols) -> CityIndex:
    est = pts([(10, 10), (20, 20), (30, 30), (40, 40), (150, 50)],
              sector=["film_tv", "publishing", "design_fashion", "architecture", "retail"],
              employees=[2, 2, 2, 2, 10])
    if rents is None:
        g = np.array([(x, y) for x in range(5, 200, 10) for y in range(5, 100, 10)], float)
        rents = pts(g, rent=np.full(len(g), rent_value))
    cols = {"name": ["Only"], "households": [1000], "median_income": [42000.0],
            "renter_share": [0.5], **nb_cols}
    nb = gpd.GeoDataFrame(cols, geometry=[box(0, 0, 200, 100)], crs=CRS)
    return CityIndex.build(CityData.from_frames(est, rents=rents, neighbourhoods=nb))


def figures(index: CityIndex, a: Assumptions, district=DISTRICT, near_share: float = 0.0):
    sel = index.select(district) if district is not None else index.whole_city()
    return affordability(index, sel, a, near_share)


def test_rent_quantiles_unweighted_and_weighted():
    assert rent_quantiles(np.array([16.0, 10, 14, 12])) == (11.5, 13.0, 14.5)
    assert rent_quantiles(np.array([30.0, 10, 20]), np.array([2.0, 1, 1])) == (10, 20, 30)
    assert all(math.isnan(v) for v in rent_quantiles(np.array([])))


def test_city_percentile():
    v = np.array([10.0, 12, 14, 16])
    assert city_percentile(13.0, v) == 50.0
    assert city_percentile(16.0, v) == 100.0
    assert city_percentile(12.0, v, np.array([1.0, 1, 1, 5])) == pytest.approx(25.0)
    assert math.isnan(city_percentile(float("nan"), v))


def test_lognormal_shares():
    assert share_below(42000.0, 42000.0, 0.85) == pytest.approx(0.5)
    assert share_below(42000.0 * math.exp(0.85), 42000.0, 0.85) == pytest.approx(norm.cdf(1))
    a = Assumptions().replace(utilities_share=0.0)  # contract rent alone
    # Rent of 15 /m²/month on 70 m² is 12,600 a year: 30% of 42,000, the median income.
    assert burden_share(15.0, 42000.0, a) == pytest.approx(0.5)
    # Gross rent with utilities at 30% of it: 16,380 a year, burdened below 54,600.
    g = Assumptions().replace(utilities_share=0.3)
    assert burden_share(15.0, 42000.0, g) == pytest.approx(norm.cdf(math.log(1.3) / 0.85))


def test_risk_classes():
    assert [risk_class(v) for v in (0.0, 0.24, 0.25, 0.6, 0.75, 1.0)] == [
        "low", "low", "moderate", "high", "very high", "very high"]


def test_rent_figures_from_points():
    index = city_index(rents=pts([(10, 10), (50, 50), (60, 60), (90, 90), (150, 50)],
                                 rent=[10.0, 12.0, 14.0, 16.0, 40.0]))
    f = figures(index, Assumptions())
    assert (f.rent_q1, f.rent_median, f.rent_q3) == (11.5, 13.0, 14.5)
    assert f.rent_iqr == 3.0
    assert f.rent_city_median == 14.0
    assert f.rent_city_percentile == pytest.approx(40.0)  # 10 and 12 of 5 values <= 13


def test_rent_figures_from_polygons_are_area_weighted():
    polys = gpd.GeoDataFrame({"rent": [10.0, 20.0]},
                             geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=CRS)
    index = city_index(rents=polys)
    f = figures(index, Assumptions(), district=box(50, 0, 200, 100))
    assert f.rent_source == "polygons"
    assert (f.rent_q1, f.rent_median, f.rent_q3) == (10.0, 20.0, 20.0)
    assert f.rent_city_percentile == 100.0


def test_burden_displacement_and_priced_out_by_hand():
    # designation_uplift pinned at 7% (the default is now 5%, Noonan 2013's 0-10% range)
    # so the hand-worked numbers below keep their 1.07.
    # One capacity for every firm (spread 0) for the firm counts worked by hand below;
    # the spread of capacities is tested on its own further down. Rents +3% and incomes
    # +2% a year pinned (the defaults are now real growth rates, 1% and 0.5%).
    # Contract rent alone (utilities_share 0): the gross-rent term has its own test below.
    a = Assumptions().replace(clt_share=0.2, firm_rent_capacity=17,
                              affordable_workspace_share=0.5, designation_uplift=0.07,
                              firm_rent_capacity_spread=0, market_rent_growth=0.03,
                              income_growth=0.02, utilities_share=0.0)
    index = city_index()
    f = figures(index, a)
    assert f.households == pytest.approx(500) and f.renter_households == pytest.approx(250)
    # Rent 15 /m²/month on 70 m² is 12,600 a year, 30% of 42,000, the median income; but
    # renters' median is 0.65 of it (27,300): Φ(ln(42,000 / 27,300) / 0.85) are burdened.
    b0 = norm.cdf(math.log(1 / 0.65) / 0.85)
    assert f.rent_burden_share == pytest.approx(b0)
    # EU 40% line: income below 12,600 / 0.4 = 31,500.
    assert f.rent_overburden_share_eu == pytest.approx(
        norm.cdf(math.log(31500 / 27300) / 0.85))
    # Displacement: one neighbourhood, half inside, no rent growth column, no stops.
    low = norm.cdf(math.log(0.8) / 0.85)
    v = (low + 0.5) / 2
    m = 0.5  # the only neighbourhood ranks in the middle
    u = 0.07
    p = 0.5 * u / 0.20
    assert f.vulnerability == pytest.approx(v)
    assert f.market_pressure == pytest.approx(m)
    assert f.plan_pressure == pytest.approx(p)
    assert f.displacement_risk == pytest.approx(0.4 * v + 0.35 * m + 0.25 * p)
    assert f.displacement_class == risk_class(0.4 * v + 0.35 * m + 0.25 * p)
    assert [n.name for n in f.neighbourhoods] == ["Only"]
    # Projected rent over 10 years at 3%, with the 7% designation uplift.
    assert f.projected_rent_without_plan == pytest.approx(15 * 1.03**10)
    assert f.projected_rent == pytest.approx(15 * 1.03**10 * 1.07)
    assert len(f.rent_path) == 11 and f.rent_path[0] == 15.0
    assert f.rent_path[1] == pytest.approx(15 * 1.03 * 1.07)
    assert f.rent_path[-1] == pytest.approx(f.projected_rent)
    assert f.rent_path_without_plan[-1] == pytest.approx(f.projected_rent_without_plan)

    def burden(rent, income):
        return norm.cdf((math.log(rent * 70 * 12 / 0.3) - math.log(income)) / 0.85)

    inc = 0.65 * 42000 * 1.02**10  # renters' median income in 10 years
    assert f.households_priced_out == pytest.approx(250 * (burden(15 * 1.03**10 * 1.07, inc)
                                                           - b0))
    assert f.households_priced_out_without_plan == pytest.approx(
        250 * max(burden(15 * 1.03**10, inc) - b0, 0))
    assert f.households_priced_out_mitigated == pytest.approx(0.8 * f.households_priced_out)
    # Firms pay 15 today (capacity 17); in 10 years the market rent 20.16 stays under the
    # grown capacity 20.72, but the designated 21.57 does not: all 4 creative firms are out,
    # the set-aside (half the firms, rent 20% below market) saves 2.
    assert f.creative_firms_rent_known == 4
    assert f.creative_firms_priced_out_without_plan == 0
    assert f.creative_firms_priced_out == 4
    assert f.creative_firms_priced_out_mitigated == 2


def test_gross_rent_burden_by_hand():
    """The burden and the households priced out on gross rent: contract rent plus
    utilities at utilities_share of it (HUD's and the Census's gross rent)."""
    a = Assumptions().replace(utilities_share=0.25, designation_uplift=0.07,
                              market_rent_growth=0.03, income_growth=0.02)
    f = figures(city_index(), a)
    # Contract rent 15 /m²/month, gross 18.75; on 70 m², 15,750 a year. Renters' median
    # income 0.65 × 42,000 = 27,300; burdened below 15,750 / 0.3 = 52,500, severely below
    # 31,500, over the EU line below 39,375.
    b0 = norm.cdf(math.log(52500 / 27300) / 0.85)
    assert f.rent_burden_share == pytest.approx(b0)
    assert f.severe_rent_burden_share == pytest.approx(norm.cdf(math.log(31500 / 27300) / 0.85))
    assert f.rent_overburden_share_eu == pytest.approx(norm.cdf(math.log(39375 / 27300) / 0.85))
    # In 10 years: gross rent 18.75 × 1.03^10 × 1.07, renters' income 27,300 × 1.02^10.
    then = 18.75 * 1.03**10 * 1.07 * 70 * 12 / 0.3
    b1 = norm.cdf(math.log(then / (27300 * 1.02**10)) / 0.85)
    assert f.households_priced_out == pytest.approx(250 * (b1 - b0))
    # More burdened than on contract rent alone: the old figure was a lower bound.
    contract = figures(city_index(), a.replace(utilities_share=0.0))
    assert f.rent_burden_share > contract.rent_burden_share
    assert "gross rent" in explain_text(a, "affordability.rent_burden")


def explain_text(a: Assumptions, key: str) -> str:
    from districtplanner.analysis.metrics import compute

    return compute(city_index(), DISTRICT, a).explanations[key]


def test_baseline_has_no_plan_pressure():
    f = figures(city_index(), Assumptions(), district=None)
    assert f.plan_uplift == 0.0 and f.plan_pressure == 0.0
    assert f.households_priced_out == f.households_priced_out_without_plan
    assert f.households == pytest.approx(1000)


def test_only_added_stations_raise_the_uplift():
    a = Assumptions()
    # The 4th argument is the share near a station the plan adds, not near existing stops.
    f = figures(city_index(), a, near_share=1.0)
    assert f.plan_uplift == pytest.approx(0.05 + 0.042)
    assert figures(city_index(), a).plan_uplift == pytest.approx(0.05)
    # One new station's 400 m catchment (0.503 km²) covers a 1 km² district by half.
    assert new_station_share(1, 1e6, a) == pytest.approx(math.pi * 0.16 / 1.0)
    assert new_station_share(0, 1e6, a) == 0.0
    assert new_station_share(3, 1e6, a) == 1.0


def test_market_pressure_ranks_rent_and_growth():
    est = pts([(10, 10)], sector=["film_tv"], employees=[1])
    rents = pts([(50, 50), (150, 50), (250, 50)], rent=[10.0, 20.0, 30.0])
    nb = gpd.GeoDataFrame(
        {"name": list("abc"), "households": [100, 100, 100],
         "median_income": [40000.0] * 3, "renter_share": [0.5] * 3,
         "rent_growth": [0.05, 0.01, 0.03]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)], crs=CRS)
    index = CityIndex.build(CityData.from_frames(est, rents=rents, neighbourhoods=nb))
    f = affordability(index, index.select(box(0, 0, 100, 100)), Assumptions(), 0.0)
    # Neighbourhood a: lowest rent (rank 0), highest growth (rank 1).
    assert f.market_pressure == pytest.approx(0.5)
    f = affordability(index, index.select(box(100, 0, 200, 100)), Assumptions(), 0.0)
    assert f.market_pressure == pytest.approx((0.5 + 0.0) / 2)


def test_empty_district_gives_zeros():
    f = figures(city_index(), Assumptions(), district=box(1e5, 1e5, 1e5 + 1, 1e5 + 1))
    assert f.households == 0 and f.rent_burden_share == 0 and f.displacement_risk == 0
    assert f.rent_observations == 0 and math.isnan(f.rent_median)
    assert f.creative_firms_priced_out == 0
    d = f.to_dict()
    assert d["rent_median"] is None and d["displacement_class"] == "low"
    assert d["rent_path"] == [None] * 11


# ---- the fast paths equal numpy's and the plain formulas ------------------------------


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(
           st.floats(allow_nan=True, allow_infinity=True, width=64),
           st.sampled_from([0.0, -0.0, 1.0, 2.0, 2.0, 15.5])), min_size=1, max_size=60),
       qs=st.lists(st.floats(0, 1), min_size=1, max_size=4))
def test_sorted_quantiles_equal_np_quantile(values, qs):
    v = np.array(values)
    with np.errstate(all="ignore"):
        expected = np.quantile(v, qs).tolist()
    got = sorted_quantiles(np.sort(v), tuple(qs))
    assert all(_same(a, b) for a, b in zip(expected, got, strict=True)), (expected, got)


def test_sorted_quantiles_on_ties_one_value_and_many():
    rng = np.random.default_rng(3)
    for v in (np.array([7.0]), np.full(9, 3.0), rng.integers(0, 4, 1000).astype(float),
              rng.random(5001) * 40, np.array([1.0, np.nan, 2.0])):
        assert rent_quantiles(v) == pytest.approx(
            tuple(np.quantile(v, QUARTILES)), nan_ok=True, rel=0, abs=0)


def _weighted_quantile(v: np.ndarray, w: np.ndarray, q: float) -> float:
    """The smallest (ascending) value whose cumulative weight reaches q of the total."""
    cw = np.cumsum(w)
    return float(v[min(int(np.searchsorted(cw, q * cw[-1], side="left")), v.size - 1)])


def test_weighted_rent_quantiles_equal_the_cumulative_weight_rule():
    rng = np.random.default_rng(4)
    for n in (1, 2, 3, 10, 500):
        v = rng.integers(0, 20, n).astype(float)  # ties, whose weights add up
        w = rng.random(n) * rng.integers(0, 2, n)  # some zero weights
        w[0] = 1.0
        order = np.argsort(v, kind="stable")
        expected = tuple(_weighted_quantile(v[order], w[order], q) for q in QUARTILES)
        assert rent_quantiles(v, w) == expected


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.floats(-5, 45), st.sampled_from(
           [np.nan, np.inf, -np.inf, 0.0, 5.0, 10.0, 40.0, 45.0])), max_size=80),
       lo=st.floats(0, 10), width=st.floats(0.01, 40), bins=st.integers(1, 31))
def test_sorted_bin_counts_equal_np_histogram(values, lo, width, bins):
    edges = np.linspace(lo, lo + width, bins + 1)
    v = np.array(values, dtype=float)
    v = np.concatenate([v, edges])  # every edge itself, the last one included
    expected, _ = np.histogram(v, bins=edges)
    got = sorted_bin_counts(np.sort(v), edges)
    np.testing.assert_array_equal(got, expected)
    assert sorted_bin_counts(np.empty(0), edges).tolist() == [0] * bins


def test_histogram_percentages_match_np_histogram():
    index = city_index(rents=pts([(10, 10), (50, 50), (60, 60), (90, 90), (150, 50)],
                                 rent=[10.0, 12.0, 14.0, 16.0, 40.0]))
    f = figures(index, Assumptions())
    counts, _ = np.histogram([10.0, 12.0, 14.0, 16.0], bins=f.rent_hist_edges)
    np.testing.assert_array_equal(f.rent_hist_district, 100.0 * counts / counts.sum())


def test_neighbourhood_rates_follow_the_assumptions():
    # The per-assumptions cache must not leak figures from one set into another.
    index = city_index()
    a, b = Assumptions(), Assumptions().replace(income_growth=0.05, weight_plan=0.6)
    fa, fb = figures(index, a), figures(index, b)
    assert figures(city_index(), b).to_dict() == fb.to_dict()
    assert figures(index, a).to_dict() == fa.to_dict()
    assert fa.households_priced_out != fb.households_priced_out


def _firms_plain(sel, a: Assumptions, designated: bool, station_share: float
                 ) -> tuple[float, float, float, int, float]:
    """The creative-firm figures the way they are defined, with scipy's triangular
    distribution for the firms' capacities (a step at the capacity when the spread is 0):
    known rents only."""
    from scipy.stats import triang

    r = sel.creative_rent
    r = r[np.isfinite(r)]
    h = int(a.horizon_years)
    c, w = a.firm_rent_capacity, a.firm_rent_capacity_spread * a.firm_rent_capacity
    below = ((lambda x: triang.cdf(x, 0.5, loc=c - w, scale=2 * w)) if w > 0
             else (lambda x: (np.asarray(x) > c).astype(float)))
    y = (1 + a.income_growth) ** h
    base = r * (1 + a.market_rent_growth) ** h
    plan = base * (1 + a.designation_uplift + a.transit_uplift_commercial * station_share) \
        if designated else base
    out_base = np.maximum(below(base / y) - below(r), 0).sum()
    out_plan = np.maximum(below(plan / y) - below(r), 0).sum()
    low = np.maximum(r, plan * (1 - a.affordable_workspace_discount) / y)
    save = np.maximum(below(plan / y) - below(low), 0).sum()
    mitigated = out_plan - min(save, a.affordable_workspace_share * r.size)
    return (float(out_base), float(out_plan), float(mitigated), int(r.size),
            float(below(r).sum()))


@pytest.mark.parametrize("spread", [0.0, 0.33])
@pytest.mark.parametrize("rents", [
    [15.0, 16.0, 17.0, 20.0], [15.0, np.nan, 17.0, 16.9], [np.inf, 15.0, -np.inf, np.nan]])
def test_firm_counts_skip_unknown_and_infinite_rents(rents, spread):
    index = city_index()
    sel = index.select(DISTRICT)
    sel = dataclasses.replace(sel, creative_rent=np.array(rents),
                              creative_stop_dist=np.array([100.0, 900.0, 100.0, 900.0]))
    a = Assumptions().replace(firm_rent_capacity=17, affordable_workspace_share=0.5,
                              firm_rent_capacity_spread=spread)
    f = affordability(index, sel, a, 0.5)
    got = (f.creative_firms_priced_out_without_plan, f.creative_firms_priced_out,
           f.creative_firms_priced_out_mitigated, f.creative_firms_rent_known,
           f.creative_firms_above_capacity)
    want = _firms_plain(sel, a, designated=True, station_share=0.5)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_capacity_spread_removes_the_knife_edge():
    # Issue 12: with one capacity the count jumped as the capacity moved across the
    # rents; with capacities spread across firms it changes smoothly.
    index = city_index()
    sel = index.select(DISTRICT)
    rents = np.repeat([14.0, 16.0, 18.0, 20.0], 100)  # rents cluster (raster cells, parcels)
    sel = dataclasses.replace(sel, creative_rent=rents, creative_stop_dist=np.zeros(400))
    counts = {}
    for spread in (0.0, 0.33):
        counts[spread] = [affordability(index, sel, Assumptions().replace(
            firm_rent_capacity=cap, firm_rent_capacity_spread=spread), 0.0
        ).creative_firms_priced_out for cap in np.arange(14, 22.01, 0.25)]
    jumps = {k: np.abs(np.diff(v)).max() for k, v in counts.items()}
    assert jumps[0.33] < jumps[0.0] / 3
    # Firms above capacity today are counted apart: all 400 at a capacity of 5 ± 33%.
    f = affordability(index, sel, Assumptions().replace(firm_rent_capacity=5), 0.0)
    assert f.creative_firms_above_capacity == pytest.approx(400)
    assert f.creative_firms_priced_out == 0


# ---- missing inputs: unknown stays unknown, with the reason (issue 11) -----------------


def test_rents_outside_every_neighbourhood_do_not_crash():
    # Rent points lie 10 km away: no neighbourhood holds one (IndexError before).
    index = city_index(rents=pts([(1e4, 1e4), (1e4 + 5, 1e4)], rent=[12.0, 14.0]))
    f = figures(index, Assumptions())
    # The neighbourhood takes the city median rent (13), as documented.
    assert f.neighbourhoods[0].rent == 13.0
    assert f.rent_observations == 0 and math.isnan(f.rent_median)


def test_households_from_population_over_household_size():
    index = city_index(households=[np.nan], population=[2300.0])
    f = figures(index, Assumptions())  # household_size 2.3: 1,000 households, half inside
    assert f.households == pytest.approx(500)
    assert "affordability.households" not in f.missing
    f = figures(index, Assumptions().replace(household_size=2.0))
    assert f.households == pytest.approx(575)


def test_no_households_nor_population_is_unknown_not_square_metres():
    index = city_index(households=[np.nan])
    f = figures(index, Assumptions())
    assert math.isnan(f.households) and math.isnan(f.rent_burden_share)
    assert math.isnan(f.households_priced_out) and f.displacement_class is None
    reason = f.missing["affordability.households"]
    assert "1 of the 1 neighbourhoods it touches (Only)" in reason and "population" in reason
    d = f.to_dict()
    assert d["households"] is None and d["displacement_class"] is None
    assert "affordability.rent_burden" in d["missing"]


def test_unknown_renter_share_is_never_taken_as_all_renters():
    f = figures(city_index(renter_share=[np.nan]), Assumptions())
    assert f.households == pytest.approx(500)
    assert math.isnan(f.renter_households) and math.isnan(f.rent_burden_share)
    assert math.isnan(f.households_priced_out)
    assert "renter share" in f.missing["affordability.rent_burden"]
    # Vulnerability still has the low-income share, so the composite is defined.
    assert math.isfinite(f.displacement_risk)


def test_no_rent_layer_says_so_instead_of_low_risk_and_zeros():
    est = pts([(10, 10), (150, 50)], sector=["film_tv", "retail"], employees=[2, 10])
    nb = gpd.GeoDataFrame({"name": ["Only"], "households": [1000],
                           "median_income": [42000.0], "renter_share": [0.5]},
                          geometry=[box(0, 0, 200, 100)], crs=CRS)
    index = CityIndex.build(CityData.from_frames(est, neighbourhoods=nb))
    f = figures(index, Assumptions())
    assert f.displacement_class is None and math.isnan(f.displacement_risk)
    assert math.isnan(f.creative_firms_priced_out) and math.isnan(f.households_priced_out)
    assert math.isnan(f.rent_burden_share) and math.isnan(f.rent_city_percentile)
    assert f.households == pytest.approx(500)  # households need no rents
    for key in ("affordability.rent", "affordability.displacement",
                "affordability.firms_priced_out", "affordability.households_priced_out",
                "affordability.rent_burden"):
        assert f.missing[key].startswith("no rent layer"), key
    d = f.to_dict()
    assert d["creative_firms_priced_out"] is None and d["households_priced_out"] is None


def test_complete_inputs_report_nothing_missing():
    assert figures(city_index(), Assumptions()).missing == {}


def test_package_workspace_adds_firm_places_and_the_set_aside_has_a_cost():
    from districtplanner.analysis.affordability import MitigationInputs

    # As in the hand-worked case above: 4 creative firms at rent 15, one capacity of 17,
    # all 4 priced out with the plan, the 50% set-aside (2 places) saves 2.
    a = Assumptions().replace(firm_rent_capacity=17, affordable_workspace_share=0.5,
                              designation_uplift=0.07, firm_rent_capacity_spread=0,
                              market_rent_growth=0.03, income_growth=0.02)
    index = city_index()
    sel = index.select(DISTRICT)
    # The package subsidises 40 m² at 80% of market rent: one more place for a firm of
    # 40 m² (2 jobs × 20 m²), which saves a third firm.
    m = MitigationInputs(package_workspace_m2=40, package_rent_cap=0.8,
                         creative_floor_m2=160, firm_floor_m2=40)
    f = affordability(index, sel, a, 0.0, m)
    assert f.creative_firms_priced_out == 4 and f.package_workspace_places == 1
    assert f.creative_firms_priced_out_mitigated == 1
    assert affordability(index, sel, a, 0.0).creative_firms_priced_out_mitigated == 2
    # The set-aside: 50% of 160 m² at the median rent with the plan (15 × 1.07), 20% off,
    # 12 months, over 10 plan years of 3% real rent growth discounted at 3.5%.
    t = np.arange(10)
    want = 0.5 * 160 * 15 * 1.07 * 0.2 * 12 * float((1.03 ** t / 1.035 ** t).sum())
    assert f.affordable_workspace_cost_npv == pytest.approx(want)


def test_clt_cost_by_hand():
    """The CLT lever's cost: the land under clt_share of renter homes, bought today."""
    a = Assumptions().replace(clt_share=0.2, clt_land_share=0.5, capitalisation_yield=0.06,
                              dwelling_floor_area=70, designation_uplift=0.07)
    f = figures(city_index(), a)
    # 250 renter households inside (1000 households x half inside x 0.5 renters); the CLT
    # takes 20% of them: 50 homes of 70 m². Median rent 15 /m²/month today, 180 a year,
    # capitalised at 6%: 3,000 /m²; land is half of it: 1,500 /m² x 70 m² x 50 homes.
    assert f.clt_homes == pytest.approx(50)
    assert f.clt_cost_npv == pytest.approx(50 * 70 * 15 * 12 / 0.06 * 0.5)  # 5,250,000
    assert f.clt_cost_npv == pytest.approx(5_250_000)
    # Bought before the plan: the designation uplift does not change it.
    assert figures(city_index(), a.replace(designation_uplift=0.0)).clt_cost_npv == \
        pytest.approx(5_250_000)
    # No CLT, no cost; and the figure reaches the JSON under affordability.
    assert figures(city_index(), a.replace(clt_share=0.0)).clt_cost_npv == 0.0
    d = f.to_dict()
    assert d["clt_cost_npv"] == pytest.approx(5_250_000) and d["clt_homes"] == pytest.approx(50)
    # Without rents the cost is unknown (None in JSON), never a made-up number.
    no_rent = figures(city_index(rent_value=float("nan")), a)
    assert not math.isfinite(no_rent.clt_cost_npv)
