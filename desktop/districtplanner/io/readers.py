"""Read a planning office's files: vectors (pyogrio), tables (pandas), rasters and tile sets
(rasterio), into LoadedLayer objects in the project CRS.

Three calls serve the import dialog: ``list_layers`` (what a file holds), ``preview`` (first
rows, guessed role, mapping and CRS, candidate columns, unknown sector categories) and
``read_layer`` (the full read with progress and cancel, run off the GUI thread by the caller).
Every bad input raises a DataImportError subclass that names the file, row, column and
remedy; a failed read returns nothing, so the document is left as it was.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import math
import os
import re
import sqlite3
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import rasterio
import shapely
import shapely.errors
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS, Transformer
from rasterio.errors import RasterioIOError
from rasterio.warp import Resampling, calculate_default_transform, reproject

from districtplanner.analysis.raster import Raster
from districtplanner.analysis.roles import ROLE_FIELDS, LayerRole
from districtplanner.analysis.sector_mapping import (
    SectorMapping,
    guess_scheme,
    map_institution_types,
)
from districtplanner.io import guess as g
from districtplanner.io.crs import (
    WGS84,
    Placement,
    bounds_lonlat,
    check_coordinates,
    check_placement,
    choose_project_crs,
    far_warning,
    guess_crs,
    is_metric_projected,
    normalise_crs,
)
from districtplanner.io.errors import (
    BadValues,
    Cancelled,
    CoordinatesOutOfRange,
    DataImportError,
    EmptyFile,
    FileTooLarge,
    FileVanished,
    MissingColumn,
    MissingCRS,
    MixedGeometry,
    NoGeometry,
    NotRents,
    UnknownEncoding,
    UnknownLayer,
    UnreadableFile,
    UnsupportedFormat,
    controls,
)
from districtplanner.io.loaded import LoadedLayer

ProgressFn = Callable[[float], None]
CancelFn = Callable[[], bool]

VECTOR_EXTS = {
    ".gpkg", ".geojson", ".json", ".shp", ".fgb", ".kml", ".kmz", ".gml", ".gpx", ".tab",
    ".mif", ".sqlite", ".geojsonl", ".geojsons", ".gdb", ".osm", ".pbf", ".dxf",
}
TABLE_EXTS = {".csv", ".tsv", ".txt", ".tab.csv"}
SHEET_EXTS = {".xlsx", ".ods"}
RASTER_EXTS = {
    ".tif", ".tiff", ".gtiff", ".asc", ".img", ".vrt", ".nc", ".jp2", ".png", ".jpg",
    ".jpeg", ".bil", ".hdr", ".dem", ".ers", ".grd", ".sdat", ".xyz",
}
TILE_EXTS = {".mbtiles"}
# The derived columns a read adds (original columns are kept beside them).
SECTOR_COLUMN = "sector_key"
RENT_COLUMN = "rent_per_m2_month"
RENTER_SHARE_COLUMN = "renter_share_fraction"
INSTITUTION_TYPE_COLUMN = "institution_type"
# How much memory a file needs once loaded, per byte on disk (pandas strings and shapely
# objects cost several times their text); used to refuse files before reading them.
MEMORY_FACTOR = {"table": 6.0, "vector": 4.0, "sheet": 12.0}
BASEMAP_MAX_PX = 4096
CSV_CHUNK_ROWS = 200_000
VECTOR_BATCH = 250_000
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1")


@dataclass(frozen=True)
class LayerInfo:
    """One readable layer of a file. ``kind``: 'vector', 'table', 'raster' or 'tiles';
    ``geometry_type``: e.g. 'Point' (None for tables and rasters); ``crs`` as declared."""

    name: str
    kind: str
    geometry_type: str | None
    feature_count: int | None
    crs: str | None
    driver: str


@dataclass
class Preview:
    """Everything an import dialog shows before the full read. ``rows`` are the first rows
    as strings in ``columns`` order; ``mapping`` is the guessed field -> column mapping;
    ``candidates`` lists, per logical field of every role (and 'x', 'y', 'wkt' for tables),
    the columns worth offering, best first. ``unknown_categories`` come from the sampled
    rows only; ``unknown_categories()`` scans the whole file. ``messages`` are problems the
    full read will raise or warn about (missing CRS, no geometry, too large)."""

    path: Path
    layer: str | None
    kind: str
    columns: list[str]
    dtypes: dict[str, str]
    rows: list[list[str]]
    row_count: int | None
    geometry_kind: str
    role: LayerRole
    mapping: dict[str, str]
    candidates: dict[str, list[str]]
    crs: str | None
    guessed_crs: str | None
    bounds: tuple[float, float, float, float] | None
    sector_scheme: str | None = None
    unknown_categories: list[str] = field(default_factory=list)
    coordinate_columns: tuple[str, str] | None = None
    wkt_column: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    layers: list[LayerInfo] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    estimated_memory: int | None = None
    # Sampled features per geometry family ('point', 'line', 'polygon', 'collection').
    geometry_counts: dict[str, int] = field(default_factory=dict)
    # Where the layer would land when far from the open plan (see preview's ``plan``).
    placement: Placement | None = None
    # Street furniture among the sampled rows, left out when read as establishments.
    street_note: str | None = None

    @property
    def guessed_role(self) -> LayerRole:
        """The role the dialog proposes (same as ``role``)."""
        return self.role

    @property
    def guessed_mapping(self) -> dict[str, str]:
        """The column mapping the dialog proposes (same as ``mapping``)."""
        return self.mapping


# --------------------------------------------------------------------------------------
# Progress, cancel, and the file staying put
# --------------------------------------------------------------------------------------


class _Watch:
    """Reports progress, honours Cancel, and notices a file that vanishes or changes."""

    def __init__(self, path: Path, progress: ProgressFn | None, cancel: CancelFn | None):
        self.path = path
        self.progress = progress
        self.cancel = cancel
        self.stat = _stat(path)

    def step(self, fraction: float) -> None:
        if self.cancel is not None and self.cancel():
            raise Cancelled(f"loading {self.path.name} was cancelled")
        now = _stat(self.path)
        if now is None or (self.stat is not None and now != self.stat):
            raise FileVanished(self.path)
        if self.progress is not None:
            self.progress(min(max(float(fraction), 0.0), 1.0))


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def available_memory() -> int:
    """Bytes of memory the process may still use (MemAvailable on Linux)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 40  # unknown: do not refuse


def _reraise_os(path: Path, exc: BaseException) -> DataImportError:
    if not path.exists():
        return FileVanished(path)
    return UnreadableFile(path, f"the file could not be read ({exc})")


class BadArgumentError(ValueError):
    """A call the program got wrong (an unknown role, a project CRS not in metres); not a
    problem with the file, so it is not a DataImportError."""


_P = ParamSpec("_P")
_T = TypeVar("_T")


def import_errors(fn: Callable[_P, _T]) -> Callable[_P, _T]:
    """Turn whatever GDAL, pandas or the OS raise for a bad file into a DataImportError that
    names it (the original is chained), so no file can crash the app."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return fn(*args, **kwargs)
        except (DataImportError, Cancelled, BadArgumentError):
            raise
        except MemoryError as exc:
            p = Path(args[0])  # type: ignore[arg-type]
            raise FileTooLarge(p, needed=_safe_estimate(p), available=available_memory(),
                               ) from exc
        except Exception as exc:
            p = Path(args[0])  # type: ignore[arg-type]
            if not p.exists():
                raise FileVanished(p) from exc
            detail = " ".join(str(exc).split())[:160] or type(exc).__name__
            raise UnreadableFile(p, f"the file could not be read ({detail})") from exc

    return wrapper


def _safe_estimate(p: Path) -> int:
    try:
        return estimate_memory(p)
    except Exception:  # only feeds the message of a failure already being raised
        return 0


# --------------------------------------------------------------------------------------
# What kind of file is it?
# --------------------------------------------------------------------------------------


def _suffix(path: Path) -> str:
    return path.suffix.lower()


def _zip_members(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as zf:
            return [n for n in zf.namelist() if not n.endswith("/")]
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(path, "the zip archive is damaged") from exc


def file_kind(path: str | Path) -> str:
    """'vector', 'table', 'sheet', 'raster', 'tiles', 'gtfs' or 'zip-table' (a CSV in a zip).

    Raises FileVanished, EmptyFile or UnsupportedFormat.
    """
    p = Path(path)
    if not p.exists():
        raise FileVanished(p, "the file does not exist (it was moved, renamed or deleted)",
                           remedy="pick the file again in the file dialog")
    if p.is_dir():
        if p.suffix.lower() == ".gdb":
            return "vector"
        raise UnsupportedFormat(p, "this is a folder, not a data file",
                                remedy="pick a file inside it")
    if p.stat().st_size == 0:
        raise EmptyFile(p, "the file is empty (0 bytes)")
    ext = _suffix(p)
    if ext == ".zip":
        members = [m.lower() for m in _zip_members(p)]
        names = {Path(m).name for m in members}
        if "stops.txt" in names:
            return "gtfs"
        if any(Path(m).suffix in VECTOR_EXTS for m in members):
            return "vector"
        if any(Path(m).suffix in TABLE_EXTS for m in members):
            return "zip-table"
        raise UnsupportedFormat(p, "the zip archive holds no shapefile, GeoPackage, GeoJSON "
                                "or CSV")
    if p.name.lower() == "stops.txt":
        return "gtfs"
    if ext in TABLE_EXTS:
        return "table"
    if ext in SHEET_EXTS:
        return "sheet"
    if ext in TILE_EXTS:
        return "tiles"
    if ext == ".gpkg":
        return "tiles" if _gpkg_tables(p)[1] and not _gpkg_tables(p)[0] else "vector"
    if ext in VECTOR_EXTS:
        return "vector"
    if ext in RASTER_EXTS:
        return "raster"
    # Unknown extension: let GDAL decide, vector first.
    try:
        pyogrio.read_info(p)
        return "vector"
    except Exception:  # any failure just means "not a vector"
        pass
    try:
        with rasterio.open(p):
            return "raster"
    except Exception as exc:
        raise UnsupportedFormat(p, f"'{p.suffix or p.name}' files are not supported") from exc


def _ogr_path(path: Path) -> str:
    """The path GDAL should open: a zip's folder or single dataset inside it (GDAL looks
    only at the zip's root), the file itself otherwise."""
    if _suffix(path) in (".osm", ".pbf"):
        # The OSM driver's fast node index fails on extracts with unsorted ids.
        pyogrio.set_gdal_config_options({"OSM_USE_CUSTOM_INDEXING": "NO"})
    if _suffix(path) != ".zip":
        return str(path)
    members = [m for m in _zip_members(path) if Path(m).suffix.lower() in VECTOR_EXTS]
    if not members:
        return str(path)
    containers = [m for m in members if Path(m).suffix.lower() != ".shp"]
    if len(containers) == 1 and not any(m.lower().endswith(".shp") for m in members):
        return f"/vsizip/{path}/{containers[0]}"
    folders = {str(Path(m).parent) for m in members}
    if len(folders) == 1 and (folder := folders.pop()) not in ("", "."):
        return f"/vsizip/{path}/{folder}"
    return str(path)


def _gpkg_tables(path: Path) -> tuple[list[str], list[str]]:
    """(feature/attribute tables, tile tables) of a GeoPackage, from gpkg_contents."""
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise UnreadableFile(path, "the GeoPackage is damaged or not a GeoPackage") from exc
    features = [r[0] for r in rows if r[1] in ("features", "attributes")]
    tiles = [r[0] for r in rows if r[1] in ("tiles", "2d-gridded-coverage")]
    return features, tiles


# --------------------------------------------------------------------------------------
# list_layers
# --------------------------------------------------------------------------------------


@import_errors
def list_layers(path: str | Path) -> list[LayerInfo]:
    """The readable layers of a file: GeoPackage feature and tile tables, the shapefiles of
    a zip, KML folders, spreadsheet sheets; one entry for single-layer files."""
    p = Path(path)
    kind = file_kind(p)
    if kind in ("table", "zip-table", "gtfs"):
        return [LayerInfo(p.stem if kind != "gtfs" else "stops", "table", None, None,
                          WGS84 if kind == "gtfs" else None, "CSV")]
    if kind == "raster":
        return [_raster_info(p, p.stem)]
    if kind == "tiles" and _suffix(p) == ".mbtiles":
        return [_raster_info(p, p.stem, kind="tiles")]
    out: list[LayerInfo] = []
    tile_tables: list[str] = []
    if _suffix(p) == ".gpkg":
        _, tile_tables = _gpkg_tables(p)
    if kind in ("vector", "sheet") or (kind == "tiles" and _suffix(p) != ".mbtiles"):
        try:
            layers = pyogrio.list_layers(_ogr_path(p)) if kind != "tiles" else []
        except DataSourceError as exc:
            raise _open_error(p, exc) from exc
        for name, gtype in layers:
            if name in tile_tables:
                continue
            try:
                info = pyogrio.read_info(_ogr_path(p), layer=name)
            except (DataSourceError, DataLayerError) as exc:
                raise _open_error(p, exc) from exc
            out.append(LayerInfo(
                str(name), "vector" if gtype else "table", gtype,
                int(info["features"]) if info["features"] >= 0 else None,
                _crs_str(info.get("crs")), str(info.get("driver", "")),
            ))
    for t in tile_tables:
        out.append(_raster_info(p, t, kind="tiles", subdataset=f"GPKG:{p}:{t}"))
    if not out:
        raise EmptyFile(p, "the file holds no layers")
    return out


def _crs_str(crs: Any) -> str | None:
    if not crs:
        return None
    try:
        return normalise_crs(crs)
    except ValueError:
        return str(crs)


def _open_error(path: Path, exc: BaseException) -> DataImportError:
    if not path.exists():
        return FileVanished(path)
    msg = str(exc)
    if "SHAPE_RESTORE_SHX" in msg or ".shx" in msg.lower():
        # GDAL's own advice (a config option) is not something a planner can act on.
        return UnreadableFile(
            path, f"the shapefile's index file '{path.with_suffix('.shx').name}' is missing "
                  f"beside it (a shapefile is several files: .shp, .shx, .dbf, .prj)",
            remedy="copy all the files that came with it into one folder, or load the zip "
                   "it came in; if the .shx is lost, open the .shp in QGIS and save it as "
                   "a GeoPackage")
    if "not recognized as" in msg or "not recognised as" in msg:
        if _suffix(path) in VECTOR_EXTS | SHEET_EXTS | RASTER_EXTS | TILE_EXTS | {".zip"}:
            return UnreadableFile(path)  # a known kind of file that GDAL cannot parse
        return UnsupportedFormat(path)
    return UnreadableFile(path, f"the file is corrupt or unreadable ({msg.strip()[:160]})")


def _raster_info(path: Path, name: str, kind: str = "raster",
                 subdataset: str | None = None) -> LayerInfo:
    try:
        with rasterio.open(subdataset or path) as src:
            crs = _crs_str(src.crs) if src.crs else None
            driver = src.driver
    except RasterioIOError as exc:
        raise _open_error(path, exc) from exc
    return LayerInfo(name, kind, None, None, crs, driver)


# --------------------------------------------------------------------------------------
# Text tables: encoding, delimiter, decimal comma
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextFormat:
    """How a text table is written: encoding, field delimiter and decimal mark."""

    encoding: str
    delimiter: str
    decimal: str
    warnings: tuple[str, ...] = ()


def _open_binary(path: Path, kind: str) -> Any:
    if kind == "table" or (kind == "gtfs" and _suffix(path) != ".zip"):
        return path.open("rb")
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        if kind == "gtfs":
            member = next(n for n in names if Path(n).name.lower() == "stops.txt")
        else:
            member = next(n for n in names if Path(n).suffix.lower() in TABLE_EXTS)
        return io.BytesIO(zf.read(member))


def detect_encoding(path: Path, data: bytes, encoding: str | None = None,
                    whole: Callable[[], Iterable[bytes]] | None = None) -> tuple[str, list[str]]:
    """The encoding of a text file: a BOM, else the first of utf-8, cp1252, latin-1 that
    decodes all of it and gives text rather than control characters."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise UnknownEncoding(path, f"'{encoding}' is not a known text encoding") from exc
        return encoding, []
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", []
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32", []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", []
    head = data[:65536]
    nul = head.count(b"\x00")
    if nul:
        even = head[0::2].count(b"\x00")
        odd = head[1::2].count(b"\x00")
        if nul > 0.2 * len(head) and max(even, odd) > 0.9 * nul:
            raise UnknownEncoding(
                path, "the text looks like UTF-16 without a byte-order mark, which cannot be "
                "read reliably")
        raise UnreadableFile(path, "the file holds binary data, not a text table",
                             remedy="check that you picked the right file; export the table "
                             "as CSV")
    chunks = list(whole()) if whole is not None else [data]
    if _decodes(chunks, "utf-8"):
        return "utf-8", []
    for enc in _encoding_candidates(data):
        if not _decodes(chunks, enc):
            continue
        text = head.decode(enc, errors="replace")
        n_control = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\r\n")
                        or 0x80 <= ord(ch) <= 0x9F)
        if n_control > max(2, 0.001 * len(text)):
            continue
        name = ENCODING_NAMES.get(enc, enc)
        return enc, [controls(f"'{path.name}' is not UTF-8; its text was read as {name}. If "
                              f"letters look wrong in the first rows, choose another text "
                              f"encoding [[encoding]].")]
    raise UnknownEncoding(path)


# Encodings a planner may pick, with the names they know them by (Python codec names).
ENCODING_NAMES: dict[str, str] = {
    "utf-8": "UTF-8", "utf-8-sig": "UTF-8 (with BOM)", "cp1252": "Windows Western (cp1252)",
    "latin-1": "ISO 8859-1 (Latin-1)", "iso8859_15": "ISO 8859-15 (Latin-9)",
    "mac_roman": "Mac OS Roman", "cp1250": "Windows Central European (cp1250)",
    "cp1251": "Windows Cyrillic (cp1251)", "cp850": "DOS Western (cp850)",
    "gb18030": "Chinese GBK/GB18030", "big5": "Chinese Big5", "shift_jis": "Japanese Shift-JIS",
    "euc_kr": "Korean EUC-KR", "cp1253": "Windows Greek (cp1253)",
    "cp1254": "Windows Turkish (cp1254)", "koi8_r": "Cyrillic KOI8-R", "utf-16": "UTF-16",
}
# charset-normalizer names a sibling whose letters coincide for the text it saw; the
# planner knows the common one.
_ENCODING_PREFERRED = {"mac_iceland": "mac_roman", "mac_turkish": "mac_roman",
                       "mac_latin2": "mac_roman", "gbk": "gb18030", "gb2312": "gb18030",
                       "latin_1": "latin-1", "iso8859_1": "latin-1", "windows_1252": "cp1252"}


def _decodes(chunks: Sequence[bytes], enc: str) -> bool:
    dec = codecs.getincrementaldecoder(enc)()
    try:
        for c in chunks:
            dec.decode(c)
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# Letters Western and Central European tables hold beyond ASCII: the text a right guess
# of a single-byte encoding gives (a wrong one gives symbols: 'Š' for MacRoman 'ä').
_LATIN_LETTERS = frozenset(
    "äöüßÄÖÜéèêëàâáãåçñóòôõøíìîïúùûÿœæÉÈÊÀÂÁÇÑÓÒÔØÍÚÅÆŒčćšžđłńśźżőűęąěřůťďňČĆŠŽĐŁŃŚŹŻŐŰĘĄĚŘŮ"
    "€’“”–—«»°§")
_WESTERN = ("cp1252", "mac_roman", "cp1250", "iso8859_15", "cp850", "latin-1")


def _latin_score(sample: bytes, enc: str) -> float:
    """Share of a decoding's non-ASCII characters that are Latin letters (or common
    typography); -1 when the sample does not decode."""
    try:
        text = sample.decode(enc)
    except UnicodeDecodeError:
        return -1.0
    high = [ch for ch in text if ord(ch) > 127]
    return sum(ch in _LATIN_LETTERS for ch in high) / len(high) if high else 0.0


_CJK_ORDER = ("gb18030", "gbk", "gb2312", "big5", "shift_jis", "cp932", "euc_jp",
              "euc_kr", "cp949", "euc_jis_2004", "johab")


def _cjk_plausible(sample: bytes, enc: str) -> bool:
    """False when a multi-byte reading puts its characters inside Latin words ('M丟ler'):
    Western text with a few accents decodes as CJK too, but not as CJK words."""
    try:
        text = sample.decode(enc)
    except UnicodeDecodeError:
        return False
    inside = total = 0
    for i, ch in enumerate(text):
        if ord(ch) <= 127:
            continue
        total += 1
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        inside += before.isascii() and before.isalpha() and after.isascii() and after.isalpha()
    return total > 0 and inside <= 0.2 * total


_OTHER_SCRIPTS = {"cp1251": "CYRILLIC", "koi8_r": "CYRILLIC", "cp1253": "GREEK"}


def _script_plausible(sample: bytes, enc: str) -> bool:
    """True when ``enc`` reads the non-ASCII text as words of its script: nearly all of it
    letters of that script, and few of them next to a Latin letter."""
    import unicodedata

    try:
        text = sample.decode(enc)
    except UnicodeDecodeError:
        return False
    script = _OTHER_SCRIPTS[enc]
    high = [i for i, ch in enumerate(text) if ord(ch) > 127]
    if not high:
        return False
    ours = sum(unicodedata.name(text[i], "").startswith(script) for i in high)
    touching = sum(any(0 <= j < len(text) and text[j].isascii() and text[j].isalpha()
                       for j in (i - 1, i + 1)) for i in high)
    return ours >= 0.9 * len(high) and touching <= 0.1 * len(high)


def _encoding_candidates(data: bytes) -> list[str]:
    """Likely encodings of text that is not UTF-8, best first.

    charset-normalizer finds multi-byte encodings (GBK, Big5, Shift-JIS) reliably, so its
    best such guess leads. Among single-byte ones it often cannot tell siblings apart
    (cp775 or cp1252 for German, mac_iceland for Mac Roman), so Western candidates are
    ranked by how many of the non-ASCII characters come out as Latin letters, Windows
    Western first on a tie; other scripts (Cyrillic, Greek) follow its ranking."""
    from charset_normalizer import from_bytes

    sample = data[:262144]
    found = sorted(from_bytes(sample), key=lambda m: m.chaos)
    out: list[str] = []
    multi = [m for m in found if not codecs.lookup(
        _ENCODING_PREFERRED.get(m.encoding, m.encoding)).name.startswith(
        ("cp", "mac", "iso8859", "latin", "koi8", "hp_roman", "ptcp"))]
    # A few CJK characters are ambiguous (GBK bytes also read as Big5): on a tie, the
    # encoding most data files use first.
    multi.sort(key=lambda m: (m.chaos, _CJK_ORDER.index(m.encoding)
                              if m.encoding in _CJK_ORDER else len(_CJK_ORDER)))
    for m in multi:
        enc = _ENCODING_PREFERRED.get(m.encoding, m.encoding)
        if _cjk_plausible(sample, enc):
            out.append(enc)
    # Cyrillic and Greek tables: their letters touch each other, never Latin letters
    # (German read as cp1251 gives 'Mьller'); Latin-letter scoring would take them for
    # Western text ('Ìîñêîâñêèé').
    chaos = {m.encoding: m.chaos for m in found}
    scripts = [e for e in _OTHER_SCRIPTS if _script_plausible(sample, e)]
    # Several Cyrillic/Greek code pages read as letters: the detector's order decides.
    out += sorted(scripts, key=lambda e: chaos.get(e, math.inf))[:1]
    ranked = sorted(((_latin_score(sample, e), -i, e) for i, e in enumerate(_WESTERN)),
                    reverse=True)
    out += [e for score, _i, e in ranked if score >= 0.8 and e not in out]
    out += [_ENCODING_PREFERRED.get(m.encoding, m.encoding) for m in found if m.chaos < 0.1]
    out += ["cp1252", "latin-1"]
    return list(dict.fromkeys(out))


def sniff_format(path: Path, head: str, ext: str = ".csv") -> tuple[str, str]:
    """(delimiter, decimal mark) of a text table from its first lines."""
    lines = [ln for ln in head.splitlines() if ln.strip()][:50]
    sample = "\n".join(lines)
    if ext == ".tsv":
        delim = "\t"
    else:
        try:
            delim = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            first = lines[0] if lines else ""
            counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
            delim = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    decimal = "."
    if delim != "," and len(lines) > 1:
        body = "\n".join(lines[1:])
        d = re.escape(delim)
        comma = len(re.findall(rf"(?:^|{d})\s*\"?-?\d+,\d+\"?(?={d}|$)", body, re.M))
        dot = len(re.findall(rf"(?:^|{d})\s*\"?-?\d+\.\d+\"?(?={d}|$)", body, re.M))
        if comma > dot:
            decimal = ","
    return delim, decimal


def _text_format(path: Path, kind: str, encoding: str | None) -> TextFormat:
    with _open_binary(path, kind) as fh:
        head = fh.read(65536)

    def whole() -> Iterable[bytes]:
        with _open_binary(path, kind) as fh2:
            while True:
                block = fh2.read(1 << 22)
                if not block:
                    return
                yield block

    if not head.strip():
        raise EmptyFile(path, "the file holds only blank space")
    enc, warn = detect_encoding(path, head, encoding, whole)
    text = head.decode(enc, errors="replace")
    # Do not cut a multi-byte character or a line in two.
    text = text[: text.rfind("\n")] if "\n" in text and len(head) == 65536 else text
    delim, decimal = sniff_format(path, text, _suffix(path))
    return TextFormat(enc, delim, decimal, tuple(warn))


def _read_csv(path: Path, kind: str, fmt: TextFormat, *, nrows: int | None = None,
              str_columns: Sequence[str] = (), usecols: Sequence[str] | None = None,
              watch: _Watch | None = None) -> pd.DataFrame:
    opts: dict[str, Any] = dict(
        sep=fmt.delimiter, decimal=fmt.decimal, encoding=fmt.encoding,
        dtype={c: str for c in str_columns} or None, skipinitialspace=True,
        on_bad_lines="error", usecols=usecols,
    )
    size = max(path.stat().st_size, 1)
    try:
        with _open_binary(path, kind) as fh:
            if nrows is not None:
                return pd.read_csv(fh, nrows=nrows, **opts)
            parts = []
            reader = pd.read_csv(fh, chunksize=CSV_CHUNK_ROWS, **opts)
            for chunk in reader:
                parts.append(chunk)
                if watch is not None:
                    pos = fh.tell() if hasattr(fh, "tell") else size
                    watch.step(0.6 * min(pos / size, 1.0))
            if not parts:
                return pd.read_csv(_open_binary(path, kind), nrows=0, **opts)
            return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    except pd.errors.EmptyDataError as exc:
        raise EmptyFile(path) from exc
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+)", str(exc))
        fields = re.search(r"Expected (\d+) fields in line \d+, saw (\d+)", str(exc))
        problem = (f"the row has {fields.group(2)} fields where the header has "
                   f"{fields.group(1)}" if fields else
                   f"the table could not be parsed ({' '.join(str(exc).split())})")
        raise UnreadableFile(
            path, problem,
            row=int(m.group(1)) if m else None,
            remedy="check the quoting and delimiters in that row, or re-export the table",
        ) from exc
    except UnicodeDecodeError as exc:
        raise UnknownEncoding(path, f"the text is not valid {fmt.encoding}") from exc
    except ValueError as exc:
        if "Usecols" in str(exc) or "not in list" in str(exc):
            raise MissingColumn(path, str(exc)) from exc
        raise UnreadableFile(path, f"the table could not be parsed ({exc})") from exc
    except FileNotFoundError as exc:
        raise FileVanished(path) from exc
    except OSError as exc:
        raise _reraise_os(path, exc) from exc


# --------------------------------------------------------------------------------------
# preview
# --------------------------------------------------------------------------------------


@import_errors
def preview(path: str | Path, layer: str | None = None, n: int = 20, *,
            encoding: str | None = None, sample_rows: int = 1000,
            plan: tuple[tuple[float, float, float, float], str] | None = None) -> Preview:
    """The first ``n`` rows and every guess for a file's layer, reading at most
    ``sample_rows`` rows (tables, vectors) or only the metadata (rasters).

    ``plan``: (bounds, CRS) of the open plan; a layer whose declared or guessed CRS puts
    it far from there gets ``placement`` (where it would land, and a fix)."""
    p = Path(path)
    kind = file_kind(p)
    layers = list_layers(p)
    info = _pick_layer(p, layers, layer)
    if info.kind in ("raster", "tiles"):
        pv = _preview_raster(p, info, layers)
        _place(pv, plan)
        return pv
    messages: list[str] = []
    fmt = None
    if kind in ("table", "zip-table", "gtfs"):
        fmt = _text_format(p, kind, encoding)
        messages += fmt.warnings
        df = _read_csv(p, kind, fmt, nrows=sample_rows)
        if df.empty:
            raise EmptyFile(p, "the table has a header but no rows")
        row_count = None
    else:
        try:
            df = read_ogr(p, info.name, max_features=sample_rows,
                          **({"encoding": encoding} if encoding else {}))
            messages += df.attrs.get(READ_WARNINGS, [])
        except (DataSourceError, DataLayerError) as exc:
            raise _open_error(p, exc) from exc
        row_count = info.feature_count
    columns = [c for c in df.columns if c != "geometry"]
    samples = {c: df[c].head(sample_rows).tolist() for c in columns}
    coords = wkt = None
    geometry_kind = "none"
    bounds = None
    declared = info.crs
    geometry_counts: dict[str, int] = {}
    if isinstance(df, gpd.GeoDataFrame) and df.geometry.notna().any():
        geometry_kind = kind_of_geometries(df.geometry)
        geometry_counts = _family_counts(df.geometry)
        b = df.total_bounds
        bounds = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
        declared = _crs_str(df.crs) if df.crs else None
    else:
        coords = g.find_coordinate_columns(columns)
        wkt = None if coords else g.find_wkt_column(columns, samples)
        if coords:
            geometry_kind = "point"
            xs = g.to_number(df[coords[0]])
            ys = g.to_number(df[coords[1]])
            if xs.notna().any() and ys.notna().any():
                bounds = (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))
        elif wkt:
            geoms = shapely.from_wkt(df[wkt].astype(str).to_numpy(), on_invalid="ignore")
            geometry_kind = kind_of_geometries(gpd.GeoSeries(geoms))
            geometry_counts = _family_counts(geoms)
            b = shapely.total_bounds(geoms)
            bounds = tuple(float(v) for v in b) if np.isfinite(b).all() else None
        else:
            messages.append(str(NoGeometry(p, f"no geometry and no coordinate columns among "
                                              f"{_col_list(columns)}")))
    if kind == "gtfs":
        declared = WGS84
    guessed = guess_crs(bounds) if bounds and not declared else None
    role = LayerRole.TRANSIT_STOPS if kind == "gtfs" else g.guess_role(
        columns, {c: str(df[c].dtype) for c in columns}, geometry_kind, info.name, samples)
    mapping = g.guess_mapping(role, columns, samples)
    candidates = {
        f: g.candidate_columns(f, columns, samples)
        for f in sorted({f for fs in ROLE_FIELDS.values() for f in fs}
                        | {"floor_area", "x", "y", "wkt"})
    }
    scheme = None
    unknown: list[str] = []
    street_note = None
    if "sector" in mapping:
        col = mapping["sector"]
        scheme = guess_scheme(samples[col], col)
        sm = SectorMapping.load(scheme)
        values = samples[col]
        if scheme == "osm" and _osm_key(col):
            values = osm_tag_strings(df, first=col)
        _, unknown = sm.sector_keys(values, _osm_key(col))
        street, tags = sm.not_establishments(values, _osm_key(col))
        if street.any():
            street_note = (f"{int(street.sum()):,} of the first {len(street):,} features are "
                           f"not establishments and will be left out ({_tag_list(tags)}).")
            if role == LayerRole.ESTABLISHMENTS:
                messages.append(street_note)
    rows = [[_cell(v) for v in row] for row in df[columns].head(n).itertuples(index=False)]
    if isinstance(df, gpd.GeoDataFrame):
        columns_out = [*columns, "geometry"]
        dtypes = {c: str(df[c].dtype) for c in columns} | {"geometry": "geometry"}
        for r, geom in zip(rows, df.geometry.head(n), strict=False):
            r.append(_cell(geom))
    else:
        columns_out = columns
        dtypes = {c: str(df[c].dtype) for c in columns}
    if declared is None and guessed is None and bounds is not None:
        messages.append(str(MissingCRS(p, None)))
    elif declared is None and guessed is not None and not coords_named_lonlat(coords):
        messages.append(str(MissingCRS(p, guessed)))
    elif declared is None and guessed is not None and coords:
        messages.append(controls(
            f"'{p.name}': coordinates in '{coords[0]}'/'{coords[1]}' will be read as "
            f"longitude/latitude (WGS 84) unless you choose another CRS [[crs]]."))
    note, _refused = geometry_note(geometry_counts, role)
    if note:
        messages.append(note)
    est = estimate_memory(p, kind, info, layers)
    if est > available_memory():
        messages.append(str(FileTooLarge(p, est, available_memory())))
    out = Preview(
        path=p, layer=info.name, kind=info.kind, columns=columns_out, dtypes=dtypes, rows=rows,
        row_count=row_count, geometry_kind=geometry_kind, role=role, mapping=mapping,
        candidates=candidates, crs=declared, guessed_crs=guessed, bounds=bounds,
        sector_scheme=scheme, unknown_categories=unknown, coordinate_columns=coords,
        wkt_column=wkt, encoding=fmt.encoding if fmt else None,
        delimiter=fmt.delimiter if fmt else None, decimal=fmt.decimal if fmt else None,
        layers=layers, messages=messages, estimated_memory=est,
        geometry_counts=geometry_counts, street_note=street_note,
    )
    _place(out, plan)
    return out


def _place(pv: Preview, plan: tuple[tuple[float, float, float, float], str] | None) -> None:
    crs = pv.crs or pv.guessed_crs
    if plan is None or pv.bounds is None or crs is None:
        return
    pv.placement = check_placement(pv.path.name, pv.bounds, crs, plan[0], plan[1])
    if pv.placement is not None:
        pv.messages.insert(0, pv.placement.message)


def _family_counts(geoms: Any) -> dict[str, int]:
    g_arr = np.asarray(geoms, dtype=object)
    g_arr = g_arr[~(shapely.is_missing(g_arr) | shapely.is_empty(g_arr))]
    return {str(k): int(n) for k, n in
            geometry_families(g_arr).value_counts(sort=False).items()}


def _preview_raster(p: Path, info: LayerInfo, layers: list[LayerInfo]) -> Preview:
    src_name = _raster_source(p, info)
    try:
        with rasterio.open(src_name) as src:
            b = src.bounds
            bands = src.count
            dtype = src.dtypes[0]
            crs = _crs_str(src.crs) if src.crs else None
            width, height = src.width, src.height
            nodata = src.nodata
    except RasterioIOError as exc:
        raise _open_error(p, exc) from exc
    bounds = (float(b.left), float(b.bottom), float(b.right), float(b.top))
    kind = "tiles" if info.kind == "tiles" or (bands >= 3 and dtype == "uint8") else "raster"
    role = g.guess_role([], None, kind, info.name)
    mapping: dict[str, str] = {}
    if role == LayerRole.RENTS:
        mapping = {"rent_unit": g.guess_rent_unit(info.name)}
        if bands == 1:
            mapping["rent"] = "band 1"
    cols = [f"band {i}" for i in range(1, bands + 1)]
    rows = [[f"{width} × {height} cells, {dtype}, nodata {nodata}"]]
    messages = [] if crs else [str(MissingCRS(p, guess_crs(bounds)))]
    if bands > 1 and kind == "raster":
        messages.append(f"The raster has {bands} bands: as a rent surface, choose which "
                        f"band holds the rent.")
    return Preview(
        path=p, layer=info.name, kind=kind, columns=cols, dtypes={c: dtype for c in cols},
        rows=rows, row_count=width * height, geometry_kind=kind, role=role, mapping=mapping,
        candidates={"rent": cols}, crs=crs, guessed_crs=None if crs else guess_crs(bounds),
        bounds=bounds, layers=layers, messages=messages,
        estimated_memory=width * height * 16 if kind == "raster" else None,
    )


def coords_named_lonlat(coords: tuple[str, str] | None) -> bool:
    """True when coordinate columns are named as longitude/latitude (not x/y/easting)."""
    if not coords:
        return False
    x = g.normalise_name(coords[0].replace("_", " "))
    y = g.normalise_name(coords[1].replace("_", " "))
    return x in g.LONLAT_LON_NAMES and y in g.LONLAT_LAT_NAMES


def _col_list(columns: Sequence[str]) -> str:
    shown = ", ".join(f"'{c}'" for c in columns[:8])
    return shown + (", ..." if len(columns) > 8 else "") if columns else "(no columns)"


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, shapely.Geometry):
        s = v.wkt
        return s if len(s) <= 60 else s[:57] + "..."
    return str(v)


def _osm_key(column: str) -> str | None:
    c = column.strip().lower()
    return c if c in OSM_KEYS else None


OSM_KEYS = ("amenity", "shop", "craft", "office", "tourism", "healthcare", "leisure",
            "highway", "man_made")


def _tag_list(tags: Sequence[tuple[str, int]], limit: int = 6) -> str:
    shown = ", ".join(f"{n:,} {t}" for t, n in tags[:limit])
    return shown + (f" and {len(tags) - limit:,} more tags" if len(tags) > limit else "")


def osm_tag_strings(frame: pd.DataFrame, first: str | None = None) -> pd.Series:
    """'amenity=theatre;shop=art' per row from OSM tag columns (as Overpass and QuickOSM
    export them), so a feature tagged by any key finds its sector; ``first`` leads."""
    cols = {c.lower(): c for c in frame.columns}
    keys = [k for k in ((first.lower(),) if first else ()) + OSM_KEYS if k in cols]
    out = pd.Series("", index=frame.index, dtype=object)
    for k in dict.fromkeys(keys):
        v = frame[cols[k]].astype("string").str.strip()
        has = v.notna() & (v != "")
        part = (k + "=" + v[has]).astype(object)
        sep = out[has].map(lambda s: ";" if s else "")
        out.loc[has] = out[has] + sep + part
    return out.where(out != "", None)


def _pick_layer(p: Path, layers: list[LayerInfo], layer: str | None) -> LayerInfo:
    if layer is None:
        return layers[0]
    for info in layers:
        if info.name == layer:
            return info
    raise UnknownLayer(p, f"the file has no layer '{layer}' (it has "
                          f"{', '.join(i.name for i in layers)})")


def _raster_source(p: Path, info: LayerInfo) -> str | Path:
    if _suffix(p) == ".gpkg":
        return f"GPKG:{p}:{info.name}"
    return p


def kind_of_geometries(geoms: gpd.GeoSeries) -> str:
    """'point', 'line', 'polygon', 'mixed' or 'none': how a layer is drawn and analysed."""
    types = set(geoms.geom_type.dropna().unique())
    if not types:
        return "none"
    if types <= {"Point", "MultiPoint"}:
        return "point"
    if types <= {"LineString", "MultiLineString", "LinearRing"}:
        return "line"
    if types <= {"Polygon", "MultiPolygon"}:
        return "polygon"
    return "mixed"


def estimate_memory(
    path: str | Path, kind: str | None = None, info: LayerInfo | None = None,
    layers: Sequence[LayerInfo] = (),
) -> int:
    """Bytes a full read of a layer would need, from metadata only: the size on disk
    (uncompressed for zips) times a factor, a layer's share of a multi-layer file, cells ×
    16 bytes for rasters, and a fixed image for basemap tiles."""
    p = Path(path)
    kind = kind or file_kind(p)
    if (info is not None and info.kind == "tiles") or kind == "tiles":
        return BASEMAP_MAX_PX * BASEMAP_MAX_PX * 4 * 4
    if kind == "raster":
        try:
            with rasterio.open(p) as src:
                return int(src.width) * int(src.height) * 8 * 2
        except RasterioIOError:
            return p.stat().st_size
    if p.is_dir():
        size = sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    elif _suffix(p) == ".zip":
        with zipfile.ZipFile(p) as zf:
            members = zf.infolist()
            if kind == "gtfs":
                members = [i for i in members if Path(i.filename).name.lower() == "stops.txt"]
            size = sum(i.file_size for i in members)
    elif _suffix(p) == ".shp":
        size = sum(p.with_suffix(s).stat().st_size for s in (".shp", ".dbf")
                   if p.with_suffix(s).exists())
    else:
        size = p.stat().st_size
    factor = MEMORY_FACTOR["table" if kind in ("table", "zip-table", "gtfs") else
                           "sheet" if kind == "sheet" else "vector"]
    est = int(size * factor)
    others = [i for i in layers if i.kind in ("vector", "table")]
    if info is not None and info.feature_count and len(layers) > 1:
        # Several layers (or tile sets) share the file: this layer's share by feature
        # count, and never more than a generous 4 KB per feature.
        total = sum(i.feature_count or 0 for i in others) or info.feature_count
        est = min(int(est * info.feature_count / total), info.feature_count * 4096)
    return est


# --------------------------------------------------------------------------------------
# read_layer
# --------------------------------------------------------------------------------------


@import_errors
def read_layer(
    path: str | Path,
    layer: str | None = None,
    *,
    role: LayerRole | str | None = None,
    mapping: Mapping[str, str] | None = None,
    source_crs: str | None = None,
    project_crs: str | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    encoding: str | None = None,
    sector_overrides: Mapping[str, str] | None = None,
    allow_bad_values: bool = False,
    name: str | None = None,
) -> LoadedLayer:
    """Read one layer fully and reproject it into ``project_crs`` (metres).

    ``role``/``mapping``: as confirmed in the dialog (guessed when None). ``mapping`` may also
    name geometry columns of a table (``x``, ``y`` or ``wkt``), ``sector_scheme``, ``rent_unit``
    and ``renter_share_unit``. ``source_crs`` overrides the file's CRS (required when it has
    none and no safe guess). ``project_crs`` None: the UTM zone of this layer's centre.
    ``progress(f)`` gets 0..1; ``cancel()`` returning True raises Cancelled. ``sector_overrides``
    maps unknown categories to sector keys. ``allow_bad_values``: load rows with null or
    non-numeric values in mapped columns as missing (warned) instead of raising BadValues.
    """
    p = Path(path)
    watch = _Watch(p, progress, cancel)
    kind = file_kind(p)
    watch.step(0.0)
    if project_crs is not None and not is_metric_projected(project_crs):
        raise BadArgumentError(f"project CRS {project_crs!r} is not a projected CRS in metres")
    try:
        role = LayerRole(role) if role is not None else None
    except ValueError as exc:
        raise BadArgumentError(f"unknown role {role!r}") from exc
    layers = list_layers(p)  # metadata only
    info = _pick_layer(p, layers, layer)
    est = estimate_memory(p, kind, info, layers)
    avail = available_memory()
    if est > avail:
        raise FileTooLarge(p, est, avail)
    if info.kind in ("raster", "tiles"):
        loaded = _read_raster(p, info, role, dict(mapping or {}), source_crs, project_crs, watch)
    else:
        loaded = _read_vector_or_table(
            p, kind, info, role, dict(mapping or {}), source_crs, project_crs, watch,
            encoding, sector_overrides or {}, allow_bad_values,
        )
    if name:
        loaded.name = name
    watch.step(1.0)
    return loaded


def _read_vector_or_table(
    p: Path, kind: str, info: LayerInfo, role: LayerRole | None, mapping: dict[str, str],
    source_crs: str | None, project_crs: str | None, watch: _Watch, encoding: str | None,
    overrides: Mapping[str, str], allow_bad: bool,
) -> LoadedLayer:
    warnings: list[str] = []
    loc: _Located | None = None
    row_base = 1
    if kind in ("table", "zip-table", "gtfs"):
        fmt = _text_format(p, kind, encoding)
        warnings += fmt.warnings
        str_cols = [v for k, v in mapping.items() if k in ("sector", "name", "type", "line")]
        sample = _read_csv(p, kind, fmt, nrows=1000)
        if sample.empty:
            raise EmptyFile(p, "the table has a header but no rows")
        if "sector" not in mapping:
            guessed = g.guess_mapping(LayerRole.ESTABLISHMENTS, list(sample.columns), sample)
            if "sector" in guessed:
                str_cols.append(guessed["sector"])
        if kind == "gtfs":
            str_cols += ["stop_id", "stop_code", "parent_station", "zone_id"]
        str_cols = [c for c in dict.fromkeys(str_cols) if c in sample.columns]
        df = _read_csv(p, kind, fmt, str_columns=str_cols, watch=watch)
        loc, gw = _table_geometry(p, df, mapping, source_crs, allow_bad, gtfs=kind == "gtfs")
        warnings += gw
        row_base = 2
        if kind == "gtfs":
            loc, gtfs_w = _gtfs_filter(p, loc)
            warnings += gtfs_w
            role = role or LayerRole.TRANSIT_STOPS
            if "stop_name" in loc.frame.columns:
                mapping.setdefault("name", "stop_name")
    else:
        df = _read_vector(p, info, watch, encoding)
        warnings += df.attrs.get(READ_WARNINGS, [])
        if isinstance(df, gpd.GeoDataFrame) and df.geometry.notna().any():
            src_crs = _vector_crs(p, df, source_crs)
            gdf = df.set_crs(src_crs, allow_override=True)
            if _yes(mapping.get(SWAP_AXES)):
                gdf = gdf.set_geometry(swap_axes(gdf.geometry.to_numpy()), crs=src_crs)
                warnings.append(f"'{p.name}': x and y were swapped as you chose.")
        elif kind == "sheet" or info.geometry_type is None:
            frame = pd.DataFrame(df.drop(columns="geometry", errors="ignore"))
            loc, gw = _table_geometry(p, frame, mapping, source_crs, allow_bad)
            warnings += gw
            row_base = 2
        else:
            raise NoGeometry(p, "every feature has an empty geometry",
                             remedy="export the layer again with its geometry")
    watch.step(0.65)
    if loc is not None and loc.xs is not None:
        # Points from coordinates: nothing to repair; transform the arrays, build once.
        src_crs = loc.crs
        b = loc.bounds()
        check_coordinates(p, b, src_crs)
        project_crs = project_crs or choose_project_crs([(b, src_crs)])
        gdf = loc.to_gdf(p, project_crs)
    else:
        if loc is not None:
            gdf, src_crs = loc.to_gdf(p), loc.crs
        if gdf.empty:
            raise EmptyFile(p)
        role = role or _guess_role(gdf, info)
        gdf, gw = _clean_geometry(p, gdf, row_base, role, mapping.get(KEEP_GEOMETRY))
        warnings += gw
        watch.step(0.7)
        tb = gdf.total_bounds
        b = (float(tb[0]), float(tb[1]), float(tb[2]), float(tb[3]))
        check_coordinates(p, b, src_crs)
        project_crs = project_crs or choose_project_crs([(b, src_crs)])
        gdf = _reproject(p, gdf, src_crs, project_crs)
    watch.step(0.85)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    role = role or _guess_role(gdf, info)
    if not any(k in mapping for k in ROLE_FIELDS.get(role, ())):
        guessed = g.guess_mapping(role, columns, gdf[columns].head(1000))
        mapping = {**guessed, **mapping}
    gdf, mapping, mw = apply_mapping(p, gdf, role, mapping, overrides, allow_bad, row_base)
    warnings += mw
    watch.step(0.95)
    return LoadedLayer(
        name=_layer_name(p, info), data=gdf, role=role, mapping=mapping, source=str(p),
        warnings=warnings,
    )


def _guess_role(gdf: gpd.GeoDataFrame, info: LayerInfo) -> LayerRole:
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    return g.guess_role(columns, {c: str(gdf[c].dtype) for c in columns},
                        kind_of_geometries(gdf.geometry), info.name,
                        {c: gdf[c].head(200).tolist() for c in columns})


def _layer_name(p: Path, info: LayerInfo) -> str:
    if info.name and info.name != p.stem and info.name not in ("stops",):
        return f"{p.stem} – {info.name}"
    return p.stem


# Key in a frame's ``attrs`` for what a tolerant read had to repair or drop.
READ_WARNINGS = "districtplanner_read_warnings"


def read_ogr(p: Path, layer: str | None, **kwargs: Any) -> pd.DataFrame:
    """``pyogrio.read_dataframe``, but one malformed geometry (an unclosed ring, a ring of
    two points: common in OSM multipolygon exports) does not make the whole layer
    unreadable: the geometries are then parsed one by one, fixed where GEOS can (rings
    closed) and left empty where not; ``attrs[READ_WARNINGS]`` says how many."""
    try:
        return pyogrio.read_dataframe(_ogr_path(p), layer=layer, **kwargs)
    except shapely.errors.GEOSException:
        pass
    frame = pyogrio.read_dataframe(_ogr_path(p), layer=layer, read_geometry=False, **kwargs)
    meta, _fids, wkb, _fields = pyogrio.raw.read(_ogr_path(p), layer=layer, columns=[],
                                                 **kwargs)
    strict = shapely.from_wkb(wkb, on_invalid="ignore")
    geoms = shapely.from_wkb(wkb, on_invalid="fix")
    bad = shapely.is_missing(strict) & ~shapely.is_missing(np.asarray(wkb, dtype=object))
    lost = bad & shapely.is_missing(geoms)
    out = gpd.GeoDataFrame(frame, geometry=geoms, crs=meta.get("crs"))
    rows = _bad_rows(bad, out.index, 1)
    out.attrs[READ_WARNINGS] = [
        f"'{p.name}': {int(bad.sum()):,} features had malformed rings (e.g. not closed) "
        f"(features {', '.join(map(str, rows))}{', ...' if bad.sum() > len(rows) else ''}); "
        f"{int(bad.sum() - lost.sum()):,} were repaired"
        + (f" and {int(lost.sum()):,} could not be read and were skipped." if lost.any()
           else ".")]
    return out


def _read_vector(p: Path, info: LayerInfo, watch: _Watch, encoding: str | None = None
                 ) -> pd.DataFrame:
    total = info.feature_count
    # A shapefile's .dbf without a .cpg (GDAL then assumes Latin-1): the planner's choice.
    enc = {"encoding": encoding} if encoding else {}
    try:
        if total is not None and total == 0:
            raise EmptyFile(p, f"layer '{info.name}' holds no features")
        fast = False
        if total is not None and total > VECTOR_BATCH:
            caps = pyogrio.read_info(_ogr_path(p), layer=info.name).get("capabilities", {})
            # Batches re-open the file; only worth it where GDAL can jump to a feature
            # (GeoPackage, shapefile, FlatGeobuf), not where it must re-parse (GeoJSON).
            fast = bool(caps.get("fast_set_next_by_index"))
        if not fast:
            df = read_ogr(p, info.name, **enc)
            watch.step(0.6)
            return df
        parts = []
        for start in range(0, total, VECTOR_BATCH):
            parts.append(read_ogr(p, info.name, skip_features=start, max_features=VECTOR_BATCH,
                                  **enc))
            watch.step(0.6 * min((start + VECTOR_BATCH) / total, 1.0))
        out = pd.concat(parts, ignore_index=True)
        out.attrs[READ_WARNINGS] = [w for part in parts for w in part.attrs.get(READ_WARNINGS, [])]
        return out
    except (DataSourceError, DataLayerError) as exc:
        raise _open_error(p, exc) from exc
    except OSError as exc:
        raise _reraise_os(p, exc) from exc


def _vector_crs(p: Path, gdf: gpd.GeoDataFrame, source_crs: str | None) -> str:
    if source_crs is not None:
        return normalise_crs(source_crs)
    if gdf.crs is None:
        b = gdf.total_bounds
        raise MissingCRS(p, guess_crs((float(b[0]), float(b[1]), float(b[2]), float(b[3]))))
    return normalise_crs(gdf.crs)


def _bad_rows(mask: np.ndarray, index: pd.Index, row_base: int, limit: int = 5) -> list[int]:
    """Row numbers of the first ``limit`` flagged rows: the 0-based data row + ``row_base``
    (2 for tables, whose header is row 1; 1 for features)."""
    labels = index[np.flatnonzero(mask)[:limit]]
    return [int(v) + row_base for v in labels]


@dataclass
class _Located:
    """A table with its geometry source: x/y arrays (kept apart so a million points are
    built once, already in the project CRS) or an array of shapely geometries."""

    frame: pd.DataFrame
    crs: str
    xs: np.ndarray | None = None
    ys: np.ndarray | None = None
    geoms: np.ndarray | None = None

    def subset(self, keep: np.ndarray) -> _Located:
        return _Located(
            self.frame.loc[keep], self.crs,
            None if self.xs is None else self.xs[keep],
            None if self.ys is None else self.ys[keep],
            None if self.geoms is None else self.geoms[keep],
        )

    def bounds(self) -> tuple[float, float, float, float]:
        if self.xs is not None and self.ys is not None:
            return (float(self.xs.min()), float(self.ys.min()), float(self.xs.max()),
                    float(self.ys.max()))
        tb = shapely.total_bounds(self.geoms)
        return (float(tb[0]), float(tb[1]), float(tb[2]), float(tb[3]))

    def to_gdf(self, p: Path, dst: str | None = None) -> gpd.GeoDataFrame:
        """Points transformed straight into ``dst`` (x/y tables) or geometries in the
        source CRS (WKT tables; reprojected later with the vector path)."""
        if self.xs is None or self.ys is None:
            return gpd.GeoDataFrame(self.frame, geometry=self.geoms, crs=self.crs)
        x, y = self.xs, self.ys
        crs = self.crs
        if dst is not None and CRS.from_user_input(dst) != CRS.from_user_input(self.crs):
            x, y = Transformer.from_crs(self.crs, dst, always_xy=True).transform(x, y)
            crs = dst
            if not (np.isfinite(x).all() and np.isfinite(y).all()):
                raise CoordinatesOutOfRange(
                    p, f"some coordinates cannot be converted from "
                       f"{CRS.from_user_input(self.crs).name} to {CRS.from_user_input(dst).name}")
        return gpd.GeoDataFrame(self.frame, geometry=gpd.points_from_xy(x, y), crs=crs,
                                copy=False)


def _table_geometry(
    p: Path, df: pd.DataFrame, mapping: Mapping[str, str], source_crs: str | None,
    allow_bad: bool, *, gtfs: bool = False, row_base: int = 2,
) -> tuple[_Located, list[str]]:
    """Coordinates from x/y columns or geometries from a WKT column, with the source CRS."""
    warnings: list[str] = []
    if df.empty:
        raise EmptyFile(p, "the table has a header but no rows")
    df = df.reset_index(drop=True)
    columns = [str(c) for c in df.columns]
    if "x" in mapping and "y" in mapping:
        coords: tuple[str, str] | None = (mapping["x"], mapping["y"])
    elif "wkt" in mapping:
        coords = None
    else:
        coords = g.find_coordinate_columns(columns)
    wkt = mapping.get("wkt") if coords is None else None
    if coords is None and wkt is None:
        wkt = g.find_wkt_column(columns, {c: df[c].head(200).tolist() for c in columns})
    if coords is None and wkt is None:
        raise NoGeometry(p, f"no coordinate or WKT geometry column among {_col_list(columns)}")
    for c in (coords or (wkt,)):
        if c not in df.columns:
            raise MissingColumn(p, f"the column '{c}' is not in the table", column=c)
    if coords:
        xs = g.to_number(df[coords[0]]).to_numpy()
        ys = g.to_number(df[coords[1]]).to_numpy()
        if _yes(mapping.get(SWAP_AXES)):
            xs, ys = ys, xs
        bad = ~(np.isfinite(xs) & np.isfinite(ys))
        loc = _Located(df, "", xs=xs, ys=ys)
    else:
        raw = df[wkt].astype("string").fillna("").to_numpy(dtype=object)
        geoms = shapely.from_wkt(raw, on_invalid="ignore")
        bad = shapely.is_missing(geoms)
        if _yes(mapping.get(SWAP_AXES)):
            geoms = swap_axes(geoms)
        loc = _Located(df.drop(columns=[wkt]), "", geoms=geoms)
    if bad.any():
        col = coords[0] if coords and not np.isfinite(xs[bad]).all() else (
            coords[1] if coords else wkt)
        rows = _bad_rows(bad, df.index, row_base)
        kind = "missing or not numbers" if coords else "missing or not valid WKT"
        if bad.all():
            raise NoGeometry(p, f"no row has usable coordinates in '{col}' "
                                f"(values are {kind})", column=col)
        if not allow_bad:
            raise BadValues(p, col, int(bad.sum()), rows, total=len(df), kind=kind,
                            remedy="fix those rows, or load anyway to skip them")
        warnings.append(str(BadValues(p, col, int(bad.sum()), rows, total=len(df), kind=kind,
                                      remedy="those rows were skipped")))
        loc = loc.subset(~bad)
    if coords and source_crs is None and (gtfs or coords_named_lonlat(coords)):
        _check_lonlat_rows(p, loc, coords, row_base)
    b = loc.bounds()
    if source_crs is not None:
        loc.crs = normalise_crs(source_crs)
    elif gtfs:
        loc.crs = WGS84
    else:
        guessed = guess_crs(b)
        if guessed is None or not coords_named_lonlat(coords):
            raise MissingCRS(p, guessed)
        loc.crs = guessed
        warnings.append(controls(
            f"'{p.name}': coordinates in '{coords[0]}'/'{coords[1]}' were read as "
            f"longitude/latitude (WGS 84); if they are not, choose their source CRS [[crs]]."))
    return loc, warnings


def _check_lonlat_rows(p: Path, loc: _Located, coords: tuple[str, str], row_base: int) -> None:
    """Columns named longitude/latitude must hold degrees: name the rows that do not."""
    assert loc.xs is not None and loc.ys is not None
    for col, vals, lim in ((coords[0], loc.xs, 180.0), (coords[1], loc.ys, 90.0)):
        out = np.abs(vals) > lim
        if out.any():
            rows = _bad_rows(out, loc.frame.index, row_base)
            shown = ", ".join(map(str, rows))
            more = ", ..." if out.sum() > len(rows) else ""
            raise CoordinatesOutOfRange(
                p, f"{int(out.sum()):,} of {len(vals):,} values are outside ±{lim:g}°, so they "
                   f"are not {'longitudes' if lim > 90 else 'latitudes'} (rows {shown}{more})",
                row=rows[0], column=col,
                remedy=("fix those rows; if the whole column holds projected coordinates "
                        "(metres), choose the source CRS [[crs]]"),
            )


def _gtfs_filter(p: Path, loc: _Located) -> tuple[_Located, list[str]]:
    """Keep one point per place to board: entrances, nodes and boarding areas are not
    stops, and a station's platforms (``parent_station``) count once, as the station."""
    frame = loc.frame
    if "location_type" not in frame.columns:
        return loc, []
    lt = g.to_number(frame["location_type"]).fillna(0)
    keep = lt.isin([0, 1]).to_numpy().copy()
    warnings = []
    dropped = int((~keep).sum())
    if dropped:
        warnings.append(f"'{p.name}': {dropped:,} entrances, nodes and boarding areas "
                        f"(location_type 2-4) are not stops and were left out.")
    if "parent_station" in frame.columns and "stop_id" in frame.columns:
        ids = frame["stop_id"].astype("string").str.strip()
        stations = set(ids[(lt == 1).to_numpy() & keep].dropna())
        parent = frame["parent_station"].astype("string").str.strip()
        platform = (keep & (lt == 0).to_numpy() & parent.isin(stations).fillna(False)
                    .to_numpy(dtype=bool))
        if platform.any():
            keep &= ~platform
            n_st = parent[platform].nunique()
            warnings.append(f"'{p.name}': {int(platform.sum()):,} platforms of {n_st:,} "
                            f"stations count once, as their station (parent_station).")
    if keep.all():
        return loc, warnings
    return loc.subset(keep), warnings


# Mapping key of the geometry family kept from a mixed layer ('point', 'line', 'polygon').
KEEP_GEOMETRY = "keep_geometry"
# Mapping key: 'yes' when x and y of the file are the wrong way round (lat/lon for lon/lat).
SWAP_AXES = "swap_axes"


def _yes(value: object) -> bool:
    return str(value or "").strip().lower() in ("yes", "true", "1")


def swap_axes(geoms: np.ndarray) -> np.ndarray:
    """Geometries with x and y exchanged (a file that wrote latitude first)."""
    return shapely.transform(np.asarray(geoms, dtype=object), lambda c: c[:, ::-1])
# The roles whose features are places: a polygon or line among them stands for the point
# inside it (an OSM shop mapped as its building outline is still one shop).
POINT_ROLES = frozenset({LayerRole.ESTABLISHMENTS, LayerRole.INSTITUTIONS,
                         LayerRole.TRANSIT_STOPS})
# The geometry type a role keeps from a mixed layer unless the user picks another.
ROLE_GEOMETRY = {LayerRole.NEIGHBOURHOODS: "polygon", LayerRole.DISTRICTS: "polygon",
                 LayerRole.TRANSIT_LINES: "line"}
GEOMETRY_FAMILIES = ("point", "line", "polygon")
_FAMILY = {0: "point", 4: "point", 1: "line", 2: "line", 5: "line", 3: "polygon",
           6: "polygon", 7: "collection"}


def geometry_families(geoms: Any) -> pd.Series:
    """'point', 'line', 'polygon' or 'collection' per geometry (None for missing)."""
    ids = shapely.get_type_id(np.asarray(geoms, dtype=object))
    return pd.Series(ids).map(_FAMILY)


def geometry_note(counts: Mapping[str, int], role: LayerRole | str | None,
                  keep: str | None = None) -> tuple[str | None, bool]:
    """What a read will do with the geometry types of a layer, for the Import dialog's
    preview before Add: (message or None, whether the read would refuse).

    ``counts``: features per family (see :func:`geometry_families`); ``keep``: the family
    the user keeps from a mixed layer (points, lines or polygons)."""
    counts = {k: int(n) for k, n in counts.items() if n}
    if not counts:
        return None, False
    role = LayerRole(role) if role is not None else None
    others = {k: n for k, n in counts.items() if k != "point"}
    if role in POINT_ROLES:
        if not others:
            return None, False
        desc = _family_list(others)
        return (f"Each of the {desc} will count as one point inside it (its representative "
                f"point).", False)
    if len(counts) == 1 and "collection" not in counts:
        return None, False
    keep = keep or (ROLE_GEOMETRY.get(role) if role is not None else None)
    if keep not in counts:
        return (f"The layer mixes geometry types ({_family_list(counts)}); choose which "
                f"geometry type to keep, or give it a point role (establishments, "
                f"institutions, stops).", True)
    left = {k: n for k, n in counts.items() if k != keep}
    return (f"Only the {counts[keep]:,} {_plural(keep, counts[keep])} will be kept; "
            f"{_family_list(left)} will be left out.", False)


def _plural(family: str, n: int) -> str:
    name = {"point": "point", "line": "line", "polygon": "polygon",
            "collection": "geometry collection"}.get(family, family)
    return name if n == 1 else name + "s"


def _family_list(counts: Mapping[str, int]) -> str:
    parts = [f"{n:,} {_plural(k, n)}" for k, n in counts.items()]
    return " and ".join([", ".join(parts[:-1]), parts[-1]]) if len(parts) > 1 else parts[0]


def _clean_geometry(p: Path, gdf: gpd.GeoDataFrame, row_base: int,
                    role: LayerRole | None = None, keep: str | None = None
                    ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Drop empty geometries (warned), repair invalid ones (warned), and settle mixed
    types: a point role takes the representative point of every non-point, another role
    keeps the family ``keep`` (or its own, see ROLE_GEOMETRY) and leaves out the rest;
    a mixed layer with neither is refused before anything is loaded."""
    warnings: list[str] = []
    geoms = gdf.geometry.to_numpy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.all():
        raise NoGeometry(p, "every feature has an empty geometry",
                         remedy="export the layer again with its geometry")
    if empty.any():
        rows = _bad_rows(empty, gdf.index, row_base)
        warnings.append(f"'{p.name}': {int(empty.sum()):,} features without geometry were "
                        f"skipped (rows {', '.join(map(str, rows))}).")
        gdf = gdf.loc[~empty]
        geoms = gdf.geometry.to_numpy()
    fam = geometry_families(geoms).to_numpy()
    counts = pd.Series(fam).value_counts(sort=False).to_dict()
    note, refuse = geometry_note(counts, role, keep)
    if refuse:
        raise MixedGeometry(p, f"the layer mixes geometry types ({_family_list(counts)})",
                            remedy="choose which geometry type to keep (points, lines or "
                                   "polygons) [[geometry]], or load it with a point role "
                                   "(establishments, institutions, stops)")
    to_point = role in POINT_ROLES and (fam != "point").any()
    if not to_point and len(counts) > 1:
        chosen = keep or ROLE_GEOMETRY.get(role)  # type: ignore[arg-type]
        gdf = gdf.loc[fam == chosen]
        geoms = gdf.geometry.to_numpy()
        warnings.append(f"'{p.name}': {note}")
        fam = fam[fam == chosen]
    if (fam != "point").any():
        invalid = ~shapely.is_valid(geoms)
        if invalid.any():
            rows = _bad_rows(invalid, gdf.index, row_base)
            fixed = shapely.make_valid(geoms[invalid], method="structure",
                                       keep_collapsed=False)
            geoms = geoms.copy()
            geoms[invalid] = fixed
            gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
            warnings.append(
                f"'{p.name}': {int(invalid.sum()):,} invalid geometries (e.g. self-"
                f"intersecting) were repaired (rows {', '.join(map(str, rows))}).")
            still = shapely.is_empty(geoms)
            if still.any():
                gdf = gdf.loc[~still]
                geoms = gdf.geometry.to_numpy()
                fam = fam[~still]
                warnings.append(f"'{p.name}': {int(still.sum()):,} geometries collapsed to "
                                f"nothing when repaired and were skipped.")
    if to_point:
        other = fam != "point"
        geoms = geoms.copy()
        geoms[other] = shapely.point_on_surface(geoms[other])
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
        n_other = pd.Series(fam[other]).value_counts(sort=False).to_dict()
        warnings.append(f"'{p.name}': each of the {_family_list(n_other)} counts as one "
                        f"point inside it (its representative point).")
    return gdf, warnings


def _reproject(p: Path, gdf: gpd.GeoDataFrame, src: str, dst: str) -> gpd.GeoDataFrame:
    src_c, dst_c = CRS.from_user_input(src), CRS.from_user_input(dst)
    out = gdf if src_c == dst_c else gdf.to_crs(dst)
    b = out.total_bounds
    if not np.isfinite(b).all():
        lon = bounds_lonlat(tuple(float(v) for v in gdf.total_bounds), src_c)
        span = lon[2] - lon[0]
        if span > 12.0:
            raise CoordinatesOutOfRange(
                p, f"the layer spans {span:,.0f}° of longitude, too wide for the project CRS "
                   f"{dst_c.name}",
                remedy="clip it to the study area (e.g. ogr2ogr -clipsrc) and load the "
                       "clipped file")
        raise CoordinatesOutOfRange(p, f"some coordinates cannot be converted from "
                                       f"{src_c.name} to {dst_c.name}")
    return out


def apply_mapping(
    p: Path, gdf: gpd.GeoDataFrame, role: LayerRole, mapping: dict[str, str],
    overrides: Mapping[str, str] | None = None, allow_bad: bool = False, row_base: int = 1,
) -> tuple[gpd.GeoDataFrame, dict[str, str], list[str]]:
    """Check and convert mapped columns: numbers where numbers are meant (BadValues on null
    or non-numeric values unless ``allow_bad``), sectors to taxonomy keys (``sector_key``),
    institution names to INSTITUTION_TYPES (``institution_type``), rents to EUR (the
    data's currency) per m² per month (``rent_per_m2_month``), renter share to 0..1."""
    warnings: list[str] = []
    mapping = dict(mapping)
    for f, col in list(mapping.items()):
        if f in ("rent_unit", "renter_share_unit", "sector_scheme", "x", "y", "wkt",
                 KEEP_GEOMETRY, SWAP_AXES, "band"):
            continue
        if col not in gdf.columns:
            raise MissingColumn(p, f"the column '{col}' mapped to '{f}' is not in the file",
                                column=col)
        if f in g.NUMERIC_FIELDS:
            nums = g.to_number(gdf[col])
            bad = nums.isna().to_numpy()
            if bad.any():
                rows = _bad_rows(bad, gdf.index, row_base)
                err = BadValues(p, col, int(bad.sum()), rows, total=len(gdf))
                if not allow_bad:
                    raise err
                warnings.append(str(BadValues(p, col, int(bad.sum()), rows, total=len(gdf),
                                              remedy="they count as missing")))
            gdf[col] = nums.to_numpy()
    if "sector" in mapping and mapping["sector"] in gdf.columns:
        col = mapping["sector"]
        scheme = mapping.get("sector_scheme") or guess_scheme(gdf[col].head(2000).tolist(), col)
        sm = SectorMapping.load(scheme).with_overrides(overrides or {})
        values = gdf[col]
        if scheme == "osm" and _osm_key(col):
            values = osm_tag_strings(gdf, first=col)
        keys, unknown = sm.categorise(values, _osm_key(col), unknown_as_raw=True)
        if role == LayerRole.ESTABLISHMENTS:
            street, tags = sm.not_establishments(values, _osm_key(col))
            if street.all():
                raise EmptyFile(p, f"all {len(gdf):,} features are street furniture and "
                                   f"the like ({_tag_list(tags)}), not establishments",
                                remedy="load a file of businesses, or load this one as "
                                       "context with another role")
            if street.any():
                gdf, keys = gdf.loc[~street].copy(), keys[~street]
                unknown = [(u, n) for u, n in unknown if u in set(keys.tolist())]
                warnings.append(
                    f"'{p.name}': {int(street.sum()):,} features are not establishments "
                    f"and were left out ({_tag_list(tags)}); the mapping file marks such "
                    f"tags business=no.")
        gdf[SECTOR_COLUMN] = keys
        mapping.update(sector=SECTOR_COLUMN, sector_source=col, sector_scheme=scheme)
        if unknown:
            shown = ", ".join(f"'{u or '(empty)'}' ({n:,} rows)" for u, n in unknown[:10])
            more = f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else ""
            warnings.append(
                f"'{p.name}', column '{col}': {len(unknown):,} categories are not in the "
                f"{scheme} sector mapping and count as non-creative until you map them: "
                f"{shown}{more}.")
    if "type" in mapping and role == LayerRole.INSTITUTIONS:
        col = mapping["type"]
        types, unknown = map_institution_types(gdf[col])
        gdf[INSTITUTION_TYPE_COLUMN] = types
        mapping.update(type=INSTITUTION_TYPE_COLUMN, type_source=col)
        if unknown:
            shown = ", ".join(f"'{u or '(empty)'}' ({n:,} rows)" for u, n in unknown[:10])
            more = f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else ""
            warnings.append(
                f"'{p.name}', column '{col}': {len(unknown):,} institution types are not "
                f"known and count as 'other institution': {shown}{more}.")
    if "rent" in mapping and role == LayerRole.RENTS:
        col = mapping["rent"]
        unit = mapping.get("rent_unit") or g.guess_rent_unit(col, gdf[col].head(1000).tolist())
        area_col = mapping.get("floor_area")
        conv = g.rent_conversion(unit)
        vals = gdf[col].to_numpy(dtype=float)
        if conv.factor is not None:
            out = vals * conv.factor
        else:
            per = 12.0 if unit.endswith("year") else 1.0
            if area_col:
                area = gdf[area_col].to_numpy(dtype=float)
                area = np.where(area > 0, area, np.nan)
                out = vals / area / per
            else:
                out = vals / float(conv.floor_area_m2 or g.DEFAULT_DWELLING_M2) / per
        gdf[RENT_COLUMN] = out
        mapping.update(rent=RENT_COLUMN, rent_source=col, rent_unit=unit)
        warnings.append(conv.describe(col, area_col))
    if "renter_share" in mapping and role == LayerRole.NEIGHBOURHOODS:
        col = mapping["renter_share"]
        vals = gdf[col].to_numpy(dtype=float)
        unit = mapping.get("renter_share_unit") or (
            "percent" if np.nanmax(vals, initial=0) > 1.5 else "share")
        gdf[RENTER_SHARE_COLUMN] = vals / 100.0 if unit == "percent" else vals
        mapping.update(renter_share=RENTER_SHARE_COLUMN, renter_share_source=col,
                       renter_share_unit=unit)
        if unit == "percent":
            warnings.append(f"Renter share in '{col}' read as percent and divided by 100.")
    return gdf, mapping, warnings


# --------------------------------------------------------------------------------------
# Rasters and basemap tiles
# --------------------------------------------------------------------------------------


def _read_raster(
    p: Path, info: LayerInfo, role: LayerRole | None, mapping: dict[str, str],
    source_crs: str | None, project_crs: str | None, watch: _Watch,
) -> LoadedLayer:
    warnings: list[str] = []
    src_name = _raster_source(p, info)
    try:
        with rasterio.open(src_name) as src:
            crs = source_crs or (src.crs.to_string() if src.crs else None)
            b = src.bounds
            bounds = (float(b.left), float(b.bottom), float(b.right), float(b.top))
            if crs is None:
                raise MissingCRS(p, guess_crs(bounds))
            crs = normalise_crs(crs)
            check_coordinates(p, bounds, crs)
            colour = info.kind == "tiles" or (src.count >= 3 and src.dtypes[0] == "uint8")
            if role is None:
                role = LayerRole.BASEMAP if colour else g.guess_role([], None, "raster",
                                                                     info.name)
            if project_crs is None:
                project_crs = choose_project_crs([(bounds, crs)])
            if role == LayerRole.BASEMAP:
                data = _read_basemap(src, crs, project_crs, info.name, watch)
                unit = "argb32"
                values = data[0]
                transform = data[1]
            else:
                band = _chosen_band(p, mapping, src.count, role)
                values, transform = _read_band(src, band, watch)
                mapping["band"] = f"band {band}"
                values, transform = _warp(values, transform, crs, project_crs,
                                          Resampling.bilinear)
                unit = ""
    except RasterioIOError as exc:
        raise _open_error(p, exc) from exc
    except MemoryError as exc:
        raise FileTooLarge(p, estimate_memory(p, "raster", info), available_memory()) from exc
    if role == LayerRole.RENTS:
        r_unit = mapping.get("rent_unit") or g.guess_rent_unit(
            info.name, values[np.isfinite(values)][:10000].tolist())
        conv = g.rent_conversion(r_unit)
        if conv.factor is not None:
            values = values * conv.factor
        else:
            per = 12.0 if r_unit.endswith("year") else 1.0
            values = values / float(conv.floor_area_m2 or g.DEFAULT_DWELLING_M2) / per
        mapping.update(rent=mapping["band"], rent_unit=r_unit)
        unit = "EUR/m²/month"
        _check_plausible_rents(p, values, mapping["band"], r_unit)
        warnings.append(conv.describe(info.name))
    if role != LayerRole.BASEMAP and not np.isfinite(values).any():
        raise EmptyFile(p, "every cell of the raster is 'no data'")
    raster = Raster(values=values, transform=tuple(transform)[:6], crs=project_crs,
                    name=info.name, unit=unit)
    return LoadedLayer(name=_layer_name(p, info), data=raster, role=role, mapping=mapping,
                       source=str(p), warnings=warnings)


# Rents per m² a month outside this range are not rents (a satellite image's reflectances,
# elevation in metres, a value in cents): the middle 90% of the cells must lie within it.
PLAUSIBLE_RENT_M2_MONTH = (0.5, 300.0)


def _chosen_band(p: Path, mapping: Mapping[str, str], count: int, role: LayerRole) -> int:
    """The band to read: ``mapping['band']``, or for a rent surface ``mapping['rent']``
    (the dialog's Rent value, e.g. 'band 4'); band 1 of a single-band raster. A rent
    surface from a multi-band image needs a chosen band: a 6-band satellite image was
    once read as rents."""
    chosen = mapping.get("band") or (mapping.get("rent") if role == LayerRole.RENTS else None)
    if chosen:
        try:
            return int(str(chosen).split()[-1])
        except ValueError as exc:
            raise MissingColumn(p, f"'{chosen}' is not a band of the raster (it has "
                                   f"{count} bands)", column=str(chosen)) from exc
    if count > 1 and role == LayerRole.RENTS:
        raise NotRents(p, f"the raster has {count} bands and none was chosen as the rent",
                       remedy=f"choose which band (1-{count}) holds rents [[band]]")
    return 1


def _check_plausible_rents(p: Path, values: np.ndarray, band: str, unit: str) -> None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return
    lo, hi = np.percentile(finite, [5, 95])
    low, high = PLAUSIBLE_RENT_M2_MONTH
    if lo < low or hi > high:
        raise NotRents(
            p, f"its values are not plausible rents: read as {unit.replace('_', ' per ')}, "
               f"the middle 90% of cells run from {lo:,.2f} to {hi:,.2f} EUR/m² a month "
               f"(rents lie between {low:g} and {high:g})", column=band,
            remedy="check that this is a rent surface and that the band and rent unit are "
                   "right, or load it as context")


def _read_band(src: Any, band: int, watch: _Watch) -> tuple[np.ndarray, Any]:
    """One band as float64 with NaN for nodata, read in strips so Cancel stays quick."""
    if not 1 <= band <= src.count:
        raise MissingColumn(Path(src.name), f"the raster has no band {band} (it has "
                                            f"{src.count})", column=f"band {band}")
    out = np.empty((src.height, src.width), dtype=np.float64)
    step = max(1, src.height // 10)
    for r0 in range(0, src.height, step):
        h = min(step, src.height - r0)
        win = rasterio.windows.Window(0, r0, src.width, h)
        block = src.read(band, window=win, masked=True)
        out[r0:r0 + h] = block.astype(np.float64).filled(np.nan)
        watch.step(0.7 * (r0 + h) / src.height)
    return out, src.transform


def _warp(values: np.ndarray, transform: Any, src_crs: str, dst_crs: str,
          resampling: Resampling) -> tuple[np.ndarray, Any]:
    if CRS.from_user_input(src_crs) == CRS.from_user_input(dst_crs):
        return values, transform
    h, w = values.shape
    left, top = transform @ (0, 0)
    right, bottom = transform @ (w, h)
    dst_t, dw, dh = calculate_default_transform(
        src_crs, dst_crs, w, h, left=min(left, right), bottom=min(top, bottom),
        right=max(left, right), top=max(top, bottom))
    dst = np.full((dh, dw), np.nan, dtype=values.dtype)
    reproject(values, dst, src_transform=transform, src_crs=src_crs, dst_transform=dst_t,
              dst_crs=dst_crs, resampling=resampling, src_nodata=np.nan, dst_nodata=np.nan)
    return dst, dst_t


def _read_basemap(src: Any, crs: str, project_crs: str, name: str, watch: _Watch
                  ) -> tuple[np.ndarray, Any]:
    """Colour tiles as one uint32 ARGB image (0xAARRGGBB, what QImage.Format_ARGB32 holds
    on little-endian machines), at most BASEMAP_MAX_PX a side, reprojected."""
    scale = max(src.width, src.height) / BASEMAP_MAX_PX
    w = max(1, round(src.width / max(scale, 1.0)))
    h = max(1, round(src.height / max(scale, 1.0)))
    bands = min(src.count, 4)
    data = src.read(list(range(1, bands + 1)), out_shape=(bands, h, w),
                    resampling=Resampling.bilinear)
    watch.step(0.5)
    if bands == 1:
        data = np.repeat(data, 3, axis=0)
    if data.shape[0] == 3:
        alpha = np.full((1, h, w), 255, dtype=np.uint8)
        data = np.concatenate([data, alpha])
    transform = src.transform @ rasterio.Affine.scale(src.width / w, src.height / h)
    if CRS.from_user_input(crs) != CRS.from_user_input(project_crs):
        left, top = transform @ (0, 0)
        right, bottom = transform @ (w, h)
        dst_t, dw, dh = calculate_default_transform(crs, project_crs, w, h, left=left,
                                                    bottom=bottom, right=right, top=top)
        out = np.zeros((4, dh, dw), dtype=np.uint8)
        for i in range(4):
            reproject(data[i], out[i], src_transform=transform, src_crs=crs,
                      dst_transform=dst_t, dst_crs=project_crs,
                      resampling=Resampling.bilinear, src_nodata=None, dst_nodata=0)
        data, transform = out, dst_t
    watch.step(0.9)
    r, gg, b, a = (data[i].astype(np.uint32) for i in range(4))
    argb = (a << 24) | (r << 16) | (gg << 8) | b
    return argb, transform


# --------------------------------------------------------------------------------------
# Several files at once (command line, drag and drop)
# --------------------------------------------------------------------------------------


def read_files(
    paths: Sequence[str | Path], *, project_crs: str | None = None,
    existing: Sequence[tuple[float, float, float, float]] = (),
) -> tuple[list[LoadedLayer], list[DataImportError]]:
    """Read several files with guessed roles into one project CRS (UTM of all their
    centres when None); a file that fails is reported and the others still load.

    ``existing``: bounds of layers already in the document (project CRS), for the
    "lands far from the others" warning.
    """
    errors: list[DataImportError] = []
    # Every data layer of a multi-layer file (a GeoPackage of an office's layers): one that
    # cannot be read is reported and the others still load.
    jobs: list[tuple[str | Path, str | None, DataImportError | None]] = []
    for path in paths:
        try:
            infos = [i for i in list_layers(path) if i.kind != "tiles" or len(paths) == 1]
        except DataImportError as exc:
            jobs.append((path, None, exc))
            continue
        names = [i.name for i in infos] if len(infos) > 1 else [None]
        jobs += [(path, name, None) for name in names]
    if project_crs is None:
        boxes = []
        for path, name, failed in jobs:
            if failed is not None:
                continue
            try:
                pv = preview(path, name, n=1)
            except DataImportError:
                continue
            crs = pv.crs or pv.guessed_crs
            if pv.bounds and crs:
                boxes.append((pv.bounds, crs))
        project_crs = choose_project_crs(boxes) if boxes else None
    loaded: list[LoadedLayer] = []
    for path, name, failed in jobs:
        if failed is not None:
            errors.append(failed)
            continue
        try:
            layer = read_layer(path, name, project_crs=project_crs)
        except DataImportError as exc:
            if name is not None:
                exc.problem = f"layer '{name}': {exc.problem}"
            errors.append(exc)
            continue
        project_crs = project_crs or _data_crs(layer)
        loaded.append(layer)
    bounds = [_data_bounds(layer) for layer in loaded]
    for i, layer in enumerate(loaded):
        others = [*existing, *bounds[:i], *bounds[i + 1:]]
        w = far_warning(layer.name, bounds[i], others)
        if w:
            layer.warnings.append(w)
    return loaded, errors


def _data_crs(layer: LoadedLayer) -> str:
    if isinstance(layer.data, Raster):
        return layer.data.crs
    return normalise_crs(layer.data.crs)


def _data_bounds(layer: LoadedLayer) -> tuple[float, float, float, float]:
    if isinstance(layer.data, Raster):
        return layer.data.bounds
    b = layer.data.total_bounds
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


@import_errors
def unknown_categories(
    path: str | Path, column: str, layer: str | None = None, *, scheme: str | None = None,
    overrides: Mapping[str, str] | None = None, encoding: str | None = None,
) -> tuple[str, list[tuple[str, int]]]:
    """(scheme, [(category, rows)]) of a sector column over the whole file, most frequent
    first, reading only that column (and the other OSM tag columns when it is one); for the
    dialog's "map unknown categories" table."""
    p = Path(path)
    kind = file_kind(p)
    osm = _osm_key(column) is not None

    def wanted(columns: Iterable[str]) -> list[str]:
        return [c for c in columns if c == column or (osm and c.lower() in OSM_KEYS)]

    if kind in ("table", "zip-table", "gtfs"):
        fmt = _text_format(p, kind, encoding)
        head = _read_csv(p, kind, fmt, nrows=0)
        if column not in head.columns:
            raise MissingColumn(p, f"the column '{column}' is not in the file", column=column)
        cols = wanted(head.columns)
        df = _read_csv(p, kind, fmt, str_columns=cols, usecols=cols)
    else:
        info = _pick_layer(p, list_layers(p), layer)
        try:
            fields = pyogrio.read_info(_ogr_path(p), layer=info.name)["fields"]
            if column not in list(fields):
                raise MissingColumn(p, f"the column '{column}' is not in the file",
                                    column=column)
            df = pyogrio.read_dataframe(_ogr_path(p), layer=info.name,
                                        columns=wanted(fields), read_geometry=False)
        except (DataSourceError, DataLayerError) as exc:
            raise _open_error(p, exc) from exc
    values = df[column]
    scheme = scheme or guess_scheme(values.head(2000).tolist(), column)
    if scheme == "osm" and osm:
        values = osm_tag_strings(df, first=column)
    sm = SectorMapping.load(scheme).with_overrides(overrides or {})
    _, unknown = sm.categorise(values, _osm_key(column))
    return scheme, unknown
