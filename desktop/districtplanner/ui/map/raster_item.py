"""A raster layer as a pyqtgraph ImageItem, coloured once into RGBA (no-data transparent)
and placed by the raster's affine transform."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

from districtplanner.analysis.raster import Raster
from districtplanner.ui.map.point_item import colormap_lut

Rect = tuple[float, float, float, float]


def raster_levels(values: np.ndarray) -> tuple[float, float]:
    """Colour-scale limits: the 2nd and 98th percentiles of the finite values, so a few
    extreme cells do not wash out the map."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 0.0, 1.0
    lo, hi = np.percentile(finite, [2, 98])
    if hi <= lo:
        hi = lo + 1.0
    return float(lo), float(hi)


def argb32_rgba(values: np.ndarray) -> np.ndarray:
    """(rows, cols, 4) uint8 RGBA of a basemap packed as 0xAARRGGBB per cell (io's tiles)."""
    v = np.nan_to_num(values, nan=0.0).astype(np.uint32)
    return np.stack([(v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF, (v >> 24) & 0xFF],
                    axis=-1).astype(np.uint8)


def raster_rgba(values: np.ndarray, colormap: str, levels: tuple[float, float] | None = None
                ) -> np.ndarray:
    """(rows, cols, 4) uint8 colours of ``values`` through ``colormap``; NaN is transparent."""
    lo, hi = levels or raster_levels(values)
    lut = colormap_lut(colormap)
    finite = np.isfinite(values)
    t = np.clip((np.where(finite, values, lo) - lo) / (hi - lo), 0.0, 1.0)
    rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
    rgba[..., :3] = lut[(t * (len(lut) - 1)).astype(np.int64)]
    rgba[..., 3] = np.where(finite, 255, 0)
    return rgba


def range_rgba(values: np.ndarray, low: float, high: float, colour: str = "#D55E00"
               ) -> np.ndarray:
    """(rows, cols, 4) uint8: ``colour`` on cells with low <= value <= high, else clear."""
    inside = np.isfinite(values) & (values >= low) & (values <= high)
    c = QtGui.QColor(colour)
    rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
    rgba[inside] = (c.red(), c.green(), c.blue(), 235)
    return rgba


def raster_qtransform(transform: tuple[float, float, float, float, float, float]
                      ) -> QtGui.QTransform:
    """The affine (a, b, c, d, e, f) of rasterio, mapping (column, row) to map x, y."""
    a, b, c, d, e, f = transform
    return QtGui.QTransform(a, d, b, e, c, f)


class RasterLayerItem(pg.ImageItem):
    """The raster ``raster`` coloured by ``colormap`` at ``opacity`` (0-1)."""

    def __init__(self, raster: Raster, colormap: str = "viridis", opacity: float = 1.0
                 ) -> None:
        super().__init__(axisOrder="row-major")
        self.raster = raster
        self.paint_count = 0
        self.levels_used = raster_levels(raster.values)
        self.set_colormap(colormap)
        self.setTransform(raster_qtransform(raster.transform))
        self.setOpacity(opacity)

    def set_colormap(self, colormap: str) -> None:
        if self.raster.unit == "argb32":  # an offline basemap: its own colours, no colormap
            rgba = argb32_rgba(self.raster.values)
        else:
            rgba = raster_rgba(self.raster.values, colormap, self.levels_used)
        self.setImage(rgba, autoLevels=False, levels=None)

    def data_bounds(self) -> Rect:
        return self.raster.bounds

    def value_at(self, x: float, y: float) -> float | None:
        """The cell value at map (x, y) metres, or None outside or on no-data."""
        inv, ok = raster_qtransform(self.raster.transform).inverted()
        if not ok:
            return None
        p = inv.map(pg.QtCore.QPointF(x, y))
        col, row = int(np.floor(p.x())), int(np.floor(p.y()))
        rows, cols = self.raster.values.shape
        if not (0 <= row < rows and 0 <= col < cols):
            return None
        v = float(self.raster.values[row, col])
        return v if np.isfinite(v) else None

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        self.paint_count += 1
        super().paint(painter, *args)
