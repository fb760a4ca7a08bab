"""`district-planner metrics`: the sample city by default, user layers, JSON keys, errors."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from districtplanner.cli import main


@pytest.fixture()
def resources(city_dir: Path, monkeypatch) -> Path:
    monkeypatch.setenv("DISTRICT_PLANNER_RESOURCES", str(city_dir))
    return city_dir / "sample_city"


def run_json(capsys, *args: str) -> dict:
    assert main(["metrics", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_defaults_use_the_sample_city_and_its_example_districts(resources, capsys):
    doc = run_json(capsys)
    names = gpd.read_file(resources / "sample_city.gpkg", layer="example_districts")["name"]
    assert [d["name"] for d in doc["districts"]] == list(names)
    for entry in [doc["baseline"], *doc["districts"]]:
        assert entry["area_km2"] > 0
        for key in ("establishments", "jobs", "creative_establishments", "creative_jobs",
                    "location_quotient", "entropy", "hhi", "by_sector"):
            assert key in entry["concentration"]
        for key in ("rent_median", "rent_iqr", "rent_burden_share", "displacement_risk"):
            assert key in entry["affordability"]
        for key in ("npv", "nominal_total", "cost_per_job"):
            assert key in entry["incentives"]
    assert doc["baseline"]["concentration"]["location_quotient"] == pytest.approx(1.0)
    assert doc["baseline"]["concentration"]["establishments"] == 3000


def test_table_output_is_readable(resources, capsys):
    assert main(["metrics"]) == 0
    out = capsys.readouterr().out
    assert "City baseline" in out and "Location quotient (creative)" in out
    assert "Displacement class" in out and "NPV (EUR)" in out


def test_user_layers_and_district_file(resources, tmp_path, capsys):
    est = gpd.read_file(resources / "sample_city.gpkg", layer="establishments")
    est = est.rename(columns={"sector": "branch", "employees": "staff"})
    est.to_file(tmp_path / "firms.gpkg")
    nb = gpd.read_file(resources / "sample_city.gpkg", layer="neighbourhoods")
    nb.to_file(tmp_path / "nb.gpkg")
    xmin, ymin, xmax, ymax = nb.total_bounds
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    district = shapely.box(cx - 1500, cy - 1500, cx + 1500, cy + 1500)
    gpd.GeoDataFrame({"name": ["Middle"]}, geometry=[district], crs=nb.crs).to_crs(
        "EPSG:4326").to_file(tmp_path / "d.geojson")
    doc = run_json(capsys, "--establishments", str(tmp_path / "firms.gpkg"),
                   "--sector-column", "branch", "--jobs-column", "staff",
                   "--rents", str(resources / "rent.tif"),
                   "--neighbourhoods", str(tmp_path / "nb.gpkg"),
                   "--district", str(tmp_path / "d.geojson"))
    (d,) = doc["districts"]
    assert d["name"] == "Middle" and d["area_km2"] == pytest.approx(9.0, rel=1e-3)
    inside = est[est.within(district)]
    assert d["concentration"]["establishments"] == len(inside)
    assert d["concentration"]["jobs"] == pytest.approx(inside["staff"].sum())
    assert d["affordability"]["rent_median"] is not None
    assert d["concentration"]["transit_near_share"] == 0.0  # no transit layer given


def test_assumptions_file_changes_the_figures(resources, tmp_path, capsys):
    (tmp_path / "a.json").write_text(json.dumps({"horizon_years": 5}))
    doc = run_json(capsys, "--assumptions", str(tmp_path / "a.json"))
    assert doc["assumptions"]["values"]["horizon_years"] == 5
    assert doc["districts"][0]["affordability"]["horizon_years"] == 5


@pytest.mark.parametrize("args, needle", [
    (["--district", "nowhere.geojson"], "nowhere.geojson"),
    (["--establishments", "missing.gpkg"], "missing.gpkg"),
    (["--assumptions", "BAD"], "discount_rate"),
    (["--instruments", "BADI"], "instrument 1"),
])
def test_errors_name_the_file_and_problem(resources, tmp_path, capsys, monkeypatch, args,
                                          needle):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "BAD").write_text(json.dumps({"discount_rate": 5}))
    (tmp_path / "BADI").write_text(json.dumps([{"kind": "no_such_kind"}]))
    assert main(["metrics", *args]) != 0
    captured = capsys.readouterr()
    assert needle in captured.err and captured.out == ""


def test_wrong_sector_column_is_reported(resources, tmp_path, capsys):
    est = gpd.read_file(resources / "sample_city.gpkg", layer="establishments")
    est.to_file(tmp_path / "firms.gpkg")
    assert main(["metrics", "--establishments", str(tmp_path / "firms.gpkg"),
                 "--sector-column", "nope"]) != 0
    err = capsys.readouterr().err
    assert "firms.gpkg" in err and "nope" in err


def test_missing_sample_city_is_reported(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DISTRICT_PLANNER_RESOURCES", str(tmp_path))
    assert main(["metrics"]) != 0
    assert "sample_city.gpkg" in capsys.readouterr().err


def test_hotspot_surface_is_written_as_a_geotiff(resources, tmp_path, capsys):
    import numpy as np
    import rasterio

    out = tmp_path / "hotspots.tif"
    doc = run_json(capsys, "--hotspots", str(out))
    assert doc["hotspots"]["file"] == str(out)
    with rasterio.open(out) as src:
        assert src.count == 3 and src.descriptions == ("kde", "gi_z", "gi_class")
        assert src.crs.to_epsg() == 32632
        classes = src.read(3)
    assert set(np.unique(classes)) <= {-3, -2, -1, 0, 1, 2, 3}
    assert (classes > 0).sum() == sum(n for k, n in doc["hotspots"]["cells_by_class"].items()
                                      if k.startswith("hot"))


def test_hotspot_file_that_cannot_be_written_is_named(resources, tmp_path, capsys):
    bad = tmp_path / "no" / "such" / "folder" / "h.tif"
    assert main(["metrics", "--hotspots", str(bad)]) == 1
    assert str(bad) in capsys.readouterr().err
