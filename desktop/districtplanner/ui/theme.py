"""Colours, fonts and sizes shared by every widget, chosen to read on a projector.

Sizes are scaled inside the app (fonts, pens, pyqtgraph axes) from the size of the window
they are shown in, never by setting QT_SCALE_FACTOR: a planner's own scale setting stays
theirs, and a workshop window on a 4K projector gets proportionally larger type."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import QApplication

from districtplanner.analysis.sectors import SECTOR_COLOURS

BACKGROUND = "#F7F5F0"   # warm paper: calm under a projector, distinct from white panels
PANEL = "#FFFFFF"
TEXT = "#1E1E1E"
MUTED = "#6B6B6B"
ACCENT = "#0072B2"
WARNING = "#D55E00"
GOOD = "#009E73"
# Dark enough on white for a washed-out projector (contrast ratio over 7:1).
ALERT = "#A33A00"

# Displacement-risk classes, light to dark (ColorBrewer OrRd 4, colour-blind-safe order).
RISK_COLOURS = {
    "low": "#FEF0D9",
    "moderate": "#FDCC8A",
    "high": "#FC8D59",
    "very high": "#D7301F",
}

# Okabe-Ito colours per incentive instrument kind, in the stacked cost chart and the table.
INSTRUMENT_COLOURS = {
    "tax_abatement": "#0072B2",
    "job_grant": "#E69F00",
    "startup_grant": "#009E73",
    "loan": "#CC79A7",
    "workspace_subsidy": "#56B4E9",
    "ppp": "#D55E00",
}

# Point sizes of figure text in the docked panels. Below 9 pt (12 px at 96 dpi), axis ticks
# and tile details blur on a 1024x768 projector; the test suite checks the floor in pixels.
# Tiles stay at 9 pt so a Concentration tab still fits 1280x800 without scrolling.
CHART_AXIS_PT = 9.5
CHART_LABEL_PT = 9.5
TILE_TITLE_PT = 9.0
TILE_DETAIL_PT = 9.0
TILE_VALUE_PT = 13.0
#: The smallest figure text (pixels) any docked panel may draw at the default DPI.
MIN_TEXT_PX = 12

# The workshop room view is laid out for 1024x768 and scaled from there.
ROOM_BASE = (1024, 768)
#: Pixel height of a headline figure's font in the room view at 1024x768 (issue 14: at
#: least 28 px); it grows with the window.
ROOM_FIGURE_PX = 30


def room_scale(width: int, height: int) -> float:
    """How much larger than 1024x768 a room-view window is (1.0 at that size, never below
    0.75 so a shrunken preview stays readable)."""
    bw, bh = ROOM_BASE
    return max(0.75, min(width / bw, height / bh))


def px_font(pixels: float, weight: QFont.Weight = QFont.Weight.Normal,
            base: QFont | None = None) -> QFont:
    """The app font at ``pixels`` pixel height (workshop text is sized in pixels, so it is
    the same on any DPI setting of the laptop)."""
    font = QFont(base if base is not None else QApplication.font())
    font.setPixelSize(max(1, round(pixels)))
    font.setWeight(weight)
    return font


def text_px(font: QFont) -> int:
    """The pixel height of ``font`` as drawn (what the legibility tests check)."""
    return QFontMetrics(font).height()


def sector_colour(sector: str) -> QColor:
    return QColor(SECTOR_COLOURS.get(sector, SECTOR_COLOURS["non_creative"]))


def apply(app: QApplication) -> None:
    """A light Fusion theme with a larger default font for workshops."""
    app.setStyle("Fusion")
    pal = app.palette()
    pal.setColor(QPalette.ColorRole.Window, QColor("#EFEDE8"))
    pal.setColor(QPalette.ColorRole.Base, QColor(PANEL))
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor("#F4F2ED"))
    pal.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#FFFFFF"))
    app.setPalette(pal)
    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    app.setFont(font)
