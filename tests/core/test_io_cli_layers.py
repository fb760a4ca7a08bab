"""`district-planner metrics` on a planner's own files: per-layer --layer, --source-crs,
--encoding and --swap-axes; a multi-layer file whose first layer is unusable; messages
that name command-line options; no sample-city districts on the planner's own data."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from districtplanner.cli import main


@pytest.fixture()
def city(city_dir: Path, monkeypatch) -> Path:
    monkeypatch.setenv("DISTRICT_PLANNER_RESOURCES", str(city_dir))
    return city_dir / "sample_city" / "sample_city.gpkg"


@pytest.fixture()
def firms(city: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(city, layer="establishments")


def _district(tmp_path: Path, firms: gpd.GeoDataFrame) -> tuple[Path, shapely.Polygon]:
    cx, cy = firms.union_all().centroid.coords[0]
    box = shapely.box(cx - 1500, cy - 1500, cx + 1500, cy + 1500)
    path = tmp_path / "d.geojson"
    gpd.GeoDataFrame({"name": ["Middle"]}, geometry=[box], crs=firms.crs).to_file(path)
    return path, box


def _json(capsys, *args: str) -> dict:
    code = main(["metrics", "--json", *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def test_multi_layer_file_whose_first_layer_is_unusable(city, firms, tmp_path, capsys):
    """A GeoPackage whose first layer holds only empty geometries (an unfinished sketch):
    the establishments come from the layer that reads as establishments; --layer picks
    one by name."""
    from districtplanner.io.readers import list_layers

    gpkg = tmp_path / "office.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"note": ["draft"]}, geometry=[None],
                                             crs=firms.crs), gpkg, layer="notes",
                            geometry_type="Point")
    pyogrio.write_dataframe(firms, gpkg, layer="firms", append=True)
    assert list_layers(gpkg)[0].name == "notes"
    dpath, box = _district(tmp_path, firms)
    doc = _json(capsys, "--establishments", str(gpkg), "--district", str(dpath))
    (d,) = doc["districts"]
    assert d["concentration"]["establishments"] == int(firms.within(box).sum())
    named = _json(capsys, "--establishments", str(gpkg), "--layer", "firms",
                  "--district", str(dpath))
    assert named["districts"] == doc["districts"]
    assert main(["metrics", "--establishments", str(gpkg), "--layer", "notes"]) != 0
    err = capsys.readouterr().err
    assert "office.gpkg" in err and "notes" in err


def test_own_data_without_district_reports_the_whole_area_only(city, firms, tmp_path,
                                                               capsys):
    path = tmp_path / "firms.gpkg"
    firms.to_file(path)
    code = main(["metrics", "--json", "--establishments", str(path)])
    out = capsys.readouterr()
    assert code == 0
    doc = json.loads(out.out)
    assert doc["districts"] == []  # never the sample city's example districts
    assert doc["baseline"]["name"].startswith("Whole area of the data")
    assert "--district FILE" in doc["note"] and "--district FILE" in out.err
    assert doc["baseline"]["concentration"]["establishments"] == len(firms)


def test_source_crs_and_swap_axes_per_layer_and_errors_name_cli_options(city, firms,
                                                                       tmp_path, capsys):
    xy = firms.get_coordinates()
    table = pd.DataFrame({"x": xy["x"], "y": xy["y"], "sector": firms["sector"],
                          "employees": firms["employees"]})
    path = tmp_path / "firms.csv"
    table.to_csv(path, index=False)
    dpath, box = _district(tmp_path, firms)
    # No CRS in a CSV of metres: the message names --source-crs, never a dialog.
    assert main(["metrics", "--establishments", str(path), "--district", str(dpath)]) != 0
    err = capsys.readouterr().err
    assert "--source-crs" in err and "dialog" not in err
    crs = firms.crs.to_string()
    doc = _json(capsys, "--establishments", str(path), "--source-crs", crs,
                "--district", str(dpath))
    want = int(firms.within(box).sum())
    assert doc["districts"][0]["concentration"]["establishments"] == want
    swapped = tmp_path / "swapped.csv"
    table.rename(columns={"x": "y", "y": "x"})[["x", "y", "sector", "employees"]].to_csv(
        swapped, index=False)
    doc = _json(capsys, "--establishments", str(swapped), "--source-crs", crs, "--swap-axes",
                "--district", str(dpath))
    assert doc["districts"][0]["concentration"]["establishments"] == want


def test_encoding_per_layer_is_honoured(city, firms, tmp_path, capsys):
    xy = firms.to_crs(4326).get_coordinates()
    table = pd.DataFrame({"lon": xy["x"], "lat": xy["y"], "行业": firms["sector"]})
    path = tmp_path / "firms.csv"
    path.write_bytes(table.to_csv(index=False).encode("gbk"))
    dpath, _box = _district(tmp_path, firms)
    doc = _json(capsys, "--establishments", str(path), "--sector-column", "行业",
                "--district", str(dpath))
    detected = doc["districts"][0]["concentration"]["creative_establishments"]
    assert detected > 0
    assert _json(capsys, "--establishments", str(path), "--encoding", "gbk",
                 "--sector-column", "行业", "--district", str(dpath)
                 )["districts"][0]["concentration"]["creative_establishments"] == detected
    # Read as Latin-1 the header is not '行业': the option was honoured, and said so.
    assert main(["metrics", "--establishments", str(path), "--encoding", "latin-1",
                 "--sector-column", "行业", "--district", str(dpath)]) != 0
    assert "行业" in capsys.readouterr().err


def test_a_layer_far_from_the_others_is_said_with_the_cli_fix(city, firms, tmp_path,
                                                              capsys):
    est = tmp_path / "firms.gpkg"
    firms.to_file(est)
    xy = firms.iloc[:20].to_crs(4326).get_coordinates()
    stops = tmp_path / "stops.csv"
    pd.DataFrame({"stop_id": range(20), "stop_name": "s", "stop_lat": xy["x"],
                  "stop_lon": xy["y"]}).to_csv(stops, index=False)  # written swapped
    code = main(["metrics", "--json", "--establishments", str(est), "--transit", str(stops)])
    err = capsys.readouterr().err
    assert code == 0 and "warning: 'stops.csv' would land around" in err
    assert "km from the plan" in err and "--swap-axes" in err and "dialog" not in err
    assert main(["metrics", "--json", "--establishments", str(est), "--transit", str(stops),
                 "--swap-axes"]) == 0
    assert "would land" not in capsys.readouterr().err
