"""The plan's maps, drawn as vectors straight into the PDF painter.

Polygons and lines become painter paths (clipped to the map and simplified to a quarter of
a point at print scale, so a page never carries vertices no printer can show); points
become round dots, one pen per class. A point layer with more dots in view than a reader
could tell apart is drawn as a density image at print resolution and labelled so in the
legend; rasters (rents, basemaps) are images by nature. Nothing else is ever rasterised.

Why not ``QGraphicsScene.render`` of the app's canvas: the canvas draws dense layers as
screen-resolution density images and uses cosmetic pixel pens, both right on screen and
wrong on paper; drawing here from the same layers and styles keeps the map vector and
sized in points.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyqtgraph.functions import arrayToQPath, arrayToQPolygonF
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPolygonF

from districtplanner.analysis.raster import Raster
from districtplanner.analysis.roles import ROLE_LABELS, LayerRole
from districtplanner.analysis.sectors import SECTOR_LABELS
from districtplanner.model.district import District
from districtplanner.model.document import Document
from districtplanner.model.layer import Layer
from districtplanner.ui.map.point_item import colormap_lut
from districtplanner.ui.map.styling import layer_classes, point_xy
from districtplanner.ui.report.fonts import font
from districtplanner.ui.report.page import INK, MUTED, PlanCanvas

# Above this many dots in view a point layer is drawn as a density image: beyond it dots
# merge into a grey mass on paper and the PDF grows by megabytes for nothing.
DENSE_POINTS = 6000
DENSITY_DPI = 200
# Dot diameter on paper per unit of the on-screen style size (pixels at ~96 dpi).
POINT_PT_PER_PX = 0.45

Extent = tuple[float, float, float, float]


@dataclass
class LegendEntry:
    """One legend row: ``kind`` is 'fill', 'line', 'point' or 'image'."""

    label: str
    kind: str
    colour: str
    fill: str = ""
    width_pt: float = 0.6


@dataclass
class DrawnMap:
    """What was drawn: the legend rows and the scale (device units per metre)."""

    legend: list[LegendEntry]
    scale: float
    extent: Extent
    density_layers: list[str]


def fit_extent(extent: Extent, rect: QRectF, pad: float = 0.04) -> Extent:
    """``extent`` grown by ``pad`` on each side and to the aspect of ``rect``."""
    x0, y0, x1, y1 = extent
    w = max(x1 - x0, 1.0)
    h = max(y1 - y0, 1.0)
    x0, x1 = x0 - w * pad, x1 + w * pad
    y0, y1 = y0 - h * pad, y1 + h * pad
    w, h = x1 - x0, y1 - y0
    aspect = rect.width() / rect.height()
    if w / h < aspect:
        grow = (h * aspect - w) / 2
        x0, x1 = x0 - grow, x1 + grow
    else:
        grow = (w / aspect - h) / 2
        y0, y1 = y0 - grow, y1 + grow
    return (x0, y0, x1, y1)


def document_extent(document: Document) -> Extent:
    """The plan's whole extent: every layer and district."""
    boxes = [la.bounds() for la in document.layers if la.visible]
    boxes += [d.geometry.bounds for d in document.districts]
    boxes = [b for b in boxes if all(math.isfinite(v) for v in b) and b[2] >= b[0]]
    if not boxes:
        return (0.0, 0.0, 1000.0, 1000.0)
    a = np.array(boxes, dtype=float)
    return (a[:, 0].min(), a[:, 1].min(), a[:, 2].max(), a[:, 3].max())


class MapDrawer:
    """Draws the layers and districts of ``document`` into rectangles of a canvas."""

    def __init__(self, canvas: PlanCanvas, document: Document) -> None:
        self.canvas = canvas
        self.document = document
        # Per layer id: point coordinates and classes, and the geometry kind, shared by
        # every map of one plan (a million sector names take longer to classify than a
        # page takes to draw, and a million geometry types ~0.15 s to name).
        self._point_cache: dict[str, tuple[np.ndarray, np.ndarray, Any]] = {}
        self._kinds: dict[str, str] = {}

    def _point_data(self, layer: Layer) -> tuple[np.ndarray, np.ndarray, Any]:
        cached = self._point_cache.get(layer.id)
        if cached is None:
            x, y = point_xy(layer.data)
            cached = (x, y, layer_classes(layer))
            self._point_cache[layer.id] = cached
        return cached

    # ----------------------------------------------------------------- the map
    def draw(self, rect: QRectF, extent: Extent, districts: list[District],
             focus: District | None = None) -> DrawnMap:
        p = self.canvas.painter
        assert p is not None
        ext = fit_extent(extent, rect, pad=0.0)
        scale = rect.width() / (ext[2] - ext[0])
        legend: list[LegendEntry] = []
        dense: list[str] = []
        p.save()
        p.setClipRect(rect)
        p.fillRect(rect, QColor("#FFFFFF"))
        for layer in self.document.layers:
            if not layer.visible or layer.role == LayerRole.DISTRICTS:
                continue
            if isinstance(layer.data, Raster):
                entry = self._raster(p, layer, rect, ext, scale)
            else:
                entry = self._vector(p, layer, rect, ext, scale, dense)
            legend += entry
        for d in districts:
            self._district(p, d, rect, ext, scale, focus)
        p.restore()
        p.setPen(self.canvas.pen(INK, 0.8))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect)
        if districts:
            legend.append(LegendEntry("Proposed district" if len(districts) == 1 else
                                      "Proposed districts", "fill",
                                      districts[0].colour if focus is None else focus.colour,
                                      _alpha(focus.colour if focus else districts[0].colour,
                                             0.18), 1.6))
        return DrawnMap(legend, scale, ext, dense)

    def _to_page(self, x: np.ndarray, y: np.ndarray, rect: QRectF, ext: Extent,
                 scale: float) -> tuple[np.ndarray, np.ndarray]:
        return (rect.left() + (x - ext[0]) * scale, rect.bottom() - (y - ext[1]) * scale)

    def _geoms(self, layer: Layer, ext: Extent, scale: float) -> np.ndarray:
        geoms = layer.data.geometry.to_numpy()
        geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
        if len(geoms) == 0:
            return geoms
        box = shapely.box(*ext)
        geoms = geoms[shapely.intersects(geoms, box)]
        geoms = shapely.clip_by_rect(geoms, *ext)
        # A quarter point on paper: below what a 1200 dpi printer can resolve.
        return shapely.simplify(geoms, self.canvas.pt(0.25) / scale, preserve_topology=True)

    def _path(self, geoms: np.ndarray, rect: QRectF, ext: Extent, scale: float,
              polygons: bool) -> QPainterPath:
        if polygons:
            parts = shapely.get_parts(geoms)
            parts = parts[shapely.get_type_id(parts) == 3]
            lines = shapely.get_rings(parts)
        else:
            lines = shapely.get_parts(shapely.get_parts(geoms))
            lines = lines[np.isin(shapely.get_type_id(lines), (1, 2))]
        if len(lines) == 0:
            return QPainterPath()
        coords, idx = shapely.get_coordinates(lines, return_index=True)
        x, y = self._to_page(coords[:, 0], coords[:, 1], rect, ext, scale)
        connect = np.ones(len(x), dtype=np.int32)
        connect[:-1] = idx[1:] == idx[:-1]
        connect[-1] = 0
        path = arrayToQPath(x, y, connect=connect)
        path.setFillRule(Qt.FillRule.OddEvenFill)
        return path

    def _vector(self, p: QPainter, layer: Layer, rect: QRectF, ext: Extent, scale: float,
                dense: list[str]) -> list[LegendEntry]:
        kind = self._kinds.get(layer.id)
        if kind is None:
            kind = self._kinds[layer.id] = layer.geometry_kind
        style = layer.style
        if kind == "point":
            return self._points(p, layer, rect, ext, scale, dense)
        geoms = self._geoms(layer, ext, scale)
        if len(geoms) == 0:
            return []
        polygons = kind == "polygon"
        path = self._path(geoms, rect, ext, scale, polygons)
        width = 0.5 if polygons else max(0.5, style.size * 0.35)
        p.setPen(self.canvas.pen(style.colour, width))
        fill = style.fill if polygons else ""
        # A translucent brush, not group opacity: opacity groups bloat and slow a PDF.
        p.setBrush(QBrush(_alpha(fill, style.opacity)) if fill else Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        return [LegendEntry(layer.name, "fill" if polygons else "line", style.colour,
                            _alpha(fill, style.opacity).name(QColor.NameFormat.HexArgb)
                            if fill else "", width)]

    def _points(self, p: QPainter, layer: Layer, rect: QRectF, ext: Extent, scale: float,
                dense: list[str]) -> list[LegendEntry]:
        gdf = layer.data
        assert isinstance(gdf, gpd.GeoDataFrame)
        x, y, classes = self._point_data(layer)
        inside = (x >= ext[0]) & (x <= ext[2]) & (y >= ext[1]) & (y <= ext[3])
        n = int(inside.sum())
        if n == 0:
            return []
        style = layer.style
        if n > DENSE_POINTS:
            self._density(p, x[inside], y[inside], style.colour, rect, ext)
            dense.append(layer.name)
            return [LegendEntry(f"{layer.name}: density of {n:,} points (image)", "image",
                                style.colour)]
        px, py = self._to_page(x[inside], y[inside], rect, ext, scale)
        dot = max(1.2, style.size * POINT_PT_PER_PX)
        entries: list[LegendEntry] = []
        outline = style.fill and style.fill.lower() != style.colour.lower()
        if classes is None:
            groups = [(np.ones(n, dtype=bool), style.fill or style.colour, layer.name)]
        else:
            codes = classes.codes[inside]
            groups = [(codes == k, colour, _class_label(classes.kind, label))
                      for k, (colour, label) in enumerate(zip(classes.colours, classes.labels,
                                                              strict=True))]
        for mask, colour, label in groups:
            if not mask.any():
                continue
            poly: QPolygonF = arrayToQPolygonF(px[mask], py[mask])
            if outline:
                p.setPen(self.canvas.pen(style.colour, dot + 0.8))
                p.drawPoints(poly)
            p.setPen(self.canvas.pen(colour, dot))
            p.drawPoints(poly)
            entries.append(LegendEntry(label if classes is not None else layer.name, "point",
                                       colour, style.colour if outline else "", dot))
        if classes is not None:
            entries.insert(0, LegendEntry(f"{layer.name} by {classes.kind}", "heading", ""))
        return entries

    def _density(self, p: QPainter, x: np.ndarray, y: np.ndarray, colour: str,
                 rect: QRectF, ext: Extent) -> None:
        w_in = rect.width() / self.canvas.pt(72)
        h_in = rect.height() / self.canvas.pt(72)
        nx = max(8, int(w_in * DENSITY_DPI))
        ny = max(8, int(h_in * DENSITY_DPI))
        # Bin indices and one bincount: a tenth of histogram2d's time at a million points.
        ix = np.clip(((x - ext[0]) * (nx / (ext[2] - ext[0]))).astype(np.intp), 0, nx - 1)
        iy = np.clip(((y - ext[1]) * (ny / (ext[3] - ext[1]))).astype(np.intp), 0, ny - 1)
        counts = np.bincount(iy * nx + ix, minlength=nx * ny).reshape(ny, nx)
        counts = counts[::-1]  # image rows run top down, y up
        level = np.log1p(counts)
        top = level.max() or 1.0
        alpha = np.clip(0.25 + 0.75 * level / top, 0, 1) * (counts > 0)
        c = QColor(colour)
        rgba = np.empty((ny, nx, 4), dtype=np.uint8)
        rgba[..., 0] = c.red()
        rgba[..., 1] = c.green()
        rgba[..., 2] = c.blue()
        rgba[..., 3] = (alpha * 255).astype(np.uint8)
        image = QImage(rgba.data, nx, ny, 4 * nx, QImage.Format.Format_RGBA8888).copy()
        p.drawImage(rect, image)

    def _raster(self, p: QPainter, layer: Layer, rect: QRectF, ext: Extent,
                scale: float) -> list[LegendEntry]:
        r = layer.data
        assert isinstance(r, Raster)
        a, _, c, _, e, f = r.transform
        rows, cols = r.values.shape
        # Only the cells in view, so a large raster costs what the page shows.
        c0 = max(0, math.floor((ext[0] - c) / a))
        c1 = min(cols, math.ceil((ext[2] - c) / a))
        r0 = max(0, math.floor((ext[3] - f) / e))
        r1 = min(rows, math.ceil((ext[1] - f) / e))
        if c1 <= c0 or r1 <= r0:
            return []
        values = r.values[r0:r1, c0:c1]
        if r.unit == "argb32":
            argb = np.ascontiguousarray(values.astype(np.uint32))
            image = QImage(argb.data, argb.shape[1], argb.shape[0], 4 * argb.shape[1],
                           QImage.Format.Format_ARGB32).copy()
            label = f"{layer.name} (basemap image)"
        else:
            finite = np.isfinite(values)
            if not finite.any():
                return []
            lo, hi = np.nanpercentile(values, [2, 98])
            values, finite = _bleed_rim(values, finite)
            t = np.clip((values - lo) / ((hi - lo) or 1.0), 0, 1)
            lut = colormap_lut(layer.style.colormap)
            idx = np.nan_to_num(t * (len(lut) - 1)).astype(int)
            rgba = np.empty((*values.shape, 4), dtype=np.uint8)
            rgba[..., :3] = lut[idx]
            rgba[..., 3] = np.where(finite, int(255 * layer.style.opacity * 0.6), 0)
            rgba = np.ascontiguousarray(rgba)
            image = QImage(rgba.data, rgba.shape[1], rgba.shape[0], 4 * rgba.shape[1],
                           QImage.Format.Format_RGBA8888).copy()
            label = f"{layer.name}: {lo:.3g}–{hi:.3g} (image)"
        x0, x1 = c + a * c0, c + a * c1
        y0, y1 = f + e * r1, f + e * r0
        target = QRectF(QPointF(rect.left() + (x0 - ext[0]) * scale,
                                rect.bottom() - (y1 - ext[1]) * scale),
                        QPointF(rect.left() + (x1 - ext[0]) * scale,
                                rect.bottom() - (y0 - ext[1]) * scale))
        p.drawImage(target, image)
        return [LegendEntry(label, "image", "#" + "".join(f"{v:02X}" for v in
                                                          colormap_lut(layer.style.colormap)[160]))]

    def _district(self, p: QPainter, d: District, rect: QRectF, ext: Extent, scale: float,
                  focus: District | None) -> None:
        geoms = shapely.simplify(np.array([d.geometry]), self.canvas.pt(0.25) / scale)
        path = self._path(geoms, rect, ext, scale, polygons=True)
        main = focus is None or focus.id == d.id
        p.setBrush(QBrush(_alpha(d.colour, 0.18 if main else 0.06)))
        # Dashed for the other districts, so focus reads in greyscale without colour.
        p.setPen(self.canvas.pen(d.colour, 1.8 if main else 0.9,
                                 Qt.PenStyle.SolidLine if main else Qt.PenStyle.DashLine))
        p.drawPath(path)
        at = d.geometry.representative_point()
        x, y = self._to_page(np.array([at.x]), np.array([at.y]), rect, ext, scale)
        label_path = QPainterPath()
        # A path has no paint device to convert points with: size the font in device units.
        label_font = font(8.5 if main else 7, bold=main)
        label_font.setPixelSize(round(self.canvas.pt(8.5 if main else 7)))
        label_path.addText(QPointF(0, 0), label_font, d.name)
        box = label_path.boundingRect()
        label_path.translate(float(x[0]) - box.center().x(), float(y[0]) - box.center().y())
        # A thin white halo keeps the name legible over any layer without hiding it.
        p.setPen(self.canvas.pen("#FFFFFF", 1.0))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(label_path)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(INK))
        p.drawPath(label_path)

    # ------------------------------------------------------------ furniture
    def scale_bar(self, at: QPointF, drawn: DrawnMap, max_width: float) -> float:
        """A scale bar at ``at`` (bottom left), at most ``max_width`` long; its height."""
        p = self.canvas.painter
        assert p is not None
        metres = max_width / drawn.scale
        step = 10 ** math.floor(math.log10(metres))
        nice = max(m * step for m in (1, 2, 5) if m * step <= metres)
        length = nice * drawn.scale
        h = self.canvas.pt(4)
        p.save()
        p.setPen(self.canvas.pen(INK, 0.6))
        for i in range(4):
            x = at.x() + i * length / 4
            p.setBrush(QColor(INK) if i % 2 == 0 else QColor("#FFFFFF"))
            p.drawRect(QRectF(x, at.y() - h, length / 4, h))
        p.setFont(font(7))
        p.setPen(INK)
        label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
        p.drawText(QPointF(at.x(), at.y() - h - self.canvas.pt(2.5)), "0")
        fm_w = p.fontMetrics().horizontalAdvance(label)
        p.drawText(QPointF(at.x() + length - fm_w / 2, at.y() - h - self.canvas.pt(2.5)),
                   label)
        paper_m = 0.0254 / self.canvas.pt(72)
        ratio = 1 / (drawn.scale * paper_m)
        p.setPen(MUTED)
        p.drawText(QPointF(at.x() + length + self.canvas.pt(8), at.y()),
                   f"1:{_round_ratio(ratio):,} at {self.canvas.paper_name}")
        p.restore()
        return h + self.canvas.pt(12)

    def north_arrow(self, centre: QPointF, size_pt: float = 22) -> None:
        p = self.canvas.painter
        assert p is not None
        s = self.canvas.pt(size_pt)
        p.save()
        left = QPolygonF([QPointF(centre.x(), centre.y() - s / 2),
                          QPointF(centre.x() - s / 5, centre.y() + s / 3),
                          QPointF(centre.x(), centre.y() + s / 6)])
        right = QPolygonF([QPointF(centre.x(), centre.y() - s / 2),
                           QPointF(centre.x() + s / 5, centre.y() + s / 3),
                           QPointF(centre.x(), centre.y() + s / 6)])
        p.setPen(self.canvas.pen(INK, 0.6))
        p.setBrush(QColor(INK))
        p.drawPolygon(left)
        p.setBrush(QColor("#FFFFFF"))
        p.drawPolygon(right)
        p.setFont(font(8, bold=True))
        p.setPen(INK)
        p.drawText(QRectF(centre.x() - s, centre.y() - s / 2 - self.canvas.pt(11), 2 * s,
                          self.canvas.pt(10)), int(Qt.AlignmentFlag.AlignCenter), "N")
        p.restore()

    def legend(self, rect: QRectF, entries: list[LegendEntry], columns: int = 1) -> float:
        """Legend rows in ``columns`` columns inside ``rect``; the height used."""
        p = self.canvas.painter
        assert p is not None
        row_h = self.canvas.pt(11)
        sw = self.canvas.pt(14)
        per_col = max(1, math.ceil(len(entries) / columns))
        col_w = rect.width() / columns
        p.save()
        for i, e in enumerate(entries):
            col, row = divmod(i, per_col)
            x = rect.left() + col * col_w
            y = rect.top() + row * row_h
            if y + row_h > rect.bottom() + 1e-6 * row_h:  # rows that fit exactly stay
                continue
            box = QRectF(x, y + self.canvas.pt(2), sw, row_h - self.canvas.pt(4))
            if e.kind == "heading":
                p.setFont(font(7, bold=True))
                p.setPen(INK)
                p.drawText(QRectF(x, y, col_w, row_h),
                           int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                           e.label)
                continue
            if e.kind == "fill":
                p.setPen(self.canvas.pen(e.colour, min(e.width_pt, 1.6)))
                p.setBrush(QColor(e.fill) if e.fill else Qt.BrushStyle.NoBrush)
                p.drawRect(box)
            elif e.kind == "line":
                p.setPen(self.canvas.pen(e.colour, min(e.width_pt, 2.5)))
                p.drawLine(QPointF(box.left(), box.center().y()),
                           QPointF(box.right(), box.center().y()))
            elif e.kind == "point":
                # Bigger than on the map: a swatch must show its colour at reading distance.
                dot = max(e.width_pt + 1.5, 3.5)
                if e.fill:
                    p.setPen(self.canvas.pen(e.fill, dot + 1.0))
                    p.drawPoint(box.center())
                p.setPen(self.canvas.pen(e.colour, dot))
                p.drawPoint(box.center())
            else:  # image: a small ramp swatch
                for k in range(5):
                    c = _alpha(e.colour, 0.25 + 0.15 * k)
                    p.fillRect(QRectF(box.left() + k * sw / 5, box.top(), sw / 5, box.height()),
                               c)
            p.setFont(font(7))
            p.setPen(INK)
            p.drawText(QRectF(x + sw + self.canvas.pt(4), y, col_w - sw - self.canvas.pt(6),
                              row_h),
                       int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                       p.fontMetrics().elidedText(e.label, Qt.TextElideMode.ElideRight,
                                                  int(col_w - sw - self.canvas.pt(6))))
        p.restore()
        return min(per_col, len(entries)) * row_h

    def sources(self) -> list[str]:
        """'layer: file (date)' for every visible layer, the date being the file's."""
        out = []
        for layer in self.document.layers:
            if not layer.visible:
                continue
            src = layer.source or "drawn in the app"
            file = src.split("|", 1)[0]
            when = ""
            if file and os.path.exists(file):
                when = date.fromtimestamp(Path(file).stat().st_mtime).isoformat()
            name = Path(file).name if file and os.path.sep in file else src
            role = ROLE_LABELS.get(layer.role, str(layer.role))
            out.append(f"{layer.name} ({role}): {name}" + (f", file dated {when}" if when
                                                             else ""))
        return out


def _bleed_rim(values: np.ndarray, finite: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """No-data cells next to data take their nearest data cell's value, for drawing only.

    A surface masked where a cell's centre is in the water (the rents) leaves no-data
    cells reaching up to half a cell beyond the shore; on paper they print as white
    stair-steps between the surface and the water polygon drawn over it. One cell of
    bleed closes them; the water (or other context) layer above hides the rest."""
    from scipy.ndimage import distance_transform_edt

    if finite.all() or not finite.any():
        return values, finite
    distance, (rows, cols) = distance_transform_edt(~finite, return_indices=True)
    rim = ~finite & (distance <= 1.5)
    out = values.copy()
    out[rim] = values[rows[rim], cols[rim]]
    return out, finite | rim


def _class_label(kind: str, label: str) -> str:
    return SECTOR_LABELS.get(label, label) if kind == "sector" else label


def _alpha(colour: str, alpha: float) -> QColor:
    c = QColor(colour)
    c.setAlphaF(max(0.0, min(1.0, alpha)))
    return c


def _round_ratio(ratio: float) -> int:
    step = 10 ** max(0, math.floor(math.log10(max(ratio, 1))) - 1)
    return int(round(ratio / step) * step)
