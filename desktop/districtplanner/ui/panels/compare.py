"""Compare view: every district and the whole-city baseline side by side, copyable to a
spreadsheet as tab-separated text (plain numbers: a spreadsheet reads '1,418' as text)."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from districtplanner.analysis.metrics import Metrics
from districtplanner.ui.recompute import MetricsBundle

Row = tuple[str, str, Callable[[Metrics], float | str | None]]

# Figures that count things (firms, jobs, households): shown and copied as whole numbers.
COUNTS = frozenset({"Firms", "Creative firms", "Creative jobs",
                    "Households priced out (mitigated)", "Creative firms priced out (mitigated)"})
# Where a unit says "currency", the plan's own currency is shown.
CURRENCY = "currency"
# The raw value of a cell, for Copy table.
VALUE_ROLE = Qt.ItemDataRole.UserRole + 1

ROWS: tuple[Row, ...] = (
    ("Area", "km²", lambda m: m.area_km2),
    ("Firms", "", lambda m: m.concentration.establishments),
    ("Creative firms", "", lambda m: m.concentration.creative_establishments),
    ("Creative jobs", "", lambda m: m.concentration.creative_jobs),
    ("Creative firms per km²", "1/km²", lambda m: m.concentration.creative_establishments_per_km2),
    ("Share of city creative jobs", "%",
     lambda m: 100 * m.concentration.share_of_city_creative_jobs),
    ("Location quotient", "", lambda m: m.concentration.location_quotient),
    ("Diversity (entropy)", "0-1", lambda m: m.concentration.entropy),
    ("HHI", "0-1", lambda m: m.concentration.hhi),
    ("Creative firms near transit", "%", lambda m: 100 * m.concentration.transit_near_share),
    ("Median rent", "per m²/month", lambda m: m.affordability.rent_median),
    ("Rent IQR", "per m²/month", lambda m: m.affordability.rent_iqr),
    ("Rent-burdened households", "%", lambda m: 100 * m.affordability.rent_burden_share),
    ("Displacement risk index", "0-1", lambda m: m.affordability.displacement_risk),
    ("Displacement risk class", "", lambda m: m.affordability.displacement_class),
    ("Households priced out (mitigated)", "",
     lambda m: m.affordability.households_priced_out_mitigated),
    ("Creative firms priced out (mitigated)", "",
     lambda m: m.affordability.creative_firms_priced_out_mitigated),
    ("Incentives NPV", "currency", lambda m: m.incentives.npv if m.incentives else None),
    ("Incentives nominal total", "currency",
     lambda m: m.incentives.nominal_total if m.incentives else None),
    ("Cost per job created", "currency",
     lambda m: m.incentives.cost_per_job_direct if m.incentives else None),
)


def _cell(value: float | str | None, count: bool = False) -> str:
    """A figure as shown: whole numbers for counts ('951 firms', not '951.0'), thousands
    separated for reading."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not math.isfinite(value):
        return ""
    if count or abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def plain_number(value: float | str | None, count: bool = False) -> str:
    """A figure as a spreadsheet reads it: no thousands separators, a dot for decimals,
    counts whole, other numbers to 4 decimals with trailing zeros dropped."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not math.isfinite(value):
        return ""
    if count:
        return str(round(value))
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class CompareView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        copy = QPushButton("Copy table")
        copy.setToolTip("Copy as tab-separated text, ready to paste into a spreadsheet")
        copy.clicked.connect(self.copy)
        QShortcut(QKeySequence.StandardKey.Copy, self.table, activated=self.copy)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(copy)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.table)
        lay.addLayout(row)
        self._bundle: MetricsBundle | None = None
        self._stale = False

    def show_metrics(self, bundle: MetricsBundle) -> None:
        """Keep the figures; fill the table only when it can be seen (a hidden Compare dock
        must cost nothing on every frame of a vertex drag)."""
        self._bundle = bundle
        self._stale = True
        if self.isVisible():
            self._fill()

    def showEvent(self, event: QShowEvent) -> None:
        if self._stale:
            self._fill()
        super().showEvent(event)

    def _fill(self) -> None:
        bundle = self._bundle
        self._stale = False
        if bundle is None:
            return
        columns = [bundle.baseline, *bundle.districts.values()]
        self.table.setRowCount(len(ROWS))
        self.table.setColumnCount(len(columns) + 1)
        self.table.setHorizontalHeaderLabels(["Unit", *(m.name for m in columns)])
        self.table.setVerticalHeaderLabels([r[0] for r in ROWS])
        currency = getattr(bundle.assumptions, "currency", "") or "EUR"
        for r, (label, unit, get) in enumerate(ROWS):
            self.table.setItem(r, 0, QTableWidgetItem(unit.replace(CURRENCY, currency)))
            count = label in COUNTS
            for c, m in enumerate(columns, start=1):
                try:
                    value = get(m)
                except (AttributeError, TypeError):
                    value = None
                item = QTableWidgetItem(_cell(value, count))
                item.setData(VALUE_ROLE, plain_number(value, count))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()

    def as_tsv(self) -> str:
        """The whole table (header row and figure names included) as tab-separated text,
        figures as plain numbers a spreadsheet reads as numbers."""
        if self._stale:
            self._fill()
        header = ["Figure"] + [self.table.horizontalHeaderItem(c).text()
                               for c in range(self.table.columnCount())]
        lines = ["\t".join(header)]
        for r in range(self.table.rowCount()):
            cells = [self.table.verticalHeaderItem(r).text()]
            cells += [_plain(self.table.item(r, c)) for c in range(self.table.columnCount())]
            lines.append("\t".join(cells))
        return "\n".join(lines) + "\n"

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.as_tsv())


def _plain(item: QTableWidgetItem | None) -> str:
    if item is None:
        return ""
    raw = item.data(VALUE_ROLE)
    return item.text() if raw is None else str(raw)
