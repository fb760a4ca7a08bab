"""Published displacement typologies on a four-neighbourhood fixture worked by hand, and
Fleiss' kappa against hand-worked and textbook values."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from districtplanner.analysis.displacement import (
    BATES_CLASSES,
    FREEMAN_CLASSES,
    UDP_CLASSES,
    city_typologies,
    district_methods,
    fleiss_kappa,
)

# Neighbourhoods A, B, C, D in a row, 100 households each at both dates.
COLUMNS = {
    "name": list("ABCD"),
    "households_t0": [100, 100, 100, 100],
    "low_income_share_t0": [0.7, 0.5, 0.3, 0.1],
    "low_income_share": [0.6, 0.5, 0.2, 0.1],
    "college_share_t0": [0.1, 0.2, 0.4, 0.5],
    "college_share": [0.3, 0.2, 0.45, 0.5],
    "poc_share_t0": [0.6, 0.5, 0.2, 0.1],
    "poc_share": [0.5, 0.5, 0.2, 0.1],
    "renter_share_t0": [0.8, 0.7, 0.3, 0.2],
    "renter_share": [0.75, 0.7, 0.3, 0.2],
    "median_income_t0": [20000, 25000, 50000, 60000],
    "median_income": [26000, 25000, 52500, 60000],
    "median_rent_t0": [8.0, 8.0, 10.0, 12.0],
    "median_rent": [11.0, 8.4, 12.0, 12.0],
    "recent_housing_share_t0": [0.1, 0.15, 0.3, 0.35],
}
HH = np.full(4, 100.0)


def frame(**changes) -> gpd.GeoDataFrame:
    cols = {**COLUMNS, **changes}
    return gpd.GeoDataFrame(cols, geometry=[box(100 * k, 0, 100 * k + 100, 100)
                                            for k in range(4)], crs="EPSG:32632")


def names(classes, table):
    return [table[c] for c in classes]


def test_fleiss_kappa_by_hand_and_the_textbook_example():
    # 2 raters, 4 subjects: P̄ = 3/4, P̄e = (5/8)² + (3/8)² = 17/32, κ = 7/15.
    assert fleiss_kappa(np.array([[2, 0], [2, 0], [0, 2], [1, 1]])) == pytest.approx(7 / 15)
    # Fleiss (1971) as reproduced on Wikipedia's 'Fleiss' kappa' page: 14 raters, κ = 0.210.
    table = np.array([[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
                      [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
                      [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]])
    assert fleiss_kappa(table) == pytest.approx(0.2099, abs=5e-4)
    assert np.isnan(fleiss_kappa(np.array([[3, 0], [3, 0]])))  # one category: undefined
    with pytest.raises(ValueError):
        fleiss_kappa(np.array([[2, 0], [1, 0]]))


def test_udp_bates_freeman_classes_by_hand():
    typ = city_typologies(frame(), HH)
    # UDP: LI = A, B (share above the median 0.35); vulnerable at t0 = A, B; demographic
    # change = A, C (college and income rises above the medians 0.025); hot = A, C (rent
    # rise above the median 0.125); losing low-income households = A (70 -> 60), C (30 ->
    # 20). A: LI, vulnerable, change, hot -> ongoing gentrification; B: LI, nothing else;
    # C: MHI, hot, losing -> ongoing exclusion; D: MHI, stable.
    assert names(typ.classes["udp"], UDP_CLASSES) == [
        "LI - ongoing gentrification", "LI - not losing low-income households",
        "MHI - ongoing exclusion", "MHI - stable"]
    # Bates: vulnerable (3+ of 4 above the city rate) = A, B; demographic change = A (all
    # four gains above the city's); rents: 60th percentile 11.8 at t1 -> low/moderate A, B;
    # appreciation 60th percentile 0.17 -> high A, C; A accelerating -> dynamic; B not
    # high, touching A and C -> adjacent -> susceptible; C, D not vulnerable.
    assert names(typ.classes["bates"], BATES_CLASSES) == [
        "dynamic", "susceptible", "not at risk", "not at risk"]
    # Freeman: gentrifiable = income below the median 37,500 and less recent housing than
    # the median 0.225 = A, B; gentrifying = A (college rise above the median, real rents
    # up); B stays gentrifiable.
    assert names(typ.classes["freeman"], FREEMAN_CLASSES) == [
        "gentrifying", "gentrifiable, not gentrifying", "not gentrifiable",
        "not gentrifiable"]


def test_district_shares_flags_and_agreement():
    typ = city_typologies(frame(), HH)
    d = district_methods(typ, np.array([0, 1]), np.array([1.0, 1.0]), HH)
    by = {m.key: m for m in d.methods}
    assert by["udp"].shares["LI - ongoing gentrification"] == 0.5
    assert by["udp"].flagged_share == 0.5 and by["udp"].flagged
    assert by["bates"].flagged_share == 1.0
    assert by["freeman"].shares["gentrifying"] == 0.5
    assert d.flagged_by == 3 and d.of == 3
    # Flags (UDP, Bates, Freeman): A (1,1,1), B (0,1,0), C (1,0,0), D (0,0,0):
    # P̄ = 2/3, p = (5/12, 7/12), P̄e = 37/72, κ = 11/35. District (A, B): κ = 1/4.
    assert d.kappa_city == pytest.approx(11 / 35)
    assert d.kappa_district == pytest.approx(1 / 4) and d.neighbourhoods_compared == 2
    out = d.to_dict()
    assert out["methods"]["udp"]["status"] == "full"
    assert out["agreement"]["fleiss_kappa_city"] == pytest.approx(11 / 35)


def test_missing_columns_make_a_method_partial_never_guessed():
    f = frame().drop(columns=["recent_housing_share_t0", "poc_share_t0"])
    typ = city_typologies(f, HH)
    d = district_methods(typ, np.array([0, 1]), np.array([1.0, 1.0]), HH)
    by = {m.key: m for m in d.methods}
    assert by["freeman"].status == "partial (3 of 4 criteria)"
    assert by["freeman"].shares is None and by["freeman"].flagged is None
    assert any("recent_housing_share_t0" in c for c in by["freeman"].criteria_missing)
    assert by["udp"].status == "partial (4 of 5 criteria)"
    assert by["bates"].status == "partial (2 of 4 criteria)"
    assert d.of == 0 and np.isnan(d.kappa_city)
    assert "partial" in d.notes[0]


def test_a_neighbourhood_with_a_gap_is_unclassified_not_guessed():
    income = list(COLUMNS["median_income_t0"])
    income[3] = np.nan
    typ = city_typologies(frame(median_income_t0=income), HH)
    assert typ.classes["freeman"][3] == -1
    d = district_methods(typ, np.array([2, 3]), np.array([1.0, 1.0]), HH)
    # Only C is classified: its households are the whole base of the shares.
    assert {m.key: m for m in d.methods}["freeman"].shares["not gentrifiable"] == 1.0


def test_methods_md_quotes_the_criteria_from_the_code():
    from pathlib import Path

    from districtplanner.analysis.displacement import methods_markdown

    doc = (Path(__file__).resolve().parents[2] / "docs" / "methods.md").read_text("utf-8")
    assert methods_markdown() in doc
    for cite in ("Freeman (2005)", "Bates (2013)", "Chapple & Zuk (2016)", "Preis",
                 "Fleiss 1971"):
        assert cite in doc
