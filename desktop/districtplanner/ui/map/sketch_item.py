"""The room's sketches on the map: freehand strokes and text notes in a few colours.

``SketchLayer`` draws the document's sketches (one item for all strokes, one text item per
note; a workshop makes tens of them, never thousands) and follows ``sketches_changed``.
``SketchPen`` turns mouse gestures on the canvas into new ``Sketch`` objects and hands
them to a callback, which pushes them on the command stack; it never edits the document.
It filters the canvas's viewport events instead of being a map tool, so it works over
whatever tool is active and leaves the drawing tools untouched when it is switched off.
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from shapely.geometry import LineString, Point

from districtplanner.model.document import Document
from districtplanner.model.sketch import Sketch
from districtplanner.ui import theme

#: Sketch colours: dark enough for a lit room, told apart by colour-blind viewers
#: (Okabe-Ito black, blue, vermilion, bluish green).
SKETCH_COLOURS: dict[str, str] = {
    "black": "#1E1E1E",
    "blue": "#0072B2",
    "red": "#D55E00",
    "green": "#009E73",
}
Z_SKETCH = 40_000  # above districts and tools: the room's ideas are on top
MIN_STROKE_PX = 6  # a press that moves less than this is a click, not a stroke


def _line_path(coords: list[tuple[float, float]]) -> QtGui.QPainterPath:
    path = QtGui.QPainterPath()
    if coords:
        path.moveTo(*coords[0])
        for x, y in coords[1:]:
            path.lineTo(x, y)
    return path


class SketchLayer(pg.GraphicsObject):
    """Every sketch of ``document`` on ``canvas``; pen widths and note text in pixels."""

    def __init__(self, canvas: object, document: Document, pen_px: float = 5.0,
                 note_px: float = 18.0) -> None:
        super().__init__()
        self.canvas = canvas
        self.document = document
        self.pen_px = pen_px
        self.note_px = note_px
        self._strokes: list[tuple[QtGui.QPainterPath, QtGui.QColor]] = []
        self._notes: dict[str, pg.TextItem] = {}
        self._preview: tuple[QtGui.QPainterPath, QtGui.QColor] | None = None
        self._rect = QtCore.QRectF()
        self.setZValue(Z_SKETCH)
        canvas.vb.addItem(self, ignoreBounds=True)  # type: ignore[attr-defined]
        document.sketches_changed.connect(self.refresh)
        self.refresh()

    def detach(self) -> None:
        self.document.sketches_changed.disconnect(self.refresh)

    def set_sizes(self, pen_px: float, note_px: float) -> None:
        """Thicker strokes and larger notes for a bigger room view (pixels)."""
        self.pen_px, self.note_px = pen_px, note_px
        for item in self._notes.values():
            item.setFont(theme.px_font(note_px, QtGui.QFont.Weight.DemiBold))
        self.update()

    @property
    def note_items(self) -> dict[str, pg.TextItem]:
        return dict(self._notes)

    def refresh(self) -> None:
        self.prepareGeometryChange()
        self._strokes = []
        rect = QtCore.QRectF()
        seen: set[str] = set()
        vb = self.canvas.vb  # type: ignore[attr-defined]
        for s in self.document.sketches:
            if s.kind == "stroke":
                path = _line_path([(float(x), float(y)) for x, y in s.geometry.coords])
                self._strokes.append((path, QtGui.QColor(s.colour)))
                rect = rect.united(path.boundingRect())
            else:
                seen.add(s.id)
                item = self._notes.get(s.id)
                if item is None:
                    item = pg.TextItem(anchor=(0.0, 1.0), border=pg.mkPen(s.colour, width=2),
                                       fill=pg.mkBrush(255, 255, 255, 235))
                    item.setZValue(Z_SKETCH + 1)
                    vb.addItem(item, ignoreBounds=True)
                    self._notes[s.id] = item
                item.setText(s.text, color=s.colour)
                item.setFont(theme.px_font(self.note_px, QtGui.QFont.Weight.DemiBold))
                item.setPos(float(s.geometry.x), float(s.geometry.y))
        for gone in set(self._notes) - seen:
            vb.removeItem(self._notes.pop(gone))
        self._rect = rect
        self.update()

    def set_preview(self, coords: list[tuple[float, float]] | None, colour: str = "") -> None:
        """The stroke being drawn, before it becomes a sketch."""
        self.prepareGeometryChange()
        self._preview = None if not coords else (_line_path(coords), QtGui.QColor(colour))
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        rect = QtCore.QRectF(self._rect)
        if self._preview is not None:
            rect = rect.united(self._preview[0].boundingRect())
        if rect.isNull():
            return rect
        # Room for the pen's width: a few pixels, in map units.
        pad = self.pen_px * max(self.pixelWidth() or 0.0, self.pixelHeight() or 0.0)
        return rect.adjusted(-pad, -pad, pad, pad)

    def paint(self, painter: QtGui.QPainter, *_args: object) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        items = list(self._strokes)
        if self._preview is not None:
            items.append(self._preview)
        for path, colour in items:
            pen = QtGui.QPen(colour, self.pen_px)
            pen.setCosmetic(True)
            pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            painter.drawPath(path)


class SketchPen(QtCore.QObject):
    """Freehand strokes ("stroke" mode) or notes ("note" mode) from the mouse on a canvas.

    ``on_sketch`` receives each finished Sketch; ``ask_text`` is asked for a note's words
    (None or '' cancels the note).
    """

    def __init__(self, canvas: QtWidgets.QGraphicsView, layer: SketchLayer,
                 on_sketch: Callable[[Sketch], None],
                 ask_text: Callable[[], str | None]) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.layer = layer
        self.on_sketch = on_sketch
        self.ask_text = ask_text
        self.mode = ""  # "", "stroke" or "note"
        self.colour = SKETCH_COLOURS["black"]
        self._points: list[tuple[float, float]] = []
        self._press: QtCore.QPointF | None = None
        canvas.viewport().installEventFilter(self)

    def set_mode(self, mode: str) -> None:
        if mode not in ("", "stroke", "note"):
            raise ValueError(f"unknown sketch mode {mode!r}")
        self.mode = mode
        self._points = []
        self.layer.set_preview(None)
        shape = (QtCore.Qt.CursorShape.CrossCursor if mode == "stroke"
                 else QtCore.Qt.CursorShape.IBeamCursor if mode == "note"
                 else QtCore.Qt.CursorShape.ArrowCursor)
        self.canvas.viewport().setCursor(shape)

    def set_colour(self, colour: str) -> None:
        self.colour = SKETCH_COLOURS.get(colour, colour)

    def _map(self, pos: QtCore.QPointF) -> tuple[float, float]:
        p = self.canvas.map_point(pos)  # type: ignore[attr-defined]
        return float(p.x()), float(p.y())

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        # Qt may deliver a last event while the window is torn down at exit, after Python
        # has begun clearing this object's attributes.
        if not getattr(self, "mode", None):
            return False
        kind = event.type()
        if kind == QtCore.QEvent.Type.MouseButtonPress:
            if event.button() != QtCore.Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
                return False
            self._press = event.position()  # type: ignore[attr-defined]
            self._points = [self._map(self._press)]
            return True
        if kind == QtCore.QEvent.Type.MouseMove and self._press is not None:
            if self.mode == "stroke":
                self._points.append(self._map(event.position()))  # type: ignore[attr-defined]
                self.layer.set_preview(self._points, self.colour)
            return True
        if kind == QtCore.QEvent.Type.MouseButtonRelease and self._press is not None:
            pos = event.position()  # type: ignore[attr-defined]
            moved = (pos - self._press).manhattanLength()
            self._press = None
            points, self._points = self._points, []
            self.layer.set_preview(None)
            if self.mode == "stroke" and moved >= MIN_STROKE_PX and len(points) >= 2:
                points.append(self._map(pos))
                self.on_sketch(Sketch("stroke", LineString(points), self.colour))
            elif self.mode == "note":
                text = (self.ask_text() or "").strip()
                if text:
                    self.on_sketch(Sketch("note", Point(points[0]), self.colour, text))
            return True
        return False
