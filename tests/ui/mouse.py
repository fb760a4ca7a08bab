"""Simulated mouse input at map coordinates, with the button states a real mouse has."""

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt

LEFT = Qt.MouseButton.LeftButton


def send(canvas, kind: QtCore.QEvent.Type, x: float, y: float, button=LEFT, buttons=None):
    """One mouse event at map (x, y) metres on the canvas viewport."""
    pos = QtCore.QPointF(canvas.screen_point(x, y))
    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == QtCore.QEvent.Type.MouseButtonRelease \
            else button
    ev = QtGui.QMouseEvent(kind, pos, canvas.viewport().mapToGlobal(pos), button, buttons,
                           Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(canvas.viewport(), ev)


def click(canvas, x, y, button=LEFT):
    send(canvas, QtCore.QEvent.Type.MouseButtonPress, x, y, button)
    send(canvas, QtCore.QEvent.Type.MouseButtonRelease, x, y, button)


def hover(canvas, x, y):
    send(canvas, QtCore.QEvent.Type.MouseMove, x, y, Qt.MouseButton.NoButton,
         Qt.MouseButton.NoButton)


def press(canvas, x, y, button=LEFT):
    send(canvas, QtCore.QEvent.Type.MouseButtonPress, x, y, button)


def move_held(canvas, x, y, button=LEFT):
    send(canvas, QtCore.QEvent.Type.MouseMove, x, y, Qt.MouseButton.NoButton, button)


def release(canvas, x, y, button=LEFT):
    send(canvas, QtCore.QEvent.Type.MouseButtonRelease, x, y, button)


def drag(canvas, path, button=LEFT):
    """Press at path[0], move through the rest holding the button, release at the end."""
    press(canvas, *path[0], button)
    for x, y in path[1:]:
        move_held(canvas, x, y, button)
    release(canvas, *path[-1], button)
