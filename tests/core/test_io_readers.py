"""Reading real files: ones shipped by pyogrio and libpysal, ones written by GDAL (through
pyogrio and rasterio) in tmp_path, and hand-written tables as planning offices export them."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import rasterio.shutil
from rasterio.transform import from_origin
from shapely.geometry import LineString, Point, Polygon

from districtplanner.analysis.raster import Raster
from districtplanner.analysis.roles import LayerRole
from districtplanner.io import readers as r
from districtplanner.io.errors import Cancelled, CoordinatesOutOfRange, MissingCRS
from districtplanner.io.loaded import LoadedLayer
from districtplanner.paths import sample_city_dir

PYOGRIO_DATA = Path(pyogrio.__file__).parent / "tests" / "fixtures"
LIBPYSAL_DATA = Path(pytest.importorskip("libpysal").__file__).parent / "examples"
BERLIN_ZIP = LIBPYSAL_DATA / "berlin" / "prenzlauer.zip"  # Airbnb listings, zipped shapefile
NATURAL_EARTH = PYOGRIO_DATA / "naturalearth_lowres" / "naturalearth_lowres.shp"
BALTIMORE = LIBPYSAL_DATA / "baltim" / "baltimore.geojson"
COLUMBUS = LIBPYSAL_DATA / "columbus" / "columbus.shp"  # no .prj
OSM_PBF = PYOGRIO_DATA / "sample.osm.pbf"
SOHO = LIBPYSAL_DATA / "snow_maps" / "SohoPeople.shp"
BERLIN = (13.40, 52.52)


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not installed")
    return path


def _points(n: int = 5) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    return gpd.GeoDataFrame(
        {"name": [f"firm {i}" for i in range(n)],
         "naics": rng.choice(["541310", "512110", "722511"], n),
         "employees": rng.integers(1, 50, n)},
        geometry=[Point(BERLIN[0] + 0.01 * i, BERLIN[1] + 0.005 * i) for i in range(n)],
        crs="EPSG:4326")


# ------------------------------------------------------- files shipped by other projects


def test_zipped_shapefile_from_libpysal() -> None:
    path = _need(BERLIN_ZIP)
    layers = r.list_layers(path)
    assert [(i.name, i.geometry_type, i.feature_count, i.crs) for i in layers] == [
        ("prenzlauer", "Point", 2203, "EPSG:3857")]
    pv = r.preview(path, n=5)
    assert len(pv.rows) == 5 and pv.columns[-1] == "geometry" and pv.crs == "EPSG:3857"
    assert pv.role == LayerRole.RENTS and pv.mapping["rent"] == "price"
    layer = r.read_layer(path)
    assert isinstance(layer, LoadedLayer) and layer.source == str(path)
    assert layer.data.crs.to_epsg() == 32633 and len(layer.data) == 2203
    # Prenzlauer Berg lies 2-5 km north-east of the centre of Berlin.
    x, y = layer.data.geometry.x.median(), layer.data.geometry.y.median()
    ref = gpd.GeoSeries([Point(*BERLIN)], crs=4326).to_crs(32633).iloc[0]
    assert 1000 < np.hypot(x - ref.x, y - ref.y) < 6000


def test_geopackage_from_pyogrio_and_shapefile_with_prj() -> None:
    layer = r.read_layer(_need(PYOGRIO_DATA / "test_gpkg_nulls.gpkg"),
                         project_crs="EPSG:32631")
    assert len(layer.data) == 4 and layer.data.crs.to_epsg() == 32631
    soho = r.read_layer(_need(SOHO))  # John Snow's Soho, in web mercator
    assert soho.data.crs.to_epsg() == 32630 and len(soho.data) == 324


def test_world_polygons_into_a_world_crs_and_refused_into_utm() -> None:
    path = _need(NATURAL_EARTH)
    pv = r.preview(path)
    assert pv.geometry_kind == "polygon" and pv.row_count == 177
    world = r.read_layer(path, project_crs="EPSG:8857")  # Equal Earth, metres
    assert np.isfinite(world.data.total_bounds).all() and len(world.data) == 177
    with pytest.raises(CoordinatesOutOfRange, match="360° of longitude"):
        r.read_layer(path)


def test_real_file_with_wrong_crs_and_file_without_crs() -> None:
    # libpysal's Baltimore house prices declare WGS 84 but hold local grid units.
    with pytest.raises(CoordinatesOutOfRange, match="outside what WGS 84 allows"):
        r.read_layer(_need(BALTIMORE))
    with pytest.raises(MissingCRS) as exc:
        r.read_layer(_need(COLUMBUS))
    assert exc.value.guess == "EPSG:4326"
    assert r.preview(COLUMBUS).guessed_crs == "EPSG:4326"
    layer = r.read_layer(COLUMBUS, source_crs="EPSG:4326")
    assert layer.role == LayerRole.NEIGHBOURHOODS and layer.mapping["median_income"] == "INC"


def test_osm_pbf_layers_and_tags() -> None:
    path = _need(OSM_PBF)
    names = [i.name for i in r.list_layers(path)]
    assert names[:4] == ["points", "lines", "multilinestrings", "multipolygons"]
    lines = r.read_layer(path, layer="lines")
    assert lines.data.geom_type.isin(["LineString"]).all()
    pts = r.read_layer(path, layer="points", role="establishments",
                       mapping={"sector": "other_tags", "sector_scheme": "osm"})
    assert pts.mapping["sector"] == r.SECTOR_COLUMN and pts.mapping["sector_scheme"] == "osm"
    assert len(pts.data[r.SECTOR_COLUMN]) == len(pts.data)


# ------------------------------------------------------- files written by GDAL in tmp_path


@pytest.mark.parametrize(("ext", "driver"), [
    ("gpkg", "GPKG"), ("geojson", "GeoJSON"), ("fgb", "FlatGeobuf"), ("kml", "KML"),
    ("shp", "ESRI Shapefile"),
])
def test_vector_formats_written_by_gdal(tmp_path: Path, ext: str, driver: str) -> None:
    path = tmp_path / f"firms.{ext}"
    pyogrio.write_dataframe(_points(), path, driver=driver)
    layer = r.read_layer(path)
    assert layer.data.crs.to_epsg() == 32633 and len(layer.data) == 5
    if ext != "kml":  # KML keeps only name/description
        assert layer.role == LayerRole.ESTABLISHMENTS
        assert layer.mapping["jobs"] == "employees" and layer.mapping["sector_scheme"] == "naics"
        assert set(layer.data[r.SECTOR_COLUMN]) <= {"architecture", "film_tv", "hospitality"}


@pytest.mark.filterwarnings("ignore:Normalized/laundered field name")
def test_geopackage_with_several_layers_and_zip_of_shapefiles(tmp_path: Path) -> None:
    gpkg = tmp_path / "city.gpkg"
    pyogrio.write_dataframe(_points(), gpkg, layer="firms")
    hoods = gpd.GeoDataFrame(
        {"name": ["Mitte"], "einwohner": [100_000], "mieterquote": [84.0]},
        geometry=[Polygon([(13.3, 52.5), (13.5, 52.5), (13.5, 52.55), (13.3, 52.55)])],
        crs=4326)
    pyogrio.write_dataframe(hoods, gpkg, layer="ortsteile")
    info = {i.name: i for i in r.list_layers(gpkg)}
    assert info["firms"].geometry_type == "Point" and info["ortsteile"].feature_count == 1
    pv = r.preview(gpkg, layer="ortsteile")
    assert pv.role == LayerRole.NEIGHBOURHOODS and pv.mapping["population"] == "einwohner"
    nb = r.read_layer(gpkg, layer="ortsteile")
    assert nb.mapping["renter_share"] == r.RENTER_SHARE_COLUMN
    assert nb.data[r.RENTER_SHARE_COLUMN].iloc[0] == pytest.approx(0.84)
    # Two shapefiles in one zip, as downloaded from an open-data portal.
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    pyogrio.write_dataframe(_points(), shp_dir / "firms.shp")
    pyogrio.write_dataframe(hoods, shp_dir / "hoods.shp")
    z = tmp_path / "portal.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f"data/{f.name}")
    assert sorted(i.name for i in r.list_layers(z)) == ["firms", "hoods"]
    assert len(r.read_layer(z, layer="hoods").data) == 1


def test_xlsx_sheet_written_by_gdal_reads_without_openpyxl(tmp_path: Path) -> None:
    df = pd.DataFrame({"Name": ["A", "B"], "Branche": ["Architektur", "Film"],
                       "Beschäftigte": [4, 9], "lon": [13.40, 13.41], "lat": [52.52, 52.53]})
    path = tmp_path / "firmen.xlsx"
    pyogrio.write_dataframe(df, path, driver="XLSX", layer="Betriebe")
    assert [(i.name, i.kind) for i in r.list_layers(path)] == [("Betriebe", "table")]
    pv = r.preview(path)
    assert pv.coordinate_columns == ("lon", "lat") and pv.role == LayerRole.ESTABLISHMENTS
    layer = r.read_layer(path)
    assert list(layer.data[r.SECTOR_COLUMN]) == ["architecture", "film_tv"]


def test_geotiff_rent_surface_with_nodata(tmp_path: Path) -> None:
    path = tmp_path / "miete_qm_jahr.tif"
    values = np.full((20, 30), 180.0, dtype="float32")
    values[0, 0] = -9999.0
    with rasterio.open(path, "w", driver="GTiff", width=30, height=20, count=1,
                       dtype="float32", crs="EPSG:25833", nodata=-9999.0,
                       transform=from_origin(390000, 5822000, 100, 100)) as dst:
        dst.write(values, 1)
    pv = r.preview(path)
    assert pv.kind == "raster" and pv.role == LayerRole.RENTS and pv.crs == "EPSG:25833"
    layer = r.read_layer(path, project_crs="EPSG:25833")
    assert isinstance(layer.data, Raster) and layer.role == LayerRole.RENTS
    assert np.isnan(layer.data.values[0, 0])
    assert np.nanmax(layer.data.values) == pytest.approx(15.0)  # 180 a year -> 15 a month
    assert layer.data.unit == "EUR/m²/month" and layer.mapping["rent_unit"] == "m2_year"
    warped = r.read_layer(path, project_crs="EPSG:32633")
    assert warped.data.crs == "EPSG:32633"
    assert np.nanmedian(warped.data.values) == pytest.approx(15.0)


@pytest.mark.parametrize(("driver", "ext"), [("MBTiles", "mbtiles"), ("GPKG", "gpkg")])
def test_offline_basemap_tiles(tmp_path: Path, driver: str, ext: str) -> None:
    src = tmp_path / "rgb.tif"
    rgb = np.zeros((3, 128, 128), dtype="uint8")
    rgb[0] = 200  # red everywhere, so the packed colour is known
    with rasterio.open(src, "w", driver="GTiff", width=128, height=128, count=3,
                       dtype="uint8", crs="EPSG:3857",
                       transform=from_origin(1491000, 6902000, 20, 20)) as dst:
        dst.write(rgb)
    path = tmp_path / f"basemap.{ext}"
    rasterio.shutil.copy(src, path, driver=driver)
    info = r.list_layers(path)
    assert info[0].kind == "tiles"
    layer = r.read_layer(path, project_crs="EPSG:32633")
    assert layer.role == LayerRole.BASEMAP and layer.data.unit == "argb32"
    v = layer.data.values
    assert v.dtype == np.uint32
    centre = int(v[v.shape[0] // 2, v.shape[1] // 2])
    assert centre >> 24 == 255 and (centre >> 16) & 0xFF == pytest.approx(200, abs=2)


# --------------------------------------------------------------------- planners' tables


def test_german_excel_csv_semicolon_decimal_comma_cp1252(tmp_path: Path) -> None:
    text = ("Firma;Branche;Beschäftigte;Länge;Breite\n"
            "Müller Architektur;Architektur;12;13,4050;52,5200\n"
            "Tonstudio Süd;Musik;3;13,4123;52,4987\n"
            "Bäckerei Kühn;Bäckerei;7;13,3990;52,5101\n")
    path = tmp_path / "betriebe.csv"
    path.write_bytes(text.encode("cp1252"))
    pv = r.preview(path)
    assert (pv.encoding, pv.delimiter, pv.decimal) == ("cp1252", ";", ",")
    assert pv.coordinate_columns == ("Länge", "Breite")
    assert pv.role == LayerRole.ESTABLISHMENTS
    assert pv.mapping == {"sector": "Branche", "jobs": "Beschäftigte", "name": "Firma"}
    assert pv.sector_scheme == "names" and pv.unknown_categories == ["Bäckerei"]
    assert pv.rows[0][0] == "Müller Architektur"
    assert "jobs" in pv.candidates and pv.candidates["jobs"][0] == "Beschäftigte"
    layer = r.read_layer(path)
    assert list(layer.data[r.SECTOR_COLUMN]) == ["architecture", "music_performing",
                                                 "Bäckerei"]
    assert layer.data["Beschäftigte"].tolist() == [12.0, 3.0, 7.0]
    assert any("not UTF-8" in w for w in layer.warnings)
    assert any("'Bäckerei' (1 rows)" in w for w in layer.warnings)
    mapped = r.read_layer(path, sector_overrides={"Bäckerei": "retail"})
    assert mapped.data[r.SECTOR_COLUMN].iloc[2] == "retail"
    assert not any("categories" in w for w in mapped.warnings)
    scheme, unknown = r.unknown_categories(path, "Branche")
    assert scheme == "names" and unknown == [("Bäckerei", 1)]


def test_csv_with_projected_xy_needs_a_crs(tmp_path: Path) -> None:
    path = tmp_path / "stellen.csv"
    path.write_text("id,x,y,sector\n1,391000.5,5820000.0,film_tv\n2,392500,5821500,retail\n")
    with pytest.raises(MissingCRS) as exc:
        r.read_layer(path)
    assert exc.value.guess is None
    layer = r.read_layer(path, source_crs="EPSG:25833", project_crs="EPSG:25833")
    assert layer.data.geometry.x.tolist() == [391000.5, 392500.0]


def test_csv_with_wkt_polygons_and_rents_per_dwelling(tmp_path: Path) -> None:
    path = tmp_path / "blocks.csv"
    path.write_text(
        'block,monthly_rent,wohnflaeche,wkt\n'
        'a,1400,70,"POLYGON ((13.40 52.52, 13.41 52.52, 13.41 52.53, 13.40 52.52))"\n'
        'b,700,35,"POLYGON ((13.42 52.52, 13.43 52.52, 13.43 52.53, 13.42 52.52))"\n')
    layer = r.read_layer(path, role="rents", source_crs="EPSG:4326")
    assert layer.mapping["rent_unit"] == "unit_month"
    assert layer.mapping["floor_area"] == "wohnflaeche"
    assert layer.data[r.RENT_COLUMN].tolist() == pytest.approx([20.0, 20.0])
    assert (layer.data.geom_type == "Polygon").all()


def test_gtfs_stops_plain_and_zipped(tmp_path: Path) -> None:
    stops = ("stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
             "S1,Alexanderplatz,52.5219,13.4132,1,\n"
             "S1a,Alexanderplatz Gleis 1,52.5218,13.4130,0,S1\n"
             "E1,Alexanderplatz Ausgang,52.5221,13.4135,2,S1\n"
             "070201,Rosenthaler Platz,52.5297,13.4014,,\n")
    path = tmp_path / "stops.txt"
    path.write_text(stops, encoding="utf-8")
    layer = r.read_layer(path)
    assert layer.role == LayerRole.TRANSIT_STOPS and layer.mapping["name"] == "stop_name"
    # The platform S1a counts once, as its station S1; ids keep their leading zeros.
    assert layer.data["stop_id"].tolist() == ["S1", "070201"]
    assert any("entrances" in w for w in layer.warnings)
    assert any("1 platforms of 1 stations count once" in w for w in layer.warnings)
    feed = tmp_path / "vbb.zip"
    with zipfile.ZipFile(feed, "w") as zf:
        zf.writestr("stops.txt", stops)
        zf.writestr("routes.txt", "route_id,route_short_name\nU2,U2\n")
    assert len(r.read_layer(feed).data) == 2


def test_progress_rises_to_one_and_cancel_raises(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    n = 2 * r.CSV_CHUNK_ROWS + 10
    pd.DataFrame({"lon": np.full(n, 13.4), "lat": np.full(n, 52.5),
                  "sector": "film_tv"}).to_csv(path, index=False)
    seen: list[float] = []
    layer = r.read_layer(path, progress=seen.append)
    assert len(layer.data) == n
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 5
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Cancelled):
        r.read_layer(path, cancel=cancel)


def test_read_files_common_crs_and_far_layer_warning(tmp_path: Path) -> None:
    berlin = tmp_path / "berlin.geojson"
    pyogrio.write_dataframe(_points(), berlin)
    paris = tmp_path / "paris.csv"
    paris.write_text("name,lon,lat\nLouvre,2.3376,48.8606\n")
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"not a geopackage at all" * 10)
    layers, errors = r.read_files([berlin, paris, broken])
    assert [type(e).__name__ for e in errors] == ["UnreadableFile"]
    assert {lyr.data.crs.to_epsg() for lyr in layers} == {32632}  # centre of both
    warning = next(w for w in layers[1].warnings if "km from the other layers" in w)
    assert "'paris'" in warning and " 8" in warning  # Paris-Berlin: ~870 km


def test_sample_city_reads_with_the_roles_it_was_made_for() -> None:
    from districtplanner.io.sample import SAMPLE_LAYERS

    gpkg = sample_city_dir() / "sample_city.gpkg"
    if not gpkg.exists():
        pytest.skip("the sample city has not been generated yet")
    for info in r.list_layers(gpkg):
        expected = SAMPLE_LAYERS.get(info.name, (LayerRole.CONTEXT, {}))[0]
        assert r.preview(gpkg, layer=info.name).role == expected, info.name
        layer = r.read_layer(gpkg, layer=info.name)
        assert layer.role == expected and len(layer.data) > 0 and layer.warnings == []
        assert layer.data.crs.to_epsg() == _utm_epsg(info.crs)
    rent = r.read_layer(sample_city_dir() / "rent.tif")
    assert rent.role == LayerRole.RENTS and rent.data.unit == "EUR/m²/month"


def _utm_epsg(crs: str | None) -> int:
    assert crs is not None and crs.startswith("EPSG:326")  # made in a UTM zone: kept as is
    return int(crs.split(":")[1])


def test_lines_and_invalid_polygons_get_repaired(tmp_path: Path) -> None:
    bowtie = Polygon([(13.40, 52.50), (13.42, 52.52), (13.42, 52.50), (13.40, 52.52)])
    ok = Polygon([(13.43, 52.50), (13.44, 52.50), (13.44, 52.51)])
    path = tmp_path / "blocks.geojson"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[bowtie, ok],
                                             crs=4326), path)
    layer = r.read_layer(path)
    assert layer.data.is_valid.all()
    assert any("1 invalid geometries" in w and "rows 1" in w for w in layer.warnings)
    lines = tmp_path / "u_bahn_linien.geojson"
    pyogrio.write_dataframe(gpd.GeoDataFrame(
        {"linie": ["U2"]}, geometry=[LineString([(13.38, 52.50), (13.42, 52.53)])], crs=4326),
        lines)
    tl = r.read_layer(lines)
    assert tl.role == LayerRole.TRANSIT_LINES


def test_institutions_get_analysis_types(tmp_path: Path) -> None:
    path = tmp_path / "kultur_einrichtungen.csv"
    path.write_text("name,art,lon,lat\nBode-Museum,Museum,13.3947,52.5221\n"
                    "Volksbühne,Theater,13.4115,52.5270\nZoo,Zoo,13.3372,52.5079\n",
                    encoding="utf-8")
    pv = r.preview(path)
    assert pv.role == LayerRole.INSTITUTIONS and pv.mapping["type"] == "art"
    layer = r.read_layer(path)
    assert layer.mapping["type"] == r.INSTITUTION_TYPE_COLUMN
    assert list(layer.data[r.INSTITUTION_TYPE_COLUMN]) == ["museum", "theatre", "Zoo"]
    assert any("'Zoo' (1 rows)" in w for w in layer.warnings)


def test_layers_laid_out_like_the_sample_city_get_their_roles(tmp_path: Path) -> None:
    gpkg = tmp_path / "city.gpkg"
    sq = Polygon([(13.40, 52.50), (13.42, 52.50), (13.42, 52.52), (13.40, 52.52)])
    pt = Point(13.41, 52.51)
    frames = {
        "neighbourhoods": ({"name": ["Mitte"], "population": [9000], "households": [4000],
                            "median_income": [31000.0], "renter_share": [0.8],
                            "rent_growth": [0.03]}, sq),
        "transit_lines": ({"name": ["U2"]}, LineString([(13.40, 52.50), (13.42, 52.52)])),
        "establishments": ({"name": ["A"], "sector": ["film_tv"], "employees": [4]}, pt),
        "rent_points": ({"rent": [14.5]}, pt),
        "institutions": ({"name": ["B"], "type": ["museum"]}, pt),
        "transit_stops": ({"name": ["S"], "line": ["U2"]}, pt),
        "example_districts": ({"name": ["D"], "colour": ["#0072B2"], "notes": ["n"]}, sq),
    }
    for name, (cols, geom) in frames.items():
        pyogrio.write_dataframe(gpd.GeoDataFrame(cols, geometry=[geom], crs=4326), gpkg,
                                layer=name)
    roles = {i.name: r.preview(gpkg, layer=i.name).role for i in r.list_layers(gpkg)}
    assert roles == {
        "neighbourhoods": LayerRole.NEIGHBOURHOODS, "transit_lines": LayerRole.TRANSIT_LINES,
        "establishments": LayerRole.ESTABLISHMENTS, "rent_points": LayerRole.RENTS,
        "institutions": LayerRole.INSTITUTIONS, "transit_stops": LayerRole.TRANSIT_STOPS,
        "example_districts": LayerRole.DISTRICTS,
    }
    nb = r.read_layer(gpkg, layer="neighbourhoods")
    assert {k: nb.mapping[k] for k in ("population", "households", "median_income",
                                        "rent_growth")} == {
        "population": "population", "households": "households",
        "median_income": "median_income", "rent_growth": "rent_growth"}
    assert nb.mapping["renter_share_unit"] == "share"
    est = r.read_layer(gpkg, layer="establishments")
    assert est.mapping["jobs"] == "employees" and est.data[r.SECTOR_COLUMN].iloc[0] == "film_tv"


def test_osm_poi_export_with_one_column_per_key(tmp_path: Path) -> None:
    # As Overpass turbo exports POIs: one column per tag key, most of them empty.
    pois = gpd.GeoDataFrame(
        {"name": ["Volksbühne", "Atelier", "Büro X", "Bäcker"],
         "amenity": ["theatre", None, None, None], "craft": [None, "pottery", None, None],
         "office": [None, None, "architect", None], "shop": [None, None, None, "bakery"]},
        geometry=[Point(13.41 + i / 1000, 52.52) for i in range(4)], crs=4326)
    path = tmp_path / "pois.geojson"
    pyogrio.write_dataframe(pois, path)
    pv = r.preview(path)
    assert pv.role == LayerRole.ESTABLISHMENTS and pv.mapping["sector"] == "amenity"
    layer = r.read_layer(path)
    assert layer.mapping["sector_scheme"] == "osm"
    assert list(layer.data[r.SECTOR_COLUMN]) == ["music_performing", "crafts_visual_arts",
                                                 "architecture", "retail"]
    assert r.unknown_categories(path, "amenity") == ("osm", [])
    with pytest.raises(r.MissingColumn):
        r.unknown_categories(path, "sector")


# ------------------------------------------------ an OSM point-of-interest extract as exported

REAL = Path(__file__).parent.parent / "data" / "real"
OSM_POIS = REAL / "osm_pois_mitte.geojson"  # Overpass-style: nodes, building outlines, lines


def test_osm_pois_mixed_geometry_become_points_and_say_so() -> None:
    """Building outlines and lines among the nodes of a POI extract each count once, at a
    point inside them; the preview says so before anything is added."""
    pv = r.preview(OSM_POIS)
    assert pv.role == LayerRole.ESTABLISHMENTS and pv.geometry_kind == "mixed"
    assert pv.geometry_counts == {"point": 24, "polygon": 5, "line": 2}
    assert any("5 polygons and 2 lines will count as one point" in m for m in pv.messages)
    layer = r.read_layer(OSM_POIS)
    assert (layer.data.geom_type == "Point").all()
    assert any("5 polygons and 2 lines counts as one point" in w for w in layer.warnings)
    raw = r.read_ogr(OSM_POIS, None).set_index("@id").to_crs(layer.data.crs)
    cinema = layer.data.loc[layer.data["name"] == "Kino Babylon"].geometry.iloc[0]
    assert raw.loc["way/101"].geometry.contains(cinema)


def test_osm_non_business_tags_are_left_out_and_counted() -> None:
    pv = r.preview(OSM_POIS)
    assert any("12 of the first 31 features are not establishments" in m for m in pv.messages)
    layer = r.read_layer(OSM_POIS)
    assert len(layer.data) == 31 - 12
    note = next(w for w in layer.warnings if "not establishments" in w)
    assert "5 amenity=bench" in note and "2 amenity=vending_machine" in note
    assert "3 amenity=bicycle_parking" in note and "2 amenity=waste_basket" in note
    assert "bench" not in set(layer.data["amenity"].dropna())
    # As context the same file keeps every feature (nothing is a business question there).
    ctx = r.read_layer(OSM_POIS, role="context", mapping={"keep_geometry": "point"})
    assert len(ctx.data) == 24 and not any("not establishments" in w for w in ctx.warnings)


def test_mixed_layer_for_a_polygon_role_keeps_the_chosen_type() -> None:
    with pytest.raises(r.MixedGeometry, match="choose which geometry type to keep"):
        r.read_layer(OSM_POIS, role="context")
    note, refused = r.geometry_note({"point": 24, "polygon": 5, "line": 2}, "context")
    assert refused and "mixes geometry types" in note
    note, refused = r.geometry_note({"point": 24, "polygon": 5, "line": 2}, "neighbourhoods")
    assert not refused and note.startswith("Only the 5 polygons will be kept")
    nb = r.read_layer(OSM_POIS, role="neighbourhoods")
    assert len(nb.data) == 5 and set(nb.data.geom_type) <= {"Polygon", "MultiPolygon"}
    assert any("24 points and 2 lines will be left out" in w for w in nb.warnings)


def test_one_malformed_ring_does_not_make_the_layer_unreadable(tmp_path: Path) -> None:
    """An unclosed ring (as OSM tools export broken relations) made pyogrio raise for the
    whole layer; now it is closed, a two-point ring is dropped, a bow-tie repaired."""
    with pytest.raises(Exception, match="closed linestring"):
        pyogrio.read_dataframe(OSM_POIS)
    layer = r.read_layer(OSM_POIS)
    assert "Volksbühne" in set(layer.data["name"])
    assert any("1 features had malformed rings" in w and "1 were repaired" in w
               for w in layer.warnings)
    assert any("1 invalid geometries" in w for w in layer.warnings)
    path = tmp_path / "hoods.geojson"
    text = OSM_POIS.read_text(encoding="utf-8")
    # A ring of two distinct points cannot be repaired into an area: skipped, and said.
    text = text.replace('"coordinates":[[[13.4', '"coordinates":[[[13.4', 1)
    path.write_text(text.replace(
        '{"type":"Polygon","coordinates":[[[13.412',
        '{"type":"Polygon","coordinates":[[[13.0,52.0],[13.1,52.0],[13.0,52.0]]]},"x":'
        '{"type":"Polygon","coordinates":[[[13.412', 1), encoding="utf-8")
    nb = r.read_layer(path, role="neighbourhoods")
    assert "Kunsthaus" not in set(nb.data["name"]) and len(nb.data) == 4
    assert any("collapsed to nothing" in w for w in nb.warnings)


def test_gtfs_parent_station_and_platforms_are_one_stop(tmp_path: Path) -> None:
    stops = ("stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
             "900100003,S+U Alexanderplatz,52.5219,13.4115,1,\n"
             "060100003711,S+U Alexanderplatz Gleis 1,52.5216,13.4124,0,900100003\n"
             "060100003712,S+U Alexanderplatz Gleis 2,52.5217,13.4126,0,900100003\n"
             "070201053601,U Rosa-Luxemburg-Platz,52.5281,13.4105,0,\n"
             "070201053602,Bus Torstr.,52.5290,13.4100,0,900999999\n")
    path = tmp_path / "stops.txt"
    path.write_text(stops, encoding="utf-8")
    layer = r.read_layer(path)
    # A platform whose parent is not in the file stays a stop of its own.
    assert layer.data["stop_name"].tolist() == [
        "S+U Alexanderplatz", "U Rosa-Luxemburg-Platz", "Bus Torstr."]
    assert any("2 platforms of 1 stations count once" in w for w in layer.warnings)


def _six_band_image(path: Path, dtype: str = "uint16") -> np.ndarray:
    """Like a Sentinel-2 extract: six bands of reflectances (0-10000), band 4 differing."""
    rng = np.random.default_rng(6)
    bands = rng.integers(200, 4000, (6, 20, 30)).astype(dtype)
    with rasterio.open(path, "w", driver="GTiff", width=30, height=20, count=6, dtype=dtype,
                       crs="EPSG:25833", transform=from_origin(390000, 5822000, 100, 100)) as d:
        d.write(bands)
    return bands


def test_raster_band_chosen_is_the_band_read(tmp_path: Path) -> None:
    path = tmp_path / "scene.tif"
    bands = _six_band_image(path)
    layer = r.read_layer(path, role="context", mapping={"band": "band 4"},
                         project_crs="EPSG:25833")
    np.testing.assert_array_equal(layer.data.values, bands[3].astype(float))
    assert layer.mapping["band"] == "band 4"
    # A rent surface: the dialog's Rent value names the band.
    rents = tmp_path / "miete_qm_monat.tif"
    vals = np.stack([np.full((20, 30), 99.0), np.full((20, 30), 12.5)]).astype("float32")
    with rasterio.open(rents, "w", driver="GTiff", width=30, height=20, count=2,
                       dtype="float32", crs="EPSG:25833",
                       transform=from_origin(390000, 5822000, 100, 100)) as d:
        d.write(vals)
    pv = r.preview(rents)
    assert "rent" not in pv.mapping and any("2 bands" in m for m in pv.messages)
    with pytest.raises(r.NotRents, match=r"2 bands and none was chosen.*choose which band"):
        r.read_layer(rents, role="rents", project_crs="EPSG:25833")
    got = r.read_layer(rents, role="rents", mapping={"rent": "band 2"},
                       project_crs="EPSG:25833")
    assert np.nanmedian(got.data.values) == pytest.approx(12.5)
    assert got.mapping["rent"] == "band 2"


def test_satellite_image_is_not_a_rent_surface(tmp_path: Path) -> None:
    path = tmp_path / "rent_scene.tif"
    _six_band_image(path)
    with pytest.raises(r.NotRents, match="bands and none was chosen"):
        r.read_layer(path, role="rents", project_crs="EPSG:25833")
    with pytest.raises(r.NotRents, match=r"not plausible rents.*EUR/m² a month"):
        r.read_layer(path, role="rents", mapping={"band": "band 4", "rent_unit": "m2_month"},
                     project_crs="EPSG:25833")


def test_read_files_a_multi_layer_file_whose_first_layer_is_unusable(tmp_path: Path) -> None:
    """New plan from files: every layer of a GeoPackage loads; a first layer that cannot
    be read (only empty geometries) is reported by name and does not stop the others."""
    gpkg = tmp_path / "office.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"note": ["draft"]}, geometry=[None],
                                             crs=4326), gpkg, layer="sketch",
                            geometry_type="Point")
    pyogrio.write_dataframe(_points(), gpkg, layer="firms", append=True)
    hoods = gpd.GeoDataFrame({"households": [100]}, geometry=[Polygon(
        [(13.39, 52.51), (13.45, 52.51), (13.45, 52.54), (13.39, 52.54)])], crs=4326)
    pyogrio.write_dataframe(hoods, gpkg, layer="neighbourhoods", append=True)
    layers, errors = r.read_files([gpkg])
    assert sorted(la.role.value for la in layers) == ["establishments", "neighbourhoods"]
    (err,) = errors
    assert "layer 'sketch'" in str(err) and "office.gpkg" in str(err)
