"""Coordinate reference systems: the project CRS (UTM of the data's centre, in metres), a guess
for layers that declare none, a range check, and how far a layer lands from the others."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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


# --------------------------------------------------------------------------------------
# Where a layer would land, before it is added
# --------------------------------------------------------------------------------------

# A layer whose box lies farther than this from the plan's box is probably misplaced.
FAR_KM = 50.0
_EARTH_KM = 6371.0088


@dataclass(frozen=True)
class Placement:
    """Where a layer read in ``crs`` would land relative to the plan, and a fix that brings
    it home when one of the usual mistakes explains it (swapped axes, the wrong UTM zone
    or hemisphere, the plan's own CRS undeclared).

    ``fix``: what to change, as read_layer arguments: {'source_crs': ...} and/or
    {'swap_axes': 'yes'}; empty when no fix was found."""

    name: str
    crs: str
    lon: float | None
    lat: float | None
    distance_km: float | None
    fix: dict[str, str]
    fix_distance_km: float | None = None
    fix_label: str = ""

    @property
    def message(self) -> str:
        if self.lon is None or self.lat is None or self.distance_km is None:
            where = f"'{self.name}' cannot be placed on Earth when read as {_crs_name(self.crs)}"
        else:
            where = (f"'{self.name}' would land around {_lat_text(self.lat)}, "
                     f"{_lon_text(self.lon)}, {self.distance_km:,.0f} km from the plan")
        if not self.fix:
            return controls(f"{where}. Check its source CRS [[crs]].")
        d = self.fix_distance_km or 0.0
        lands = "on the plan" if d < 1.0 else f"{d:,.0f} km from the plan"
        how = ("tick Swap axes [[swap]]" if self.fix.get("swap_axes") and "source_crs"
               not in self.fix else f"choose {self.fix['source_crs']} [[crs]]"
               + (" and swap the axes" if self.fix.get("swap_axes") else ""))
        return controls(f"{where}. {self.fix_label} it lands {lands}: {how}.")


def _crs_name(crs: Any) -> str:
    try:
        return CRS.from_user_input(crs).name
    except CRSError:
        return str(crs)


def _lat_text(lat: float) -> str:
    return f"{abs(lat):.2f}° {'N' if lat >= 0 else 'S'}"


def _lon_text(lon: float) -> str:
    return f"{abs(lon):.2f}° {'E' if lon >= 0 else 'W'}"


def _haversine_km(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    p0, p1 = math.radians(lat0), math.radians(lat1)
    dp, dl = p1 - p0, math.radians(lon1 - lon0)
    h = math.sin(dp / 2) ** 2 + math.cos(p0) * math.cos(p1) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def _box_km(box: Bounds, plan: Bounds) -> float:
    """Great-circle distance (km) between two lon/lat boxes: from the box's centre to the
    nearest point of the plan's box, less the box's own half-size (0 when they meet)."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    nx, ny = min(max(cx, plan[0]), plan[2]), min(max(cy, plan[1]), plan[3])
    half = _haversine_km(box[0], box[1], box[2], box[3]) / 2
    return max(_haversine_km(cx, cy, nx, ny) - half, 0.0)


def _lonlat_box(bounds: Bounds, crs: Any) -> Bounds | None:
    try:
        b = bounds_lonlat(bounds, crs)
    except Exception:  # a CRS that cannot reach these numbers
        return None
    if not all(math.isfinite(v) for v in b) or not (-90 <= b[1] <= b[3] <= 90):
        return None
    return b


def _utm_variants(crs: str, plan_lonlat: Bounds) -> list[tuple[str, str]]:
    """Other UTM CRSs worth trying: the other hemisphere of the same zone, and the plan's
    own zone in both hemispheres."""
    out = []
    try:
        code = CRS.from_user_input(crs).to_epsg() or 0
    except CRSError:
        code = 0
    if 32601 <= code <= 32660 or 32701 <= code <= 32760:
        zone = code % 100
        north = code < 32700
        other = (32700 if north else 32600) + zone
        out.append((f"EPSG:{other}", f"Read as UTM zone {zone} "
                                     f"{'south (the southern hemisphere)' if north else 'north'}"))
    cx, cy = (plan_lonlat[0] + plan_lonlat[2]) / 2, (plan_lonlat[1] + plan_lonlat[3]) / 2
    home = utm_crs_for(cx, cy)
    zone = int(home[-2:])
    for code2, label in ((32600 + zone, "north"), (32700 + zone, "south")):
        out.append((f"EPSG:{code2}", f"Read as UTM zone {zone} {label}"))
    return out


def check_placement(name: str, bounds: Bounds, crs: Any, plan_bounds: Bounds,
                    plan_crs: Any, far_km: float = FAR_KM) -> Placement | None:
    """None when a layer (``bounds`` in ``crs``, declared or guessed) lands within
    ``far_km`` of the plan (``plan_bounds`` in ``plan_crs``); else where it would land and
    how far, with a fix when swapping the axes, another UTM zone or hemisphere, or the
    plan's own CRS brings it home. Run before adding, so nothing lands silently on another
    continent."""
    plan = _lonlat_box(plan_bounds, plan_crs)
    if plan is None:
        return None
    crs_s = str(crs)
    box = _lonlat_box(bounds, crs)
    if box is not None and _box_km(box, plan) <= far_km:
        return None
    swapped = (bounds[1], bounds[0], bounds[3], bounds[2])
    tries: list[tuple[dict[str, str], Bounds, Any, str]] = [
        ({"swap_axes": "yes"}, swapped, crs, "With x and y (longitude and latitude) swapped")]
    for code, label in _utm_variants(crs_s, plan):
        if code != normalise_crs(crs):
            tries.append(({"source_crs": code}, bounds, code, label))
    plan_norm = normalise_crs(plan_crs)
    if plan_norm != normalise_crs(crs):
        tries.append(({"source_crs": plan_norm}, bounds, plan_norm,
                      f"Read in the plan's own CRS ({plan_norm})"))
    best = None
    for fix, b, c, label in tries:
        lb = _lonlat_box(b, c)
        if lb is None:
            continue
        d = _box_km(lb, plan)
        if d <= far_km and (best is None or d < best[0]):
            best = (d, fix, label)
    here = None if box is None else ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    dist = None if box is None else _box_km(box, plan)
    if best is None:
        return Placement(name, crs_s, here and here[0], here and here[1], dist, {})
    return Placement(name, crs_s, here and here[0], here and here[1], dist, best[1],
                     best[0], best[2])
