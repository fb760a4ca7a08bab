"""Every bad input of issue 5 gets a DataImportError naming the file (and, where it applies,
row and column) and a remedy; each test makes its own small broken file in tmp_path."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from shapely.geometry import Point, Polygon

from districtplanner.io import readers as r
from districtplanner.io.errors import (
    BadValues,
    CoordinatesOutOfRange,
    DataImportError,
    EmptyFile,
    FileTooLarge,
    FileVanished,
    MissingColumn,
    MissingCRS,
    MixedGeometry,
    NoGeometry,
    UnknownEncoding,
    UnknownLayer,
    UnreadableFile,
    UnsupportedFormat,
)

FIRMS = "name,lon,lat,sector,employees\n"


def _csv(tmp_path: Path, name: str, body: str) -> Path:
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    return p


def _says(exc: DataImportError, *parts: str) -> None:
    """The message names the file, ends as one sentence with a remedy, and has ``parts``."""
    s = str(exc)
    assert s.startswith(f"'{exc.path.name}'"), s
    assert s.endswith(".") and exc.remedy and exc.remedy.rstrip(".") in s, s
    for part in parts:
        assert part in s, (part, s)


# ----------------------------------------------------------------- unreadable / corrupt


def test_corrupt_geopackage(tmp_path: Path) -> None:
    p = tmp_path / "firms.gpkg"
    p.write_bytes(b"SQLite format 3\x00" + b"\x13" * 2000)
    with pytest.raises(UnreadableFile) as exc:
        r.read_layer(p)
    _says(exc.value, "damaged")


def test_truncated_geojson(tmp_path: Path) -> None:
    p = tmp_path / "firms.geojson"
    p.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "geom')
    with pytest.raises(UnreadableFile) as exc:
        r.preview(p)
    _says(exc.value)


def test_truncated_shapefile(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"a": [1, 2]}, geometry=[Point(13.4, 52.5), Point(13.5, 52.6)],
                           crs=4326)
    p = tmp_path / "firms.shp"
    pyogrio.write_dataframe(gdf, p)
    data = p.read_bytes()
    p.write_bytes(data[:60])  # header cut in half
    with pytest.raises(UnreadableFile) as exc:
        r.read_layer(p)
    _says(exc.value)


def test_csv_with_a_broken_row_names_the_line(tmp_path: Path) -> None:
    p = _csv(tmp_path, "firms.csv", FIRMS + "a,13.4,52.5,film_tv,3\nb,13.4,52.5,film_tv,3,x,y\n")
    with pytest.raises(UnreadableFile) as exc:
        r.read_layer(p)
    assert exc.value.row == 3
    _says(exc.value, "row 3", "the row has 7 fields where the header has 5")


def test_damaged_zip(tmp_path: Path) -> None:
    p = tmp_path / "portal.zip"
    p.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(UnreadableFile) as exc:
        r.list_layers(p)
    _says(exc.value, "zip archive is damaged")


# --------------------------------------------------------------------------- empty file


@pytest.mark.parametrize(("name", "content"), [
    ("firms.csv", b""),
    ("firms.csv", FIRMS.encode()),
    ("firms.csv", b"\n\n   \n"),
    ("firms.geojson", b'{"type": "FeatureCollection", "features": []}'),
    ("firms.gpkg", b""),
])
def test_empty_files(tmp_path: Path, name: str, content: bytes) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(EmptyFile) as exc:
        r.read_layer(p)
    _says(exc.value)


# ------------------------------------------------------------------------- no geometry


def test_table_without_coordinates(tmp_path: Path) -> None:
    p = _csv(tmp_path, "firms.csv", "name,sector,employees\na,film_tv,3\n")
    with pytest.raises(NoGeometry) as exc:
        r.read_layer(p)
    _says(exc.value, "'name', 'sector', 'employees'", "longitude/latitude")
    assert any("no geometry" in m for m in r.preview(p).messages)


def test_vector_whose_features_all_lack_geometry(tmp_path: Path) -> None:
    p = tmp_path / "firms.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"a": 1}, "geometry": None},
        {"type": "Feature", "properties": {"a": 2}, "geometry": None}]}))
    with pytest.raises(NoGeometry) as exc:
        r.read_layer(p)
    _says(exc.value)


def test_table_whose_coordinates_are_all_blank(tmp_path: Path) -> None:
    p = _csv(tmp_path, "firms.csv", FIRMS + "a,,,film_tv,3\nb,,,retail,4\n")
    with pytest.raises(NoGeometry) as exc:
        r.read_layer(p)
    assert exc.value.column == "lon"


# ---------------------------------------------------------------------- mixed geometry


def test_mixed_geometry_types(tmp_path: Path) -> None:
    p = tmp_path / "mixed.geojson"
    gdf = gpd.GeoDataFrame(
        {"a": [1, 2, 3]},
        geometry=[Point(13.4, 52.5), Point(13.41, 52.5),
                  Polygon([(13.4, 52.5), (13.5, 52.5), (13.5, 52.6)])], crs=4326)
    pyogrio.write_dataframe(gdf, p)
    with pytest.raises(MixedGeometry) as exc:
        r.read_layer(p)
    _says(exc.value, "2 points and 1 polygon", "choose which geometry type to keep")
    kept = r.read_layer(p, role="context", mapping={"keep_geometry": "polygon"})
    assert len(kept.data) == 1 and any("2 points will be left out" in w for w in kept.warnings)


# ------------------------------------------------------------------- invalid geometries


def test_invalid_geometries_are_repaired_and_counted(tmp_path: Path) -> None:
    bowtie = Polygon([(13.40, 52.50), (13.42, 52.52), (13.42, 52.50), (13.40, 52.52)])
    ring = Polygon([(13.43, 52.50), (13.45, 52.50), (13.45, 52.52), (13.43, 52.52)],
                   [[(13.44, 52.51), (13.46, 52.51), (13.46, 52.515)]])  # hole pokes out
    good = Polygon([(13.47, 52.50), (13.48, 52.50), (13.48, 52.51)])
    p = tmp_path / "blocks.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"id": [1, 2, 3]}, geometry=[bowtie, good, ring],
                                             crs=4326), p)
    layer = r.read_layer(p)
    assert layer.data.is_valid.all() and len(layer.data) == 3
    msg = next(w for w in layer.warnings if "invalid geometries" in w)
    assert msg.startswith("'blocks.gpkg': 2 invalid geometries") and "rows 1, 3" in msg
    assert layer.data.geometry.iloc[0].area > 0  # the bowtie keeps both triangles


# ------------------------------------------------------------ bad values, mapped column


def test_null_and_non_numeric_values_in_a_mapped_column(tmp_path: Path) -> None:
    rows = [f"f{i},13.4,52.5,film_tv,{i}" for i in range(10)]
    rows[3] = "f3,13.4,52.5,film_tv,n/a"
    rows[6] = "f6,13.4,52.5,film_tv,"
    rows[8] = "f8,13.4,52.5,film_tv,viele"
    p = _csv(tmp_path, "firms.csv", FIRMS + "\n".join(rows) + "\n")
    mapping = {"sector": "sector", "jobs": "employees"}
    with pytest.raises(BadValues) as exc:
        r.read_layer(p, role="establishments", mapping=mapping)
    e = exc.value
    assert (e.count, e.rows, e.column, e.row) == (3, [5, 8, 10], "employees", 5)
    _says(e, "row 5, column 'employees'", "3 of 10 values", "rows 5, 8, 10", "load anyway")
    layer = r.read_layer(p, role="establishments", mapping=mapping, allow_bad_values=True)
    assert layer.data["employees"].isna().sum() == 3 and len(layer.data) == 10
    assert any("3 of 10 values" in w and "count as missing" in w for w in layer.warnings)


def test_non_numeric_coordinates_name_rows(tmp_path: Path) -> None:
    p = _csv(tmp_path, "firms.csv", FIRMS + "a,13.4,52.5,x,1\nb,13.4x,52.5,x,1\nc,,52.5,x,1\n")
    with pytest.raises(BadValues) as exc:
        r.read_layer(p)
    assert exc.value.rows == [3, 4] and exc.value.column == "lon"
    layer = r.read_layer(p, allow_bad_values=True)
    assert len(layer.data) == 1 and any("skipped" in w for w in layer.warnings)


def test_mapped_column_missing_from_file(tmp_path: Path) -> None:
    p = _csv(tmp_path, "firms.csv", FIRMS + "a,13.4,52.5,film_tv,3\n")
    with pytest.raises(MissingColumn) as exc:
        r.read_layer(p, role="establishments", mapping={"jobs": "staff"})
    assert exc.value.column == "staff"
    _says(exc.value, "'staff' mapped to 'jobs'")


# ------------------------------------------------------------ coordinates out of range


def test_latitudes_out_of_range_in_lonlat_columns(tmp_path: Path) -> None:
    p = _csv(tmp_path, "firms.csv", FIRMS + "a,13.4,52.5,x,1\nb,13.4,152.5,x,1\n")
    with pytest.raises(CoordinatesOutOfRange) as exc:
        r.read_layer(p)
    assert (exc.value.row, exc.value.column) == (3, "lat")
    _says(exc.value, "1 of 2 values are outside ±90°")


def test_lonlat_values_in_a_file_declared_projected(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(13.4, 52.5)], crs="EPSG:25833")
    p = tmp_path / "firms.gpkg"
    pyogrio.write_dataframe(gdf, p)
    with pytest.raises(CoordinatesOutOfRange) as exc:
        r.read_layer(p)
    _says(exc.value, "look like longitude/latitude")
    assert r.read_layer(p, source_crs="EPSG:4326").data.crs.to_epsg() == 32633


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_crs_comes_with_a_guess(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(13.4, 52.5)])
    p = tmp_path / "firms.shp"
    pyogrio.write_dataframe(gdf, p)
    with pytest.raises(MissingCRS) as exc:
        r.read_layer(p)
    assert exc.value.guess == "EPSG:4326"
    _says(exc.value, "no coordinate reference system", "EPSG:4326")


# -------------------------------------------------------------------- unknown encoding


def test_utf16_without_bom_is_an_unknown_encoding(tmp_path: Path) -> None:
    p = tmp_path / "firms.csv"
    p.write_bytes((FIRMS + "Müller,13.4,52.5,film_tv,3\n").encode("utf-16-le"))
    with pytest.raises(UnknownEncoding) as exc:
        r.read_layer(p)
    _says(exc.value, "UTF-16", "UTF-8")


def test_text_no_fallback_encoding_can_read(tmp_path: Path) -> None:
    p = tmp_path / "firms.csv"
    # Names of random bytes above 127 with some cp1252 leaves undefined (0x81, 0x8d,
    # 0x90): no encoding makes letters of them.
    rng = np.random.default_rng(0)
    body = b"".join(b"firm" + bytes(rng.integers(128, 256, 12).tolist()) + b"\x81\x8d\x90"
                    + b",13.4,52.5,film_tv,3\n" for _ in range(20))
    p.write_bytes(FIRMS.encode() + body)
    with pytest.raises(UnknownEncoding) as exc:
        r.read_layer(p)
    _says(exc.value)


def test_user_named_encoding_that_does_not_exist(tmp_path: Path) -> None:
    p = _csv(tmp_path, "firms.csv", FIRMS + "a,13.4,52.5,film_tv,3\n")
    with pytest.raises(UnknownEncoding) as exc:
        r.read_layer(p, encoding="klingon-8")
    _says(exc.value, "'klingon-8'")


def test_binary_data_in_a_csv(tmp_path: Path) -> None:
    p = tmp_path / "firms.csv"
    p.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(UnreadableFile) as exc:
        r.read_layer(p)
    _says(exc.value, "binary data")


# ------------------------------------------------------------------- unsupported format


@pytest.mark.parametrize(("name", "content"), [
    ("plan.docx", b"PK\x03\x04 word document"),
    ("notes.xyz1", b"just some words\n"),
])
def test_unsupported_formats(tmp_path: Path, name: str, content: bytes) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(UnsupportedFormat) as exc:
        r.list_layers(p)
    _says(exc.value, "GeoPackage")


def test_zip_without_data_and_a_folder(tmp_path: Path) -> None:
    z = tmp_path / "docs.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.pdf", b"%PDF-1.4")
    with pytest.raises(UnsupportedFormat):
        r.preview(z)
    with pytest.raises(UnsupportedFormat, match="folder"):
        r.read_layer(tmp_path)


def test_unknown_layer_name(tmp_path: Path) -> None:
    p = tmp_path / "city.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"a": [1]}, geometry=[Point(13.4, 52.5)],
                                             crs=4326), p, layer="firms")
    with pytest.raises(UnknownLayer) as exc:
        r.read_layer(p, layer="shops")
    _says(exc.value, "no layer 'shops'", "firms")


# ------------------------------------------------------------ file vanishes mid-load


def test_file_deleted_while_loading(tmp_path: Path) -> None:
    n = 2 * r.CSV_CHUNK_ROWS
    p = tmp_path / "firms.csv"
    p.write_text(FIRMS + "a,13.4,52.5,film_tv,3\n" * n)
    calls: list[float] = []

    def progress(f: float) -> None:
        calls.append(f)
        if len(calls) == 2:  # after the first chunk was read
            p.unlink()

    with pytest.raises(FileVanished) as exc:
        r.read_layer(p, progress=progress)
    _says(exc.value, "moved, deleted or changed")


def test_file_changed_while_loading(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(13.4, 52.5)], crs=4326)
    p = tmp_path / "firms.geojson"
    pyogrio.write_dataframe(gdf, p)

    def progress(f: float) -> None:
        if 0 < f < 1:
            with p.open("a") as fh:
                fh.write(" ")

    with pytest.raises(FileVanished):
        r.read_layer(p, progress=progress)


def test_file_gone_before_loading(tmp_path: Path) -> None:
    with pytest.raises(FileVanished) as exc:
        r.read_layer(tmp_path / "gone.gpkg")
    _says(exc.value, "does not exist")


# -------------------------------------------------------- far too large for memory


def test_file_too_large_is_refused_before_reading(tmp_path: Path, monkeypatch) -> None:
    p = _csv(tmp_path, "firms.csv", FIRMS + "a,13.4,52.5,film_tv,3\n" * 1000)
    monkeypatch.setattr(r, "available_memory", lambda: 10_000)
    read = []
    monkeypatch.setattr(r, "_read_csv", lambda *a, **k: read.append(1))
    with pytest.raises(FileTooLarge) as exc:
        r.read_layer(p)
    assert read == []  # refused before a single row was parsed
    assert exc.value.available == 10_000 and exc.value.needed > 10_000
    _says(exc.value, "memory", "clip it")


def test_preview_warns_about_size(tmp_path: Path, monkeypatch) -> None:
    p = _csv(tmp_path, "firms.csv", FIRMS + "a,13.4,52.5,film_tv,3\n" * 100)
    monkeypatch.setattr(r, "available_memory", lambda: 100)
    assert any("memory" in m for m in r.preview(p).messages)


# -------------------------------------------------- a failure leaves nothing half-loaded


def test_failed_read_returns_nothing_and_others_still_load(tmp_path: Path) -> None:
    good = _csv(tmp_path, "good.csv", FIRMS + "a,13.4,52.5,film_tv,3\n")
    bad = _csv(tmp_path, "bad.csv", FIRMS + "a,13.4,152.5,film_tv,3\n")
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    layers, errors = r.read_files([good, bad, empty])
    assert [lyr.name for lyr in layers] == ["good"]
    assert [type(e) for e in errors] == [CoordinatesOutOfRange, EmptyFile]
    for e in errors:
        assert isinstance(e, DataImportError) and e.path.name in str(e)


# ---------------------------------------------------------------------------- rasters


def _tif(path: Path, values, crs: str | None = "EPSG:25833", nodata: float = -1.0) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1],
                       height=values.shape[0], count=1, dtype="float32", crs=crs,
                       nodata=nodata, transform=from_origin(390000, 5822000, 100, 100)) as d:
        d.write(values.astype("float32"), 1)
    return path


def test_raster_without_crs_all_nodata_and_corrupt(tmp_path: Path) -> None:
    import numpy as np

    nocrs = _tif(tmp_path / "surface.tif", np.ones((4, 4)), crs=None)
    with pytest.raises(MissingCRS) as exc:
        r.read_layer(nocrs)
    assert exc.value.guess is None  # metres, not degrees: no safe guess
    assert r.read_layer(nocrs, source_crs="EPSG:25833").data.crs == "EPSG:32633"
    blank = _tif(tmp_path / "blank.tif", np.full((4, 4), -1.0))
    with pytest.raises(EmptyFile) as exc2:
        r.read_layer(blank)
    _says(exc2.value, "no data")
    corrupt = tmp_path / "rent.tif"
    corrupt.write_bytes(b"II*\x00" + b"\xff" * 300)
    with pytest.raises(UnreadableFile):
        r.read_layer(corrupt)
    with pytest.raises(MissingColumn, match="no band 3"):
        r.read_layer(nocrs, source_crs="EPSG:25833", mapping={"band": "3"})


def test_geopackage_deleted_between_batches(tmp_path: Path, monkeypatch) -> None:
    gdf = gpd.GeoDataFrame({"a": range(10)},
                           geometry=[Point(13.4 + i / 100, 52.5) for i in range(10)], crs=4326)
    p = tmp_path / "firms.gpkg"
    pyogrio.write_dataframe(gdf, p)
    monkeypatch.setattr(r, "VECTOR_BATCH", 3)
    seen: list[float] = []
    assert len(r.read_layer(p, progress=seen.append).data) == 10
    assert len([f for f in seen if 0 < f <= 0.6]) == 4  # four batches of three

    def progress(f: float) -> None:
        if 0 < f < 0.6:
            p.unlink()  # the network share drops the file after the first batch

    with pytest.raises(FileVanished):
        r.read_layer(p, progress=progress)


def test_unexpected_library_errors_become_import_errors(tmp_path: Path, monkeypatch) -> None:
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(13.4, 52.5)], crs=4326)
    p = tmp_path / "firms.gpkg"
    pyogrio.write_dataframe(gdf, p)

    def boom(*args, **kwargs):
        raise RuntimeError("GDAL went sideways")

    monkeypatch.setattr(r.pyogrio, "read_dataframe", boom)
    with pytest.raises(UnreadableFile) as exc:
        r.read_layer(p)
    _says(exc.value, "GDAL went sideways")
    assert isinstance(exc.value.__cause__, RuntimeError)

    def oom(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(r.pyogrio, "read_dataframe", oom)
    with pytest.raises(FileTooLarge):
        r.read_layer(p)


def test_program_errors_are_not_blamed_on_the_file(tmp_path: Path) -> None:
    p = _csv(tmp_path, "firms.csv", FIRMS + "a,13.4,52.5,film_tv,3\n")
    with pytest.raises(r.BadArgumentError, match="not a projected CRS in metres"):
        r.read_layer(p, project_crs="EPSG:4326")
    with pytest.raises(r.BadArgumentError, match="unknown role"):
        r.read_layer(p, role="shops")


def test_missing_shx_says_what_a_planner_does(tmp_path: Path) -> None:
    """GDAL says 'Set SHAPE_RESTORE_SHX config option to YES'; a planner copies files."""
    import libpysal.examples

    src = Path(libpysal.examples.get_path("columbus.shp"))
    for ext in (".shp", ".dbf"):
        (tmp_path / f"columbus{ext}").write_bytes(src.with_suffix(ext).read_bytes())
    for call in (r.preview, r.read_layer):
        with pytest.raises(r.UnreadableFile) as exc:
            call(tmp_path / "columbus.shp")
        _says(exc.value, "index file 'columbus.shx' is missing", "load the zip")
        assert "SHAPE_RESTORE_SHX" not in str(exc.value) and "config" not in str(exc.value)


# ------------------------------------------------------- GBK and Mac Roman text, and choices

GBK_TEXT = ("name,sector,lon,lat\n北京798艺术区画廊,gallery,116.4953,39.9841\n"
            "上海电影制片厂,film_tv,121.4367,31.1995\n广州大剧院,theatre,113.3245,23.1150\n"
            "深圳设计之都创意产业园,design_fashion,114.0579,22.5431\n")
MAC_TEXT = ("Firma,Branche,lon,lat\nAtelier Müller,Kunsthandwerk,13.41,52.52\n"
            "Büro Schäfer & Söhne,Architektur,13.42,52.53\nTöpferei Jürgens,Kunsthandwerk,"
            "13.38,52.48\nStraßenkunst e.V.,Musik,13.39,52.49\n")


@pytest.mark.parametrize(("text", "enc", "name", "first"), [
    (GBK_TEXT, "gbk", "Chinese GBK/GB18030", "北京798艺术区画廊"),
    (MAC_TEXT, "mac_roman", "Mac OS Roman", "Atelier Müller"),
    ("name,lon,lat\nГалерея Гельмана,37.61,55.75\nМосковский художественный театр,37.61,"
     "55.76\n", "cp1251", "Windows Cyrillic (cp1251)", "Галерея Гельмана"),
    ("name,lon,lat\nΕθνικό Θέατρο,23.72,37.98\nΜουσείο Μπενάκη,23.74,37.98\n", "cp1253",
     "Windows Greek (cp1253)", "Εθνικό Θέατρο"),
])
def test_gbk_and_mac_roman_tables_are_read_as_written(tmp_path: Path, text: str, enc: str,
                                                      name: str, first: str) -> None:
    p = tmp_path / "firms.csv"
    p.write_bytes(text.encode(enc))
    pv = r.preview(p)
    assert pv.rows[0][0] == first and name in " ".join(pv.messages)
    layer = r.read_layer(p, source_crs="EPSG:4326")
    assert layer.data.iloc[0, 0] == first
    assert any(f"read as {name}" in w for w in layer.warnings)
    # The planner's own choice wins (here a wrong one, to show it is honoured).
    assert r.preview(p, encoding="latin-1").rows[0][0] == first.encode(enc).decode("latin-1")


def test_messages_name_the_controls_of_the_running_front_end(tmp_path: Path) -> None:
    from districtplanner.io.errors import use_front_end

    p = tmp_path / "firms.csv"
    p.write_text("name,x,y\na,500000,5800000\n", encoding="utf-8")
    with pytest.raises(MissingCRS) as exc:
        r.read_layer(p)
    assert "Add layer dialog's Coordinate system box" in str(exc.value)
    use_front_end("cli")
    try:
        assert "--source-crs" in str(exc.value) and "dialog" not in str(exc.value)
        with pytest.raises(r.UnknownLayer) as exc2:
            r.read_layer(p, layer="nope")
        assert "--layer NAME" in str(exc2.value)
    finally:
        use_front_end("gui")


def test_shapefile_dbf_in_gbk_without_cpg_reads_with_the_chosen_encoding(tmp_path: Path
                                                                         ) -> None:
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame({"name": ["广州大剧院", "上海电影制片厂"]},
                           geometry=[Point(113.32, 23.11), Point(121.44, 31.20)], crs=4326)
    p = tmp_path / "venues.shp"
    pyogrio.write_dataframe(gdf, p, encoding="gbk")
    p.with_suffix(".cpg").unlink()
    assert r.preview(p).rows[0][0] != "广州大剧院"  # GDAL's default reads mojibake
    assert r.preview(p, encoding="gbk").rows[0][0] == "广州大剧院"
    layer = r.read_layer(p, encoding="gbk", role="context")
    assert layer.data["name"].tolist() == ["广州大剧院", "上海电影制片厂"]
