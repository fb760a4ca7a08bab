"""How far each headline figure of a district moves with the assumptions behind it.

The UK Green Book (HM Treasury 2022, §5.59-5.61) asks that sensitivity analysis and
switching values be part of how an appraisal is presented. For each headline figure this
module gives a tornado (each uncertain assumption alone at the low and the high end of its
plausible range, :data:`assumptions.UNCERTAINTY`, sorted by swing), switching values (the
assumption value at which the displacement class changes or the budget is breached) and a
Latin-hypercube Monte Carlo interval (McKay, Beckman & Conover 1979; scipy.stats.qmc) with
a fixed seed, so bands never flicker between recomputes.

The district's selection is shared by every draw: only the assumptions change. The
affordability figures are evaluated for many assumption vectors at once with numpy
(:func:`affordability_batch`, checked against :func:`affordability.affordability`), and so
is the incentive model (:func:`incentives.evaluate_batch`, one fixed point over (K, ...)
arrays, checked against :func:`incentives.evaluate`). Methods:
docs/methods.md ("## Sensitivity").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from districtplanner.analysis.affordability import (
    RISK_CLASS_BOUNDS,
    RISK_CLASSES,
    neighbourhood_base,
)
from districtplanner.analysis.assumptions import UNCERTAINTY, Assumptions, parameter
from districtplanner.analysis.incentives import (
    EconomyInputs,
    Instrument,
    evaluate,
    evaluate_batch,
)
from districtplanner.analysis.index import CityIndex, Selection

SEED = 20261126
DRAWS = 1000

# Which uncertain assumptions enter which model (the others cannot move its figures).
AFFORDABILITY_PARAMETERS: tuple[str, ...] = (
    "household_size", "designation_uplift", "transit_uplift_residential",
    "transit_uplift_commercial", "market_rent_growth", "income_growth",
    "dwelling_floor_area", "firm_rent_capacity", "firm_rent_capacity_spread", "income_sigma",
    "renter_income_ratio", "utilities_share",
    "uplift_full_pressure",
    "weight_vulnerability", "weight_market", "weight_plan",
)
# The ones the displacement composite reads (the others leave its class where it is).
DISPLACEMENT_PARAMETERS: tuple[str, ...] = (
    "household_size", "designation_uplift", "transit_uplift_residential", "income_sigma",
    "uplift_full_pressure", "weight_vulnerability", "weight_market", "weight_plan",
)
INCENTIVE_PARAMETERS: tuple[str, ...] = (
    "baseline_growth_firms", "baseline_growth_jobs", "incentive_elasticity",
    "operating_cost_per_job", "agglomeration_coefficient", "designation_uplift",
    "transit_uplift_commercial", "market_rent_growth", "floor_area_per_job",
    "discount_rate", "jobs_multiplier", "capitalisation_yield", "property_tax_rate",
    "grant_spread_years",
)
# Headline figure key -> (label, model). LQ has no assumption: its interval is sampling.
HEADLINE: dict[str, tuple[str, str]] = {
    "creative_jobs_projected": ("Creative jobs at the horizon (with the package)", "incentives"),
    "npv": ("Net present cost of the package", "incentives"),
    "cost_per_job_year": ("Cost per discounted job-year", "incentives"),
    "households_priced_out": ("Households newly rent-burdened (priced out)", "affordability"),
    "firms_priced_out": ("Creative firms priced out", "affordability"),
    "displacement_risk": ("Displacement-risk composite", "affordability"),
}


def _range(name: str, value: float) -> tuple[float, float, str]:
    """(low, high, distribution) of an uncertain assumption, widened to hold ``value``
    (a planner's own setting outside the cited range stays inside what is sampled)."""
    u = UNCERTAINTY[name]
    low, high = u.bounds(value)
    return min(low, value), max(high, value), u.distribution


# ---- the affordability figures for many assumption vectors at once ---------------------


@dataclass
class _AffordabilityInputs:
    """What the district's affordability figures read, gathered once per selection."""

    households: np.ndarray  # the households column, NaN where absent (touched rows)
    population: np.ndarray
    fraction: np.ndarray
    renters: np.ndarray
    rent: np.ndarray
    income: np.ndarray
    low_income_at: np.ndarray  # ln(low_income_fraction · area median income)
    low_income_gap: np.ndarray  # low_income_at - ln(median income), per neighbourhood
    households_known: bool  # no household count to derive from population
    market_rank: np.ndarray
    creative_rents: np.ndarray  # sorted, finite
    rent_sums: _RentSums  # the sorted rents' Σr, Σr² over leading runs
    designated: bool
    station_share: float
    known: bool  # a rent layer: without one the figures are unknown whatever assumed
    creative_firms: int
    has_neighbourhoods: bool


def _affordability_inputs(index: CityIndex, sel: Selection, a: Assumptions,
                          station_share: float) -> _AffordabilityInputs:
    base = neighbourhood_base(index)
    i = sel.nbhd_index
    r = np.asarray(sel.creative_rent, dtype=np.float64)
    if base is None:
        empty = np.empty(0)
        rs = _sorted_finite(r)
        return _AffordabilityInputs(empty, empty, empty, empty, empty, empty, np.nan, empty,
                                    True, empty, rs, _RentSums(rs), False, 0.0,
                                    index.city.rent_kind is not None, r.size, False)
    rank = np.vstack([base.rent_rank[i], base.growth_rank[i]])
    ok = np.isfinite(rank)
    n = ok.sum(axis=0)
    market = np.where(n > 0, np.where(ok, rank, 0.0).sum(axis=0) / np.maximum(n, 1), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        low_at = math.log(a.low_income_fraction * base.area_median_income) \
            if base.area_median_income > 0 else float("nan")
    households, income = base.households[i], base.median_income[i]
    return _AffordabilityInputs(
        households=households, population=base.population[i],
        fraction=np.asarray(sel.nbhd_fraction, dtype=np.float64),
        renters=base.renter_share[i], rent=base.rent[i], income=income,
        low_income_at=low_at, low_income_gap=low_at - np.log(income),
        households_known=bool(np.isfinite(households).all()), market_rank=market,
        creative_rents=(rs := _sorted_finite(r)), rent_sums=_RentSums(rs),
        designated=not sel.whole_city and sel.area_m2 > 0, station_share=station_share,
        known=index.city.rent_kind is not None, creative_firms=r.size,
        has_neighbourhoods=True,
    )


def _sorted_finite(r: np.ndarray) -> np.ndarray:
    """The finite values of ``r``, ascending (no copy to mask when all are finite)."""
    ok = np.isfinite(r)
    return np.sort(r if ok.all() else r[ok])


def affordability_batch(inp: _AffordabilityInputs, p: Mapping[str, np.ndarray],
                        a: Assumptions, only_displacement: bool = False
                        ) -> dict[str, np.ndarray]:
    """Households priced out, creative firms priced out and the displacement composite
    for K assumption vectors: ``p`` maps parameter names to arrays of K values (others
    come from ``a``). Element-wise the formulas of :func:`affordability.affordability`.
    With ``only_displacement`` just the composite (the switching-value grids need no
    more, and the burden curves are most of the work)."""
    from scipy.special import ndtr  # deferred: scipy.special costs ~0.2 s at start-up

    k = len(next(iter(p.values())))

    def v(name: str) -> np.ndarray:
        return (np.asarray(p[name], dtype=np.float64) if name in p
                else np.full(k, float(a[name])))[:, None]

    horizon = int(a.horizon_years)
    market = (1 + v("market_rent_growth")) ** horizon
    income = (1 + v("income_growth")) ** horizon
    share = inp.station_share
    up_res = (v("designation_uplift") + v("transit_uplift_residential") * share) \
        if inp.designated else np.zeros((k, 1))
    up_com = (v("designation_uplift") + v("transit_uplift_commercial") * share) \
        if inp.designated else np.zeros((k, 1))
    sigma = v("income_sigma")
    nan = np.full(k, np.nan)
    out: dict[str, np.ndarray] = {}
    # Creative firms: Σ_j P(r_j ≤ C < r_j·f), f = market·(1 + u_c) / income, is
    # Σ_j G(f·r_j) - Σ_j G(r_j) when f ≥ 1 (G rises) and 0 otherwise, each sum from
    # sums over runs of the sorted rents: O(log n) per draw, whatever the number of firms
    # (both sums of every draw in one call).
    c = v("firm_rent_capacity")[:, 0]
    w = v("firm_rent_capacity_spread")[:, 0] * c
    factor = (market * (1 + up_com) / income)[:, 0]
    sums = inp.rent_sums
    # Unknown as affordability() says: creative firms but no rent known for any of them.
    firms_unknown = inp.creative_firms > 0 and (not inp.known or inp.creative_rents.size == 0)
    if not only_displacement:
        both = _sum_below(sums, np.concatenate([factor, np.ones(k)]), np.tile(c, 2),
                          np.tile(w, 2))
        firms = np.maximum(both[:k] - both[k:], 0.0)
        firms = np.where(factor >= 1, firms, 0.0)
        out["firms_priced_out"] = nan if firms_unknown else firms
    if not inp.has_neighbourhoods or not inp.known:
        out["households_priced_out"] = out["displacement_risk"] = nan
        return out
    if inp.households.size == 0:  # a district touching no neighbourhood holds none
        out["households_priced_out"] = out["displacement_risk"] = np.zeros(k)
        return out
    if inp.households_known:  # every household count known: the same for every vector
        h = (inp.households * inp.fraction)[None, :]
    else:
        hh = np.where(np.isfinite(inp.households), inp.households,
                      inp.population / v("household_size"))
        h = hh * inp.fraction
    rh = h * inp.renters
    floor12 = v("dwelling_floor_area") * 12
    t = a.rent_burden_threshold
    with np.errstate(divide="ignore", invalid="ignore"):
        if not only_displacement:
            ln_now = np.log(inp.rent * floor12 * (1 + v("utilities_share")) / t)
            ln_renter = np.log(inp.income * v("renter_income_ratio"))
            b_now = ndtr((ln_now - ln_renter) / sigma)
            b_plan = ndtr((ln_now + np.log(market * (1 + up_res)) - np.log(income)
                           - ln_renter) / sigma)
            out["households_priced_out"] = (rh * np.maximum(b_plan - b_now, 0.0)).sum(axis=1)
        # Vulnerability depends on sigma alone: once per distinct sigma (a switching-value
        # grid of 520 vectors holds 66), then gathered.
        sigmas, which = np.unique(sigma[:, 0], return_inverse=True)
        low = ndtr(inp.low_income_gap / sigmas[:, None])
    vm = np.stack([low, np.broadcast_to(inp.renters, low.shape)])
    ok = np.isfinite(vm)
    cnt = ok.sum(axis=0)
    vuln = np.where(cnt > 0, np.where(ok, vm, 0.0).sum(axis=0) / np.maximum(cnt, 1), np.nan)
    plan = np.minimum(1.0, inp.fraction * up_res / v("uplift_full_pressure"))
    wv, wm, wp = v("weight_vulnerability")[:, 0], v("weight_market")[:, 0], \
        v("weight_plan")[:, 0]
    wsum = wv + wm + wp
    # D = Σ_i h_i r_i / Σ_i h_i with r_i = (wv·V_i + wm·M_i + wp·P_i) / Σw is, per vector,
    # (wv·Σ hV + wm·Σ hM + wp·Σ hP) / (Σw · Σ h): three weighted sums rather than (K, n)
    # arrays of every term (NaN where any term is, as element by element).
    # einsum, not @: a BLAS product of a Monte Carlo's size runs threaded, and on two
    # loaded cores its threads' waits cost more than the sums.
    one_h = h.shape[0] == 1
    hv = np.einsum("kn,n->k", vuln, h[0])[which] if one_h \
        else np.einsum("kn,kn->k", vuln[which], h)
    hm = np.full(k, np.einsum("n,n->", h[0], inp.market_rank)) if one_h \
        else np.einsum("kn,n->k", h, inp.market_rank)
    hp = np.einsum("kn,kn->k", plan, np.broadcast_to(h, plan.shape))
    num = np.where(wsum > 0, (wv * hv + wm * hm + wp * hp) / np.where(wsum > 0, wsum, 1.0), 0.0)
    hsum = h.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(hsum > 0, num / hsum, 0.0)
    d = np.where(np.isfinite(hsum), d, np.nan)
    out["displacement_risk"] = d
    return out


class _RentSums:
    """Ascending rents, and Σr and Σr² over the first j of them for the j asked for only:
    segment sums between those j (np.add.reduceat) rather than running sums over every
    firm, two sequential passes that cost more than the sort itself."""

    def __init__(self, rs: np.ndarray) -> None:
        self.rs = rs
        self._squares: np.ndarray | None = None

    def below(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Σ_{i<j} r_i and Σ_{i<j} r_i² for each j of ``idx`` (0 ≤ j ≤ n; n ≥ 1)."""
        rs, n = self.rs, self.rs.size
        if self._squares is None:
            self._squares = np.square(rs)
        u, inv = np.unique(idx.ravel(), return_inverse=True)
        starts = np.concatenate(([0], u[(u > 0) & (u < n)]))
        # The k-th cumulated segment ends where start k + 1 begins (the last at n).
        at = np.searchsorted(starts, u) - 1  # -1 for j = 0
        first = at >= 0
        out = []
        for values in (rs, self._squares):
            ends = np.cumsum(np.add.reduceat(values, starts))
            out.append(np.where(first, ends[np.maximum(at, 0)], 0.0)[inv].reshape(idx.shape))
        return out[0], out[1]


def _sum_below(sums: _RentSums, f: np.ndarray, c: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Σ_j G(f·r_j) per draw, G = :func:`affordability.capacity_below` (triangular on
    c ± w; the step x > c when w = 0), from sums over runs of the sorted rents."""
    rs = sums.rs
    n = rs.size
    out = np.zeros(f.size)
    if n == 0:
        return out
    step = w <= 0
    if step.any():  # one capacity: the firms with f·r > c
        out[step] = n - np.searchsorted(rs, c[step] / f[step], side="right")
    t = ~step
    if t.any():
        ft, ct, wt = f[t], c[t], w[t]
        lo, hi = ct - wt, ct + wt
        i = np.stack([np.searchsorted(rs, lo / ft, side="right"),
                      np.searchsorted(rs, ct / ft, side="right"),
                      np.searchsorted(rs, hi / ft, side="left")])
        s1, s2 = sums.below(i)

        def part(a: int, b: int, x0: np.ndarray) -> np.ndarray:
            """Σ over sorted indices i[a]..i[b]-1 of (f·r - x0)²."""
            m = i[b] - i[a]
            return (ft * ft * (s2[b] - s2[a]) - 2 * ft * x0 * (s1[b] - s1[a]) + x0 * x0 * m)

        denom = 2 * wt * wt
        left = part(0, 1, lo) / denom
        right = (i[2] - i[1]) - part(1, 2, hi) / denom
        out[t] = left + right + (n - i[2])
    return out


def _class_index(d: np.ndarray) -> np.ndarray:
    """Composite class index (0 low .. 3 very high) per value; -1 where unknown."""
    idx = np.searchsorted(np.asarray(RISK_CLASS_BOUNDS), d, side="right")
    return np.where(np.isfinite(d), idx, -1)


# ---- the incentive figures ---------------------------------------------------------------


def incentive_figures(inputs: EconomyInputs, instruments: Sequence[Instrument],
                      a: Assumptions) -> dict[str, float]:
    """The incentive model's headline figures under ``a`` (NaN when the package cannot
    be costed under it, which the caller reports rather than hides)."""
    try:
        r = evaluate(inputs, instruments, a)
    except ValueError:
        return {k: float("nan") for k, (_, m) in HEADLINE.items() if m == "incentives"} | {
            "within_budget": float("nan")}
    return {"creative_jobs_projected": float(r.projection.jobs_with_incentives[-1]),
            "npv": r.npv, "cost_per_job_year": r.cost_per_job_year,
            "within_budget": float(r.within_budget)}


def incentive_figures_batch(inputs: EconomyInputs, instruments: Sequence[Instrument],
                            a: Assumptions, p: Mapping[str, np.ndarray]
                            ) -> dict[str, np.ndarray]:
    """:func:`incentive_figures` for K assumption vectors (``p``: name -> K values, integer
    assumptions rounded as :meth:`Analysis._with` rounds them), NaN where the package
    cannot be costed."""
    p = {n: np.round(x) if parameter(n).integer else np.asarray(x, dtype=np.float64)
         for n, x in p.items()}
    try:
        return evaluate_batch(inputs, instruments, a, p)
    except ValueError:
        k = len(next(iter(p.values()))) if p else 1
        return {key: np.full(k, np.nan) for key in
                ("creative_jobs_projected", "npv", "cost_per_job_year", "within_budget")}


# ---- the assumption vectors of a tornado ------------------------------------------------


class _Vectors:
    """The assumption vectors a tornado evaluates. They depend on the assumptions alone,
    not on the district, so a vertex drag builds them once (``_vectors``) rather than
    every frame. Read-only: the batch functions share the arrays."""

    def __init__(self, a: Assumptions) -> None:
        self.ends = {n: _range(n, a[n])[:2] for n in UNCERTAINTY}
        # Affordability: each name alone at its low end, its high end; last, all as set.
        self.aff_names = [n for n in AFFORDABILITY_PARAMETERS if n in UNCERTAINTY]
        self.aff = self._ends(a, self.aff_names, extra=1)
        self.inc_names = [n for n in INCENTIVE_PARAMETERS if n in UNCERTAINTY]
        self.inc = self._ends(a, self.inc_names, extra=0)
        # The switching-value grids (``Analysis._class_switches``): row block j varies
        # grid_names[j] alone over ``GRID`` points across its range.
        self.grid_names = [n for n in self.aff_names if n in DISPLACEMENT_PARAMETERS]
        self.grids = {n: np.linspace(*self.ends[n], GRID) for n in self.grid_names}
        self.grid = {n: np.full(GRID * len(self.grid_names), a[n]) for n in self.grid_names}
        for j, n in enumerate(self.grid_names):
            self.grid[n][j * GRID:(j + 1) * GRID] = self.grids[n]
        for arr in (*self.aff.values(), *self.inc.values(), *self.grids.values(),
                    *self.grid.values()):
            arr.setflags(write=False)

    def _ends(self, a: Assumptions, names: list[str], extra: int) -> dict[str, np.ndarray]:
        p = {n: np.full(2 * len(names) + extra, a[n]) for n in names}
        for j, n in enumerate(names):
            p[n][2 * j], p[n][2 * j + 1] = self.ends[n]
        return p


GRID = 65  # points of a switching-value grid
# The vectors of the last few assumptions, most recent first: (assumptions, vectors).
# Replaced, never mutated, so a worker thread reading it sees a consistent list.
_VECTORS: list[tuple[Assumptions, _Vectors]] = []
_VECTORS_KEPT = 4


def _vectors(a: Assumptions) -> _Vectors:
    """The tornado's vectors under ``a``, reused while the assumptions are equal."""
    global _VECTORS
    for entry in _VECTORS:
        if entry[0] is a or entry[0] == a:
            return entry[1]
    vec = _Vectors(a)
    _VECTORS = [(a, vec), *_VECTORS[:_VECTORS_KEPT - 1]]
    return vec


# ---- results ----------------------------------------------------------------------------


@dataclass
class TornadoEntry:
    """One assumption alone at the ends of its plausible range."""

    parameter: str
    low: float
    high: float
    value_low: float
    value_high: float

    @property
    def swing(self) -> float:
        """|value_high - value_low|, what the tornado sorts by (0 when unknown)."""
        s = abs(self.value_high - self.value_low)
        return s if math.isfinite(s) else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "low": self.low, "high": self.high,
                "value_low": _num(self.value_low), "value_high": _num(self.value_high)}


@dataclass
class SwitchingValue:
    """The value of ``parameter`` at which ``what`` changes from ``before`` to ``after``
    (the other assumptions as set)."""

    parameter: str
    value: float
    what: str
    before: str
    after: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class FigureSensitivity:
    """Tornado, switching values and Monte Carlo interval of one headline figure."""

    key: str
    label: str
    value: float
    tornado: list[TornadoEntry] = field(default_factory=list)
    interval: dict[str, float] | None = None  # p5, p50, p95 (None: not yet or unknown)
    switching_values: list[SwitchingValue] = field(default_factory=list)
    class_probabilities: dict[str, float] | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "value": _num(self.value),
                "tornado": [t.to_dict() for t in self.tornado],
                "interval": None if self.interval is None else
                {k: _num(v) for k, v in self.interval.items()},
                "switching_values": [s.to_dict() for s in self.switching_values],
                "class_probabilities": self.class_probabilities, "note": self.note}


@dataclass
class Sensitivity:
    """Every headline figure's sensitivity for one district. ``draws`` is 0 until the
    Monte Carlo has run (the tornados are fast; the intervals arrive later)."""

    figures: dict[str, FigureSensitivity]
    draws: int = 0
    seed: int = SEED

    def to_dict(self) -> dict[str, Any]:
        return {"draws": self.draws, "seed": self.seed,
                "figures": {k: f.to_dict() for k, f in self.figures.items()}}


def _num(v: float) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


# ---- the analysis -----------------------------------------------------------------------


class Analysis:
    """The sensitivity of one district's figures: build once per selection and
    assumptions, then :meth:`tornado` (milliseconds) and :meth:`monte_carlo` (a worker)."""

    def __init__(self, index: CityIndex, sel: Selection, assumptions: Assumptions,
                 economy: EconomyInputs, instruments: Sequence[Instrument] = (),
                 station_share: float = 0.0, lq: Mapping[str, Any] | None = None,
                 incentive_values: Mapping[str, float] | None = None) -> None:
        self.a = assumptions
        self.economy = economy
        self.instruments = list(instruments)
        self.aff = _affordability_inputs(index, sel, assumptions, station_share)
        self.has_package = any(i.enabled for i in self.instruments)
        # The figures as set, when the caller has them already (a vertex drag's Metrics).
        self._inc_values = dict(incentive_values) if incentive_values is not None else None
        self._values: dict[str, float] | None = None  # see ``values``
        self.lq = lq

    @property
    def values(self) -> dict[str, float]:
        """Every headline figure under the assumptions as set. The tornado fills it from
        its own batch (one vector more), sparing a vertex drag a separate evaluation."""
        if self._values is None:
            self._set_values(self._aff({}, 1), 0)
        assert self._values is not None
        return self._values

    def _set_values(self, aff: Mapping[str, np.ndarray], i: int) -> None:
        inc = self._inc_values if self._inc_values is not None else self._inc(self.a)
        self._values = {k: float(aff[k][i]) for k in aff} | inc

    # -- evaluation
    def _aff(self, p: Mapping[str, np.ndarray], k: int) -> dict[str, np.ndarray]:
        if not p:
            p = {"household_size": np.full(k, self.a.household_size)}
        return affordability_batch(self.aff, p, self.a)

    def _inc(self, a: Assumptions) -> dict[str, float]:
        if not self.has_package:
            return {"creative_jobs_projected": float("nan"), "npv": float("nan"),
                    "cost_per_job_year": float("nan"), "within_budget": float("nan")}
        return incentive_figures(self.economy, self.instruments, a)

    def _inc_batch(self, p: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return incentive_figures_batch(self.economy, self.instruments, self.a, p)

    def _inc_ends(self, vec: _Vectors) -> dict[str, tuple[dict[str, float], dict[str, float]]]:
        """The incentive figures with each uncertain assumption alone at its low and high
        end: one batch of 2 × len(names) vectors."""
        if not vec.inc_names:
            return {}
        res = {key: x.tolist() for key, x in self._inc_batch(vec.inc).items()}
        return {n: tuple({key: x[2 * j + e] for key, x in res.items()}
                         for e in (0, 1))  # type: ignore[misc]
                for j, n in enumerate(vec.inc_names)}

    def _with(self, name: str, value: float) -> Assumptions:
        if parameter(name).integer:
            value = round(value)
        return self.a.replace(**{name: value})

    # -- tornado
    def tornado(self, include_incentives: bool = True) -> Sensitivity:
        """One-at-a-time swings of every headline figure, sorted by size, and the
        switching values of the composite class and of the budget. Without
        ``include_incentives`` the incentive figures get no tornado (milliseconds: what a
        vertex drag can afford; the rest comes with the Monte Carlo)."""
        a = self.a
        vec = _vectors(a)
        ends, aff_names = vec.ends, vec.aff_names
        k = 2 * len(aff_names)
        aff = affordability_batch(self.aff, vec.aff, a)
        if self._values is None:
            self._set_values(aff, k)
        inc_names = vec.inc_names if self.has_package and include_incentives else []
        inc = self._inc_ends(vec) if inc_names else {}
        aff_lists = {key: x.tolist() for key, x in aff.items()}
        figures: dict[str, FigureSensitivity] = {}
        for key, (label, model) in HEADLINE.items():
            rows = []
            if model == "affordability":
                values = aff_lists[key]
                for j, n in enumerate(aff_names):
                    rows.append(TornadoEntry(n, *ends[n], values[2 * j], values[2 * j + 1]))
            else:
                for n in inc_names:
                    rows.append(TornadoEntry(n, *ends[n], inc[n][0][key], inc[n][1][key]))
            rows = [r for r in rows if r.swing > 0]
            rows.sort(key=lambda r: -r.swing)
            figures[key] = FigureSensitivity(key, label, self.values[key], rows)
        if self.lq is not None and self.lq.get("low") is not None:
            lq = self.lq
            figures["location_quotient"] = FigureSensitivity(
                "location_quotient", "Location quotient (establishments)", lq["value"],
                interval={"p5": lq["low"], "p50": lq["value"], "p95": lq["high"]},
                note=("no assumption enters; a 90% Wilson interval on the district's "
                      "creative share of establishments. One establishment moves it by "
                      f"{lq['one_establishment_change']:.2f}"
                      + (" (flagged: more than 0.1)" if lq["flag"] else "")))
        figures["displacement_risk"].switching_values = self._class_switches(vec)
        if inc_names and a.budget_cap > 0:
            figures["npv"].switching_values = self._budget_switches(inc_names, ends, inc)
        if not self.has_package:
            for key, (_, model) in HEADLINE.items():
                if model == "incentives":
                    figures[key].note = "no instrument in the package"
        return Sensitivity(figures)

    def _class_switches(self, vec: _Vectors) -> list[SwitchingValue]:
        """Where the composite's class changes, per assumption, on a fine grid (65
        points across the range, then linear interpolation between the two that
        straddle the change nearest the current value)."""
        a = self.a
        now = _class_index(np.array([self.values["displacement_risk"]]))[0]
        if now < 0:
            return []
        out = []
        # Every assumption's grid in one batch: row block j varies grid_names[j] alone.
        g = GRID
        all_d = affordability_batch(self.aff, vec.grid, a, only_displacement=True)[
            "displacement_risk"]
        all_cls = _class_index(all_d)
        for j, n in enumerate(vec.grid_names):
            grid = vec.grids[n]
            d = all_d[j * g:(j + 1) * g]
            cls = all_cls[j * g:(j + 1) * g]
            change = np.flatnonzero(cls[1:] != cls[:-1])
            if change.size == 0:
                continue
            j = change[np.argmin(np.abs(grid[change] - a[n]))]
            # The class boundary between grid[j] and grid[j+1], D linear in between.
            bound = RISK_CLASS_BOUNDS[min(cls[j], cls[j + 1])]
            t = (bound - d[j]) / (d[j + 1] - d[j]) if d[j + 1] != d[j] else 0.5
            x = float(grid[j] + np.clip(t, 0, 1) * (grid[j + 1] - grid[j]))
            before, after = (cls[j], cls[j + 1]) if x >= a[n] else (cls[j + 1], cls[j])
            out.append(SwitchingValue(n, x, "displacement class", RISK_CLASSES[before],
                                      RISK_CLASSES[after]))
        return out

    def _budget_switches(self, names: list[str], ends: dict[str, tuple[float, float]],
                         inc: dict[str, tuple[dict[str, float], dict[str, float]]]
                         ) -> list[SwitchingValue]:
        """Where the package starts (or stops) breaching the budget cap, by bisection:
        12 halvings, every assumption's bracket halved in the same batch."""
        now = self.values.get("within_budget", float("nan"))
        if not math.isfinite(now):
            return []
        word = {1.0: "within budget", 0.0: "over budget"}
        found: list[tuple[str, float, float]] = []  # (name, end, within_budget there)
        for n in names:
            for end, res in zip(ends[n], inc[n], strict=True):
                if res["within_budget"] != now and math.isfinite(res["within_budget"]):
                    found.append((n, end, res["within_budget"]))
                    break
        if not found:
            return []
        m = len(found)
        x0 = np.array([self.a[n] for n, _, _ in found])
        x1 = np.array([end for _, end, _ in found])
        for _ in range(12):
            mid = (x0 + x1) / 2
            p = {n: np.full(m, self.a[n]) for n, _, _ in found}
            for j, (n, _, _) in enumerate(found):
                p[n][j] = mid[j]
            same = self._inc_batch(p)["within_budget"] == now
            x0, x1 = np.where(same, mid, x0), np.where(same, x1, mid)
        return [SwitchingValue(n, float((x0[j] + x1[j]) / 2), "budget cap", word[now],
                               word[after]) for j, (n, _, after) in enumerate(found)]

    # -- Monte Carlo
    def draws(self, n: int = DRAWS, seed: int = SEED) -> dict[str, np.ndarray]:
        """``n`` Latin-hypercube draws of every uncertain assumption (uniform or
        triangular around the set value over its range), as arrays per name."""
        from scipy.stats import qmc  # deferred: scipy.stats is slow to import

        names = list(UNCERTAINTY)
        u = qmc.LatinHypercube(d=len(names), seed=seed).random(n)
        out = {}
        for j, name in enumerate(names):
            lo, hi, dist = _range(name, self.a[name])
            x = u[:, j]
            if dist == "triangular" and hi > lo:
                c = (self.a[name] - lo) / (hi - lo)
                x = np.where(x < c, lo + np.sqrt(x * (hi - lo) * (self.a[name] - lo)),
                             hi - np.sqrt((1 - x) * (hi - lo) * (hi - self.a[name])))
            else:
                x = lo + x * (hi - lo)
            if parameter(name).integer:
                x = np.round(x)
            out[name] = x
        return out

    def monte_carlo(self, result: Sensitivity, n: int = DRAWS, seed: int = SEED
                    ) -> Sensitivity:
        """Fill ``result``'s intervals (p5, p50, p95) and the composite's class
        probabilities from ``n`` draws; deterministic for a seed."""
        p = self.draws(n, seed)
        aff = affordability_batch(self.aff, {k: p[k] for k in AFFORDABILITY_PARAMETERS}, self.a)
        inc: dict[str, np.ndarray] = {}
        if self.has_package:
            inc = self._inc_batch({k: p[k] for k in INCENTIVE_PARAMETERS})
        for key, (_, model) in HEADLINE.items():
            vals = aff.get(key) if model == "affordability" else inc.get(key)
            fig = result.figures[key]
            if vals is None or not np.isfinite(vals).any():
                fig.interval = None
                continue
            ok = vals[np.isfinite(vals)]
            p5, p50, p95 = np.percentile(ok, (5, 50, 95))
            fig.interval = {"p5": float(p5), "p50": float(p50), "p95": float(p95)}
            if ok.size < vals.size:
                fig.note = f"{vals.size - ok.size} of {vals.size} draws undefined"
        d = aff["displacement_risk"]
        if np.isfinite(d).any():
            cls = _class_index(d)
            result.figures["displacement_risk"].class_probabilities = {
                c: float(np.mean(cls[cls >= 0] == i)) for i, c in enumerate(RISK_CLASSES)}
        if "within_budget" in inc and np.isfinite(inc["within_budget"]).any():
            wb = inc["within_budget"]
            result.figures["npv"].class_probabilities = {
                "within budget": float(np.nanmean(wb)),
                "over budget": float(1 - np.nanmean(wb))}
        result.draws, result.seed = n, seed
        return result


def location_quotient_interval(creative: float, total: float, city_creative: float,
                               city_total: float, z: float = 1.645,
                               flag_change: float = 0.1) -> dict[str, Any]:
    """A 90% interval of the establishment-based LQ and whether one establishment moves
    it by more than ``flag_change``.

    The district's creative share p = creative / total gets a Wilson score interval
    (Wilson 1927; Brown, Cai & DasGupta 2001); the city share is fixed (it is the whole
    population). The flag compares the LQ with one creative establishment more and one
    fewer (the other establishments unchanged)."""
    if total <= 0 or city_total <= 0 or city_creative <= 0:
        return {"value": None, "low": None, "high": None, "one_establishment_change": None,
                "flag": False, "basis": "establishments"}
    city = city_creative / city_total
    p = creative / total
    den = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / den
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / den
    lq = p / city
    more = (creative + 1) / (total + 1) / city
    fewer = (creative - 1) / (total - 1) / city if creative >= 1 and total > 1 else lq
    change = max(abs(more - lq), abs(fewer - lq))
    return {"value": lq, "low": max(0.0, centre - half) / city,
            "high": min(1.0, centre + half) / city,
            "one_establishment_change": change, "flag": change > flag_change,
            "basis": "establishments"}


METHOD_TEXT = (
    "For each headline figure of a district: a tornado (each uncertain assumption alone at "
    "the low and the high end of its plausible range, the others as set, sorted by the "
    "size of the swing), switching values (the value of one assumption, the others as "
    "set, at which the composite's class changes, found on a 65-point grid across the "
    "range and interpolated; or at which the package starts or stops breaching the "
    "budget cap, by bisection) and a 90% interval (p5 to p95) from a Latin-hypercube "
    "Monte Carlo of 1,000 draws of all uncertain assumptions at once (McKay, Beckman & "
    "Conover 1979; scipy.stats.qmc.LatinHypercube, fixed seed 20261126, so bands never "
    "flicker), with class probabilities for the composite and for the budget check. "
    "Uniform draws spread evenly over the range; triangular ones peak at the value set. "
    "A value set outside the cited range widens the range to include it. The published "
    "displacement methods read data only, so no assumption moves them. The location "
    "quotient's interval is a sampling one: a 90% Wilson score interval (Wilson 1927; "
    "Brown, Cai & DasGupta 2001) on the district's creative share of establishments, "
    "with the city's share fixed, and a flag when one establishment more or fewer moves "
    "the quotient by more than 0.1. The HM Treasury Green Book (2022, §5.59-5.61) asks "
    "for sensitivity analysis and switching values in every appraisal."
)


def methods_markdown() -> str:
    """The "Sensitivity" section of docs/methods.md (a test compares)."""
    rows = ["| Assumption | Range | Distribution | Source of the range |",
            "|---|---|---|---|"]
    for name, u in UNCERTAINTY.items():
        rows.append(f"| `{name}` | {u.describe()} | {u.distribution} | "
                    f"{u.source.replace('|', '/')} |")
    figures = ", ".join(label for label, _ in HEADLINE.values())
    return (f"{METHOD_TEXT}\n\nHeadline figures: {figures}; and the location quotient.\n\n"
            + "\n".join(rows) + "\n")
