"""CRS choice and guesses, role and column guessing, and the wording of import errors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from districtplanner.analysis.roles import LayerRole
from districtplanner.io import crs as c
from districtplanner.io import guess as g
from districtplanner.io.errors import (
    BadValues,
    CoordinatesOutOfRange,
    DataImportError,
    FileTooLarge,
    MissingCRS,
    UnreadableFile,
)

# ---------------------------------------------------------------------------------- CRS


@pytest.mark.parametrize(("lon", "lat", "epsg"), [
    (13.40, 52.52, "EPSG:32633"),  # Berlin
    (-0.13, 51.51, "EPSG:32630"),  # London
    (-73.99, 40.73, "EPSG:32618"),  # New York
    (151.21, -33.87, "EPSG:32756"),  # Sydney
    (-58.38, -34.60, "EPSG:32721"),  # Buenos Aires
    (5.32, 60.39, "EPSG:32632"),  # Bergen: the Norway exception (would be 31)
    (15.6, 78.2, "EPSG:32633"),  # Longyearbyen: Svalbard
    (180.0, 0.0, "EPSG:32660"),
    (-180.0, 0.0, "EPSG:32601"),
])
def test_utm_crs_for(lon: float, lat: float, epsg: str) -> None:
    assert c.utm_crs_for(lon, lat) == epsg


def test_utm_refuses_non_degrees() -> None:
    with pytest.raises(ValueError):
        c.utm_crs_for(500000.0, 5800000.0)


def test_choose_project_crs_from_layers_in_any_crs() -> None:
    berlin_ll = gpd.GeoDataFrame(geometry=[Point(13.3, 52.5), Point(13.5, 52.55)], crs=4326)
    berlin_merc = berlin_ll.to_crs(3857)
    assert c.choose_project_crs([berlin_merc]) == "EPSG:32633"
    assert c.choose_project_crs([((13.3, 52.5, 13.5, 52.55), "EPSG:4326")]) == "EPSG:32633"
    nocrs = gpd.GeoDataFrame(geometry=[Point(0, 0)])
    assert c.choose_project_crs([nocrs, berlin_ll]) == "EPSG:32633"
    with pytest.raises(ValueError):
        c.choose_project_crs([nocrs])


def test_guess_crs() -> None:
    assert c.guess_crs((13.0, 52.0, 13.8, 52.8)) == "EPSG:4326"
    assert c.guess_crs((385000.0, 5810000.0, 395000.0, 5820000.0)) is None
    assert c.guess_crs((-181.0, 0.0, 0.0, 1.0)) is None


def test_is_metric_projected() -> None:
    assert c.is_metric_projected("EPSG:32633")
    assert not c.is_metric_projected("EPSG:4326")
    assert not c.is_metric_projected("EPSG:2263")  # US feet


def test_check_coordinates_names_the_likely_crs(tmp_path) -> None:
    c.check_coordinates(tmp_path / "a.gpkg", (385000, 5810000, 395000, 5820000), "EPSG:32633")
    with pytest.raises(CoordinatesOutOfRange, match="look like longitude/latitude"):
        c.check_coordinates(tmp_path / "a.gpkg", (13.3, 52.4, 13.5, 52.6), "EPSG:25833")
    with pytest.raises(CoordinatesOutOfRange, match="outside what WGS 84 allows"):
        c.check_coordinates(tmp_path / "a.gpkg", (860, 505, 987, 581), "EPSG:4326")


def test_distance_from_others_in_km() -> None:
    a = (0.0, 0.0, 1000.0, 1000.0)
    b = (11000.0, 0.0, 12000.0, 500.0)
    assert c.distance_from_others(a, [b]) == pytest.approx(10.0)
    assert c.distance_from_others(a, [(500.0, 500.0, 2000.0, 2000.0)]) == 0.0
    assert c.distance_from_others(a, []) is None
    far = (3_000_000.0, 4_000_000.0, 3_001_000.0, 4_001_000.0)
    msg = c.far_warning("shops", far, [a])
    assert msg is not None and "4,999 km" in msg and "'shops'" in msg
    assert c.far_warning("shops", b, [a]) is None  # 10 km: same city


# ------------------------------------------------------------------------------ guesses


def test_guess_role_from_columns_and_names() -> None:
    gr = g.guess_role
    assert gr(["name", "branche", "beschaeftigte"], None, "point", "firmen") == \
        LayerRole.ESTABLISHMENTS
    assert gr(["naics", "employees"], None, "point", "x") == LayerRole.ESTABLISHMENTS
    assert gr(["stop_id", "stop_name", "stop_lat", "stop_lon"], None, "point", "stops") == \
        LayerRole.TRANSIT_STOPS
    assert gr(["id", "rent_eur_m2"], None, "point", "offers") == LayerRole.RENTS
    assert gr(["id", "miete"], None, "polygon", "blocks") == LayerRole.RENTS
    assert gr(["name", "population", "median_income"], None, "polygon", "x") == \
        LayerRole.NEIGHBOURHOODS
    assert gr(["name", "type"], None, "point", "venues",
              {"type": ["museum", "theatre", "gallery"]}) == LayerRole.INSTITUTIONS
    assert gr(["name", "type"], None, "point", "things",
              {"type": ["museum", "theatre", "gallery"]}) == LayerRole.INSTITUTIONS
    assert gr(["route_short_name"], None, "line", "network") == LayerRole.TRANSIT_LINES
    assert gr(["name", "colour", "notes"], None, "polygon", "plan") == LayerRole.DISTRICTS
    assert gr([], None, "raster", "mietspiegel_2024") == LayerRole.RENTS
    assert gr([], None, "raster", "dem") == LayerRole.CONTEXT
    assert gr([], None, "tiles", "anything") == LayerRole.BASEMAP
    assert gr(["osm_id", "highway"], None, "line", "roads") == LayerRole.CONTEXT


def test_guess_mapping_prefers_exact_names_and_numeric_values() -> None:
    samples = {
        "Firma": ["A", "B"], "Branche": ["Film", "Musik"], "Beschäftigte": ["12", "3"],
        "id": [1, 2],
    }
    m = g.guess_mapping(LayerRole.ESTABLISHMENTS, list(samples), samples)
    assert m == {"sector": "Branche", "jobs": "Beschäftigte", "name": "Firma"}
    # 'employees' holding text is not a jobs column
    m = g.guess_mapping(LayerRole.ESTABLISHMENTS, ["sector", "employees"],
                        {"sector": ["a"], "employees": ["many", "few"]})
    assert "jobs" not in m
    nb = pd.DataFrame({"NAME": ["a"], "POP2020": [100], "INC": [30000], "pct_renters": [55.0]})
    m = g.guess_mapping(LayerRole.NEIGHBOURHOODS, list(nb.columns), nb)
    assert m["name"] == "NAME" and m["median_income"] == "INC"
    assert m["renter_share"] == "pct_renters" and m["renter_share_unit"] == "percent"
    m = g.guess_mapping(LayerRole.RENTS, ["miete_eur_qm_jahr"], {"miete_eur_qm_jahr": [180.0]})
    assert m == {"rent": "miete_eur_qm_jahr", "rent_unit": "m2_year"}


@pytest.mark.parametrize(("column", "values", "unit"), [
    ("rent_eur_m2", [12.5, 9.8], "m2_month"),
    ("kaltmiete_pro_qm", [11.0], "m2_month"),
    ("annual_rent_psf", [45.0], "sqft_year"),
    ("rent_sqft_month", [3.1], "sqft_month"),
    ("monthly_rent", [950.0, 1200.0], "unit_month"),
    ("rent", [850.0, 1100.0], "unit_month"),
    ("rent", [14.0, 9.0], "m2_month"),
    ("rent_per_year", [11000.0], "unit_year"),
    ("miete_jahr_qm", [160.0], "m2_year"),
])
def test_guess_rent_unit(column: str, values: list[float], unit: str) -> None:
    assert g.guess_rent_unit(column, values) == unit


def test_rent_conversion_factors() -> None:
    assert g.rent_conversion("m2_year").factor == pytest.approx(1 / 12)
    assert g.rent_conversion("sqft_year").factor == pytest.approx(10.763910417 / 12)
    conv = g.rent_conversion("unit_month")
    assert conv.factor is None and conv.floor_area_m2 == g.DEFAULT_DWELLING_M2
    assert "dwelling_floor_area" in conv.describe("rent")
    with pytest.raises(ValueError):
        g.rent_conversion("per_week")


def test_to_number_reads_decimal_commas_and_currency() -> None:
    s = pd.Series(["12,5", "1.234,5", "€ 9.50", " 7 ", "n/a", None, "12 EUR"])
    out = g.to_number(s).tolist()
    assert out[:4] == [12.5, 1234.5, 9.5, 7.0] and out[6] == 12.0
    assert pd.isna(out[4]) and pd.isna(out[5])


def test_coordinate_and_wkt_columns() -> None:
    assert g.find_coordinate_columns(["Name", "Länge", "Breite"]) == ("Länge", "Breite")
    assert g.find_coordinate_columns(["stop_id", "stop_lat", "stop_lon"]) == \
        ("stop_lon", "stop_lat")
    assert g.find_coordinate_columns(["EASTING", "NORTHING", "v"]) == ("EASTING", "NORTHING")
    assert g.find_coordinate_columns(["text", "index"]) is None
    assert g.find_wkt_column(["a", "shape"], {"a": ["x"], "shape": ["POINT (1 2)"]}) == "shape"
    assert g.find_wkt_column(["a"], {"a": ["hello"]}) is None


def test_candidate_columns_offer_numbers_for_numeric_fields() -> None:
    samples = {"name": ["a"], "employees": [3], "notes": ["x"]}
    assert g.candidate_columns("jobs", list(samples), samples) == ["employees"]
    assert g.candidate_columns("name", list(samples), samples)[0] == "name"


# ------------------------------------------------------------------------------- errors


def test_error_messages_name_file_row_column_and_remedy(tmp_path) -> None:
    e = BadValues(tmp_path / "firms.csv", "employees", 57, [12, 15, 40, 41, 42, 50],
                  total=1000)
    s = str(e)
    assert s.startswith("'firms.csv', row 12, column 'employees': 57 of 1,000 values")
    assert "(rows 12, 15, 40, 41, 42, ...)" in s and s.endswith(".")
    assert e.count == 57 and e.rows[:3] == [12, 15, 40] and e.row == 12
    assert isinstance(e, DataImportError) and e.path.name == "firms.csv"
    u = UnreadableFile(tmp_path / "x.gpkg")
    assert str(u) == f"'x.gpkg': {u.problem}; {u.remedy}."
    big = FileTooLarge(tmp_path / "big.csv", needed=48 << 30, available=8 << 30)
    assert "48.0 GB" in str(big) and "8.0 GB" in str(big)
    m = MissingCRS(tmp_path / "a.shp", "EPSG:4326")
    assert m.guess == "EPSG:4326" and "EPSG:4326" in str(m)


def test_geometry_column_candidates() -> None:
    samples = {"id": [1], "Rechtswert": [391000.0], "Hochwert": [5820000.0],
               "geom": ["POINT (1 2)"], "label": ["x"]}
    cols = list(samples)
    assert g.candidate_columns("x", cols, samples)[0] == "Rechtswert"
    assert g.candidate_columns("y", cols, samples)[0] == "Hochwert"
    assert g.candidate_columns("wkt", cols, samples) == ["geom"]


# ------------------------------------------------- where a layer would land, before adding

BERLIN_PLAN = ((385000.0, 5810000.0, 400000.0, 5825000.0), "EPSG:32633")


def test_swapped_lat_lon_table_is_caught_before_adding_and_the_fix_brings_it_home(
        tmp_path) -> None:
    """lat/lon written in lon/lat columns: inside ±90, so it loads silently today, in the
    Indian Ocean; the preview says where and suggests swapping, and the swap is honoured."""
    from districtplanner.io import readers as r

    path = tmp_path / "firms.csv"
    path.write_text("name,lon,lat,sector\nA,52.5200,13.4050,film_tv\n"
                    "B,52.5301,13.3920,publishing\nC,52.5105,13.4210,architecture\n",
                    encoding="utf-8")
    pv = r.preview(path, plan=BERLIN_PLAN)
    assert pv.placement is not None and pv.placement.fix == {"swap_axes": "yes"}
    msg = pv.messages[0]
    assert "13.41° N, 52.52° E" in msg and "5,541 km from the plan" in msg
    assert "swapped it lands on the plan" in msg and "Swap axes" in msg
    assert r.preview(path).placement is None  # no plan open: nothing to compare with
    layer = r.read_layer(path, mapping={"swap_axes": "yes"}, project_crs="EPSG:32633")
    x, y = layer.data.geometry.x.iloc[0], layer.data.geometry.y.iloc[0]
    assert 385000 < x < 400000 and 5810000 < y < 5825000
    assert c.check_placement("f", layer.bounds(), "EPSG:32633", *BERLIN_PLAN) is None


def test_southern_utm_declared_northern_is_caught_with_the_southern_zone(tmp_path) -> None:
    """Cape Town's points written as UTM 34 south but declared 34 north land in the
    Baltic; the suggestion is the southern zone, which brings them home."""
    import pyogrio

    from districtplanner.io import readers as r

    pts = gpd.GeoDataFrame({"name": ["Zeitz MOCAA", "Baxter", "Artscape"]},
                           geometry=[Point(18.4225, -33.9083), Point(18.4680, -33.9560),
                                     Point(18.4270, -33.9220)], crs=4326).to_crs(32734)
    plan = (tuple(pts.total_bounds + np.array([-4000, -4000, 4000, 4000])), "EPSG:32734")
    path = tmp_path / "venues.gpkg"
    pyogrio.write_dataframe(pts.set_crs(32634, allow_override=True), path)
    pv = r.preview(path, plan=plan)
    assert pv.crs == "EPSG:32634" and pv.placement is not None
    assert pv.placement.fix == {"source_crs": "EPSG:32734"}
    assert "N," in pv.messages[0] and "UTM zone 34 south" in pv.messages[0]
    assert "EPSG:32734" in pv.messages[0]
    fixed = r.read_layer(path, source_crs="EPSG:32734", project_crs="EPSG:32734")
    assert c.check_placement("v", fixed.bounds(), "EPSG:32734", *plan) is None


def test_a_guess_of_wgs84_on_another_continent_is_said_with_no_false_fix(tmp_path) -> None:
    from districtplanner.io import readers as r

    path = tmp_path / "paris.csv"
    path.write_text("name,longitude,latitude\nLouvre,2.3376,48.8606\nOrsay,2.3266,48.8600\n",
                    encoding="utf-8")
    pv = r.preview(path, plan=BERLIN_PLAN)
    assert pv.guessed_crs == "EPSG:4326" and pv.placement is not None
    assert pv.placement.fix == {}
    assert "48.86° N, 2.33° E" in pv.messages[0] and "Check its source CRS" in pv.messages[0]
    assert 800 < pv.placement.distance_km < 900  # Paris to Berlin's edge
