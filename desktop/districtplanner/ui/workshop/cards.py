"""The headline cards of a scenario column: the same six figures, in the same order, in
every column, each with its change against a reference and a bar on an axis shared by all
columns (so a longer bar is a larger value wherever it stands)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from districtplanner.analysis.metrics import Metrics
from districtplanner.ui import theme


def _finite(value: float | None) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(value)


def compact(value: float | None, digits: int = 0) -> str:
    """Short numbers for a projector: 2,140 / 18.4 k / 1.25 m; '—' when undefined."""
    if not _finite(value):
        return "—"
    v = abs(value)
    sign = "-" if value < 0 else ""
    if v >= 1e9:
        return f"{sign}{v / 1e9:.2f} bn"
    if v >= 1e6:
        return f"{sign}{v / 1e6:.2f} m"
    if v >= 1e5:
        return f"{sign}{v / 1e3:.0f} k"
    return f"{sign}{v:,.{digits}f}"


def _signed(value: float, digits: int) -> str:
    if not _finite(value):
        return "—"
    text = compact(abs(value), digits)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def _npv(m: Metrics) -> float:
    return m.incentives.npv if m.incentives is not None else math.nan


def _cost_per_job(m: Metrics) -> float:
    return m.incentives.cost_per_job_direct if m.incentives is not None else math.nan


def _risk_alert(m: Metrics) -> str:
    cls = m.affordability.displacement_class
    return f"{cls.upper()} RISK" if cls in ("high", "very high") else ""


def _methods(m: Metrics) -> str:
    """How many of the published displacement methods flag the district, when known."""
    dm = getattr(m, "displacement_methods", None)
    if dm is None or not getattr(dm, "of", 0):
        return ""
    names = ", ".join(r.name for r in dm.methods)
    return f"; flagged by {dm.flagged_by} of {dm.of} published methods ({names})"


def _budget_alert(m: Metrics) -> str:
    inc = m.incentives
    if inc is None or not inc.over_budget_years:
        return ""
    n = len(inc.over_budget_years)
    return f"OVER BUDGET in {n} year{'s' if n != 1 else ''}"


def _share(part: float, whole: float) -> str:
    if not (_finite(part) and _finite(whole)) or whole <= 0:
        return "city: —"
    return f"{part / whole:.1%} of the city"


@dataclass(frozen=True)
class Card:
    """One headline figure. ``vs_city`` words the figure against the whole city; against
    another scenario a card shows the signed difference."""

    key: str
    title: str
    value: Callable[[Metrics], float]
    digits: int
    detail: Callable[[Metrics], str]
    vs_city: Callable[[Metrics, Metrics], str]
    alert: Callable[[Metrics], str] = lambda m: ""
    #: The figure of ``analysis.sensitivity`` whose 90% interval this card shows (None: the
    #: Monte Carlo has no interval of this figure) and the factor from that figure to the
    #: card's (households: the share a community land trust shelters, not sampled).
    interval_key: str | None = None
    interval_factor: Callable[[Metrics], float] = lambda m: 1.0
    #: Whether the card's figure is the one the interval is of (the LQ: on establishments).
    interval_applies: Callable[[Metrics], bool] = lambda m: True

    def has_interval(self, m: Metrics) -> bool:
        """The card shows an interval line for ``m`` (pending or arrived)."""
        return self.interval_key is not None and bool(self.interval_applies(m))


CARDS: tuple[Card, ...] = (
    Card("creative_jobs", "Creative jobs", lambda m: m.concentration.creative_jobs, 0,
         lambda m: f"in {compact(m.concentration.creative_establishments)} creative firms",
         lambda m, c: _share(m.concentration.creative_jobs, c.concentration.creative_jobs)),
    Card("location_quotient", "Location quotient",
         lambda m: m.concentration.location_quotient, 2,
         lambda m: "1.00 = city average",
         lambda m, c: f"city: {c.concentration.location_quotient:.2f}",
         # The Wilson interval is of the establishment LQ: shown only when the card's LQ
         # is that one (the city has no jobs counts).
         interval_key="location_quotient",
         interval_applies=lambda m: m.concentration.lq_basis == "establishments"),
    Card("displacement_risk", "Displacement risk",
         lambda m: m.affordability.displacement_risk, 2,
         lambda m: f"index 0-1, class {m.affordability.displacement_class}{_methods(m)}",
         lambda m, c: f"city: {c.affordability.displacement_risk:.2f}", _risk_alert,
         "displacement_risk"),
    Card("households_at_risk", "Households at risk",
         lambda m: m.affordability.households_priced_out_mitigated, 0,
         lambda m: (f"priced out by the plan's rents, of "
                    f"{compact(m.affordability.renter_households)} renter households"),
         lambda m, c: _share(m.affordability.households_priced_out_mitigated,
                             c.affordability.households_priced_out_mitigated),
         interval_key="households_priced_out",
         interval_factor=lambda m: 1.0 - m.assumptions.clt_share),
    Card("npv", "Public cost NPV €", _npv, 0,
         lambda m: (f"{compact(m.incentives.nominal_total)} € nominal"
                    if m.incentives is not None else "no package"),
         lambda m, c: f"cap {compact(m.assumptions.budget_cap)} €/yr", _budget_alert,
         "npv"),
    Card("cost_per_job", "Cost per job €", _cost_per_job, 0,
         lambda m: (f"{compact(m.incentives.jobs_created_direct)} jobs created"
                    if m.incentives is not None else ""),
         lambda m, c: "city: no package"),
)


#: What an interval line says while the Monte Carlo runs, and where a card has none.
PENDING = "90%: …"
NO_INTERVAL = "90%: no interval"


def interval_of(card: Card, m: Metrics, sensitivity: object | None) -> tuple[float, float] | None:
    """(p5, p95) of the card's figure from ``sensitivity`` (a ``Sensitivity`` of ``m``), or
    None when it has no interval of the very figure the card shows: the Monte Carlo's
    value must equal the card's, so an interval of a neighbouring figure (cost per
    discounted job-year beside cost per job, the establishment LQ beside the jobs LQ)
    is never put under the wrong number."""
    if not card.has_interval(m) or sensitivity is None:
        return None
    fig = getattr(sensitivity, "figures", {}).get(card.interval_key)
    if fig is None or not fig.interval:
        return None
    factor = card.interval_factor(m)
    lo, hi = fig.interval.get("p5"), fig.interval.get("p95")
    if not (_finite(lo) and _finite(hi) and _finite(fig.value) and _finite(factor)):
        return None
    shown = float(card.value(m))
    if not math.isclose(fig.value * factor, shown, rel_tol=1e-6, abs_tol=1e-9):
        return None
    return lo * factor, hi * factor


def interval_words(card: Card, bounds: tuple[float, float] | None) -> str:
    """'90%: 0.31 – 0.47' (p5 to p95) under a card's value."""
    if bounds is None:
        return NO_INTERVAL
    return f"90%: {compact(bounds[0], card.digits)} – {compact(bounds[1], card.digits)}"


class ValueBar(QWidget):
    """A thick horizontal bar: this column's value over the largest of all columns."""

    def __init__(self, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fraction = 0.0
        self.colour = QColor(colour)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(8)

    def set_fraction(self, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0) if _finite(fraction) else 0.0
        if abs(fraction - self.fraction) > 1e-4:
            self.fraction = fraction
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        r = QRectF(self.rect())
        p.fillRect(r, QColor("#E4E1DA"))
        p.fillRect(QRectF(r.x(), r.y(), r.width() * self.fraction, r.height()), self.colour)
        p.end()


class CardWidget(QFrame):
    """Title, big value, bar, the change against the reference, and any alert in words.
    The detail line (what the figure counts) is the card's tooltip: at 1024x768 a column
    has room for six cards of four lines, not five."""

    def __init__(self, card: Card, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.card = card
        # Painted by hand, not by a style sheet: a style sheet makes every label in the
        # card paint through the slow style-sheet style on each slider frame.
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.title = QLabel(card.title)
        self.value = QLabel("—")
        # The 90% interval (p5 to p95) of the value, from the Monte Carlo run in the
        # worker once the sliders settle; "…" until it arrives.
        self.interval = QLabel(PENDING)
        self.interval.setToolTip("90% interval (5th to 95th percentile) of this figure over "
                                 "the assumptions' plausible ranges; see the Sensitivity "
                                 "panel and docs/methods.md")
        self.change = QLabel("")
        self.alert = QLabel("")
        for label in (self.title, self.change, self.alert):
            label.setWordWrap(True)
        self.bar = ValueBar(colour)
        for label, colour_ in ((self.title, theme.TEXT), (self.value, theme.TEXT),
                               (self.change, theme.TEXT), (self.alert, theme.ALERT),
                               (self.interval, theme.MUTED)):
            pal = label.palette()
            pal.setColor(QPalette.ColorRole.WindowText, QColor(colour_))
            label.setPalette(pal)
        self.alert.hide()
        self.interval.hide()
        lay = QVBoxLayout(self)
        lay.setSpacing(0)
        for w in (self.title, self.value, self.interval, self.bar, self.change, self.alert):
            lay.addWidget(w)
        self.raw = math.nan
        self.detail = ""

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor("#8C877E"), 2)
        p.setPen(pen)
        p.setBrush(QColor("white"))
        p.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 6, 6)
        p.end()

    def set_scale(self, s: float) -> None:
        self.title.setFont(theme.px_font(13 * s, QFont.Weight.DemiBold))
        self.value.setFont(theme.px_font(theme.ROOM_FIGURE_PX * s, QFont.Weight.Bold))
        self.interval.setFont(theme.px_font(13 * s, QFont.Weight.DemiBold))
        self.change.setFont(theme.px_font(13 * s, QFont.Weight.DemiBold))
        self.alert.setFont(theme.px_font(13 * s, QFont.Weight.Bold))
        self.bar.setFixedHeight(max(4, round(7 * s)))
        m = max(3, round(4 * s))
        self.layout().setContentsMargins(m, max(1, round(2 * s)), m, max(2, round(3 * s)))

    def show_metrics(self, m: Metrics, reference: Metrics | None, reference_name: str,
                     city: Metrics | None) -> None:
        """``reference`` None: compare with the whole ``city``; the same object as ``m``:
        this column is the reference."""
        card = self.card
        self.raw = float(card.value(m))
        self.value.setText(compact(self.raw, card.digits))
        if reference is None:
            self.change.setText(card.vs_city(m, city) if city is not None else "")
        elif reference is m:
            self.change.setText("the reference")
        else:
            diff = self.raw - float(card.value(reference))
            self.change.setText(f"{_signed(diff, card.digits)} vs {reference_name}")
        detail = card.detail(m)
        if detail != self.detail:
            self.detail = detail
            self.setToolTip(f"{card.title}: {detail}")
        alert = card.alert(m)
        # A card whose figure has no interval (a count from the data, cost per job beside
        # the model's cost per job-year) shows no line: at 1024x768 a column has no row
        # to spare, and the same cards lack it in every column.
        has = card.has_interval(m)
        if has != self.interval.isVisibleTo(self):
            self.interval.setVisible(has)
        if has:
            self.show_interval(None, pending=True)
        if alert != self.alert.text().removeprefix("⚠ "):
            self.alert.setText(f"⚠ {alert}" if alert else "")
            self.alert.setVisible(bool(alert))

    def show_interval(self, bounds: tuple[float, float] | None, pending: bool = False) -> None:
        """The interval line: the bounds, "…" while they are being computed, or none."""
        text = PENDING if pending else interval_words(self.card, bounds)
        if text != self.interval.text():
            self.interval.setText(text)
