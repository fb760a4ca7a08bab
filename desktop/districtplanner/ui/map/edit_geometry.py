"""Vertex edits on polygons and multipolygons, as plain functions of shapely geometries.

A shape is handled as a flat list of rings (every exterior and hole of every part), each an
open (n, 2) array of map coordinates in metres; a vertex is addressed by (ring, index).
No Qt here, so the edit tool stays a thin layer over these.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class Rings:
    """``rings[k]`` is open (first vertex not repeated); ``owner[k]`` = (part, ring in part)
    where ring 0 of a part is its exterior."""

    rings: tuple[np.ndarray, ...]
    owner: tuple[tuple[int, int], ...]
    multi: bool


def split_rings(geom: BaseGeometry) -> Rings:
    """The rings of a Polygon or MultiPolygon."""
    parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    rings, owner = [], []
    for p, poly in enumerate(parts):
        for r, ring in enumerate([poly.exterior, *poly.interiors]):
            xy = np.asarray(ring.coords, dtype=float)[:-1, :2]
            rings.append(xy)
            owner.append((p, r))
    return Rings(tuple(rings), tuple(owner), isinstance(geom, MultiPolygon))


def join_rings(r: Rings) -> BaseGeometry:
    """Rebuild the geometry from (possibly edited) rings."""
    parts: dict[int, list[np.ndarray]] = {}
    for xy, (p, _) in zip(r.rings, r.owner, strict=True):
        parts.setdefault(p, []).append(xy)
    polys = [Polygon(rs[0], rs[1:]) for _, rs in sorted(parts.items())]
    if r.multi or len(polys) > 1:
        return MultiPolygon(polys)
    return polys[0]


def vertices(geom: BaseGeometry) -> np.ndarray:
    """Every editable vertex (n x 2), ring by ring, without closing duplicates."""
    r = split_rings(geom)
    return np.vstack(r.rings) if r.rings else np.zeros((0, 2))


def nearest_vertex(geom: BaseGeometry, x: float, y: float) -> tuple[int, int, float]:
    """(ring, index, distance in metres) of the vertex nearest (x, y)."""
    best = (-1, -1, np.inf)
    for k, xy in enumerate(split_rings(geom).rings):
        d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
        i = int(np.argmin(d))
        if d[i] < best[2]:
            best = (k, i, float(d[i]))
    return best


def nearest_edge(geom: BaseGeometry, x: float, y: float
                 ) -> tuple[int, int, tuple[float, float], float]:
    """(ring, insert position, foot point, distance in metres) of the edge nearest (x, y):
    inserting the foot point at that position splits the edge."""
    best: tuple[int, int, tuple[float, float], float] = (-1, -1, (x, y), np.inf)
    for k, xy in enumerate(split_rings(geom).rings):
        a = xy
        b = np.roll(xy, -1, axis=0)
        ab = b - a
        len2 = (ab**2).sum(1)
        t = np.clip(((x - a[:, 0]) * ab[:, 0] + (y - a[:, 1]) * ab[:, 1])
                    / np.where(len2 > 0, len2, 1.0), 0.0, 1.0)
        foot = a + ab * t[:, None]
        d = np.hypot(foot[:, 0] - x, foot[:, 1] - y)
        i = int(np.argmin(d))
        if d[i] < best[3]:
            best = (k, i + 1, (float(foot[i, 0]), float(foot[i, 1])), float(d[i]))
    return best


def _replace(r: Rings, ring: int, xy: np.ndarray) -> BaseGeometry:
    rings = list(r.rings)
    rings[ring] = xy
    return join_rings(Rings(tuple(rings), r.owner, r.multi))


def move_vertex(geom: BaseGeometry, ring: int, index: int, x: float, y: float
                ) -> BaseGeometry:
    """The shape with vertex (ring, index) moved to (x, y) metres."""
    r = split_rings(geom)
    xy = r.rings[ring].copy()
    xy[index] = (x, y)
    return _replace(r, ring, xy)


def insert_vertex(geom: BaseGeometry, ring: int, position: int, x: float, y: float
                  ) -> BaseGeometry:
    """The shape with a new vertex (x, y) at ``position`` of ``ring``."""
    r = split_rings(geom)
    xy = np.insert(r.rings[ring], position, (x, y), axis=0)
    return _replace(r, ring, xy)


def delete_vertex(geom: BaseGeometry, ring: int, index: int) -> BaseGeometry | None:
    """The shape without vertex (ring, index), or None when the ring would keep fewer than
    three vertices (a ring needs three to enclose an area)."""
    r = split_rings(geom)
    if len(r.rings[ring]) <= 3:
        return None
    return _replace(r, ring, np.delete(r.rings[ring], index, axis=0))


def translate(geom: BaseGeometry, dx: float, dy: float) -> BaseGeometry:
    """The shape moved by (dx, dy) metres."""
    return shapely.transform(geom, lambda xy: xy + np.array([dx, dy]))


def buffer(geom: BaseGeometry, metres: float) -> BaseGeometry | None:
    """The shape grown (positive) or shrunk (negative) by ``metres``, with mitred corners
    so a drawn rectangle stays a rectangle; None when shrinking leaves no area."""
    out = shapely.buffer(geom, metres, join_style="mitre", mitre_limit=5.0)
    if out.is_empty or out.area <= 0:
        return None
    return out
