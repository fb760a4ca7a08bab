"""Autosave and crash recovery, without Qt (the window adds a timer and the dialogs).

Each open plan gets a folder ``<data>/autosave/<session>/`` holding ``lock.json`` (which
process has it open, which file, which title) and the last few autosaves. A clean close
deletes the folder; a folder whose process is gone means a crash, and the next start offers
its latest autosave. Autosaves live only in the per-user data folder: the planner's own
file is written by Save and nothing else.

Snapshots are taken on the GUI thread (cheap: layer data is shared, everything a planner
edits is copied) and written from a worker, so a drag never waits for the disk.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import threading
import uuid
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from districtplanner.model.document import Document
from districtplanner.project.store import (
    load_project_with_notes,
    pid_alive,
    save_project,
    save_project_isolated,
)

DATA_ENV = "DISTRICT_PLANNER_DATA"
LOCK_NAME = "lock.json"
KEEP = 3


def default_data_dir() -> Path:
    """The per-user data folder: ``$DISTRICT_PLANNER_DATA``, else the XDG data home (the
    window passes Qt's AppDataLocation instead, which is right on every platform)."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "district-planner"


def snapshot_document(document: Document) -> Document:
    """A copy of ``document`` that later edits do not reach, for writing in a worker.

    Layer data is shared, not copied (a million-row frame would block the GUI thread): the
    document replaces a layer's data on change, it never edits a frame in place.
    """
    snap = Document(crs=document.crs, title=document.title)
    snap.set_metadata(document.metadata)
    snap.set_assumptions(document.assumptions)
    layers = []
    for la in document.layers:
        layers.append(replace(la, mapping=dict(la.mapping), style=copy.copy(la.style),
                              meta=copy.deepcopy(la.meta)))
    snap.add_layers(layers)
    for d in document.districts:
        snap.add_district(replace(d, instruments=copy.deepcopy(d.instruments)))
    snap.set_votes(document.votes)
    snap.set_sketches([replace(s) for s in document.sketches])
    snap.set_view(document.view)
    snap.selection.set_active_district(document.selection.active_district)
    return snap



class AutosaveSession:
    """The autosave folder of one open plan. ``write`` may run in a worker thread; the other
    methods belong to the GUI thread."""

    def __init__(self, root: Path | None = None, plan_path: Path | None = None,
                 title: str = "", keep: int = KEEP) -> None:
        self.root = Path(root) if root is not None else default_data_dir()
        stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        self.folder = self.root / "autosave" / stamp
        self.keep = keep
        self.plan_path = plan_path
        self.title = title
        self._count = 0
        self._lock = threading.Lock()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write_lock()

    def _write_lock(self) -> None:
        data = {"pid": os.getpid(), "host": socket.gethostname(),
                "plan": str(self.plan_path) if self.plan_path else "", "title": self.title,
                "started": datetime.now(UTC).isoformat(timespec="seconds")}
        tmp = self.folder / (LOCK_NAME + ".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.folder / LOCK_NAME)

    def set_plan(self, plan_path: Path | None, title: str) -> None:
        """The plan was saved under a new name or renamed: recovery names it so."""
        self.plan_path = plan_path
        self.title = title
        self._write_lock()

    def write(self, snapshot: Document, isolated: bool = True) -> Path:
        """Write ``snapshot`` as the newest autosave and drop all but the last ``keep``.
        Raises ProjectWriteError (e.g. disk full); the previous autosaves stay.

        ``isolated``: on POSIX the file is written by a forked child process, so writing a
        million features never holds this process's GIL (a thread would: pyogrio keeps it
        while it writes, and a vertex drag on the GUI thread stalled for seconds).
        """
        with self._lock:
            self._count += 1
            path = self.folder / f"autosave-{self._count:05d}.gpkg"
            if isolated and hasattr(os, "fork"):
                # Lowest sensible priority: on a busy machine the window gets the CPU first.
                save_project_isolated(snapshot, path, nice=10)
            else:
                save_project(snapshot, path)
            saves = sorted(self.folder.glob("autosave-*.gpkg"))
            for old in saves[: -self.keep]:
                with suppress(OSError):
                    old.unlink()
            return path

    def discard_autosaves(self) -> None:
        """The plan was saved by the planner: older autosaves are no longer newer than it."""
        with self._lock:
            for f in self.folder.glob("autosave-*.gpkg"):
                with suppress(OSError):
                    f.unlink()

    def close(self) -> None:
        """A clean close: nothing to recover next time."""
        with self._lock:
            shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Recovery:
    """A plan left open by a process that is gone, with its latest autosave."""

    folder: Path
    file: Path
    plan_path: Path | None
    title: str
    saved_at: datetime

    @property
    def name(self) -> str:
        return self.plan_path.name if self.plan_path else (self.title or "an unsaved plan")

    @property
    def when(self) -> str:
        return self.saved_at.astimezone().strftime("%d %b %Y at %H:%M")

    def describe(self) -> str:
        return f"{self.name}, autosaved {self.when}"

    def load(self) -> tuple[Document, list[str]]:
        return load_project_with_notes(self.file)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def find_recoveries(root: Path | None = None) -> list[Recovery]:
    """Plans whose process ended without closing them (a crash or a kill), newest first.

    A folder of a process still running on this machine (another window) is left alone; one
    with no autosave (crashed before anything was saved) is removed.
    """
    base = (Path(root) if root is not None else default_data_dir()) / "autosave"
    if not base.is_dir():
        return []
    found = []
    host = socket.gethostname()
    for folder in base.iterdir():
        lock = folder / LOCK_NAME
        try:
            info = json.loads(lock.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if info.get("host") == host and pid_alive(int(info.get("pid", -1))):
            continue
        saves = sorted(folder.glob("autosave-*.gpkg"))
        if not saves:
            shutil.rmtree(folder, ignore_errors=True)
            continue
        latest = saves[-1]
        found.append(Recovery(
            folder=folder, file=latest,
            plan_path=Path(info["plan"]) if info.get("plan") else None,
            title=str(info.get("title", "")),
            saved_at=datetime.fromtimestamp(latest.stat().st_mtime, tz=UTC),
        ))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)
