"""The plan's figures: the city index of the analysed layers, the whole-city baseline and
each district's figures, cached per district so an edit recomputes only what it touched.

No Qt and no threads: the window's Recompute (ui/recompute.py) decides *when* to compute
and may build the index in its worker (``inputs`` + ``build_index`` + ``set_index``); the
command line calls ``compute`` directly. Both get the same figures from the same code.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.citydata import CityData
from districtplanner.analysis.index import CityIndex
from districtplanner.analysis.metrics import Metrics, compute
from districtplanner.model.city import city_inputs
from districtplanner.model.document import Document

log = logging.getLogger(__name__)


def build_index(inputs: dict[str, Any]) -> CityIndex:
    """Arrays and city index from a snapshot of the layers (runs in a worker when large)."""
    return CityIndex.build(CityData.from_frames(**inputs))


def planner_reason(exc: BaseException) -> str:
    """Why a figure failed, in words a planner can act on (the technical text kept short,
    for a bug report)."""
    text = str(exc).strip() or type(exc).__name__
    if "TopologyException" in text or "non-noded" in text:
        return ("its outline crosses itself in a way the calculation cannot follow; "
                "move the crossing corner or redraw the edge")
    if isinstance(exc, MemoryError):
        return "the computer ran out of memory for this district; try a smaller one"
    first_line = text.splitlines()[0][:160]
    return f"a calculation failed on these layers ({type(exc).__name__}: {first_line})"


@dataclass
class MetricsBundle:
    """Everything the panels draw from one recompute. A district whose figures failed is
    absent from ``districts`` and has its reason in ``failures``; panels then say so for that
    district instead of showing figures."""

    baseline: Metrics | None
    districts: dict[str, Metrics] = field(default_factory=dict)
    active_id: str | None = None
    assumptions: Assumptions = field(default_factory=Assumptions)
    seconds: float = 0.0
    failures: dict[str, str] = field(default_factory=dict)
    baseline_failure: str = ""
    names: dict[str, str] = field(default_factory=dict)

    @property
    def active(self) -> Metrics | None:
        return self.districts.get(self.active_id) if self.active_id else None

    @property
    def shown(self) -> Metrics:
        """The active district's figures, or the whole city's when none is active."""
        shown = self.active or self.baseline
        if shown is None:
            raise LookupError(self.not_computed or "no figures")
        return shown

    @property
    def not_computed(self) -> str:
        """'' when the shown figures exist, else "<name>: not computed: <reason>"."""
        if self.active_id is not None and self.active_id in self.failures:
            name = self.names.get(self.active_id, "This district")
            return f"{name}: not computed: {self.failures[self.active_id]}"
        if self.baseline is None:
            return f"Whole city: not computed: {self.baseline_failure or 'no layers to analyse'}"
        return ""


class Figures:
    """Figures of one document. ``compute()`` recomputes only districts whose shape, name,
    package or assumptions changed since the last call; a failing district is reported in
    the bundle and retried next time, never stopping the others."""

    def __init__(self, document: Document, baseline_name: str = "Whole city",
                 baseline_instruments: Sequence[Any] = ()) -> None:
        self.document = document
        self.baseline_name = baseline_name
        # The CLI costs its package city-wide too; the window's baseline has none.
        self.baseline_instruments = list(baseline_instruments)
        self.index: CityIndex | None = None
        self.index_version = -1
        self.latest: MetricsBundle | None = None
        self._baseline_key: tuple | None = None
        self._baseline: Metrics | None = None
        self._cache: dict[str, tuple[tuple, Metrics]] = {}

    # ------------------------------------------------------------------ index
    @property
    def index_is_current(self) -> bool:
        return self.index is not None and self.index_version == self.document.layers_version

    def inputs(self) -> dict[str, Any]:
        """A snapshot of what the index is built from (safe to hand to a worker)."""
        return city_inputs(self.document)

    def set_index(self, index: CityIndex, version: int) -> None:
        """Use ``index`` (built from the layers at ``version``); drops every cached figure."""
        self.index = index
        self.index_version = version
        self._baseline = None
        self._baseline_key = None
        self._cache.clear()

    def ensure_index(self) -> CityIndex:
        """Build the index now if the layers changed (raises the analysis error, e.g.
        CityDataError, naming what is wrong with the layers)."""
        if not self.index_is_current:
            version = self.document.layers_version
            self.set_index(build_index(self.inputs()), version)
        assert self.index is not None
        return self.index

    # ---------------------------------------------------------------- figures
    def compute_district(self, geometry: Any, name: str, instruments: Sequence[Any]) -> Metrics:
        """One district's figures (no cache); a seam the robustness tests replace."""
        assert self.index is not None
        return compute(self.index, geometry, self.document.assumptions,
                       instruments=list(instruments), name=name)

    def compute(self) -> MetricsBundle:
        """Every district's figures and the baseline, reusing what did not change. Needs an
        index (ensure_index, or set_index from a worker)."""
        if self.index is None:
            self.ensure_index()
        t0 = time.perf_counter()
        doc = self.document
        a = doc.assumptions
        key = (id(self.index), a)
        baseline_failure = ""
        if self._baseline is None or self._baseline_key != key:
            try:
                self._baseline = compute(self.index, None, a,
                                         instruments=self.baseline_instruments,
                                         name=self.baseline_name)
                self._baseline_key = key
            except Exception as exc:  # reported in the bundle; the districts still compute
                log.exception("baseline figures failed")
                self._baseline = None
                baseline_failure = planner_reason(exc)
        out: dict[str, Metrics] = {}
        failures: dict[str, str] = {}
        for d in doc.districts:
            dkey = (key, d.geometry.wkb, d.name, tuple(map(repr, d.instruments)))
            cached = self._cache.get(d.id)
            if cached is not None and cached[0] == dkey:
                out[d.id] = cached[1]
                continue
            try:
                m = self.compute_district(d.geometry, d.name, d.instruments)
            except Exception as exc:  # one district failing never stops the others
                log.exception("figures of %s failed", d.name)
                failures[d.id] = planner_reason(exc)
                self._cache.pop(d.id, None)
                continue
            self._cache[d.id] = (dkey, m)
            out[d.id] = m
        for gone in set(self._cache) - set(out):
            del self._cache[gone]
        self.latest = MetricsBundle(
            baseline=self._baseline, districts=out, active_id=doc.selection.active_district,
            assumptions=a, seconds=time.perf_counter() - t0, failures=failures,
            baseline_failure=baseline_failure, names={d.id: d.name for d in doc.districts},
        )
        return self.latest
