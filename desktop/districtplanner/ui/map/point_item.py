"""One item per point layer that stays fast at a million points (DESIGN.md, "Speed by design").

When many points are visible the item paints a density image: the points binned per screen
pixel (``np.bincount``), coloured by the mean class colour (or a colour map of the count),
with opacity rising with the count. The image covers the view plus a margin and is reused
while the scale stays the same, so a pan frame is one image blit. When few points are
visible they are drawn for real: culled through the cell-sorted PointGrid, one cosmetic pen
per class, ``QPainter.drawPoints`` from a QPolygonF filled through a numpy view of its
memory. Never one graphics item per feature, never per-point pens.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph import functions as fn
from PySide6 import QtCore, QtGui

from districtplanner.ui.map.point_grid import PointGrid

#: Above this many points in view the layer draws as a density image.
DENSITY_THRESHOLD = 50_000
#: Up to this many points in view the dots are round (and ringed when the style has a
#: fill); above it they are squares, since Qt's round caps cost ~5x more per point.
ROUND_LIMIT = 5_000

Rect = tuple[float, float, float, float]


def _rgb(colour: str | QtGui.QColor) -> tuple[int, int, int]:
    c = QtGui.QColor(colour)
    return c.red(), c.green(), c.blue()


def colormap_lut(name: str, n: int = 256) -> np.ndarray:
    """``n`` x 3 uint8 colours of the pyqtgraph colour map ``name`` (viridis if unknown)."""
    try:
        cmap = pg.colormap.get(name)
    except (FileNotFoundError, KeyError, ValueError):
        cmap = pg.colormap.get("viridis")
    lut = cmap.getLookupTable(0.0, 1.0, n, alpha=False)
    return np.asarray(lut, dtype=np.uint8)[:, :3]


class PointLayerItem(pg.GraphicsObject):
    """Draws the points (x, y in metres) of one layer, with ``classes[i]`` indexing
    ``class_colours`` ('#rrggbb'); without classes every point takes ``colour``.

    ``size`` is the dot diameter in screen pixels; ``threshold`` the visible-point count
    above which the density image is used. ``mode`` says which of 'density', 'points' or
    'empty' (nothing in view) the current view is drawn with.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, classes: np.ndarray | None = None,
                 class_colours: list[str] | None = None, colour: str = "#444444",
                 size: float = 3.0, colormap: str = "viridis", fill: str = "",
                 threshold: int = DENSITY_THRESHOLD, parent: QtCore.QObject | None = None
                 ) -> None:
        super().__init__(parent)
        self.grid = PointGrid(x, y, classes)
        #: Per-row x, y and sector codes of the layer (set by the canvas), for highlights.
        self.xy: tuple[np.ndarray, np.ndarray] = (np.asarray(x), np.asarray(y))
        self.sector_codes: np.ndarray | None = None
        self._threshold = int(threshold)
        self._painted_mode = "empty"
        self.paint_count = 0
        self._size = float(size)
        self._colour = colour
        self._fill = fill
        self._colormap = colormap
        self._class_colours = list(class_colours) if class_colours else None
        self._tile: dict | None = None
        self._make_pens()

    # ----------------------------------------------------------------------- style
    def _make_pens(self) -> None:
        colours = self._class_colours or [self._colour]

        def pen(colour: str, width: float, cap: QtCore.Qt.PenCapStyle) -> QtGui.QPen:
            p = QtGui.QPen(QtGui.QColor(colour), max(width, 1.0))
            p.setCosmetic(True)
            p.setCapStyle(cap)
            return p

        round_, square = QtCore.Qt.PenCapStyle.RoundCap, QtCore.Qt.PenCapStyle.SquareCap
        self._pens = [pen(c, self._size, square) for c in colours]
        self._round_pens = [pen(c, self._size, round_) for c in colours]
        # A ring: the class colour as the outer dot, the fill colour inside it.
        self._inner_pen = (pen(self._fill, self._size - 3.0, round_)
                           if self._fill and self._size > 4 else None)
        rgb = np.array([_rgb(c) for c in colours], dtype=np.float64)
        self._class_rgb = rgb
        self._lut = colormap_lut(self._colormap)

    def set_style(self, colour: str, size: float, class_colours: list[str] | None,
                  colormap: str, fill: str = "") -> None:
        """Change colours or dot size (pixels) without rebuilding the grid."""
        self._colour, self._size, self._colormap = colour, float(size), colormap
        self._fill = fill
        self._class_colours = list(class_colours) if class_colours else None
        self._make_pens()
        self._tile = None
        self.update()

    @property
    def threshold(self) -> int:
        """Visible-point count above which the layer draws as a density image."""
        return self._threshold

    @threshold.setter
    def threshold(self, value: int) -> None:
        self._threshold = int(value)
        self.update()

    # ------------------------------------------------------------------- geometry
    def boundingRect(self) -> QtCore.QRectF:
        # The data extent plus a dot and a half in screen pixels, so the edge dots (or
        # the only dot of a one-point layer) are not clipped by Qt's item cache.
        x0, y0, x1, y1 = self.grid.bounds
        px = self.pixelWidth() if self.getViewBox() is not None else 0.0
        pad = max((1.5 * self._size + 2.0) * (px or 0.0), 1e-6 * max(x1 - x0, y1 - y0, 1.0))
        return QtCore.QRectF(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad)

    def viewTransformChanged(self) -> None:
        """pyqtgraph hook: the pixel padding of the bounds changes with the zoom."""
        self.prepareGeometryChange()

    def data_bounds(self) -> Rect:
        """(xmin, ymin, xmax, ymax) of the points in metres."""
        return self.grid.bounds

    @property
    def mode(self) -> str:
        """'density', 'points' or 'empty' for the view the item is in now (or as last
        painted when it is in no view)."""
        vb = self.getViewBox()
        view = self.mapRectFromView(vb.viewRect()) if vb is not None else None
        if view is None:
            return self._painted_mode
        return self.mode_for((view.left(), view.top(), view.right(), view.bottom()))

    def mode_for(self, rect: Rect) -> str:
        """The drawing mode for a visible rectangle (metres)."""
        n = self.grid.count_in(rect)
        if n == 0:
            return "empty"
        return "density" if n > self.threshold else "points"

    def nearest(self, x: float, y: float, tolerance: float) -> int | None:
        """Data row of the point nearest (x, y) within ``tolerance`` metres."""
        return self.grid.nearest(x, y, tolerance)

    # ---------------------------------------------------------------------- paint
    def paint(self, painter: QtGui.QPainter, option: object, widget: object = None) -> None:
        self.paint_count += 1
        t = painter.worldTransform()
        sx, sy = t.m11(), t.m22()
        if sx == 0 or sy == 0:
            return
        inv, ok = t.inverted()
        if not ok:
            return
        dev = painter.device()
        dpr = dev.devicePixelRatioF() or 1.0  # the transform is in device-independent pixels
        dev_rect = QtCore.QRectF(0, 0, dev.width() / dpr, dev.height() / dpr)
        vis = inv.mapRect(dev_rect)
        rect = (vis.left(), vis.top(), vis.right(), vis.bottom())
        mode = self._painted_mode = self.mode_for(rect)
        if mode == "density":
            self._paint_density(painter, t, rect, dev_rect)
        elif mode == "points":
            pad = self._size / abs(sx)
            self._paint_points(painter, (rect[0] - pad, rect[1] - pad,
                                         rect[2] + pad, rect[3] + pad))

    def _paint_points(self, painter: QtGui.QPainter, rect: Rect) -> None:
        g = self.grid
        idx = g.gather(rect, exact=False)
        if not len(idx):
            return
        cls = g.classes[idx]
        round_dots = len(idx) <= ROUND_LIMIT
        pens = self._round_pens if round_dots else self._pens
        present = np.flatnonzero(np.bincount(cls, minlength=len(pens)))
        for k in present:
            sel = idx if len(present) == 1 else idx[cls == k]
            poly = fn.create_qpolygonf(len(sel))
            arr = fn.ndarray_from_qpolygonf(poly)
            arr[:, 0] = g.x[sel]
            arr[:, 1] = g.y[sel]
            painter.setPen(pens[min(int(k), len(pens) - 1)])
            painter.drawPoints(poly)
            if round_dots and self._inner_pen is not None:
                painter.setPen(self._inner_pen)
                painter.drawPoints(poly)

    def _paint_density(self, painter: QtGui.QPainter, t: QtGui.QTransform, rect: Rect,
                       dev_rect: QtCore.QRectF) -> None:
        px = 1.0 / abs(t.m11())  # metres per device pixel
        tile = self._tile
        if (tile is None or abs(tile["px"] - px) > 1e-9 * px
                or not _covers(tile["rect"], rect, self.grid.bounds)):
            tile = self._tile = self._make_tile(rect, px)
        if tile["image"] is None:
            return
        origin = t.map(QtCore.QPointF(tile["x0"], tile["y1"]))
        painter.save()
        painter.resetTransform()
        painter.drawImage(QtCore.QPointF(round(origin.x()), round(origin.y())), tile["image"])
        painter.restore()

    def _make_tile(self, rect: Rect, px: float) -> dict:
        """Bin the points around the view (plus half a view on each side) at ``px`` metres
        per pixel into a premultiplied RGBA image."""
        g = self.grid
        w, h = rect[2] - rect[0], rect[3] - rect[1]
        bx0, by0, bx1, by1 = g.bounds
        tx0 = max(rect[0] - 0.5 * w, bx0 - px)
        ty0 = max(rect[1] - 0.5 * h, by0 - px)
        tx1 = min(rect[2] + 0.5 * w, bx1 + px)
        ty1 = min(rect[3] + 0.5 * h, by1 + px)
        covered = (tx0, ty0, tx1, ty1)
        W = int(np.ceil((tx1 - tx0) / px)) + 1
        H = int(np.ceil((ty1 - ty0) / px)) + 1
        empty = {"px": px, "rect": covered, "x0": tx0, "y1": ty1, "image": None, "array": None}
        if W <= 0 or H <= 0:
            return empty
        slices = g.slices_in(covered)
        if not slices:
            return empty
        if len(slices) == 1:
            xs, ys, cs = g.x[slices[0]], g.y[slices[0]], g.classes[slices[0]]
        else:
            xs = np.concatenate([g.x[s] for s in slices])
            ys = np.concatenate([g.y[s] for s in slices])
            cs = np.concatenate([g.classes[s] for s in slices])
        inv = 1.0 / px
        # In place, to spare a million-element temporary per step.
        fi = xs - tx0
        fi *= inv
        i = fi.astype(np.int64)
        fj = ty1 - ys
        fj *= inv
        j = fj.astype(np.int64)
        if len(slices) > 1 or tx0 > bx0 or ty0 > by0 or tx1 < bx1 or ty1 < by1:
            keep = (i >= 0) & (i < W) & (j >= 0) & (j < H)
            if not keep.all():
                i, j, cs = i[keep], j[keep], cs[keep]
        flat = j
        flat *= W
        flat += i
        counts = np.bincount(flat, minlength=W * H)
        nz = np.flatnonzero(counts)
        rgba = np.zeros((H * W, 4), dtype=np.uint8)
        if len(nz):
            c = counts[nz].astype(np.float64)
            ref = max(float(np.percentile(c, 99)), 2.0)
            level = np.clip(np.log1p(c) / np.log1p(ref), 0.0, 1.0)
            alpha = 0.45 + 0.55 * level
            if self._class_colours and len(self._class_rgb) > 1:
                # The mean colour of the classes in the pixel, darkened where dense so
                # clusters read at a glance.
                rgb = np.empty((len(nz), 3))
                for ch in range(3):
                    weights = np.take(self._class_rgb[:, ch], cs)
                    s = np.bincount(flat, weights=weights, minlength=W * H)
                    rgb[:, ch] = s[nz] / c
                rgb *= (1.0 - 0.55 * level)[:, None]
            elif self._class_colours:
                rgb = self._class_rgb[0] * (1.0 - 0.55 * level)[:, None]
            else:
                rgb = self._lut[(level * (len(self._lut) - 1)).astype(np.int64)].astype(float)
            rgba[nz, :3] = (rgb * alpha[:, None]).astype(np.uint8)
            rgba[nz, 3] = (alpha * 255).astype(np.uint8)
        arr = rgba.reshape(H, W, 4)
        image = QtGui.QImage(arr.data, W, H, W * 4,
                             QtGui.QImage.Format.Format_RGBA8888_Premultiplied)
        return {"px": px, "rect": covered, "x0": tx0, "y1": ty1, "image": image,
                "array": arr, "counts": counts.reshape(H, W)}


def _covers(tile: Rect, view: Rect, data: Rect) -> bool:
    """True when ``tile`` holds every part of ``view`` that has data in it."""
    need = (max(view[0], data[0]), max(view[1], data[1]),
            min(view[2], data[2]), min(view[3], data[3]))
    if need[0] > need[2] or need[1] > need[3]:
        return True
    return (tile[0] <= need[0] and tile[1] <= need[1]
            and tile[2] >= need[2] and tile[3] >= need[3])
