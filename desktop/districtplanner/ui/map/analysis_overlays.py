"""Analysis results painted on the map: the Gi* hot-spot surface of creative jobs and the
displacement-risk class of each neighbourhood. Each is one item above the base layers and
below the districts; the hot-spot surface is computed in a worker (it is the slow figure)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPen, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from districtplanner.analysis.hotspots import HotspotSurface, compute_surface
from districtplanner.analysis.roles import LayerRole
from districtplanner.model.document import Document
from districtplanner.ui import theme
from districtplanner.ui.map.overlay import Z_HIGHLIGHT
from districtplanner.ui.map.polygon_item import geometry_path
from districtplanner.ui.recompute import MetricsBundle, Recompute

# Gi* class -> RGBA: cold spots blue, hot spots red (ColorBrewer RdBu), not significant clear.
GI_COLOURS = {
    -3: (33, 102, 172, 170), -2: (103, 169, 207, 150), -1: (209, 229, 240, 120),
    0: (0, 0, 0, 0),
    1: (253, 219, 199, 130), 2: (239, 138, 98, 160), 3: (178, 24, 43, 185),
}
Z_ANALYSIS = Z_HIGHLIGHT - 100


def gi_rgba(gi_class: np.ndarray) -> np.ndarray:
    """(rows, cols, 4) uint8 image of Gi* classes."""
    lut = np.zeros((7, 4), np.uint8)
    for k, rgba in GI_COLOURS.items():
        lut[k + 3] = rgba
    return lut[np.clip(gi_class.astype(int), -3, 3) + 3]


class AnalysisOverlays(QObject):
    """Owns the hot-spot and risk items on ``canvas``; toggled by the panels' check boxes."""

    hotspots_ready = Signal(object)  # HotspotSurface
    changed = Signal()
    _arrived_signal = Signal(object, object)  # from the worker thread, queued to the GUI

    def __init__(self, canvas, document: Document, recompute: Recompute,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.document = document
        self.recompute = recompute
        self.surface: HotspotSurface | None = None
        self._surface_key: tuple | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotspots")
        self._pending: Future | None = None
        self.hotspot_item = pg.ImageItem()
        self.hotspot_item.setZValue(Z_ANALYSIS)
        # Cached like the base layers, so dragging a district over them repaints nothing here.
        self.hotspot_item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.hotspot_item.hide()
        canvas.vb.addItem(self.hotspot_item, ignoreBounds=True)
        self.risk_items: dict[str, QGraphicsPathItem] = {}
        for cls, colour in theme.RISK_COLOURS.items():
            item = QGraphicsPathItem()
            c = QColor(colour)
            c.setAlpha(150)
            item.setBrush(QBrush(c))
            pen = QPen(QColor("#7A5A3A"))
            pen.setCosmetic(True)
            pen.setWidthF(0.8)
            item.setPen(pen)
            item.setZValue(Z_ANALYSIS - 1)
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            item.setToolTip(f"Displacement risk: {cls}")
            item.hide()
            canvas.vb.addItem(item, ignoreBounds=True)
            self.risk_items[cls] = item
        self.show_hotspots = False
        self.show_risk = False
        recompute.metrics_ready.connect(self._metrics)
        recompute.index_ready.connect(self._invalidate_surface)
        document.assumptions_changed.connect(lambda _a: self._invalidate_surface())
        self.hotspots_ready.connect(self._draw_surface)
        self._arrived_signal.connect(self._arrived, Qt.ConnectionType.QueuedConnection)

    def visible(self, name: str) -> bool:
        if name == "hotspots":
            return self.hotspot_item.isVisible()
        if name == "risk":
            return any(it.isVisible() for it in self.risk_items.values())
        raise KeyError(name)

    # ---------------------------------------------------------------- hot spots
    def set_hotspots(self, on: bool) -> None:
        self.show_hotspots = on
        if not on:
            self.hotspot_item.hide()
            self.changed.emit()
            return
        self._request_surface()

    def _key(self) -> tuple:
        a = self.document.assumptions
        return (id(self.recompute.index), a.hotspot_cell_m, a.kde_bandwidth_m, a.gi_distance_m)

    def _invalidate_surface(self) -> None:
        if self._surface_key != self._key():
            self.surface = None
            if self.show_hotspots:
                self._request_surface()

    def _request_surface(self) -> None:
        index = self.recompute.index
        if index is None:
            return
        key = self._key()
        if self.surface is not None and self._surface_key == key:
            self._draw_surface(self.surface)
            return
        fut = self._pool.submit(compute_surface, index, self.document.assumptions)
        self._pending = fut

        fut.add_done_callback(lambda f, key=key: self._arrived_signal.emit(f, key))

    def _arrived(self, fut: Future, key: tuple) -> None:
        if fut is not self._pending:
            return
        self._pending = None
        if fut.exception() is not None:
            return
        self.surface = fut.result()
        self._surface_key = key
        self.hotspots_ready.emit(self.surface)

    def wait(self, timeout: float = 60.0) -> None:
        """Block until a pending surface is computed (tests and screenshots)."""
        fut = self._pending
        if fut is not None:
            fut.result(timeout=timeout)
            self._arrived(fut, self._key())

    def _draw_surface(self, surface: HotspotSurface) -> None:
        if not self.show_hotspots:
            return
        a, _, c, _, e, f = surface.transform
        # ImageItem indexes [x, y]; our rows run north to south.
        self.hotspot_item.setImage(gi_rgba(surface.gi_class).transpose(1, 0, 2)[:, ::-1],
                                   autoLevels=False)
        rows = surface.gi_class.shape[0]
        tr = QTransform()
        tr.translate(c, f + e * rows)
        tr.scale(a, -e)
        self.hotspot_item.setTransform(tr)
        self.hotspot_item.show()
        self.changed.emit()

    # --------------------------------------------------------------------- risk
    def set_risk(self, on: bool) -> None:
        self.show_risk = on
        if self.recompute.latest is not None:
            self._metrics(self.recompute.latest)
        if not on:
            for it in self.risk_items.values():
                it.hide()
        self.changed.emit()

    def _metrics(self, bundle: MetricsBundle) -> None:
        if not self.show_risk:
            return
        layer = self.document.first_layer(LayerRole.NEIGHBOURHOODS)
        if layer is None:
            return
        geoms = np.asarray(layer.data.geometry.values)
        classes = neighbourhood_classes(bundle, len(geoms))
        for cls, item in self.risk_items.items():
            picked = [geoms[i] for i in np.flatnonzero(classes == cls)]
            item.setPath(geometry_path(picked))
            item.setVisible(bool(picked))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def neighbourhood_classes(bundle: MetricsBundle, n: int) -> np.ndarray:
    """Risk class per neighbourhood row: the active district's figure where it touches a
    neighbourhood (plan pressure included), the whole-city figure elsewhere."""
    out = np.array([""] * n, dtype=object)
    for source in (bundle.baseline, bundle.active):
        if source is None:
            continue
        for nb in source.affordability.neighbourhoods:
            if 0 <= nb.row < n:
                out[nb.row] = nb.risk_class
    return out
