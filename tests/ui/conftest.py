"""Qt tests run offscreen on the real main window over the bundled sample city."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture
def sample_document():
    from districtplanner.model.build import open_sample_city

    return open_sample_city()


@pytest.fixture
def window(qtbot, sample_document):
    from districtplanner.ui.main_window import MainWindow

    win = MainWindow(sample_document)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    win.recompute.wait_for_index()
    win.recompute.run_now()
    return win


@pytest.fixture
def canvas(qtbot, doc):
    """A bare map canvas, 800 x 600, on the test module's ``doc`` fixture."""
    from PySide6.QtWidgets import QApplication

    from districtplanner.ui.map.canvas import MapCanvas

    c = MapCanvas(doc)
    qtbot.addWidget(c)
    c.resize(800, 600)
    c.show()
    qtbot.waitExposed(c)
    c.zoom_to_all()
    QApplication.processEvents()
    c.grab()  # one synchronous paint, so items know their first view
    yield c
    c.detach()
