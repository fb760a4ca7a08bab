"""Sensitivity: the batch evaluation equals the figures recomputed one by one, the tornado
equals brute-force re-evaluation, the Monte Carlo is deterministic for a seed, switching
values are where the class really changes, and the LQ interval is Wilson's by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from districtplanner.analysis.affordability import new_station_share, risk_class
from districtplanner.analysis.assumptions import UNCERTAINTY, Assumptions
from districtplanner.analysis.citydata import CityData
from districtplanner.analysis.incentives import default_instruments
from districtplanner.analysis.index import CityIndex
from districtplanner.analysis.metrics import compute, economy_inputs
from districtplanner.analysis.sensitivity import (
    AFFORDABILITY_PARAMETERS,
    HEADLINE,
    Analysis,
    location_quotient_interval,
)
from districtplanner.sample_city import generate_city

A = Assumptions()


def analysis(index, geom, a=A, stations=0, instruments=None):
    instruments = default_instruments() if instruments is None else instruments
    m = compute(index, geom, a, instruments, new_stations=stations)
    sel = index.select(geom, a.institution_buffer_m)
    share = new_station_share(stations, sel.area_m2, a)
    econ = economy_inputs(m.concentration, m.affordability.rent_median, m.area_km2, share)
    return Analysis(index, sel, a, econ, instruments, share)


def brute(index, geom, a, stations=0, instruments=None) -> dict[str, float]:
    instruments = default_instruments() if instruments is None else instruments
    m = compute(index, geom, a, instruments, new_stations=stations)
    f, inc = m.affordability, m.incentives
    return {"households_priced_out": f.households_priced_out,
            "firms_priced_out": f.creative_firms_priced_out,
            "displacement_risk": f.displacement_risk,
            "creative_jobs_projected": float(inc.projection.jobs_with_incentives[-1]),
            "npv": inc.npv, "cost_per_job_year": inc.cost_per_job_year}


@pytest.mark.parametrize("stations", [0, 2])
def test_batch_figures_equal_the_figures_recomputed_one_by_one(sample, stations):
    c, index = sample
    geom = c.example_districts.geometry.iloc[0]
    an = analysis(index, geom, stations=stations)
    draws = an.draws(8, seed=3)
    from districtplanner.analysis.sensitivity import affordability_batch
    batch = affordability_batch(an.aff, {k: draws[k] for k in AFFORDABILITY_PARAMETERS}, A)
    for i in range(8):
        a = A.replace(**{k: float(draws[k][i]) for k in AFFORDABILITY_PARAMETERS})
        want = brute(index, geom, a, stations)
        for key in ("households_priced_out", "firms_priced_out", "displacement_risk"):
            assert batch[key][i] == pytest.approx(want[key], rel=1e-9, abs=1e-9), key


def test_batch_figures_with_households_derived_from_population():
    """Where a neighbourhood's household count is missing it comes from population ÷
    household_size, so each vector has its own weights (the other path of the
    composite's weighted sums): still equal to the figures recomputed one by one."""
    c = generate_city(4000, n_rent_points=800)
    nb = c.neighbourhoods.copy()
    nb.loc[nb.index[::2], "households"] = np.nan
    index = CityIndex.build(CityData.from_frames(
        c.establishments, rents=c.rent_points, stops=c.transit_stops,
        institutions=c.institutions, neighbourhoods=nb))
    geom = c.example_districts.geometry.iloc[0]
    an = analysis(index, geom)
    assert not an.aff.households_known
    draws = an.draws(6, seed=4)
    from districtplanner.analysis.sensitivity import affordability_batch
    batch = affordability_batch(an.aff, {k: draws[k] for k in AFFORDABILITY_PARAMETERS}, A)
    for i in range(6):
        a = A.replace(**{k: float(draws[k][i]) for k in AFFORDABILITY_PARAMETERS})
        want = brute(index, geom, a)
        for key in ("households_priced_out", "firms_priced_out", "displacement_risk"):
            assert batch[key][i] == pytest.approx(want[key], rel=1e-9, abs=1e-9), key


def test_tornado_equals_brute_force_re_evaluation(sample):
    c, index = sample
    geom = c.example_districts.geometry.iloc[1]
    result = analysis(index, geom).tornado()
    assert set(result.figures) == set(HEADLINE)
    checked = 0
    for key, fig in result.figures.items():
        swings = [t.swing for t in fig.tornado]
        assert swings == sorted(swings, reverse=True)
        assert fig.value == pytest.approx(brute(index, geom, A)[key])
        for t in fig.tornado[:3]:
            lo = brute(index, geom, A.replace(**{t.parameter: t.low}))[key]
            hi = brute(index, geom, A.replace(**{t.parameter: t.high}))[key]
            assert (t.value_low, t.value_high) == (pytest.approx(lo), pytest.approx(hi))
            checked += 1
    assert checked >= 12
    # Every tornado row is an uncertain assumption at the ends of its cited range.
    for fig in result.figures.values():
        for t in fig.tornado:
            low, high = UNCERTAINTY[t.parameter].bounds(A[t.parameter])
            assert (t.low, t.high) == (min(low, A[t.parameter]), max(high, A[t.parameter]))


def test_tornado_after_edits_is_never_stale(sample):
    """The tornado's vectors are kept per assumptions and the batch package per package
    and horizon, across districts: after another district, a changed assumption (one
    that widens a range, and the horizon) and an instrument edited in place, every row
    still equals brute-force re-evaluation."""
    c, index = sample
    g0, g1 = c.example_districts.geometry.iloc[0], c.example_districts.geometry.iloc[1]
    pkg = default_instruments()

    def check(geom, a):
        result = analysis(index, geom, a, instruments=pkg).tornado()
        plain: dict[tuple[str, float], dict[str, float]] = {}
        rows = 0
        for key, fig in result.figures.items():
            assert fig.value == pytest.approx(brute(index, geom, a, instruments=pkg)[key],
                                              rel=1e-9, abs=1e-9), key
            for t in fig.tornado:
                assert (t.low, t.high) == (min(UNCERTAINTY[t.parameter].bounds(a[t.parameter])[0],
                                                a[t.parameter]),
                                            max(UNCERTAINTY[t.parameter].bounds(a[t.parameter])[1],
                                                a[t.parameter]))
                for end, got in ((t.low, t.value_low), (t.high, t.value_high)):
                    if (t.parameter, end) not in plain:
                        plain[(t.parameter, end)] = brute(
                            index, geom, a.replace(**{t.parameter: end}), instruments=pkg)
                    assert got == pytest.approx(plain[(t.parameter, end)][key],
                                                rel=1e-9, abs=1e-9), (key, t.parameter, end)
                    rows += 1
        assert rows > 40
        return result.to_dict()

    first = check(g0, A)
    assert check(g1, A) != first  # another district, same assumptions and package
    # Outside the cited range (widens it) and a shorter horizon (another batch package).
    edited = A.replace(designation_uplift=0.2, incentive_elasticity=20.0, horizon_years=8)
    changed = check(g1, edited)
    pkg[1].params["grant_per_job"] = 1500.0  # an instrument edited in place
    assert check(g1, edited) != changed
    assert check(g0, A) != first  # back to the first assumptions, with the edited package


def test_monte_carlo_is_deterministic_for_a_seed(sample):
    c, index = sample
    geom = c.example_districts.geometry.iloc[0]
    an = analysis(index, geom)
    one = an.monte_carlo(an.tornado(), n=200, seed=11).to_dict()
    two = an.monte_carlo(an.tornado(), n=200, seed=11).to_dict()
    assert one == two
    other = an.monte_carlo(an.tornado(), n=200, seed=12).to_dict()
    assert other != one
    for key, fig in one["figures"].items():
        iv = fig["interval"]
        assert iv is not None, key
        assert iv["p5"] <= iv["p50"] <= iv["p95"]
    probs = one["figures"]["displacement_risk"]["class_probabilities"]
    assert sum(probs.values()) == pytest.approx(1.0)


def test_latin_hypercube_draws_cover_each_range_once_per_stratum(sample):
    c, index = sample
    an = analysis(index, c.example_districts.geometry.iloc[0])
    d = an.draws(100, seed=5)
    u = UNCERTAINTY["designation_uplift"]  # uniform 0..0.10
    strata = np.floor((d["designation_uplift"] - u.low) / (u.high - u.low) * 100)
    assert sorted(strata.astype(int).tolist()) == list(range(100))
    x = d["incentive_elasticity"]  # triangular 2.5 .. 10 .. 30
    assert x.min() >= 2.5 and x.max() <= 30 and abs(np.median(x) - 12.5) < 1.5


def test_switching_values_are_where_the_class_changes(sample):
    c, index = sample
    geom = c.example_districts.geometry.iloc[0]
    # Weights that put the composite near a class boundary.
    a = A.replace(weight_plan=0.45, weight_vulnerability=0.25)
    fig = analysis(index, geom, a).tornado().figures["displacement_risk"]
    now = compute(index, geom, a).affordability.displacement_class
    assert fig.switching_values, "expected at least one switching value"
    for s in fig.switching_values:
        assert s.before == now
        low, high = UNCERTAINTY[s.parameter].bounds(a[s.parameter])
        eps = 1e-3 * (high - low)
        step = eps if s.value > a[s.parameter] else -eps
        beyond = compute(index, geom, a.replace(**{s.parameter: s.value + step}))
        before = compute(index, geom, a.replace(**{s.parameter: s.value - step}))
        assert beyond.affordability.displacement_class == s.after
        assert before.affordability.displacement_class == s.before
        assert risk_class(beyond.affordability.displacement_risk) == s.after


def test_lq_interval_is_wilsons_by_hand():
    # 30 creative of 100 establishments; city share 0.2: LQ 1.5. Wilson 90%:
    z = 1.645
    p = 0.3  # n = 100
    centre = (p + z * z / 200) / (1 + z * z / 100)
    half = z * math.sqrt(p * 0.7 / 100 + z * z / 40000) / (1 + z * z / 100)
    out = location_quotient_interval(30, 100, 200, 1000)
    assert out["low"] == pytest.approx((centre - half) / 0.2)
    assert out["high"] == pytest.approx((centre + half) / 0.2)
    # One more creative firm: 31/101/0.2 = 1.5347; one fewer: 29/99/0.2 = 1.4646.
    assert out["one_establishment_change"] == pytest.approx(1.5 - 29 / 99 / 0.2)
    assert not out["flag"]
    small = location_quotient_interval(2, 5, 200, 1000)  # 2 of 5: one firm moves it a lot
    assert small["flag"] and small["one_establishment_change"] > 0.1


def test_metrics_json_carries_sensitivity_per_district(sample):
    import json

    c, index = sample
    m = compute(index, c.example_districts.geometry.iloc[0], A, default_instruments())
    d = json.loads(json.dumps(m.to_dict(), allow_nan=False))
    s = d["sensitivity"]
    assert s["draws"] == 1000 and s["seed"] == 20261126
    for key in ("creative_jobs_projected", "npv", "cost_per_job_year",
                "households_priced_out", "firms_priced_out", "displacement_risk",
                "location_quotient"):
        fig = s["figures"][key]
        assert set(fig["interval"]) == {"p5", "p50", "p95"}, key
        for t in fig["tornado"]:
            assert set(t) == {"parameter", "low", "high", "value_low", "value_high"}
    assert "Wilson" in s["figures"]["location_quotient"]["note"]
    assert compute(index, None, A).to_dict()["sensitivity"] is None


def test_methods_md_quotes_the_sensitivity_method_and_ranges():
    from pathlib import Path

    from districtplanner.analysis.sensitivity import methods_markdown

    doc = (Path(__file__).resolve().parents[2] / "docs" / "methods.md").read_text("utf-8")
    assert methods_markdown() in doc
    for cite in ("McKay, M. D.", "Wilson, E. B.", "Green Book"):
        assert cite in doc


def test_prefix_sum_firm_counts_equal_the_per_firm_sums():
    from districtplanner.analysis.affordability import capacity_below
    from districtplanner.analysis.sensitivity import _RentSums, _sum_below

    rng = np.random.default_rng(2)
    rs = np.sort(rng.uniform(5, 40, 3000))
    f = rng.uniform(0.8, 1.6, 50)
    c = rng.uniform(10, 25, 50)
    for spread in (0.0, 0.1, 0.33, 0.9):
        w = c * spread
        want = capacity_below(rs[None, :] * f[:, None], c[:, None], spread).sum(axis=1)
        got = _sum_below(_RentSums(rs), f, c, w)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6)
    # The run sums themselves, at both ends and repeated indices, against running sums.
    j = np.array([[0, 3000, 17, 17], [1, 2999, 0, 1500]])
    s1, s2 = _RentSums(rs).below(j)
    run1, run2 = np.r_[0.0, np.cumsum(rs)], np.r_[0.0, np.cumsum(rs * rs)]
    np.testing.assert_allclose(s1, run1[j], rtol=1e-12)
    np.testing.assert_allclose(s2, run2[j], rtol=1e-12)
