"""The Sensitivity dock: the tornado of the selected headline figure, its switching values
and its 90% interval, for the district shown.

The affordability tornados are recomputed inline on every recompute (milliseconds, so
they follow a vertex drag); the incentive tornados and the 1,000-draw Monte Carlo run in
the recompute's worker once edits pause, and show "pending" until they arrive. When they
do, the headline tiles of the other panels get their interval too (``bind_tiles``).
Figures come from ``analysis/sensitivity.py``; this module only presents them.
"""

from __future__ import annotations

import math
from concurrent.futures import Future
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from districtplanner.analysis.assumptions import parameter
from districtplanner.analysis.sensitivity import HEADLINE, Sensitivity
from districtplanner.model.document import Document
from districtplanner.ui import theme
from districtplanner.ui.panels.tiles import FigureTile, fmt_money, fmt_number
from districtplanner.ui.recompute import MetricsBundle, Recompute

# Figure keys in the chooser, with the LQ (a sampling interval, no tornado) last.
FIGURES: dict[str, str] = {**{k: label for k, (label, _) in HEADLINE.items()},
                           "location_quotient": "Location quotient (establishments)"}
MONEY = ("npv", "cost_per_job_year")
# Milliseconds without a new recompute before the Monte Carlo starts (a drag has ended).
SETTLE_MS = 350


def format_figure(key: str, value: float | None, currency: str) -> str:
    """A figure as the tiles show it: money compact, counts whole, indices 2 decimals."""
    if key in MONEY:
        return fmt_money(value, currency)
    if key in ("displacement_risk", "location_quotient"):
        return fmt_number(value, 2)
    return fmt_number(value, 0)


def interval_text(key: str, interval: dict[str, float] | None, currency: str) -> str:
    """'90%: a to b' for a tile or the panel; '' when there is no interval."""
    if not interval:
        return ""
    return (f"90%: {format_figure(key, interval['p5'], currency)} to "
            f"{format_figure(key, interval['p95'], currency)}")


class TornadoChart(pg.PlotWidget):
    """Horizontal bars: each assumption at its low end (orange) and high end (blue), from
    the figure's value, largest swing on top."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setMinimumHeight(260)
        plot = self.getPlotItem()
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.showGrid(x=True, y=False, alpha=0.25)
        self.base_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(theme.TEXT, width=1))
        plot.addItem(self.base_line)
        self._bars: list[pg.BarGraphItem] = []
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setTextPen(pg.mkPen(theme.TEXT))
            plot.getAxis(axis).setPen(pg.mkPen(theme.MUTED))
            plot.getAxis(axis).enableAutoSIPrefix(False)
        # Room for "parameter (low–high)" labels: the tornado is read by its rows.
        plot.getAxis("left").setWidth(190)

    def set_tornado(self, rows: list[Any], base: float, unit: str) -> None:
        plot = self.getPlotItem()
        for bar in self._bars:
            plot.removeItem(bar)
        self._bars = []
        rows = rows[:8]  # more would not fit their labels in a dock
        n = len(rows)
        if not n or not math.isfinite(base):
            plot.getAxis("left").setTicks([[]])
            return
        y = np.arange(n)[::-1].astype(float)
        lows = np.array([r.value_low for r in rows], dtype=float)
        highs = np.array([r.value_high for r in rows], dtype=float)
        for vals, colour in ((lows, theme.WARNING), (highs, theme.ACCENT)):
            left = np.minimum(vals, base)
            width = np.abs(vals - base)
            bar = pg.BarGraphItem(x0=left, y=y, height=0.36, width=width,
                                  brush=pg.mkBrush(QColor(colour)), pen=pg.mkPen(None))
            # Low-end bars above the row's centre, high-end below, so both stay visible.
            bar.setPos(0, 0.2 if colour == theme.WARNING else -0.2)
            plot.addItem(bar)
            self._bars.append(bar)
        self.base_line.setValue(base)
        labels = [(float(yy), f"{r.parameter} {_fmt(r.low)}–{_fmt(r.high)}")
                  for yy, r in zip(y, rows, strict=True)]
        plot.getAxis("left").setTicks([labels])
        plot.getAxis("bottom").setLabel(unit)
        lo = float(np.nanmin(np.r_[lows, highs, base]))
        hi = float(np.nanmax(np.r_[lows, highs, base]))
        pad = (hi - lo) * 0.05 or 1.0
        plot.setXRange(lo - pad, hi + pad, padding=0)
        plot.setYRange(-1.0, n, padding=0)


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1e4 else f"{v:,.0f}"


class SensitivityPanel(QWidget):
    """Tornado, switching values and interval of one headline figure of the shown district."""

    intervals_ready = Signal(object)  # the Sensitivity with its Monte Carlo
    _done = Signal(object, object)  # (future, metrics) from the worker, queued

    def __init__(self, document: Document, recompute: Recompute,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.recompute = recompute
        self.metrics: Any = None
        self.result: Sensitivity | None = None
        self.full: Sensitivity | None = None  # with incentive tornados and Monte Carlo
        self._future: Future | None = None
        self._tiles: dict[str, list[tuple[FigureTile, str]]] = {}
        self.heading = QLabel("Select a district to see how its figures move with the "
                              "assumptions.")
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-weight: 600;")
        self.chooser = QComboBox()
        for key, label in FIGURES.items():
            self.chooser.addItem(label, key)
        self.chooser.currentIndexChanged.connect(lambda _i: self._refresh())
        self.value_label = QLabel("")
        self.value_label.setWordWrap(True)
        self.chart = TornadoChart()
        self.legend = QLabel(
            f"<span style='color:{theme.WARNING}'>■</span> assumption at its low end "
            f"&nbsp; <span style='color:{theme.ACCENT}'>■</span> at its high end; the "
            "line is the figure as set. Ranges and sources: Assumptions panel, "
            "docs/methods.md.")
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet(f"color: {theme.MUTED};")
        self.switching = QLabel("")
        self.switching.setWordWrap(True)
        self.switching.setTextFormat(Qt.TextFormat.RichText)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 6)
        lay.addWidget(self.heading)
        lay.addWidget(self.chooser)
        lay.addWidget(self.value_label)
        lay.addWidget(self.chart, 1)
        lay.addWidget(self.legend)
        lay.addWidget(self.switching)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._start_monte_carlo)
        self._done.connect(self._arrived, Qt.ConnectionType.QueuedConnection)

    # ---------------------------------------------------------------- tiles
    def bind_tiles(self, tiles: dict[str, list[tuple[FigureTile, str]]]) -> None:
        """Figure key -> (tile, prefix) to show the interval on: the tiles of the other
        panels that show that figure (the prefix says what the interval is of)."""
        self._tiles = tiles

    def _show_on_tiles(self, result: Sensitivity | None, pending: bool) -> None:
        cur = self._currency()
        for key, targets in self._tiles.items():
            fig = None if result is None else result.figures.get(key)
            for tile, prefix in targets:
                if pending:
                    tile.set_interval(prefix.replace(" {value}", "") + "90% interval pending…")
                elif fig is None or not fig.interval:
                    tile.set_interval("")
                else:
                    # A prefix naming "{value}" shows the figure the interval is of, where
                    # the tile's own value is on another basis (the LQ on jobs).
                    shown = prefix.format(value=format_figure(key, fig.value, cur))
                    tile.set_interval(shown + interval_text(key, fig.interval, cur))

    # ---------------------------------------------------------------- figures
    def show_bundle(self, bundle: MetricsBundle) -> None:
        m = bundle.active
        if m is None or getattr(m, "is_baseline", True) or bundle.not_computed:
            self.metrics = self.result = self.full = None
            self._settle.stop()
            self.heading.setText("Select a district to see how its figures move with the "
                                 "assumptions." if not bundle.not_computed else
                                 f"Not computed: {bundle.not_computed}")
            self._show_on_tiles(None, pending=False)
            self._refresh()
            return
        if m is self.metrics:
            return
        self.metrics = m
        self.heading.setText(f"{m.name}: how the figures move with the assumptions")
        cached = m._sensitivity
        if cached is not None:  # computed before (e.g. a district picked again)
            self.result = self.full = cached
            self._show_on_tiles(cached, pending=False)
        else:
            self.full = None
            self.result = m.tornado_fast()
            self._show_on_tiles(self.result, pending=True)
            self._settle.start()
        self._refresh()

    def _start_monte_carlo(self) -> None:
        m = self.metrics
        if m is None:
            return
        try:
            fut = self.recompute.submit(m.sensitivity)
        except RuntimeError:  # the window is closing: its worker pool is shut down
            return
        self._future = fut
        fut.add_done_callback(lambda f, m=m: self._done.emit(f, m))

    def _arrived(self, fut: Future, metrics: Any) -> None:
        if fut is not self._future or metrics is not self.metrics:
            return  # superseded by a newer edit: its own run is coming
        self._future = None
        try:
            result = fut.result()
        except Exception as exc:  # a failure says why and never stops the panel
            self.switching.setText(f"Sensitivity not computed: {exc}")
            self._show_on_tiles(None, pending=False)
            return
        self.result = self.full = result
        self._show_on_tiles(result, pending=False)
        self._refresh()
        self.intervals_ready.emit(result)

    def wait(self, timeout: float = 60.0) -> None:
        """Run the pending Monte Carlo now and deliver it (tests, screenshots)."""
        if self._settle.isActive():
            self._settle.stop()
            self._start_monte_carlo()
        fut = self._future
        if fut is not None:
            fut.result(timeout=timeout)
            self._arrived(fut, self.metrics)

    def _currency(self) -> str:
        return self.document.assumptions.currency

    def _refresh(self) -> None:
        key = self.chooser.currentData()
        cur = self._currency()
        res = self.full or self.result
        fig = None if res is None else res.figures.get(key)
        if fig is None:
            self.value_label.setText("")
            self.chart.set_tornado([], float("nan"), "")
            self.switching.setText("" if self.metrics is None else
                                   "No figure: " + ("no instrument in the package"
                                                    if key in MONEY else "not defined here"))
            return
        pending = self.full is None
        iv = interval_text(key, fig.interval, cur) or (
            "90% interval pending…" if pending else "no interval")
        text = f"<b>{format_figure(key, fig.value, cur)}</b> &nbsp; {iv}"
        if fig.class_probabilities:
            text += "<br>" + ", ".join(f"{k} {v:.0%}" for k, v in
                                       fig.class_probabilities.items() if v > 0)
        if fig.note:
            text += f"<br><span style='color:{theme.MUTED}'>{fig.note}</span>"
        self.value_label.setText(text)
        unit = cur if key in MONEY else FIGURES[key]
        self.chart.set_tornado(fig.tornado, fig.value, unit)
        if not fig.tornado and HEADLINE.get(key, ("", ""))[1] == "incentives" and pending:
            self.switching.setText("Tornado pending (the incentive model runs once edits "
                                   "pause).")
            return
        lines = [f"<b>{parameter(s.parameter).label}</b> at {_fmt(s.value)}"
                 + ("" if parameter(s.parameter).unit == "-" else
                    f" {parameter(s.parameter).unit}")
                 + f" (now {_fmt(self.metrics.assumptions[s.parameter])}): {s.what} "
                 f"{s.before} → {s.after}" for s in fig.switching_values]
        self.switching.setText(
            "Switching values: " + ("; ".join(lines) if lines else
                                    "none within the assumptions' ranges"))
