"""The sample city's first frame: the map drawn with QPainter straight from the prepared
arrays (io/first_frame.py) while the full document, index and figures are still being
built, so the window shows the city within a second of the command.

Only Qt and numpy: no pyqtgraph, geopandas or shapely, which together cost more than the
whole start may. Colours, widths and dot sizes are the full map's (model/styles.py, the
sector palette, the rent colour map), and the view fits the city as the full map's first
"zoom to all" does, so swapping in the real canvas changes nothing the planner notices
except that the map becomes interactive. It takes no input.
"""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import shiboken6
from PySide6 import QtCore, QtGui, QtWidgets

from districtplanner.analysis.sectors import CREATIVE_SECTORS, SECTOR_COLOURS
from districtplanner.io.first_frame import FirstFrame, FrameLayer
from districtplanner.model.styles import LayerStyle, default_style

BACKGROUND = "#F5F4EF"  # warm near-white: reads on a projector, does not glare
#: As the full map: fit the data with this share of its size as a margin on each side.
PADDING = 0.03
#: Above this many dots the full map draws squares instead of round dots (point_item).
ROUND_LIMIT = 5_000
#: Fill opacity of polygon classes (polygon_item.PathLayerItem's default).
FILL_ALPHA = 0.35
SECTOR_CLASS_COLOURS = [SECTOR_COLOURS[s] for s in CREATIVE_SECTORS] + [
    SECTOR_COLOURS["non_creative"]
]


def file_lut(name: str, n: int = 256) -> np.ndarray:
    """``n`` x 3 uint8 colours of pyqtgraph's built-in colour map ``name``, read from its
    data file without importing pyqtgraph (its import alone costs ~0.3 s). A test keeps
    this equal to point_item.colormap_lut."""
    spec = importlib.util.find_spec("pyqtgraph")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("pyqtgraph is not installed")
    path = Path(spec.origin).parent / "colors" / "maps" / f"{name}.csv"
    stops = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        comp = line.split(";", 1)[0].split(",")
        if len(comp) >= 3:
            stops.append([int(255 * float(c) + 0.5) for c in comp[:3]])
    colours = np.asarray(stops, dtype=np.float64)
    pos = np.linspace(0.0, 1.0, len(colours))
    x = np.linspace(0.0, 1.0, n)
    lut = np.stack([np.interp(x, pos, colours[:, k]) for k in range(3)], axis=1)
    return lut.astype(np.uint8)


def raster_rgba(values: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """(rows, cols, 4) uint8 colours of ``values`` between their 2nd and 98th percentiles
    (raster_item.raster_levels), NaN transparent: what the full map shows."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    lo, hi = (np.percentile(values[finite], [2, 98]) if finite.any() else (0.0, 1.0))
    if hi <= lo:
        hi = lo + 1.0
    t = np.clip((np.where(finite, values, lo) - lo) / (hi - lo), 0.0, 1.0)
    rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
    rgba[..., :3] = lut[(t * (len(lut) - 1)).astype(np.int64)]
    rgba[..., 3] = np.where(finite, 255, 0)
    return rgba


def rings_path(xy: np.ndarray, starts: np.ndarray, closed: bool) -> QtGui.QPainterPath:
    """One path through every ring (or line part) ``xy[starts[k]:starts[k + 1]]``."""
    path = QtGui.QPainterPath()
    for a, b in itertools.pairwise(starts.tolist()):
        if b - a < 2:
            continue
        poly = _polygonf(xy[a:b])
        path.addPolygon(poly)
        if closed:
            path.closeSubpath()
    return path


def _polygonf(xy: np.ndarray) -> QtGui.QPolygonF:
    """A QPolygonF holding ``xy`` (n, 2), filled through a numpy view of its memory."""
    poly = QtGui.QPolygonF()
    poly.resize(len(xy))
    if len(xy):
        ptr = shiboken6.VoidPtr(poly.data(), len(xy) * 16, True)
        np.frombuffer(ptr, dtype=np.float64).reshape(-1, 2)[:] = xy
    return poly


def _pen(colour: str, width: float, cap: QtCore.Qt.PenCapStyle = QtCore.Qt.PenCapStyle.SquareCap
         ) -> QtGui.QPen:
    pen = QtGui.QPen(QtGui.QColor(colour), max(float(width), 1.0))
    pen.setCosmetic(True)
    pen.setCapStyle(cap)
    pen.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
    return pen


class FirstFrameMap(QtWidgets.QWidget):
    """The sample city drawn from ``frame``: raster, polygons, lines, points and the example
    districts (``active`` outlined heavier, as the selected one is on the full map)."""

    def __init__(self, frame: FirstFrame, active: int = 0,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame = frame
        self.active = active
        self.paint_count = 0
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(QtGui.QPalette.ColorRole.Window, QtGui.QColor(BACKGROUND))
        self.setPalette(pal)
        self.setToolTip("Loading the city… the map becomes interactive in a moment.")
        self._drawn = [self._prepare(la) for la in frame.layers]
        self._districts = [(d, rings_path(d.xy, d.starts, closed=True))
                           for d in frame.districts]

    def _style(self, layer: FrameLayer) -> LayerStyle:
        style = default_style(layer.role)
        for key, value in layer.style.items():
            if hasattr(style, key):
                setattr(style, key, value)
        return style

    def _prepare(self, layer: FrameLayer) -> tuple[FrameLayer, LayerStyle, object]:
        style = self._style(layer)
        if layer.kind == "raster":
            assert layer.values is not None
            rgba = np.ascontiguousarray(raster_rgba(layer.values, file_lut(style.colormap)))
            rows, cols = rgba.shape[:2]
            image = QtGui.QImage(rgba.data, cols, rows, cols * 4,
                                 QtGui.QImage.Format.Format_RGBA8888).copy()
            return layer, style, image
        if layer.kind == "point":
            if layer.codes is not None and style.colour_by == "sector":
                codes = np.minimum(layer.codes.astype(np.int64), len(SECTOR_CLASS_COLOURS) - 1)
                groups = [(SECTOR_CLASS_COLOURS[k], _polygonf(layer.xy[codes == k]))
                          for k in np.unique(codes)]
            else:
                groups = [(style.colour, _polygonf(layer.xy))]
            return layer, style, groups
        return layer, style, rings_path(layer.xy, layer.starts, layer.kind == "polygon")

    def view_transform(self) -> QtGui.QTransform:
        """Map metres to widget pixels: the city fitted with the full map's margin, north
        up, the aspect kept."""
        x0, y0, x1, y1 = self.frame.bounds
        dx, dy = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        x0, x1, y0, y1 = x0 - PADDING * dx, x1 + PADDING * dx, y0 - PADDING * dy, y1 + PADDING * dy
        w, h = max(self.width(), 1), max(self.height(), 1)
        scale = min(w / (x1 - x0), h / (y1 - y0))
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        return QtGui.QTransform(scale, 0, 0, -scale, w / 2 - scale * cx, h / 2 + scale * cy)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        self.paint_count += 1
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        view = self.view_transform()
        for layer, style, drawn in self._drawn:
            painter.setOpacity(style.opacity)
            painter.setTransform(view)
            if layer.kind == "raster":
                a, b, c, d, e, f = layer.transform
                painter.setTransform(QtGui.QTransform(a, d, b, e, c, f) * view)
                painter.drawImage(QtCore.QPointF(0, 0), drawn)
            elif layer.kind == "point":
                self._paint_points(painter, style, drawn)
            else:
                painter.setPen(_pen(style.colour, style.size))
                if layer.kind == "polygon" and style.fill:
                    fill = QtGui.QColor(style.fill)
                    fill.setAlphaF(FILL_ALPHA)
                    painter.setBrush(fill)
                else:
                    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                painter.drawPath(drawn)
        painter.setOpacity(1.0)
        painter.setTransform(view)
        for i, (d, path) in enumerate(self._districts):
            active = i == self.active
            painter.setPen(_pen(d.colour, 3.5 if active else 2.0))
            fill = QtGui.QColor(d.colour)
            fill.setAlphaF(0.22 if active else 0.10)
            painter.setBrush(fill)
            painter.drawPath(path)
        painter.resetTransform()
        font = QtGui.QFont()
        font.setPointSizeF(10.5)
        font.setBold(True)
        halo = QtGui.QPen(QtGui.QColor(255, 255, 255, 235), 3.5)
        halo.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
        for d, _path in self._districts:
            text = QtGui.QPainterPath()
            text.addText(0, 0, font, d.name)
            at = view.map(QtCore.QPointF(*d.label)) - text.boundingRect().center()
            text.translate(at)
            painter.strokePath(text, halo)
            painter.fillPath(text, QtGui.QColor(d.colour).darker(140))
        painter.end()

    @staticmethod
    def _paint_points(painter: QtGui.QPainter, style: LayerStyle,
                      groups: list[tuple[str, QtGui.QPolygonF]]) -> None:
        n = sum(len(poly) for _c, poly in groups)
        round_dots = n <= ROUND_LIMIT
        cap = QtCore.Qt.PenCapStyle.RoundCap if round_dots else QtCore.Qt.PenCapStyle.SquareCap
        inner = (_pen(style.fill, style.size - 3.0, QtCore.Qt.PenCapStyle.RoundCap)
                 if round_dots and style.fill and style.size > 4 else None)
        for colour, poly in groups:
            painter.setPen(_pen(colour, style.size, cap))
            painter.drawPoints(poly)
            if inner is not None:
                painter.setPen(inner)
                painter.drawPoints(poly)
