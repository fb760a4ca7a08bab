"""The map canvas draws every layer of a document through one item per layer, in document
order, follows visibility and the selection, and answers clicks through spatial indexes."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PySide6 import QtCore, QtGui, QtWidgets

from districtplanner.analysis.raster import Raster
from districtplanner.analysis.roles import LayerRole
from districtplanner.model.district import District
from districtplanner.model.document import Document
from districtplanner.model.layer import Layer, LayerStyle
from districtplanner.model.selection import ValueRange

CRS = "EPSG:32633"
X0, Y0 = 500_000.0, 5_700_000.0  # a UTM-like origin, so coordinates are realistic


def small_document(n_points: int = 3000, seed: int = 3) -> Document:
    """Rents (raster), 4 neighbourhoods tiling 2000 x 1600 m, a transit line, rent points,
    establishments with sectors, and one active district."""
    rng = np.random.default_rng(seed)
    nb = gpd.GeoDataFrame(
        {"name": ["NW", "NE", "SW", "SE"], "population": [1200, 3400, 800, 5000]},
        geometry=[
            shapely.box(X0, Y0 + 800, X0 + 1000, Y0 + 1600),
            shapely.box(X0 + 1000, Y0 + 800, X0 + 2000, Y0 + 1600),
            shapely.box(X0, Y0, X0 + 1000, Y0 + 800),
            shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 800),
        ],
        crs=CRS,
    )
    # Points stay 50 m inside the tiling so the layers' extents differ.
    px = rng.uniform(X0 + 50, X0 + 1950, n_points)
    py = rng.uniform(Y0 + 50, Y0 + 1550, n_points)
    sectors = rng.choice(["film_tv", "publishing", "design_fashion", "retail", "logistics"],
                         n_points, p=[0.1, 0.1, 0.1, 0.4, 0.3])
    est = gpd.GeoDataFrame({"sector": sectors, "employees": rng.integers(1, 50, n_points)},
                           geometry=gpd.points_from_xy(px, py), crs=CRS)
    rents = gpd.GeoDataFrame({"rent": rng.uniform(8, 30, 400)},
                             geometry=gpd.points_from_xy(rng.uniform(X0, X0 + 2000, 400),
                                                         rng.uniform(Y0, Y0 + 1600, 400)),
                             crs=CRS)
    line = gpd.GeoDataFrame({"name": ["Line 1"]}, geometry=[
        shapely.LineString([(X0 + 100, Y0 + 100), (X0 + 1900, Y0 + 1500)])], crs=CRS)
    values = rng.uniform(8, 30, (16, 20))
    values[0, 0] = np.nan
    raster = Raster(values, (100.0, 0.0, X0, 0.0, -100.0, Y0 + 1600), CRS, name="rent")
    doc = Document(crs=CRS, title="test city")
    doc.add_layers([
        Layer("Rent surface", LayerRole.RENTS, raster, mapping={"rent": "rent"},
              style=LayerStyle(opacity=0.5, colormap="cividis")),
        Layer("Neighbourhoods", LayerRole.NEIGHBOURHOODS, nb,
              mapping={"name": "name", "population": "population"},
              style=LayerStyle(colour="#8C8C8C", size=1.0)),
        Layer("Transit lines", LayerRole.TRANSIT_LINES, line, style=LayerStyle(size=3.0)),
        Layer("Rent points", LayerRole.RENTS, rents, mapping={"rent": "rent"},
              style=LayerStyle(colour="#E69F00", size=4.0)),
        Layer("Establishments", LayerRole.ESTABLISHMENTS, est,
              mapping={"sector": "sector", "jobs": "employees"},
              style=LayerStyle(colour="#444444", size=3.0, colour_by="sector")),
    ])
    d = doc.add_district(District("Old Mill Quarter",
                                  shapely.box(X0 + 300, Y0 + 300, X0 + 900, Y0 + 700)))
    doc.selection.set_active_district(d.id)
    return doc


def layer_named(doc: Document, name: str) -> Layer:
    return next(la for la in doc.layers if la.name == name)


def settle(canvas) -> QtGui.QImage:
    """Force a synchronous paint of the whole canvas and return it."""
    QtWidgets.QApplication.processEvents()
    return canvas.grab().toImage()


@pytest.fixture
def doc() -> Document:
    return small_document()


def contains(outer: QtCore.QRectF, b: tuple[float, float, float, float], tol: float = 1e-6
             ) -> bool:
    return (outer.left() <= b[0] + tol and outer.top() <= b[1] + tol
            and outer.right() >= b[2] - tol and outer.bottom() >= b[3] - tol)


# ------------------------------------------------------------------ layers drawn
def test_every_layer_has_an_item_whose_bounds_match_its_data(canvas, doc):
    from districtplanner.ui.map.point_item import PointLayerItem
    from districtplanner.ui.map.polygon_item import PathLayerItem
    from districtplanner.ui.map.raster_item import RasterLayerItem

    kinds = {"raster": RasterLayerItem, "point": PointLayerItem, "polygon": PathLayerItem,
             "line": PathLayerItem}
    for layer in doc.layers:
        item = canvas.layer_item(layer.id)
        assert isinstance(item, kinds[layer.geometry_kind]), layer.name
        assert item.isVisible()
        np.testing.assert_allclose(item.data_bounds(), layer.bounds(), rtol=0, atol=1e-6)
        drawn = item.mapRectToItem(item, item.boundingRect())
        if isinstance(item, RasterLayerItem):
            drawn = item.mapRectToParent(item.boundingRect())
        assert contains(drawn, layer.bounds()), layer.name


def test_one_path_holds_every_outline_of_a_polygon_layer(canvas, doc):
    item = canvas.layer_item(layer_named(doc, "Neighbourhoods").id)
    # Four closed squares: 4 rings x 5 vertices, one subpath per ring.
    assert item.path.elementCount() == 20
    moves = [i for i in range(item.path.elementCount())
             if item.path.elementAt(i).type == QtGui.QPainterPath.ElementType.MoveToElement]
    assert moves == [0, 5, 10, 15]


def test_raster_is_placed_by_its_transform_and_nodata_is_clear(canvas, doc):
    layer = layer_named(doc, "Rent surface")
    item = canvas.layer_item(layer.id)
    r = item.mapRectToParent(item.boundingRect())
    np.testing.assert_allclose((r.left(), r.top(), r.right(), r.bottom()), layer.bounds())
    assert item.image[0, 0, 3] == 0 and item.image[1, 1, 3] == 255
    assert item.opacity() == pytest.approx(0.5)
    # Cell (row 2, col 3) covers x 300-400 m, y 1300-1400 m from the origin.
    assert item.value_at(X0 + 350, Y0 + 1350) == pytest.approx(layer.data.values[2, 3])


def test_visibility_toggles_hide_and_show_items(canvas, doc):
    layer = layer_named(doc, "Establishments")
    item = canvas.layer_item(layer.id)
    doc.set_layer_visible(layer.id, False)
    assert not item.isVisible()
    doc.set_layer_visible(layer.id, True)
    assert canvas.layer_item(layer.id) is item and item.isVisible()


def test_draw_order_follows_the_document_and_its_moves(canvas, doc):
    def order():
        items = [canvas.layer_item(la.id) for la in doc.layers]
        return [it.zValue() for it in items]

    z = order()
    assert z == sorted(z) and len(set(z)) == len(z)
    est = layer_named(doc, "Establishments")
    doc.move_layer(est.id, 0)
    z = order()
    assert z == sorted(z)
    nb = layer_named(doc, "Neighbourhoods")
    assert canvas.layer_item(est.id).zValue() < canvas.layer_item(nb.id).zValue()


def test_removed_layers_lose_their_item_and_added_layers_gain_one(canvas, doc):
    line = layer_named(doc, "Transit lines")
    item = canvas.layer_item(line.id)
    doc.remove_layer(line.id)
    assert canvas.layer_item(line.id) is None and item.scene() is None
    doc.add_layer(line)
    assert canvas.layer_item(line.id) is not None


def test_sector_colours_come_from_the_taxonomy(canvas, doc):
    from districtplanner.analysis.sectors import CREATIVE_SECTORS, SECTOR_COLOURS

    item = canvas.layer_item(layer_named(doc, "Establishments").id)
    film = CREATIVE_SECTORS.index("film_tv")
    assert item._pens[film].color().name().upper() == SECTOR_COLOURS["film_tv"]
    assert len(item._pens) == len(CREATIVE_SECTORS) + 1


# ---------------------------------------------------------- density vs points
def test_point_layer_switches_to_density_above_the_threshold(canvas, doc):
    layer = layer_named(doc, "Establishments")
    item = canvas.layer_item(layer.id)
    n = len(layer.data)
    item.threshold = n - 1  # the whole layer in view is one point too many
    canvas.zoom_to_all()
    settle(canvas)
    assert item.mode == "density"
    # A 400 m square in the middle holds a fraction of the points.
    canvas.zoom_to((X0 + 800, Y0 + 600, X0 + 1200, Y0 + 1000))
    settle(canvas)
    assert item.mode == "points"
    item.threshold = n
    canvas.zoom_to_all()
    settle(canvas)
    assert item.mode == "points"
    canvas.zoom_to((X0 + 5000, Y0 + 5000, X0 + 6000, Y0 + 6000))
    assert item.mode == "empty"


def test_density_image_counts_every_point_in_its_tile():
    from districtplanner.ui.map.point_item import PointLayerItem

    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1000, 20_000), rng.uniform(0, 500, 20_000)
    item = PointLayerItem(x, y, threshold=10)
    tile = item._make_tile((0.0, 0.0, 1000.0, 500.0), px=2.0)
    assert tile["counts"].sum() == len(x)
    assert tile["image"].width() == tile["counts"].shape[1]
    # Opaque exactly where points fell.
    assert ((tile["array"][..., 3] > 0) == (tile["counts"] > 0)).all()


# ----------------------------------------------------------------- highlights
def test_sector_selection_adds_a_highlight_overlay_and_dims_the_base(canvas, doc):
    est = layer_named(doc, "Establishments")
    base = canvas.layer_item(est.id)
    doc.selection.set_sectors({"film_tv", "publishing"})
    items = canvas.highlight_items
    assert len(items) == 1
    wanted = est.data["sector"].isin(["film_tv", "publishing"]).to_numpy()
    assert len(items[0].grid) == wanted.sum()
    np.testing.assert_array_equal(np.sort(items[0].highlight_rows), np.flatnonzero(wanted))
    assert items[0].zValue() > max(canvas.layer_item(la.id).zValue() for la in doc.layers)
    assert base.opacity() < 1.0
    assert not settle(canvas).isNull()
    doc.selection.clear_highlights()
    assert canvas.highlight_items == [] and base.opacity() == 1.0


def test_rent_range_highlights_raster_cells_and_rent_points(canvas, doc):
    doc.selection.set_value_range(ValueRange("rent", 18.0, 25.0))
    items = canvas.highlight_items
    images = [it for it in items if not hasattr(it, "grid")]
    points = [it for it in items if hasattr(it, "grid")]
    assert len(images) == 1 and len(points) == 1
    values = layer_named(doc, "Rent surface").data.values
    inside = (values >= 18) & (values <= 25)
    assert ((images[0].image[..., 3] > 0) == inside).all()
    rents = layer_named(doc, "Rent points").data["rent"].to_numpy()
    assert len(points[0].grid) == ((rents >= 18) & (rents <= 25)).sum()
    doc.selection.set_value_range(None)
    assert canvas.highlight_items == []


# ------------------------------------------------------------------ districts
def test_districts_are_overlays_and_the_active_one_is_emphasised(canvas, doc):
    d0 = doc.districts[0]
    d1 = doc.add_district(District("Harbour", shapely.box(X0 + 1200, Y0 + 900,
                                                          X0 + 1800, Y0 + 1400),
                                   colour="#0072B2"))
    i0, i1 = canvas.district_item(d0.id), canvas.district_item(d1.id)
    assert i0.active and not i1.active
    assert i0.label.text() == "Old Mill Quarter"
    doc.selection.set_active_district(d1.id)
    assert i1.active and not i0.active
    assert i1._pen.widthF() > i0._pen.widthF()
    doc.update_district(d1.id, name="Harbour Arts")
    assert i1.label.text() == "Harbour Arts"
    doc.set_district_geometry(d1.id, shapely.box(X0, Y0, X0 + 100, Y0 + 100))
    assert i1.boundingRect().contains(QtCore.QRectF(X0, Y0, 100, 100))
    doc.remove_district(d1.id)
    assert canvas.district_item(d1.id) is None and i1.scene() is None


def test_overlay_changes_do_not_repaint_the_base_layers(canvas, doc):
    settle(canvas)
    did = doc.districts[0].id
    item = canvas.district_item(did)
    base_before = canvas.base_paint_count()
    for k in range(5):
        canvas.preview_district(did, shapely.box(X0 + 300 + 40 * k, Y0 + 300,
                                                 X0 + 900 + 40 * k, Y0 + 700))
        canvas.viewport().repaint()
        QtWidgets.QApplication.processEvents()
    assert item.geometry.bounds[0] == X0 + 460
    assert canvas.base_paint_count() == base_before
    # A pan does repaint them (the cache is only reused while the view stands still).
    canvas.vb.translateBy(x=150.0)
    settle(canvas)
    assert canvas.base_paint_count() > base_before


# ------------------------------------------------------------------ view
def test_zoom_to_all_fits_the_data(canvas, doc):
    canvas.zoom_to((X0 + 10, Y0 + 10, X0 + 20, Y0 + 20))
    canvas.zoom_to_all()
    b = doc.bounds()
    v = canvas.view_bounds()
    assert v[0] <= b[0] and v[1] <= b[1] and v[2] >= b[2] and v[3] >= b[3]
    # Tight in at least one direction (the aspect lock pads the other).
    slack = min((v[2] - v[0]) / (b[2] - b[0]), (v[3] - v[1]) / (b[3] - b[1]))
    assert slack < 1.15
    # Aspect locked: one metre is as wide as it is tall on screen.
    px_w, px_h = canvas.vb.viewPixelSize()
    assert px_w == pytest.approx(px_h, rel=1e-6)


def test_grab_is_not_blank_and_shows_the_layers(canvas):
    img = settle(canvas)
    from districtplanner.ui.map.canvas import BACKGROUND

    arr = np.frombuffer(img.convertToFormat(QtGui.QImage.Format.Format_RGB32).constBits(),
                        dtype=np.uint32).reshape(img.height(), -1)[:, : img.width()]
    bg = QtGui.QColor(BACKGROUND).rgb() & 0xFFFFFF
    share_bg = np.mean((arr & 0xFFFFFF) == bg)
    assert share_bg < 0.5
    assert len(np.unique(arr)) > 50


def test_cursor_moved_reports_map_coordinates(canvas, qtbot):
    target = canvas.screen_point(X0 + 500, Y0 + 400)
    with qtbot.waitSignal(canvas.cursor_moved) as sig:
        qtbot.mouseMove(canvas.viewport(), target)
    x, y = sig.args
    tol = 2 * canvas.metres_per_pixel()
    assert abs(x - (X0 + 500)) < tol and abs(y - (Y0 + 400)) < tol


# -------------------------------------------------------------- click, hover
def test_click_on_a_neighbourhood_reports_its_row(canvas, doc, qtbot):
    for name in ("Establishments", "Rent points", "Transit lines"):
        doc.set_layer_visible(layer_named(doc, name).id, False)
    nb = layer_named(doc, "Neighbourhoods")
    for row in (1, 3):
        c = nb.data.geometry.iloc[row].centroid
        with qtbot.waitSignal(canvas.feature_clicked) as sig:
            qtbot.mouseClick(canvas.viewport(), QtCore.Qt.MouseButton.LeftButton,
                             pos=canvas.screen_point(c.x, c.y))
        assert sig.args == [nb.id, row]
        assert doc.selection.neighbourhood == row


def test_click_picks_the_nearest_point_of_the_topmost_layer(canvas, doc):
    est = layer_named(doc, "Establishments")
    g = est.data.geometry
    canvas.zoom_to((X0 + 800, Y0 + 600, X0 + 1000, Y0 + 750))
    row = int(np.flatnonzero((g.x > X0 + 850) & (g.x < X0 + 950)
                             & (g.y > Y0 + 650) & (g.y < Y0 + 700))[0])
    assert canvas.feature_at(g.x.iloc[row], g.y.iloc[row]) == (est.id, row)


def test_hover_marks_the_neighbourhood_under_the_cursor(canvas, doc, qtbot):
    nb = layer_named(doc, "Neighbourhoods")
    c = nb.data.geometry.iloc[2].centroid
    # Qt drops a move to where the cursor already is, so come from elsewhere first.
    qtbot.mouseMove(canvas.viewport(), canvas.screen_point(c.x + 1000, c.y + 800))
    assert doc.selection.hovered_neighbourhood == 1
    qtbot.mouseMove(canvas.viewport(), canvas.screen_point(c.x, c.y))
    assert doc.selection.hovered_neighbourhood == 2
    assert canvas.hover_item.geometry.equals(nb.data.geometry.iloc[2])


def test_click_inside_a_district_makes_it_active(canvas, doc, qtbot):
    other = doc.add_district(District("Harbour", shapely.box(X0 + 1200, Y0 + 900,
                                                             X0 + 1800, Y0 + 1400)))
    assert doc.selection.active_district != other.id
    qtbot.mouseClick(canvas.viewport(), QtCore.Qt.MouseButton.LeftButton,
                     pos=canvas.screen_point(X0 + 1500, Y0 + 1100))
    assert doc.selection.active_district == other.id


def test_a_document_without_layers_draws_nothing_and_does_not_fail(qtbot):
    from districtplanner.ui.map.canvas import MapCanvas

    doc = Document(crs=CRS)
    c = MapCanvas(doc)
    qtbot.addWidget(c)
    c.resize(400, 300)
    c.zoom_to_all()
    assert not settle(c).isNull()
    r = Raster(np.ones((2, 2)), (10.0, 0.0, 0.0, 0.0, -10.0, 20.0), CRS)
    doc.add_layer(Layer("r", LayerRole.RENTS, r))
    assert c.layer_item(doc.layers[0].id) is not None
    c.detach()


def test_empty_and_filled_layers_are_drawn_without_failing(canvas, doc):
    empty = gpd.GeoDataFrame({"sector": []}, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    doc.add_layer(Layer("Nothing yet", LayerRole.ESTABLISHMENTS, empty,
                        mapping={"sector": "sector"}, style=LayerStyle(colour_by="sector")))
    nb = layer_named(doc, "Neighbourhoods")
    filled = Layer("Population", LayerRole.CONTEXT, nb.data,
                   style=LayerStyle(colour="#333333", colour_by="population",
                                    colormap="viridis"))
    doc.add_layer(filled)
    item = canvas.layer_item(filled.id)
    # Four distinct populations make four quantile classes, each with its own fill path.
    assert item.fill_count == 4
    assert canvas.layer_item(doc.layers[-2].id).mode == "empty"
    assert not settle(canvas).isNull()


def test_selection_made_before_the_canvas_exists_is_drawn(qtbot, doc):
    from districtplanner.ui.map.canvas import MapCanvas

    doc.selection.set_sectors({"publishing"})
    c = MapCanvas(doc)
    qtbot.addWidget(c)
    assert len(c.highlight_items) == 1
    c.detach()


def test_a_dimmed_layer_regains_its_opacity_after_layer_changes(canvas, doc):
    est = layer_named(doc, "Establishments")
    doc.selection.set_sectors({"film_tv"})
    assert canvas.layer_item(est.id).opacity() < 1.0
    doc.set_layer_visible(est.id, False)
    doc.selection.clear_highlights()
    doc.set_layer_visible(est.id, True)
    assert canvas.layer_item(est.id).opacity() == 1.0


def test_categorical_and_numeric_columns_get_classes(doc):
    from districtplanner.ui.map.styling import CATEGORY_COLOURS, OTHER_COLOUR, layer_classes

    rng = np.random.default_rng(5)
    kinds = rng.choice([f"type{i}" for i in range(10)], 500)
    inst = gpd.GeoDataFrame({"type": kinds, "visitors": rng.uniform(0, 1, 500)},
                            geometry=gpd.points_from_xy(rng.uniform(0, 1, 500),
                                                        rng.uniform(0, 1, 500)), crs=CRS)
    layer = Layer("Institutions", LayerRole.INSTITUTIONS, inst, mapping={"type": "type"},
                  style=LayerStyle(colour_by="type"))
    c = layer_classes(layer)
    assert c.kind == "category" and len(c.colours) == len(CATEGORY_COLOURS) + 1
    assert c.colours[-1] == OTHER_COLOUR
    # The two rarest of ten types fall in "other", the rest keep their own class.
    other = c.codes == len(CATEGORY_COLOURS)
    assert set(kinds[other]) == set(c.labels[:-1]) ^ set(kinds) and other.any()
    layer.style = LayerStyle(colour_by="visitors", colormap="viridis")
    c = layer_classes(layer)
    assert c.kind == "value"
    counts = np.bincount(c.codes)
    assert len(counts) == 5 and counts.min() >= 99  # quantile classes hold a fifth each


def test_scale_bar_sits_inside_the_map_corner():
    from districtplanner.ui.map.scale_bar import paint_scale_bar

    img = QtGui.QImage(400, 300, QtGui.QImage.Format.Format_ARGB32)
    img.fill(QtGui.QColor("#F5F4EF"))
    p = QtGui.QPainter(img)
    plate = paint_scale_bar(p, QtCore.QRect(0, 0, 400, 300), metres_per_px=3.0)
    p.end()
    assert QtCore.QRectF(0, 0, 400, 300).contains(plate)
    assert plate.left() < 50 and plate.bottom() > 250  # lower left
    # 3 m/px: a 200 m bar is 66.7 px, the plate around it wider still.
    assert plate.width() >= 200 / 3.0
    bar = img.pixel(int(plate.left()) + 12, int(plate.bottom()) - 13)
    assert QtGui.QColor(bar).lightness() < 80


def test_a_one_point_layer_draws_its_whole_dot(canvas, doc):
    stop = gpd.GeoDataFrame({"name": ["Central"]},
                            geometry=gpd.points_from_xy([X0 + 1500.0], [Y0 + 1200.0]), crs=CRS)
    doc.add_layer(Layer("Stop", LayerRole.TRANSIT_STOPS, stop,
                        style=LayerStyle(colour="#0000FF", size=9.0)))
    img = settle(canvas)
    p = canvas.screen_point(X0 + 1500.0, Y0 + 1200.0)
    blue = 0
    for dx in range(-6, 7):
        for dy in range(-6, 7):
            c = QtGui.QColor(img.pixel(p.x() + dx, p.y() + dy))
            blue += c.blue() > 200 and c.red() < 80 and c.green() < 80
    # A 9 px round dot covers about 64 pixels (pi * 4.5^2).
    assert 45 <= blue <= 90


def test_a_previewed_district_is_drawn_where_it_now_is(canvas, doc):
    """The district overlays are cached; a new shape must replace the cached picture."""
    for la in doc.layers:
        doc.set_layer_visible(la.id, False)
    d = doc.districts[0]
    settle(canvas)

    def edge_is_drawn(x: float, y: float) -> bool:
        img = settle(canvas)
        p = canvas.screen_point(x, y)
        colours = [QtGui.QColor(img.pixel(p.x() + dx, p.y())) for dx in range(-2, 3)]
        return any(c.red() > 150 and c.blue() < 80 for c in colours)  # #D55E00 outline

    assert edge_is_drawn(X0 + 300, Y0 + 500)
    canvas.preview_district(d.id, shapely.box(X0 + 1300, Y0 + 300, X0 + 1900, Y0 + 700))
    assert edge_is_drawn(X0 + 1300, Y0 + 500)
    assert not edge_is_drawn(X0 + 300, Y0 + 500)
    canvas.preview_district(d.id, None)
    assert edge_is_drawn(X0 + 300, Y0 + 500)
