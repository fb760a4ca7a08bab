"""The sample city in the form its first frame is drawn from: plain numpy arrays.

The app opens on the sample city, and reading it as GeoDataFrames needs geopandas, pandas,
pyogrio and rasterio (about 0.8 s of imports) before anything is on screen. So the city
also ships as ``first_frame.npz`` beside its GeoPackage: every layer's coordinates, the
rent grid, the sector of each firm and the example districts, which numpy and Qt can draw
at once; the full document is read after that first paint.

The file is made from the GeoPackage and GeoTIFF themselves (``write_first_frame``, run
by ``district-planner make-sample-city``) and records their SHA-1, so a city changed
without remaking it is never drawn from stale arrays: ``read_first_frame`` then returns
None and the app starts the ordinary way. Only numpy and the standard library here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from districtplanner.analysis.roles import LayerRole
from districtplanner.analysis.sectors import sector_codes

if TYPE_CHECKING:
    from districtplanner.io.loaded import LoadedLayer

FILE_NAME = "first_frame.npz"
FORMAT = 1
SOURCES = ("sample_city.gpkg", "rent.tif")

Rect = tuple[float, float, float, float]


@dataclass
class FrameLayer:
    """One layer as drawn: ``kind`` is 'raster', 'point', 'line' or 'polygon'.

    Vector layers: ``xy`` (n, 2) metres; for lines and polygons ``starts`` gives where each
    part or ring begins (with the end appended). ``codes`` is the sector code per point
    (analysis.sectors) when the layer is coloured by sector. Rasters: ``values`` (rows,
    cols) with NaN for no data, placed by ``transform`` (rasterio's a, b, c, d, e, f).
    """

    name: str
    role: LayerRole
    kind: str
    style: dict[str, Any] = field(default_factory=dict)
    xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    starts: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    codes: np.ndarray | None = None
    values: np.ndarray | None = None
    transform: tuple[float, ...] = ()


@dataclass
class FrameDistrict:
    """An example district: its rings as (xy, starts) like a polygon layer's, and where
    its name goes (the shape's representative point, as on the full map)."""

    name: str
    colour: str
    xy: np.ndarray
    starts: np.ndarray
    label: tuple[float, float]


@dataclass
class FirstFrame:
    """Everything the first frame of the sample city shows, in draw order (bottom first)."""

    title: str
    crs: str
    bounds: Rect
    layers: list[FrameLayer]
    districts: list[FrameDistrict]


def _digest(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def _rings(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of every line part or polygon ring, and where each starts."""
    import shapely

    parts = shapely.get_parts(geoms[~shapely.is_missing(geoms)])
    polys = shapely.get_type_id(parts) == 3
    pieces = list(parts[~polys])
    if polys.any():
        pieces += list(shapely.get_rings(parts[polys]))
    if not pieces:
        return np.zeros((0, 2)), np.zeros(1, dtype=np.int64)
    xy, index = shapely.get_coordinates(np.asarray(pieces, dtype=object), return_index=True)
    starts = np.searchsorted(index, np.arange(len(pieces) + 1)).astype(np.int64)
    return xy, starts


def frame_from_loaded(loaded: Sequence[LoadedLayer], title: str, crs: str) -> FirstFrame:
    """The first frame of ``loaded`` (the layers of load_sample_city, in its order)."""
    import shapely

    from districtplanner.analysis.raster import Raster

    layers: list[FrameLayer] = []
    districts: list[FrameDistrict] = []
    boxes: list[Rect] = []
    for la in loaded:
        if isinstance(la.data, Raster):
            values = np.asarray(la.data.values, dtype=np.float32)
            layers.append(FrameLayer(la.name, la.role, "raster", dict(la.style), values=values,
                                     transform=tuple(float(v) for v in la.data.transform)))
            if values.size:
                boxes.append(la.data.bounds)
            continue
        gdf = la.data
        geoms = gdf.geometry.to_numpy()
        if len(gdf):
            b = gdf.total_bounds
            boxes.append((float(b[0]), float(b[1]), float(b[2]), float(b[3])))
        if la.role == LayerRole.DISTRICTS:
            for i, geom in enumerate(geoms):
                if geom is None or geom.is_empty:
                    continue
                xy, starts = _rings(np.array([geom], dtype=object))
                name = gdf[la.mapping.get("name", "name")].iloc[i]
                colour = gdf[la.mapping.get("colour", "colour")].iloc[i]
                p = geom.representative_point()
                districts.append(FrameDistrict(str(name), str(colour), xy, starts,
                                               (float(p.x), float(p.y))))
            continue
        type_ids = shapely.get_type_id(geoms)
        if len(type_ids) and (type_ids == 0).all():
            kind = "point"
            xy = shapely.get_coordinates(geoms)
            starts = np.arange(len(xy) + 1, dtype=np.int64)
        else:
            kind = "polygon" if np.isin(type_ids, (3, 6)).all() else "line"
            xy, starts = _rings(geoms)
        codes = None
        sector = la.mapping.get("sector")
        if kind == "point" and sector and sector in gdf.columns:
            codes = sector_codes(gdf[sector].to_numpy())
        layers.append(FrameLayer(la.name, la.role, kind, dict(la.style), xy=xy, starts=starts,
                                 codes=codes))
    if not boxes:
        raise ValueError("the sample city has no layers to draw")
    bounds = (min(b[0] for b in boxes), min(b[1] for b in boxes),
              max(b[2] for b in boxes), max(b[3] for b in boxes))
    return FirstFrame(title, crs, bounds, layers, districts)


def write_first_frame(folder: Path) -> Path:
    """Make ``folder/first_frame.npz`` from the sample city files in ``folder``."""
    from districtplanner.io.sample import SAMPLE_TITLE, load_sample_city

    folder = Path(folder)
    loaded = load_sample_city(folder)
    crs = next((la.crs for la in loaded if la.crs), "")
    frame = frame_from_loaded(loaded, SAMPLE_TITLE, crs)
    meta: dict[str, Any] = {
        "format": FORMAT, "title": frame.title, "crs": frame.crs, "bounds": frame.bounds,
        "sources": {name: _digest(folder / name) for name in SOURCES},
        "layers": [], "districts": [],
    }
    arrays: dict[str, np.ndarray] = {}
    for i, la in enumerate(frame.layers):
        meta["layers"].append({"name": la.name, "role": la.role.value, "kind": la.kind,
                               "style": la.style, "transform": list(la.transform)})
        if la.kind == "raster":
            assert la.values is not None
            arrays[f"layer{i}_values"] = la.values
            continue
        arrays[f"layer{i}_xy"] = la.xy
        arrays[f"layer{i}_starts"] = la.starts
        if la.codes is not None:
            arrays[f"layer{i}_codes"] = la.codes
    for i, d in enumerate(frame.districts):
        meta["districts"].append({"name": d.name, "colour": d.colour, "label": d.label})
        arrays[f"district{i}_xy"] = d.xy
        arrays[f"district{i}_starts"] = d.starts
    out = folder / FILE_NAME
    np.savez_compressed(out, meta=np.array(json.dumps(meta)), **arrays)
    return out


def read_first_frame(folder: Path) -> FirstFrame | None:
    """The first frame stored in ``folder``, or None when it is missing, of another format,
    unreadable, or made from other files than those beside it (then the caller reads the
    city the ordinary way)."""
    folder = Path(folder)
    path = folder / FILE_NAME
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
            if meta.get("format") != FORMAT:
                return None
            if any(_digest(folder / name) != digest
                   for name, digest in meta["sources"].items()):
                return None
            layers = []
            for i, m in enumerate(meta["layers"]):
                la = FrameLayer(m["name"], LayerRole(m["role"]), m["kind"], m["style"],
                                transform=tuple(m["transform"]))
                if la.kind == "raster":
                    la.values = npz[f"layer{i}_values"]
                else:
                    la.xy = npz[f"layer{i}_xy"]
                    la.starts = npz[f"layer{i}_starts"]
                    key = f"layer{i}_codes"
                    la.codes = npz[key] if key in npz.files else None
                layers.append(la)
            districts = [FrameDistrict(m["name"], m["colour"], npz[f"district{i}_xy"],
                                       npz[f"district{i}_starts"], tuple(m["label"]))
                         for i, m in enumerate(meta["districts"])]
    except (OSError, KeyError, ValueError):
        return None
    b = meta["bounds"]
    return FirstFrame(meta["title"], meta["crs"], (b[0], b[1], b[2], b[3]), layers, districts)
