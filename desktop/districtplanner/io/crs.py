"""Coordinate reference systems: the project CRS (UTM of the data's centre, in metres), a guess
for layers that declare none, a range check, and how far a layer lands from the others."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from districtplanner.analysis.raster import Raster
from districtplanner.io.errors import CoordinatesOutOfRange, controls
from districtplanner.io.loaded import LoadedLayer

Bounds = tuple[float, float, float, float]
WGS84 = "EPSG:4326"


def utm_crs_for(lon: float, lat: float) -> str:
    """The WGS 84 / UTM zone of a point (degrees): 'EPSG:326zz' north, 'EPSG:327zz' south.

    Includes the Norway (32V) and Svalbard (31X-37X) exceptions of the UTM grid.
    """
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(f"({lon}, {lat}) is not a longitude/latitude in degrees")
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    if 56.0 <= lat < 64.0 and 3.0 <= lon < 12.0:
        zone = 32
    elif 72.0 <= lat < 84.0 and 0.0 <= lon < 42.0:
        zone = 31 if lon < 9 else 33 if lon < 21 else 35 if lon < 33 else 37
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def normalise_crs(crs: Any) -> str:
    """'EPSG:xxxx' when the CRS has an EPSG code, else its WKT; raises ValueError if unknown."""
    try:
        c = CRS.from_user_input(crs)
    except CRSError as exc:
        raise ValueError(f"unknown coordinate reference system {crs!r}") from exc
    code = c.to_epsg(min_confidence=90)
    return f"EPSG:{code}" if code else c.to_wkt()


def is_metric_projected(crs: Any) -> bool:
    """True for a projected CRS whose axes are in metres (a valid project CRS)."""
    c = CRS.from_user_input(crs)
    if not c.is_projected:
        return False
    return all((ax.unit_name or "").lower() in {"metre", "meter", "m"} for ax in c.axis_info)


def bounds_lonlat(bounds: Bounds, crs: Any) -> Bounds:
    """Bounds (CRS units) as (lon_min, lat_min, lon_max, lat_max) in degrees."""
    c = CRS.from_user_input(crs)
    if c.is_geographic and c.to_epsg() == 4326:
        return bounds
    t = Transformer.from_crs(c, WGS84, always_xy=True)
    return tuple(t.transform_bounds(*bounds, densify_pts=21))  # type: ignore[return-value]


def _layer_bounds(layer: Any) -> tuple[Bounds, Any] | None:
    if isinstance(layer, LoadedLayer):
        layer = layer.data
    if isinstance(layer, Raster):
        return layer.bounds, layer.crs
    if isinstance(layer, gpd.GeoDataFrame | gpd.GeoSeries):
        if layer.crs is None or layer.empty:
            return None
        b = layer.total_bounds
        return (float(b[0]), float(b[1]), float(b[2]), float(b[3])), layer.crs
    if isinstance(layer, tuple) and len(layer) == 2:
        return tuple(layer[0]), layer[1]  # type: ignore[return-value]
    raise TypeError(f"cannot take bounds of {type(layer).__name__}")


def choose_project_crs(layers: Iterable[Any]) -> str:
    """The UTM zone of the centre of all layers' extent (a CRS in metres).

    ``layers``: LoadedLayer, GeoDataFrame or Raster objects with a CRS, or ``(bounds, crs)``
    pairs. Layers without a CRS or data are skipped; with none left, raises ValueError.
    """
    boxes = []
    for layer in layers:
        lb = _layer_bounds(layer)
        if lb is not None:
            boxes.append(bounds_lonlat(*lb))
    if not boxes:
        raise ValueError("no layer with a coordinate reference system to choose a project CRS")
    lon0 = min(b[0] for b in boxes)
    lat0 = min(b[1] for b in boxes)
    lon1 = max(b[2] for b in boxes)
    lat1 = max(b[3] for b in boxes)
    return utm_crs_for((lon0 + lon1) / 2.0, (lat0 + lat1) / 2.0)


def guess_crs(bounds: Bounds) -> str | None:
    """'EPSG:4326' when every value fits longitude/latitude, else None (no safe guess).

    ``bounds``: (xmin, ymin, xmax, ymax) of the raw coordinates.
    """
    x0, y0, x1, y1 = bounds
    if not all(math.isfinite(v) for v in bounds):
        return None
    if -180.0 <= x0 <= x1 <= 180.0 and -90.0 <= y0 <= y1 <= 90.0:
        return WGS84
    return None


def valid_extent(crs: Any) -> Bounds:
    """Where coordinates of a CRS can sensibly lie, in its own units (generous margins)."""
    c = CRS.from_user_input(crs)
    if c.is_geographic:
        return (-180.0, -90.0, 360.0, 90.0)
    aou = c.area_of_use
    lon0, lat0, lon1, lat1 = aou.bounds if aou is not None else (-180.0, -85.0, 180.0, 85.0)
    # A projected CRS is used well outside its nominal area (a UTM zone next door, a
    # national grid near its border), so allow a wide margin before calling values wrong.
    lon0, lon1 = max(lon0 - 10.0, -180.0), min(lon1 + 10.0, 180.0)
    lat0, lat1 = max(lat0 - 10.0, -89.0), min(lat1 + 10.0, 89.0)
    try:
        t = Transformer.from_crs(WGS84, c, always_xy=True)
        x0, y0, x1, y1 = t.transform_bounds(lon0, lat0, lon1, lat1, densify_pts=21)
    except Exception:  # no usable area of use: accept any finite coordinates
        return (-math.inf, -math.inf, math.inf, math.inf)
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        return (-math.inf, -math.inf, math.inf, math.inf)
    return (x0, y0, x1, y1)


def check_coordinates(path: str | Path, bounds: Bounds, crs: Any) -> None:
    """Raise CoordinatesOutOfRange when data bounds cannot be coordinates of ``crs``."""
    if not all(math.isfinite(v) for v in bounds):
        raise CoordinatesOutOfRange(
            path, "some coordinates are infinite or not numbers",
            remedy="remove the rows with broken coordinates and load the file again",
        )
    ex0, ey0, ex1, ey1 = valid_extent(crs)
    x0, y0, x1, y1 = bounds
    if x0 >= ex0 and y0 >= ey0 and x1 <= ex1 and y1 <= ey1:
        return
    name = CRS.from_user_input(crs).name
    looks = guess_crs(bounds)
    hint = (
        " (the values look like longitude/latitude, EPSG:4326)"
        if looks and not CRS.from_user_input(crs).is_geographic else ""
    )
    raise CoordinatesOutOfRange(
        path,
        f"the coordinates span x {x0:,.6g} to {x1:,.6g}, y {y0:,.6g} to {y1:,.6g}, which is "
        f"outside what {name} allows{hint}",
    )


def bbox_distance(a: Bounds, b: Bounds) -> float:
    """Shortest distance between two boxes in their CRS units; 0 when they touch."""
    dx = max(b[0] - a[2], a[0] - b[2], 0.0)
    dy = max(b[1] - a[3], a[1] - b[3], 0.0)
    return math.hypot(dx, dy)


def distance_from_others(bounds: Bounds, others: Sequence[Bounds]) -> float | None:
    """How far (km) a layer's box lies from the box around all other layers.

    Both in the same projected CRS in metres; None when there are no other layers.
    """
    others = [o for o in others if all(math.isfinite(v) for v in o)]
    if not others:
        return None
    union = (
        min(o[0] for o in others), min(o[1] for o in others),
        max(o[2] for o in others), max(o[3] for o in others),
    )
    return bbox_distance(bounds, union) / 1000.0


def far_warning(
    name: str, bounds: Bounds, others: Sequence[Bounds], threshold_km: float = 25.0
) -> str | None:
    """A warning when a layer lands more than ``threshold_km`` from the others, else None."""
    d = distance_from_others(bounds, others)
    if d is None or d <= threshold_km:
        return None
    return controls(
        f"Layer '{name}' lies {d:,.0f} km from the other layers; its coordinate system is "
        f"probably wrong. Choose its source CRS [[crs]]."
    )
