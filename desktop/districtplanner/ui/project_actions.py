"""The File menu's plan actions: New, Open, Open recent, Save, Save As, Revert; the title with
its unsaved mark; asking before unsaved work is closed; autosave and crash recovery.

Opening another plan replaces the window (a new MainWindow on a new Session, placed where the
old one was): every panel, cache and worker starts from the new document, and nothing of the
old plan can leak into the new one. The file work itself is in ``districtplanner.project``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QMessageBox, QWidget

from districtplanner.model.document import Document
from districtplanner.model.session import Session
from districtplanner.project import (
    NotAProjectError,
    ProjectError,
    inuse,
    load_project_with_notes,
)
from districtplanner.project.autosave import (
    DATA_ENV,
    AutosaveSession,
    Recovery,
    find_recoveries,
    snapshot_document,
)
from districtplanner.project.store import save_project_isolated

if TYPE_CHECKING:
    from districtplanner.ui.main_window import MainWindow

log = logging.getLogger(__name__)

PROJECT_FILTER = "District Planner project (*.gpkg);;PDF plan with its project (*.pdf)"
AUTOSAVE_ENV = "DISTRICT_PLANNER_AUTOSAVE_SECONDS"
RECENT_MAX = 8
IDLE_MS = 3000  # an autosave this long after the last finished edit gesture

# Windows opened by New/Open: Qt does not own top-level windows, so Python must keep them.
_windows: list[MainWindow] = []
_recovery_offered = False


def data_dir() -> Path:
    """The per-user folder for autosaves and the recent-files list."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    loc = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(loc) if loc else Path.home() / ".district-planner"


def _settings() -> dict:
    try:
        return json.loads((data_dir() / "settings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def autosave_seconds() -> float:
    """Autosave interval: ``$DISTRICT_PLANNER_AUTOSAVE_SECONDS``, else ``autosave_seconds``
    in the data folder's settings.json, else 60 s."""
    for value in (os.environ.get(AUTOSAVE_ENV), _settings().get("autosave_seconds")):
        try:
            if value is not None and float(value) > 0:
                return float(value)
        except (TypeError, ValueError):
            continue
    return 60.0


def recent_files() -> list[Path]:
    try:
        items = json.loads((data_dir() / "recent.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [Path(p) for p in items if isinstance(p, str)]


def _remember(path: Path) -> None:
    items = [str(path.resolve())] + [str(p) for p in recent_files()
                                     if p.resolve() != path.resolve()]
    folder = data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "recent.json").write_text(json.dumps(items[:RECENT_MAX]), encoding="utf-8")
    except OSError as exc:  # a recent-files list is a convenience, never worth an error
        log.warning("could not update the recent files list: %s", exc)


def _warn_choose(parent: QWidget | None, name: str, title: str, text: str, info: str,
                 safe: tuple[str, str], risky: tuple[str, str]) -> str | None:
    """A warning with a safe default, a risky choice and Cancel: the chosen key or None."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text,
                      QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName(name)
    box.setInformativeText(info)
    first = box.addButton(safe[1], QMessageBox.ButtonRole.AcceptRole)
    second = box.addButton(risky[1], QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(first)
    box.exec()
    clicked = box.clickedButton()
    return safe[0] if clicked is first else risky[0] if clicked is second else None


def ask_in_use(parent: QWidget | None, path: Path, owner: inuse.Owner) -> str | None:
    """Someone else has ``path`` open: "copy" (open it unsaved, under no name), "open"
    (open it anyway) or None (cancel). A function of its own so tests can answer it."""
    return _warn_choose(
        parent, "plan-in-use", "This plan is open elsewhere",
        f"{path.name} is open in District Planner by {owner.describe()}.",
        "If you both save it, the later save replaces the other's changes. Open a copy "
        "(it opens unsaved; Save asks for a new name), or open it anyway if you know the "
        "other window is closed.",
        ("copy", "Open a copy"), ("open", "Open anyway"))


def ask_overwrite(parent: QWidget | None, path: Path, saved_at: str, by: str) -> str | None:
    """``path`` was saved by someone else since this window read it: "overwrite",
    "save_as" or None (cancel). A function of its own so tests can answer it."""
    return _warn_choose(
        parent, "plan-changed", "The plan was changed by someone else",
        f"{path.name} was saved {by}on {saved_at}, after you opened it.",
        "Saving over it replaces their changes with yours. Save your plan under another "
        "name to keep both.",
        ("save_as", "Save as…"), ("overwrite", "Replace their changes"))


def is_project_file(path: Path) -> bool:
    """True for a GeoPackage holding District Planner's tables (cheap: reads the schema)."""
    if path.suffix.lower() != ".gpkg" or not path.is_file():
        return False
    import sqlite3
    from contextlib import closing

    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as con:
            return con.execute("SELECT 1 FROM sqlite_master WHERE name = 'dp_meta'"
                               ).fetchone() is not None
    except sqlite3.DatabaseError:
        return False


class ProjectActions(QObject):
    """One window's plan file: its path, clean state, autosave and File menu actions."""

    autosaved = Signal(str)  # the autosave file written (emitted from the worker thread)
    autosave_failed = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session: Session = window.session
        self.document: Document = window.session.document
        self.path: Path | None = None
        self._owner_token: str | None = None  # our owner file beside self.path
        self._seen: tuple[int, int] | None = None  # self.path as last read or saved here
        self._dirty_without_edits = False  # a recovered plan is unsaved before any edit
        self._closing_confirmed = False
        self._inherited: Recovery | None = None
        self.autosave = AutosaveSession(data_dir(), None, self.document.title)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        self._pending: Future | None = None
        self._save_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="save")
        self._saving = False
        self._build_actions()
        self.session.stack.clean_changed.connect(lambda _clean: self.update_title())
        self.session.stack.changed.connect(self._edited)
        self.document.metadata_changed.connect(lambda _m: self.update_title())
        self.autosaved.connect(self._autosaved)
        self.autosave_failed.connect(self.window.show_notice)
        self.timer = QTimer(self)
        self.timer.setInterval(int(autosave_seconds() * 1000))
        self.timer.timeout.connect(self.autosave_now)
        self.timer.start()
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.setInterval(IDLE_MS)
        self.idle.timeout.connect(self.autosave_now)
        global _recovery_offered
        # A headless render (screenshot, benchmarks) must never stop at a question.
        headless = QGuiApplication.platformName() == "offscreen"
        if not _recovery_offered and not headless:
            _recovery_offered = True
            QTimer.singleShot(0, self.offer_recovery)

    # ------------------------------------------------------------------ actions
    def _build_actions(self) -> None:
        w = self.window
        file_menu = w.menuBar().actions()[0].menu()
        first = file_menu.actions()[0] if file_menu.actions() else None
        new_menu = QMenu("&New", w)
        self.new_sample_action = new_menu.addAction("&Sample city", self.new_sample_city)
        self.new_sample_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_empty_action = new_menu.addAction("&Empty plan", self.new_empty)
        self.new_files_action = new_menu.addAction("From my &files…", self.new_from_files)
        self.open_action = QAction("&Open…", w, shortcut=QKeySequence.StandardKey.Open)
        self.open_action.setStatusTip("Open a saved plan (.gpkg)")
        self.open_action.triggered.connect(lambda: self.open())
        self.recent_menu = QMenu("Open &recent", w)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.save_action = QAction("&Save", w, shortcut=QKeySequence.StandardKey.Save)
        self.save_action.setStatusTip("Save the plan: layers, districts, packages, "
                                      "assumptions, in one GeoPackage")
        self.save_action.triggered.connect(self.save)
        self.save_as_action = QAction("Save &as…", w, shortcut=QKeySequence.StandardKey.SaveAs)
        self.save_as_action.triggered.connect(self.save_as)
        self.links_action = QAction("Layers &linked, not copied…", w)
        self.links_action.setStatusTip("Choose which layers the project keeps as a link to "
                                       "your file instead of a copy inside it")
        self.links_action.triggered.connect(self.choose_links)
        self.find_missing_action = QAction("&Find missing files…", w)
        self.find_missing_action.setStatusTip("Point layers whose linked file has moved at "
                                              "its new place")
        self.find_missing_action.triggered.connect(self.find_missing_files)
        self.revert_action = QAction("Re&vert to saved", w)
        self.revert_action.setStatusTip("Drop the changes since the last save")
        self.revert_action.triggered.connect(self.revert)
        file_menu.insertMenu(first, new_menu)
        file_menu.insertAction(first, self.open_action)
        file_menu.insertMenu(first, self.recent_menu)
        file_menu.insertSeparator(first)
        for act in (self.save_action, self.save_as_action, self.links_action,
                    self.find_missing_action, self.revert_action):
            file_menu.insertAction(first, act)
        file_menu.insertSeparator(first)
        self.revert_action.setEnabled(False)
        for act in file_menu.actions():
            if act.text().replace("&", "") == "Quit":
                act.triggered.disconnect()
                act.triggered.connect(self.request_close)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = [p for p in recent_files() if p.exists()]
        if not files:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        for p in files:
            self.recent_menu.addAction(p.name, lambda p=p: self.open(p)).setStatusTip(str(p))

    # -------------------------------------------------------------------- state
    @property
    def dirty(self) -> bool:
        return self._dirty_without_edits or not self.session.stack.is_clean

    def display_name(self) -> str:
        if self.path is not None:
            return self.path.stem
        return self.document.title or "Untitled plan"

    def update_title(self) -> None:
        mark = "*" if self.dirty else ""
        self.window.setWindowTitle(f"{self.display_name()}{mark} — District Planner")
        self.revert_action.setEnabled(self.path is not None and self.dirty)
        self.find_missing_action.setEnabled(
            any(la.meta.get("missing") for la in self.document.layers))

    def set_path(self, path: Path | None, dirty: bool = False) -> None:
        """The file this window's plan lives in (None: never saved), just read or saved."""
        if path != self.path or self._owner_token is None:
            if self.path is not None:
                inuse.release(self.path, self._owner_token)
            self._owner_token = inuse.claim(path) if path is not None else None
        self.path = path
        self._seen = inuse.fingerprint(path) if path is not None else None
        self._dirty_without_edits = dirty
        if not dirty:
            self.session.stack.set_clean()
        self.autosave.set_plan(path, self.document.title)
        if path is not None:
            _remember(path)
        self.update_title()

    # ---------------------------------------------------------------- autosave
    def _edited(self) -> None:
        if not self.session.stack.in_gesture:
            self.idle.start()

    def autosave_now(self) -> Future | None:
        """Snapshot now (GUI thread) and write it in the worker; None when nothing to do."""
        if not self.dirty or self.session.stack.in_gesture:
            return None
        if self._pending is not None and not self._pending.done():
            self.idle.start()  # a write is still running: try again once idle
            return None
        snap = snapshot_document(self.document)
        self._pending = self._executor.submit(self._write_autosave, snap)
        return self._pending

    def _write_autosave(self, snap: Document) -> None:
        try:
            path = self.autosave.write(snap)
        except ProjectError as exc:
            self.autosave_failed.emit(f"Autosave failed: {exc.message}")
            return
        self.autosaved.emit(str(path))

    def _autosaved(self, path: str) -> None:
        log.info("autosaved to %s", path)
        if self._inherited is not None:
            # The recovered plan is now safe in this session's own autosave.
            self._inherited.discard()
            self._inherited = None

    # ------------------------------------------------------------------- saving
    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        start = str(self.path or Path.home() / f"{self.display_name()}.gpkg")
        name, _ = QFileDialog.getSaveFileName(self.window, "Save plan as", start,
                                              "District Planner project (*.gpkg)")
        if not name:
            return False
        path = Path(name)
        if path.suffix.lower() != ".gpkg":
            path = path.with_name(path.name + ".gpkg")
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        """Save atomically; a refusal (read-only folder, full disk) is shown and the plan
        stays open and unsaved.

        The plan is snapshotted here and written by a child process while this window keeps
        drawing (a million-feature plan takes seconds); an edit made meanwhile leaves the
        plan marked unsaved, since the file holds the state from before it.
        """
        if self._saving:
            self.window.show_notice("A save is still running; wait for it to finish.")
            return False
        if not self._may_write(path):
            return False
        self._saving = True
        self.window.show_notice(f"Saving {path.name}…")
        QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        stack = self.session.stack
        index, count = stack.index, stack.count
        try:
            future = self._save_executor.submit(save_project_isolated,
                                                snapshot_document(self.document), path)
            while True:
                try:
                    future.result(timeout=0.03)  # waits without the GIL
                    break
                except FutureTimeout:
                    QApplication.processEvents()
        except ProjectError as exc:
            QMessageBox.warning(self.window, "The plan was not saved", str(exc))
            return False
        finally:
            QApplication.restoreOverrideCursor()
            self._saving = False
        self.autosave.discard_autosaves()
        unchanged = (stack.index, stack.count) == (index, count) and not stack.in_gesture
        self.set_path(path, dirty=not unchanged)
        self.window.show_notice(f"Saved {path}")
        return True

    def _may_write(self, path: Path) -> bool:
        """Ask before a save replaces someone else's: the plan changed on disk since this
        window read it, or another live window owns the file being saved over."""
        owner = inuse.read_owner(path)
        foreign = owner is not None and not (owner.here and path == self.path)
        changed = inuse.changed_since(path, self._seen) if path == self.path else None
        if changed is None and not foreign:
            return True
        when = (changed or owner.since).astimezone().strftime("%d %b %Y at %H:%M")
        by = f"by {owner.user} on {owner.host} " if foreign and owner is not None else ""
        answer = ask_overwrite(self.window, path, when, by)
        if answer == "save_as":
            QTimer.singleShot(0, self.save_as)
        return answer == "overwrite"

    def linkable_layers(self) -> list:
        """Layers read from a file that still exists (only those can be linked)."""
        from districtplanner.project.links import split_source

        return [la for la in self.document.layers
                if la.source and split_source(la.source)[0].is_file()]

    def set_linked(self, layer_ids: set[str]) -> None:
        """Keep exactly these layers as links on the next save (the others are copied)."""
        changed = False
        for la in self.linkable_layers():
            want = "link" if la.id in layer_ids else "copy"
            if la.meta.get("storage", "copy") != want:
                la.meta["storage"] = want
                changed = True
        if changed:
            self._dirty_without_edits = True
            self.update_title()

    def choose_links(self) -> None:
        from PySide6.QtWidgets import (
            QDialog,
            QDialogButtonBox,
            QListWidget,
            QListWidgetItem,
            QVBoxLayout,
        )

        layers = self.linkable_layers()
        if not layers:
            QMessageBox.information(self.window, "No layer can be linked",
                                    "Only layers read from a file on this computer can be "
                                    "linked; every layer is copied into the project.")
            return
        dialog = QDialog(self.window)
        dialog.setWindowTitle("Layers linked, not copied")
        lay = QVBoxLayout(dialog)
        items = QListWidget(dialog)
        for la in layers:
            item = QListWidgetItem(f"{la.name}  ({la.source.partition('|')[0]})", items)
            item.setData(Qt.ItemDataRole.UserRole, la.id)
            item.setCheckState(Qt.CheckState.Checked if la.meta.get("storage") == "link"
                               else Qt.CheckState.Unchecked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, dialog)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        lay.addWidget(items)
        lay.addWidget(buttons)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.set_linked({items.item(i).data(Qt.ItemDataRole.UserRole)
                         for i in range(items.count())
                         if items.item(i).checkState() == Qt.CheckState.Checked})

    # ----------------------------------------------------------------- closing
    def ask_to_save(self, action: str = "closing") -> QMessageBox.StandardButton:
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                          f"Save the changes to {self.display_name()} before {action}?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self.window)
        box.setInformativeText("If you discard them, the changes since the last save are "
                               "lost.")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.setObjectName("unsaved-changes")
        return QMessageBox.StandardButton(box.exec())

    def confirm_close(self, action: str = "closing") -> bool:
        """True when the window may go: nothing unsaved, saved now, or discarded."""
        if self._closing_confirmed or not self.dirty:
            return True
        answer = self.ask_to_save(action)
        if answer == QMessageBox.StandardButton.Save:
            ok = self.save()
        else:
            ok = answer == QMessageBox.StandardButton.Discard
        self._closing_confirmed = ok
        return ok

    def request_close(self) -> bool:
        """File > Quit (Ctrl+Q): ask about unsaved changes, then close. True if closed."""
        if not self.confirm_close("quitting"):
            return False
        self._closing_confirmed = True
        return self.window.close()

    def shutdown(self) -> None:
        """The window closes for good: finish a running autosave, then leave nothing to
        recover, unless the plan has unsaved changes nobody settled (a close from code):
        its autosaves stay and the next start offers them, as after a crash."""
        self.timer.stop()
        self.idle.stop()
        self._executor.shutdown(wait=True)
        self._save_executor.shutdown(wait=True)
        if self.path is not None:
            inuse.release(self.path, self._owner_token)
            self._owner_token = None
        if self._closing_confirmed or not self.dirty:
            self.autosave.close()
        _windows[:] = [w for w in _windows if w is not self.window]

    # ------------------------------------------------------------ replacing plans
    def replace_with(self, document: Document, path: Path | None = None,
                     notes: list[str] | None = None, dirty: bool = False) -> MainWindow:
        """Show ``document`` in a new window where this one is, and close this one (whose
        unsaved changes were settled before loading)."""
        from districtplanner.ui.main_window import MainWindow

        new = MainWindow(Session(document))
        new.project.set_path(path, dirty=dirty)
        new.setGeometry(self.window.geometry())
        if self.window.isMaximized():
            new.showMaximized()
        else:
            new.show()
        _windows.append(new)
        self._closing_confirmed = True
        self.window.close()
        new.project.report_notes(notes or [])
        return new

    def report_notes(self, notes: list[str]) -> None:
        """After opening: missing linked files are asked for; other notes are shown."""
        missing = [la for la in self.document.layers if la.meta.get("missing")]
        others = [n for n in notes if "linked file" not in n] if missing else notes
        if others:
            self.window.show_notice(others[0])
            QMessageBox.warning(self.window, "Part of the plan needs attention",
                                "\n\n".join(others))
        if missing:
            QTimer.singleShot(0, self.find_missing_files)

    def find_missing_files(self) -> list[str]:
        """Ask where each missing linked file went; one found relinks the others that are
        in the same folder. The layers stay in the plan either way. Returns names relinked."""
        from districtplanner.project.links import LinkError, relink

        relinked: list[str] = []
        for layer in list(self.document.layers):
            current = self.document.layer(layer.id)
            if not current.meta.get("missing"):
                continue
            link = current.meta.get("link") or {}
            was = Path(link.get("absolute") or link.get("relative") or current.source)
            answer = QMessageBox.question(
                self.window, "A linked file is missing",
                f"The file of layer '{current.name}' is not where it was:\n{was}\n\n"
                "Find it now? (The layer stays in the plan, marked missing, until you do.)",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                break
            start = str(was.parent) if was.parent.is_dir() else str(Path.home())
            name, _ = QFileDialog.getOpenFileName(self.window, f"Find {was.name}", start)
            if not name:
                break
            try:
                names = relink(self.document, current.id, Path(name))
            except LinkError as exc:
                QMessageBox.warning(self.window, "That file does not fit", str(exc))
                continue
            relinked += names
            self._dirty_without_edits = True  # the plan now points at the new place
            self.update_title()
        if relinked:
            self.window.show_notice(f"Relinked {', '.join(relinked)}")
        return relinked

    def new_sample_city(self) -> MainWindow | None:
        from districtplanner.model.build import open_sample_city

        if not self.confirm_close("starting a new plan"):
            return None
        try:
            document = open_sample_city()
        except FileNotFoundError as exc:
            self._closing_confirmed = False
            QMessageBox.warning(self.window, "The sample city is missing", str(exc))
            return None
        return self.replace_with(document)

    def new_empty(self) -> MainWindow | None:
        if not self.confirm_close("starting a new plan"):
            return None
        return self.replace_with(Document(title="Untitled plan"))

    def new_from_files(self) -> MainWindow | None:
        from districtplanner.model.build import open_files

        names, _ = QFileDialog.getOpenFileNames(self.window, "New plan from my files")
        if not names or not self.confirm_close("starting a new plan"):
            return None
        document, problems = open_files([Path(n) for n in names])
        if not document.layers and not document.districts:
            self._closing_confirmed = False
            QMessageBox.warning(self.window, "None of the files could be opened",
                                "\n\n".join(problems))
            return None
        return self.replace_with(document, notes=problems)

    def open(self, path: Path | None = None) -> MainWindow | None:
        """Open a plan (asks for the file when ``path`` is None). A plain GeoPackage gets the
        offer to add its layers to this plan instead."""
        if path is None:
            name, _ = QFileDialog.getOpenFileName(self.window, "Open plan", "", PROJECT_FILTER)
            if not name:
                return None
            path = Path(name)
        as_copy = False
        owner = inuse.read_owner(path) if path.suffix.lower() == ".gpkg" else None
        if owner is not None and not owner.here:
            choice = ask_in_use(self.window, path, owner)
            if choice is None:
                return None
            as_copy = choice == "copy"
        if not self.confirm_close("opening another plan"):
            return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            document, notes = load_project_with_notes(path)
        except ProjectError as exc:
            error: ProjectError | None = exc
        else:
            error = None
        finally:
            QApplication.restoreOverrideCursor()
        if isinstance(error, NotAProjectError):
            self._closing_confirmed = False
            answer = QMessageBox.question(
                self.window, "Not a District Planner project",
                f"{error}\n\nAdd its layers to the open plan now?")
            if answer == QMessageBox.StandardButton.Yes:
                self.window.add_layer_files([path])
            return None
        if error is not None:
            self._closing_confirmed = False
            QMessageBox.warning(self.window, "The plan could not be opened", str(error))
            return None
        if path.suffix.lower() == ".pdf" or as_copy:
            # A plan read out of a PDF has no project file yet, and a copy of a plan open
            # elsewhere must not save over it: Save asks where to put it.
            return self.replace_with(document, None, notes, dirty=True)
        return self.replace_with(document, path, notes)

    def revert(self) -> MainWindow | None:
        if self.path is None:
            return None
        answer = QMessageBox.question(
            self.window, "Revert to saved",
            f"Drop every change since {self.path.name} was last saved?")
        if answer != QMessageBox.StandardButton.Yes:
            return None
        try:
            document, notes = load_project_with_notes(self.path)
        except ProjectError as exc:
            QMessageBox.warning(self.window, "The saved plan could not be opened", str(exc))
            return None
        self._closing_confirmed = True
        return self.replace_with(document, self.path, notes)

    def open_dropped(self, paths: list[Path]) -> bool:
        """A single project file dropped on the window opens as the plan; True if handled."""
        if len(paths) == 1 and is_project_file(paths[0]):
            QTimer.singleShot(0, lambda: self.open(paths[0]))
            return True
        return False

    # ----------------------------------------------------------------- recovery
    def offer_recovery(self) -> MainWindow | None:
        """After a crash: say which plan and when, and restore it if the planner wants."""
        recoveries = find_recoveries(data_dir())
        if not recoveries:
            return None
        rec = recoveries[0]
        box = QMessageBox(QMessageBox.Icon.Question, "Recover your plan?",
                          f"District Planner closed unexpectedly while {rec.name} was "
                          f"open. It was last autosaved on {rec.when}.",
                          QMessageBox.StandardButton.NoButton, self.window)
        box.setObjectName("recover-plan")
        box.setInformativeText("Recover it to go on where you were (it opens unsaved; your "
                               "own file is unchanged until you save), or discard the "
                               "autosave.")
        recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        later = box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(recover)
        box.exec()
        clicked = box.clickedButton()
        if clicked is later:
            return None
        if clicked is not recover:
            rec.discard()
            return None
        if not self.confirm_close("recovering the other plan"):
            return None
        try:
            document, notes = rec.load()
        except ProjectError as exc:
            self._closing_confirmed = False
            QMessageBox.warning(self.window, "The autosave could not be opened", str(exc))
            return None
        new = self.replace_with(document, rec.plan_path, notes, dirty=True)
        new.project._inherited = rec
        new.project.autosave_now()
        return new


def run_project_gui(path: Path) -> int:
    """``district-planner PLAN.gpkg``: the app on a saved plan (its message if it is bad)."""
    from districtplanner.ui import app as app_module
    from districtplanner.ui.main_window import MainWindow

    app = app_module.application()
    sys.excepthook = app_module._excepthook
    owner = inuse.read_owner(path) if path.suffix.lower() == ".gpkg" else None
    choice = "open"
    if owner is not None and not owner.here:
        print(f"warning: {path.name} is open elsewhere, by {owner.describe()}",
              file=sys.stderr)
        if QGuiApplication.platformName() != "offscreen":
            choice = ask_in_use(None, path, owner)
            if choice is None:
                return 0
    try:
        document, notes = load_project_with_notes(path)
    except ProjectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    window = MainWindow(Session(document))
    window.project.set_path(None if choice == "copy" else path, dirty=choice == "copy")
    window.show()
    _windows.append(window)
    if os.environ.get("DISTRICT_PLANNER_QUIT_AFTER_DRAW"):
        # As run_gui: benchmarks and tests stop once the plan is on screen.
        app.processEvents()
        window.canvas.viewport().repaint()
        return 0
    window.project.report_notes(notes)
    return app.exec()
