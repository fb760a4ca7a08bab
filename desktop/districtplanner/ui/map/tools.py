"""Map tools: how mouse and keys on the canvas become drawn or edited district shapes.

Tools never change the document. A finished drawing is announced with
``canvas.district_drawn(geometry)``; an edit with ``canvas.district_edited(id, geometry,
finished)`` (finished False while dragging, True on release); the main window turns those
into undoable commands. While a shape is being drawn or dragged the tool shows it in an
overlay item (``canvas.tool_item`` or the district's own item), so only overlays repaint.

Handlers get the Qt event and the map point in metres and return True when they consumed
the event; otherwise the canvas pans, zooms and selects as usual. ``press``/``move``/
``release`` serve drag gestures; ``click`` a press and release without movement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely
from PySide6 import QtCore, QtGui
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from districtplanner.analysis.roles import LayerRole
from districtplanner.ui.map import edit_geometry as eg

if TYPE_CHECKING:
    from districtplanner.ui.map.canvas import MapCanvas

Qt = QtCore.Qt
SNAP_PX = 8.0  # a press this near (pixels) a vertex grabs it, or closes a polygon
EDGE_PX = 6.0  # a press this near an edge inserts a vertex there
MIN_DRAG_PX = 3.0  # smaller rectangles and lassos are treated as slips of the hand


class Tool:
    """The default tool: pan by drag, zoom by wheel, click to select."""

    name = "pan"
    label = "Pan and select"
    shortcut = "H"
    hint = "Drag to pan, wheel to zoom, click a district or neighbourhood to select it."
    cursor = Qt.CursorShape.ArrowCursor

    def __init__(self, canvas: MapCanvas) -> None:
        self.canvas = canvas

    def px(self) -> float:
        """Metres per screen pixel now."""
        return self.canvas.metres_per_pixel()

    def activate(self) -> None:
        self.canvas.viewport().setCursor(self.cursor)

    def deactivate(self) -> None:
        self.canvas.tool_item.set_geometry(None)
        self.canvas.viewport().unsetCursor()

    def press(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        return False

    def move(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        return False

    def release(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        return False

    def click(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        return False

    def double_click(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        return False

    def key(self, ev: QtGui.QKeyEvent) -> bool:
        return False

    def emit_drawn(self, geom: BaseGeometry) -> None:
        self.canvas.tool_item.set_geometry(None)
        self.canvas.district_drawn.emit(geom)


class PolygonTool(Tool):
    """Click the corners; double-click, Enter or a click on the first corner closes it."""

    name = "polygon"
    label = "Draw polygon"
    shortcut = "P"
    hint = ("Click each corner; double-click, press Enter or click the first corner to "
            "finish. Backspace removes the last corner, Esc cancels.")
    cursor = Qt.CursorShape.CrossCursor

    def __init__(self, canvas: MapCanvas) -> None:
        super().__init__(canvas)
        self.points: list[tuple[float, float]] = []

    def activate(self) -> None:
        super().activate()
        self.canvas.tool_item.handle_px = 7.0

    def _preview(self, cursor: QtCore.QPointF | None = None) -> None:
        pts = list(self.points)
        if cursor is not None:
            pts.append((cursor.x(), cursor.y()))
        if len(pts) >= 3:
            geom: BaseGeometry | None = Polygon(pts)
        elif len(pts) == 2:
            geom = LineString(pts)
        elif pts:
            geom = Point(pts[0])
        else:
            geom = None
        self.canvas.tool_item.set_geometry(geom)

    def click(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        if ev.button() == Qt.MouseButton.RightButton:
            return self.finish() or True
        if ev.button() != Qt.MouseButton.LeftButton:
            return False
        p = self.canvas.snap(pt.x(), pt.y())
        if len(self.points) >= 3:
            x0, y0 = self.points[0]
            if np.hypot(p[0] - x0, p[1] - y0) <= SNAP_PX * self.px():
                return self.finish() or True
        if not self.points or self.points[-1] != p:
            self.points.append(p)
        self._preview()
        return True

    def move(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        if self.points and not ev.buttons():
            self._preview(pt)
        return False

    def double_click(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        self.finish()
        return True

    def finish(self) -> bool:
        """Emit the polygon if it has three distinct corners; True when emitted."""
        pts = list(dict.fromkeys(self.points))
        self.points = []
        self.canvas.tool_item.set_geometry(None)
        if len(pts) < 3:
            self.canvas.status_hint.emit("A polygon needs at least three corners.")
            return False
        self.emit_drawn(Polygon(pts))
        return True

    def key(self, ev: QtGui.QKeyEvent) -> bool:
        k = ev.key()
        if k in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finish()
            return True
        if k == Qt.Key.Key_Escape and self.points:
            self.points = []
            self._preview()
            return True
        if k == Qt.Key.Key_Backspace and self.points:
            self.points.pop()
            self._preview()
            return True
        return False

    def deactivate(self) -> None:
        self.points = []
        self.canvas.tool_item.handle_px = 0.0
        super().deactivate()


class _DragTool(Tool):
    """A tool whose shape follows one left-button drag."""

    def __init__(self, canvas: MapCanvas) -> None:
        super().__init__(canvas)
        self.start: QtCore.QPointF | None = None

    def press(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        if ev.button() != Qt.MouseButton.LeftButton:
            return False
        self.start = QtCore.QPointF(pt)
        self.begin(pt)
        return True

    def move(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        if self.start is None:
            return False
        self.canvas.tool_item.set_geometry(self.shape(pt))
        return True

    def release(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        if self.start is None:
            return False
        geom = self.shape(pt, final=True)
        self.start = None
        self.canvas.tool_item.set_geometry(None)
        if geom is not None and not geom.is_empty and geom.area > 0:
            self.emit_drawn(geom)
        return True

    def begin(self, pt: QtCore.QPointF) -> None:
        pass

    def shape(self, pt: QtCore.QPointF, final: bool = False) -> BaseGeometry | None:
        raise NotImplementedError

    def key(self, ev: QtGui.QKeyEvent) -> bool:
        if ev.key() == Qt.Key.Key_Escape and self.start is not None:
            self.start = None
            self.canvas.tool_item.set_geometry(None)
            return True
        return False


class RectangleTool(_DragTool):
    name = "rectangle"
    label = "Draw rectangle"
    shortcut = "R"
    hint = "Drag from one corner to the opposite corner."
    cursor = Qt.CursorShape.CrossCursor

    def shape(self, pt: QtCore.QPointF, final: bool = False) -> BaseGeometry | None:
        a = self.start
        if a is None:
            return None
        if final and min(abs(pt.x() - a.x()), abs(pt.y() - a.y())) < MIN_DRAG_PX * self.px():
            return None
        return shapely.box(min(a.x(), pt.x()), min(a.y(), pt.y()),
                           max(a.x(), pt.x()), max(a.y(), pt.y()))


class LassoTool(_DragTool):
    name = "lasso"
    label = "Draw freehand"
    shortcut = "L"
    hint = "Hold the button and draw around the area; release to close the shape."
    cursor = Qt.CursorShape.CrossCursor

    def begin(self, pt: QtCore.QPointF) -> None:
        self.trace = [(pt.x(), pt.y())]

    def shape(self, pt: QtCore.QPointF, final: bool = False) -> BaseGeometry | None:
        last = self.trace[-1]
        if np.hypot(pt.x() - last[0], pt.y() - last[1]) >= 2 * self.px():
            self.trace.append((pt.x(), pt.y()))
        if len(self.trace) < 3:
            return LineString(self.trace) if len(self.trace) == 2 and not final else None
        if not final:
            return LineString(self.trace)
        # Drop the jitter of the hand (under a pixel) but keep the drawn outline.
        poly = Polygon(self.trace).simplify(self.px(), preserve_topology=False)
        return poly if isinstance(poly, Polygon) and not poly.is_empty else Polygon(self.trace)


class CircleTool(Tool):
    """A circle of ``canvas.circle_radius_m`` metres around the click, centred on a transit
    stop when one is within a few pixels (e.g. 800 m around a station)."""

    name = "circle"
    label = "Draw circle"
    shortcut = "C"
    cursor = Qt.CursorShape.CrossCursor

    hint = ("Click a centre for a circle of the set radius (it snaps to a transit stop "
            "within a few pixels).")

    def centre(self, pt: QtCore.QPointF) -> tuple[float, float]:
        hit = self.canvas.feature_at(pt.x(), pt.y(), roles=(LayerRole.TRANSIT_STOPS,))
        if hit is not None:
            layer = self.canvas.document.layer(hit[0])
            g = layer.data.geometry.iloc[hit[1]]
            return float(g.x), float(g.y)
        return pt.x(), pt.y()

    def circle(self, pt: QtCore.QPointF) -> BaseGeometry:
        x, y = self.centre(pt)
        return Point(x, y).buffer(self.canvas.circle_radius_m, quad_segs=32)

    def move(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        if not ev.buttons():
            self.canvas.tool_item.set_geometry(self.circle(pt))
        return False

    def click(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        if ev.button() != Qt.MouseButton.LeftButton:
            return False
        self.emit_drawn(self.circle(pt))
        return True


class NeighbourhoodTool(Tool):
    """Click neighbourhoods to add or remove them; double-click or Enter unions them."""

    name = "neighbourhoods"
    label = "Build from neighbourhoods"
    shortcut = "N"
    hint = ("Click neighbourhoods to add or remove them; double-click or press Enter to "
            "make the district, Esc to start again.")
    cursor = Qt.CursorShape.PointingHandCursor

    def __init__(self, canvas: MapCanvas) -> None:
        super().__init__(canvas)
        self.rows: list[int] = []

    def _geoms(self) -> list[BaseGeometry]:
        layer = self.canvas.neighbourhood_layer()
        if layer is None:
            return []
        return [layer.data.geometry.iloc[r] for r in self.rows]

    def union(self) -> BaseGeometry | None:
        geoms = self._geoms()
        return shapely.union_all(geoms) if geoms else None

    def click(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        if ev.button() != Qt.MouseButton.LeftButton:
            return False
        hit = self.canvas.feature_at(pt.x(), pt.y(), roles=(LayerRole.NEIGHBOURHOODS,))
        if hit is None:
            return True
        row = hit[1]
        if row in self.rows:
            self.rows.remove(row)
        else:
            self.rows.append(row)
        self.canvas.tool_item.set_geometry(self.union())
        return True

    def double_click(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        self.finish()
        return True

    def finish(self) -> None:
        geom = self.union()
        self.rows = []
        self.canvas.tool_item.set_geometry(None)
        if geom is not None and geom.area > 0:
            self.emit_drawn(geom)

    def key(self, ev: QtGui.QKeyEvent) -> bool:
        if ev.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finish()
            return True
        if ev.key() == Qt.Key.Key_Escape and self.rows:
            self.rows = []
            self.canvas.tool_item.set_geometry(None)
            return True
        return False

    def deactivate(self) -> None:
        self.rows = []
        super().deactivate()


class EditTool(Tool):
    """Reshape the active district: drag a vertex, press on an edge to insert a vertex
    and drag it, right-click a vertex (or hover it and press Delete) to remove it."""

    name = "edit"
    label = "Edit vertices"
    shortcut = "E"
    hint = ("Drag a corner to move it, drag an edge to add a corner, right-click a corner "
            "(or hover it and press Delete) to remove it.")
    cursor = Qt.CursorShape.ArrowCursor

    def __init__(self, canvas: MapCanvas) -> None:
        super().__init__(canvas)
        self.dragging: tuple[str, int, int] | None = None
        self.base: BaseGeometry | None = None
        self.current: BaseGeometry | None = None
        self.changed = False  # a vertex was inserted or moved in this gesture
        self.hover_pt: QtCore.QPointF | None = None

    def district_id(self) -> str | None:
        did = self.canvas.document.selection.active_district
        ids = {d.id for d in self.canvas.document.districts}
        return did if did in ids else None

    def geometry(self) -> BaseGeometry | None:
        did = self.district_id()
        return self.canvas.document.district(did).geometry if did else None

    def activate(self) -> None:
        super().activate()
        self.canvas.show_vertex_handles(True)


    def press(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        geom, did = self.geometry(), self.district_id()
        if ev.button() != Qt.MouseButton.LeftButton or geom is None or did is None:
            return False
        tol = self.px()
        ring, idx, d = eg.nearest_vertex(geom, pt.x(), pt.y())
        if d > SNAP_PX * tol:
            ring, pos, _foot, de = eg.nearest_edge(geom, pt.x(), pt.y())
            if de > EDGE_PX * tol:
                return False
            geom = eg.insert_vertex(geom, ring, pos, pt.x(), pt.y())
            idx = pos
            self.changed = True
        else:
            self.changed = False
        self.dragging = (did, ring, idx)
        self.base = geom
        self.current = geom
        self.canvas.preview_district(did, geom)
        return True

    def move(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        self.hover_pt = QtCore.QPointF(pt)
        if self.dragging is None or self.base is None:
            return False
        did, ring, idx = self.dragging
        self.current = eg.move_vertex(self.base, ring, idx, *self.canvas.snap(pt.x(), pt.y()))
        self.changed = True
        self.canvas.preview_district(did, self.current)
        self.canvas.district_edited.emit(did, self.current, False)
        return True

    def release(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        if self.dragging is None or self.base is None:
            return False
        did, ring, idx = self.dragging
        geom = eg.move_vertex(self.base, ring, idx, *self.canvas.snap(pt.x(), pt.y()))
        changed = self.changed
        self.dragging, self.base, self.current, self.changed = None, None, None, False
        if changed:
            self.canvas.district_edited.emit(did, geom, True)
        self.canvas.preview_district(did, None)
        return True

    def deactivate(self) -> None:
        # Switching tools mid-drag still finishes the edit: the window's undo gesture for
        # it must end, or undo would stay unavailable.
        if self.dragging is not None and self.changed and self.current is not None:
            did = self.dragging[0]
            self.canvas.district_edited.emit(did, self.current, True)
            self.canvas.preview_district(did, None)
        self.dragging, self.base, self.current, self.changed = None, None, None, False
        self.canvas.show_vertex_handles(False)
        super().deactivate()

    def _delete_near(self, pt: QtCore.QPointF) -> bool:
        geom, did = self.geometry(), self.district_id()
        if geom is None or did is None:
            return False
        ring, idx, d = eg.nearest_vertex(geom, pt.x(), pt.y())
        if d > SNAP_PX * self.px():
            return False
        new = eg.delete_vertex(geom, ring, idx)
        if new is None:
            self.canvas.status_hint.emit("A ring needs at least three corners; this one "
                                         "cannot lose another.")
            return True
        self.canvas.district_edited.emit(did, new, True)
        return True

    def click(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        if ev.button() == Qt.MouseButton.RightButton:
            return self._delete_near(pt)
        return False

    def key(self, ev: QtGui.QKeyEvent) -> bool:
        if ev.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.hover_pt is not None:
            return self._delete_near(self.hover_pt)
        return False


class MoveTool(Tool):
    """Drag a district to move it whole."""

    name = "move"
    label = "Move district"
    shortcut = "M"
    hint = "Drag a district to move it."
    cursor = Qt.CursorShape.SizeAllCursor

    def __init__(self, canvas: MapCanvas) -> None:
        super().__init__(canvas)
        self.dragging: str | None = None
        self.origin = QtCore.QPointF()
        self.base: BaseGeometry | None = None
        self.last: BaseGeometry | None = None  # the last shape announced mid-drag

    def press(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        if ev.button() != Qt.MouseButton.LeftButton:
            return False
        did = self.canvas.district_at(pt.x(), pt.y())
        if did is None:
            return False
        self.canvas.document.selection.set_active_district(did)
        self.dragging = did
        self.origin = QtCore.QPointF(pt)
        self.base = self.canvas.document.district(did).geometry
        return True

    def _moved(self, pt: QtCore.QPointF) -> BaseGeometry:
        """The dragged district's shape shifted by the drag so far."""
        assert self.base is not None
        return eg.translate(self.base, pt.x() - self.origin.x(), pt.y() - self.origin.y())

    def move(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        if self.dragging is None:
            return False
        geom = self._moved(pt)
        self.last = geom
        self.canvas.preview_district(self.dragging, geom)
        self.canvas.district_edited.emit(self.dragging, geom, False)
        return True

    def release(self, ev: QtGui.QMouseEvent, pt: QtCore.QPointF) -> bool:
        if self.dragging is None:
            return False
        did, geom = self.dragging, self._moved(pt)
        announced = self.last is not None
        self.dragging, self.base, self.last = None, None, None
        # Also when dragged away and back to the start: the moves were announced, so the
        # edit (one undo gesture) must be finished.
        if announced or (pt - self.origin).manhattanLength() > 0:
            self.canvas.district_edited.emit(did, geom, True)
        self.canvas.preview_district(did, None)
        return True

    def deactivate(self) -> None:
        if self.dragging is not None and self.last is not None:
            self.canvas.district_edited.emit(self.dragging, self.last, True)
            self.canvas.preview_district(self.dragging, None)
        self.dragging, self.base, self.last = None, None, None
        super().deactivate()


TOOLS: dict[str, type[Tool]] = {
    t.name: t for t in (Tool, PolygonTool, RectangleTool, CircleTool, LassoTool,
                        NeighbourhoodTool, EditTool, MoveTool)
}
TOOL_NAMES = tuple(TOOLS)


def make_tool(name: str, canvas: MapCanvas) -> Tool:
    """A new tool ``name`` bound to ``canvas``; ValueError lists the known names."""
    try:
        cls = TOOLS[name]
    except KeyError:
        raise ValueError(f"Unknown map tool '{name}'; known: {', '.join(TOOLS)}") from None
    return cls(canvas)
