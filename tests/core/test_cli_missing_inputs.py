"""`metrics` on a city without a rent layer: nulls with reasons in JSON, '–' and the reason
in the table, never a crash or a made-up 'low' (issue 11)."""

from __future__ import annotations

import json

import pytest

from districtplanner.cli import main
from districtplanner.sample_city import generate_city


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("norents")
    c = generate_city(3000)
    c.establishments.to_file(d / "est.gpkg")
    c.neighbourhoods.to_file(d / "nb.gpkg")
    c.example_districts.to_file(d / "districts.geojson", driver="GeoJSON")
    return ["--establishments", str(d / "est.gpkg"), "--neighbourhoods", str(d / "nb.gpkg"),
            "--district", str(d / "districts.geojson")]


def test_json_has_nulls_with_reasons_naming_the_cli_option(files, capsys):
    assert main(["metrics", "--json", *files]) == 0
    doc = json.loads(capsys.readouterr().out)
    for e in doc["districts"]:
        aff = e["affordability"]
        assert aff["displacement_class"] is None and aff["creative_firms_priced_out"] is None
        assert "--rents FILE" in aff["missing"]["affordability.displacement"]
        assert aff["households"] > 0  # households need no rents


def test_table_shows_a_dash_and_the_reason(files, capsys):
    assert main(["metrics", *files]) == 0
    out = capsys.readouterr().out
    assert "Not computed (–):" in out and "no rent layer" in out
    assert "None" not in out and "low" not in out.split("Displacement class")[1].splitlines()[0]
