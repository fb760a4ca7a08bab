"""Saving a plan atomically and opening it again.

A save never edits the user's file in place (SQLite over network shares and WAL files make
that fragile): the whole plan goes to a temporary file in the same folder, which is re-opened
and checked, the previous file is kept as ``NAME.gpkg.bak``, and ``os.replace`` swaps the new
one in. A kill, crash or full disk at any moment leaves the previous file as it was.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Callable
from contextlib import closing, suppress
from pathlib import Path

from districtplanner.model.document import Document
from districtplanner.project.errors import ProjectError, ProjectWriteError
from districtplanner.project.format import read_raw, write_project
from districtplanner.project.migrations import migrate

TMP_MARK = ".saving-"


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _tmp_path(path: Path) -> Path:
    # Same folder (os.replace is atomic only within one file system); the pid tells a stale
    # leftover of a killed save from a save running now.
    return path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}.gpkg")


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (a stale temp or lock is one whose
    writer is gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _remove_stale_temps(path: Path) -> None:
    # Both the new file's temp and the backup's hard link (a kill between linking and
    # renaming it leaves one), with their SQLite journals.
    for prefix in (f".{path.name}{TMP_MARK}", f"{backup_path(path).name}{TMP_MARK}"):
        for f in path.parent.glob(prefix + "*"):
            pid_text = f.name[len(prefix):].split(".")[0]
            if pid_text.isdigit() and not pid_alive(int(pid_text)):
                with suppress(OSError):
                    f.unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with suppress(OSError):
        _fsync(folder)


def _validate(tmp: Path, expected: dict[str, int], target: Path) -> None:
    """Re-open the written file: every table there with the row count written."""
    try:
        with closing(sqlite3.connect(f"{tmp.resolve().as_uri()}?mode=ro", uri=True)) as con:
            for table, count in expected.items():
                (found,) = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
                if found != count:
                    raise ProjectWriteError(target, f"the saved copy of table {table} holds "
                                            f"{found} rows instead of {count}; nothing was "
                                            "replaced, try saving again.")
        read_raw(tmp)
    except sqlite3.DatabaseError as exc:
        raise ProjectWriteError(target, f"the saved copy could not be read back ({exc}); "
                                "nothing was replaced, try saving again.") from None


def _write_message(target: Path, exc: OSError) -> str:
    folder = target.parent
    if exc.errno == errno.ENOSPC:
        return ("the disk is full, so the plan was not saved. Free some space or save it "
                "elsewhere with File > Save As; your plan is still open and the previous file "
                "is unchanged.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"you may not write in the folder {folder}, so the plan was not saved. Save "
                "it elsewhere with File > Save As; your plan is still open.")
    if exc.errno == errno.ENOENT and not folder.exists():
        return f"the folder {folder} does not exist; choose another with File > Save As."
    return (f"the plan could not be saved ({exc.strerror or exc}); your plan is still open "
            "and the previous file is unchanged. Try File > Save As.")


def save_project(document: Document, path: str | Path) -> None:
    """Write ``document`` to ``path`` atomically (previous version kept as ``.bak``).

    Raises ProjectWriteError with the planner's message; the document is never changed and
    ``path`` is either the old file or the complete new one, whatever happens.
    """
    target = Path(path)
    if target.suffix.lower() != ".gpkg":
        raise ProjectWriteError(target, "a project file must end in .gpkg; choose such a "
                                "name with File > Save As.")
    if not target.parent.is_dir():
        raise ProjectWriteError(target, _write_message(target, OSError(errno.ENOENT, "")))
    tmp = _tmp_path(target)
    try:
        _remove_stale_temps(target)
        with suppress(FileNotFoundError):
            tmp.unlink()
        expected = write_project(document, tmp, project_dir=target.parent)
        _fsync(tmp)
        _validate(tmp, expected, target)
        if target.exists():
            bak = backup_path(target)
            bak_tmp = bak.with_name(bak.name + f"{TMP_MARK}{os.getpid()}.gpkg")
            with suppress(FileNotFoundError):
                bak_tmp.unlink()
            # A hard link keeps the old file's bytes without copying; the target itself
            # is never moved away, so there is no moment without a file at `target`.
            try:
                os.link(target, bak_tmp)
            except OSError:
                import shutil

                shutil.copy2(target, bak_tmp)
            os.replace(bak_tmp, bak)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except ProjectError:
        with suppress(OSError):
            tmp.unlink()
        raise
    except OSError as exc:
        with suppress(OSError):
            tmp.unlink()
        raise ProjectWriteError(target, _write_message(target, exc)) from None
    except Exception as exc:
        # GDAL reports a full disk or a bad value as its own error kinds; the promise is the
        # same: nothing replaced, the plan still open.
        with suppress(OSError):
            tmp.unlink()
        text = str(exc)
        if not os.access(target.parent, os.W_OK):
            raise ProjectWriteError(target, _write_message(
                target, OSError(errno.EACCES, text))) from None
        if "No space left" in text:
            raise ProjectWriteError(target, _write_message(
                target, OSError(errno.ENOSPC, text))) from None
        raise ProjectWriteError(target, f"the plan could not be saved ({text}); your plan is "
                                "still open and the previous file is unchanged.") from None


CHILD_TIMEOUT_S = 600.0


class IsolationFailedError(Exception):
    """The forked child died without saying why, or hung; the caller does the work itself."""


class IsolatedProjectError(Exception):
    """A ProjectError raised in the child; ``message`` is its planner's message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def run_isolated(work: Callable[[], None], nice: int = 0,
                 cancelled: Callable[[], bool] | None = None) -> None:
    """Run ``work`` in a forked child (POSIX only) and wait for it without holding the GIL.

    pyogrio keeps the GIL while it writes, so a million features written in a thread stall
    the window (and a PDF being drawn) for seconds; a child writes on the other core. The
    child sees memory as it is now (copy-on-write, nothing serialised), must touch no Qt,
    and leaves with os._exit. A ProjectError in the child comes back as
    IsolatedProjectError with its message; ``cancelled()`` turning true kills the child and
    raises io's Cancelled; a child that died otherwise or outlived CHILD_TIMEOUT_S (a library
    lock held by another thread at the fork) raises IsolationFailedError. ``nice`` lowers the
    child's CPU priority (background autosaves yield to the window)."""
    import select
    import signal
    import time

    from districtplanner.io.errors import Cancelled

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into the caller's code
        code = 0
        try:
            os.close(read_end)
            if nice:
                os.nice(nice)
            work()
        except ProjectError as exc:
            os.write(write_end, exc.message.encode("utf-8", "replace")[:4000])
            code = 3
        except BaseException:
            code = 4
        os._exit(code)
    os.close(write_end)
    message = b""
    killed_for_cancel = False
    try:
        deadline = time.monotonic() + CHILD_TIMEOUT_S
        while True:
            ready, _, _ = select.select([read_end], [], [], 0.1 if cancelled else 1.0)
            if ready:
                chunk = os.read(read_end, 4096)
                if not chunk:
                    break  # end of file: the child has exited
                message += chunk
            elif cancelled is not None and cancelled():
                os.kill(pid, signal.SIGKILL)
                killed_for_cancel = True
                break
            elif time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                break
    finally:
        os.close(read_end)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if killed_for_cancel:
        raise Cancelled()
    if code == 0:
        return
    if code == 3:
        raise IsolatedProjectError(message.decode("utf-8", "replace"))
    raise IsolationFailedError(f"the child process ended with code {code}")


def save_project_isolated(snapshot: Document, path: Path, nice: int = 0) -> None:
    """save_project in a forked child (see :func:`run_isolated`; elsewhere in this thread),
    so writing a million features never holds this process's GIL and a drag on the GUI
    thread never stalls. A child that fails unexpectedly or hangs is killed and the save
    is done here instead."""
    if not hasattr(os, "fork"):
        save_project(snapshot, path)
        return
    try:
        run_isolated(lambda: save_project(snapshot, path), nice=nice)
    except IsolatedProjectError as exc:
        raise ProjectWriteError(path, exc.message) from None
    except IsolationFailedError:
        save_project(snapshot, path)  # the child failed unexpectedly or hung: write it here


def load_project(path: str | Path) -> Document:
    """The plan saved at ``path`` (notes about missing linked files in ``load_notes``)."""
    return load_project_with_notes(path)[0]


def load_project_with_notes(path: str | Path) -> tuple[Document, list[str]]:
    """The plan saved at ``path`` and the notes for the planner (missing links, repairs).

    A ``.pdf`` is read through its embedded project. Raises a ProjectError subclass with the
    planner's message for a missing, damaged, newer or non-project file.
    """
    from districtplanner.project.format import build_document

    p = Path(path)
    if p.suffix.lower() == ".pdf":
        return _load_pdf(p)
    raw = migrate(read_raw(p))
    return build_document(raw)


def _load_pdf(path: Path) -> tuple[Document, list[str]]:
    from districtplanner.project.pdf import load_pdf_project  # pypdf only when a PDF opens

    return load_pdf_project(path)
