"""Points sorted by grid cell, so the map can count and gather what is visible in O(rows).

Plain numpy (no Qt): the point layer item culls with it, the density image bins what it
returns, and click look-ups search the few cells around the cursor. Counts of any
rectangle of cells come from a summed-area table (two-dimensional prefix sums).
"""

from __future__ import annotations

import math

import numpy as np


class PointGrid:
    """Cell-sorted copy of point coordinates and an integer class per point.

    ``x``, ``y`` are map coordinates (metres); ``classes`` small non-negative ints (e.g. the
    sector code) or None. ``target_per_cell`` sets the cell size: about that many points
    per cell on average, capped at ``max_cells`` cells per side.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, classes: np.ndarray | None = None,
                 target_per_cell: int = 32, max_cells: int = 512) -> None:
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        ok = np.isfinite(x) & np.isfinite(y)
        rows = np.flatnonzero(ok)
        x, y = x[ok], y[ok]
        n = len(x)
        if n:
            x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
        else:
            x0 = x1 = y0 = y1 = 0.0
        w, h = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
        cells = max(1, n // max(target_per_cell, 1))
        side = math.sqrt(w * h / cells)
        self.nx = int(min(max_cells, max(1, math.ceil(w / side))))
        self.ny = int(min(max_cells, max(1, math.ceil(h / side))))
        self.x0, self.y0 = x0, y0
        # A hair wider than the data so the maximum falls in the last cell, not past it.
        self.cw = w * (1 + 1e-9) / self.nx
        self.ch = h * (1 + 1e-9) / self.ny
        self.bounds = (x0, y0, x1, y1)
        ix = np.clip(((x - x0) / self.cw).astype(np.int64), 0, self.nx - 1)
        iy = np.clip(((y - y0) / self.ch).astype(np.int64), 0, self.ny - 1)
        cell = iy * self.nx + ix
        order = np.argsort(cell, kind="stable")
        self.x = x[order]
        self.y = y[order]
        #: Row of each sorted point in the original data (skipping non-finite points).
        self.rows = rows[order]
        if classes is None:
            self.classes = np.zeros(n, dtype=np.int16)
        else:
            self.classes = np.asarray(classes)[ok][order].astype(np.int16)
        counts = np.bincount(cell, minlength=self.nx * self.ny)
        self.start = np.zeros(self.nx * self.ny + 1, dtype=np.int64)
        np.cumsum(counts, out=self.start[1:])
        sat = np.zeros((self.ny + 1, self.nx + 1), dtype=np.int64)
        sat[1:, 1:] = counts.reshape(self.ny, self.nx).cumsum(0).cumsum(1)
        self._sat = sat

    def __len__(self) -> int:
        return len(self.x)

    def cell_range(self, rect: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        """Inclusive cell index range (ix0, iy0, ix1, iy1) covering ``rect`` (xmin, ymin,
        xmax, ymax in metres), clipped to the grid; ix0 > ix1 when nothing overlaps."""
        xmin, ymin, xmax, ymax = rect
        ix0 = max(0, math.floor((xmin - self.x0) / self.cw))
        iy0 = max(0, math.floor((ymin - self.y0) / self.ch))
        ix1 = min(self.nx - 1, math.floor((xmax - self.x0) / self.cw))
        iy1 = min(self.ny - 1, math.floor((ymax - self.y0) / self.ch))
        if ix1 < ix0 or iy1 < iy0:
            return 0, 0, -1, -1
        return ix0, iy0, ix1, iy1

    def count_in(self, rect: tuple[float, float, float, float]) -> int:
        """Points in the cells touching ``rect``: an upper bound of the visible count, exact
        to within the boundary cells, in O(1)."""
        ix0, iy0, ix1, iy1 = self.cell_range(rect)
        if ix1 < ix0:
            return 0
        s = self._sat
        return int(s[iy1 + 1, ix1 + 1] - s[iy0, ix1 + 1] - s[iy1 + 1, ix0] + s[iy0, ix0])

    def slices_in(self, rect: tuple[float, float, float, float]) -> list[slice]:
        """Contiguous slices of the sorted arrays holding the cells touching ``rect``: one
        slice per grid row."""
        ix0, iy0, ix1, iy1 = self.cell_range(rect)
        if ix1 < ix0:
            return []
        if ix0 == 0 and ix1 == self.nx - 1:
            return [slice(int(self.start[iy0 * self.nx]),
                          int(self.start[(iy1 + 1) * self.nx]))]
        out = []
        for iy in range(iy0, iy1 + 1):
            a = int(self.start[iy * self.nx + ix0])
            b = int(self.start[iy * self.nx + ix1 + 1])
            if b > a:
                out.append(slice(a, b))
        return out

    def gather(self, rect: tuple[float, float, float, float], exact: bool = True
               ) -> np.ndarray:
        """Sorted-array positions of the points in ``rect`` (exactly inside when ``exact``,
        else everything in the touching cells)."""
        parts = [np.arange(s.start, s.stop) for s in self.slices_in(rect)]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        idx = parts[0] if len(parts) == 1 else np.concatenate(parts)
        if exact:
            xmin, ymin, xmax, ymax = rect
            px, py = self.x[idx], self.y[idx]
            idx = idx[(px >= xmin) & (px <= xmax) & (py >= ymin) & (py <= ymax)]
        return idx

    def nearest(self, x: float, y: float, tolerance: float) -> int | None:
        """Original data row of the point nearest (x, y) within ``tolerance`` metres."""
        idx = self.gather((x - tolerance, y - tolerance, x + tolerance, y + tolerance))
        if not len(idx):
            return None
        d2 = (self.x[idx] - x) ** 2 + (self.y[idx] - y) ** 2
        k = int(np.argmin(d2))
        if d2[k] > tolerance * tolerance:
            return None
        return int(self.rows[idx[k]])
