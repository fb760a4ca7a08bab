"""Proposed districts in and out of GeoJSON and GeoPackage, so plans travel between offices
and into QGIS. A district here is a plain dict (``geometry``, ``name``, ``colour``,
``notes``); the document turns them into its own District objects (io never imports model).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError

from districtplanner.io.crs import WGS84, check_coordinates, normalise_crs
from districtplanner.io.errors import (
    EmptyFile,
    FileVanished,
    MissingCRS,
    MixedGeometry,
    NoGeometry,
    UnreadableFile,
    UnsupportedFormat,
)
from districtplanner.io.readers import import_errors

LAYER = "districts"
FIELDS = ("name", "colour", "notes")
DEFAULT_COLOUR = "#D55E00"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}


def _driver(path: Path) -> str:
    try:
        return _DRIVERS[path.suffix.lower()]
    except KeyError:
        raise UnsupportedFormat(
            path, f"districts can be saved as GeoJSON or GeoPackage, not '{path.suffix}'",
            remedy="use a file name ending in .geojson or .gpkg",
        ) from None


def _get(d: Any, key: str, default: Any = None) -> Any:
    if isinstance(d, Mapping):
        return d.get(key, default)
    return getattr(d, key, default)


def write_districts(
    path: str | Path, districts: Iterable[Any], *, crs: str | None = None
) -> Path:
    """Save districts (dicts or objects with geometry, name, colour, notes).

    ``crs``: the CRS of the geometries (the project CRS, metres). GeoJSON is written in
    WGS 84 longitude/latitude as RFC 7946 requires; GeoPackage keeps ``crs``. An existing
    file is replaced (GeoJSON) or its ``districts`` layer is (GeoPackage).
    """
    p = Path(path)
    driver = _driver(p)
    items = list(districts)
    geoms = [_get(d, "geometry") for d in items]
    for i, geom in enumerate(geoms, start=1):
        if not isinstance(geom, shapely.Geometry) or geom.is_empty:
            raise ValueError(f"district {i} has no geometry")
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise ValueError(f"district {i} is a {geom.geom_type}, not a polygon")
    frame = pd.DataFrame({
        "name": [str(_get(d, "name", "") or "") for d in items],
        "colour": [str(_get(d, "colour", DEFAULT_COLOUR) or DEFAULT_COLOUR) for d in items],
        "notes": [str(_get(d, "notes", "") or "") for d in items],
    })
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms), crs=crs)
    if driver == "GeoJSON":
        if crs is None:
            raise ValueError("GeoJSON needs the districts' CRS to write longitude/latitude")
        gdf = gdf.to_crs(WGS84)
        if p.exists():
            p.unlink()
    p.parent.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(gdf, p, layer=LAYER, driver=driver,
                            promote_to_multi=False, geometry_type="Unknown")
    return p


@import_errors
def read_districts(
    path: str | Path, layer: str | None = None, *, project_crs: str | None = None,
    source_crs: str | None = None,
) -> list[dict[str, Any]]:
    """Districts from a GeoJSON or GeoPackage: dicts with ``geometry`` (in ``project_crs``
    when given, else in the file's CRS), ``name``, ``colour`` ('#rrggbb') and ``notes``.

    Invalid polygons are returned as drawn, with ``invalid`` True: the plan repairs every
    district by one rule however it arrives (model.document.clean_district_geometry), so
    an imported outline becomes the same district as the same outline drawn. Names fall
    back to 'District N'; missing or malformed colours to the default.
    """
    p = Path(path)
    if not p.exists():
        raise FileVanished(p, "the file does not exist (it was moved, renamed or deleted)",
                           remedy="pick the file again in the file dialog")
    if p.stat().st_size == 0:
        raise EmptyFile(p, "the file is empty (0 bytes)")
    _driver(p)
    if layer is None and p.suffix.lower() == ".gpkg":
        try:
            names = [str(n) for n, _t in pyogrio.list_layers(p)]
        except DataSourceError as exc:
            raise UnreadableFile(p) from exc
        layer = LAYER if LAYER in names else (names[0] if names else None)
    try:
        gdf = pyogrio.read_dataframe(p, layer=layer)
    except (DataSourceError, DataLayerError) as exc:
        raise UnreadableFile(p, f"the file could not be read ({str(exc)[:160]})") from exc
    if len(gdf) == 0:
        raise EmptyFile(p, "the file holds no districts")
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.isna().all():
        raise NoGeometry(p, "the districts have no geometry",
                         remedy="export them again with their polygons")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    types = set(gdf.geom_type)
    if not types <= {"Polygon", "MultiPolygon"}:
        raise MixedGeometry(
            p, f"districts must be polygons, but the file holds {', '.join(sorted(types))}",
            remedy="keep only the district polygons in the file and load it again")
    crs = source_crs or (gdf.crs.to_string() if gdf.crs is not None else None)
    if crs is None:
        raise MissingCRS(p, WGS84 if p.suffix.lower() != ".gpkg" else None)
    if source_crs:
        gdf = gdf.set_crs(source_crs, allow_override=True)
    b = gdf.total_bounds
    check_coordinates(p, (float(b[0]), float(b[1]), float(b[2]), float(b[3])), crs)
    invalid = ~shapely.is_valid(gdf.geometry.to_numpy())
    if project_crs is not None:
        gdf = gdf.to_crs(normalise_crs(project_crs))
    out = []
    cols = {c.lower(): c for c in gdf.columns}
    for i, (idx, geom) in enumerate(gdf.geometry.items(), start=1):
        row = gdf.loc[idx]
        name = _text(row, cols, "name") or f"District {i}"
        colour = _text(row, cols, "colour") or _text(row, cols, "color")
        out.append({
            "geometry": geom,
            "name": name,
            "colour": colour if _HEX.match(colour) else DEFAULT_COLOUR,
            "notes": _text(row, cols, "notes"),
            "invalid": bool(invalid[i - 1]),
        })
    return out


def _text(row: pd.Series, cols: Mapping[str, str], key: str) -> str:
    col = cols.get(key)
    if col is None:
        return ""
    v = row[col]
    return "" if v is None or (isinstance(v, float) and v != v) else str(v).strip()
