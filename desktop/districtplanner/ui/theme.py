"""Colours, fonts and sizes shared by every widget, chosen to read on a projector."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from districtplanner.analysis.sectors import SECTOR_COLOURS

BACKGROUND = "#F7F5F0"   # warm paper: calm under a projector, distinct from white panels
PANEL = "#FFFFFF"
TEXT = "#1E1E1E"
MUTED = "#6B6B6B"
ACCENT = "#0072B2"
WARNING = "#D55E00"
GOOD = "#009E73"

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
