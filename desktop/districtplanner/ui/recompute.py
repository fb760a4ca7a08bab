"""The Recompute coordinator: the only place that knows about frames and threads.

Document signals are coalesced to at most one recompute per event-loop turn; the fast
figures run inline (milliseconds), the city index is rebuilt off the GUI thread when the
layers are large, and panels receive one MetricsBundle per recompute.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.citydata import CityData
from districtplanner.analysis.index import CityIndex
from districtplanner.analysis.metrics import Metrics, compute
from districtplanner.model.city import city_inputs
from districtplanner.model.document import Document

log = logging.getLogger(__name__)

# Below this many analysed features the index is built inline: faster than a thread hop.
INLINE_INDEX_LIMIT = 250_000


def build_index(inputs: dict) -> CityIndex:
    """Arrays and city index from a snapshot of the layers (runs in a worker when large)."""
    return CityIndex.build(CityData.from_frames(**inputs))


@dataclass
class MetricsBundle:
    """Everything the panels draw from one recompute."""

    baseline: Metrics
    districts: dict[str, Metrics] = field(default_factory=dict)
    active_id: str | None = None
    assumptions: Assumptions = field(default_factory=Assumptions)
    seconds: float = 0.0

    @property
    def active(self) -> Metrics | None:
        return self.districts.get(self.active_id) if self.active_id else None

    @property
    def shown(self) -> Metrics:
        """The active district's figures, or the whole city's when none is active."""
        return self.active or self.baseline


class Recompute(QObject):
    metrics_ready = Signal(object)   # MetricsBundle
    index_ready = Signal()
    failed = Signal(str)             # a message for the status bar
    busy = Signal(bool)
    _built_signal = Signal(object, int)  # from the worker thread, queued to the GUI thread

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.index: CityIndex | None = None
        self.latest: MetricsBundle | None = None
        self._index_version = -1
        self._baseline_key: tuple | None = None
        self._baseline: Metrics | None = None
        self._cache: dict[str, tuple] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="index")
        self._pending: Future | None = None
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

    # ------------------------------------------------------------------ index
    def _analysed_size(self) -> int:
        return sum(la.feature_count for la in self.document.layers if not la.is_raster)

    def _on_layers(self) -> None:
        if self.document.layers_version == self._index_version:
            self.schedule()   # visibility only: figures unchanged, panels may want a repaint
            return
        version = self.document.layers_version
        inputs = city_inputs(self.document)
        if self._analysed_size() <= INLINE_INDEX_LIMIT:
            try:
                index = build_index(inputs)
            except ValueError as exc:
                self.failed.emit(f"Cannot analyse the layers: {exc}")
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
            self.failed.emit(f"Cannot analyse the layers: {exc}")
            return
        self._set_index(index, version)

    def _set_index(self, index: CityIndex, version: int) -> None:
        self.index = index
        self._index_version = version
        self._baseline = None
        self._cache.clear()
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
        """Compute every district's figures now; reuse those whose inputs did not change."""
        self._timer.stop()
        if self.index is None:
            return None
        t0 = time.perf_counter()
        doc = self.document
        a = doc.assumptions
        try:
            key = (id(self.index), a)
            if self._baseline is None or self._baseline_key != key:
                self._baseline = compute(self.index, None, a, name="Whole city")
                self._baseline_key = key
            out: dict[str, Metrics] = {}
            for d in doc.districts:
                dkey = (key, d.geometry.wkb, d.name, tuple(map(repr, d.instruments)))
                cached = self._cache.get(d.id)
                if cached is not None and cached[0] == dkey:
                    out[d.id] = cached[1]
                    continue
                m = compute(self.index, d.geometry, a, instruments=d.instruments, name=d.name)
                self._cache[d.id] = (dkey, m)
                out[d.id] = m
            for gone in set(self._cache) - set(out):
                del self._cache[gone]
        except Exception as exc:  # a figure failing must not take the app down
            log.exception("recompute failed")
            self.failed.emit(f"Could not compute the figures: {exc}")
            return None
        bundle = MetricsBundle(
            baseline=self._baseline, districts=out, active_id=doc.selection.active_district,
            assumptions=a, seconds=time.perf_counter() - t0,
        )
        self.latest = bundle
        self.metrics_ready.emit(bundle)
        return bundle

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
