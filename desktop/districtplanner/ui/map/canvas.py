"""The map: one pyqtgraph ViewBox (aspect locked, pan by drag, wheel zoom, no axes) holding
one item per layer in document order, the districts and highlight overlays above them, and
a scale bar drawn in screen pixels.

The canvas reads the document and its selection and redraws when they announce a change.
It writes only to the selection (hovered/clicked neighbourhood, clicked district); drawing
and editing tools emit signals (``district_drawn``, ``district_edited``) that the main
window turns into undoable commands. Base layer items use Qt's device-coordinate cache, so
a moving overlay (a dragged vertex) repaints only itself.
"""

from __future__ import annotations

import contextlib

import geopandas as gpd
import numpy as np
import pyqtgraph as pg
import shapely
import shiboken6
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal
from shapely.geometry.base import BaseGeometry

from districtplanner.analysis.roles import LayerRole
from districtplanner.model.document import Document
from districtplanner.model.layer import Layer
from districtplanner.model.selection import SelectionState
from districtplanner.ui.map.overlay import Z_HIGHLIGHT, Z_TOOL, DistrictItem, ShapeItem
from districtplanner.ui.map.point_item import DENSITY_THRESHOLD, PointLayerItem
from districtplanner.ui.map.polygon_item import PathLayerItem
from districtplanner.ui.map.raster_item import RasterLayerItem, range_rgba
from districtplanner.ui.map.scale_bar import paint_scale_bar
from districtplanner.ui.map.styling import (
    SECTOR_CLASS_COLOURS,
    layer_classes,
    layer_sector_codes,
    point_xy,
)

BACKGROUND = "#F5F4EF"  # warm near-white: reads on a projector, does not glare
HIGHLIGHT_COLOUR = "#D55E00"
DIM_OPACITY = 0.3  # base layer opacity while a highlight is shown over it
CLICK_SLOP_PX = 4  # a press and release closer than this is a click, not a drag
PICK_PX = 6  # how near (pixels) a click must be to a point or line to pick it
SNAP_PX = 8  # how near (pixels) a corner or edge must be to snap to it

Rect = tuple[float, float, float, float]
LayerItem = PointLayerItem | PathLayerItem | RasterLayerItem


def _style_key(layer: Layer) -> tuple:
    s = layer.style
    return (id(layer.data), layer.role, tuple(sorted(layer.mapping.items())), s.colour, s.fill,
            s.size, s.opacity, s.colour_by, s.colormap)


def make_layer_item(layer: Layer, density_threshold: int = DENSITY_THRESHOLD) -> LayerItem:
    """The item that draws ``layer``: a raster image, one point item, or one path item."""
    style = layer.style
    kind = layer.geometry_kind
    if kind == "raster":
        return RasterLayerItem(layer.data, style.colormap, style.opacity)
    assert isinstance(layer.data, gpd.GeoDataFrame)
    classes = layer_classes(layer)
    if kind == "point":
        x, y = point_xy(layer.data)
        item: LayerItem = PointLayerItem(
            x, y, classes.codes if classes else None,
            classes.colours if classes else None, colour=style.colour, size=style.size,
            colormap=style.colormap, fill=style.fill, threshold=density_threshold)
        # Kept for highlights, so a click on a sector bar does not re-read a million rows.
        item.xy = (x, y)
        item.sector_codes = (classes.codes if classes is not None and classes.kind == "sector"
                             else layer_sector_codes(layer))
    else:
        geoms = layer.data.geometry.to_numpy()
        fills: list[tuple[str, np.ndarray]] = []
        if kind in ("polygon", "mixed"):
            if classes is not None:
                fills = [(c, np.flatnonzero(classes.codes == k))
                         for k, c in enumerate(classes.colours)]
                fills = [(c, rows) for c, rows in fills if len(rows)]
            elif style.fill:
                fills = [(style.fill, np.arange(len(geoms)))]
        item = PathLayerItem(geoms, style.colour, style.size, fills)
    item.setOpacity(style.opacity)
    return item


class MapViewBox(pg.ViewBox):
    """A ViewBox without its right-click menu and with y pointing north."""

    def __init__(self) -> None:
        super().__init__(lockAspect=True, enableMenu=False, invertY=False)
        self.setMouseMode(pg.ViewBox.PanMode)


class MapCanvas(pg.GraphicsView):
    """The map of ``document``. Signals carry map coordinates in the project CRS (metres)."""

    cursor_moved = Signal(float, float)
    feature_clicked = Signal(str, int)  # layer id, positional row
    feature_hovered = Signal(str, int)  # layer id, row; row -1 when the cursor left it
    district_clicked = Signal(str)  # district id
    district_drawn = Signal(object)  # a shapely polygon from a drawing tool
    district_edited = Signal(str, object, bool)  # id, geometry, finished (False mid-drag)
    tool_changed = Signal(str)
    status_hint = Signal(str)

    def __init__(self, document: Document, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, background=BACKGROUND)
        # One cached pixmap per base layer, each up to the viewport's size.
        QtGui.QPixmapCache.setCacheLimit(max(QtGui.QPixmapCache.cacheLimit(), 256 * 1024))
        self.setRenderHints(self.renderHints() | QtGui.QPainter.RenderHint.Antialiasing)
        self.document = document
        self.density_threshold = DENSITY_THRESHOLD
        self.vb = MapViewBox()
        self.setCentralItem(self.vb)
        self.vb.disableAutoRange()
        self._items: dict[str, LayerItem] = {}
        self._keys: dict[str, tuple] = {}
        self._district_items: dict[str, DistrictItem] = {}
        self._highlight_items: list[QtWidgets.QGraphicsItem] = []
        self._dimmed: list[str] = []
        self._last_highlight: tuple | None = None
        self._zoomed_once = False
        self.hover_item = ShapeItem("#222222", 1.5, fill="#000000", fill_alpha=0.05, dash=True)
        self.picked_item = ShapeItem("#000000", 3.0, fill="#000000", fill_alpha=0.08)
        for it in (self.hover_item, self.picked_item):
            it.setZValue(Z_HIGHLIGHT + 50)
            self.vb.addItem(it, ignoreBounds=True)
        #: The shape a drawing tool is making (rubber band), above everything.
        self.tool_item = ShapeItem(HIGHLIGHT_COLOUR, 2.0, fill=HIGHLIGHT_COLOUR,
                                   fill_alpha=0.12, dash=True)
        self.tool_item.setZValue(Z_TOOL)
        self.vb.addItem(self.tool_item, ignoreBounds=True)
        #: Radius of the circle tool, metres (e.g. 800 m around a station).
        self.circle_radius_m = 800.0
        #: Drawing and editing tools snap to neighbourhood corners and edges when True.
        self.snap_to_neighbourhoods = False
        self._handles = False
        self._press_pos: QtCore.QPointF | None = None
        self._tool_gesture = False
        self.setMouseTracking(True)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)

        from districtplanner.ui.map.tools import make_tool

        self._make_tool = make_tool
        self.tool = make_tool("pan", self)
        document.layers_changed.connect(self._on_layers_changed)
        document.districts_changed.connect(self._on_districts_changed)
        document.selection.changed.connect(self._on_selection_changed)
        self._sync_layers()
        self._sync_districts()
        self._apply_selection(document.selection.state)
        if document.bounds() is not None:
            self.zoom_to_all()

    # ------------------------------------------------------------------ public
    def layer_item(self, layer_id: str) -> LayerItem | None:
        """The item drawing layer ``layer_id`` (None for an unknown id)."""
        return self._items.get(layer_id)

    def district_item(self, district_id: str) -> DistrictItem | None:
        return self._district_items.get(district_id)

    @property
    def highlight_items(self) -> list[QtWidgets.QGraphicsItem]:
        """The overlay items of the current sector / value-range highlight."""
        return list(self._highlight_items)

    def zoom_to(self, bounds: Rect) -> None:
        """Fit (xmin, ymin, xmax, ymax) metres, with a small margin."""
        x0, y0, x1, y1 = (float(v) for v in bounds)
        if not all(np.isfinite([x0, y0, x1, y1])):
            return
        if x1 - x0 <= 0 and y1 - y0 <= 0:
            x0, x1, y0, y1 = x0 - 250, x1 + 250, y0 - 250, y1 + 250
        self.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.03)
        self._zoomed_once = True

    def zoom_to_all(self) -> None:
        """Fit every layer and district of the document."""
        b = self.document.bounds()
        if b is not None:
            self.zoom_to(b)

    def view_bounds(self) -> Rect:
        """(xmin, ymin, xmax, ymax) metres currently shown."""
        r = self.vb.viewRect()
        return (r.left(), r.top(), r.right(), r.bottom())

    def metres_per_pixel(self) -> float:
        return float(self.vb.viewPixelSize()[0])

    def map_point(self, pos: QtCore.QPointF | QtCore.QPoint) -> QtCore.QPointF:
        """Viewport pixel position -> map coordinates (metres)."""
        p = pos.toPoint() if isinstance(pos, QtCore.QPointF) else pos
        return self.vb.mapSceneToView(self.mapToScene(p))

    def screen_point(self, x: float, y: float) -> QtCore.QPoint:
        """Map coordinates (metres) -> viewport pixel position."""
        return self.mapFromScene(self.vb.mapViewToScene(QtCore.QPointF(x, y)))

    def set_tool(self, name: str) -> None:
        """Activate a tool by name (see tools.TOOL_NAMES); 'pan' is the default."""
        if self.tool is not None:
            self.tool.deactivate()
        self.tool = self._make_tool(name, self)
        self.tool.activate()
        self.status_hint.emit(self.tool.hint)
        self.tool_changed.emit(name)

    def show_vertex_handles(self, on: bool) -> None:
        """Draw the vertices of the active district as handles (for the edit tool)."""
        self._handles = on
        active = self.document.selection.active_district
        for did, item in self._district_items.items():
            px = 7.0 if on and did == active else 0.0
            if item.handle_px != px:
                item.handle_px = px
                item.update()

    def preview_district(self, district_id: str, geometry: BaseGeometry | None) -> None:
        """Show ``geometry`` for a district without touching the document (during a drag);
        None restores the stored shape."""
        item = self._district_items.get(district_id)
        if item is None:
            return
        if geometry is None:
            geometry = self.document.district(district_id).geometry
        item.set_geometry(geometry)

    def feature_at(self, x: float, y: float, roles: tuple[LayerRole, ...] | None = None
                   ) -> tuple[str, int] | None:
        """(layer id, row) of the topmost visible feature at map (x, y): points and lines
        within a few pixels, polygons containing the point. Optionally only ``roles``."""
        tol = PICK_PX * self.metres_per_pixel()
        for layer in reversed(self.document.layers):
            if not layer.visible or (roles and layer.role not in roles):
                continue
            item = self._items.get(layer.id)
            if isinstance(item, PointLayerItem):
                row = item.nearest(x, y, tol)
            elif isinstance(item, PathLayerItem):
                row = item.feature_at(x, y, tol if layer.geometry_kind == "line" else 0.0)
            else:
                row = None
            if row is not None:
                return layer.id, row
        return None

    def snap(self, x: float, y: float) -> tuple[float, float]:
        """(x, y) moved onto the nearest neighbourhood corner (or else edge) within a few
        pixels, when snapping is on; unchanged otherwise."""
        layer = self.neighbourhood_layer()
        if not self.snap_to_neighbourhoods or layer is None or not layer.visible:
            return x, y
        item = self._items.get(layer.id)
        if not isinstance(item, PathLayerItem):
            return x, y
        tol = SNAP_PX * self.metres_per_pixel()
        pt = shapely.Point(x, y)
        hits = item.tree.query(pt, predicate="dwithin", distance=tol)
        if not len(hits):
            return x, y
        boundaries = shapely.boundary(item.geoms[hits])
        corners = shapely.get_coordinates(boundaries)
        d = np.hypot(corners[:, 0] - x, corners[:, 1] - y)
        k = int(np.argmin(d))
        if d[k] <= tol:
            return float(corners[k, 0]), float(corners[k, 1])
        on_edge = shapely.line_interpolate_point(
            boundaries, shapely.line_locate_point(boundaries, pt))
        dist = shapely.distance(on_edge, pt)
        k = int(np.argmin(dist))
        return float(shapely.get_x(on_edge[k])), float(shapely.get_y(on_edge[k]))

    def district_at(self, x: float, y: float) -> str | None:
        """Id of the visible district under (x, y), the active one first."""
        pt = shapely.Point(x, y)
        active = self.document.selection.active_district
        hits = [d.id for d in self.document.districts if d.visible and d.geometry.covers(pt)]
        if active in hits:
            return active
        return hits[-1] if hits else None

    def neighbourhood_layer(self) -> Layer | None:
        return self.document.first_layer(LayerRole.NEIGHBOURHOODS)

    def base_paint_count(self) -> int:
        """Paint calls of all base layer items so far (tests check overlays alone repaint)."""
        return sum(getattr(it, "paint_count", 0) for it in self._items.values())

    def detach(self) -> None:
        """Stop listening to the document (before dropping the canvas)."""
        for sig, slot in ((self.document.layers_changed, self._on_layers_changed),
                          (self.document.districts_changed, self._on_districts_changed),
                          (self.document.selection.changed, self._on_selection_changed)):
            with contextlib.suppress(ValueError, RuntimeError):
                sig.disconnect(slot)

    # --------------------------------------------------------------- document
    def _alive(self) -> bool:
        if shiboken6.isValid(self):
            return True
        self.detach()
        return False

    def _on_layers_changed(self) -> None:
        if self._alive():
            self._sync_layers()
            self._last_highlight = None
            self._apply_selection(self.document.selection.state)
            if not self._zoomed_once and self.document.bounds() is not None:
                self.zoom_to_all()

    def _on_districts_changed(self, district_id: str | None) -> None:
        if self._alive():
            self._sync_districts(district_id)

    def _on_selection_changed(self, state: SelectionState) -> None:
        if self._alive():
            self._apply_selection(state)

    def _sync_layers(self) -> None:
        layers = self.document.layers
        ids = {la.id for la in layers}
        for gone in [i for i in self._items if i not in ids]:
            self.vb.removeItem(self._items.pop(gone))
            self._keys.pop(gone, None)
        for z, layer in enumerate(layers):
            key = _style_key(layer)
            item = self._items.get(layer.id)
            if item is None or self._keys.get(layer.id) != key:
                if item is not None:
                    self.vb.removeItem(item)
                item = make_layer_item(layer, self.density_threshold)
                item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
                self.vb.addItem(item)
                self._items[layer.id] = item
                self._keys[layer.id] = key
            item.setZValue(z)
            item.setVisible(layer.visible)
            item.setOpacity(layer.style.opacity)  # _apply_selection dims again if needed
        self._dimmed = []

    def _sync_districts(self, district_id: str | None = None) -> None:
        active = self.document.selection.active_district
        districts = {d.id: d for d in self.document.districts}
        for gone in [i for i in self._district_items if i not in districts]:
            self.vb.removeItem(self._district_items.pop(gone))
        for d in self.document.districts:
            if district_id is not None and d.id != district_id:
                continue
            item = self._district_items.get(d.id)
            if item is None:
                item = DistrictItem(d.id, d.geometry, d.colour, d.name, d.id == active)
                self.vb.addItem(item, ignoreBounds=True)
                self._district_items[d.id] = item
            else:
                if item.colour != d.colour:
                    item.set_colour(d.colour)
                if item.name != d.name:
                    item.set_name(d.name)
                item.set_geometry(d.geometry)
            item.set_active(d.id == active)
            item.setVisible(d.visible)
        self.show_vertex_handles(self._handles)

    # -------------------------------------------------------------- selection
    def _apply_selection(self, state: SelectionState) -> None:
        for did, item in self._district_items.items():
            if item.active != (did == state.active_district):
                item.set_active(did == state.active_district)
        self.show_vertex_handles(self._handles)
        self._show_neighbourhood(self.hover_item, state.hovered_neighbourhood)
        self._show_neighbourhood(self.picked_item, state.neighbourhood)
        key = (state.sectors, state.value_range)
        if key == self._last_highlight:
            return
        self._last_highlight = key
        for it in self._highlight_items:
            self.vb.removeItem(it)
        self._highlight_items = []
        for layer_id in self._dimmed:
            item = self._items.get(layer_id)
            if item is not None:
                item.setOpacity(self.document.layer(layer_id).style.opacity)
        self._dimmed = []
        if state.sectors:
            self._highlight_sectors(state.sectors)
        if state.value_range is not None:
            vr = state.value_range
            self._highlight_range(vr.variable, vr.low, vr.high)

    def _show_neighbourhood(self, item: ShapeItem, row: int | None) -> None:
        layer = self.neighbourhood_layer()
        if row is None or layer is None or not isinstance(layer.data, gpd.GeoDataFrame) \
                or not 0 <= row < len(layer.data):
            item.set_geometry(None)
            return
        item.set_geometry(layer.data.geometry.iloc[row])

    def _dim(self, layer: Layer) -> None:
        item = self._items.get(layer.id)
        if item is not None and layer.id not in self._dimmed:
            item.setOpacity(layer.style.opacity * DIM_OPACITY)
            self._dimmed.append(layer.id)

    def _add_highlight(self, item: QtWidgets.QGraphicsItem, z: float) -> None:
        # Cached like the base layers: a district dragged over a highlight repaints alone.
        item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        item.setZValue(Z_HIGHLIGHT + z)
        self.vb.addItem(item, ignoreBounds=True)
        self._highlight_items.append(item)

    def _highlight_sectors(self, sectors: frozenset[str]) -> None:
        from districtplanner.analysis.sectors import sector_codes

        wanted = np.unique(sector_codes(sorted(sectors)))
        for z, layer in enumerate(self.document.layers):
            base = self._items.get(layer.id)
            if not layer.visible or not isinstance(base, PointLayerItem):
                continue
            codes = base.sector_codes
            if codes is None:
                continue
            rows = np.flatnonzero(np.isin(codes, wanted))
            self._dim(layer)
            if not len(rows):
                continue
            x, y = base.xy[0][rows], base.xy[1][rows]
            item = PointLayerItem(x, y, codes[rows], SECTOR_CLASS_COLOURS,
                                  size=layer.style.size + 1, colour=HIGHLIGHT_COLOUR,
                                  threshold=self.density_threshold)
            item.highlight_rows = rows
            self._add_highlight(item, z)

    def _highlight_range(self, variable: str, low: float, high: float) -> None:
        for z, layer in enumerate(self.document.layers):
            if not layer.visible:
                continue
            if layer.is_raster and ((variable == "rent" and layer.role == LayerRole.RENTS)
                                    or layer.data.name == variable):
                base = self._items.get(layer.id)
                img = pg.ImageItem(axisOrder="row-major")
                img.setImage(range_rgba(layer.data.values, low, high, HIGHLIGHT_COLOUR),
                             autoLevels=False, levels=None)
                if base is not None:
                    img.setTransform(base.transform())
                self._dim(layer)
                self._add_highlight(img, z)
            elif isinstance(self._items.get(layer.id), PointLayerItem):
                base = self._items[layer.id]
                col = layer.mapping.get(variable)
                if not col or col not in layer.data.columns:
                    continue
                v = layer.data[col].to_numpy(dtype=np.float64, na_value=np.nan)
                rows = np.flatnonzero((v >= low) & (v <= high))
                self._dim(layer)
                if not len(rows):
                    continue
                x, y = base.xy[0][rows], base.xy[1][rows]
                item = PointLayerItem(x, y, None, None, colour=HIGHLIGHT_COLOUR,
                                      size=layer.style.size + 1,
                                      threshold=self.density_threshold)
                item.highlight_rows = rows
                self._add_highlight(item, z)

    # ------------------------------------------------------------------ mouse
    def mousePressEvent(self, ev: QtGui.QMouseEvent) -> None:
        pos = ev.position()
        self._press_pos = pos
        pt = self.map_point(pos)
        if self.tool is not None and self.tool.press(ev, pt):
            self._tool_gesture = True
            ev.accept()
            return
        super().mousePressEvent(ev)

    def mouseMoveEvent(self, ev: QtGui.QMouseEvent) -> None:
        pos = ev.position()
        pt = self.map_point(pos)
        self.cursor_moved.emit(pt.x(), pt.y())
        if self._tool_gesture or (self.tool is not None and not ev.buttons()):
            handled = self.tool.move(ev, pt) if self.tool is not None else False
            if self._tool_gesture or handled:
                ev.accept()
                return
        if not ev.buttons():
            self._hover(pt)
        super().mouseMoveEvent(ev)

    def mouseReleaseEvent(self, ev: QtGui.QMouseEvent) -> None:
        pos = ev.position()
        pt = self.map_point(pos)
        press, self._press_pos = self._press_pos, None
        if self._tool_gesture:
            self._tool_gesture = False
            if self.tool is not None:
                self.tool.release(ev, pt)
            ev.accept()
            return
        super().mouseReleaseEvent(ev)
        if press is None or (pos - press).manhattanLength() > CLICK_SLOP_PX:
            return
        if self.tool is not None and self.tool.click(ev, pt):
            return
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            self.click(pt.x(), pt.y())

    def mouseDoubleClickEvent(self, ev: QtGui.QMouseEvent) -> None:
        self._press_pos = None
        pt = self.map_point(ev.position())
        if self.tool is not None and self.tool.double_click(ev, pt):
            ev.accept()
            return
        super().mouseDoubleClickEvent(ev)

    def keyPressEvent(self, ev: QtGui.QKeyEvent) -> None:
        if self.tool is not None and self.tool.key(ev):
            ev.accept()
            return
        super().keyPressEvent(ev)

    def leaveEvent(self, ev: QtCore.QEvent) -> None:
        self._hover(None)
        super().leaveEvent(ev)

    def click(self, x: float, y: float) -> None:
        """What a plain click at map (x, y) does: pick the district and neighbourhood there
        (writing the selection) and announce the topmost feature."""
        district = self.district_at(x, y)
        if district is not None:
            self.document.selection.set_active_district(district)
            self.district_clicked.emit(district)
        nb = self.neighbourhood_layer()
        hit_nb = None
        if nb is not None and nb.visible:
            hit_nb = self.feature_at(x, y, roles=(LayerRole.NEIGHBOURHOODS,))
        self.document.selection.set_neighbourhood(hit_nb[1] if hit_nb else None)
        hit = self.feature_at(x, y)
        if hit is not None:
            self.feature_clicked.emit(hit[0], hit[1])

    def _hover(self, pt: QtCore.QPointF | None) -> None:
        nb = self.neighbourhood_layer()
        row = None
        if pt is not None and nb is not None and nb.visible:
            item = self._items.get(nb.id)
            if isinstance(item, PathLayerItem):
                row = item.feature_at(pt.x(), pt.y())
        if row != self.document.selection.hovered_neighbourhood:
            self.document.selection.set_hovered_neighbourhood(row)
            if nb is not None:
                self.feature_hovered.emit(nb.id, -1 if row is None else row)

    # ------------------------------------------------------------------- paint
    def drawForeground(self, painter: QtGui.QPainter, rect: QtCore.QRectF) -> None:
        super().drawForeground(painter, rect)
        mpp = self.metres_per_pixel()
        painter.save()
        painter.resetTransform()
        paint_scale_bar(painter, self.viewport().rect(), mpp)
        painter.restore()
