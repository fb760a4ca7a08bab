"""Start on the sample city's first frame: the window paints the city from its prepared
arrays, every dock says "computing…", and it becomes the full window by itself, with the
same map colours, figures, undo stack and project machinery as a window opened on the
document directly."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel

from districtplanner.io.first_frame import read_first_frame
from districtplanner.paths import sample_city_dir


@pytest.fixture
def frame():
    frame = read_first_frame(sample_city_dir())
    assert frame is not None
    return frame


def test_first_frame_colours_are_the_full_maps(frame):
    from districtplanner.ui.map.first_frame import SECTOR_CLASS_COLOURS, file_lut, raster_rgba
    from districtplanner.ui.map.point_item import colormap_lut
    from districtplanner.ui.map.raster_item import raster_levels
    from districtplanner.ui.map.raster_item import raster_rgba as full_rgba
    from districtplanner.ui.map.styling import SECTOR_CLASS_COLOURS as FULL_SECTOR_COLOURS

    for name in ("cividis", "viridis"):
        np.testing.assert_array_equal(file_lut(name), colormap_lut(name))
    rent = next(la for la in frame.layers if la.kind == "raster")
    values = rent.values.astype(np.float64)
    np.testing.assert_array_equal(
        raster_rgba(values, file_lut("cividis")),
        full_rgba(values, "cividis", raster_levels(values)))
    assert SECTOR_CLASS_COLOURS == FULL_SECTOR_COLOURS


def test_window_opens_on_the_first_frame_and_fills_by_itself(qtbot, frame):
    from districtplanner.model.district import District
    from districtplanner.ui import app as app_module

    window = app_module.show_first_frame(frame)
    qtbot.addWidget(window)
    assert not window.ready and window.first_frame.paint_count >= 1
    assert window.windowTitle() == "Port Verity (synthetic sample city) — District Planner"
    assert window.concentration_dock.widget().text() == "computing…"
    # Menus in their place but nothing to edit until the document is there.
    assert [a.text() for a in window.menuBar().actions()] == ["&File", "&Edit", "&View",
                                                              "&Help"]
    assert not any(a.isEnabled() for a in window.menuBar().actions())
    grabbed = window.first_frame.grab().toImage()
    # The city is drawn: many colours, not a blank background.
    colours = {grabbed.pixel(x, y) for x in range(0, grabbed.width(), 7)
               for y in range(0, grabbed.height(), 7)}
    assert len(colours) > 50

    # As run_gui: the city is read in a worker while the first frame stays responsive.
    reading = app_module.read_sample_city_then_finish(window)
    window.resize(window.width() - 40, window.height())  # repainted meanwhile, no waiting
    qtbot.waitUntil(reading.done, timeout=60000)
    assert reading.result() is True and window.ready
    assert window.first_frame is None and window.centralWidget() is window.canvas
    assert not isinstance(window.concentration_dock.widget(), QLabel)
    qtbot.waitUntil(lambda: not [w for w in window.findChildren(QLabel)
                                 if w.text() == "computing…"], timeout=5000)
    bundle = window.recompute.latest
    assert bundle is not None and bundle.active is not None
    assert window.concentration.tiles["creative_establishments"].value_label.text() == "538"
    assert len(window.document.districts) == 3
    assert window.canvas.district_item(window.document.districts[0].id) is not None
    assert [a.text() for a in window.menuBar().actions()] == ["&File", "&Edit", "&View",
                                                              "&Help"]
    # Edits go through the undo stack and the project machinery sees them.
    d = window.document.districts[0]
    window.add_drawn_district(d.geometry.buffer(-50))
    assert len(window.document.districts) == 4 and window.project.dirty
    window.undo_actions.undo.trigger()
    assert len(window.document.districts) == 3
    assert isinstance(window.document.districts[0], District)
    window.close()


def test_closing_on_the_first_frame_loses_nothing_and_stops_the_start(qtbot, frame):
    from districtplanner.ui import app as app_module

    window = app_module.show_first_frame(frame)
    qtbot.addWidget(window)
    reading = app_module.read_sample_city_then_finish(window)
    window.close()  # before the city has been read
    qtbot.waitUntil(reading.done, timeout=60000)
    assert reading.result() is False and not window.ready


def test_a_sample_city_that_cannot_be_read_after_the_first_frame_says_so(qtbot, frame,
                                                                         monkeypatch):
    from districtplanner.ui import app as app_module

    def missing():
        raise FileNotFoundError("sample_city.gpkg: the sample city file is missing")

    said = []
    monkeypatch.setattr("districtplanner.model.build.open_sample_city", missing)
    monkeypatch.setattr("districtplanner.ui.app.QMessageBox.critical",
                        staticmethod(lambda _parent, _title, text: said.append(text)))
    window = app_module.show_first_frame(frame)
    qtbot.addWidget(window)
    reading = app_module.read_sample_city_then_finish(window)
    qtbot.waitUntil(reading.done, timeout=60000)  # no exception escapes into the event loop
    assert not window.ready
    assert "sample city file is missing" in said[0]
    assert "could not be opened" in window.statusBar().currentMessage()
    window.close()
