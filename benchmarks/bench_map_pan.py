"""Pan a 1,000,000-point layer offscreen at 1600x1000 and report frames per second.

Runs our PointLayerItem (density image when many points are visible, culled real points
when few) and pyqtgraph's ScatterPlotItem (pxMode, one brush: the plain pyqtgraph way) in
the same process on the same points, panning 16 screen pixels per frame with exactly one
synchronous paint per frame (counted with an event filter). Two zoom levels: the whole city
(density mode) and a close-up (points mode when under 50,000 points are in view). The
MapCanvas rows also time dragging a district vertex with the edit tool: from the mouse-move
event to the repainted map, with the base layers served from their caches.

With ``--city DIR`` (a folder made by ``district-planner make-sample-city --out DIR
--establishments 1000000``) the points are that city's establishments and the MapCanvas
rows draw the whole document (rents, neighbourhoods, transit, institutions, districts).
Without it a seeded clustered point set stands in.

    .venv/bin/python benchmarks/bench_map_pan.py [--city DIR] [--points 1000000] [--frames 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from districtplanner.analysis.sectors import CREATIVE_SECTORS, SECTOR_COLOURS
from districtplanner.ui.map.point_item import PointLayerItem

CITY_M = 12_000.0  # side of the synthetic city, metres


def synthetic_points(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A clustered city: 60 % in 25 Gaussian clusters, 40 % uniform background; classes
    0-9 (nine creative sectors and non-creative, 80 % non-creative)."""
    rng = np.random.default_rng(seed)
    n_cl = int(n * 0.6)
    centres = rng.uniform(0.15 * CITY_M, 0.85 * CITY_M, size=(25, 2))
    spread = rng.uniform(150, 900, size=25)
    which = rng.integers(0, 25, n_cl)
    xy_cl = centres[which] + rng.normal(size=(n_cl, 2)) * spread[which, None]
    xy_bg = rng.uniform(0, CITY_M, size=(n - n_cl, 2))
    xy = np.vstack([xy_cl, xy_bg]) + np.array([500_000.0, 5_700_000.0])
    classes = np.where(rng.random(n) < 0.8, 9, rng.integers(0, 9, n)).astype(np.int16)
    return xy[:, 0], xy[:, 1], classes


def make_view(item: pg.GraphicsObject, w: int, h: int) -> tuple[pg.GraphicsView, pg.ViewBox]:
    view = pg.GraphicsView(background="#F4F3EF")
    vb = pg.ViewBox(lockAspect=True, enableMenu=False)
    view.setCentralItem(vb)
    vb.addItem(item)
    view.resize(w, h)
    view.show()
    QtWidgets.QApplication.processEvents()
    return view, vb


def city_points(folder: str) -> tuple[object, np.ndarray, np.ndarray, np.ndarray]:
    """The document of a generated city and its establishments' x, y and sector codes."""
    from pathlib import Path

    from districtplanner.analysis.roles import LayerRole
    from districtplanner.analysis.sectors import sector_codes
    from districtplanner.io.sample import load_sample_city
    from districtplanner.model.build import document_from_loaded
    from districtplanner.ui.map.styling import point_xy

    doc = document_from_loaded(load_sample_city(Path(folder)), title=Path(folder).name)
    est = doc.first_layer(LayerRole.ESTABLISHMENTS)
    assert est is not None, f"{folder} has no establishments layer"
    x, y = point_xy(est.data)
    return doc, x, y, sector_codes(est.data[est.mapping["sector"]].to_numpy())


def map_canvas(x: np.ndarray, y: np.ndarray, classes: np.ndarray, w: int, h: int,
               doc: object = None) -> pg.GraphicsView:
    """A MapCanvas over ``doc``, or over a document holding the points as an
    establishments layer."""
    import geopandas as gpd

    from districtplanner.analysis.roles import LayerRole
    from districtplanner.model.document import Document
    from districtplanner.model.layer import Layer, LayerStyle
    from districtplanner.ui.map.canvas import MapCanvas

    if doc is None:
        sectors = np.array([*CREATIVE_SECTORS, "retail"])[classes]
        gdf = gpd.GeoDataFrame({"sector": sectors}, geometry=gpd.points_from_xy(x, y),
                               crs="EPSG:32633")
        doc = Document(crs="EPSG:32633")
        doc.add_layer(Layer("establishments", LayerRole.ESTABLISHMENTS, gdf,
                            mapping={"sector": "sector"},
                            style=LayerStyle(size=3, colour_by="sector")))
    canvas = MapCanvas(doc)
    canvas.resize(w, h)
    canvas.show()
    QtWidgets.QApplication.processEvents()
    return canvas


def drag_vertex_ms(canvas: pg.GraphicsView, cx: float, cy: float, frames: int
                   ) -> tuple[float, float]:
    """Median and 95th percentile (ms) from a mouse-move event to the repainted viewport,
    dragging a vertex of a 2 km district with the edit tool over the whole-city view."""
    import shapely
    from PySide6 import QtGui

    from districtplanner.model.district import District

    doc = canvas.document
    d = doc.add_district(District("Bench", shapely.box(cx - 1000, cy - 1000, cx + 1000,
                                                       cy + 1000)))
    doc.selection.set_active_district(d.id)
    canvas.zoom_to_all()
    canvas.set_tool("edit")
    canvas.viewport().repaint()
    QtWidgets.QApplication.processEvents()

    def send(kind: QtCore.QEvent.Type, x: float, y: float, buttons: object) -> None:
        pos = QtCore.QPointF(canvas.screen_point(x, y))
        ev = QtGui.QMouseEvent(kind, pos, canvas.viewport().mapToGlobal(pos),
                               QtCore.Qt.MouseButton.LeftButton, buttons,
                               QtCore.Qt.KeyboardModifier.NoModifier)
        QtWidgets.QApplication.sendEvent(canvas.viewport(), ev)

    edits: list[bool] = []
    canvas.district_edited.connect(lambda _i, _g, finished: edits.append(finished))
    base_paints = canvas.base_paint_count()
    left = QtCore.Qt.MouseButton.LeftButton
    counter = PaintCounter(canvas.viewport())
    send(QtCore.QEvent.Type.MouseButtonPress, cx + 1000, cy + 1000, left)
    QtWidgets.QApplication.processEvents()
    painted = counter.count
    times = []
    for k in range(frames):
        t0 = time.perf_counter()
        send(QtCore.QEvent.Type.MouseMove, cx + 1000 + 8 * k, cy + 1000 + 5 * k, left)
        frame(canvas, counter)
        times.append((time.perf_counter() - t0) * 1000)
    send(QtCore.QEvent.Type.MouseButtonRelease, cx + 1000 + 8 * frames, cy + 1000,
         QtCore.Qt.MouseButton.NoButton)
    # The measurement is only valid if the drag really edited and the base stayed cached.
    assert counter.count - painted == frames, "expected one paint per mouse move"
    assert edits.count(False) == frames and edits[-1], "the vertex was not dragged"
    assert canvas.base_paint_count() == base_paints, "base layers repainted during the drag"
    return statistics.median(times), float(np.percentile(times, 95))


class PaintCounter(QtCore.QObject):
    """Counts paint events of a widget, so each frame is painted exactly once."""

    def __init__(self, widget: QtWidgets.QWidget) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, obj: QtCore.QObject, ev: QtCore.QEvent) -> bool:
        if ev.type() == QtCore.QEvent.Type.Paint:
            self.count += 1
        return False


def frame(view: pg.GraphicsView, counter: PaintCounter) -> None:
    """Deliver the pending update; paint synchronously if it did not paint by itself."""
    before = counter.count
    QtWidgets.QApplication.processEvents()
    if counter.count == before:
        view.viewport().repaint()


def pan_fps(view: pg.GraphicsView, vb: pg.ViewBox, rect: tuple[float, float, float, float],
            frames: int) -> tuple[float, float]:
    """Frames per second and median frame time (ms) panning by 16 screen pixels per frame
    (30 frames right, 30 left), one paint per frame."""
    x0, y0, x1, y1 = rect
    vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
    counter = PaintCounter(view.viewport())
    view.viewport().repaint()
    QtWidgets.QApplication.processEvents()
    step = 16 * vb.viewPixelSize()[0]
    times = []
    painted = counter.count
    start = time.perf_counter()
    for k in range(frames):
        t0 = time.perf_counter()
        vb.translateBy(x=step if (k // 30) % 2 == 0 else -step)
        frame(view, counter)
        times.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    assert counter.count - painted == frames, "expected one paint per frame"
    return frames / total, statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--size", default="1600x1000")
    ap.add_argument("--city", help="a city folder from make-sample-city to pan instead")
    ap.add_argument("--skip-scatter", action="store_true",
                    help="do not run ScatterPlotItem (slow: about 0.3 s per frame)")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    _app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    doc = None
    if args.city:
        doc, x, y, classes = city_points(args.city)
    else:
        x, y, classes = synthetic_points(args.points)
    colours = [SECTOR_COLOURS[s] for s in CREATIVE_SECTORS] + [SECTOR_COLOURS["non_creative"]]
    whole = (x.min(), y.min(), x.max(), y.max())
    cx, cy = float(np.median(x)), float(np.median(y))
    close = (cx - 700, cy - 440, cx + 700, cy + 440)

    t0 = time.perf_counter()
    ours = PointLayerItem(x, y, classes, colours, size=3)
    build_ms = (time.perf_counter() - t0) * 1000
    view, vb = make_view(ours, w, h)
    rows = []
    for label, rect in (("whole city", whole), ("close-up", close)):
        fps, med = pan_fps(view, vb, rect, args.frames)
        rows.append((f"PointLayerItem, {label} ({ours.mode})", fps, med))
    view.close()

    # The same layer inside the real MapCanvas (document, cached base items, scale bar).
    canvas = map_canvas(x, y, classes, w, h, doc)
    est = canvas.layer_item(next(la.id for la in canvas.document.layers
                                 if la.role == "establishments"))
    what = "whole document" if doc is not None else "one layer"
    for label, rect in (("whole city", whole), ("close-up", close)):
        fps, med = pan_fps(canvas, canvas.vb, rect, args.frames)
        rows.append((f"MapCanvas ({what}), {label} ({est.mode})", fps, med))
    drag = drag_vertex_ms(canvas, cx, cy, args.frames)
    canvas.close()

    if not args.skip_scatter:
        scatter = pg.ScatterPlotItem(x=x, y=y, pxMode=True, size=3, pen=None,
                                     brush=pg.mkBrush("#444444"))
        view, vb = make_view(scatter, w, h)
        frames = max(5, args.frames // 6)
        for label, rect in (("whole city", whole), ("close-up", close)):
            fps, med = pan_fps(view, vb, rect, frames)
            rows.append((f"ScatterPlotItem (pxMode, one brush), {label}", fps, med))
        view.close()

    source = f"establishments of {args.city}" if args.city else "synthetic points"
    print(f"{len(x):,} points ({source}), {w}x{h} offscreen, grid build {build_ms:.0f} ms")
    print(f"MapCanvas, dragging a district vertex over the whole city: median "
          f"{drag[0]:.1f} ms, p95 {drag[1]:.1f} ms per mouse move (event to repainted map)")
    print(f"{'item':<58} {'fps':>7} {'median ms':>10}")
    for name, fps, med in rows:
        print(f"{name:<58} {fps:7.1f} {med:10.1f}")


if __name__ == "__main__":
    main()
