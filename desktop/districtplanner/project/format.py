"""The plan <-> one GeoPackage: what goes in which table, and back.

Layout (format 1), every table plain so QGIS, ArcGIS, ``ogrinfo`` and sqlite read it:

- ``districts``: a MultiPolygon layer (name, colour, notes, visible, dp_id, dp_position,
  dp_multi); a district drawn as one polygon is stored promoted and ``dp_multi = 0``
  brings it back as the same Polygon, coordinates untouched.
- one table per vector layer copied in (``layerN_slug``), written by pyogrio.
- ``dp_rasters``: rasters as zlib-compressed raw arrays with dtype, shape, transform and CRS.
  GeoPackage's own tile rasters hold PNG bytes or float32 TIFF tiles only, so a float64 rent
  surface with NaN as no-data would not come back bit for bit; a plain blob does.
- attribute tables ``dp_meta`` (key, value), ``dp_layers`` (one row per layer in draw order:
  role, mapping, style, visible, analysed, storage, link), ``dp_assumptions`` (name, value),
  ``dp_instruments`` (one row per instrument: district, kind, parameters as JSON text),
  ``dp_votes``, ``dp_sketches`` (geometry as WKT with shortest round-trip digits).

Reading goes file -> plain dicts (``RawProject``) -> migrations -> Document, so a migration is a
pure function on dicts. Nothing is ever evaluated or unpickled.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from shapely.geometry import MultiPolygon, Polygon

from districtplanner import __version__
from districtplanner.analysis.assumptions import AssumptionError, Assumptions
from districtplanner.analysis.incentives import Instrument, InstrumentError
from districtplanner.analysis.raster import Raster
from districtplanner.analysis.roles import LayerRole
from districtplanner.model.district import District
from districtplanner.model.document import Document, DocumentError
from districtplanner.model.layer import Layer, LayerStyle
from districtplanner.project.errors import (
    CorruptProjectError,
    NewerVersionError,
    NotAProjectError,
    ProjectError,
    ProjectNotFoundError,
)
from districtplanner.project.links import LinkInfo, link_info, read_linked, split_source

FORMAT_VERSION = 1

DISTRICTS_TABLE = "districts"
DP_TABLES = ("dp_meta", "dp_layers", "dp_assumptions", "dp_instruments", "dp_votes",
             "dp_sketches", "dp_rasters")

# Layer.meta keys the project format owns: "storage" ("copy" or "link", the planner's
# choice), "link" (LinkInfo as a dict), "missing" (why a linked file could not be read).
STORAGE_LINK = "link"

_SCHEMA = {
    "dp_meta": "key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL",
    "dp_layers": (
        "position INTEGER PRIMARY KEY NOT NULL, layer_id TEXT NOT NULL, name TEXT NOT NULL, "
        "role TEXT NOT NULL, storage TEXT NOT NULL, table_name TEXT, geometry_column TEXT, "
        "crs TEXT, mapping TEXT NOT NULL, style TEXT NOT NULL, visible INTEGER NOT NULL, "
        "analysed INTEGER NOT NULL, source TEXT NOT NULL, meta TEXT NOT NULL, link TEXT, "
        "feature_count INTEGER NOT NULL"
    ),
    "dp_assumptions": "name TEXT PRIMARY KEY NOT NULL, value REAL NOT NULL",
    "dp_instruments": (
        "district_id TEXT NOT NULL, position INTEGER NOT NULL, kind TEXT NOT NULL, "
        "name TEXT NOT NULL, enabled INTEGER NOT NULL, start_year INTEGER NOT NULL, "
        "eligible_sectors TEXT NOT NULL, params TEXT NOT NULL, "
        "PRIMARY KEY (district_id, position)"
    ),
    "dp_votes": "district_id TEXT PRIMARY KEY NOT NULL, votes INTEGER NOT NULL",
    "dp_sketches": (
        "position INTEGER PRIMARY KEY NOT NULL, sketch_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "wkt TEXT NOT NULL, colour TEXT NOT NULL, text TEXT NOT NULL"
    ),
    "dp_rasters": (
        "table_name TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, unit TEXT NOT NULL, "
        "crs TEXT NOT NULL, transform TEXT NOT NULL, dtype TEXT NOT NULL, "
        "rows INTEGER NOT NULL, cols INTEGER NOT NULL, codec TEXT NOT NULL, data BLOB NOT NULL"
    ),
}


# ------------------------------------------------------------------------------ writing
def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return s[:40] or "layer"


def _jsonable(value: Any) -> Any:
    """Layer.meta holds readers' notes (warnings); anything not plain JSON is kept as text."""
    return json.loads(json.dumps(value, default=str))


def _empty_frame(crs: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=crs or None))


def _write_vector(gdf: gpd.GeoDataFrame, path: Path, table: str,
                  spatial_index: bool = True) -> None:
    frame = gdf.reset_index(drop=True)
    kwargs: dict[str, Any] = {}
    if not spatial_index:
        kwargs["layer_options"] = {"SPATIAL_INDEX": "NO"}
    if len(frame) == 0:
        kwargs["geometry_type"] = "Unknown"
    # promote_to_multi=False: a layer of Polygons stays Polygons, coordinates untouched.
    pyogrio.write_dataframe(frame, path, layer=table, driver="GPKG", promote_to_multi=False,
                            **kwargs)


def _districts_frame(document: Document, crs: str) -> gpd.GeoDataFrame:
    rows = []
    geoms = []
    for pos, d in enumerate(document.districts):
        g = d.geometry
        rows.append({"name": d.name, "colour": d.colour, "notes": d.notes,
                     "visible": bool(d.visible), "dp_id": d.id, "dp_position": pos,
                     "dp_multi": not isinstance(g, Polygon)})
        geoms.append(MultiPolygon([g]) if isinstance(g, Polygon) else g)
    columns = ["name", "colour", "notes", "visible", "dp_id", "dp_position", "dp_multi"]
    frame = gpd.GeoDataFrame(rows, columns=columns,
                             geometry=gpd.GeoSeries(geoms, crs=crs or None))
    if not rows:
        frame = frame.astype({"visible": bool, "dp_position": "int64", "dp_multi": bool})
    return frame


def write_project(document: Document, path: Path, project_dir: Path | None = None,
                  spatial_index: bool = True) -> dict:
    """Write ``document`` as a new GeoPackage at ``path`` (which must not exist yet).

    ``project_dir`` is the folder the final file will live in (links are stored relative to
    it). ``spatial_index=False`` leaves out the layers' R-trees: a copy only ever read back
    whole (the plan attached to a PDF) is then 40% smaller and written twice as fast at a
    million points; QGIS still opens it. Returns what was written (table -> row count) so
    the caller can validate the file.
    """
    project_dir = project_dir or path.parent
    crs = document.crs
    expected: dict[str, int] = {}
    districts = _districts_frame(document, crs)
    pyogrio.write_dataframe(districts, path, layer=DISTRICTS_TABLE, driver="GPKG",
                            geometry_type="MultiPolygon", promote_to_multi=False,
                            layer_options=None if spatial_index else {"SPATIAL_INDEX": "NO"})
    expected[DISTRICTS_TABLE] = len(districts)

    layer_rows: list[tuple] = []
    raster_rows: list[tuple] = []
    for pos, layer in enumerate(document.layers):
        meta = dict(layer.meta)
        link = meta.pop("link", None)
        missing = meta.pop("missing", None)
        storage = meta.pop("storage", "copy")
        table = None
        geometry_column = None
        data_crs = ""
        if missing and link:
            storage = STORAGE_LINK  # never drop a missing layer: keep its link as it was
            meta["missing"] = missing
        elif storage == STORAGE_LINK and split_source(layer.source)[0].is_file():
            link = link_info(layer, project_dir).to_dict()
        elif isinstance(layer.data, Raster):
            storage = "raster"
            link = None
            table = f"raster{pos + 1}_{_slug(layer.name)}"
            r = layer.data
            values = np.ascontiguousarray(r.values)
            raster_rows.append((
                table, r.name, r.unit, r.crs, json.dumps(list(r.transform)),
                values.dtype.str, int(values.shape[0]), int(values.shape[1]), "zlib",
                zlib.compress(values.tobytes(), 1),
            ))
            data_crs = r.crs
        else:
            # Also a layer meant as a link whose file has gone since it was read: the data
            # in memory is all there is, so it is copied rather than lost.
            storage = "copy"
            link = None
            table = f"layer{pos + 1}_{_slug(layer.name)}"
            gdf = layer.data
            geometry_column = gdf.geometry.name
            data_crs = gdf.crs.to_string() if gdf.crs is not None else ""
            _write_vector(gdf, path, table, spatial_index)
            expected[table] = len(gdf)
        layer_rows.append((
            pos, layer.id, layer.name, str(layer.role.value), storage, table, geometry_column,
            data_crs, json.dumps(dict(layer.mapping)), json.dumps(vars(layer.style)),
            int(bool(layer.visible)), int(bool(getattr(layer, "analysed", True))),
            layer.source, json.dumps(_jsonable(meta)),
            json.dumps(link) if link else None, int(layer.feature_count),
        ))

    metadata = dict(getattr(document, "metadata", {"title": document.title}))
    view = getattr(document, "view", None)
    active = document.selection.active_district
    meta_rows = {
        "format_version": str(FORMAT_VERSION),
        "app_version": __version__,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "crs": crs,
        "title": metadata.get("title", ""),
        "author": metadata.get("author", ""),
        "organisation": metadata.get("organisation", ""),
        "view": json.dumps(list(view)) if view is not None else "",
        "currency": document.assumptions.currency,
        "active_district": active or "",
    }
    instrument_rows = []
    for d in document.districts:
        for pos, inst in enumerate(d.instruments):
            data = inst.to_dict()
            instrument_rows.append((
                d.id, pos, data["kind"], data["name"], int(data["enabled"]),
                data["start_year"], json.dumps(data["eligible_sectors"]),
                json.dumps(data["params"]),
            ))
    votes = dict(getattr(document, "votes", {}))
    sketches = list(getattr(document, "sketches", []))
    sketch_rows = [
        (pos, s.id, s.kind, shapely.to_wkt(s.geometry, rounding_precision=17, trim=True),
         s.colour, s.text)
        for pos, s in enumerate(sketches)
    ]
    tables = {
        "dp_meta": list(meta_rows.items()),
        "dp_layers": layer_rows,
        "dp_assumptions": list(dict(document.assumptions).items()),
        "dp_instruments": instrument_rows,
        "dp_votes": list(votes.items()),
        "dp_sketches": sketch_rows,
        "dp_rasters": raster_rows,
    }
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with closing(sqlite3.connect(path)) as con, con:
        for name, rows in tables.items():
            con.execute(f"CREATE TABLE {name} ({_SCHEMA[name]})")
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                con.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
            # Registered as GeoPackage attribute tables, so GIS tools list them too.
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, last_change) "
                "VALUES (?, 'attributes', ?, ?)", (name, name, now))
            expected[name] = len(rows)
    return expected


# ------------------------------------------------------------------------------ reading
@dataclass
class RawProject:
    """A project file as plain values: what migrations transform. Rows are dicts."""

    path: Path
    meta: dict[str, str]
    layers: list[dict[str, Any]]
    assumptions: dict[str, float]
    instruments: list[dict[str, Any]]
    votes: dict[str, int]
    sketches: list[dict[str, Any]]
    rasters: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def version(self) -> int:
        return int(self.meta.get("format_version", "0") or 0)


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    # Read-only: opening a plan must never touch it (no journal, no WAL beside it).
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        yield con
    finally:
        con.close()


def _tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _corrupt(path: Path, what: str) -> CorruptProjectError:
    return CorruptProjectError(
        path, f"the project file is damaged or incomplete ({what}). Open the previous "
        f"version '{path.name}.bak' beside it, or an autosave (File > Recover), instead.")


def read_raw(path: Path) -> RawProject:
    """Check ``path`` is a readable project of a version we know and read its plain tables."""
    if not path.exists():
        raise ProjectNotFoundError(path, "no such file; check the name and folder, or choose "
                                   "it again with File > Open.")
    if path.is_dir():
        raise ProjectError(path, "this is a folder, not a project file; choose a .gpkg file.")
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise ProjectError(path, f"cannot be read ({exc.strerror or exc}); check that you "
                           "may read it.") from None
    if head != b"SQLite format 3\x00":
        if path.stat().st_size == 0:
            raise _corrupt(path, "the file is empty")
        raise CorruptProjectError(
            path, "this is not a GeoPackage (a District Planner project is a .gpkg file). "
            "If it is a data file, add it with File > Add layer instead.")
    try:
        with _connect(path) as con:
            tables = _tables(con)
            if "gpkg_contents" not in tables:
                raise CorruptProjectError(
                    path, "this SQLite file is not a GeoPackage, so not a District Planner "
                    "project; choose a .gpkg project file.")
            if "dp_meta" not in tables:
                layers = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")]
                raise NotAProjectError(path, layers)
            meta = {str(r["key"]): str(r["value"]) for r in con.execute("SELECT * FROM dp_meta")}
            try:
                version = int(meta.get("format_version", ""))
            except ValueError:
                raise _corrupt(path, "its format version is unreadable") from None
            if version > FORMAT_VERSION:
                raise NewerVersionError(path, version, FORMAT_VERSION,
                                        meta.get("app_version", ""))
            missing = [t for t in DP_TABLES if t not in tables]
            if DISTRICTS_TABLE not in tables:
                missing.append(DISTRICTS_TABLE)
            if missing:
                raise _corrupt(path, f"table(s) {', '.join(missing)} missing")
            raw = RawProject(
                path=path,
                meta=meta,
                layers=[dict(r) for r in con.execute(
                    "SELECT * FROM dp_layers ORDER BY position")],
                assumptions={str(r["name"]): float(r["value"]) for r in con.execute(
                    "SELECT * FROM dp_assumptions")},
                instruments=[dict(r) for r in con.execute(
                    "SELECT * FROM dp_instruments ORDER BY district_id, position")],
                votes={str(r["district_id"]): int(r["votes"]) for r in con.execute(
                    "SELECT * FROM dp_votes")},
                sketches=[dict(r) for r in con.execute(
                    "SELECT * FROM dp_sketches ORDER BY position")],
                rasters={str(r["table_name"]): dict(r) for r in con.execute(
                    "SELECT * FROM dp_rasters")},
            )
    except sqlite3.DatabaseError as exc:
        raise _corrupt(path, str(exc)) from None
    return raw


def _read_vector(raw: RawProject, row: dict[str, Any]) -> gpd.GeoDataFrame:
    table = row["table_name"]
    try:
        gdf = pyogrio.read_dataframe(raw.path, layer=table)
    except Exception as exc:  # GDAL raises many kinds; all mean a bad table
        raise _corrupt(raw.path, f"layer '{row['name']}' ({table}): {exc}") from None
    if row["geometry_column"] and gdf.geometry.name != row["geometry_column"]:
        gdf = gdf.rename_geometry(row["geometry_column"])
    if row["crs"]:
        gdf = gdf.set_crs(row["crs"], allow_override=True)
    if len(gdf) != row["feature_count"]:
        raise _corrupt(raw.path, f"layer '{row['name']}' has {len(gdf)} rows, "
                       f"{row['feature_count']} were saved")
    return gdf


def _read_raster(raw: RawProject, row: dict[str, Any]) -> Raster:
    r = raw.rasters.get(row["table_name"])
    if r is None:
        raise _corrupt(raw.path, f"the raster of layer '{row['name']}' is missing")
    try:
        values = np.frombuffer(zlib.decompress(r["data"]), dtype=np.dtype(r["dtype"]))
        values = values.reshape(int(r["rows"]), int(r["cols"])).copy()
        transform = tuple(float(v) for v in json.loads(r["transform"]))
    except (zlib.error, ValueError, TypeError) as exc:
        raise _corrupt(raw.path, f"the raster of layer '{row['name']}': {exc}") from None
    return Raster(values, transform, r["crs"], name=r["name"], unit=r["unit"])  # type: ignore[arg-type]


def _json(raw: RawProject, text: str | None, what: str) -> Any:
    try:
        return json.loads(text) if text else None
    except json.JSONDecodeError as exc:
        raise _corrupt(raw.path, f"{what}: {exc}") from None


def _layer(raw: RawProject, row: dict[str, Any], crs: str, problems: list[str]) -> Layer:
    name = row["name"]
    try:
        role = LayerRole(row["role"])
    except ValueError:
        raise _corrupt(raw.path, f"layer '{name}' has an unknown role '{row['role']}'") from None
    mapping = _json(raw, row["mapping"], f"mapping of layer '{name}'") or {}
    style_values = _json(raw, row["style"], f"style of layer '{name}'") or {}
    style = LayerStyle(**{k: v for k, v in style_values.items()
                          if k in LayerStyle.__dataclass_fields__})
    meta = _json(raw, row["meta"], f"notes of layer '{name}'") or {}
    meta.pop("missing", None)
    storage = row["storage"]
    data: gpd.GeoDataFrame | Raster
    if storage == "raster":
        data = _read_raster(raw, row)
    elif storage == STORAGE_LINK:
        link = LinkInfo.from_dict(_json(raw, row["link"], f"link of layer '{name}'") or {})
        meta["storage"] = STORAGE_LINK
        meta["link"] = link.to_dict()
        try:
            data, note = read_linked(link, raw.path.parent, role, mapping, crs)
            if note:
                problems.append(f"{name}: {note}")
        except OSError as exc:
            meta["missing"] = str(exc)
            problems.append(f"Layer '{name}': {exc}")
            data = _empty_frame(crs)
    else:
        data = _read_vector(raw, row)
    layer = Layer(name=name, role=role, data=data, mapping=dict(mapping), style=style,
                  visible=bool(row["visible"]), source=row["source"], meta=meta)
    if hasattr(layer, "analysed"):
        layer.analysed = bool(row["analysed"])
    return layer


def _district_geometry(g: Any, multi: bool) -> Any:
    if not multi and isinstance(g, MultiPolygon) and len(g.geoms) == 1:
        return g.geoms[0]
    return g


def _assumptions(raw: RawProject, problems: list[str]) -> Assumptions:
    """The saved assumptions; one this version no longer knows, or whose saved value is
    outside today's range, is reported and left at its default, never a reason to refuse
    the whole plan."""
    values: dict[str, float] = {}
    for name, value in raw.assumptions.items():
        try:
            Assumptions({name: value})
        except (AssumptionError, KeyError, ValueError) as exc:
            problems.append(f"Assumption '{name}' = {value:g} was not used and is at its "
                            f"default now: {exc}")
            continue
        values[name] = value
    return Assumptions(values, currency=raw.meta.get("currency", "EUR"))


def build_document(raw: RawProject) -> tuple[Document, list[str]]:
    """The Document of a (migrated) raw project, and notes for the planner (missing links)."""
    problems: list[str] = []
    meta = raw.meta
    crs = meta.get("crs", "")
    doc = Document(crs=crs, title=meta.get("title", ""))
    doc.set_metadata({k: meta.get(k, "") for k in ("title", "author", "organisation")})
    doc.set_assumptions(_assumptions(raw, problems))
    doc.add_layers([_layer(raw, row, crs, problems) for row in raw.layers])

    try:
        frame = pyogrio.read_dataframe(raw.path, layer=DISTRICTS_TABLE)
    except Exception as exc:  # any GDAL failure means a damaged table
        raise _corrupt(raw.path, f"districts: {exc}") from None
    packages: dict[str, list[Instrument]] = {}
    for row in raw.instruments:
        try:
            inst = Instrument.from_dict({
                "kind": row["kind"], "name": row["name"], "enabled": bool(row["enabled"]),
                "eligible_sectors": json.loads(row["eligible_sectors"]),
                "params": json.loads(row["params"]), "start_year": int(row["start_year"]),
            })
        except (InstrumentError, json.JSONDecodeError, TypeError) as exc:
            raise _corrupt(raw.path, f"an incentive instrument: {exc}") from None
        packages.setdefault(str(row["district_id"]), []).append(inst)
    new_ids: dict[str, str] = {}
    if "dp_position" in frame.columns:
        frame = frame.sort_values("dp_position", kind="stable")
    for rec in frame.to_dict("records"):
        g = rec.get("geometry")
        if g is None or g.is_empty:
            continue
        saved_id = str(rec.get("dp_id") or "")
        d = District(
            name=str(rec.get("name") or "District"),
            geometry=_district_geometry(g, bool(rec.get("dp_multi", True))),
            colour=str(rec.get("colour") or "#D55E00"),
            notes=str(rec.get("notes") or ""),
            visible=bool(rec.get("visible", True)),
            instruments=packages.get(saved_id, []),
        )
        try:
            doc.add_district(d)
        except DocumentError as exc:
            problems.append(f"District '{d.name}' was left out: {exc}")
            continue
        if doc.last_notice:
            problems.append(f"District '{d.name}': {doc.last_notice}")
        new_ids[saved_id] = d.id
    doc.set_votes({new_ids[k]: v for k, v in raw.votes.items() if k in new_ids})
    if raw.sketches:
        from districtplanner.model.sketch import Sketch

        doc.set_sketches([
            Sketch(kind=s["kind"], geometry=shapely.from_wkt(s["wkt"]), colour=s["colour"],
                   text=s["text"])
            for s in raw.sketches
        ])
    view = _json(raw, meta.get("view"), "map view")
    if view and all(math.isfinite(v) for v in view):
        doc.set_view(view)
    active = new_ids.get(meta.get("active_district", ""))
    if active is None and doc.districts:
        active = doc.districts[0].id
    doc.selection.set_active_district(active)
    return doc, problems
