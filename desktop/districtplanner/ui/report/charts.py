"""The plan's charts, drawn with the PDF painter: vector, sized in points, in the bundled
font, with values printed on the marks.

pyqtgraph draws the same charts on screen, but its print and SVG exporters have long-standing
bugs (missing clipped children, pixel pens), so paper gets its own few plain charts. Series
differ by hatching and dash as well as by colour (Okabe-Ito), so a greyscale copy of a
council paper still tells them apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath

from districtplanner.analysis.affordability import AffordabilityMetrics
from districtplanner.analysis.concentration import ConcentrationMetrics
from districtplanner.analysis.incentives import IncentiveResult
from districtplanner.analysis.sectors import SECTOR_COLOURS, SECTOR_LABELS
from districtplanner.ui.report.fonts import font
from districtplanner.ui.report.page import INK, MUTED, PlanCanvas

SERIES = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442",
          "#000000")
PATTERNS = (Qt.BrushStyle.SolidPattern, Qt.BrushStyle.BDiagPattern, Qt.BrushStyle.Dense4Pattern,
            Qt.BrushStyle.FDiagPattern, Qt.BrushStyle.CrossPattern,
            Qt.BrushStyle.DiagCrossPattern, Qt.BrushStyle.HorPattern, Qt.BrushStyle.VerPattern)
GRID = QColor("#D0D0D0")


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering ``lo``..``hi``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    step = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * step >= raw:
            step = m * step
            break
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    if ticks[-1] < hi:
        ticks.append(ticks[-1] + step)
    return ticks


def short_number(v: float) -> str:
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:g}M"
    if a >= 1e4:
        return f"{v / 1e3:g}k"
    return f"{v:,.10g}"


class Chart:
    """A plot frame inside ``rect``: title, axes with ticks, and a data-to-page mapping."""

    def __init__(self, canvas: PlanCanvas, rect: QRectF, title: str, x_range: tuple[float, float],
                 y_range: tuple[float, float], y_label: str = "", x_label: str = "",
                 left_pt: float = 34, y_ticks: Sequence[float] | None = None,
                 key_rows: int = 1) -> None:
        self.c = canvas
        p = canvas.painter
        assert p is not None
        self.p: QPainter = p
        pt = canvas.pt
        p.setFont(font(8.5, bold=True))
        p.setPen(INK)
        p.drawText(QRectF(rect.left(), rect.top(), rect.width(), pt(12)),
                   int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), title)
        head = pt(18 + 10 * key_rows)
        self.key_top = rect.top() + pt(15)
        self.plot = QRectF(rect.left() + pt(left_pt), rect.top() + head,
                           rect.width() - pt(left_pt) - pt(6),
                           rect.height() - head - pt(22 if x_label else 14))
        self.x0, self.x1 = x_range
        self.yt = list(y_ticks) if y_ticks is not None else nice_ticks(*y_range)
        self.y0, self.y1 = self.yt[0], self.yt[-1]
        p.setFont(font(6.5))
        for t in self.yt:
            y = self.y(t)
            p.setPen(canvas.pen(GRID, 0.3))
            p.drawLine(QPointF(self.plot.left(), y), QPointF(self.plot.right(), y))
            p.setPen(MUTED)
            p.drawText(QRectF(rect.left(), y - pt(5), pt(left_pt) - pt(3), pt(10)),
                       int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                       short_number(t))
        p.setPen(canvas.pen(INK, 0.6))
        p.drawLine(self.plot.bottomLeft(), self.plot.bottomRight())
        p.drawLine(self.plot.bottomLeft(), self.plot.topLeft())
        if y_label:
            p.save()
            p.setPen(MUTED)
            p.setFont(font(6.5))
            p.translate(rect.left() + pt(1), self.plot.center().y())
            p.rotate(-90)
            p.drawText(QRectF(-self.plot.height() / 2, 0, self.plot.height(), pt(8)),
                       int(Qt.AlignmentFlag.AlignCenter), y_label)
            p.restore()
        if x_label:
            p.setPen(MUTED)
            p.setFont(font(6.5))
            p.drawText(QRectF(self.plot.left(), rect.bottom() - pt(9), self.plot.width(), pt(9)),
                       int(Qt.AlignmentFlag.AlignCenter), x_label)

    def x(self, v: float) -> float:
        return self.plot.left() + (v - self.x0) / ((self.x1 - self.x0) or 1) * self.plot.width()

    def y(self, v: float) -> float:
        return self.plot.bottom() - (v - self.y0) / ((self.y1 - self.y0) or 1) * self.plot.height()

    def x_ticks(self, values: Sequence[float], labels: Sequence[str]) -> None:
        self.p.setFont(font(6.5))
        self.p.setPen(MUTED)
        pt = self.c.pt
        for v, label in zip(values, labels, strict=True):
            self.p.drawText(QRectF(self.x(v) - pt(15), self.plot.bottom() + pt(2), pt(30), pt(9)),
                            int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), label)

    def key(self, items: Sequence[tuple[str, QColor | str, Qt.BrushStyle | Qt.PenStyle]]) -> None:
        """The series key between the title and the plot, wrapping onto further rows."""
        p, pt = self.p, self.c.pt
        p.setFont(font(6.5))
        x = self.plot.left()
        y = self.key_top
        for label, colour, style in items:
            w = p.fontMetrics().horizontalAdvance(label) + pt(18)
            if x + w > self.plot.right() and x > self.plot.left():
                x = self.plot.left()
                y += pt(10)
            sw = QRectF(x, y + pt(1.5), pt(11), pt(6))
            if isinstance(style, Qt.PenStyle):
                p.setPen(self.c.pen(colour, 1.3, style))
                p.drawLine(QPointF(sw.left(), sw.center().y()), QPointF(sw.right(),
                                                                       sw.center().y()))
            else:
                p.setPen(self.c.pen(INK, 0.4))
                p.setBrush(QColor("#FFFFFF"))
                p.drawRect(sw)
                p.setBrush(QBrush(QColor(colour), style))
                p.drawRect(sw)
            p.setPen(INK)
            p.drawText(QPointF(x + pt(14), y + pt(7)), label)
            x += w + pt(6)


def no_data(canvas: PlanCanvas, rect: QRectF, title: str, reason: str) -> None:
    """A chart's place when its inputs are missing: the title and the reason, not a blank."""
    p = canvas.painter
    assert p is not None
    p.setFont(font(8.5, bold=True))
    p.setPen(INK)
    p.drawText(QRectF(rect.left(), rect.top(), rect.width(), canvas.pt(12)),
               int(Qt.AlignmentFlag.AlignLeft), title)
    p.setFont(font(7.5, italic=True))
    p.setPen(MUTED)
    p.drawText(rect.adjusted(0, canvas.pt(18), 0, 0),
               int(Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap), reason)


def sector_lq(canvas: PlanCanvas, rect: QRectF, conc: ConcentrationMetrics) -> None:
    """Horizontal bars: each creative sector's location quotient, with its jobs."""
    items = list(conc.by_sector.items())
    title = f"Location quotient by creative sector ({conc.lq_basis})"
    if not items or conc.creative_establishments == 0:
        no_data(canvas, rect, title, "No creative establishments inside the district.")
        return
    pt = canvas.pt
    p = canvas.painter
    assert p is not None
    label_w = pt(92)
    lqs = [s.location_quotient for _, s in items]
    top = max(1.5, *[v for v in lqs if math.isfinite(v)])
    ticks = nice_ticks(0, top, 4)
    p.setFont(font(8.5, bold=True))
    p.setPen(INK)
    p.drawText(QRectF(rect.left(), rect.top(), rect.width(), pt(12)),
               int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), title)
    plot = QRectF(rect.left() + label_w, rect.top() + pt(16), rect.width() - label_w - pt(40),
                  rect.height() - pt(28))
    row = plot.height() / len(items)

    def xv(v: float) -> float:
        return plot.left() + v / ticks[-1] * plot.width()

    p.setFont(font(6.5))
    for t in ticks:
        p.setPen(canvas.pen(GRID, 0.3))
        p.drawLine(QPointF(xv(t), plot.top()), QPointF(xv(t), plot.bottom()))
        p.setPen(MUTED)
        p.drawText(QRectF(xv(t) - pt(12), plot.bottom() + pt(1), pt(24), pt(9)),
                   int(Qt.AlignmentFlag.AlignHCenter), f"{t:g}")
    for i, (key, s) in enumerate(items):
        y = plot.top() + i * row
        p.setFont(font(7))
        p.setPen(INK)
        p.drawText(QRectF(rect.left(), y, label_w - pt(4), row),
                   int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                   SECTOR_LABELS.get(key, key))
        v = s.location_quotient if math.isfinite(s.location_quotient) else 0.0
        bar = QRectF(plot.left(), y + row * 0.18, xv(v) - plot.left(), row * 0.64)
        p.setPen(canvas.pen(INK, 0.4))
        p.setBrush(QColor(SECTOR_COLOURS.get(key, "#888888")))
        p.drawRect(bar)
        p.setPen(INK)
        p.setFont(font(6.5))
        p.drawText(QRectF(bar.right() + pt(3), y, pt(60), row),
                   int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                   f"{v:.2f} ({s.jobs:,.0f} jobs)")
    # LQ = 1: as specialised as the city.
    p.setPen(canvas.pen(INK, 0.9, Qt.PenStyle.DashLine))
    p.drawLine(QPointF(xv(1), plot.top()), QPointF(xv(1), plot.bottom()))
    p.setPen(MUTED)
    p.drawText(QRectF(xv(1) - pt(30), plot.bottom() + pt(8), pt(60), pt(9)),
               int(Qt.AlignmentFlag.AlignHCenter), "1 = city")


def rent_histogram(canvas: PlanCanvas, rect: QRectF, aff: AffordabilityMetrics,
                   currency: str) -> None:
    """Share of rent observations per rent band: the district against the city."""
    title = f"Rents, district against city ({currency}/m² per month)"
    edges = np.asarray(aff.rent_hist_edges, dtype=float)
    d = np.asarray(aff.rent_hist_district, dtype=float)
    c = np.asarray(aff.rent_hist_city, dtype=float)
    if len(edges) < 2 or d.sum() <= 0:
        no_data(canvas, rect, title, "No rent observations inside the district"
                if aff.rent_source else "No rents layer in the plan.")
        return
    d = d / d.sum()
    c = c / (c.sum() or 1)
    ch = Chart(canvas, rect, title, (edges[0], edges[-1]), (0, float(max(d.max(), c.max()))),
               y_label="share of observations")
    p = ch.p
    path = QPainterPath(QPointF(ch.x(edges[0]), ch.y(0)))
    for i, v in enumerate(c):
        path.lineTo(ch.x(edges[i]), ch.y(v))
        path.lineTo(ch.x(edges[i + 1]), ch.y(v))
    path.lineTo(ch.x(edges[-1]), ch.y(0))
    path.closeSubpath()
    p.setPen(canvas.pen("#7A7A7A", 0.6))
    p.setBrush(QColor("#D9D9D9"))
    p.drawPath(path)
    p.setPen(canvas.pen(INK, 0.5))
    p.setBrush(QBrush(QColor("#0072B2"), Qt.BrushStyle.BDiagPattern))
    for i, v in enumerate(d):
        if v > 0:
            p.drawRect(QRectF(QPointF(ch.x(edges[i]), ch.y(v)),
                              QPointF(ch.x(edges[i + 1]), ch.y(0))))
    ticks = nice_ticks(edges[0], edges[-1], 6)
    ticks = [t for t in ticks if edges[0] <= t <= edges[-1]]
    ch.x_ticks(ticks, [f"{t:g}" for t in ticks])
    med = aff.rent_median
    if math.isfinite(med):
        p.setPen(canvas.pen("#D55E00", 1.2, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(ch.x(med), ch.plot.top()), QPointF(ch.x(med), ch.plot.bottom()))
    ch.key([("city", "#D9D9D9", Qt.BrushStyle.SolidPattern),
            ("district", "#0072B2", Qt.BrushStyle.BDiagPattern),
            (f"district median {med:.2f}", "#D55E00", Qt.PenStyle.DashLine)])


def incentive_costs(canvas: PlanCanvas, rect: QRectF, inc: IncentiveResult | None) -> None:
    """Public cost per plan year, stacked by instrument, against the budget cap."""
    title = "Incentive public cost by plan year"
    if inc is None or not inc.cost_by_instrument or not np.any(inc.annual_total > 0):
        no_data(canvas, rect, title, "No paying incentive instruments in this district's "
                "package.")
        return
    cur = inc.currency
    years = np.asarray(inc.years)
    top = float(max(np.nanmax(inc.annual_total), inc.budget_cap or 0.0))
    ch = Chart(canvas, rect, f"{title} ({cur}, {inc.price_year} prices)",
               (-0.5, len(years) - 0.5), (0, top), y_label=cur, x_label="plan year",
               left_pt=38, key_rows=2)
    p = ch.p
    base = np.zeros(len(years))
    keys = []
    for k, (name, cost) in enumerate(inc.cost_by_instrument.items()):
        colour = SERIES[k % len(SERIES)]
        pattern = PATTERNS[k % len(PATTERNS)]
        p.setPen(canvas.pen(INK, 0.4))
        p.setBrush(QBrush(QColor(colour), pattern))
        for i, v in enumerate(np.nan_to_num(cost)):
            if v > 0:
                p.drawRect(QRectF(QPointF(ch.x(i - 0.38), ch.y(base[i] + v)),
                                  QPointF(ch.x(i + 0.38), ch.y(base[i]))))
        base += np.nan_to_num(cost)
        keys.append((name, colour, pattern))
    if inc.budget_cap:
        p.setPen(canvas.pen("#D55E00", 1.3, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(ch.plot.left(), ch.y(inc.budget_cap)),
                   QPointF(ch.plot.right(), ch.y(inc.budget_cap)))
        keys.append(("budget cap", "#D55E00", Qt.PenStyle.DashLine))
    ch.x_ticks(list(range(len(years))), [str(int(y) + 1) for y in years])
    ch.key(keys)


def projection(canvas: PlanCanvas, rect: QRectF, proj: object) -> None:
    """Creative jobs over the horizon, with and without the incentives."""
    title = "Projected creative jobs, with and without incentives"
    if proj is None:
        no_data(canvas, rect, title, "No projection: the incentive model did not run.")
        return
    years = np.asarray(proj.years)  # type: ignore[attr-defined]
    base = np.asarray(proj.jobs_baseline, dtype=float)  # type: ignore[attr-defined]
    withi = np.asarray(proj.jobs_with_incentives, dtype=float)  # type: ignore[attr-defined]
    if len(years) == 0 or not np.isfinite(withi).any():
        no_data(canvas, rect, title, "No creative jobs in the district to project.")
        return
    lo = float(np.nanmin([base.min(), withi.min()]))
    hi = float(np.nanmax([base.max(), withi.max()]))
    ch = Chart(canvas, rect, title, (float(years[0]), float(years[-1])),
               (lo * 0.95, hi * 1.02 if hi > 0 else 1), y_label="creative jobs",
               x_label="plan year", left_pt=38)
    p = ch.p
    for series, colour, style in ((base, "#7A7A7A", Qt.PenStyle.DashLine),
                                  (withi, "#0072B2", Qt.PenStyle.SolidLine)):
        path = QPainterPath(QPointF(ch.x(years[0]), ch.y(series[0])))
        for yv, v in zip(years[1:], series[1:], strict=True):
            path.lineTo(ch.x(yv), ch.y(v))
        p.setPen(canvas.pen(colour, 1.5, style))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
    step = max(1, len(years) // 10)
    ch.x_ticks([float(y) for y in years[::step]], [str(int(y)) for y in years[::step]])
    ch.key([("baseline", "#7A7A7A", Qt.PenStyle.DashLine),
            ("with incentives", "#0072B2", Qt.PenStyle.SolidLine)])


def tornado(canvas: PlanCanvas, rect: QRectF, figure: object, fmt: str,
            max_rows: int = 8) -> None:
    """One headline figure's tornado: each assumption alone at the low and the high end of
    its plausible range, largest swing first; the set value is the centre line."""
    from districtplanner.analysis.assumptions import parameter

    label = getattr(figure, "label", "")
    value = float(getattr(figure, "value", float("nan")))
    rows = list(getattr(figure, "tornado", []))[:max_rows]
    title = f"Tornado: {label}"
    if not rows or not math.isfinite(value):
        no_data(canvas, rect, title, getattr(figure, "note", "") or
                "No assumption moves this figure for this district.")
        return
    pt = canvas.pt
    p = canvas.painter
    assert p is not None
    ends = [v for r in rows for v in (r.value_low, r.value_high) if math.isfinite(v)]
    lo, hi = min([value, *ends]), max([value, *ends])
    span = (hi - lo) or abs(value) or 1.0
    lo, hi = lo - 0.05 * span, hi + 0.05 * span
    label_w = pt(140)
    p.setFont(font(8.5, bold=True))
    p.setPen(INK)
    p.drawText(QRectF(rect.left(), rect.top(), rect.width(), pt(12)),
               int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), title)
    plot = QRectF(rect.left() + label_w, rect.top() + pt(28), rect.width() - label_w - pt(8),
                  rect.height() - pt(42))
    row_h = min(plot.height() / len(rows), pt(16))

    def xv(v: float) -> float:
        return plot.left() + (v - lo) / (hi - lo) * plot.width()

    key_y = rect.top() + pt(15)
    for i, (text, colour, pattern) in enumerate((
            ("assumption at the low end", "#0072B2", Qt.BrushStyle.SolidPattern),
            ("at the high end", "#E69F00", Qt.BrushStyle.BDiagPattern))):
        x = plot.left() + i * pt(120)
        p.setPen(canvas.pen(INK, 0.4))
        p.setBrush(QBrush(QColor(colour), pattern))
        p.drawRect(QRectF(x, key_y + pt(1.5), pt(11), pt(6)))
        p.setFont(font(6.5))
        p.setPen(INK)
        p.drawText(QPointF(x + pt(14), key_y + pt(7)), text)
    for i, r in enumerate(rows):
        y = plot.top() + i * row_h
        spec = parameter(r.parameter)
        p.setFont(font(6.5))
        p.setPen(INK)
        p.drawText(QRectF(rect.left(), y, label_w - pt(4), row_h),
                   int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                   p.fontMetrics().elidedText(spec.label, Qt.TextElideMode.ElideRight,
                                              int(label_w - pt(6))))
        for end, v, colour, pattern in ((r.low, r.value_low, "#0072B2",
                                         Qt.BrushStyle.SolidPattern),
                                        (r.high, r.value_high, "#E69F00",
                                         Qt.BrushStyle.BDiagPattern)):
            if not math.isfinite(v):
                continue
            p.setPen(canvas.pen(INK, 0.4))
            p.setBrush(QBrush(QColor(colour), pattern))
            left, right = sorted((xv(value), xv(v)))
            p.drawRect(QRectF(left, y + row_h * 0.18, max(right - left, pt(0.5)),
                              row_h * 0.64))
            p.setPen(MUTED)
            p.setFont(font(5.5))
            at = xv(v) + (pt(2) if v >= value else -pt(2) - pt(40))
            align = Qt.AlignmentFlag.AlignLeft if v >= value else Qt.AlignmentFlag.AlignRight
            p.drawText(QRectF(at, y, pt(40), row_h),
                       int(align | Qt.AlignmentFlag.AlignVCenter), f"{end:g}")
    p.setPen(canvas.pen(INK, 0.9))
    p.drawLine(QPointF(xv(value), plot.top() - pt(2)),
               QPointF(xv(value), plot.top() + len(rows) * row_h + pt(2)))
    p.setFont(font(6.5))
    p.setPen(MUTED)
    base = plot.top() + len(rows) * row_h + pt(3)
    for t in nice_ticks(lo, hi, 4):
        if lo <= t <= hi:
            p.drawText(QRectF(xv(t) - pt(25), base, pt(50), pt(9)),
                       int(Qt.AlignmentFlag.AlignHCenter), short_number(t))
    p.setPen(INK)
    p.drawText(QRectF(xv(value) - pt(60), base + pt(9), pt(120), pt(9)),
               int(Qt.AlignmentFlag.AlignHCenter), f"as set: {format(value, fmt)}")
