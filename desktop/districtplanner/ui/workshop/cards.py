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


CARDS: tuple[Card, ...] = (
    Card("creative_jobs", "Creative jobs", lambda m: m.concentration.creative_jobs, 0,
         lambda m: f"in {compact(m.concentration.creative_establishments)} creative firms",
         lambda m, c: _share(m.concentration.creative_jobs, c.concentration.creative_jobs)),
    Card("location_quotient", "Location quotient",
         lambda m: m.concentration.location_quotient, 2,
         lambda m: "1.00 = city average",
         lambda m, c: f"city: {c.concentration.location_quotient:.2f}"),
    Card("displacement_risk", "Displacement risk",
         lambda m: m.affordability.displacement_risk, 2,
         lambda m: f"index 0-1, class {m.affordability.displacement_class}{_methods(m)}",
         lambda m, c: f"city: {c.affordability.displacement_risk:.2f}", _risk_alert),
    Card("households_at_risk", "Households at risk",
         lambda m: m.affordability.households_priced_out_mitigated, 0,
         lambda m: (f"priced out by the plan's rents, of "
                    f"{compact(m.affordability.renter_households)} renter households"),
         lambda m, c: _share(m.affordability.households_priced_out_mitigated,
                             c.affordability.households_priced_out_mitigated)),
    Card("npv", "Public cost NPV €", _npv, 0,
         lambda m: (f"{compact(m.incentives.nominal_total)} € nominal"
                    if m.incentives is not None else "no package"),
         lambda m, c: f"cap {compact(m.assumptions.budget_cap)} €/yr", _budget_alert),
    Card("cost_per_job", "Cost per job €", _cost_per_job, 0,
         lambda m: (f"{compact(m.incentives.jobs_created_direct)} jobs created"
                    if m.incentives is not None else ""),
         lambda m, c: "city: no package"),
)


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
        self.change = QLabel("")
        self.alert = QLabel("")
        for label in (self.title, self.change, self.alert):
            label.setWordWrap(True)
        self.bar = ValueBar(colour)
        for label, colour_ in ((self.title, theme.TEXT), (self.value, theme.TEXT),
                               (self.change, theme.TEXT), (self.alert, theme.ALERT)):
            pal = label.palette()
            pal.setColor(QPalette.ColorRole.WindowText, QColor(colour_))
            label.setPalette(pal)
        self.alert.hide()
        lay = QVBoxLayout(self)
        lay.setSpacing(0)
        for w in (self.title, self.value, self.bar, self.change, self.alert):
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
        if alert != self.alert.text().removeprefix("⚠ "):
            self.alert.setText(f"⚠ {alert}" if alert else "")
            self.alert.setVisible(bool(alert))
