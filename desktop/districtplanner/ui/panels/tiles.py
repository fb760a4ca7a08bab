"""Figure tiles: one number, its unit, a comparison line, and its method on hover/click."""

from __future__ import annotations

import math
from collections.abc import Iterator

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QToolTip, QVBoxLayout, QWidget

from districtplanner.ui import theme


def fmt_number(value: float | None, digits: int = 0, unit: str = "") -> str:
    """Thousands separators, fixed decimals, '—' for missing values (never 'nan')."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}".strip() if unit else text


def fmt_money(value: float | None, currency: str = "EUR") -> str:
    """Compact money: 1.2 m EUR, 350 k EUR, 12,400 EUR."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    v = abs(value)
    sign = "-" if value < 0 else ""
    if v >= 1e9:
        return f"{sign}{v / 1e9:,.2f} bn {currency}"
    if v >= 1e6:
        return f"{sign}{v / 1e6:,.2f} m {currency}"
    if v >= 1e4:
        return f"{sign}{v / 1e3:,.0f} k {currency}"
    return f"{sign}{v:,.0f} {currency}"


def fmt_share(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{100 * value:.{digits}f}%"


class FigureTile(QFrame):
    """A single figure. Hover shows its explanation; click pins it (``explain_requested``)."""

    explain_requested = Signal(str)  # the figure key

    def __init__(self, key: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName("FigureTile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#FigureTile { background: white; border: 1px solid #D8D4CC; border-radius: 6px; }"
        )
        self.setCursor(Qt.CursorShape.WhatsThisCursor)
        self.title_label = QLabel(title)
        self.title_label.setStyleSheet(
            f"color: {theme.MUTED}; font-size: {theme.TILE_TITLE_PT}pt;")
        self.title_label.setWordWrap(True)
        self.value_label = QLabel("—")
        self.value_label.setStyleSheet(
            f"color: {theme.TEXT}; font-size: {theme.TILE_VALUE_PT}pt; font-weight: 600;")
        self.detail_label = QLabel("")
        self.detail_label.setStyleSheet(
            f"color: {theme.MUTED}; font-size: {theme.TILE_DETAIL_PT}pt;")
        self.detail_label.setWordWrap(True)
        # The 90% Monte Carlo interval of the figure (analysis/sensitivity.py), or
        # "pending" until the worker delivers it; hidden where no interval applies.
        self.interval_label = QLabel("")
        self.interval_label.setStyleSheet(
            f"color: {theme.ACCENT}; font-size: {theme.TILE_DETAIL_PT}pt;")
        self.interval_label.setWordWrap(True)
        self.interval_label.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(1)
        lay.addWidget(self.title_label)
        lay.addWidget(self.value_label)
        lay.addWidget(self.interval_label)
        lay.addWidget(self.detail_label)
        self.explanation = ""
        self._colour: str | None = None

    def set_value(self, text: str, detail: str = "", explanation: str = "",
                  colour: str | None = None) -> None:
        self.value_label.setText(text)
        self.detail_label.setText(detail)
        self.detail_label.setVisible(bool(detail))
        self.explanation = explanation
        self.setToolTip(explanation)
        if colour != self._colour:  # stylesheets are slow to re-apply
            self._colour = colour
            self.value_label.setStyleSheet(
                f"color: {colour or theme.TEXT}; font-size: {theme.TILE_VALUE_PT}pt; "
                "font-weight: 600;"
            )

    def set_interval(self, text: str) -> None:
        """Show ``text`` (e.g. "90%: 1,674 to 2,318") under the value; '' hides it."""
        self.interval_label.setText(text)
        self.interval_label.setVisible(bool(text))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.explanation:
            QToolTip.showText(event.globalPosition().toPoint(), self.explanation, self)
        self.explain_requested.emit(self.key)
        super().mousePressEvent(event)


class TileGrid(QWidget):
    """Tiles in a fixed number of columns, addressable by key."""

    MIN_TILE_WIDTH = 140

    def __init__(self, columns: int = 3, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.max_columns = columns
        self.tiles: dict[str, FigureTile] = {}
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)

    def add(self, key: str, title: str) -> FigureTile:
        tile = FigureTile(key, title)
        n = len(self.tiles)
        self.grid.addWidget(tile, n // self.columns, n % self.columns)
        self.tiles[key] = tile
        return tile

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Reflow to as many columns as fit (tiles stay readable in a narrow dock)."""
        columns = max(1, min(self.max_columns, event.size().width() // self.MIN_TILE_WIDTH))
        if columns != self.columns:
            self.columns = columns
            for n, tile in enumerate(self.tiles.values()):
                self.grid.removeWidget(tile)
                self.grid.addWidget(tile, n // columns, n % columns)
        super().resizeEvent(event)

    def __getitem__(self, key: str) -> FigureTile:
        return self.tiles[key]

    # With only __getitem__, Python treats the grid as an old-style sequence: `x in grid` or
    # iteration (as Qt's event filters and shiboken may do) asks grid[0] and a KeyError
    # escapes into Qt. Iterating yields the tiles.
    def __iter__(self) -> Iterator[FigureTile]:
        return iter(self.tiles.values())
