"""Every screen size: the window opens to fit the screen it is on and the planner's key
information is in view without scrolling. Each size runs the app in a child process on
an offscreen screen of that size (the screen, like QT_SCALE_FACTOR, is read when the
QApplication starts); screen_probe.py reports where everything ended up."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
KEY_INFO = ("sector chart (names, highlight)", "projection chart (plan year)",
            "hovered neighbourhood name and risk", "instrument Add/Edit/Remove",
            "annual cost chart (plan year)")


def probe(tmp_path, width, height, scale=None):
    config = tmp_path / "screens.json"
    config.write_text(json.dumps({"screens": [
        {"name": "screen", "x": 0, "y": 0, "width": width, "height": height,
         "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}",
               DISTRICT_PLANNER_SETTINGS="")
    env.pop("QT_SCALE_FACTOR", None)
    if scale:
        env["QT_SCALE_FACTOR"] = str(scale)
    out = subprocess.run([sys.executable, str(HERE / "screen_probe.py"),
                          str(tmp_path / "window.png")],
                         env=env, capture_output=True, text=True, timeout=300)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("PROBE ")]
    assert lines, out.stderr[-3000:]
    return json.loads(lines[-1][len("PROBE "):])


def check_fits(r):
    ax, ay, aw, ah = r["available"]
    fx, fy, fw, fh = r["frame"]
    # The whole window, frame included, is on the screen.
    assert ax <= fx and ay <= fy and fx + fw <= ax + aw and fy + fh <= ay + ah, r
    # It uses the screen: at least nine tenths of each side, or all of a small screen.
    assert r["window"][0] >= 0.85 * aw and r["window"][1] >= 0.85 * ah
    # The map keeps the largest part: larger than any dock, and over a third of the window.
    map_area = r["map"][0] * r["map"][1]
    for title, (w, h, shown) in r["docks"].items():
        if shown:
            assert map_area > w * h, title
    assert map_area > r["window"][0] * r["window"][1] / 3
    assert not r["clipped"], r["clipped"]
    # The sector chart's "LQ x.x" notes never overlap (fewer or shorter in a narrow dock).
    assert not r["note_overlaps"], r["note_overlaps"]
    assert len(r["sector_notes"]) >= 3, r["sector_notes"]
    assert not r["small_text"], r["small_text"]


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000), (1920, 1080)])
def test_key_information_in_view_without_scrolling(tmp_path, size):
    r = probe(tmp_path, *size)
    assert r["screen"] == list(size)
    check_fits(r)
    assert {k: r["visible"][k] for k in KEY_INFO} == dict.fromkeys(KEY_INFO, True)


def test_projector_1024x768_fits_with_docks_folded_into_tabs(tmp_path):
    r = probe(tmp_path, 1024, 768)
    check_fits(r)
    # Every figure dock is a tab of one column: the map takes most of the width.
    assert r["map"][0] > 0.55 * r["window"][0]
    for key in ("sector chart (names, highlight)", "hovered neighbourhood name and risk",
                "annual cost chart (plan year)"):
        assert r["visible"][key], key


def test_scale_factor_two(tmp_path):
    """A 4K screen at 200 % (QT_SCALE_FACTOR=2): the same layout in logical pixels."""
    r = probe(tmp_path, 3840, 2160, scale=2)
    assert r["dpr"] == 2.0 and r["screen"] == [1920, 1080]
    check_fits(r)
    assert all(r["visible"][k] for k in KEY_INFO), r["visible"]


def test_layout_is_remembered(qtbot, tmp_path, monkeypatch, sample_document):
    from PySide6.QtCore import QSettings

    from districtplanner.model.build import open_sample_city
    from districtplanner.ui.main_window import MainWindow

    ini = tmp_path / "settings.ini"
    monkeypatch.setenv("DISTRICT_PLANNER_SETTINGS", str(ini))
    win = MainWindow(sample_document)
    qtbot.addWidget(win)
    win.resize(760, 600)  # within the 800x800 offscreen test screen
    win.show()
    qtbot.waitExposed(win)
    win.layers_dock.hide()
    size = (win.width(), win.height())
    win.close()
    assert QSettings(str(ini), QSettings.Format.IniFormat).value("layout/version") is not None
    again = MainWindow(open_sample_city())
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert (again.width(), again.height()) == size != (800, 800)
    assert not again.layers_dock.isVisible()
    again.close()
    # With remembering off (the test default), nothing is read or written.
    monkeypatch.setenv("DISTRICT_PLANNER_SETTINGS", "")
    fresh = MainWindow(open_sample_city())
    qtbot.addWidget(fresh)
    fresh.show()
    qtbot.waitExposed(fresh)
    assert fresh.layers_dock.isVisible()


@pytest.mark.parametrize("width", [260, 360, 900])
def test_sector_notes_never_overlap(qtbot, width):
    """Nine sectors' "LQ x.x" notes over their bars: all of them in a wide chart; in a narrow
    one fewer or shorter, never two on top of each other, the highlighted sector's kept."""
    import numpy as np

    from districtplanner.ui.panels.charts import SectorBarChart

    chart = SectorBarChart()
    qtbot.addWidget(chart)
    chart.resize(width, 200)
    chart.show()
    qtbot.waitExposed(chart)
    keys = [f"s{i}" for i in range(9)]
    chart.highlighted = {"s5"}
    district = np.array([8.0, 15, 15, 16, 3, 8, 5, 26, 2])
    city = np.array([27.0, 8, 7, 17, 7, 10, 9, 12, 3])
    notes = [f"LQ {v:.1f}" for v in district / city]
    chart.set_data(keys, [f"Sector {i}" for i in range(9)], district, city, ["#888"] * 9,
                   notes)
    qtbot.wait(10)
    boxes = chart.note_boxes()
    vb = chart.getPlotItem().vb
    for i, (a, ra) in enumerate(boxes):
        assert ra.left() >= -1 and ra.right() <= vb.width() + 1, a
        for b, rb in boxes[i + 1:]:
            assert not ra.intersects(rb), (a, b, width)
    shown = {text for text, _ in boxes}
    assert notes[5] in shown or notes[5].split()[-1] in shown
    if width >= 900:
        assert [t for t, _ in boxes] == notes
    else:
        assert len(boxes) < 9 or any(not t.startswith("LQ") for t, _ in boxes)
