"""The File menu's plan actions on the real window: the title's unsaved mark, Quit asking
Save / Discard / Cancel, Open replacing the plan, a failed save keeping the work, autosave
and recovery after a crash."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from shapely.geometry import box

from districtplanner.model.commands import AddDistrict
from districtplanner.model.district import District
from districtplanner.project import load_project, save_project
from districtplanner.project.autosave import LOCK_NAME, AutosaveSession, snapshot_document
from districtplanner.ui import project_actions


def _answer(button: QMessageBox.StandardButton | str, seen: list[str]) -> None:
    """Click ``button`` on the next modal message box, noting its text."""

    def click() -> None:
        w = QApplication.activeModalWidget()
        if not isinstance(w, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(w.text())
        if isinstance(button, str):
            target = next(b for b in w.buttons() if b.text() == button)
        else:
            target = w.button(button)
        target.click()

    QTimer.singleShot(0, click)


def _draw(window, name="Drawn here") -> None:
    c = window.document.districts[0].geometry.centroid
    d = District(name, box(c.x - 300, c.y - 300, c.x + 300, c.y + 300))
    assert window.session.stack.push(AddDistrict(window.document, d)) == ""


def _quit_action(window):
    return next(a for a in window.menuBar().actions()[0].menu().actions()
                if a.text() == "&Quit")


def test_title_shows_the_file_and_the_unsaved_mark(window, tmp_path):
    assert window.windowTitle() == "Port Verity (synthetic sample city) — District Planner"
    _draw(window)
    assert window.windowTitle().endswith("* — District Planner")
    assert window.project.save_to(tmp_path / "harbour plan.gpkg")
    assert window.windowTitle() == "harbour plan — District Planner"
    assert load_project(tmp_path / "harbour plan.gpkg").districts[-1].name == "Drawn here"
    window.session.stack.undo()
    assert window.windowTitle() == "harbour plan* — District Planner"
    window.session.stack.redo()
    assert window.windowTitle() == "harbour plan — District Planner"


def test_quit_with_unsaved_changes_asks_and_cancel_keeps_the_window(window, qtbot):
    _draw(window)
    seen: list[str] = []
    _answer(QMessageBox.StandardButton.Cancel, seen)
    _quit_action(window).trigger()
    assert seen and "Save the changes" in seen[0] and "quitting" in seen[0]
    assert window.isVisible()
    assert window.document.districts[-1].name == "Drawn here"


def test_quit_save_writes_the_file_then_closes(window, qtbot, tmp_path):
    path = tmp_path / "plan.gpkg"
    window.project.save_to(path)
    _draw(window, "Added before quitting")
    seen: list[str] = []
    _answer(QMessageBox.StandardButton.Save, seen)
    _quit_action(window).trigger()
    assert seen
    assert not window.isVisible()
    assert load_project(path).districts[-1].name == "Added before quitting"


def test_quit_discard_closes_without_writing(window, qtbot, tmp_path):
    path = tmp_path / "plan.gpkg"
    window.project.save_to(path)
    before = path.read_bytes()
    _draw(window)
    seen: list[str] = []
    _answer(QMessageBox.StandardButton.Discard, seen)
    _quit_action(window).trigger()
    assert seen and not window.isVisible()
    assert path.read_bytes() == before


def test_quit_without_changes_does_not_ask(window):
    _quit_action(window).trigger()
    assert not window.isVisible()


def test_open_replaces_the_plan_after_asking(window, qtbot, tmp_path):
    other = load_project(Path(__file__).parents[1] / "data" / "projects" / "v1.gpkg")
    path = tmp_path / "other.gpkg"
    save_project(other, path)
    _draw(window)
    seen: list[str] = []
    _answer(QMessageBox.StandardButton.Discard, seen)
    new = window.project.open(path)
    qtbot.addWidget(new)
    assert seen and "opening another plan" in seen[0]
    assert not window.isVisible() and new.isVisible()
    assert [d.name for d in new.document.districts] == [d.name for d in other.districts]
    assert new.windowTitle() == "other — District Planner"
    assert project_actions.recent_files()[0] == path.resolve()


def test_a_failed_save_says_why_and_keeps_the_work(window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text: shown.append(text))
    _draw(window)
    missing_folder = tmp_path / "no such folder" / "plan.gpkg"
    assert not window.project.save_to(missing_folder)
    assert "does not exist" in shown[0] and "Save As" in shown[0]
    assert window.project.dirty and window.windowTitle().endswith("* — District Planner")
    assert window.document.districts[-1].name == "Drawn here"


def test_a_plain_geopackage_offers_to_add_its_layers(window, tmp_path, monkeypatch):
    import geopandas as gpd
    from shapely.geometry import Point

    path = tmp_path / "shops.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(5e5, 5.65e6)],
                     crs="EPSG:32632").to_file(path, layer="shops")
    asked = []

    def question(parent, title, text):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    added = []
    monkeypatch.setattr(QMessageBox, "question", question)
    monkeypatch.setattr(window, "add_layer_files", lambda paths: added.append(paths))
    assert window.project.open(path) is None
    assert "not a District Planner project" in asked[0] and "shops" in asked[0]
    assert added == [[path]]
    assert window.isVisible()


def test_dropping_a_project_file_opens_it(window, qtbot, tmp_path):
    path = tmp_path / "dropped.gpkg"
    save_project(load_project(Path(__file__).parents[1] / "data" / "projects" / "v1.gpkg"),
                 path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
    new = project_actions._windows[-1]
    qtbot.addWidget(new)
    assert new.project.path == path and new.windowTitle() == "dropped — District Planner"


def test_autosave_writes_a_snapshot_never_the_users_file(qtbot, sample_document, tmp_path,
                                                        monkeypatch):
    from districtplanner.ui.main_window import MainWindow

    monkeypatch.setenv(project_actions.AUTOSAVE_ENV, "0.3")
    win = MainWindow(sample_document)
    qtbot.addWidget(win)
    path = tmp_path / "mine.gpkg"
    win.project.save_to(path)
    before = path.read_bytes()
    _draw(win, "Autosaved district")
    folder = win.project.autosave.folder
    qtbot.waitUntil(lambda: any(folder.glob("autosave-*.gpkg")), timeout=20000)
    latest = sorted(folder.glob("autosave-*.gpkg"))[-1]
    qtbot.waitUntil(lambda: latest.exists() and load_project(latest) is not None,
                    timeout=20000)
    assert load_project(latest).districts[-1].name == "Autosaved district"
    assert path.read_bytes() == before
    lock = json.loads((folder / LOCK_NAME).read_text(encoding="utf-8"))
    assert lock["plan"] == str(path)
    # Closed from code with nobody asked: the autosave stays, to be offered next time.
    win.close()
    assert folder.exists() and any(folder.glob("autosave-*.gpkg"))


def test_quit_after_discard_leaves_no_autosave(window, qtbot, monkeypatch):
    _draw(window)
    window.project.autosave_now().result(timeout=60)
    folder = window.project.autosave.folder
    assert any(folder.glob("autosave-*.gpkg"))
    seen: list[str] = []
    _answer(QMessageBox.StandardButton.Discard, seen)
    _quit_action(window).trigger()
    assert seen and not window.isVisible()
    assert not folder.exists()


def test_after_a_crash_the_next_start_offers_recovery(window, qtbot, tmp_path):
    plan = tmp_path / "council plan.gpkg"
    save_project(window.document, plan)
    before = plan.read_bytes()
    # A session that crashed: its autosave holds an edit, its process is gone.
    crashed = AutosaveSession(project_actions.data_dir(), plan, "council plan")
    edited = snapshot_document(window.document)
    edited.add_district(District("Only in the autosave", box(499000, 5649000, 499500, 5649500)))
    crashed.write(edited)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = crashed.folder / LOCK_NAME
    info = json.loads(lock.read_text(encoding="utf-8"))
    lock.write_text(json.dumps({**info, "pid": dead.pid}), encoding="utf-8")

    seen: list[str] = []
    _answer("Recover", seen)
    new = window.project.offer_recovery()
    qtbot.addWidget(new)
    assert "council plan.gpkg" in seen[0] and "autosaved" in seen[0]
    assert new.document.districts[-1].name == "Only in the autosave"
    assert new.project.path == plan and new.project.dirty
    assert new.windowTitle() == "council plan* — District Planner"
    assert plan.read_bytes() == before  # the planner's own file waits for Save
    # Once the recovered plan is in this session's autosave, the old one is dropped.
    qtbot.waitUntil(lambda: not crashed.folder.exists(), timeout=20000)


def test_command_line_opens_a_project_file(qtbot, tmp_path, monkeypatch):
    from districtplanner.cli import main

    path = tmp_path / "from the shell.gpkg"
    save_project(load_project(Path(__file__).parents[1] / "data" / "projects" / "v1.gpkg"),
                 path)
    monkeypatch.setenv("DISTRICT_PLANNER_QUIT_AFTER_DRAW", "1")
    assert main([str(path)]) == 0
    win = project_actions._windows[-1]
    qtbot.addWidget(win)
    assert win.project.path == path
    assert win.windowTitle() == "from the shell — District Planner"
    assert len(win.document.districts) == 3


def test_missing_linked_files_are_asked_for_and_one_relinks_the_folder(window, qtbot, tmp_path,
                                                                      monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from districtplanner.io.readers import read_layer
    from districtplanner.model.build import layer_from_loaded
    from districtplanner.model.document import Document
    from districtplanner.sample_city import generate_city

    data = tmp_path / "data"
    data.mkdir()
    city = generate_city(300)
    doc = Document(crs="EPSG:32632", title="Linked plan")
    for name in ("institutions", "transit_stops"):
        f = data / f"{name}.geojson"
        getattr(city, name).to_file(f, driver="GeoJSON")
        layer = layer_from_loaded(read_layer(f, project_crs="EPSG:32632"))
        layer.meta["storage"] = "link"
        doc.add_layer(layer)
    plan = tmp_path / "linked.gpkg"
    save_project(doc, plan)
    moved = tmp_path / "moved"
    data.rename(moved)

    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: (
        asked.append(a[2]), QMessageBox.StandardButton.Yes)[1])
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(moved / "institutions.geojson"), ""))
    new = window.project.open(plan)
    qtbot.addWidget(new)
    assert all(la.meta.get("missing") for la in new.document.layers)
    qtbot.waitUntil(lambda: not any(la.meta.get("missing") for la in new.document.layers),
                    timeout=10000)
    assert len(asked) == 1 and "institutions.geojson" in asked[0]
    assert [len(la.data) for la in new.document.layers] == [len(la.data) for la in doc.layers]
    assert new.windowTitle() == "linked* — District Planner"
    assert new.project.save()
    reopened = load_project(plan)
    assert not any(la.meta.get("missing") for la in reopened.layers)


def test_a_layer_can_be_kept_as_a_link_instead_of_a_copy(window, tmp_path):
    from districtplanner.project.format import read_raw

    stops = next(la for la in window.project.linkable_layers() if la.name == "Transit stops")
    window.project.set_linked({stops.id})
    assert window.project.dirty
    path = tmp_path / "plan.gpkg"
    assert window.project.save_to(path)
    storage = {row["name"]: row["storage"] for row in read_raw(path).layers}
    assert storage["Transit stops"] == "link" and storage["Establishments"] == "copy"
    back = load_project(path)
    again = next(la for la in back.layers if la.name == "Transit stops")
    assert not again.meta.get("missing")
    assert again.data.geometry.geom_equals_exact(stops.data.geometry, 0).all()
    assert again.mapping == stops.mapping and len(again.data) == len(stops.data)


def test_new_plans_empty_and_from_files(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from districtplanner.sample_city import generate_city

    empty = window.project.new_empty()
    qtbot.addWidget(empty)
    assert not window.isVisible()
    assert empty.document.layers == () and empty.document.districts == ()
    assert empty.windowTitle() == "Untitled plan — District Planner"

    firms = tmp_path / "firms.geojson"
    generate_city(300).establishments.to_crs("EPSG:4326").to_file(firms, driver="GeoJSON")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(firms)], ""))
    mine = empty.project.new_from_files()
    qtbot.addWidget(mine)
    assert [la.role.value for la in mine.document.layers] == ["establishments"]
    assert len(mine.document.layers[0].data) == 300
    assert mine.document.crs.startswith("EPSG:326")  # the local UTM zone of the data
    assert mine.project.path is None and not mine.project.dirty


def test_a_plan_pdf_opens_as_an_unsaved_plan(window, qtbot, tmp_path):
    from districtplanner.ui.report import export_plan

    pdf = tmp_path / "plan.pdf"
    export_plan(window.document, pdf)
    new = window.project.open(pdf)
    qtbot.addWidget(new)
    assert [d.name for d in new.document.districts] == [d.name for d in window.document.districts]
    assert new.project.path is None and new.project.dirty
    assert new.windowTitle().endswith("* — District Planner")


def test_revert_drops_the_changes_since_the_last_save(window, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "plan.gpkg"
    window.project.save_to(path)
    assert not window.project.revert_action.isEnabled()
    _draw(window, "To be dropped")
    assert window.project.revert_action.isEnabled()
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    new = window.project.revert()
    qtbot.addWidget(new)
    assert not window.isVisible()
    assert "To be dropped" not in [d.name for d in new.document.districts]
    assert new.project.path == path and not new.project.dirty
    assert new.windowTitle() == "plan — District Planner"


def test_a_damaged_plan_is_refused_with_its_message_and_the_window_stays(window, tmp_path,
                                                                        monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda p, t, text: shown.append(text))
    bad = tmp_path / "cut.gpkg"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 500)
    assert window.project.open(bad) is None
    assert "cut.gpkg" in shown[0] and window.isVisible()
    assert QApplication.overrideCursor() is None


def _held_elsewhere(path: Path) -> None:
    from districtplanner.project import inuse

    inuse.owner_file(path).write_text(json.dumps(
        {"user": "alex", "host": "planning-pc-07", "pid": 4242,
         "since": "2026-11-20T09:15:00+00:00", "token": "theirs"}), encoding="utf-8")


def test_a_plan_open_elsewhere_is_warned_about_and_opens_as_a_copy(window, qtbot, tmp_path,
                                                                   monkeypatch):
    from districtplanner.project import inuse

    path = tmp_path / "shared.gpkg"
    save_project(load_project(Path(__file__).parents[1] / "data" / "projects" / "v1.gpkg"),
                 path)
    _held_elsewhere(path)
    asked = []
    monkeypatch.setattr(project_actions, "ask_in_use",
                        lambda parent, p, owner: asked.append(owner.describe()))
    assert window.project.open(path) is None  # cancelled: this window stays
    assert window.isVisible() and asked[0].startswith("alex on planning-pc-07")
    monkeypatch.setattr(project_actions, "ask_in_use", lambda parent, p, owner: "copy")
    new = window.project.open(path)
    qtbot.addWidget(new)
    assert new.project.path is None and new.project.dirty  # Save asks for a new name
    assert len(new.document.districts) == 3
    assert json.loads(inuse.owner_file(path).read_text())["token"] == "theirs"


def test_saving_over_a_plan_changed_elsewhere_asks_first(window, qtbot, tmp_path, monkeypatch):
    import time

    from districtplanner.project import inuse

    path = tmp_path / "shared.gpkg"
    assert window.project.save_to(path)
    assert inuse.read_owner(path).here  # ours while the window has it open
    time.sleep(0.01)
    theirs = load_project(Path(__file__).parents[1] / "data" / "projects" / "v1.gpkg")
    save_project(theirs, path)  # a colleague saves the same file meanwhile
    _draw(window, "Mine")
    answers = [None, "overwrite"]
    monkeypatch.setattr(project_actions, "ask_overwrite",
                        lambda parent, p, when, by: answers.pop(0))
    assert not window.project.save_to(path)  # cancelled: their file is untouched
    assert [d.name for d in load_project(path).districts] == [d.name for d in theirs.districts]
    assert window.project.dirty
    assert window.project.save_to(path)
    assert load_project(path).districts[-1].name == "Mine"
    assert not window.project.dirty
    window.project._closing_confirmed = True
    window.close()
    assert not inuse.owner_file(path).exists()  # a closed plan is free again


def test_the_two_questions_answer_by_their_buttons(window, tmp_path):
    from datetime import UTC, datetime

    from districtplanner.project import inuse

    path = tmp_path / "shared.gpkg"
    owner = inuse.Owner("alex", "planning-pc-07", 4242, datetime.now(UTC), "theirs")
    seen: list[str] = []
    _answer("Open a copy", seen)
    assert project_actions.ask_in_use(window, path, owner) == "copy"
    _answer("Open anyway", seen)
    assert project_actions.ask_in_use(window, path, owner) == "open"
    _answer("Replace their changes", seen)
    assert project_actions.ask_overwrite(window, path, "26 Nov 2026 at 09:00", "") == "overwrite"
    _answer(QMessageBox.StandardButton.Cancel, seen)
    assert project_actions.ask_overwrite(window, path, "26 Nov 2026 at 09:00", "") is None
    assert "shared.gpkg is open in District Planner by alex on planning-pc-07" in seen[0]
    assert seen[2] == "shared.gpkg was saved on 26 Nov 2026 at 09:00, after you opened it."
