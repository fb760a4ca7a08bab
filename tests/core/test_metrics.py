"""metrics.compute: one call, every figure, the stable JSON keys, and explain texts that
come from the same source as docs/methods.md."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from districtplanner.analysis import explain
from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.citydata import CityData
from districtplanner.analysis.hotspots import compute_surface
from districtplanner.analysis.incentives import default_instruments
from districtplanner.analysis.index import CityIndex, PlainSelector
from districtplanner.analysis.metrics import compute, compute_selection

DOCS = Path(__file__).resolve().parents[2] / "docs" / "methods.md"


def test_to_dict_has_the_stable_keys(sample):
    c, index = sample
    m = compute(index, c.example_districts.geometry.iloc[0], Assumptions(),
                default_instruments(), name="Foundry")
    d = m.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["name"] == "Foundry" and d["area_km2"] > 0
    for key in ("establishments", "jobs", "creative_establishments", "creative_jobs",
                "location_quotient", "entropy", "hhi", "by_sector"):
        assert key in d["concentration"]
    for key in ("rent_median", "rent_iqr", "rent_burden_share", "displacement_risk"):
        assert key in d["affordability"]
    for key in ("npv", "nominal_total", "cost_per_job"):
        assert key in d["incentives"]
    assert set(d["concentration"]["by_sector"]) == {
        "film_tv", "music_performing", "design_fashion", "digital_software", "publishing",
        "architecture", "advertising", "crafts_visual_arts", "museums_heritage"}
    assert d["incentives"]["npv"] > 0
    assert d["projection"] is not None and d["hotspots"] is None


def test_baseline_is_the_whole_city(sample):
    _, index = sample
    m = compute(index, None, Assumptions())
    assert m.is_baseline and m.name == "City baseline"
    assert m.concentration.location_quotient == pytest.approx(1.0)
    assert all(s.location_quotient == pytest.approx(1.0)
               for s in m.concentration.by_sector.values() if s.jobs > 0)
    assert m.concentration.share_of_city_creative_jobs == pytest.approx(1.0)
    assert m.affordability.plan_uplift == 0.0
    assert m.area_km2 == pytest.approx(index.totals.area_m2 / 1e6)


def test_fast_and_plain_agree_on_every_figure(sample):
    c, index = sample
    plain = PlainSelector(index)
    a = Assumptions()
    for geom in c.example_districts.geometry:
        fast = compute(index, geom, a, default_instruments()).to_dict()
        slow = compute_selection(index, plain.select(geom, a.institution_buffer_m), a,
                                 default_instruments()).to_dict()
        assert_same(fast, slow)


def assert_same(a, b, path=""):
    """Counts exactly equal; floats equal to 1e-9 relative (area shares come from the same
    polygons clipped in a different order, so they may differ in the last bits)."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9), path
    elif isinstance(a, str) and path.startswith(".explanations"):
        return  # texts quote the floats above with their last digits
    else:
        assert a == b, path


def test_explanations_quote_inputs_and_assumptions(sample):
    c, index = sample
    a = Assumptions().replace(transit_near_m=350)
    m = compute(index, c.example_districts.geometry.iloc[1], a)
    text = m.explanations["concentration.transit"]
    assert explain.METHODS["concentration.transit"].formula in text
    assert "transit_near_m = 350 m" in text
    assert f"{m.concentration.transit_near_share:.1%}" in text
    burden = m.explanations["affordability.rent_burden"]
    assert "income_sigma = 0.85" in burden and "Aitchison" in burden
    assert set(explain.METHODS) - set(m.explanations) == {"hotspots.kde", "hotspots.gi_star"}
    assert "incentives.npv" in m.explanations
    assert m.to_dict()["explanations"] == m.explanations


def test_methods_md_is_rendered_from_the_code():
    """Regenerate with `python -m districtplanner.analysis.explain docs/methods.md`."""
    doc = explain.sections(DOCS.read_text(encoding="utf-8"))
    for family in explain.FAMILIES:
        assert doc[family].strip() == explain.render_family(family).strip(), family


def test_every_method_names_real_assumptions():
    a = Assumptions()
    for m in explain.METHODS.values():
        for name in m.assumptions:
            a[name]  # raises for an unknown name


def test_empty_and_multipolygon_districts(sample):
    _, index = sample
    a = Assumptions()
    empty = compute(index, shapely.Polygon(), a).to_dict()
    assert empty["concentration"]["establishments"] == 0
    assert empty["affordability"]["rent_median"] is None
    assert empty["area_km2"] == 0
    xmin, ymin, xmax, ymax = index.city.extent()
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    a1, a2 = box(cx - 900, cy - 900, cx - 100, cy), box(cx + 100, cy, cx + 900, cy + 900)
    both = compute(index, shapely.MultiPolygon([a1, a2]), a).concentration
    one, two = compute(index, a1, a).concentration, compute(index, a2, a).concentration
    assert both.establishments == one.establishments + two.establishments
    assert both.creative_jobs == one.creative_jobs + two.creative_jobs


def test_hotspot_summary_goes_into_the_json(sample):
    c, index = sample
    m = compute(index, c.example_districts.geometry.iloc[0], Assumptions())
    m.hotspots = compute_surface(index, Assumptions())
    d = m.to_dict()
    assert d["hotspots"]["cell_m"] == 250 and d["hotspots"]["cells"] > 0
    json.dumps(d, allow_nan=False)
    assert np.isfinite(m.hotspots.kde).all()


def test_a_city_without_establishments_or_rents_still_computes():
    import geopandas as gpd

    nb = gpd.GeoDataFrame({"name": ["a"], "households": [10], "median_income": [30000.0]},
                          geometry=[box(0, 0, 100, 100)], crs="EPSG:32632")
    for city in (CityData.from_frames(neighbourhoods=nb), CityData()):
        index = CityIndex.build(city)
        d = compute(index, box(10, 10, 50, 50), Assumptions()).to_dict()
        json.dumps(d, allow_nan=False)
        assert d["concentration"]["establishments"] == 0
        assert d["affordability"]["rent_median"] is None
        assert compute(index, None, Assumptions()).concentration.location_quotient == 0


def test_missing_rent_layer_is_null_with_a_reason_in_json_and_explain(sample):
    c, _ = sample
    index = CityIndex.build(CityData.from_frames(
        c.establishments, stops=c.transit_stops, neighbourhoods=c.neighbourhoods))
    m = compute(index, c.example_districts.geometry.iloc[0], Assumptions(),
                default_instruments())
    d = json.loads(json.dumps(m.to_dict(), allow_nan=False))
    aff = d["affordability"]
    assert aff["displacement_risk"] is None and aff["displacement_class"] is None
    assert aff["households_priced_out"] is None and aff["creative_firms_priced_out"] is None
    assert aff["households"] > 0
    assert aff["missing"]["affordability.displacement"].startswith("no rent layer")
    text = m.explanations["affordability.firms_priced_out"]
    assert "Result: — (no rent layer" in text and "nan" not in text


def test_new_stations_add_the_transit_uplift_existing_ones_do_not(sample):
    c, index = sample
    geom = c.example_districts.geometry.iloc[0]
    a = Assumptions()
    plain = compute(index, geom, a)
    assert plain.affordability.plan_uplift == pytest.approx(a.designation_uplift)
    one = compute(index, geom, a, new_stations=1)
    share = min(1.0, np.pi * a.transit_near_m ** 2 / geom.area)
    assert one.affordability.plan_uplift == pytest.approx(
        a.designation_uplift + a.transit_uplift_residential * share)


def test_json_has_the_published_displacement_methods_side_by_side(sample):
    c, index = sample
    m = compute(index, c.example_districts.geometry.iloc[0], Assumptions())
    dm = json.loads(json.dumps(m.to_dict(), allow_nan=False))["affordability"][
        "displacement_methods"]
    assert set(dm["methods"]) == {"udp", "bates", "freeman"}
    for method in dm["methods"].values():
        assert method["status"] == "full"
        assert sum(method["shares"].values()) == pytest.approx(1.0)
    assert dm["of"] == 3 and 0 <= dm["flagged_by"] <= 3
    assert -1 <= dm["agreement"]["fleiss_kappa_city"] <= 1


def test_explain_texts_list_the_ranges_the_sensitivity_uses(sample):
    c, index = sample
    m = compute(index, c.example_districts.geometry.iloc[0], Assumptions())
    text = m.explanations["affordability.firms_priced_out"]
    assert "Ranges used in the sensitivity analysis: " in text
    assert "firm_rent_capacity 12 to 24 (triangular)" in text
