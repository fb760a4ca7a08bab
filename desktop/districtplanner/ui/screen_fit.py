"""Fitting the main window to the screen it opens on, and remembering its layout.

The window opens to fill a small screen (a 1024x768 projector, a 1280x800 laptop) and to
nine tenths of a large one, centred; the planner's own layout (size, place, docks) comes
back next time from QSettings. ``DISTRICT_PLANNER_SETTINGS`` names an INI file to use
instead of the user's settings (tests, kiosks), and an empty value turns remembering off.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QMainWindow

SETTINGS_ENV = "DISTRICT_PLANNER_SETTINGS"
#: Bumped when the docks change, so an old saved layout is not restored over new docks.
LAYOUT_VERSION = 1
#: Below this available size the window fills the screen instead of nine tenths of it.
FILL_BELOW = (1700, 1100)


def settings() -> QSettings | None:
    """The settings store, or None when remembering is turned off."""
    path = os.environ.get(SETTINGS_ENV)
    if path is None:
        return QSettings()
    if not path:
        return None
    return QSettings(path, QSettings.Format.IniFormat)


def initial_geometry(available: QRect) -> QRect:
    """Where a new window goes on a screen with this available geometry."""
    w, h = available.width(), available.height()
    if w >= FILL_BELOW[0]:
        w = int(w * 0.9)
    if h >= FILL_BELOW[1]:
        h = int(h * 0.9)
    rect = QRect(0, 0, w, h)
    rect.moveCenter(available.center())
    return rect


def window_screen(window: QMainWindow) -> QScreen:
    return window.screen() or QGuiApplication.primaryScreen()


def place(window: QMainWindow) -> QRect | None:
    """Restore the saved size and place, else fit the screen; returns where the window
    was put (for :func:`fit_frame` once shown), or None when a saved layout was restored."""
    store = settings()
    if store is not None and store.value("layout/version", 0, int) == LAYOUT_VERSION:
        saved = store.value("window/geometry")
        if isinstance(saved, QByteArray) and window.restoreGeometry(saved):
            available = window_screen(window).availableGeometry()
            if available.intersects(window.frameGeometry()):
                return None
    rect = initial_geometry(window_screen(window).availableGeometry())
    window.setGeometry(rect)
    return rect


def fit_frame(window: QMainWindow, placed: QRect) -> None:
    """Once the window is shown and its frame (title bar, borders) is known, shrink it so
    the frame fits the screen too, unless something else resized it in the meantime."""
    if window.geometry().size() != placed.size() or window.isMaximized() or \
            window.isFullScreen():
        return
    available = window_screen(window).availableGeometry()
    frame = window.frameGeometry()
    if available.contains(frame):
        return
    extra_w = frame.width() - window.width()
    extra_h = frame.height() - window.height()
    window.resize(placed.size().boundedTo(
        QSize(available.width() - extra_w, available.height() - extra_h)))
    outer = window.frameGeometry()
    outer.moveCenter(available.center())
    window.move(max(available.left(), outer.left()), max(available.top(), outer.top()))


def restore_docks(window: QMainWindow) -> bool:
    """Put the docks back as the planner left them; False when nothing was saved."""
    store = settings()
    if store is None or store.value("layout/version", 0, int) != LAYOUT_VERSION:
        return False
    state = store.value("window/state")
    return isinstance(state, QByteArray) and window.restoreState(state, LAYOUT_VERSION)


def save(window: QMainWindow) -> None:
    """Remember size, place and docks (on close)."""
    store = settings()
    if store is None:
        return
    store.setValue("layout/version", LAYOUT_VERSION)
    store.setValue("window/geometry", window.saveGeometry())
    store.setValue("window/state", window.saveState(LAYOUT_VERSION))
    store.sync()
