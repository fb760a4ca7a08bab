"""Growth projection: hand-computed paths, agglomeration term, incentive response."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.projection import (
    DENSITY_RATIO_CAP,
    agglomeration_rate,
    baseline_factors,
    project,
    project_from_factors,
)

FLAT = Assumptions().replace(baseline_growth_firms=0, baseline_growth_jobs=0,
                             agglomeration_coefficient=0, horizon_years=5)


def test_zero_growth_and_no_incentives_is_flat():
    p = project(40, 300, 3.0, 0.0, FLAT)
    assert p.years.tolist() == [0, 1, 2, 3, 4, 5]
    np.testing.assert_array_equal(p.firms_baseline, np.full(6, 40.0))
    np.testing.assert_array_equal(p.jobs_with_incentives, np.full(6, 300.0))


def test_hand_computed_baseline_and_incentive_paths():
    a = FLAT.replace(baseline_growth_firms=0.1, baseline_growth_jobs=0.05, horizon_years=2,
                     incentive_elasticity=10)
    p = project(100, 200, 1.0, [0.01, 0.02], a)
    np.testing.assert_allclose(p.firms_baseline, [100, 110, 121])
    np.testing.assert_allclose(p.jobs_baseline, [200, 210, 220.5])
    # year t carries the uplift of plan year t-1: 1 + 10 × share
    np.testing.assert_allclose(p.firms_with_incentives, [100, 110 * 1.1, 121 * 1.2])
    np.testing.assert_allclose(p.jobs_with_incentives, [200, 210 * 1.1, 220.5 * 1.2])
    np.testing.assert_allclose(p.extra_jobs, [0, 21, 44.1])


def test_agglomeration_term():
    a = Assumptions().replace(agglomeration_coefficient=0.02)
    assert agglomeration_rate(1.0, a) == 0.0  # as dense as the city: no effect
    assert agglomeration_rate(3.0, a) == pytest.approx(0.02 * math.log(2))
    assert agglomeration_rate(0.0, a) == pytest.approx(0.02 * math.log(0.5))
    assert agglomeration_rate(float("nan"), a) == 0.0
    assert agglomeration_rate(1e9, a) == agglomeration_rate(DENSITY_RATIO_CAP, a)
    with pytest.raises(ValueError, match="density_ratio"):
        agglomeration_rate(-1.0, a)
    p = project(10, 10, 3.0, 0.0, a.replace(baseline_growth_jobs=0.01, horizon_years=1))
    assert p.jobs_baseline[1] == pytest.approx(10 * (1.01 + 0.02 * math.log(2)))


def test_denser_district_grows_faster():
    # The default agglomeration term is now 0 (Glaeser et al. 1992); with a positive one
    # a denser district grows faster, with 0 both grow alike.
    assert project(10, 100, 5.0, 0.0, Assumptions()).jobs_baseline[-1] == pytest.approx(
        project(10, 100, 0.5, 0.0, Assumptions()).jobs_baseline[-1])
    a = Assumptions().replace(agglomeration_coefficient=0.01)
    sparse = project(10, 100, 0.5, 0.0, a)
    dense = project(10, 100, 5.0, 0.0, a)
    assert dense.jobs_baseline[-1] > sparse.jobs_baseline[-1]


def test_zero_elasticity_makes_both_paths_equal():
    a = Assumptions().replace(incentive_elasticity=0)
    p = project(50, 400, 2.0, 0.2, a)
    np.testing.assert_array_equal(p.jobs_baseline, p.jobs_with_incentives)
    np.testing.assert_array_equal(p.firms_baseline, p.firms_with_incentives)


@settings(max_examples=50, deadline=None)
@given(low=st.floats(0, 0.5), extra=st.floats(0.001, 0.5), year=st.integers(0, 9))
def test_more_incentive_never_fewer_jobs(low, extra, year):
    a = Assumptions()
    shares = np.full(10, low)
    more = shares.copy()
    more[year] += extra
    p0 = project(20, 100, 1.5, shares, a)
    p1 = project(20, 100, 1.5, more, a)
    assert np.all(p1.jobs_with_incentives >= p0.jobs_with_incentives)
    assert p1.jobs_with_incentives[year + 1] > p0.jobs_with_incentives[year + 1]


def test_separate_firm_share_and_clipping():
    a = FLAT.replace(horizon_years=1, incentive_elasticity=2)
    p = project(10, 10, 1.0, 5.0, a, firm_cost_share=0.1)
    assert p.jobs_with_incentives[1] == pytest.approx(30.0)  # share clipped to 1
    assert p.firms_with_incentives[1] == pytest.approx(12.0)


def test_bad_shares_and_counts_are_refused():
    with pytest.raises(ValueError, match="one per plan year"):
        project(1, 1, 1.0, [0.1, 0.2], FLAT)
    with pytest.raises(ValueError, match="finite"):
        project(1, 1, 1.0, float("nan"), FLAT)
    with pytest.raises(ValueError, match="≥ 0"):
        project(-1, 1, 1.0, 0.0, FLAT)


def test_to_dict_is_json_ready():
    d = project(5, 50, 2.0, 0.01, Assumptions()).to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["jobs_with_incentives"][0] == 50.0
    assert len(d["years"]) == 11


def _plain_project(firms, jobs, density_ratio, share_j, a, share_f=None) -> dict:
    """The paths by their formula, one array at a time (the reference for ``project``)."""
    h = int(a.horizon_years)
    agg = agglomeration_rate(density_ratio, a)
    t = np.arange(h + 1, dtype=float)
    f_base = float(firms) * (1.0 + (a.baseline_growth_firms + agg)) ** t
    j_base = float(jobs) * (1.0 + (a.baseline_growth_jobs + agg)) ** t
    sj = np.clip(np.broadcast_to(np.asarray(share_j, float), (h,)), 0.0, 1.0)
    sf = sj if share_f is None else np.clip(np.broadcast_to(np.asarray(share_f, float),
                                                            (h,)), 0.0, 1.0)
    eps = a.incentive_elasticity
    return {"firms_baseline": f_base.tolist(), "jobs_baseline": j_base.tolist(),
            "firms_with_incentives": (f_base * np.r_[1.0, 1.0 + eps * sf]).tolist(),
            "jobs_with_incentives": (j_base * np.r_[1.0, 1.0 + eps * sj]).tolist(),
            "incentive_cost_share": sj.tolist()}


@settings(max_examples=100, deadline=None)
@given(firms=st.floats(0, 1e6), jobs=st.floats(0, 1e7), rho=st.floats(0, 80),
       horizon=st.integers(1, 30), seed=st.integers(0, 2**32 - 1), separate=st.booleans())
def test_project_and_project_from_factors_equal_the_formula(firms, jobs, rho, horizon, seed,
                                                            separate):
    rng = np.random.default_rng(seed)
    a = Assumptions().replace(horizon_years=horizon)
    share_j = rng.uniform(-0.2, 1.2, horizon)  # out of range on purpose: clipped
    share_f = rng.uniform(-0.2, 1.2, horizon) if separate else None
    expected = _plain_project(firms, jobs, rho, share_j, a, share_f)
    for p in (project(firms, jobs, rho, share_j, a, firm_cost_share=share_f),
              project_from_factors(firms, jobs, baseline_factors(rho, a), share_j, a,
                                   firm_cost_share=share_f)):
        d = p.to_dict()
        assert {k: d[k] for k in expected} == expected
        assert (d["growth_rate_firms"], d["agglomeration_rate"]) == (
            a.baseline_growth_firms + agglomeration_rate(rho, a), agglomeration_rate(rho, a))


def test_project_from_factors_checks_like_project():
    factors = baseline_factors(1.0, FLAT)
    with pytest.raises(ValueError, match="one per plan year"):
        project_from_factors(1, 1, factors, [0.1, 0.2], FLAT)
    with pytest.raises(ValueError, match="firm_cost_share must be finite"):
        project_from_factors(1, 1, factors, 0.0, FLAT, firm_cost_share=np.full(5, np.inf))
    with pytest.raises(ValueError, match="≥ 0"):
        project_from_factors(1, -1, factors, 0.0, FLAT)
