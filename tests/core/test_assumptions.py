"""Assumptions: defaults in range, JSON round-trip, refusals that name what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from districtplanner.analysis.assumptions import (
    PARAMETERS,
    AssumptionError,
    Assumptions,
    markdown_table,
    parameter,
    property_tax_defaults,
)


def test_every_default_is_in_range_and_documented():
    names = [p.name for p in PARAMETERS]
    assert len(names) == len(set(names))
    for p in PARAMETERS:
        assert p.minimum <= p.default <= p.maximum, p.name
        assert p.unit and p.label and p.source and p.group, p.name
        if p.integer:
            assert p.default == int(p.default), p.name


def test_attribute_and_mapping_access():
    a = Assumptions()
    assert a.discount_rate == a["discount_rate"] == 0.035
    assert set(a) == {p.name for p in PARAMETERS}
    assert len(a) == len(PARAMETERS)
    with pytest.raises(AttributeError):
        _ = a.no_such_thing
    with pytest.raises(AttributeError):
        a.discount_rate = 0.1  # type: ignore[misc]


def test_replace_makes_a_changed_copy():
    a = Assumptions()
    b = a.replace(discount_rate=0.02, currency="GBP")
    assert a.discount_rate == 0.035 and b.discount_rate == 0.02
    assert b.currency == "GBP" and a.currency == "EUR"
    assert b.changed_from_default() == {"discount_rate": 0.02}
    assert a != b and a == Assumptions()
    assert hash(a) == hash(Assumptions())


def test_json_round_trip(tmp_path):
    a = Assumptions().replace(discount_rate=0.02, horizon_years=15, budget_cap=0,
                              currency="USD")
    path = tmp_path / "a.json"
    a.to_json(path)
    b = Assumptions.from_json(path)
    assert b == a
    assert Assumptions.from_dict(json.loads(a.to_json())) == a
    # A flat {name: value} file is accepted too.
    assert Assumptions.from_dict({"discount_rate": 0.02}).discount_rate == 0.02


def test_out_of_range_names_parameter_range_and_value():
    with pytest.raises(AssumptionError) as err:
        Assumptions().replace(discount_rate=0.5)
    msg = str(err.value)
    assert "discount_rate" in msg and "0" in msg and "0.2" in msg and "got 0.5" in msg
    with pytest.raises(AssumptionError, match=r"horizon_years.*between 1 and 30.*got 0"):
        Assumptions({"horizon_years": 0})
    with pytest.raises(AssumptionError, match="whole number"):
        Assumptions().replace(horizon_years=2.5)
    with pytest.raises(AssumptionError, match="must be a number"):
        Assumptions().replace(discount_rate="high")
    with pytest.raises(AssumptionError, match="discount_rate"):
        Assumptions().replace(discount_rate=float("nan"))


def test_unknown_name_is_refused():
    with pytest.raises(AssumptionError, match="Unknown assumption 'discount_rat'"):
        Assumptions().replace(discount_rat=0.1)
    with pytest.raises(AssumptionError, match="Unknown assumption"):
        parameter("nope")
    with pytest.raises(AssumptionError, match="Unknown assumption"):
        _ = Assumptions()["nope"]


def test_bad_json_file_names_the_file(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(AssumptionError, match=r"broken\.json: not valid JSON"):
        Assumptions.from_json(broken)
    missing = tmp_path / "missing.json"
    with pytest.raises(AssumptionError, match=r"missing\.json: file not found"):
        Assumptions.from_json(missing)
    bad_value = tmp_path / "range.json"
    bad_value.write_text(json.dumps({"values": {"jobs_multiplier": 9}}), encoding="utf-8")
    with pytest.raises(AssumptionError, match=r"range\.json: .*jobs_multiplier.*got 9"):
        Assumptions.from_json(bad_value)
    not_object = tmp_path / "list.json"
    not_object.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(AssumptionError, match=r"list\.json: .*JSON object"):
        Assumptions.from_json(not_object)


def test_cost_model_parameters_exist():
    a = Assumptions()
    for name in ("property_tax_rate", "assessed_value_per_m2", "capitalisation_yield",
                 "grant_spread_years", "incentive_elasticity", "operating_cost_per_job"):
        assert name in a


def test_methods_md_holds_the_current_assumptions_table():
    """docs/methods.md quotes markdown_table(); regenerate that section when this fails."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "methods.md"
    assert markdown_table() in doc.read_text(encoding="utf-8")


def test_property_tax_default_follows_the_currency_by_hand():
    """Each row of the currency table worked by hand from its published inputs."""
    # England: business rates = 55.5p multiplier (2025/26) x rateable value (an annual
    # rent); at a 6% yield a unit of value has 0.06 of rent: 0.555 x 0.06 = 0.0333.
    assert Assumptions(currency="GBP").property_tax_rate == pytest.approx(0.555 * 0.06)
    # Germany: Steuermesszahl 0.34 per mille x average Hebesatz 391% = 0.0013294.
    assert Assumptions(currency="EUR").property_tax_rate == pytest.approx(
        0.00034 * 3.91, rel=0.01)
    # US: 1.497% average effective rate in the largest cities (Lincoln Institute, 2016).
    assert Assumptions(currency="USD").property_tax_rate == pytest.approx(0.01497, abs=5e-4)
    # Every row is in range and cites a source and a year.
    for row in property_tax_defaults().values():
        assert 0 < row.rate <= parameter("property_tax_rate").maximum
        assert row.source and row.year.isdigit() and row.basis
    # A currency without a row keeps the parameter's own default, and says so.
    jpy = Assumptions(currency="jpy")
    assert jpy.property_tax_rate == parameter("property_tax_rate").default
    assert "No default for jpy" in jpy.source_note("property_tax_rate")
    assert "55.5p" in Assumptions(currency="GBP").source_note("property_tax_rate")


def test_changing_currency_moves_the_default_but_keeps_a_set_rate():
    eur = Assumptions()
    gbp = eur.replace(currency="GBP")
    assert gbp.property_tax_rate == pytest.approx(0.0333)
    assert gbp.changed_from_default() == {}  # still the default, of its own currency
    set_rate = eur.replace(property_tax_rate=0.02).replace(currency="GBP")
    assert set_rate.property_tax_rate == 0.02
    assert set_rate.changed_from_default() == {"property_tax_rate": 0.02}
    # Set in the same call as the currency: the planner's value wins.
    assert eur.replace(currency="USD", property_tax_rate=0.03).property_tax_rate == 0.03
    # A saved plan's rate is kept on load, whatever its currency's default.
    assert Assumptions.from_dict({"currency": "GBP", "values": {"property_tax_rate": 0.01}}
                                 ).property_tax_rate == 0.01


def test_every_assumption_has_a_range_or_is_a_stated_choice():
    """An estimate without a plausible range escapes the tornado and the Monte Carlo; a
    new parameter must be put in UNCERTAINTY (with a source) or in CHOICES (with why)."""
    from districtplanner.analysis.assumptions import CHOICES, UNCERTAINTY

    names = {p.name for p in PARAMETERS}
    assert set(UNCERTAINTY) | set(CHOICES) == names
    assert not set(UNCERTAINTY) & set(CHOICES)
    a = Assumptions()
    for name, u in UNCERTAINTY.items():
        low, high = u.bounds(a[name])
        p = parameter(name)
        assert p.minimum <= low < high <= p.maximum, name
        assert u.distribution in ("uniform", "triangular") and len(u.source) > 20, name
    assert all(len(why) > 5 for why in CHOICES.values())
    # The two assumptions this checks for by name: the CLT's land share and the gross-rent
    # utilities, each with its cited range around its default.
    assert UNCERTAINTY["clt_land_share"].bounds(0.5) == (0.3, 0.7)
    assert "Davis & Palumbo" in UNCERTAINTY["clt_land_share"].source
    lo, hi = UNCERTAINTY["utilities_share"].bounds(a.utilities_share)
    assert lo < a.utilities_share < hi and "Betriebskostenspiegel" in \
        UNCERTAINTY["utilities_share"].source
