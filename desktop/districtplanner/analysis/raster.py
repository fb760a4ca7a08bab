"""A raster held in memory: the grid, where it sits, and which value means 'no data'."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Raster:
    """A single-band raster in a projected CRS.

    ``transform`` is the affine ``(a, b, c, d, e, f)`` of rasterio (x = a*col + b*row + c,
    y = d*col + e*row + f); ``values`` is float with NaN where the source had no data, except
    for a basemap image (``unit == "argb32"``), whose values are colours packed 0xAARRGGBB
    (uint32) and are drawn, never analysed.
    """

    values: np.ndarray
    transform: tuple[float, float, float, float, float, float]
    crs: str
    name: str = ""
    unit: str = ""

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape  # type: ignore[return-value]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in CRS units, for a north-up raster."""
        a, _, c, _, e, f = self.transform
        rows, cols = self.values.shape
        x0, x1 = c, c + a * cols
        y0, y1 = f + e * rows, f
        return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    @property
    def cell_area(self) -> float:
        """Area of one cell in CRS units squared."""
        a, b, _, d, e, _ = self.transform
        return abs(a * e - b * d)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y of every cell centre, flattened row by row."""
        a, b, c, d, e, f = self.transform
        rows, cols = self.values.shape
        cc, rr = np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
        x = a * cc + b * rr + c
        y = d * cc + e * rr + f
        return x.ravel(), y.ravel()
