"""A scale bar in metres or kilometres, drawn in screen pixels over the map so it stays
readable at every zoom."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui


def nice_length(metres_per_px: float, max_px: float = 160.0) -> float:
    """The longest 1, 2 or 5 x 10^k metres that fits in ``max_px`` screen pixels."""
    if metres_per_px <= 0 or not math.isfinite(metres_per_px):
        return 0.0
    limit = metres_per_px * max_px
    exp = math.floor(math.log10(limit))
    for mult in (5, 2, 1):
        length = mult * 10.0**exp
        if length <= limit:
            return length
    return 10.0 ** (exp - 1) * 5


def format_length(metres: float) -> str:
    """'250 m', '1 km', '2.5 km', '50 cm'."""
    if metres >= 1000:
        km = metres / 1000
        return f"{km:g} km"
    if metres >= 1:
        return f"{metres:g} m"
    return f"{metres * 100:g} cm"


def paint_scale_bar(painter: QtGui.QPainter, viewport: QtCore.QRect,
                    metres_per_px: float) -> QtCore.QRectF | None:
    """Draw the bar in the lower left of ``viewport`` (device pixels) on a light plate;
    returns the plate's rectangle, or None when the scale is undefined."""
    length = nice_length(metres_per_px)
    if length <= 0:
        return None
    bar_px = length / metres_per_px
    label = format_length(length)
    font = QtGui.QFont(painter.font())
    font.setPointSizeF(10.0)
    font.setBold(True)
    metrics = QtGui.QFontMetricsF(font)
    text_w = metrics.horizontalAdvance(label)
    pad = 8.0
    plate_w = max(bar_px, text_w) + 2 * pad
    plate_h = metrics.height() + 10 + 2 * pad
    x = viewport.left() + 14.0
    y = viewport.bottom() - 14.0 - plate_h
    plate = QtCore.QRectF(x, y, plate_w, plate_h)
    painter.save()
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(QtGui.QColor(255, 255, 255, 215))
    painter.drawRoundedRect(plate, 4, 4)
    bx = x + pad
    by = y + pad + metrics.height() + 2
    half = bar_px / 2
    painter.setBrush(QtGui.QColor("#222222"))
    painter.drawRect(QtCore.QRectF(bx, by, half, 6))
    painter.setBrush(QtGui.QColor("#FFFFFF"))
    painter.setPen(QtGui.QPen(QtGui.QColor("#222222"), 1))
    painter.drawRect(QtCore.QRectF(bx + half, by, half, 6))
    painter.setFont(font)
    painter.setPen(QtGui.QColor("#222222"))
    painter.drawText(QtCore.QPointF(bx, y + pad + metrics.ascent()), label)
    painter.restore()
    return plate
