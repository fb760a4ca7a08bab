"""Items drawn over the base layers: districts, highlighted shapes (hovered or selected
neighbourhood, a tool's shape in progress) and vertex handles. They are small and repaint
often; the base layers under them are cached and do not repaint when they change."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import shapely
from PySide6 import QtCore, QtGui, QtWidgets
from shapely.geometry.base import BaseGeometry

from districtplanner.ui.map.polygon_item import geometry_path, pixel_padded

#: z values: base layers take 0..N (their document order), overlays sit above.
Z_HIGHLIGHT = 10_000
Z_DISTRICT = 20_000
Z_TOOL = 30_000


class ShapeItem(pg.GraphicsObject):
    """A shape (any shapely geometry, or None for nothing) with a cosmetic pen (width in
    pixels) and a brush; optional vertex handles of ``handle_px`` pixels."""

    def __init__(self, colour: str = "#222222", width: float = 2.0, fill: str = "",
                 fill_alpha: float = 0.15, dash: bool = False, handle_px: float = 0.0
                 ) -> None:
        super().__init__()
        self.geometry: BaseGeometry | None = None
        self.path = QtGui.QPainterPath()
        self._handles = np.zeros((0, 2))
        self.handle_px = handle_px
        self.set_pen(colour, width, dash)
        self.set_fill(fill, fill_alpha)

    def set_pen(self, colour: str, width: float, dash: bool = False) -> None:
        self.prepareGeometryChange()
        pen = QtGui.QPen(QtGui.QColor(colour), float(width))
        pen.setCosmetic(True)
        pen.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
        if dash:
            pen.setStyle(QtCore.Qt.PenStyle.DashLine)
        self._pen = pen
        self.update()

    def set_fill(self, fill: str, alpha: float = 0.15) -> None:
        if fill:
            c = QtGui.QColor(fill)
            c.setAlphaF(alpha)
            self._brush = QtGui.QBrush(c)
        else:
            self._brush = QtGui.QBrush(QtCore.Qt.BrushStyle.NoBrush)
        self.update()

    def set_geometry(self, geometry: BaseGeometry | None, closed: bool = True) -> None:
        """Show ``geometry`` (metres); polygons close their rings, an open LineString shows
        a shape still being drawn."""
        self.prepareGeometryChange()
        self.geometry = geometry
        if geometry is None or geometry.is_empty:
            self.path = QtGui.QPainterPath()
            self._handles = np.zeros((0, 2))
        else:
            self.path = geometry_path([geometry])
            self._handles = shapely.get_coordinates(geometry)
        self.update()

    def set_handles(self, xy: np.ndarray) -> None:
        """Vertex handles (n x 2 metres) to draw as small squares."""
        self.prepareGeometryChange()
        self._handles = np.asarray(xy, dtype=float).reshape(-1, 2)
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        rect = self.path.boundingRect()
        if len(self._handles):
            x0, y0 = self._handles.min(axis=0)
            x1, y1 = self._handles.max(axis=0)
            rect = rect.united(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        return pixel_padded(self, rect, self._pen.widthF() + self.handle_px + 2.0)

    def viewTransformChanged(self) -> None:
        """pyqtgraph hook: the pixel padding of the bounds changes with the zoom."""
        self.prepareGeometryChange()

    def paint(self, painter: QtGui.QPainter, option: object, widget: object = None) -> None:
        if self.path.isEmpty():
            return
        painter.setPen(self._pen)
        painter.setBrush(self._brush)
        painter.drawPath(self.path)
        if self.handle_px > 0 and len(self._handles):
            t = painter.worldTransform()
            s = self.handle_px
            painter.save()
            painter.resetTransform()
            painter.setPen(QtGui.QPen(QtGui.QColor("#222222"), 1))
            painter.setBrush(QtGui.QColor("#FFFFFF"))
            for x, y in self._handles:
                p = t.map(QtCore.QPointF(float(x), float(y)))
                painter.drawRect(QtCore.QRectF(p.x() - s / 2, p.y() - s / 2, s, s))
            painter.restore()


class LabelItem(QtWidgets.QGraphicsItem):
    """A text label of constant screen size, centred on its position, drawn with a white
    halo so it reads over any layer."""

    def __init__(self, text: str, colour: str, parent: QtWidgets.QGraphicsItem) -> None:
        super().__init__(parent)
        self.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self._font = QtGui.QFont()
        self._font.setPointSizeF(10.5)
        self._font.setBold(True)
        self._halo = QtGui.QPen(QtGui.QColor(255, 255, 255, 235), 3.5)
        self._halo.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
        self.set_colour(colour)
        self.set_text(text)

    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        self.prepareGeometryChange()
        self._text = text
        path = QtGui.QPainterPath()
        path.addText(0, 0, self._font, text)
        r = path.boundingRect()
        self._path = path.translated(-r.center())
        self._rect = self._path.boundingRect().adjusted(-3, -3, 3, 3)
        self.update()

    def set_colour(self, colour: str) -> None:
        self._brush = QtGui.QBrush(QtGui.QColor(colour).darker(140))
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._rect)

    def paint(self, painter: QtGui.QPainter, option: object, widget: object = None) -> None:
        painter.strokePath(self._path, self._halo)
        painter.fillPath(self._path, self._brush)


class DistrictItem(ShapeItem):
    """One district: outline in its colour, a light translucent fill and its name; the
    active district is drawn heavier. ``set_geometry`` shows a preview while dragging."""

    def __init__(self, district_id: str, geometry: BaseGeometry, colour: str, name: str,
                 active: bool = False) -> None:
        super().__init__(colour=colour, width=2.0, fill=colour, fill_alpha=0.12)
        self.district_id = district_id
        self.colour = colour
        self.active = False
        self.label = LabelItem(name, colour, self)
        # Cached: a pan or another district's drag blits these instead of repainting them;
        # an edit of this district invalidates only its own cache.
        self.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.label.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(Z_DISTRICT)
        self.set_geometry(geometry)
        self.set_active(active)

    @property
    def name(self) -> str:
        return self.label.text()

    def set_name(self, name: str) -> None:
        self.label.set_text(name)

    def set_colour(self, colour: str) -> None:
        self.colour = colour
        self.label.set_colour(colour)
        self.set_active(self.active)

    def set_active(self, active: bool) -> None:
        self.active = active
        self.set_pen(self.colour, 3.5 if active else 2.0)
        self.set_fill(self.colour, 0.22 if active else 0.10)
        self.setZValue(Z_DISTRICT + (1 if active else 0))

    def set_geometry(self, geometry: BaseGeometry | None, closed: bool = True) -> None:
        super().set_geometry(geometry, closed)
        if geometry is not None and not geometry.is_empty:
            p = geometry.representative_point()
            self.label.setPos(p.x, p.y)
