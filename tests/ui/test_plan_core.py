"""The window over the plan core: one repair rule whichever way a district arrives, a
failed district said in the panels (never another district's figures), the question when a
second layer of an analysed role arrives, undo/redo keys and the history view."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from shapely.geometry import Polygon

from districtplanner.analysis.roles import LayerRole
from districtplanner.cli import main
from districtplanner.io.loaded import LoadedLayer
from districtplanner.model.figures import Figures
from districtplanner.ui.dialogs.analysed_layer import COMBINE, USE_INSTEAD

LOOP = [(0, 0), (1200, 0), (1200, 800), (400, 800), (400, -400), (800, -400), (800, 400),
        (0, 400)]


def _centre(window) -> tuple[float, float]:
    b = window.document.bounds()
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


def _settle(qtbot, window) -> None:
    """Let the recompute timer fire (the public path, not run_now)."""
    qtbot.waitUntil(lambda: not window.recompute._timer.isActive(), timeout=10000)


def test_a_looped_outline_is_the_same_district_drawn_imported_or_on_the_command_line(
        window, tmp_path, capsys):
    x, y = _centre(window)
    ring = Polygon([(x + a, y + b) for a, b in LOOP])
    assert not ring.is_valid
    window.add_drawn_district(ring)
    drawn = window.document.districts[-1].geometry.area
    assert "crossed itself" in window.notice_label.text()

    path = tmp_path / "loop.gpkg"
    gpd.GeoDataFrame({"name": ["Loop"]}, geometry=[ring],
                     crs=window.document.crs).to_file(path)
    assert window.import_districts(path) == 1
    imported = window.document.districts[-1].geometry.area

    assert main(["metrics", "--json", "--district", str(path)]) == 0
    (cli,) = json.loads(capsys.readouterr().out)["districts"]
    assert drawn == pytest.approx(960_000) and imported == drawn  # 800_000 by "linework"
    assert cli["area_km2"] * 1e6 == pytest.approx(drawn, rel=1e-12)


def test_a_buffer_that_erases_the_district_says_so(window):
    d = window.document.districts[0]
    before = d.geometry
    problem = window.buffer_district(d.id, -50_000)
    assert problem.startswith("The buffer removes the whole district")
    assert "three" not in problem and window.document.district(d.id).geometry is before


def test_a_failed_district_is_marked_not_computed_and_the_others_still_show(
        window, qtbot, monkeypatch):
    doc = window.document
    good, bad = doc.districts[0], doc.districts[1]
    bad_name = bad.name
    real = Figures.compute_district

    def flaky(self, geometry, name, instruments):
        if name.startswith(bad_name):
            raise IndexError("index 0 is out of bounds for axis 0 with size 0")
        return real(self, geometry, name, instruments)

    monkeypatch.setattr(Figures, "compute_district", flaky)
    doc.selection.set_active_district(good.id)
    _settle(qtbot, window)
    panel = window.concentration
    assert panel.heading.text().startswith(good.name)
    window.district_list.apply_properties(bad.id, {"name": bad_name + " (v2)"})
    doc.selection.set_active_district(bad.id)
    _settle(qtbot, window)
    for p in (window.concentration, window.affordability, window.incentives):
        assert p.heading.text() == f"{bad_name} (v2): not computed"
        assert "a calculation failed" in p.message.text() and p.message.isVisibleTo(p)
        assert not p.tiles.isVisibleTo(p)  # no figures of another district left standing
    assert "not computed" in window.notice_label.text().lower()
    window.grab().save("/tmp/h1_not_computed.png")

    doc.selection.set_active_district(good.id)
    _settle(qtbot, window)
    assert panel.heading.text().startswith(good.name) and panel.tiles.isVisibleTo(panel)
    monkeypatch.setattr(Figures, "compute_district", real)
    window.district_list.apply_properties(bad.id, {"name": bad_name})
    doc.selection.set_active_district(bad.id)
    _settle(qtbot, window)
    assert panel.heading.text().startswith(bad_name) and "not computed" not in \
        panel.heading.text()
    assert window.recompute.latest.failures == {}


def _firms(window, n: int) -> LoadedLayer:
    x, y = _centre(window)
    gdf = gpd.GeoDataFrame({"branche": ["film_tv"] * n},
                           geometry=gpd.points_from_xy([x + 5 * i for i in range(n)], [y] * n),
                           crs=window.document.crs)
    return LoadedLayer(name="my firms", data=gdf, role=LayerRole.ESTABLISHMENTS,
                       mapping={"sector": "branche"})


def _answer(box, use: str) -> None:
    (button,) = [b for b in box.buttons() if b.property("use") == use]
    button.click()


@pytest.mark.parametrize("answer", [USE_INSTEAD, COMBINE, "context"])
def test_a_second_establishments_layer_asks_what_it_is_for(window, qtbot, answer):
    doc = window.document
    (current,) = doc.analysed_layers(LayerRole.ESTABLISHMENTS)
    before = window.recompute.latest.baseline.concentration.establishments
    window._layer_loaded(_firms(window, 11))
    new = doc.layers[-1]
    assert not new.analysed and doc.analysed_layers(LayerRole.ESTABLISHMENTS) == [current]
    box = window.analysed_box
    assert box.isVisible() and current.name in box.text()
    labels = [b.text() for b in box.buttons()]
    assert "Use my firms instead" in labels and "Keep as context only" in labels
    assert f"Combine with {current.name}" in labels
    # The layer list shows which one feeds the figures.
    items = {it.data(0, window.layer_list.ROLE_ID): it for it in window.layer_list.items()}
    assert items[current.id].font(0).bold() and "[analysed]" in items[current.id].text(0)
    assert not items[new.id].font(0).bold()

    _answer(box, answer)
    window.recompute.wait_for_index()
    _settle(qtbot, window)
    count = window.recompute.latest.baseline.concentration.establishments
    expected = {USE_INSTEAD: ([new], 11), COMBINE: ([current, new], before + 11),
                "context": ([current], before)}[answer]
    assert doc.analysed_layers(LayerRole.ESTABLISHMENTS) == expected[0]
    assert count == expected[1]
    if answer != "context":
        assert window.undo_stack.undo_text.startswith(("Analyse", "Combine"))
        window.undo_stack.undo()
        assert doc.analysed_layers(LayerRole.ESTABLISHMENTS) == [current]


def test_the_layer_list_chooses_the_analysed_layer_undoably(window):
    doc = window.document
    window._layer_loaded(_firms(window, 4))
    window.analysed_box.close()
    new = doc.layers[-1]
    menu = window.layer_list.menu_for(new.id)
    texts = [a.text() for a in menu.actions()]
    assert any(t.startswith("Use for the figures") for t in texts)
    assert any(t.startswith("Combine with") for t in texts) and "Remove layer" in texts
    assert window.layer_list.set_analysed(new.id) == ""
    assert doc.analysed_layers(LayerRole.ESTABLISHMENTS) == [new]
    window.undo_stack.undo()
    assert doc.analysed_layers(LayerRole.ESTABLISHMENTS) != [new]
    # Visibility and order are undoable too (they bypassed undo before).
    window.layer_list.items()[0].setCheckState(0, Qt.CheckState.Unchecked)
    assert not doc.layers[-1].visible
    window.undo_stack.undo()
    assert doc.layers[-1].visible


def test_redo_has_one_binding_per_key_and_the_keys_work(window, qtbot):
    seen: dict[str, list[str]] = {}
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            seen.setdefault(key.toString(), []).append(action.text())
    redo = QKeySequence("Ctrl+Shift+Z").toString()
    assert len(seen[redo]) == 1, seen[redo]
    assert len(seen[QKeySequence("Ctrl+Z").toString()]) == 1
    d = window.document.districts[0]
    window.district_list.apply_properties(d.id, {"notes": "phase 1"})
    window.activateWindow()
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert d.notes != "phase 1"
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert d.notes == "phase 1"
    assert window.undo_actions.undo.text() == f"&Undo Edit {d.name}"


def test_history_view_lists_every_step_and_jumps(window):
    doc = window.document
    d = doc.districts[0]
    name = d.name
    for n in ("A", "B", "C"):
        window.district_list.apply_properties(d.id, {"name": n})
    window._show_history()
    view = window._history
    assert view.count() == window.undo_stack.count + 1
    assert view.item(view.count() - 1).text() == "Edit B"
    view.setCurrentRow(view.count() - 3)
    assert doc.district(d.id).name == "A"
    view.setCurrentRow(0)
    assert doc.district(d.id).name == name and window.undo_stack.index == 0


def test_a_drag_back_to_where_it_started_and_a_tool_switch_mid_drag_end_their_gesture(
        window, qtbot):
    from mouse import move_held, press, release

    stack = window.undo_stack
    d = window.document.district(window.document.selection.active_district or
                                 window.document.districts[0].id)
    window.document.selection.set_active_district(d.id)
    window.canvas.zoom_to(d.geometry.buffer(500).bounds)
    cx, cy = d.geometry.centroid.x, d.geometry.centroid.y
    window.tool_actions["move"].trigger()
    count = stack.count
    press(window.canvas, cx, cy)
    move_held(window.canvas, cx + 200, cy)
    move_held(window.canvas, cx, cy)
    release(window.canvas, cx, cy)
    assert not stack.in_gesture and stack.count == count + 1 and stack.can_undo

    window.tool_actions["edit"].trigger()
    before_edit = d.geometry
    vx, vy = d.geometry.exterior.coords[0]
    press(window.canvas, vx, vy)
    move_held(window.canvas, vx + 150, vy + 150)
    assert stack.in_gesture
    window.tool_actions["pan"].trigger()  # switching tools mid-drag finishes the edit
    assert not stack.in_gesture and stack.count == count + 2
    assert not d.geometry.equals(before_edit)
    stack.undo()
    assert d.geometry.equals(before_edit) and stack.index == count + 1
