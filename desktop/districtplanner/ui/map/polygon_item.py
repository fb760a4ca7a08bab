"""Polygon and line layers as one item each: every outline of a layer in one QPainterPath
built by ``pg.arrayToQPath`` with a connect array, fills grouped by class (one path per
colour), and an STRtree so clicks and hovers find features without touching items."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
import shapely
from PySide6 import QtCore, QtGui

Rect = tuple[float, float, float, float]


def geometry_path(geoms: Sequence[object] | np.ndarray) -> QtGui.QPainterPath:
    """One path through every ring (polygons) or part (lines) of ``geoms``, with a break
    between rings, in map coordinates (metres)."""
    arr = np.asarray(geoms, dtype=object)
    arr = arr[~shapely.is_missing(arr)] if len(arr) else arr
    if not len(arr):
        return QtGui.QPainterPath()
    parts = shapely.get_parts(arr)
    polys = shapely.get_type_id(parts) == 3
    pieces = list(parts[~polys])
    if polys.any():
        pieces += list(shapely.get_rings(parts[polys]))
    if not pieces:
        return QtGui.QPainterPath()
    coords, index = shapely.get_coordinates(np.asarray(pieces, dtype=object),
                                            return_index=True)
    if not len(coords):
        return QtGui.QPainterPath()
    connect = np.ones(len(coords), dtype=np.int32)
    connect[:-1] = index[1:] == index[:-1]
    connect[-1] = 0
    return pg.arrayToQPath(coords[:, 0], coords[:, 1], connect=connect, finiteCheck=False)


def pixel_padded(item: pg.GraphicsObject, rect: QtCore.QRectF, pixels: float
                 ) -> QtCore.QRectF:
    """``rect`` (item coordinates) grown by ``pixels`` screen pixels on every side, so pens
    and handles drawn in pixels stay inside the item's bounds (and its repaint region)."""
    if rect.isNull():
        return QtCore.QRectF(rect)
    px = item.pixelWidth() if item.getViewBox() is not None else 0.0
    pad = max(pixels * (px or 0.0), 1e-6 * max(rect.width(), rect.height(), 1.0))
    return rect.adjusted(-pad, -pad, pad, pad)


class PathLayerItem(pg.GraphicsObject):
    """All features of a polygon or line layer.

    ``colour``/``width`` (pixels, cosmetic) draw the outlines or lines; ``fills`` is a list
    of (fill colour '#rrggbb', feature rows) drawn under the outlines, one path per colour.
    ``fill_alpha`` (0-1) keeps fills translucent so points beneath stay visible.
    """

    def __init__(self, geoms: Sequence[object] | np.ndarray, colour: str = "#666666",
                 width: float = 1.0, fills: list[tuple[str, np.ndarray]] | None = None,
                 fill_alpha: float = 0.35, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.geoms = np.asarray(geoms, dtype=object)
        self.paint_count = 0
        self.tree = shapely.STRtree(self.geoms)
        self.path = geometry_path(self.geoms)
        self._fill_alpha = fill_alpha
        valid = self.geoms[~shapely.is_missing(self.geoms)]
        if len(valid):
            b = shapely.total_bounds(valid)
            self._data_bounds = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
        else:
            self._data_bounds = (0.0, 0.0, 0.0, 0.0)
        self.set_style(colour, width, fills)

    def set_style(self, colour: str, width: float,
                  fills: list[tuple[str, np.ndarray]] | None = None) -> None:
        """Outline colour and width (pixels), and the fill classes (colour, rows)."""
        self.prepareGeometryChange()
        pen = QtGui.QPen(QtGui.QColor(colour), float(width))
        pen.setCosmetic(True)
        pen.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
        self._pen = pen
        self._fills: list[tuple[QtGui.QBrush, QtGui.QPainterPath]] = []
        for fill, rows in fills or []:
            c = QtGui.QColor(fill)
            c.setAlphaF(self._fill_alpha)
            self._fills.append((QtGui.QBrush(c), geometry_path(self.geoms[np.asarray(rows)])))
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        x0, y0, x1, y1 = self._data_bounds
        return pixel_padded(self, QtCore.QRectF(x0, y0, x1 - x0, y1 - y0),
                            self._pen.widthF() + 2.0)

    def viewTransformChanged(self) -> None:
        """pyqtgraph hook: the pixel padding of the bounds changes with the zoom."""
        self.prepareGeometryChange()

    def data_bounds(self) -> Rect:
        """(xmin, ymin, xmax, ymax) in metres."""
        return self._data_bounds

    @property
    def fill_count(self) -> int:
        """Number of fill classes drawn."""
        return len(self._fills)

    def paint(self, painter: QtGui.QPainter, option: object, widget: object = None) -> None:
        self.paint_count += 1
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        for brush, path in self._fills:
            painter.setBrush(brush)
            painter.drawPath(path)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.setPen(self._pen)
        painter.drawPath(self.path)

    def feature_at(self, x: float, y: float, tolerance: float = 0.0) -> int | None:
        """Row of the feature under (x, y), within ``tolerance`` metres for lines; the
        smallest one when polygons overlap."""
        pt = shapely.Point(x, y)
        if tolerance > 0:
            hits = self.tree.query(pt, predicate="dwithin", distance=tolerance)
        else:
            hits = self.tree.query(pt, predicate="intersects")
        if not len(hits):
            return None
        if len(hits) == 1:
            return int(hits[0])
        if tolerance > 0:
            key = shapely.distance(self.geoms[hits], pt)
        else:
            key = shapely.area(self.geoms[hits])
        return int(hits[int(np.argmin(key))])
