"""Each map tool, driven by simulated mouse and key input, announces the shape the user
drew or the edit they made, and never changes the document itself."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd
import numpy as np
import pytest
import shapely
from mouse import LEFT, click, drag, hover, send
from PySide6 import QtCore, QtWidgets
from test_map_canvas import CRS, X0, Y0, small_document

from districtplanner.analysis.roles import LayerRole
from districtplanner.model.layer import Layer, LayerStyle
from districtplanner.ui.map import edit_geometry as eg

Qt = QtCore.Qt
RIGHT = Qt.MouseButton.RightButton


@pytest.fixture
def doc():
    d = small_document()
    stops = gpd.GeoDataFrame({"name": ["Central"]},
                             geometry=gpd.points_from_xy([X0 + 1500.0], [Y0 + 1200.0]), crs=CRS)
    d.add_layer(Layer("Stops", LayerRole.TRANSIT_STOPS, stops, style=LayerStyle(size=8)))
    return d


class Recorder:
    """Collects the canvas's drawing and editing signals."""

    def __init__(self, canvas):
        self.drawn: list = []
        self.edited: list = []
        canvas.district_drawn.connect(self.drawn.append)
        canvas.district_edited.connect(lambda i, g, f: self.edited.append((i, g, f)))


def key(qtbot, canvas, k):
    qtbot.keyClick(canvas, k)


def near(a: shapely.Geometry, b: shapely.Geometry, canvas, px: float = 2.0) -> bool:
    """Equal up to the screen rounding of the simulated clicks."""
    return shapely.hausdorff_distance(a, b) <= px * canvas.metres_per_pixel()


# --------------------------------------------------------------------- polygon
def test_polygon_tool_draws_the_clicked_corners(canvas, qtbot):
    rec = Recorder(canvas)
    canvas.set_tool("polygon")
    corners = [(X0 + 200, Y0 + 200), (X0 + 1200, Y0 + 250), (X0 + 900, Y0 + 1100)]
    for x, y in corners:
        click(canvas, x, y)
    hover(canvas, X0 + 300, Y0 + 900)
    assert canvas.tool_item.geometry is not None  # the rubber band follows the mouse
    assert rec.drawn == []
    key(qtbot, canvas, Qt.Key.Key_Return)
    assert len(rec.drawn) == 1
    assert near(rec.drawn[0], shapely.Polygon(corners), canvas)
    assert canvas.tool_item.geometry is None


def test_polygon_closes_on_a_click_at_its_first_corner(canvas):
    rec = Recorder(canvas)
    canvas.set_tool("polygon")
    corners = [(X0 + 200, Y0 + 200), (X0 + 1000, Y0 + 200), (X0 + 1000, Y0 + 900),
               (X0 + 200, Y0 + 900)]
    for x, y in [*corners, corners[0]]:
        click(canvas, x, y)
    assert len(rec.drawn) == 1
    assert near(rec.drawn[0], shapely.Polygon(corners), canvas)


def test_polygon_double_click_finishes_and_backspace_escape_edit_the_sketch(canvas, qtbot):
    rec = Recorder(canvas)
    canvas.set_tool("polygon")
    click(canvas, X0 + 100, Y0 + 100)
    click(canvas, X0 + 1500, Y0 + 1500)  # a slip: removed with Backspace
    key(qtbot, canvas, Qt.Key.Key_Backspace)
    click(canvas, X0 + 900, Y0 + 100)
    click(canvas, X0 + 900, Y0 + 700)
    pos = canvas.screen_point(X0 + 900, Y0 + 700)
    qtbot.mouseDClick(canvas.viewport(), LEFT, pos=pos)
    assert len(rec.drawn) == 1
    expected = shapely.Polygon([(X0 + 100, Y0 + 100), (X0 + 900, Y0 + 100),
                                (X0 + 900, Y0 + 700)])
    assert near(rec.drawn[0], expected, canvas)
    click(canvas, X0 + 100, Y0 + 100)
    click(canvas, X0 + 900, Y0 + 100)
    key(qtbot, canvas, Qt.Key.Key_Escape)
    key(qtbot, canvas, Qt.Key.Key_Return)
    assert len(rec.drawn) == 1  # cancelled, and two corners are not a polygon


# ------------------------------------------------------------ rectangle, lasso
def test_rectangle_tool_draws_the_dragged_box(canvas):
    rec = Recorder(canvas)
    canvas.set_tool("rectangle")
    before = canvas.view_bounds()
    drag(canvas, [(X0 + 1400, Y0 + 300), (X0 + 900, Y0 + 700), (X0 + 500, Y0 + 1000)])
    assert canvas.view_bounds() == before  # the drag drew, it did not pan
    assert len(rec.drawn) == 1
    assert near(rec.drawn[0], shapely.box(X0 + 500, Y0 + 300, X0 + 1400, Y0 + 1000), canvas)


def test_a_tiny_rectangle_is_ignored(canvas):
    rec = Recorder(canvas)
    canvas.set_tool("rectangle")
    drag(canvas, [(X0 + 500, Y0 + 500), (X0 + 501, Y0 + 501)])
    assert rec.drawn == []


def test_lasso_follows_the_hand(canvas):
    rec = Recorder(canvas)
    canvas.set_tool("lasso")
    t = np.linspace(0, 2 * np.pi, 60)
    cx, cy, r = X0 + 1000, Y0 + 800, 400
    path = list(zip(cx + r * np.cos(t), cy + r * np.sin(t), strict=True))
    drag(canvas, path)
    assert len(rec.drawn) == 1
    geom = rec.drawn[0]
    assert geom.is_valid
    assert geom.area == pytest.approx(np.pi * r * r, rel=0.05)
    assert near(geom.exterior, shapely.Point(cx, cy).buffer(r).exterior, canvas, px=4)


# ---------------------------------------------------------------- circle
def test_circle_tool_draws_the_set_radius_around_the_click(canvas):
    rec = Recorder(canvas)
    canvas.circle_radius_m = 300.0
    canvas.set_tool("circle")
    click(canvas, X0 + 600, Y0 + 500)
    assert len(rec.drawn) == 1
    c = rec.drawn[0]
    assert c.area == pytest.approx(np.pi * 300**2, rel=0.01)
    tol = 2 * canvas.metres_per_pixel()
    assert abs(c.centroid.x - (X0 + 600)) < tol and abs(c.centroid.y - (Y0 + 500)) < tol


def test_circle_snaps_to_a_nearby_transit_stop(canvas):
    rec = Recorder(canvas)
    canvas.set_tool("circle")
    px = canvas.metres_per_pixel()
    click(canvas, X0 + 1500 + 3 * px, Y0 + 1200 - 2 * px)
    c = rec.drawn[0].centroid
    assert c.x == pytest.approx(X0 + 1500, abs=1e-6)
    assert c.y == pytest.approx(Y0 + 1200, abs=1e-6)
    assert rec.drawn[0].area == pytest.approx(np.pi * 800**2, rel=0.01)


# --------------------------------------------------------- neighbourhoods
def test_build_from_neighbourhoods_unions_the_clicked_ones(canvas, doc, qtbot):
    rec = Recorder(canvas)
    canvas.set_tool("neighbourhoods")
    click(canvas, X0 + 500, Y0 + 1200)  # NW
    click(canvas, X0 + 1500, Y0 + 400)  # SE, then clicked again: removed
    click(canvas, X0 + 1500, Y0 + 400)
    click(canvas, X0 + 1500, Y0 + 1200)  # NE
    assert canvas.tool_item.geometry.equals(shapely.box(X0, Y0 + 800, X0 + 2000, Y0 + 1600))
    key(qtbot, canvas, Qt.Key.Key_Return)
    assert len(rec.drawn) == 1
    assert rec.drawn[0].equals(shapely.box(X0, Y0 + 800, X0 + 2000, Y0 + 1600))
    assert rec.drawn[0].area == pytest.approx(2000 * 800)


# ------------------------------------------------------------------ edit
def test_dragging_a_vertex_reports_live_and_final_shapes(canvas, doc):
    rec = Recorder(canvas)
    d = doc.districts[0]
    original = d.geometry
    canvas.set_tool("edit")
    assert canvas.district_item(d.id).handle_px > 0
    path = [(X0 + 900, Y0 + 700), (X0 + 1000, Y0 + 750), (X0 + 1100, Y0 + 800)]
    drag(canvas, path)
    finals = [e for e in rec.edited if e[2]]
    lives = [e for e in rec.edited if not e[2]]
    assert len(finals) == 1 and len(lives) == 2
    assert all(e[0] == d.id for e in rec.edited)
    expected = shapely.Polygon([(X0 + 300, Y0 + 300), (X0 + 900, Y0 + 300),
                                (X0 + 1100, Y0 + 800), (X0 + 300, Y0 + 700)])
    assert near(finals[0][1], expected, canvas)
    assert len(eg.vertices(finals[0][1])) == 4
    assert doc.district(d.id).geometry.equals(original)  # tools never edit the document


def test_pressing_an_edge_inserts_a_vertex_there(canvas, doc):
    rec = Recorder(canvas)
    canvas.set_tool("edit")
    drag(canvas, [(X0 + 600, Y0 + 300), (X0 + 600, Y0 + 200), (X0 + 600, Y0 + 100)])
    geom = rec.edited[-1][1]
    assert rec.edited[-1][2]
    assert len(eg.vertices(geom)) == 5
    assert near(geom, shapely.Polygon([(X0 + 300, Y0 + 300), (X0 + 600, Y0 + 100),
                                       (X0 + 900, Y0 + 300), (X0 + 900, Y0 + 700),
                                       (X0 + 300, Y0 + 700)]), canvas)


def test_right_click_or_delete_removes_a_vertex_but_keeps_three(canvas, doc, qtbot):
    rec = Recorder(canvas)
    d = doc.districts[0]
    canvas.set_tool("edit")
    click(canvas, X0 + 900, Y0 + 700, button=RIGHT)
    geom = rec.edited[-1][1]
    assert rec.edited[-1][2] and len(eg.vertices(geom)) == 3
    doc.set_district_geometry(d.id, geom)  # as the main window's command would
    hover(canvas, X0 + 300, Y0 + 300)
    key(qtbot, canvas, Qt.Key.Key_Delete)
    assert len(rec.edited) == 1  # a triangle cannot lose a corner


def test_a_press_away_from_the_district_pans_instead(canvas):
    rec = Recorder(canvas)
    canvas.set_tool("edit")
    before = canvas.view_bounds()
    drag(canvas, [(X0 + 1500, Y0 + 1300), (X0 + 1400, Y0 + 1200), (X0 + 1300, Y0 + 1100)])
    assert rec.edited == []
    assert canvas.view_bounds() != before


def test_move_tool_translates_the_district(canvas, doc):
    rec = Recorder(canvas)
    d = doc.districts[0]
    canvas.set_tool("move")
    drag(canvas, [(X0 + 600, Y0 + 500), (X0 + 700, Y0 + 550), (X0 + 800, Y0 + 600)])
    assert [e[2] for e in rec.edited] == [False, False, True]
    expected = shapely.affinity.translate(d.geometry, 200, 100)
    assert near(rec.edited[-1][1], expected, canvas)
    assert doc.district(d.id).geometry.equals(shapely.box(X0 + 300, Y0 + 300,
                                                          X0 + 900, Y0 + 700))


def test_dragging_a_district_repaints_only_the_overlay(canvas, doc):
    canvas.set_tool("move")
    QtWidgets.QApplication.processEvents()
    canvas.grab()
    base = canvas.base_paint_count()
    item = canvas.district_item(doc.districts[0].id)
    send(canvas, QtCore.QEvent.Type.MouseButtonPress, X0 + 600, Y0 + 500)
    for k in range(1, 6):
        send(canvas, QtCore.QEvent.Type.MouseMove, X0 + 600 + 30 * k, Y0 + 500,
             Qt.MouseButton.NoButton, LEFT)
        canvas.viewport().repaint()
    assert item.geometry.bounds[0] == pytest.approx(X0 + 450, abs=3 * canvas.metres_per_pixel())
    assert canvas.base_paint_count() == base
    send(canvas, QtCore.QEvent.Type.MouseButtonRelease, X0 + 750, Y0 + 500)


def test_unknown_tool_names_are_refused_with_the_known_ones(canvas):
    with pytest.raises(ValueError, match="polygon"):
        canvas.set_tool("spray")


def test_switching_tools_drops_a_half_drawn_shape(canvas, qtbot):
    rec = Recorder(canvas)
    canvas.set_tool("polygon")
    click(canvas, X0 + 100, Y0 + 100)
    click(canvas, X0 + 900, Y0 + 100)
    canvas.set_tool("pan")
    assert canvas.tool_item.geometry is None
    key(qtbot, canvas, Qt.Key.Key_Return)
    assert rec.drawn == []


def test_vertices_snap_to_neighbourhood_corners_and_edges_when_asked(canvas, doc):
    rec = Recorder(canvas)
    canvas.set_tool("edit")
    px = canvas.metres_per_pixel()
    # Without snapping the corner lands where the mouse is, 3 px from the NW/SW corner.
    drag(canvas, [(X0 + 900, Y0 + 700), (X0 + 1000 - 3 * px, Y0 + 800 + 3 * px)])
    assert [X0 + 1000, Y0 + 800] not in eg.vertices(rec.edited[-1][1]).tolist()
    canvas.snap_to_neighbourhoods = True
    drag(canvas, [(X0 + 900, Y0 + 700), (X0 + 1000 - 3 * px, Y0 + 800 + 3 * px)])
    corners = eg.vertices(rec.edited[-1][1])
    assert [X0 + 1000, Y0 + 800] in corners.tolist()
    # Near an edge but far from any corner: onto the edge x = X0 + 1000.
    drag(canvas, [(X0 + 900, Y0 + 700), (X0 + 1000 - 4 * px, Y0 + 500)])
    corners = eg.vertices(rec.edited[-1][1])
    assert any(abs(c[0] - (X0 + 1000)) < 1e-6 and abs(c[1] - (Y0 + 500)) < 2 * px
               for c in corners)


def test_every_tool_has_a_distinct_shortcut_and_announces_its_hint(canvas):
    from districtplanner.ui.map.tools import TOOLS

    shortcuts = [t.shortcut for t in TOOLS.values()]
    assert len(set(shortcuts)) == len(shortcuts)
    assert set(TOOLS) >= {"pan", "polygon", "rectangle", "circle", "lasso", "neighbourhoods",
                          "edit", "move"}
    hints: list[str] = []
    changed: list[str] = []
    canvas.status_hint.connect(hints.append)
    canvas.tool_changed.connect(changed.append)
    for name, cls in TOOLS.items():
        assert cls.label and cls.hint.endswith(".")
        canvas.set_tool(name)
        assert hints[-1] == cls.hint and changed[-1] == name
        assert canvas.tool.name == name


def test_vertex_handles_stay_inside_the_overlay_bounds_when_zoomed_out(canvas, doc):
    """Qt repaints only an item's bounds; handles drawn outside would leave trails."""
    d = doc.districts[0]
    canvas.set_tool("edit")
    canvas.zoom_to((X0 - 50_000, Y0 - 40_000, X0 + 50_000, Y0 + 40_000))
    QtWidgets.QApplication.processEvents()
    item = canvas.district_item(d.id)
    t = item.deviceTransform(canvas.viewportTransform())
    drawn = t.mapRect(item.path.boundingRect())
    bounds = t.mapRect(item.boundingRect())
    margin = item.handle_px / 2
    assert bounds.left() <= drawn.left() - margin and bounds.right() >= drawn.right() + margin
    assert bounds.top() <= drawn.top() - margin and bounds.bottom() >= drawn.bottom() + margin
