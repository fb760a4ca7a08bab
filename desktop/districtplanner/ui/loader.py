"""Loading files off the GUI thread, with progress and Cancel; the document changes only
when a read has fully succeeded, so Cancel or a bad file leaves it as it was."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from districtplanner.io.errors import Cancelled, DataImportError
from districtplanner.io.loaded import LoadedLayer
from districtplanner.io.readers import read_layer
from districtplanner.ui.dialogs.import_layer import ImportChoice


class LayerLoader(QObject):
    """One background read at a time. ``finished(LoadedLayer)``, ``failed(error)`` or
    ``cancelled()`` is emitted on the GUI thread."""

    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    progress = Signal(float)
    _completed = Signal(object)  # emitted from the worker; queued to the GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="loader")
        self._cancel = threading.Event()
        self.busy = False
        self.dialog: QProgressDialog | None = None
        self.progress.connect(self._on_progress)
        self._completed.connect(self._done, Qt.ConnectionType.QueuedConnection)

    def _on_progress(self, fraction: float) -> None:
        if self.dialog is not None:
            self.dialog.setValue(int(fraction * 1000))

    def start(self, choice: ImportChoice, project_crs: str | None,
              parent: QWidget | None = None) -> Future:
        self._cancel.clear()
        self.busy = True
        self.dialog = QProgressDialog(f"Reading {choice.path.name}…", "Cancel", 0, 1000, parent)
        self.dialog.setWindowTitle("Add layer")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(300)
        self.dialog.canceled.connect(self.cancel)

        def work() -> LoadedLayer:
            return read_layer(
                choice.path, choice.layer, role=choice.role, mapping=choice.mapping,
                source_crs=choice.source_crs, project_crs=project_crs,
                progress=lambda f: self.progress.emit(float(f)),
                cancel=self._cancel.is_set, sector_overrides=choice.sector_overrides,
                allow_bad_values=choice.allow_bad_values, encoding=choice.encoding,
            )

        fut = self._pool.submit(work)
        fut.add_done_callback(self._completed.emit)
        return fut

    def cancel(self) -> None:
        self._cancel.set()

    def _done(self, fut: Future) -> None:
        self.busy = False
        if self.dialog is not None:
            self.dialog.reset()
            self.dialog.deleteLater()
            self.dialog = None
        exc = fut.exception()
        if isinstance(exc, Cancelled) or (exc is None and self._cancel.is_set()):
            self.cancelled.emit()
        elif isinstance(exc, DataImportError):
            self.failed.emit(exc)
        elif exc is not None:
            self.failed.emit(DataImportError("", f"unexpected error: {exc}"))
        else:
            self.finished.emit(fut.result())

    def wait(self, timeout: float = 120.0, then: Callable[[], None] | None = None) -> None:
        """Block until the read ends (tests)."""
        self._pool.submit(lambda: None).result(timeout=timeout)
        if then:
            then()

    def shutdown(self) -> None:
        self._cancel.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
