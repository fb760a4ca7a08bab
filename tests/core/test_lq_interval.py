"""The jobs-based location quotient's interval: the delta method by hand, against a
bootstrap over establishments, and through compute() and the JSON beside the Wilson one."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import shapely

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.concentration import jobs_lq_interval
from districtplanner.analysis.incentives import default_instruments
from districtplanner.analysis.index import PlainSelector
from districtplanner.analysis.metrics import compute, compute_selection
from districtplanner.analysis.sectors import NON_CREATIVE_CODE


def test_delta_method_by_hand():
    # Creative establishments with 3, 5 and 2 jobs, others with 10, 4 and 6: R = 10 / 30.
    # Residuals j_i (c_i - R): 3·2/3, 5·2/3, 2·2/3, -10/3, -4/3, -6/3; their squares sum
    # to 38·4/9 + 152/9 = 33.78; se² = 6/5 · 33.78 / 30² = 0.04504.
    out = jobs_lq_interval(10, 30, 9 + 25 + 4, 100 + 16 + 36, 6, 200, 1000)
    se = math.sqrt(6 / 5 * (38 * 4 / 9 + 152 / 9)) / 30
    assert se == pytest.approx(0.21222, abs=1e-5)
    assert out["value"] == pytest.approx((1 / 3) / 0.2)
    assert out["se"] == pytest.approx(se / 0.2)
    # On the log-odds scale: logit(1/3) = -ln 2, half-width 1.645·se / (1/3 · 2/3) = 1.5711.
    half = 1.645 * se / (2 / 9)
    assert half == pytest.approx(1.5710, abs=1e-4)
    assert out["low"] == pytest.approx(1 / (1 + math.exp(math.log(2) + half)) / 0.2)
    assert out["high"] == pytest.approx(1 / (1 + math.exp(math.log(2) - half)) / 0.2)
    assert 0 < out["low"] < out["value"] < out["high"] < 1 / 0.2
    # No creative jobs: no spread to estimate, the interval is the value.
    none = jobs_lq_interval(0, 30, 0, 400, 6, 200, 1000)
    assert none["low"] == none["high"] == none["value"] == 0
    # Undefined without jobs or with one establishment; never a made-up interval.
    assert jobs_lq_interval(0, 0, 0, 0, 5, 200, 1000) is None
    assert jobs_lq_interval(3, 3, 9, 0, 1, 200, 1000) is None


@pytest.mark.parametrize("giant", [0, 2500])
def test_delta_method_matches_a_bootstrap_over_establishments(giant):
    """Lumpy jobs, and (as in the sample city's Harbourside district) one employer with
    about half of them: the log-odds interval follows the bootstrap's asymmetry."""
    rng = np.random.default_rng(7)
    n = 700
    jobs = np.round(rng.lognormal(1.2, 1.0, n)) + 1
    creative = rng.random(n) < 0.35
    if giant:
        jobs[0], creative[0] = giant, False
    out = jobs_lq_interval(jobs[creative].sum(), jobs.sum(), (jobs[creative] ** 2).sum(),
                           (jobs[~creative] ** 2).sum(), n, 1.0, 4.0)
    idx = rng.integers(0, n, (4000, n))
    r = (jobs[idx] * creative[idx]).sum(axis=1) / jobs[idx].sum(axis=1)
    assert out["se"] == pytest.approx(r.std() / 0.25, rel=0.05)
    lo, hi = np.percentile(r, (5, 95)) / 0.25
    # With the giant the bootstrap is lumpy (it draws the employer 0, 1, 2... times), which
    # no smooth interval follows exactly; the log-odds one is within 15% of its ends and
    # nearer to them than the symmetric R ± z·se.
    tol = 0.15 if giant else 0.02
    assert out["low"] == pytest.approx(lo, rel=tol)
    assert out["high"] == pytest.approx(hi, rel=tol)
    wald = (out["value"] - 1.645 * out["se"], out["value"] + 1.645 * out["se"])
    if giant:
        assert abs(out["low"] - lo) < abs(wald[0] - lo)
        assert abs(out["high"] - hi) < abs(wald[1] - hi)


def test_jobs_interval_in_compute_and_json(sample):
    c, index = sample
    a = Assumptions()
    geom = c.example_districts.geometry.iloc[0]
    m = compute(index, geom, a, default_instruments())
    conc = m.concentration
    iv = conc.lq_interval_jobs
    assert conc.lq_basis == "jobs" and iv is not None
    assert iv["value"] == pytest.approx(conc.location_quotient)
    assert iv["low"] < conc.location_quotient < iv["high"]
    # The sums of j² the interval reads equal those of the points inside, by brute force.
    city = index.city
    inside = shapely.contains_xy(geom, city.est_xy[:, 0], city.est_xy[:, 1])
    j = city.est_jobs[inside]
    other = city.est_sector[inside] == NON_CREATIVE_CODE
    plain = compute_selection(index, PlainSelector(index).select(geom), a)
    assert plain.concentration.lq_interval_jobs["se"] == pytest.approx(iv["se"], rel=1e-9)
    sel = index.select(geom)
    assert sel.jobs_sq[0] == pytest.approx((j[~other] ** 2).sum(), rel=1e-12)
    assert sel.jobs_sq[1] == pytest.approx((j[other] ** 2).sum(), rel=1e-12)
    d = json.loads(json.dumps(m.to_dict(sensitivity=False), allow_nan=False))
    jobs_iv = d["concentration"]["lq_interval_jobs"]
    firms_iv = d["concentration"]["lq_interval_establishments"]
    assert jobs_iv["basis"] == "jobs" and firms_iv["basis"] == "establishments"
    assert firms_iv["low"] < firms_iv["value"] < firms_iv["high"]
    assert "delta method" in m.explanations["concentration.location_quotient"]
    assert "log-odds" in m.explanations["concentration.location_quotient"]
    # The city baseline has no sampling interval (it is the population); nor does a
    # layer without job counts (its LQ is on establishments, with the Wilson interval).
    assert compute(index, None, a).concentration.lq_interval_jobs is None
