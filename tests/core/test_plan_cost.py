"""The plan's public cost: the package's NPV plus the mitigation levers' cost, gross and net
of the revenue offset, with its recurring part checked against the yearly budget cap."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.incentives import Instrument, InstrumentKind, default_instruments
from districtplanner.analysis.metrics import compute, plan_cost


def test_plan_cost_by_hand():
    a = Assumptions().replace(horizon_years=2, budget_cap=1000, affordable_workspace_share=0.5,
                              clt_share=0.1)
    # A package costing 900 then 800 (NPV 900 + 800 / 1.035), 50 of property tax on the
    # uplift; a set-aside costing 60 then 61.8; the CLT's land 5,000 at the start.
    inc = SimpleNamespace(annual_total=[900.0, 800.0], npv=900 + 800 / 1.035,
                          revenue_offset_npv=50.0)
    f = SimpleNamespace(affordable_workspace_cost_by_year=[60.0, 61.8],
                        affordable_workspace_cost_npv=60 + 61.8 / 1.035, clt_cost_npv=5000.0)
    p = plan_cost(inc, f, a)
    assert p.package_npv == pytest.approx(1672.9469)
    assert p.mitigation_npv == pytest.approx(5000 + 60 + 59.7101)
    assert p.gross_npv == pytest.approx(1672.9469 + 5119.7101, rel=1e-6)
    assert p.net_npv == pytest.approx(p.gross_npv - 50)
    # Year 0: 900 + 60 = 960 fits the 1,000 cap; the CLT's 5,000 is a one-off purchase and
    # is not set against the yearly cap. Year 1: 861.8 fits too.
    assert p.annual_total == pytest.approx([960, 861.8]) and p.within_budget
    # A cap of 950: the package alone fits (900), with the set-aside it does not (960).
    tight = plan_cost(inc, f, a.replace(budget_cap=950))
    assert tight.over_budget_years == [0] and not tight.within_budget
    # No set-aside: it costs nothing even where its price (the rent) is unknown.
    unknown = SimpleNamespace(affordable_workspace_cost_by_year=[math.nan, math.nan],
                              affordable_workspace_cost_npv=math.nan, clt_cost_npv=0.0)
    none = plan_cost(inc, unknown, a.replace(affordable_workspace_share=0.0))
    assert none.gross_npv == pytest.approx(inc.npv) and none.annual_total == [900, 800]


def test_the_packages_workspace_subsidy_is_counted_once(sample):
    c, index = sample
    geom = c.example_districts.geometry.iloc[0]
    a = Assumptions().replace(clt_share=0.1, affordable_workspace_share=0.2)

    def with_subsidy(m2: float) -> list[Instrument]:
        return [i if i.kind is not InstrumentKind.WORKSPACE_SUBSIDY else
                Instrument(i.kind, i.name, True, i.eligible_sectors,
                           {**i.params, "floor_area_m2": m2}, i.start_year)
                for i in default_instruments()]

    small, big = (compute(index, geom, a, with_subsidy(m2)) for m2 in (2000, 4000))
    for m in (small, big):
        p, f = m.plan_cost, m.affordability
        assert p.package_npv == m.incentives.npv
        assert p.gross_npv == pytest.approx(m.incentives.npv + f.clt_cost_npv
                                            + f.affordable_workspace_cost_npv, rel=1e-12)
        assert p.net_npv == pytest.approx(p.gross_npv - m.incentives.revenue_offset_npv)
        assert p.clt_npv > 0 and p.affordable_workspace_npv > 0
    # Twice the subsidised floor area moves the plan's cost by what it moves the package's
    # NPV, and the mitigation levers' cost not at all: the subsidy is in the package only.
    assert big.plan_cost.mitigation_npv == small.plan_cost.mitigation_npv
    assert big.plan_cost.gross_npv - small.plan_cost.gross_npv == pytest.approx(
        big.incentives.npv - small.incentives.npv, rel=1e-9)
    assert big.incentives.npv > small.incentives.npv


def test_plan_cost_in_json_and_explanation(sample):
    c, index = sample
    a = Assumptions().replace(clt_share=0.1)
    m = compute(index, c.example_districts.geometry.iloc[1], a, default_instruments())
    d = json.loads(json.dumps(m.to_dict(sensitivity=False), allow_nan=False))
    p = d["plan_cost"]
    assert {"package_npv", "clt_npv", "affordable_workspace_npv", "mitigation_npv",
            "gross_npv", "revenue_offset_npv", "net_npv", "annual_total", "budget_cap",
            "over_budget_years", "within_budget", "clt_in_budget_check",
            "currency"} <= set(p)
    assert p["gross_npv"] == pytest.approx(d["incentives"]["npv"]
                                           + d["affordability"]["clt_cost_npv"])
    assert p["net_npv"] == pytest.approx(p["gross_npv"]
                                         - d["incentives"]["revenue_offset_npv"])
    assert p["annual_total"] == pytest.approx(d["incentives"]["annual_total"])
    # The existing keys are kept as they were.
    assert d["incentives"]["npv"] == pytest.approx(m.incentives.npv)
    text = m.explanations["plan.cost"]
    assert "counted once" in text and f"{m.plan_cost.gross_npv:,.0f}" in text
    assert "not in the yearly check" in text
