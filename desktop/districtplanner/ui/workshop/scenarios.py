"""The room view's figures: each scenario column's Metrics under the facilitator's what-if
values, without touching the plan.

A what-if changes assumptions or instrument parameters only, never a district's shape, so
each district's selection from the city index is made once and reused while a slider moves:
a slider frame costs the derivation of the figures alone (a few ms per column at the 1M
benchmark city) and never repeats the point-in-polygon work.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from districtplanner.analysis.assumptions import Assumptions, parameter
from districtplanner.analysis.incentives import Instrument, InstrumentKind
from districtplanner.analysis.index import CityIndex, Selection
from districtplanner.analysis.metrics import Metrics, compute_selection
from districtplanner.model.district import District


@dataclass(frozen=True)
class WhatIf:
    """One lever the facilitator can put on a slider.

    ``target`` is "assumption" (a parameter of every figure) or the instrument kind whose
    parameter ``param`` it sets in every district package that has that instrument.
    ``scale`` turns the stored value into the shown one (a share shown in per cent).
    """

    key: str
    label: str
    unit: str
    minimum: float
    maximum: float
    step: float
    target: str = "assumption"
    param: str = ""
    scale: float = 1.0
    digits: int = 0

    def shown(self, value: float) -> str:
        return f"{value * self.scale:,.{self.digits}f}{self.unit}"


WHATIFS: dict[str, WhatIf] = {w.key: w for w in (
    WhatIf("affordable_workspace_share", "Affordable workspace", " %", 0.0, 0.5, 0.01,
           scale=100),
    WhatIf("grant_per_job", "Grant per job", " €", 0.0, 20000.0, 250.0,
           target=InstrumentKind.JOB_GRANT.value, param="grant_per_job"),
    WhatIf("designation_uplift", "Designation uplift", " %", 0.0, 0.3, 0.005, scale=100,
           digits=1),
    WhatIf("clt_share", "Community land trust homes", " %", 0.0, 0.5, 0.01, scale=100),
    WhatIf("budget_cap", "Annual budget cap", " k€", 0.0, 10_000_000.0, 100_000.0,
           scale=1e-3),
)}

#: The sliders a room sees unless the facilitator picks others (issue 14's three levers).
DEFAULT_WHATIFS = ("affordable_workspace_share", "grant_per_job", "designation_uplift")


def plan_value(what: WhatIf, assumptions: Assumptions, districts: Sequence[District]) -> float:
    """The plan's own value of a lever: the assumption, or the first district instrument of
    that kind (its default when no district has one)."""
    if what.target == "assumption":
        return float(assumptions[what.key])
    for d in districts:
        for inst in d.instruments:
            if isinstance(inst, Instrument) and inst.kind.value == what.target:
                return float(inst.param(what.param))
    from districtplanner.analysis.incentives import PARAMETER_SPECS

    spec = {p.name: p for p in PARAMETER_SPECS[InstrumentKind(what.target)]}
    return float(spec[what.param].default)


def applied(assumptions: Assumptions, instruments: Sequence[Instrument],
            overrides: Mapping[str, float]) -> tuple[Assumptions, list[Instrument]]:
    """The plan's assumptions and one package with the what-if values put in."""
    changes = {k: v for k, v in overrides.items()
               if k in WHATIFS and WHATIFS[k].target == "assumption"}
    if changes:
        # Clamp to the parameter's documented range: a slider never offers a refused value.
        for k, v in changes.items():
            p = parameter(k)
            changes[k] = min(max(v, p.minimum), p.maximum)
        assumptions = assumptions.replace(**changes)
    out: list[Instrument] = []
    for inst in instruments:
        for k, v in overrides.items():
            w = WHATIFS.get(k)
            if w is not None and w.target != "assumption" and inst.kind.value == w.target:
                inst = dataclasses.replace(inst, params={**inst.params, w.param: float(v)})
        out.append(inst)
    return assumptions, out


class ScenarioFigures:
    """Figures of chosen districts under what-if values; selections cached per shape.

    ``index`` is a callable returning the current city index (the window's, so a layer
    change is seen at the next compute), or None while it is being built.
    """

    def __init__(self, index: Callable[[], CityIndex | None]) -> None:
        self._index = index
        self._selections: dict[str, tuple[tuple, Selection]] = {}
        self._baseline: tuple[tuple, Metrics] | None = None

    def _selection(self, index: CityIndex, district: District, buffer_m: float) -> Selection:
        key = (id(index), district.geometry.wkb, buffer_m)
        hit = self._selections.get(district.id)
        if hit is not None and hit[0] == key:
            return hit[1]
        sel = index.select(district.geometry, buffer_m)
        self._selections[district.id] = (key, sel)
        return sel

    def compute(self, districts: Sequence[District], assumptions: Assumptions,
                overrides: Mapping[str, float], city: bool = True
                ) -> tuple[Metrics | None, dict[str, Metrics]] | None:
        """(whole-city baseline, district id -> Metrics) under ``overrides``, or None while
        the index is not ready. ``city`` False skips the whole city (None in its place):
        it costs more than all the columns together and only the "against the whole city"
        comparison reads it."""
        index = self._index()
        if index is None:
            return None
        # One Assumptions object for every column: the analysis caches per-neighbourhood
        # rates on it, so a fresh (equal) copy per district would recompute them each time.
        a, _ = applied(assumptions, [], overrides)
        key = (id(index), a)
        if city and (self._baseline is None or self._baseline[0] != key):
            sel = index.whole_city(a.institution_buffer_m)
            self._baseline = (key, compute_selection(index, sel, a, (), "Whole city"))
        out: dict[str, Metrics] = {}
        for d in districts:
            _, package = applied(a, d.instruments, overrides)
            sel = self._selection(index, d, a.institution_buffer_m)
            out[d.id] = compute_selection(index, sel, a, package, d.name)
        for gone in set(self._selections) - {d.id for d in districts}:
            del self._selections[gone]
        return (self._baseline[1] if city and self._baseline is not None else None), out
