"""Districts round-trip through GeoJSON (WGS 84) and GeoPackage (project CRS)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import MultiPolygon, Point, Polygon, box

from districtplanner.io.districts import read_districts, write_districts
from districtplanner.io.errors import (
    EmptyFile,
    MissingCRS,
    MixedGeometry,
    UnreadableFile,
    UnsupportedFormat,
)

UTM = "EPSG:32633"
# Two blocks in Berlin's UTM zone (metres).
A = box(390000, 5818000, 391000, 5819000)
B = MultiPolygon([box(392000, 5818000, 392500, 5818500), box(393000, 5818000, 393400, 5818400)])


@dataclass
class _District:  # what model.District offers: attributes, not a dict
    name: str
    geometry: object
    colour: str
    notes: str


@pytest.mark.parametrize("ext", ["geojson", "gpkg"])
def test_round_trip(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"plan.{ext}"
    districts = [
        {"name": "Kreativquartier Nord", "geometry": A, "colour": "#0072B2",
         "notes": "Ateliers über der Markthalle"},
        _District("Süd", B, "#009E73", ""),
    ]
    write_districts(path, districts, crs=UTM)
    back = read_districts(path, project_crs=UTM)
    assert [d["name"] for d in back] == ["Kreativquartier Nord", "Süd"]
    assert [d["colour"] for d in back] == ["#0072B2", "#009E73"]
    assert back[0]["notes"] == "Ateliers über der Markthalle"
    assert back[0]["geometry"].symmetric_difference(A).area < 1.0  # m², after a WGS 84 trip
    assert back[1]["geometry"].geom_type == "MultiPolygon"
    assert not any(d["invalid"] for d in back)
    if ext == "geojson":  # RFC 7946: longitude/latitude
        coords = json.loads(path.read_text())["features"][0]["geometry"]["coordinates"]
        lon, lat = coords[0][0]
        assert 13 < lon < 14 and 52 < lat < 53


def test_gpkg_keeps_project_crs_and_replaces_layer(tmp_path: Path) -> None:
    path = tmp_path / "plan.gpkg"
    write_districts(path, [{"name": "a", "geometry": A}], crs=UTM)
    write_districts(path, [{"name": "b", "geometry": A}, {"name": "c", "geometry": B}], crs=UTM)
    assert pyogrio.read_info(path, layer="districts")["crs"] == UTM
    back = read_districts(path)
    assert [d["name"] for d in back] == ["b", "c"] and back[0]["colour"] == "#D55E00"


def test_read_districts_written_by_another_tool(tmp_path: Path) -> None:
    # As QGIS would save them: other field names, a bad colour, an invalid polygon.
    bowtie = Polygon([(13.40, 52.50), (13.42, 52.52), (13.42, 52.50), (13.40, 52.52)])
    gdf = gpd.GeoDataFrame({"Name": [None, "Mitte"], "color": ["red", "#CC79A7"],
                            "other": [1, 2]},
                           geometry=[bowtie, box(13.38, 52.51, 13.41, 52.53)], crs=4326)
    path = tmp_path / "qgis.geojson"
    pyogrio.write_dataframe(gdf, path)
    back = read_districts(path, project_crs=UTM)
    assert [d["name"] for d in back] == ["District 1", "Mitte"]
    assert [d["colour"] for d in back] == ["#D55E00", "#CC79A7"]
    # Returned as drawn and marked: the plan repairs it by its one rule when it is added.
    assert back[0]["invalid"] and not back[0]["geometry"].is_valid
    assert back[1]["geometry"].bounds[0] > 100000  # metres now


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_bad_district_files(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormat):
        write_districts(tmp_path / "plan.shp", [{"geometry": A}], crs=UTM)
    with pytest.raises(ValueError, match="not a polygon"):
        write_districts(tmp_path / "plan.gpkg", [{"geometry": Point(0, 0)}], crs=UTM)
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(EmptyFile):
        read_districts(empty)
    pts = tmp_path / "points.geojson"
    pyogrio.write_dataframe(gpd.GeoDataFrame(geometry=[Point(13.4, 52.5)], crs=4326), pts)
    with pytest.raises(MixedGeometry, match="must be polygons"):
        read_districts(pts)
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"garbage" * 100)
    with pytest.raises(UnreadableFile):
        read_districts(broken)
    nocrs = tmp_path / "nocrs.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame(geometry=[A]), nocrs)
    with pytest.raises(MissingCRS):
        read_districts(nocrs)
    assert read_districts(nocrs, source_crs=UTM)[0]["geometry"].equals(A)
