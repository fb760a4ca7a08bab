"""Starting the app, and rendering it headless to a PNG."""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
import threading
import time
import traceback
from concurrent.futures import Future
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from districtplanner.paths import resources_dir, sample_city_dir
from districtplanner.ui import theme

if TYPE_CHECKING:
    from districtplanner.io.first_frame import FirstFrame
    from districtplanner.model.document import Document
    from districtplanner.ui.main_window import MainWindow

log = logging.getLogger(__name__)


def application() -> QApplication:
    """The one QApplication, made once with the app's theme."""
    app = QApplication.instance()
    if app is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
        app = QApplication(sys.argv[:1])
        app.setApplicationName("District Planner")
        app.setOrganizationName("District Planner")
        # Matches installer/linux/district-planner.desktop, so the desktop shows its icon.
        app.setDesktopFileName("district-planner")
        icon = resources_dir() / "icons" / "district-planner.png"
        if icon.is_file():
            app.setWindowIcon(QIcon(str(icon)))
        theme.apply(app)
    return app  # type: ignore[return-value]


def open_document(files: list[Path]) -> tuple[Document, list[str]]:
    """The sample city, or a document of ``files`` when given, and the problems met."""
    from districtplanner.model.build import open_files, open_sample_city

    if not files:
        return open_sample_city(), []
    return open_files(files)


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """An unexpected error becomes a dialog, never a crash to the desktop."""
    text = "".join(traceback.format_exception(kind, exc, tb))
    log.error("unhandled error\n%s", text)
    sys.stderr.write(text)
    app = QApplication.instance()
    if app is not None:
        QMessageBox.critical(
            None, "District Planner",
            f"Something went wrong, but your plan is still open.\n\n{kind.__name__}: {exc}",
        )


def run_gui(files: list[Path]) -> int:
    """Open the window on ``files``, or on the sample city. The sample city is painted
    first from its prepared arrays (io/first_frame.py), before the heavy libraries are
    imported; its layers are then read in a worker thread (the first frame stays
    responsive) and the same window becomes the full one with the index and figures."""
    from districtplanner.io.first_frame import read_first_frame
    from districtplanner.ui.main_window import MainWindow

    t0 = time.perf_counter()
    app = application()
    sys.excepthook = _excepthook
    quit_after_draw = bool(os.environ.get("DISTRICT_PLANNER_QUIT_AFTER_DRAW"))
    frame = None if files else read_first_frame(sample_city_dir())
    window = None
    if frame is not None:
        try:
            window = show_first_frame(frame)
        except Exception:  # a first frame is a nicety: start the ordinary way instead
            log.exception("first frame failed")
            frame = None
    if frame is None:  # own files, or a sample city without (or with a stale) first frame
        document, problems = open_document(files)
        window = MainWindow(document)
        window.show()
        app.processEvents()
        if problems:
            window.show_notice(problems[0])
            QMessageBox.warning(window, "Some files could not be opened", "\n\n".join(problems))
    else:
        assert window is not None
        log.info("first frame shown after %.2f s", time.perf_counter() - t0)
        if quit_after_draw:
            print(f"drawn after {time.perf_counter() - t0:.3f} s in-process", flush=True)
        reading = read_sample_city_then_finish(window)
        if quit_after_draw:
            loop = QEventLoop()  # the event loop runs meanwhile, as under app.exec()
            reading.add_done_callback(lambda _f: loop.quit())
            if not reading.done():
                loop.exec()
            app.processEvents()  # the docks and the map fitted to the panels
            if not window.ready:
                return 1
    log.info("window shown after %.2f s", time.perf_counter() - t0)
    if quit_after_draw:
        # benchmarks/bench_startup.py: stop once the map (and, from a first frame, the
        # figures) have been painted on screen.
        window.canvas.viewport().repaint()
        if frame is None:
            print(f"drawn after {time.perf_counter() - t0:.3f} s in-process", flush=True)
        window.repaint()
        print(f"figures shown after {time.perf_counter() - t0:.3f} s in-process", flush=True)
        grab = os.environ.get("DISTRICT_PLANNER_SCREEN_GRAB")
        if grab:
            # installer/smoke.sh: what the display server shows (xcb), not a re-render.
            app.processEvents()
            shot = window.screen().grabWindow(0)
            print(f"screen grabbed to {grab}: {shot.save(grab, 'PNG')}", flush=True)
        return 0
    return app.exec()


def show_first_frame(frame: FirstFrame) -> MainWindow:
    """The window on the sample city's first frame, shown and painted (the caller then
    reads the city: ``read_sample_city_then_finish``)."""
    from districtplanner.ui.main_window import MainWindow

    window = MainWindow(first_frame=frame)
    window.show()
    QApplication.processEvents()
    window.repaint()  # on screen now, not at some later turn of the event loop
    return window


class _Delivery(QObject):
    """Brings the worker's result to the GUI thread (a queued signal)."""

    arrived = Signal(object)


def read_sample_city_then_finish(window: MainWindow) -> Future:
    """Read the sample city (imports included: about a second) in a worker thread while
    the first frame stays responsive, then turn it into the full window on the GUI thread.
    The returned future is done once the window is finished (or has said why not)."""
    done: Future = Future()
    # No parent: the thread emits on it, so it must outlive a window closed (and deleted)
    # before the city has been read. Emitting on a deleted object from another thread
    # crashed the process; the closures below keep it alive until it has delivered.
    delivery = _Delivery()

    def arrived(result: object) -> None:
        try:
            finish_sample_city(window, result)
        finally:
            delivery.deleteLater()
            done.set_result(shiboken6.isValid(window) and window.ready)

    delivery.arrived.connect(arrived, Qt.ConnectionType.QueuedConnection)

    def work() -> None:
        try:
            # Imported here, not on the GUI thread: model.build pulls in geopandas (~0.6 s).
            from districtplanner.model.build import open_sample_city

            result: object = open_sample_city()
        except Exception as exc:  # shown by finish_sample_city, never raised in the thread
            result = exc
        else:
            # What finish() will import on the GUI thread (about 0.5 s: the index's nearest-
            # stop tree, the normal CDF, the analysis modules), imported here while the
            # first frame waits. Only numpy/scipy and our Qt-free code: no Qt objects.
            for name in ("scipy.spatial", "scipy.special", "districtplanner.analysis.index",
                         "districtplanner.analysis.metrics",
                         "districtplanner.analysis.sensitivity"):
                with contextlib.suppress(ImportError):
                    importlib.import_module(name)
        delivery.arrived.emit(result)

    threading.Thread(target=work, name="sample-city", daemon=True).start()
    return done


def finish_sample_city(window: MainWindow, document: Document | BaseException) -> None:
    """Turn the first frame into the full window on ``document`` (read by
    ``read_sample_city_then_finish``), or say why the sample city could not be read."""
    if window.ready or not shiboken6.isValid(window) or not window.isVisible():
        return  # closed on the first frame
    if isinstance(document, BaseException):  # e.g. a file removed since the first frame
        log.error("sample city failed: %s", document)
        window.statusBar().showMessage(f"The sample city could not be opened: {document}")
        if os.environ.get("DISTRICT_PLANNER_QUIT_AFTER_DRAW"):  # no one to close a dialog
            print(f"error: the sample city could not be opened: {document}", file=sys.stderr)
            return
        QMessageBox.critical(window, "District Planner",
                             f"The sample city could not be opened.\n\n{document}\n\nOpen "
                             "your own files with 'district-planner FILE…' or reinstall the app.")
        return
    window.finish(document)


def show_settled(document: Document, size: tuple[int, int] | None = None) -> MainWindow:
    """The window on ``document`` shown, laid out, indexed and with its figures computed:
    what a headless render (and the screen tests' child processes) draw from."""
    from districtplanner.ui.main_window import MainWindow

    window = MainWindow(document)
    if size is not None:
        window.resize(*size)
    window.show()
    for _ in range(5):
        QApplication.processEvents()
    window.recompute.wait_for_index()
    window.recompute.run_now()
    return window


def screenshot(out: Path, size: tuple[int, int], files: list[Path], workshop: bool = False,
               project: Path | None = None) -> int:
    """Render the main window (or with ``workshop`` the room view) at ``size`` pixels to
    ``out`` (PNG) without a screen; ``project`` is a saved plan to open instead of files."""

    app = application()
    if project is not None:
        from districtplanner.project import ProjectError, load_project

        try:
            document, problems = load_project(project), []
        except ProjectError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    else:
        document, problems = open_document(files)
    for p in problems:
        print(f"warning: {p}", file=sys.stderr)
    if not document.layers and not document.districts:
        print("error: none of the files could be opened", file=sys.stderr)
        return 1
    window = show_settled(document, size)
    app.processEvents()
    if workshop:
        window.workshop.enter(size=size)
        window.workshop.wait_for_intervals()  # the cards' 90% intervals, not "…"
        app.processEvents()
        image = window.workshop.room.grab()
        window.workshop.leave()
    else:
        window.sensitivity.wait()  # the tiles' 90% intervals, not "pending"
        app.processEvents()
        image = window.grab()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out), "PNG"):
        print(f"error: could not write {out}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({image.width()}x{image.height()})")
    window.close()
    return 0
