"""The city index: what makes every district figure exact and a few milliseconds away.

Points are sorted by the cell of a square grid, row by row, and each non-empty cell keeps
the prefix sums of the per-point quantities (count and jobs per sector). For a district
polygon, the cells its edges cross ("boundary cells", found by tracing each edge across the
grid rows in numpy with a small safety margin) get exact ``shapely.contains_xy`` tests of
their points; every other cell is wholly inside or outside, and a run of such cells in one
row is one contiguous slice of the sorted points, decided by one test of its first cell's
centre and summed with two prefix-sum look-ups. Results equal a point-in-polygon test of
every point (a point on the boundary is outside, as in ``contains``).

While a vertex is dragged, each call differs from the last only near the two edges that
moved (:func:`changed_box`), so ``select`` keeps what it found last time beyond that box
(boundary-cell hits, institutions, polygon shares) and tests again only what lies near it;
counts, sums and rents come out bit for bit as from scratch, area shares to rounding.

Polygon layers (neighbourhoods, rent parcels) go in an STRtree; their area weights come
from intersections with the candidate polygons that the district does not wholly contain.
:class:`PlainSelector` computes the same :class:`Selection` the plain way (a geopandas
spatial join per edit): the reference the tests and the benchmark compare against.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from districtplanner.analysis.citydata import OTHER_INSTITUTION_CODE, CityData
from districtplanner.analysis.sectors import NON_CREATIVE_CODE

N_SECTOR_CODES = NON_CREATIVE_CODE + 1
N_INSTITUTION_CODES = OTHER_INSTITUTION_CODE + 1
# Safety margin, in cells, by which an edge's extent is widened before marking cells.
_EPS = 1e-6
# Grids up to this many cells get dense per-cell look-up tables (8 bytes a cell per point
# layer); larger ones fall back to binary searches over the non-empty cells.
_DENSE_LOOKUP_CELLS = 20_000_000


@dataclass(frozen=True)
class Grid:
    """A square grid: origin (x0, y0) in metres, ``cell`` metres, nx columns, ny rows."""

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Row-major cell id of each point (points outside are clipped to the edge)."""
        col = np.clip(np.floor((x - self.x0) / self.cell), 0, self.nx - 1).astype(np.int64)
        row = np.clip(np.floor((y - self.y0) / self.cell), 0, self.ny - 1).astype(np.int64)
        return row * self.nx + col

    def cells_in(self, bounds: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        """(col0, row0, col1, row1): the cells a box meets, with one more on every side (a
        margin for the edge tracing's own), not clipped to the grid."""
        xmin, ymin, xmax, ymax = bounds
        c = self.cell
        return (int(np.floor((xmin - self.x0) / c)) - 1, int(np.floor((ymin - self.y0) / c)) - 1,
                int(np.floor((xmax - self.x0) / c)) + 1, int(np.floor((ymax - self.y0) / c)) + 1)

    def in_cells(self, cells: np.ndarray, region: tuple[int, int, int, int]) -> np.ndarray:
        """Whether each row-major cell id lies in ``region`` (see :meth:`cells_in`)."""
        c0, r0, c1, r1 = region
        col, row = cells % self.nx, cells // self.nx
        return (col >= c0) & (col <= c1) & (row >= r0) & (row <= r1)


@dataclass
class Cover:
    """Which cells of a grid a polygon covers: runs [lo, hi) of row-major cell ids wholly
    inside, and the boundary cells whose points need exact tests."""

    run_lo: np.ndarray
    run_hi: np.ndarray
    boundary: np.ndarray

    @classmethod
    def empty(cls) -> Cover:
        e = np.empty(0, np.int64)
        return cls(e, e.copy(), e.copy())


def _expand_ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Concatenation of arange(lo[i], hi[i]) for all i, without a Python loop."""
    n = hi - lo
    keep = n > 0
    lo, n = lo[keep], n[keep]
    if n.size == 0:
        return np.empty(0, np.int64)
    ends = np.cumsum(n)
    return np.repeat(lo - (ends - n), n) + np.arange(ends[-1], dtype=np.int64)


_POLYGONAL = ("Polygon", "MultiPolygon")


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygons of ``geom``: itself when it is a (multi)polygon, else the union of the
    polygonal parts of a collection (what ``make_valid`` may return), else empty.

    Districts must be valid; the document and the readers repair them with make_valid."""
    if geom.geom_type in _POLYGONAL:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def polygon_edges(geom: BaseGeometry) -> np.ndarray:
    """Every ring segment of a (multi)polygon as rows (x1, y1, x2, y2)."""
    if shapely.get_type_id(geom) == 3 and shapely.get_num_interior_rings(geom) == 0:
        # The common case, a polygon without holes, in a third of the time.
        ring = shapely.get_coordinates(shapely.get_exterior_ring(geom))
        return np.concatenate([ring[:-1], ring[1:]], axis=1)
    parts = shapely.get_parts(geom)
    rings = shapely.get_rings(parts)
    coords, idx = shapely.get_coordinates(rings, return_index=True)
    if len(coords) < 2:
        return np.empty((0, 4))
    same = idx[1:] == idx[:-1]
    return np.column_stack([coords[:-1][same], coords[1:][same]])


def cover(grid: Grid, geom: BaseGeometry, edges: np.ndarray | None = None) -> Cover:
    """Boundary cells and wholly-inside runs of ``geom`` on ``grid`` (see module doc);
    ``edges``: ``polygon_edges(geom)`` when the caller has it already."""
    if geom is None or geom.is_empty or geom.area <= 0:
        return Cover.empty()
    c, nx, ny = grid.cell, grid.nx, grid.ny
    if edges is None:
        edges = polygon_edges(geom)
    u1 = (edges[:, 0] - grid.x0) / c
    v1 = (edges[:, 1] - grid.y0) / c
    u2 = (edges[:, 2] - grid.x0) / c
    v2 = (edges[:, 3] - grid.y0) / c
    # Rows each edge passes through, widened by the margin and clipped to the grid.
    r_lo = np.floor(np.minimum(v1, v2) - _EPS).astype(np.int64)
    r_hi = np.floor(np.maximum(v1, v2) + _EPS).astype(np.int64)
    r_lo = np.maximum(r_lo, 0)
    r_hi = np.minimum(r_hi, ny - 1)
    n_rows = np.maximum(r_hi - r_lo + 1, 0)
    e = np.repeat(np.arange(len(edges)), n_rows)
    row = _expand_ranges(r_lo, r_lo + n_rows)
    a1, b1, a2, b2 = u1[e], v1[e], u2[e], v2[e]
    # The part of each edge inside its row band [row - eps, row + 1 + eps].
    dv = b2 - b1
    flat = np.abs(dv) < 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        ta = (row - _EPS - b1) / dv
        tb = (row + 1 + _EPS - b1) / dv
    t0 = np.where(flat, 0.0, np.clip(np.minimum(ta, tb), 0.0, 1.0))
    t1 = np.where(flat, 1.0, np.clip(np.maximum(ta, tb), 0.0, 1.0))
    xa = a1 + t0 * (a2 - a1)
    xb = a1 + t1 * (a2 - a1)
    c_lo = np.floor(np.minimum(xa, xb) - _EPS).astype(np.int64)
    c_hi = np.floor(np.maximum(xa, xb) + _EPS).astype(np.int64)

    # Mark the crossed cells on a bitmap of the district's bounding box (one cell wider on
    # each side, for the safety margin), clipped to the grid.
    xmin, ymin, xmax, ymax = geom.bounds
    cmin = max(int(np.floor((xmin - grid.x0) / c)) - 1, 0)
    cmax = min(int(np.floor((xmax - grid.x0) / c)) + 1, nx - 1)
    rmin = max(int(np.floor((ymin - grid.y0) / c)) - 1, 0)
    rmax = min(int(np.floor((ymax - grid.y0) / c)) + 1, ny - 1)
    if cmin > cmax or rmin > rmax:
        return Cover.empty()
    w, h = cmax - cmin + 1, rmax - rmin + 1
    c_lo = np.maximum(c_lo, cmin)
    c_hi = np.minimum(c_hi, cmax)
    base = (row - rmin) * w - cmin
    marked = np.zeros(h * w, dtype=bool)
    marked[_expand_ranges(base + c_lo, base + c_hi + 1)] = True
    local = np.flatnonzero(marked)
    boundary = (local // w + rmin) * nx + (local % w + cmin)

    # Runs of unmarked cells, row by row: where the row (padded with marked cells at both
    # ends) steps from marked to unmarked a run starts, and back again it ends.
    padded = np.ones((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = marked.reshape(h, w)
    step = np.diff(padded, axis=1).ravel()
    starts = np.flatnonzero(step == -1)
    ends = np.flatnonzero(step == 1)
    r = starts // (w + 1)
    lo = (r + rmin) * nx + (starts % (w + 1)) + cmin
    hi = (r + rmin) * nx + (ends % (w + 1)) + cmin
    if lo.size:
        col, rr = lo % nx, lo // nx
        inside = shapely.contains_xy(
            geom, grid.x0 + (col + 0.5) * c, grid.y0 + (rr + 0.5) * c
        )
        lo, hi = lo[inside], hi[inside]
    return Cover(lo, hi, boundary)


@dataclass
class BoundaryHits:
    """Points of boundary cells found inside a district: sorted positions and their cells."""

    positions: np.ndarray
    cells: np.ndarray

    @classmethod
    def empty(cls) -> BoundaryHits:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64))

    def outside(self, grid: Grid, region: tuple[int, int, int, int]) -> BoundaryHits:
        """The hits whose cell lies outside ``region``."""
        keep = ~grid.in_cells(self.cells, region)
        return BoundaryHits(self.positions[keep], self.cells[keep])


class PointGrid:
    """Points sorted by grid cell; ``starts[k]:starts[k+1]`` are the points of the k-th
    non-empty cell ``cell_ids[k]``. ``order`` maps sorted positions to input rows."""

    def __init__(self, grid: Grid, xy: np.ndarray):
        self.grid = grid
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        cid = grid.cell_of(xy[:, 0], xy[:, 1]) if len(xy) else np.empty(0, np.int64)
        self.order = np.argsort(cid, kind="stable")
        cid = cid[self.order]
        self.x = np.ascontiguousarray(xy[self.order, 0])
        self.y = np.ascontiguousarray(xy[self.order, 1])
        self.cell_ids, first = np.unique(cid, return_index=True)
        self.starts = np.append(first, len(cid)).astype(np.int64)
        # Dense look-ups over every cell (when the grid is not huge), so a district's cells
        # map to point ranges and prefix-sum rows by gathers instead of binary searches:
        # cell_start[c] is the first sorted position of cell c, nonempty_before[c] the
        # number of non-empty cells before it (what searchsorted(cell_ids, c) returns).
        n_cells = grid.nx * grid.ny
        self.cell_start: np.ndarray | None = None
        self.nonempty_before: np.ndarray | None = None
        if n_cells <= _DENSE_LOOKUP_CELLS:
            dtype = np.int32 if len(cid) < 2**31 - 1 else np.int64
            counts = np.bincount(cid, minlength=n_cells)
            self.cell_start = np.zeros(n_cells + 1, dtype)
            np.cumsum(counts, out=self.cell_start[1:])
            self.nonempty_before = np.zeros(n_cells + 1, dtype)
            np.cumsum(counts > 0, out=self.nonempty_before[1:])

    def __len__(self) -> int:
        return int(self.x.size)

    def sort(self, values: np.ndarray) -> np.ndarray:
        """``values`` (one per input point) in the grid's order."""
        return np.ascontiguousarray(np.asarray(values)[self.order])

    def category_prefix_sums(self, codes: np.ndarray, n_codes: int,
                             weights: np.ndarray | None = None) -> np.ndarray:
        """(m+1, n_codes) prefix sums over non-empty cells of the count (or the sum of
        ``weights``) of points per category code; ``codes`` and ``weights`` in input
        order."""
        m = len(self.cell_ids)
        cell_of_point = np.repeat(np.arange(m, dtype=np.int64), np.diff(self.starts))
        key = cell_of_point * n_codes + np.asarray(codes, dtype=np.int64)[self.order]
        w = None if weights is None else np.asarray(weights, dtype=np.float64)[self.order]
        per_cell = np.bincount(key, weights=w, minlength=m * n_codes).astype(np.float64)
        out = np.zeros((m + 1, n_codes))
        np.cumsum(per_cell.reshape(m, n_codes), axis=0, out=out[1:])
        return out

    def run_cells(self, cov: Cover) -> tuple[np.ndarray, np.ndarray]:
        """Non-empty-cell index ranges [ka, kb) of the inside runs."""
        if self.nonempty_before is not None:
            return self.nonempty_before[cov.run_lo], self.nonempty_before[cov.run_hi]
        return (np.searchsorted(self.cell_ids, cov.run_lo),
                np.searchsorted(self.cell_ids, cov.run_hi))

    def first_position(self, cells: np.ndarray) -> np.ndarray:
        """Sorted position of the first point of each cell id, or of the next non-empty
        cell's when it is empty: cell c holds positions [first(c), first(c + 1))."""
        if self.cell_start is not None:
            return self.cell_start[cells]
        return self.starts[np.searchsorted(self.cell_ids, cells)]

    def cell_positions(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Sorted positions of the points in the cell-id ranges [lo, hi)."""
        return _expand_ranges(self.first_position(lo), self.first_position(hi))

    def boundary_hits(self, cov: Cover, geom: BaseGeometry,
                      previous: BoundaryHits | None = None,
                      region: tuple[int, int, int, int] | None = None) -> BoundaryHits:
        """The points in boundary cells that lie inside ``geom``, in sorted order.

        ``previous``: the hits of an earlier district that equals ``geom`` outside the
        cells ``region`` (col0, row0, col1, row1; see :meth:`Grid.cells_in`). Its hits
        outside the region are kept and only the boundary cells inside are tested, since
        beyond the region the boundary cells and their points' status are the same."""
        cells = cov.boundary
        keep = BoundaryHits.empty()
        if previous is not None and region is not None:
            keep = previous.outside(self.grid, region)
            cells = cells[self.grid.in_cells(cells, region)]
        if len(self) and cells.size:
            first, end = self.first_position(cells), self.first_position(cells + 1)
            pos = _expand_ranges(first, end)
            of = np.repeat(cells, end - first)
            inside = shapely.contains_xy(geom, self.x[pos], self.y[pos])
            tested = BoundaryHits(pos[inside], of[inside])
        else:
            tested = BoundaryHits.empty()
        if keep.positions.size == 0:
            return tested
        pos = np.concatenate([keep.positions, tested.positions])
        of = np.concatenate([keep.cells, tested.cells])
        order = np.argsort(pos, kind="stable")  # as from scratch: sums add in one order
        return BoundaryHits(pos[order], of[order])


# Widening (metres) of a changed box: it only adds candidates to re-test, never drops one.
_CHANGE_MARGIN = 1.0


def changed_box(before: np.ndarray, after: np.ndarray
                ) -> tuple[float, float, float, float] | None:
    """Box outside which two districts, given by their ``polygon_edges``, hold the same
    points: the bounding box of the edges that differ (None when the edge lists do not
    line up, so nothing can be reused; a degenerate box when nothing changed).

    Why it is exact: from a point outside the box a ray can leave without meeting the box,
    so it crosses the same (unchanged) edges of both boundaries, the same number of times.
    Distances beyond the box are likewise those to the unchanged edges."""
    if before.shape != after.shape:
        return None
    moved = np.flatnonzero((before != after).any(axis=1))
    if moved.size == 0:
        x, y = float(after[0, 0]), float(after[0, 1])
        return (x, y, x, y) if after.size else None
    ends = np.concatenate([before[moved].reshape(-1, 2), after[moved].reshape(-1, 2)])
    lo, hi = ends.min(axis=0), ends.max(axis=0)
    m = _CHANGE_MARGIN
    return (float(lo[0]) - m, float(lo[1]) - m, float(hi[0]) + m, float(hi[1]) + m)


# A change box larger than this share of the district's bounding box is not worth reusing.
_MAX_CHANGED_SHARE = 0.25


def _box_area(b: tuple[float, float, float, float]) -> float:
    return max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0)


@dataclass
class _LastSelection:
    """What :meth:`CityIndex.select` keeps of the district it selected last, so the next
    call (the same district with a vertex dragged) re-tests only what the change reaches."""

    edges: np.ndarray
    institution_buffer_m: float
    est_hits: BoundaryHits
    rent_hits: BoundaryHits
    inst_in: np.ndarray  # bool per institution
    inst_near: np.ndarray
    nbhd_share: np.ndarray | None  # area share inside, per neighbourhood
    rent_share: np.ndarray | None  # area share inside, per rent polygon


class PolygonOverlay:
    """Polygons in an STRtree; area share of each polygon inside a district.

    For a polygon the district only partly covers, the district is cut to the
    polygon's bounding box and the small piece intersected with it; the area is cached (see
    ``_intersection_areas``), so while one vertex is dragged only the few polygons near it
    are intersected again.
    """

    _CACHE_LIMIT = 20_000

    def __init__(self, geoms: np.ndarray):
        # Real tracts carry tiny invalidities (self-touching rings, slivers); GEOS overlays
        # of invalid input return wrong areas or raise, so measure their valid form.
        geoms = np.asarray(geoms)
        bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
        if bad.any():
            geoms = geoms.copy()
            geoms[bad] = [polygonal(g) for g in shapely.make_valid(geoms[bad])]
        self.geoms = geoms
        self.areas = shapely.area(self.geoms)
        self.bounds = shapely.bounds(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        self._cache: dict[tuple[int, bytes], float] = {}

    def fractions_since(self, geom: BaseGeometry, edges: np.ndarray | None = None,
                        previous: np.ndarray | None = None,
                        changed: tuple[float, float, float, float] | None = None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(polygon index, share of its area inside ``geom``) for the polygons it overlaps,
        and that share for every polygon (zeros included). ``edges``:
        ``polygon_edges(geom)`` when the caller has it already.

        ``previous``: that array for an earlier district that equals ``geom`` outside the
        box ``changed`` (see :func:`changed_box`); only polygons whose envelope meets the
        box are measured again, since the others meet both districts in the same set."""
        n = len(self.geoms)
        if geom is None or geom.is_empty or geom.area <= 0 or n == 0:
            return np.empty(0, np.int64), np.empty(0, np.float64), np.zeros(n)
        if previous is None or changed is None:
            every = np.zeros(n)
            cand = np.sort(self.tree.query(geom, predicate="intersects"))
        else:
            # The few polygons near the change: measured afresh (a polygon the district
            # does not meet measures 0, as one it only touches).
            every = previous.copy()
            cand = np.sort(self.tree.query(shapely.box(*changed)))
        frac = np.ones(cand.size)
        part = np.flatnonzero(~shapely.contains(geom, self.geoms[cand]))
        if part.size:
            if changed is not None and previous is not None:
                inter = self._areas(geom, cand[part])
            else:
                if edges is None:
                    edges = polygon_edges(geom)
                inter = self._intersection_areas(geom, cand[part], edges)
            area = self.areas[cand[part]]
            with np.errstate(divide="ignore", invalid="ignore"):
                frac[part] = np.where(area > 0, inter / area, 0.0)
        every[cand] = np.clip(frac, 0.0, 1.0)
        idx = np.flatnonzero(every > 0)
        return idx, every[idx], every

    def _areas(self, geom: BaseGeometry, idx: np.ndarray) -> np.ndarray:
        """Area of ``geom`` ∩ polygon for each index: the district is first cut to the
        polygon's bounding box, so the overlay works on a small piece.

        ``clip_by_rect`` is fast but may return invalid pieces (on real census tracts a
        tract wholly outside a district then counted 62% inside), so an invalid piece is
        cut again with a true intersection, which is valid for valid input."""
        if not geom.is_valid:
            geom = polygonal(shapely.make_valid(geom))
        pieces = np.array([shapely.clip_by_rect(geom, *self.bounds[k]) for k in idx])
        bad = ~shapely.is_valid(pieces)
        if bad.any():
            pieces[bad] = shapely.intersection(geom, shapely.box(*self.bounds[idx[bad]].T))
        return shapely.area(shapely.intersection(self.geoms[idx], pieces))

    def _intersection_areas(self, geom: BaseGeometry, idx: np.ndarray, edges: np.ndarray
                            ) -> np.ndarray:
        """Area of ``geom`` ∩ polygon for each index. The part of ``geom`` inside a
        polygon's bounding box R is fixed by the district edges that reach R (their exact
        coordinates) and by whether one corner of R is inside, so that is the cache key;
        only polygons near a moved vertex are intersected again."""
        b = self.bounds[idx]
        ex0 = np.minimum(edges[:, 0], edges[:, 2])[:, None]
        ex1 = np.maximum(edges[:, 0], edges[:, 2])[:, None]
        ey0 = np.minimum(edges[:, 1], edges[:, 3])[:, None]
        ey1 = np.maximum(edges[:, 1], edges[:, 3])[:, None]
        reach = (ex0 <= b[:, 2]) & (ex1 >= b[:, 0]) & (ey0 <= b[:, 3]) & (ey1 >= b[:, 1])
        corner = shapely.contains_xy(geom, b[:, 0], b[:, 1])
        out = np.empty(idx.size)
        miss_j, miss_key = [], []
        cache = self._cache
        for j, k in enumerate(idx.tolist()):
            key = (k, bool(corner[j]), edges[reach[:, j]].tobytes())
            value = cache.get(key)
            if value is None:
                miss_j.append(j)
                miss_key.append(key)
            else:
                out[j] = value
        if miss_j:
            areas = self._areas(geom, idx[miss_j])
            if len(cache) > self._CACHE_LIMIT:
                cache.clear()
            for j, key, a in zip(miss_j, miss_key, areas.tolist(), strict=True):
                out[j] = a
                cache[key] = a
        return out


@dataclass
class Selection:
    """What a district holds: the raw sums every figure is computed from.

    Counts and jobs are per sector code (creative sectors, then non-creative). Arrays of
    per-item values hold the creative establishments and rent observations inside, in no
    particular order (figures never depend on it).
    """

    area_m2: float
    count_by_sector: np.ndarray
    jobs_by_sector: np.ndarray
    creative_stop_dist: np.ndarray  # metres to the nearest stop, per creative firm inside
    creative_rent: np.ndarray  # local rent per creative firm inside (NaN unknown)
    rent_values: np.ndarray
    rent_weights: np.ndarray | None  # None: equal weights (points / raster cells)
    inst_inside: np.ndarray  # count per institution type code
    inst_near: np.ndarray  # count within the catchment distance (inside included)
    nbhd_index: np.ndarray
    nbhd_fraction: np.ndarray
    whole_city: bool = False
    # Σ jobs² of the creative and of the other establishments inside: the sampling
    # variance of the jobs-based location quotient needs it (concentration.py).
    jobs_sq: np.ndarray | None = None


@dataclass
class CityTotals:
    """City-wide sums and distributions the district figures are compared against."""

    count_by_sector: np.ndarray
    jobs_by_sector: np.ndarray
    area_m2: float
    rent_sorted: np.ndarray  # every rent value, ascending
    rent_weights_sorted: np.ndarray | None
    jobs_sq: np.ndarray | None = None  # Σ jobs², creative and other establishments


def establishment_attributes(
    city: CityData,
) -> tuple[np.ndarray, np.ndarray]:
    """Per establishment: distance to the nearest transit stop (m; inf without stops) and
    the local rent (the nearest rent point, the raster cell it falls in, or the rent
    polygon that contains it; NaN where unknown)."""
    # Imported here, not at the top: scipy.spatial drags in scipy.sparse and linalg (~0.2 s),
    # which only an index build needs, never `import districtplanner`.
    from scipy.spatial import cKDTree

    n = city.n_establishments
    if len(city.stops_xy) and n:
        dist, _ = cKDTree(city.stops_xy).query(city.est_xy, k=1)
        dist = np.asarray(dist, dtype=np.float64)
    else:
        dist = np.full(n, np.inf)
    rent = np.full(n, np.nan)
    if n == 0:
        return dist, rent
    kind = city.rent_kind
    if kind == "points" and len(city.rent_values):
        _, nearest = cKDTree(city.rent_xy).query(city.est_xy, k=1)
        rent = city.rent_values[nearest].astype(np.float64)
    elif kind == "raster":
        r = city.rent_raster
        a, b, c, d, e, f = r.transform
        det = a * e - b * d
        x = city.est_xy[:, 0] - c
        y = city.est_xy[:, 1] - f
        col = np.floor((e * x - b * y) / det).astype(np.int64)
        row = np.floor((-d * x + a * y) / det).astype(np.int64)
        rows, cols = r.values.shape
        ok = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
        rent[ok] = np.asarray(r.values, dtype=np.float64)[row[ok], col[ok]]
    elif kind == "polygons" and len(city.rent_polygon_values):
        tree = shapely.STRtree(city.rent_polygons)
        pts = shapely.points(city.est_xy)
        hit_pt, hit_poly = tree.query(pts, predicate="within")
        first = np.unique(hit_pt, return_index=True)[1]
        rent[hit_pt[first]] = city.rent_polygon_values[hit_poly[first]]
    return dist, rent


def _weighted_quantile(sorted_values: np.ndarray, weights: np.ndarray | None,
                       q: float) -> float:
    """Quantile ``q`` of ascending values: numpy's linear rule when unweighted, else the
    smallest value whose cumulative weight reaches ``q`` of the total."""
    if sorted_values.size == 0:
        return float("nan")
    if weights is None:
        return float(np.quantile(sorted_values, q))
    cw = np.cumsum(weights)
    k = int(np.searchsorted(cw, q * cw[-1], side="left"))
    return float(sorted_values[min(k, sorted_values.size - 1)])


def _neighbourhood_rents(overlay: PolygonOverlay, city: CityData, rxy: np.ndarray,
                         rv: np.ndarray, fallback: float) -> np.ndarray:
    """Median rent per neighbourhood (currency/m²/month): of the rent points or raster cell
    centres inside it, or area-weighted over rent polygons; ``fallback`` (the city median)
    where it holds no observation."""
    n = len(overlay.geoms)
    out = np.full(n, fallback, dtype=np.float64)
    if city.rent_kind == "polygons":
        poly_i, nb_i = overlay.tree.query(city.rent_polygons, predicate="intersects")
        w = shapely.area(shapely.intersection(city.rent_polygons[poly_i],
                                              overlay.geoms[nb_i]))
        vals = np.asarray(city.rent_polygon_values, dtype=np.float64)[poly_i]
    elif len(rv):
        pt_i, nb_i = overlay.tree.query(shapely.points(rxy), predicate="within")
        vals, w = rv[pt_i].astype(np.float64), None
    else:
        return out
    if nb_i.size == 0:  # no neighbourhood holds an observation (the rents lie elsewhere)
        return out
    order = np.lexsort((vals, nb_i))
    nb_s, val_s = nb_i[order], vals[order]
    w_s = None if w is None else w[order]
    bounds = np.flatnonzero(np.r_[True, nb_s[1:] != nb_s[:-1], True])
    for a, b in itertools.pairwise(bounds):
        ww = None if w_s is None else w_s[a:b]
        if ww is not None and ww.sum() <= 0:
            continue
        out[nb_s[a]] = _weighted_quantile(val_s[a:b], ww, 0.5)
    return out


def _auto_cell(city: CityData) -> float:
    """Cell size (m) giving about one establishment per cell of the extent on average,
    between 20 and 500 m. Clustered points then fill their cells by the dozen where the city
    is dense: few exact tests per boundary cell, and no more non-empty cells (the memory of
    the prefix sums) than establishments. Measured on the benchmark city: 44 m cells halve
    the exact tests of 88 m cells for ~1.6x the index memory."""
    n = max(city.n_establishments, 1)
    xmin, ymin, xmax, ymax = city.extent()
    area = max((xmax - xmin) * (ymax - ymin), 1.0)
    return float(np.clip(np.sqrt(area / n), 20.0, 500.0))


class CityIndex:
    """Everything a district figure needs, built once per layer change (seconds for a
    million establishments; build it off the GUI thread)."""

    city: CityData
    grid: Grid

    @classmethod
    def build(cls, city: CityData, cell_size: float | None = None) -> CityIndex:
        """Index ``city`` on a grid of ``cell_size`` metres (automatic when None)."""
        self = cls()
        self.city = city
        cell = float(cell_size) if cell_size else _auto_cell(city)
        xmin, ymin, xmax, ymax = city.extent()
        nx = int(np.floor((xmax - xmin) / cell)) + 1
        ny = int(np.floor((ymax - ymin) / cell)) + 1
        self.grid = Grid(xmin, ymin, cell, nx, ny)

        # Establishments: count and jobs per sector code, as cell prefix sums.
        self.est = PointGrid(self.grid, city.est_xy)
        # The last two columns: Σ jobs² of creative (0) and other (1) establishments.
        other = (city.est_sector == NON_CREATIVE_CODE).astype(np.int64)
        jobs = np.asarray(city.est_jobs, dtype=np.float64)
        self.est_cum = np.hstack([
            self.est.category_prefix_sums(city.est_sector, N_SECTOR_CODES),
            self.est.category_prefix_sums(city.est_sector, N_SECTOR_CODES, city.est_jobs),
            self.est.category_prefix_sums(other, 2, jobs * jobs),
        ])
        self.est_sector_sorted = self.est.sort(city.est_sector).astype(np.int64)
        self.est_jobs_sorted = self.est.sort(city.est_jobs)
        self.est_other_sorted = self.est.sort(other)

        # Creative establishments: their own grid, with per-firm stop distance and rent.
        dist, rent = establishment_attributes(city)
        creative = city.est_sector != NON_CREATIVE_CODE
        self.creative = PointGrid(self.grid, city.est_xy[creative])
        # Sorted establishment position -> sorted creative position (-1: not creative), so
        # the exact boundary tests run once for both grids.
        cre_pos = np.full(city.n_establishments, -1, dtype=np.int64)
        cre_rows = np.flatnonzero(creative)[self.creative.order]
        cre_pos[cre_rows] = np.arange(cre_rows.size)
        self.est_to_creative = cre_pos[self.est.order]
        self.cre_dist = self.creative.sort(dist[creative])
        self.cre_rent = self.creative.sort(rent[creative])
        self.est_stop_dist = dist
        self.est_rent = rent

        # Rent observations (points or raster cell centres) and rent polygons.
        rxy, rv = city.rent_observations()
        self.rents = PointGrid(self.grid, rxy)
        self.rent_sorted_values = self.rents.sort(rv.astype(np.float64))
        self.rent_overlay = (PolygonOverlay(city.rent_polygons)
                             if city.rent_kind == "polygons" else None)
        if self.rent_overlay is not None:
            vals = np.asarray(city.rent_polygon_values, dtype=np.float64)
            order = np.argsort(vals, kind="stable")
            rent_sorted, rent_w = vals[order], self.rent_overlay.areas[order]
        else:
            rent_sorted, rent_w = np.sort(rv.astype(np.float64)), None

        # Institutions: few, tested directly.
        self.inst_points = shapely.points(city.inst_xy) if len(city.inst_xy) else np.empty(0)
        self.inst_codes = city.inst_type.astype(np.int64)

        nb = city.neighbourhoods
        self.nbhd_overlay = (PolygonOverlay(np.asarray(nb.geometry.values))
                             if nb is not None and len(nb) else None)
        self.rent_city_quantiles = tuple(
            _weighted_quantile(rent_sorted, rent_w, q) for q in (0.25, 0.5, 0.75))
        city_median = self.rent_city_quantiles[1]
        self.nbhd_rent = (
            _neighbourhood_rents(self.nbhd_overlay, city, rxy, rv, city_median)
            if self.nbhd_overlay is not None else np.empty(0)
        )

        total = self.est_cum[-1]
        self.totals = CityTotals(
            count_by_sector=total[:N_SECTOR_CODES].copy(),
            jobs_by_sector=total[N_SECTOR_CODES:2 * N_SECTOR_CODES].copy(),
            jobs_sq=total[2 * N_SECTOR_CODES:].copy(),
            area_m2=city.city_area_m2(),
            rent_sorted=rent_sorted,
            rent_weights_sorted=rent_w,
        )
        # Assumption-free neighbourhood columns, filled by affordability on first use.
        self.nbhd_base: object | None = None
        self._last: _LastSelection | None = None
        self._memo_lock = threading.Lock()
        return self

    # ------------------------------------------------------------------------------------
    def select(
        self, district: BaseGeometry | None, institution_buffer_m: float = 500.0
    ) -> Selection:
        """The sums of everything inside ``district`` (None: the whole city)."""
        if district is None:
            return self.whole_city(institution_buffer_m)
        geom = polygonal(district)
        if geom.is_empty or geom.area <= 0:
            return self._empty_selection()
        shapely.prepare(geom)
        edges = polygon_edges(geom)
        cov = cover(self.grid, geom, edges)
        # What the last district had beyond the box a vertex drag changed is reused (exact;
        # see changed_box). One thread at a time reads and writes that memo; another
        # selects from scratch.
        own_memo = self._memo_lock.acquire(blocking=False)
        try:
            last = self._last if own_memo else None
            changed = None
            if last is not None and last.institution_buffer_m == institution_buffer_m:
                changed = changed_box(last.edges, edges)
            if changed is not None and _box_area(changed) > _MAX_CHANGED_SHARE * _box_area(
                    geom.bounds):
                changed = None  # most of it changed (another district): from scratch
            if changed is None:
                last = None
            sel, memo = self._select(geom, edges, cov, institution_buffer_m, last, changed)
            if own_memo:
                self._last = memo
        except BaseException:
            if own_memo:
                self._last = None
            raise
        finally:
            if own_memo:
                self._memo_lock.release()
        return sel

    def _select(self, geom: BaseGeometry, edges: np.ndarray, cov: Cover, buffer_m: float,
                last: _LastSelection | None, changed: tuple[float, float, float, float] | None
                ) -> tuple[Selection, _LastSelection]:
        region = None if last is None or changed is None else self.grid.cells_in(changed)
        ka, kb = self.est.run_cells(cov)
        sums = (self.est_cum[kb] - self.est_cum[ka]).sum(axis=0)
        hits = self.est.boundary_hits(cov, geom, None if region is None else last.est_hits,
                                      region)
        pos = hits.positions
        codes = self.est_sector_sorted[pos]
        count = sums[:N_SECTOR_CODES] + np.bincount(codes, minlength=N_SECTOR_CODES)
        hit_jobs = self.est_jobs_sorted[pos]
        jobs = sums[N_SECTOR_CODES:2 * N_SECTOR_CODES] + np.bincount(
            codes, weights=hit_jobs, minlength=N_SECTOR_CODES)
        jobs_sq = sums[2 * N_SECTOR_CODES:] + np.bincount(
            self.est_other_sorted[pos], weights=hit_jobs * hit_jobs, minlength=2)

        cre_hits = self.est_to_creative[pos]
        cpos = np.concatenate([
            self.creative.cell_positions(cov.run_lo, cov.run_hi), cre_hits[cre_hits >= 0]])
        rent_hits = self.rents.boundary_hits(
            cov, geom, None if region is None else last.rent_hits, region)
        rpos = np.concatenate([self.rents.cell_positions(cov.run_lo, cov.run_hi),
                               rent_hits.positions])
        rent_values = self.rent_sorted_values[rpos]
        rent_weights = None
        rent_share = nbhd_share = None
        if self.rent_overlay is not None:
            idx, frac, rent_share = self.rent_overlay.fractions_since(
                geom, edges, None if last is None else last.rent_share, changed)
            rent_values = self.city.rent_polygon_values[idx].astype(np.float64)
            rent_weights = frac * self.rent_overlay.areas[idx]
        is_in, is_near = self._institutions(geom, buffer_m, last, changed)
        if self.nbhd_overlay is not None:
            nidx, nfrac, nbhd_share = self.nbhd_overlay.fractions_since(
                geom, edges, None if last is None else last.nbhd_share, changed)
        else:
            nidx, nfrac = np.empty(0, np.int64), np.empty(0)
        codes = self.inst_codes
        sel = Selection(
            area_m2=float(geom.area), count_by_sector=count, jobs_by_sector=jobs,
            creative_stop_dist=self.cre_dist[cpos], creative_rent=self.cre_rent[cpos],
            rent_values=rent_values, rent_weights=rent_weights,
            inst_inside=np.bincount(codes, weights=is_in, minlength=N_INSTITUTION_CODES),
            inst_near=np.bincount(codes, weights=is_near, minlength=N_INSTITUTION_CODES),
            nbhd_index=nidx, nbhd_fraction=nfrac, jobs_sq=jobs_sq,
        )
        memo = _LastSelection(edges, buffer_m, hits, rent_hits, is_in, is_near, nbhd_share,
                              rent_share)
        return sel, memo

    def forget_last(self) -> None:
        """Drop what the last select() keeps for the next one, so the next district is
        selected from scratch (benchmarks and tests compare both ways)."""
        with self._memo_lock:
            self._last = None

    def whole_city(self, institution_buffer_m: float = 500.0) -> Selection:
        """The selection of everything: the city baseline."""
        rent_values = self.rent_sorted_values
        rent_weights = None
        if self.rent_overlay is not None:
            rent_values = np.asarray(self.city.rent_polygon_values, dtype=np.float64)
            rent_weights = self.rent_overlay.areas.copy()
        inside = np.bincount(self.inst_codes, minlength=N_INSTITUTION_CODES).astype(float)
        n_nb = 0 if self.nbhd_overlay is None else len(self.nbhd_overlay.geoms)
        return Selection(
            area_m2=self.totals.area_m2,
            count_by_sector=self.totals.count_by_sector.copy(),
            jobs_by_sector=self.totals.jobs_by_sector.copy(),
            creative_stop_dist=self.cre_dist, creative_rent=self.cre_rent,
            rent_values=rent_values, rent_weights=rent_weights,
            inst_inside=inside, inst_near=inside.copy(),
            nbhd_index=np.arange(n_nb, dtype=np.int64), nbhd_fraction=np.ones(n_nb),
            whole_city=True, jobs_sq=self.totals.jobs_sq.copy(),
        )

    def _empty_selection(self) -> Selection:
        z = np.zeros(N_SECTOR_CODES)
        e = np.empty(0)
        zi = np.zeros(N_INSTITUTION_CODES)
        return Selection(0.0, z, z.copy(), e, e, e, None, zi, zi.copy(),
                         np.empty(0, np.int64), e, jobs_sq=np.zeros(2))

    def _institutions(self, geom: BaseGeometry, buffer_m: float,
                      last: _LastSelection | None = None,
                      changed: tuple[float, float, float, float] | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Per institution: inside ``geom``, and within ``buffer_m`` of it (inside
        included). With ``last``, only those within the buffer of the ``changed`` box are
        tested again; the rest keep their status."""
        n = len(self.inst_points)
        if last is None or changed is None:
            is_in, is_near = np.zeros(n, bool), np.zeros(n, bool)
            xmin, ymin, xmax, ymax = geom.bounds
        else:
            is_in, is_near = last.inst_in.copy(), last.inst_near.copy()
            xmin, ymin, xmax, ymax = changed
        if n == 0:
            return is_in, is_near
        xy = self.city.inst_xy
        r = buffer_m + _CHANGE_MARGIN
        cand = np.flatnonzero(
            (xy[:, 0] >= xmin - r) & (xy[:, 0] <= xmax + r)
            & (xy[:, 1] >= ymin - r) & (xy[:, 1] <= ymax + r)
        )
        if cand.size == 0:
            return is_in, is_near
        inside = shapely.contains_xy(geom, xy[cand, 0], xy[cand, 1])
        near = inside.copy()
        out = np.flatnonzero(~inside)
        if out.size:
            near[out] = shapely.dwithin(geom, self.inst_points[cand[out]], buffer_m)
        is_in[cand] = inside
        is_near[cand] = near
        return is_in, is_near


@dataclass
class PlainSelector:
    """The plain way: one geopandas spatial join per edit, no index. The reference the
    fast path is tested against, and timed against in ``benchmarks/bench_metrics.py``."""

    index: CityIndex
    est: gpd.GeoDataFrame = field(init=False)
    rents: gpd.GeoDataFrame = field(init=False)

    def __post_init__(self) -> None:
        city = self.index.city
        crs = city.crs
        self.est = gpd.GeoDataFrame(
            {"code": city.est_sector.astype(np.int64), "jobs": city.est_jobs,
             "dist": self.index.est_stop_dist, "rent": self.index.est_rent},
            geometry=gpd.points_from_xy(city.est_xy[:, 0], city.est_xy[:, 1]), crs=crs,
        )
        rxy, rv = city.rent_observations()
        self.rents = gpd.GeoDataFrame(
            {"rent": rv}, geometry=gpd.points_from_xy(rxy[:, 0], rxy[:, 1]), crs=crs)
        self.inst = gpd.GeoDataFrame(
            {"code": city.inst_type.astype(np.int64)},
            geometry=gpd.points_from_xy(city.inst_xy[:, 0], city.inst_xy[:, 1]), crs=crs)
        self.nbhd = city.neighbourhoods
        if city.rent_kind == "polygons":
            self.rent_polys = gpd.GeoDataFrame(
                {"rent": city.rent_polygon_values}, geometry=city.rent_polygons, crs=crs)
        else:
            self.rent_polys = None

    def select(self, district: BaseGeometry, institution_buffer_m: float = 500.0
               ) -> Selection:
        """The same Selection as :meth:`CityIndex.select`, by spatial joins."""
        if district is None:
            return self.index.whole_city(institution_buffer_m)
        district = polygonal(district)
        if district.is_empty or district.area <= 0:
            return self.index._empty_selection()
        crs = self.index.city.crs
        d = gpd.GeoDataFrame(geometry=[district], crs=crs)
        est = gpd.sjoin(self.est, d, predicate="within", how="inner")
        codes = est["code"].to_numpy()
        count = np.bincount(codes, minlength=N_SECTOR_CODES).astype(float)
        j = est["jobs"].to_numpy(np.float64)
        jobs = np.bincount(codes, weights=j, minlength=N_SECTOR_CODES)
        jobs_sq = np.bincount((codes == NON_CREATIVE_CODE).astype(np.int64), weights=j * j,
                              minlength=2)
        cre = est[codes != NON_CREATIVE_CODE]
        rents = gpd.sjoin(self.rents, d, predicate="within", how="inner")
        rent_values = rents["rent"].to_numpy(np.float64)
        rent_weights = None
        if self.rent_polys is not None:
            hit = self.rent_polys[self.rent_polys.intersects(district)]
            area = hit.intersection(district).area.to_numpy()
            keep = area > 0
            rent_values = hit["rent"].to_numpy(np.float64)[keep]
            rent_weights = area[keep]
        inst_in = gpd.sjoin(self.inst, d, predicate="within", how="inner")
        inst_near = self.inst[self.inst.distance(district) <= institution_buffer_m]
        inside = np.bincount(inst_in["code"].to_numpy(), minlength=N_INSTITUTION_CODES)
        near = np.bincount(inst_near["code"].to_numpy(), minlength=N_INSTITUTION_CODES)
        nidx, nfrac = np.empty(0, np.int64), np.empty(0)
        if self.nbhd is not None and len(self.nbhd):
            hit = self.nbhd[self.nbhd.intersects(district)]
            frac = (hit.intersection(district).area / hit.area).to_numpy()
            keep = frac > 0
            nidx = hit.index.to_numpy()[keep].astype(np.int64)
            nfrac = np.minimum(frac[keep], 1.0)
        return Selection(
            area_m2=float(district.area), count_by_sector=count, jobs_by_sector=jobs,
            creative_stop_dist=cre["dist"].to_numpy(np.float64),
            creative_rent=cre["rent"].to_numpy(np.float64),
            rent_values=rent_values,
            rent_weights=rent_weights, inst_inside=inside.astype(float),
            inst_near=near.astype(float), nbhd_index=nidx, nbhd_fraction=nfrac,
            jobs_sq=jobs_sq,
        )
