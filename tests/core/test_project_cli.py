"""`district-planner project create|info` and `metrics --project`, headless."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from districtplanner.cli import main
from districtplanner.project import load_project
from districtplanner.sample_city import generate_city


@pytest.fixture()
def resources(city_dir: Path, monkeypatch) -> Path:
    monkeypatch.setenv("DISTRICT_PLANNER_RESOURCES", str(city_dir))
    return city_dir / "sample_city"


def test_sample_city_project_gives_the_same_figures_as_metrics(resources, tmp_path, capsys):
    plan = tmp_path / "plan.gpkg"
    assert main(["project", "create", str(plan)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["metrics", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["metrics", "--project", str(plan), "--json"]) == 0
    from_project = json.loads(capsys.readouterr().out)
    assert from_project.pop("source") == str(plan)
    plain.pop("source")
    assert from_project == plain
    assert len(plain["districts"]) == 3


def test_create_refuses_to_overwrite_without_force(resources, tmp_path, capsys):
    plan = tmp_path / "plan.gpkg"
    assert main(["project", "create", str(plan)]) == 0
    before = plan.read_bytes()
    capsys.readouterr()
    assert main(["project", "create", str(plan)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err and "plan.gpkg" in err
    assert plan.read_bytes() == before
    assert main(["project", "create", str(plan), "--force"]) == 0
    assert (tmp_path / "plan.gpkg.bak").read_bytes() == before


def test_create_from_files_with_districts_and_crs(resources, tmp_path, capsys):
    city = generate_city(500)
    est = tmp_path / "firms.geojson"
    city.establishments.to_crs("EPSG:4326").to_file(est, driver="GeoJSON")
    hoods = tmp_path / "hoods.gpkg"
    city.neighbourhoods.to_file(hoods, driver="GPKG")
    c = city.establishments.geometry.union_all().centroid
    districts = tmp_path / "districts.geojson"
    gpd.GeoDataFrame({"name": ["Proposal A"]},
                     geometry=[box(c.x - 800, c.y - 800, c.x + 800, c.y + 800)],
                     crs=city.establishments.crs).to_file(districts, driver="GeoJSON")
    plan = tmp_path / "mine.gpkg"
    assert main(["project", "create", str(plan), str(est), str(hoods),
                 "--districts", str(districts), "--crs", "EPSG:25832"]) == 0
    capsys.readouterr()
    assert main(["project", "info", str(plan), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["crs"] == "EPSG:25832" and info["format_version"] == 1
    assert [(la["role"], la["features"], la["storage"], la["state"])
            for la in info["layers"]] == [("establishments", 500, "copied", "present"),
                                          ("neighbourhoods", len(city.neighbourhoods),
                                           "copied", "present")]
    assert [d["name"] for d in info["districts"]] == ["Proposal A"]
    assert info["districts"][0]["area_km2"] == pytest.approx(2.56, rel=0.01)
    assert main(["metrics", "--project", str(plan), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["districts"][0]["name"] == "Proposal A"
    assert figures["districts"][0]["concentration"]["establishments"] > 0


def test_linked_layer_missing_shows_in_info(resources, tmp_path, capsys):
    city = generate_city(300)
    est = tmp_path / "firms.geojson"
    city.establishments.to_file(est, driver="GeoJSON")
    plan = tmp_path / "linked.gpkg"
    assert main(["project", "create", str(plan), str(est), "--link"]) == 0
    est.unlink()
    capsys.readouterr()
    assert main(["project", "info", str(plan)]) == 0
    out = capsys.readouterr().out
    assert "linked, missing" in out and "firms.geojson" in out


def _bad_files(tmp_path: Path, resources: Path) -> dict[str, tuple[Path, str]]:
    missing = tmp_path / "gone.gpkg"
    text = tmp_path / "text.gpkg"
    text.write_text("hello", encoding="utf-8")
    good = tmp_path / "good.gpkg"
    assert main(["project", "create", str(good)]) == 0
    truncated = tmp_path / "cut.gpkg"
    truncated.write_bytes(good.read_bytes()[:200_000])
    newer = tmp_path / "newer.gpkg"
    newer.write_bytes(good.read_bytes())
    with sqlite3.connect(newer) as con:
        con.execute("UPDATE dp_meta SET value = '99' WHERE key = 'format_version'")
    plain = tmp_path / "plain.gpkg"
    gpd.read_file(resources / "sample_city.gpkg", layer="transit_stops").to_file(
        plain, layer="stops", driver="GPKG")
    return {
        "missing": (missing, "no such file"),
        "text": (text, "not a GeoPackage"),
        "truncated": (truncated, "damaged or incomplete"),
        "newer": (newer, "Update District Planner"),
        "plain": (plain, "not a District Planner project"),
    }


@pytest.mark.parametrize("command", [["project", "info"], ["metrics", "--project"]])
def test_every_bad_project_file_gives_one_line_and_exit_2(resources, tmp_path, capsys,
                                                          command):
    for name, (path, words) in _bad_files(tmp_path, resources).items():
        capsys.readouterr()
        assert main([*command, str(path)]) == 2, name
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.count("\n") == 1, (name, captured.err)
        assert words in captured.err and path.name in captured.err, (name, captured.err)
        assert "Traceback" not in captured.err


def test_metrics_project_refuses_layer_options(resources, tmp_path, capsys):
    plan = tmp_path / "plan.gpkg"
    assert main(["project", "create", str(plan)]) == 0
    capsys.readouterr()
    assert main(["metrics", "--project", str(plan), "--district", "x.geojson"]) == 2
    assert "--district" in capsys.readouterr().err
    assert load_project(plan).districts
