"""pyqtgraph charts for the panels. They take plain arrays (the panels pick them out of
Metrics) and report clicks and dragged ranges as plain values; they compute nothing."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPen
from PySide6.QtWidgets import QWidget

from districtplanner.ui import theme

pg.setConfigOptions(antialias=True, background="w", foreground=theme.TEXT)

#: Pixels kept clear on each side of a bar chart's note.
NOTE_GAP_PX = 4


def _style_plot(plot: pg.PlotItem, left: str, bottom: str) -> None:
    font = QFont()
    font.setPointSizeF(theme.CHART_AXIS_PT)
    for name, label in (("left", left), ("bottom", bottom)):
        axis = plot.getAxis(name)
        axis.setLabel(label, **{"font-size": f"{theme.CHART_LABEL_PT}pt", "color": theme.TEXT})
        axis.setTickFont(font)
        axis.setPen(pg.mkPen("#B0ACA4"))
        axis.setTextPen(pg.mkPen(theme.TEXT))
        axis.enableAutoSIPrefix(False)
    plot.showGrid(x=False, y=True, alpha=0.15)
    plot.setMenuEnabled(False)
    plot.hideButtons()


class ChartWidget(pg.PlotWidget):
    """A compact plot with labelled axes (units in the labels) and no mouse zoom."""

    def __init__(self, left: str, bottom: str, height: int = 170,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.setMinimumHeight(height)
        self.setMaximumHeight(int(height * 1.6))
        _style_plot(self.getPlotItem(), left, bottom)
        self.getPlotItem().setMouseEnabled(x=False, y=False)
        self.legend: pg.LegendItem | None = None

    def sizeHint(self) -> QSize:
        # The compact height: a panel with several charts then fits a 1280x800 screen
        # without scrolling; extra room in a tall dock still lets the chart grow.
        return QSize(super().sizeHint().width(), self.minimumHeight())

    def add_legend(self) -> pg.LegendItem:
        if self.legend is None:
            self.legend = self.getPlotItem().addLegend(
                offset=(-4, 4), labelTextSize=f"{theme.CHART_LABEL_PT}pt")
            self.legend.setBrush(pg.mkBrush(255, 255, 255, 210))
        return self.legend


class SectorBarChart(ChartWidget):
    """District share vs city share per category, side by side; a click on a category
    emits its key (the panel turns that into a sector selection)."""

    category_clicked = Signal(str)

    def __init__(self, left: str = "share of creative jobs (%)", parent: QWidget | None = None):
        super().__init__(left, "creative sector", height=165, parent=parent)
        self.keys: list[str] = []
        self.highlighted: set[str] = set()
        plot = self.getPlotItem()
        # Items are made once and updated in place: a drag redraws this chart every frame.
        self.district_bars = pg.BarGraphItem(x=[0.0], height=[0.0], width=0.36)
        self.city_bars = pg.BarGraphItem(x=[0.0], height=[0.0], width=0.36,
                                         brush=pg.mkBrush("#C9C5BD"), pen=pg.mkPen(None))
        plot.addItem(self.district_bars)
        plot.addItem(self.city_bars)
        self.labels: list[pg.TextItem] = []
        self._notes: list[tuple[str, float, float]] = []  # (text, x, y) in data units
        self._top = 0.0  # the tallest bar
        self._ticks: list[str] = []
        self._staggered = False
        self._ticks_shown = False
        self.scene().sigMouseClicked.connect(self._clicked)
        # The notes are placed in pixels: again whenever the plot area changes size.
        plot.vb.sigResized.connect(
            lambda _vb: self._place_notes() if self.getPlotItem() is not None else None)

    def _label(self, i: int) -> pg.TextItem:
        while len(self.labels) <= i:
            label = pg.TextItem("", color=theme.MUTED, anchor=(0.5, 1.0))
            font = QFont(self.font().family())
            font.setPointSizeF(theme.CHART_AXIS_PT)
            label.setFont(font)
            self.getPlotItem().addItem(label)
            self.labels.append(label)
        return self.labels[i]

    def set_data(self, keys: Sequence[str], labels: Sequence[str], district: np.ndarray,
                 city: np.ndarray, colours: Sequence[str], annotations: Sequence[str] = ()) -> None:
        plot = self.getPlotItem()
        self.keys = list(keys)
        x = np.arange(len(keys), dtype=float)
        brushes = [
            pg.mkBrush(QColor(c)) if (not self.highlighted or k in self.highlighted)
            else pg.mkBrush(QColor(c).lighter(160))
            for k, c in zip(keys, colours, strict=True)
        ]
        pens = [pg.mkPen(theme.TEXT, width=2) if k in self.highlighted else pg.mkPen(None)
                for k in keys]
        self.district_bars.setOpts(x=x - 0.18, height=district, brushes=brushes, pens=pens)
        self.city_bars.setOpts(x=x + 0.18, height=city)
        top = float(max(np.nanmax(district, initial=0), np.nanmax(city, initial=0)))
        self._notes = [(text, float(x[i]),
                        max(float(district[i]), float(city[i])) + 0.02 * max(top, 1e-9))
                       for i, text in enumerate(annotations[: len(keys)])]
        if list(labels) != self._ticks:
            self._ticks = list(labels)
            self._ticks_shown = False
            self._set_ticks()
            plot.setXRange(-0.6, len(keys) - 0.4, padding=0)
        self._top = top
        self._place_notes()

    def _to_px(self, x: float, y: float) -> QPointF:
        """Data units to pixels in the view box (from its range: the view's own transform
        lags a range set in the same event-loop turn)."""
        vb = self.getPlotItem().vb
        (x0, x1), (y0, y1) = vb.viewRange()
        w, h = vb.width(), vb.height()
        return QPointF((x - x0) / ((x1 - x0) or 1) * w, h - (y - y0) / ((y1 - y0) or 1) * h)

    def _place_notes(self) -> None:
        """Each note over its bars, where it fits: highlighted sectors first, then left to
        right; a note that would overlap one already placed (or run off the chart) is
        shortened to its number, and left out if that does not fit either. The chart's
        tooltip lists every value, so nothing is lost in a narrow dock."""
        vb = self.getPlotItem().vb
        vb_rect = QRectF(-1, -1, vb.width() + 2, vb.height() + 2)  # a pixel of rounding
        # Head-room for a note over the tallest bar: a quarter of the height, or the note's
        # own height where the chart is short.
        top = self._top
        head = 1.25
        if self.labels or self._notes:
            note_px = QFontMetrics(self._label(0).textItem.font()).height() + 4
            if vb.height() > 3 * note_px:
                head = max(head, 1.04 / (1 - note_px / vb.height()))
        vb.setYRange(0, top * head if top > 0 else 1, padding=0)
        order = sorted(range(len(self._notes)),
                       key=lambda i: (self.keys[i] not in self.highlighted, i)
                       if i < len(self.keys) else (True, i))
        placed: list[QRectF] = []
        for label in self.labels:
            label.setVisible(False)
        for i in order:
            text, x, y = self._notes[i]
            if not text:
                continue
            label = self._label(i)
            for candidate in (text, text.split()[-1]):
                label.setText(candidate)
                box = self._note_box(label, x, y)
                # A word's space between neighbours, so two notes never read as one.
                spaced = box.adjusted(-NOTE_GAP_PX, 0, NOTE_GAP_PX, 0)
                if vb_rect.contains(box) and not any(spaced.intersects(b) for b in placed):
                    label.setPos(x, y)
                    label.setVisible(True)
                    placed.append(box)
                    break

    def _note_box(self, label: pg.TextItem, x: float, y: float) -> QRectF:
        """The note's pixel box in the view box, anchored bottom-centre at (x, y); the text
        item's own margin is trimmed so touching margins do not count as overlap."""
        size = label.textItem.boundingRect().size()
        margin = label.textItem.document().documentMargin()
        w, h = size.width() - 2 * margin, size.height() - 2 * margin
        p = self._to_px(x, y)
        return QRectF(p.x() - w / 2, p.y() - h - margin, w, h)

    def note_boxes(self) -> list[tuple[str, QRectF]]:
        """(text, pixel box in the view box) of every note shown (the screen-size test)."""
        return [(label.toPlainText(), self._note_box(label, *self._notes[i][1:]))
                for i, label in enumerate(self.labels)
                if label.isVisible() and i < len(self._notes)]

    def _set_ticks(self) -> None:
        """Category names under the bars; when they would run into each other (a narrow
        dock), every other name drops to a second line, so all of them stay readable."""
        axis = self.getPlotItem().getAxis("bottom")
        labels = self._ticks
        font = axis.style.get("tickFont") or self.font()
        widest = max((QFontMetrics(font).horizontalAdvance(t) for t in labels), default=0)
        slot = self.getPlotItem().vb.width() / max(1, len(labels))
        stagger = widest + 6 > slot
        if stagger != self._staggered or not self._ticks_shown:
            self._staggered = stagger
            self._ticks_shown = True
            shown = [("\n" + t if stagger and i % 2 else t) for i, t in enumerate(labels)]
            axis.setTicks([[(i, t) for i, t in enumerate(shown)]])
            # Room for the tick rows and the axis title under them.
            fm = QFontMetrics(font)
            rows = 2 if stagger else 1
            axis.setHeight(rows * fm.height() + QFontMetrics(self.font()).height() + 10)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # pyqtgraph resizes once before __init__ ends, and again after close() dropped
        # the plot item.
        if getattr(self, "_ticks", None) and self.getPlotItem() is not None:
            self._set_ticks()
            self._place_notes()

    def _clicked(self, event) -> None:
        pos = self.getPlotItem().vb.mapSceneToView(event.scenePos())
        i = round(pos.x())
        if 0 <= i < len(self.keys) and abs(pos.x() - i) <= 0.45:
            self.category_clicked.emit(self.keys[i])


class HistogramChart(ChartWidget):
    """Two normalised histograms (district over city) with a draggable value range."""

    range_selected = Signal(float, float)
    range_cleared = Signal()

    def __init__(self, left: str, bottom: str, parent: QWidget | None = None) -> None:
        super().__init__(left, bottom, height=170, parent=parent)
        plot = self.getPlotItem()
        self.city_curve = pg.PlotCurveItem(x=[0.0, 1.0], y=[0.0], stepMode="center",
                                           fillLevel=0, brush=pg.mkBrush("#C9C5BD"),
                                           pen=pg.mkPen("#A8A49C"))
        self.district_curve = pg.PlotCurveItem(x=[0.0, 1.0], y=[0.0], stepMode="center",
                                               fillLevel=0,
                                               brush=pg.mkBrush(0, 114, 178, 110),
                                               pen=pg.mkPen(theme.ACCENT, width=1.5))
        plot.addItem(self.city_curve)
        plot.addItem(self.district_curve)
        legend = self.add_legend()
        legend.addItem(self.city_curve, "city")
        legend.addItem(self.district_curve, "district")
        self.region = pg.LinearRegionItem(brush=pg.mkBrush(230, 159, 0, 60),
                                          pen=pg.mkPen("#E69F00", width=2))
        self.region.setZValue(10)
        self.region.hide()
        plot.addItem(self.region)
        self.region.sigRegionChangeFinished.connect(self._region_done)
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen(theme.WARNING, width=2,
                                                             style=Qt.PenStyle.DashLine))
        self.marker.hide()
        plot.addItem(self.marker)
        self._edges = np.array([0.0, 1.0])
        self._drag_start: float | None = None

    def add_marker(self, colour: str) -> pg.InfiniteLine:
        """An extra vertical marker (e.g. a hovered neighbourhood's value), hidden at first."""
        line = pg.InfiniteLine(angle=90, pen=pg.mkPen(colour, width=2,
                                                      style=Qt.PenStyle.DotLine))
        line.setZValue(12)
        line.hide()
        self.getPlotItem().addItem(line)
        return line

    def set_data(self, edges: np.ndarray, city: np.ndarray, district: np.ndarray) -> None:
        self._edges = edges
        self.city_curve.setData(edges, city)
        self.district_curve.setData(edges, district)
        top = float(max(np.nanmax(city, initial=0), np.nanmax(district, initial=0)))
        plot = self.getPlotItem()
        plot.setXRange(float(edges[0]), float(edges[-1]), padding=0.02)
        plot.setYRange(0, top * 1.1 if top > 0 else 1, padding=0)

    def set_marker(self, value: float | None) -> None:
        if value is None or not np.isfinite(value):
            self.marker.hide()
        else:
            self.marker.setValue(value)
            self.marker.show()

    def set_range(self, low: float | None, high: float | None) -> None:
        """Mirror the selection's range without emitting (the caller blocks signals)."""
        if low is None or high is None:
            self.region.hide()
            return
        self.region.blockSignals(True)
        self.region.setRegion((low, high))
        self.region.blockSignals(False)
        self.region.show()

    # Shift-free interaction: press and drag on the chart draws a new range.
    def mousePressEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            p = self.getPlotItem().vb.mapSceneToView(self.mapToScene(ev.position().toPoint()))
            if not (self.region.isVisible() and self._inside_region(p.x())):
                self._drag_start = p.x()
                ev.accept()
                return
        super().mousePressEvent(ev)

    def mouseMoveEvent(self, ev) -> None:
        if self._drag_start is not None:
            p = self.getPlotItem().vb.mapSceneToView(self.mapToScene(ev.position().toPoint()))
            self.set_range(min(self._drag_start, p.x()), max(self._drag_start, p.x()))
            ev.accept()
            return
        super().mouseMoveEvent(ev)

    def mouseReleaseEvent(self, ev) -> None:
        if self._drag_start is not None:
            p = self.getPlotItem().vb.mapSceneToView(self.mapToScene(ev.position().toPoint()))
            lo, hi = sorted((self._drag_start, p.x()))
            self._drag_start = None
            if hi - lo < 1e-9 * max(1.0, abs(hi)) or self._px(hi - lo) < 3:
                self.region.hide()
                self.range_cleared.emit()
            else:
                self.set_range(lo, hi)
                self.range_selected.emit(float(lo), float(hi))
            ev.accept()
            return
        super().mouseReleaseEvent(ev)

    def _px(self, width: float) -> float:
        vb = self.getPlotItem().vb
        a = vb.mapViewToScene(QPointF(0, 0))
        b = vb.mapViewToScene(QPointF(width, 0))
        return abs(b.x() - a.x())

    def _inside_region(self, x: float) -> bool:
        lo, hi = self.region.getRegion()
        return lo <= x <= hi

    def _region_done(self) -> None:
        lo, hi = self.region.getRegion()
        self.range_selected.emit(float(lo), float(hi))


class LinesChart(ChartWidget):
    """A few named series over a shared x (e.g. jobs over plan years, two paths)."""

    def __init__(self, left: str, bottom: str, parent: QWidget | None = None) -> None:
        super().__init__(left, bottom, height=145, parent=parent)
        self.add_legend()
        self.curves: dict[str, pg.PlotDataItem] = {}

    def set_series(self, x: np.ndarray, series: dict[str, tuple[np.ndarray, str, bool]]) -> None:
        """``series``: name -> (y, colour, dashed)."""
        plot = self.getPlotItem()
        for name in list(self.curves):
            if name not in series:
                plot.removeItem(self.curves.pop(name))
                if self.legend is not None:
                    self.legend.removeItem(name)
        for name, (y, colour, dashed) in series.items():
            pen = pg.mkPen(colour, width=2.5,
                           style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
            if name in self.curves:
                self.curves[name].setData(x, y)
                self.curves[name].setPen(pen)
            else:
                self.curves[name] = plot.plot(x, y, pen=pen, name=name)
        plot.enableAutoRange()


class StackedBarChart(ChartWidget):
    """Annual values stacked by component, with an optional horizontal cap line."""

    def __init__(self, left: str, bottom: str, parent: QWidget | None = None) -> None:
        super().__init__(left, bottom, height=160, parent=parent)
        self._items: list[pg.GraphicsObject] = []
        self.cap_line = pg.InfiniteLine(angle=0, pen=pg.mkPen(theme.WARNING, width=2,
                                                              style=Qt.PenStyle.DashLine))
        self.cap_line.hide()
        self.getPlotItem().addItem(self.cap_line)

    def set_data(self, x: np.ndarray, parts: dict[str, np.ndarray], colours: Sequence[str],
                 cap: float | None = None, scale: float = 1.0) -> None:
        plot = self.getPlotItem()
        for it in self._items:
            plot.removeItem(it)
        self._items = []
        bottom = np.zeros(len(x))
        for (name, values), colour in zip(parts.items(), colours, strict=False):
            v = np.asarray(values, dtype=float) / scale
            if not np.any(v):
                continue
            item = pg.BarGraphItem(x=x, height=v, y0=bottom, width=0.7,
                                   brush=pg.mkBrush(colour), pen=pg.mkPen("w", width=0.5))
            item.setToolTip(name)
            plot.addItem(item)
            self._items.append(item)
            bottom = bottom + v
        top = float(bottom.max(initial=0))
        if cap:
            self.cap_line.setValue(cap / scale)
            self.cap_line.show()
            top = max(top, cap / scale)
        else:
            self.cap_line.hide()
        plot.setXRange(float(x.min(initial=0)) - 0.6, float(x.max(initial=0)) + 0.6, padding=0)
        plot.setYRange(0, top * 1.15 if top > 0 else 1, padding=0)


def dim_pen(colour: str) -> QPen:
    return pg.mkPen(QColor(colour).lighter(150))
