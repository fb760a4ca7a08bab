"""The Recompute coordinator: the only place that knows about frames and threads.

Document signals are coalesced to at most one recompute per event-loop turn; the figures
themselves (and their per-district cache) live in ``model.figures.Figures``, the same code
the command line runs. Here: the timer, the one worker pool that builds a large city index
off the GUI thread, and the Qt signals the panels listen to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from districtplanner.analysis.index import CityIndex
from districtplanner.model.document import Document
from districtplanner.model.figures import Figures, MetricsBundle, build_index, planner_reason

__all__ = ["INLINE_INDEX_LIMIT", "MetricsBundle", "Recompute"]

log = logging.getLogger(__name__)

# Below this many analysed features the index is built inline: faster than a thread hop.
INLINE_INDEX_LIMIT = 250_000


class Recompute(QObject):
    metrics_ready = Signal(object)   # MetricsBundle
    index_ready = Signal()
    failed = Signal(str)             # a message for the status bar
    busy = Signal(bool)
    _built_signal = Signal(object, int)  # from the worker thread, queued to the GUI thread

    def __init__(self, document: Document, parent: QObject | None = None,
                 figures: Figures | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.figures = figures if figures is not None else Figures(document)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="index")
        self._pending: Future | None = None
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.run_now)
        self._built_signal.connect(self._built, Qt.ConnectionType.QueuedConnection)
        document.layers_changed.connect(self._on_layers)
        document.districts_changed.connect(lambda _id: self.schedule())
        document.assumptions_changed.connect(lambda _a: self.schedule())
        document.selection.changed.connect(self._on_selection)
        self._last_active = document.selection.active_district
        self._on_layers()

    @property
    def index(self) -> CityIndex | None:
        return self.figures.index

    @property
    def latest(self) -> MetricsBundle | None:
        return self.figures.latest

    # ------------------------------------------------------------------ index
    def _analysed_size(self) -> int:
        return sum(la.feature_count for la in self.document.layers if not la.is_raster)

    def _on_layers(self) -> None:
        if self._closed:
            return
        if self.document.layers_version == self.figures.index_version:
            self.schedule()   # visibility only: figures unchanged, panels may want a repaint
            return
        version = self.document.layers_version
        try:
            inputs = self.figures.inputs()
        except Exception as exc:  # e.g. combined layers that cannot be concatenated
            log.exception("layer inputs failed")
            self.failed.emit(f"Cannot analyse the layers: {planner_reason(exc)}")
            return
        if self._analysed_size() <= INLINE_INDEX_LIMIT:
            try:
                index = build_index(inputs)
            except Exception as exc:  # shown to the user, never a crash
                log.exception("index build failed")
                self.failed.emit(f"Cannot analyse the layers: {_layer_reason(exc)}")
                return
            self._set_index(index, version)
            return
        # Large layers: the conversion and the index both run off the GUI thread.
        self.busy.emit(True)
        fut = self._pool.submit(build_index, inputs)
        self._pending = fut
        fut.add_done_callback(lambda f: self._built_signal.emit(f, version))

    def _built(self, fut: Future, version: int) -> None:
        if fut is not self._pending:
            return   # a newer layer change superseded this build
        self._pending = None
        self.busy.emit(False)
        try:
            index = fut.result()
        except Exception as exc:  # shown to the user, never a crash
            log.exception("index build failed")
            self.failed.emit(f"Cannot analyse the layers: {_layer_reason(exc)}")
            return
        self._set_index(index, version)

    def _set_index(self, index: CityIndex, version: int) -> None:
        self.figures.set_index(index, version)
        self.index_ready.emit()
        self.schedule()

    # --------------------------------------------------------------- figures
    def _on_selection(self, state: object) -> None:
        active = self.document.selection.active_district
        if active != self._last_active:
            self._last_active = active
            self.schedule()

    def schedule(self) -> None:
        """Ask for one recompute on the next event-loop turn (coalesces bursts of edits)."""
        if not self._timer.isActive():
            self._timer.start()

    def wait_for_index(self, timeout: float = 120.0) -> None:
        """Block until a background index build is done (tests, screenshots, benchmarks)."""
        fut = self._pending
        if fut is not None:
            fut.result(timeout=timeout)
            self._built(fut, self.document.layers_version)

    def run_now(self) -> MetricsBundle | None:
        """Compute every district's figures now (only what changed is recomputed). A failed
        district is in the bundle with its reason; a failure never stops later recomputes."""
        self._timer.stop()
        if self.figures.index is None:
            return None
        try:
            bundle = self.figures.compute()
        except Exception as exc:  # Figures reports per district; this is a last resort
            log.exception("recompute failed")
            self.failed.emit(f"Could not compute the figures: {planner_reason(exc)}")
            return None
        if bundle.failures:
            names = ", ".join(bundle.names[i] for i in bundle.failures)
            self.failed.emit(f"Figures not computed for {names}: "
                             f"{next(iter(bundle.failures.values()))}")
        self.metrics_ready.emit(bundle)
        return bundle

    def submit(self, fn: Callable[[], object]) -> Future:
        """Run ``fn`` in the one worker pool (slow figures such as the sensitivity Monte
        Carlo); the caller brings the result back to the GUI thread. After shutdown (the
        window closed while a panel's timer was still due) the work is not run and the
        returned future never completes, so no callback reaches a closed window."""
        if self._closed:
            return Future()
        return self._pool.submit(fn)

    def shutdown(self) -> None:
        self._closed = True
        self._timer.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)


def _layer_reason(exc: BaseException) -> str:
    # Analysis errors about the layers (CityDataError, ValueError) are already worded for a
    # planner; anything else is a fault, described briefly.
    from districtplanner.analysis.citydata import CityDataError

    if isinstance(exc, CityDataError | ValueError):
        return str(exc)
    return planner_reason(exc)
