"""What a district's incentive package costs the public purse, year by year, and what it buys.

Each instrument (tax abatement, job grants, start-up grants, concessional loans, affordable
workspace subsidy, public-private partnership) has a cost rule; the package's value to firms
attracts extra activity through the projection's cost elasticity, and the extra activity in
turn changes what job grants, abatements and loans cost. That loop is closed by a fixed
point (see ``CIRCULARITY_METHOD``). The method texts below are quoted verbatim in
docs/methods.md and in every explanation, so documentation and figures share one source.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from .assumptions import Assumptions, format_value, parameter
from .projection import (
    DENSITY_RATIO_CAP,
    PROJECTION_METHOD,
    Projection,
    baseline_factors,
    project_from_factors,
)
from .sectors import CREATIVE_SECTORS


class InstrumentKind(StrEnum):
    TAX_ABATEMENT = "tax_abatement"
    JOB_GRANT = "job_grant"
    STARTUP_GRANT = "startup_grant"
    LOAN = "loan"
    WORKSPACE_SUBSIDY = "workspace_subsidy"
    PPP = "ppp"


KIND_LABELS: dict[InstrumentKind, str] = {
    InstrumentKind.TAX_ABATEMENT: "Property tax abatement",
    InstrumentKind.JOB_GRANT: "Grant per job created",
    InstrumentKind.STARTUP_GRANT: "Start-up grants",
    InstrumentKind.LOAN: "Low-interest loans",
    InstrumentKind.WORKSPACE_SUBSIDY: "Affordable workspace subsidy",
    InstrumentKind.PPP: "Public-private partnership",
}


class InstrumentError(ValueError):
    """An instrument with a missing, unknown or out-of-range parameter."""


class IncentiveError(ValueError):
    """A package the model cannot evaluate (e.g. a job grant that pays for itself forever)."""


@dataclass(frozen=True)
class InstrumentParameter:
    """One parameter of an instrument kind: ``default`` lies in ``[minimum, maximum]``."""

    name: str
    label: str
    unit: str
    default: float
    minimum: float
    maximum: float
    doc: str
    integer: bool = False


_Q = InstrumentParameter
_YEARS = _Q("years", "Years offered", "years", 10, 1, 100,
            "Plan years the instrument is offered, counted from its start year.", integer=True)
PARAMETER_SPECS: dict[InstrumentKind, tuple[InstrumentParameter, ...]] = {
    InstrumentKind.TAX_ABATEMENT: (
        _Q("share", "Share of property tax abated", "share", 0.5, 0.0, 1.0,
           "Share of the eligible firms' property tax the council forgoes."),
        _YEARS,
    ),
    InstrumentKind.JOB_GRANT: (
        _Q("grant_per_job", "Grant per net new job", "currency/job", 5000, 0.0, 1e6,
           "Paid once per net new eligible job in the district, induced or not."),
        _YEARS,
    ),
    InstrumentKind.STARTUP_GRANT: (
        _Q("grant", "Grant per start-up", "currency/firm", 15000, 0.0, 1e7,
           "One-off grant to each supported start-up."),
        _Q("startups_per_year", "Start-ups supported per year", "firms/year", 10, 0.0, 1e5,
           "Grants awarded each year the instrument is offered."),
        _YEARS,
    ),
    InstrumentKind.LOAN: (
        _Q("principal", "Principal per loan", "currency", 50000, 0.0, 1e9,
           "Amount lent to each participating firm."),
        _Q("market_rate", "Market interest rate", "1/year", 0.07, 0.0, 0.5,
           "Rate the firm would pay a commercial lender."),
        _Q("concessional_rate", "Concessional interest rate", "1/year", 0.02, 0.0, 0.5,
           "Rate the council charges; must not exceed the market rate."),
        _Q("term_years", "Loan term", "years", 5, 1, 30,
           "Straight-line repayment over this many years.", integer=True),
        _Q("take_up", "Take-up", "share of eligible firms per year", 0.02, 0.0, 1.0,
           "Share of eligible firms taking out a new loan each year offered."),
        _YEARS,
    ),
    InstrumentKind.WORKSPACE_SUBSIDY: (
        _Q("floor_area_m2", "Protected floor area", "m²", 2000, 0.0, 1e8,
           "Workspace let at the capped rent."),
        _Q("rent_cap_share", "Capped rent", "share of today's market rent", 0.8, 0.0, 1.0,
           "The capped rent is this share of today's market rent, held for the whole term "
           "(0.8 = a 20% discount at the start; London Plan Policy E3 asks for workspace "
           "below market rent)."),
        _YEARS,
    ),
    InstrumentKind.PPP: (
        _Q("private_share", "Private partner's share", "share", 0.25, 0.0, 1.0,
           "Share of every other instrument's cost a private partner pays."),
        _YEARS,
    ),
}
del _Q

# Kinds paid once per job or firm: their value to firms is spread over grant_spread_years.
ONE_OFF_KINDS = frozenset({InstrumentKind.JOB_GRANT, InstrumentKind.STARTUP_GRANT})

# ---- Method texts: quoted verbatim in docs/methods.md (a test checks) -----------------------
COST_METHODS: dict[InstrumentKind, str] = {
    InstrumentKind.TAX_ABATEMENT: (
        "Tax abatement, plan year t: cost = share × V_t × property_tax_rate × "
        "floor_area_per_job × eligible jobs at the start of year t (with incentives). The "
        "assessed value V_t = V_0 × (1 + U) × (1 + market_rent_growth)^t, with V_0 = "
        "assessed_value_per_m2, or, when that is 0, R_0 × 12 ÷ capitalisation_yield (R_0 as "
        "for affordable workspace), and U the plan's uplift on commercial values: "
        "designation_uplift + transit_uplift_commercial × the share of the district within "
        "transit_near_m of a station the plan adds (existing stations add nothing: their "
        "premium is already in today's rents)."
    ),
    InstrumentKind.JOB_GRANT: (
        "Job grant, plan year t: cost = grant_per_job × max(0, eligible jobs at the end of "
        "year t − eligible jobs at its start), on the path with incentives; every net new "
        "eligible job is paid, including the ones that would have come anyway."
    ),
    InstrumentKind.STARTUP_GRANT: (
        "Start-up grants, plan year t: cost = grant × startups_per_year."
    ),
    InstrumentKind.LOAN: (
        "Loans, plan year t: each year offered, take_up × eligible firms at the start of the "
        "year borrow principal each, repaid straight-line over term_years; cost = "
        "(market_rate − concessional_rate) × principal outstanding, where a loan in its k-th "
        "year (k = 0, 1, ...) has principal × (1 − k / term_years) outstanding. Interest "
        "forgone after the horizon is not counted."
    ),
    InstrumentKind.WORKSPACE_SUBSIDY: (
        "Affordable workspace, plan year t: cost = max(0, R_t − rent_cap_share × R_0) × "
        "floor_area_m2 × 12, with market rent R_t = R_0 × (1 + U) × (1 + "
        "market_rent_growth)^t, U the plan's commercial uplift (as for tax abatement) and R_0 "
        "the district's median rent today (firm_rent_capacity when the district has no rent "
        "data), in currency per m² per month."
    ),
    InstrumentKind.PPP: (
        "Public-private partnership: in the years it runs, a private partner pays "
        "private_share of every other instrument's cost; several partnerships combine as 1 − "
        "Π(1 − private_share). Public cost = cost × (1 − combined share)."
    ),
}

CIRCULARITY_METHOD = (
    "Job grants, abatements and loans depend on the jobs and firms the incentives attract, "
    "which depend on the incentives. The model solves this loop as a fixed point: start "
    "from the baseline path, cost every instrument on it, project the path with "
    "incentives, cost again, and repeat until no yearly cost changes by more than 1e-9 of "
    "the largest. A one-off grant's value to firms is spread evenly over grant_spread_years "
    "from the year paid. The feedback ratio incentive_elasticity × (sum of grant_per_job "
    "over the job grants) ÷ (operating_cost_per_job × grant_spread_years) is the grant "
    "money one granted job attracts in further grants, per unit of its own grant. At 1 or "
    "above the loop never settles; from 0.9 the figures hinge on small changes of the "
    "grant (the jobs attracted grow tenfold between 0.9 and 0.99), beyond what the "
    "elasticity can support, so a package with a ratio of 0.9 or more is refused with the "
    "ratio in the message. Below 0.9 the iteration settles within a few hundred rounds."
)

ATTRACTION_METHOD = (
    "Value to firms: each instrument's yearly value (before any private share; one-off "
    "grants spread over grant_spread_years) is divided by operating_cost_per_job × the "
    "baseline jobs of its eligible sectors at the end of the year; a sector's share s is "
    "the sum over the instruments it is eligible for, clipped to 0..1, and its firms and "
    "jobs rise by ε × s."
)

NPV_METHOD = (
    "NPV = Σ_t public cost_t ÷ (1 + discount_rate)^t over plan years t = 0..horizon − 1; "
    "nominal total = Σ_t public cost_t. Constant prices throughout (HM Treasury Green "
    "Book): every amount is in the price year's money, rents and values grow at their "
    "real rates, and the discount rate is real; grants and loan principals are taken "
    "as indexed to inflation."
)

JOBS_METHOD = (
    "Direct jobs created = the largest number of extra creative jobs the path with "
    "incentives holds over the baseline in any year of the horizon; total jobs = direct × "
    "jobs_multiplier. Cost per job = NPV ÷ jobs (direct, and total)."
)

WORKSPACE_METHOD = (
    "Protected workspace = the floor area of the enabled workspace subsidies; cost per "
    "protected m² = NPV of their public cost ÷ that floor area."
)

BUDGET_METHOD = (
    "Budget check: a plan year is over budget when its public cost exceeds budget_cap; a "
    "cap of 0 means no cap."
)

# Packages refused at or above this feedback ratio (see CIRCULARITY_METHOD).
MAX_FEEDBACK_RATIO = 0.9
# Ample for a ratio just below MAX_FEEDBACK_RATIO at the longest horizon (≈250 are needed).
MAX_ITERATIONS = 2000
_TOLERANCE = 1e-9


def _all_sectors() -> tuple[str, ...]:
    return CREATIVE_SECTORS


@dataclass
class Instrument:
    """One incentive instrument of a district's package.

    ``params`` holds the kind's parameters (see ``PARAMETER_SPECS``; missing ones take their
    defaults); ``start_year`` counts plan years from the plan start (0 = first year);
    ``eligible_sectors`` are creative-sector keys whose firms receive it.
    """

    kind: InstrumentKind
    name: str = ""
    enabled: bool = True
    eligible_sectors: tuple[str, ...] = field(default_factory=_all_sectors)
    params: dict[str, float] = field(default_factory=dict)
    start_year: int = 0

    def __post_init__(self) -> None:
        try:
            self.kind = InstrumentKind(self.kind)
        except ValueError:
            kinds = ", ".join(k.value for k in InstrumentKind)
            raise InstrumentError(
                f"Unknown instrument kind {self.kind!r}; expected one of {kinds}.") from None
        if not self.name:
            self.name = KIND_LABELS[self.kind]
        self.eligible_sectors = tuple(self.eligible_sectors)
        merged = {p.name: float(p.default) for p in PARAMETER_SPECS[self.kind]}
        merged.update(self.params)
        self.params = merged

    def param(self, name: str) -> float:
        return float(self.params[name])

    def spec(self, name: str) -> InstrumentParameter:
        for p in PARAMETER_SPECS[self.kind]:
            if p.name == name:
                return p
        raise InstrumentError(f"Instrument '{self.name}' ({self.kind.value}) has no "
                              f"parameter '{name}'.")

    def validate(self) -> None:
        """Raise InstrumentError naming the instrument, parameter, range and value."""
        where = f"Instrument '{self.name}' ({KIND_LABELS[self.kind]})"
        unknown = [s for s in self.eligible_sectors if s not in CREATIVE_SECTORS]
        if unknown:
            raise InstrumentError(f"{where}: unknown sector(s) {', '.join(unknown)}; eligible "
                                  f"sectors must be among {', '.join(CREATIVE_SECTORS)}.")
        if self.kind is not InstrumentKind.PPP and not self.eligible_sectors:
            raise InstrumentError(f"{where}: no eligible sectors.")
        start = self.start_year
        if not isinstance(start, int | float) or isinstance(start, bool) \
                or start != int(start) or not 0 <= start <= 100:
            raise InstrumentError(f"{where}: start year must be a whole number of years "
                                  f"between 0 and 100; got {self.start_year!r}.")
        for name, value in self.params.items():
            p = self.spec(name)
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise InstrumentError(f"{where}: '{name}' ({p.label}) must be a number in "
                                      f"{p.unit}; got {value!r}.") from None
            if not (p.minimum <= v <= p.maximum):  # also refuses NaN
                raise InstrumentError(f"{where}: '{name}' ({p.label}) must lie between "
                                      f"{p.minimum:g} and {p.maximum:g} {p.unit}; got {v:g}.")
            if p.integer and v != int(v):
                raise InstrumentError(f"{where}: '{name}' ({p.label}) must be a whole "
                                      f"number; got {v:g}.")
        if self.kind is InstrumentKind.LOAN and \
                self.param("concessional_rate") > self.param("market_rate"):
            raise InstrumentError(
                f"{where}: the concessional rate ({self.param('concessional_rate'):g}) must "
                f"not exceed the market rate ({self.param('market_rate'):g}).")

    def active_years(self, horizon: int) -> np.ndarray:
        """Boolean per plan year 0..horizon-1: offered this year (and enabled)."""
        t = np.arange(horizon)
        years = int(self.param("years"))
        return bool(self.enabled) & (t >= self.start_year) & (t < self.start_year + years)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "name": self.name,
            "enabled": bool(self.enabled),
            "eligible_sectors": list(self.eligible_sectors),
            "params": {k: float(v) for k, v in self.params.items()},
            "start_year": int(self.start_year),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Instrument:
        """Inverse of ``to_dict``; validates, so a bad file fails with a clear message."""
        if not isinstance(data, Mapping) or "kind" not in data:
            raise InstrumentError("An instrument must be an object with at least a 'kind'.")
        unknown = set(data) - {"kind", "name", "enabled", "eligible_sectors", "params",
                               "start_year"}
        if unknown:
            raise InstrumentError(f"Unknown instrument field(s): {', '.join(sorted(unknown))}.")
        params = data.get("params", {})
        if not isinstance(params, Mapping):
            raise InstrumentError("An instrument's 'params' must be an object of name: number.")
        sectors = data.get("eligible_sectors", CREATIVE_SECTORS)
        if isinstance(sectors, str):
            raise InstrumentError("'eligible_sectors' must be a list of sector keys.")
        inst = cls(
            kind=data["kind"],
            name=str(data.get("name", "")),
            enabled=_flag(data.get("enabled", True)),
            eligible_sectors=tuple(sectors),
            params=dict(params),
            start_year=data.get("start_year", 0),
        )
        inst.validate()
        return inst


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InstrumentError(f"An instrument's 'enabled' must be true or false; got {value!r}.")
    return value


def default_instruments() -> list[Instrument]:
    """A plausible package for the sample city, one instrument of each kind.

    Abatement for the five years after designation; job grants and loans for every creative
    sector; start-up grants for the sectors with the most small firms; affordable workspace
    for the studio-based sectors; a private partner covering a fifth of the cost.
    """
    studio = ("design_fashion", "crafts_visual_arts", "music_performing", "film_tv")
    return [
        Instrument(InstrumentKind.TAX_ABATEMENT, params={"share": 0.5, "years": 5}),
        Instrument(InstrumentKind.JOB_GRANT, params={"grant_per_job": 5000, "years": 10}),
        Instrument(InstrumentKind.STARTUP_GRANT, eligible_sectors=(
            "digital_software", "design_fashion", "crafts_visual_arts", "music_performing"),
            params={"grant": 15000, "startups_per_year": 10, "years": 10}),
        Instrument(InstrumentKind.LOAN, params={
            "principal": 50000, "market_rate": 0.07, "concessional_rate": 0.02,
            "term_years": 5, "take_up": 0.02, "years": 10}),
        Instrument(InstrumentKind.WORKSPACE_SUBSIDY, eligible_sectors=studio,
                   params={"floor_area_m2": 2000, "rent_cap_share": 0.8, "years": 10}),
        Instrument(InstrumentKind.PPP, params={"private_share": 0.2, "years": 10}),
    ]


@dataclass(frozen=True)
class EconomyInputs:
    """What the concentration figures tell the cost model about a district.

    Per-sector arrays follow ``CREATIVE_SECTORS``: creative establishments (firms) and jobs
    inside the district. ``area_km2`` in km²; ``density_ratio`` = district creative jobs per
    km² ÷ city creative jobs per km² (-; NaN when unknown); ``rent_median`` in currency per
    m² per month (NaN when unknown); ``near_transit_share`` is the share (0..1) of the
    district within walking distance of a station the plan adds (existing stations'
    premium is already in today's rents).
    """

    creative_firms_by_sector: np.ndarray
    creative_jobs_by_sector: np.ndarray
    area_km2: float
    density_ratio: float
    rent_median: float = float("nan")
    near_transit_share: float = 0.0

    def __post_init__(self) -> None:
        near = float(self.near_transit_share)
        if math.isfinite(near) and not 0.0 <= near <= 1.0:
            raise ValueError(f"near_transit_share must lie between 0 and 1; got {near:g}.")
        n = len(CREATIVE_SECTORS)
        for name in ("creative_firms_by_sector", "creative_jobs_by_sector"):
            arr = np.asarray(getattr(self, name), dtype=float).reshape(-1)
            if arr.shape != (n,):
                raise ValueError(f"{name} must hold {n} values (one per creative sector, in "
                                 f"the order of CREATIVE_SECTORS); got {arr.shape[0]}.")
            if not np.isfinite(arr).all() or (arr < 0).any():
                raise ValueError(f"{name} must be finite and ≥ 0.")
            object.__setattr__(self, name, arr)

    @property
    def firms(self) -> float:
        return float(self.creative_firms_by_sector.sum())

    @property
    def jobs(self) -> float:
        return float(self.creative_jobs_by_sector.sum())


@dataclass
class IncentiveResult:
    """Public cost of a package per instrument and plan year, and what it buys.

    Money in ``currency`` at ``price_year`` prices; arrays are per plan year ``years``
    (0..horizon-1); NaN marks a figure that is undefined (e.g. cost per job with no jobs).
    ``cost_by_instrument`` holds the public cost of each enabled paying instrument (a
    partnership pays, it costs nothing: its effect is ``private_contribution``);
    ``gross_cost_by_instrument`` the cost before the private share.
    """

    years: np.ndarray
    cost_by_instrument: dict[str, np.ndarray]
    gross_cost_by_instrument: dict[str, np.ndarray]
    instrument_kinds: dict[str, str]
    private_contribution: np.ndarray
    annual_total: np.ndarray
    nominal_total: float
    npv: float
    jobs_created_direct: float
    jobs_created_total: float
    cost_per_job_direct: float
    cost_per_job_total: float
    protected_workspace_m2: float
    cost_per_protected_m2: float
    budget_cap: float
    over_budget_years: list[int]
    currency: str
    price_year: int
    projection: Projection
    explanations: Mapping[str, str]  # figure key -> method, inputs, assumptions (lazy)
    iterations: int = 0
    max_cost_share: float = 0.0
    # Cost per discounted job-year: NPV ÷ Σ_t extra jobs_t / (1 + r)^t (the extra jobs
    # leave when the instruments end, so the peak overstates what the money buys).
    cost_per_job_year: float = float("nan")
    job_years: float = 0.0
    # Share of the supported creative job-years that exist because of the package (the
    # "but for" share; Bartik 2018: 2-25% typical, 3.4% without selection bias), and the
    # share of the cost paid for activity that would be there anyway.
    but_for_share: float = float("nan")
    paid_anyway_share: float = float("nan")
    # Present value of the property tax on the plan's uplift of creative workspace values,
    # and the NPV net of it.
    revenue_offset_npv: float = 0.0
    net_npv: float = float("nan")

    @property
    def within_budget(self) -> bool:
        return not self.over_budget_years

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: numpy arrays as lists, NaN as None."""
        return {
            "currency": self.currency,
            "price_year": int(self.price_year),
            "years": [int(y) for y in self.years],
            "npv": _num(self.npv),
            "nominal_total": _num(self.nominal_total),
            "cost_per_job": _num(self.cost_per_job_direct),
            "cost_per_job_total": _num(self.cost_per_job_total),
            "cost_per_job_year": _num(self.cost_per_job_year),
            "job_years": _num(self.job_years),
            "but_for_share": _num(self.but_for_share),
            "paid_anyway_share": _num(self.paid_anyway_share),
            "revenue_offset_npv": _num(self.revenue_offset_npv),
            "net_npv": _num(self.net_npv),
            "jobs_created_direct": _num(self.jobs_created_direct),
            "jobs_created_total": _num(self.jobs_created_total),
            "protected_workspace_m2": _num(self.protected_workspace_m2),
            "cost_per_protected_m2": _num(self.cost_per_protected_m2),
            "annual_total": [_num(v) for v in self.annual_total],
            "cost_by_instrument": {k: [_num(v) for v in arr]
                                   for k, arr in self.cost_by_instrument.items()},
            "instrument_kinds": dict(self.instrument_kinds),
            "private_contribution": [_num(v) for v in self.private_contribution],
            "budget_cap": _num(self.budget_cap),
            "over_budget_years": [int(y) for y in self.over_budget_years],
            "within_budget": self.within_budget,
            "projection": self.projection.to_dict(),
            "explanations": dict(self.explanations),
        }


def check_package(instruments: Sequence[Instrument], assumptions: Assumptions) -> None:
    """Refuse a package ``evaluate`` cannot cost, whatever the district's shape.

    Raises InstrumentError for a bad instrument and IncentiveError for job grants so large
    that the feedback of ``CIRCULARITY_METHOD`` cannot settle. Call it when a planner edits
    instruments or assumptions, so the edit is refused there rather than in a recompute.
    """
    enabled = [i for i in instruments if i.enabled]
    for inst in enabled:
        inst.validate()
    paying = [(n, i) for n, i in zip(_unique_names(enabled), enabled, strict=True)
              if i.kind is not InstrumentKind.PPP]
    if _feedback_ratio(paying, assumptions) >= MAX_FEEDBACK_RATIO:
        raise IncentiveError(_divergence_message(paying, assumptions))


def evaluate(inputs: EconomyInputs, instruments: Sequence[Instrument],
             assumptions: Assumptions) -> IncentiveResult:
    """Cost, NPV, jobs and budget check of ``instruments`` in the district of ``inputs``.

    Disabled instruments are skipped. Raises what ``check_package`` raises; a package that
    passes it always evaluates.
    """
    a = assumptions
    plan = _Plan(inputs, instruments, a)
    pkg = plan.package
    rows, shares, iterations = _solve(plan)
    # One array per figure, rows per paying instrument: a vertex drag re-evaluates every
    # frame, and per-instrument arithmetic costs more in call overhead than in numbers.
    public_rows = rows * pkg.public_rate
    names = pkg.names
    costs = dict(zip(names, rows, strict=True))
    public = dict(zip(names, public_rows, strict=True))
    private = np.add.reduce(rows * pkg.private_rate, axis=0)
    annual = np.add.reduce(public_rows, axis=0)
    discount = pkg.discount
    npv = float(annual @ discount)

    share_j, share_f = _weighted(shares, plan.base_jobs[:, 1:], plan.base_firms[:, 1:])
    proj = project_from_factors(inputs.firms, inputs.jobs, plan.factors, share_j, a,
                                firm_cost_share=share_f)
    direct = max(0.0, float(np.maximum.reduce(proj.extra_jobs)))
    jobs_total = direct * a.jobs_multiplier
    # Jobs at the end of plan year t are discounted like that year's cost (t = 1..h).
    end_discount = discount * (1.0 / (1.0 + a.discount_rate))
    job_years = float(np.maximum(proj.extra_jobs[1:], 0.0) @ end_discount)
    supported = float(proj.jobs_with_incentives[1:] @ end_discount)
    but_for = job_years / supported if supported > 0 else float("nan")
    # Property tax on the uplift U of the supported workspace (jobs at the start of each
    # year × floor area per job), valued as the abatement values it.
    uplift_value = (plan.value0 * commercial_uplift(a, inputs.near_transit_share)
                    * pkg.rent_growth[: plan.horizon])
    offset = float((a.property_tax_rate * a.floor_area_per_job * uplift_value
                    * proj.jobs_with_incentives[:-1]) @ discount)

    protected = pkg.protected_m2
    workspace_npv = float(sum(public_rows[r] @ discount for r in pkg.workspace_rows))
    cap = float(a.budget_cap)
    over = np.flatnonzero(annual > cap * (1 + 1e-12)).tolist() if cap > 0 else []

    figures: dict[str, Any] = dict(
        years=np.arange(plan.horizon),
        cost_by_instrument=public,
        gross_cost_by_instrument=costs,
        instrument_kinds=dict(pkg.kinds),
        private_contribution=private,
        annual_total=annual,
        nominal_total=float(np.add.reduce(annual)),
        npv=npv,
        jobs_created_direct=direct,
        jobs_created_total=jobs_total,
        cost_per_job_direct=npv / direct if direct > 0 else float("nan"),
        cost_per_job_total=npv / jobs_total if jobs_total > 0 else float("nan"),
        protected_workspace_m2=protected,
        cost_per_protected_m2=workspace_npv / protected if protected > 0 else float("nan"),
        budget_cap=cap,
        over_budget_years=over,
        currency=a.currency,
        price_year=int(a.price_year),
        projection=proj,
        iterations=iterations,
        max_cost_share=float(np.maximum.reduce(shares, axis=None, initial=0.0)),
        cost_per_job_year=npv / job_years if job_years > 0 else float("nan"),
        job_years=job_years,
        but_for_share=but_for,
        paid_anyway_share=1.0 - but_for,
        revenue_offset_npv=offset,
        net_npv=npv - offset,
    )
    # The texts read the figures through their own record rather than through ``result``:
    # a closure over ``result`` would be a reference cycle, left to the cyclic garbage
    # collector once per frame of a vertex drag.
    return IncentiveResult(**figures, explanations=_LazyTexts(lambda: _explain(
        IncentiveResult(**figures, explanations=_LazyTexts()), inputs, plan, a)))


class _Package:
    """Everything about a package under one set of assumptions that no district changes.

    The paying instruments are rows of stacked arrays so that one iteration of the fixed
    point is a handful of matrix operations, whatever the package: cost = constant part +
    abatement coefficient × eligible jobs + grant × net new eligible jobs + loan matrix ×
    eligible firms. Built once per package (see ``_package``): a vertex drag evaluates the
    same package every frame, and validating and stacking it costs more than the district's
    own arithmetic. Read-only once built, so threads may share it.
    """

    def __init__(self, instruments: Sequence[Instrument], a: Assumptions) -> None:
        self.horizon = h = int(a.horizon_years)
        check_package(instruments, a)
        enabled = [i for i in instruments if i.enabled]
        named = list(zip(_unique_names(enabled), enabled, strict=True))
        paying = [(n, i) for n, i in named if i.kind is not InstrumentKind.PPP]
        ppp = [i for _, i in named if i.kind is InstrumentKind.PPP]
        self.all_names = [n for n, _ in named]
        self.names = [n for n, _ in paying]
        self.kinds = {n: i.kind.value for n, i in paying}

        t = np.arange(h)
        self.rent_growth = (1.0 + a.market_rent_growth) ** t
        n = len(paying)
        self.masks = np.zeros((n, len(CREATIVE_SECTORS)))
        self.active = np.zeros((n, h), dtype=bool)
        # Per row and plan year 0..h-1, plus a zero column (see ``_solve``): start-up grants
        # (workspace rows are filled per district) and grants per net new job.
        self.constant = np.zeros((n, h + 1))
        self.job_grant = np.zeros((n, h + 1))
        self.one_off = np.zeros(n, dtype=bool)
        # Rows whose coefficient depends on the district's rents: (row, years on, parameters).
        self.abatements: list[tuple[int, np.ndarray, float]] = []
        self.workspaces: list[tuple[int, np.ndarray, float, float]] = []
        self.loans: list[tuple[int, np.ndarray]] = []  # (row, L) with cost = L @ firms
        lag = t[:, None] - t[None, :]  # [t, τ] = t − τ
        for r, (_, inst) in enumerate(paying):
            eligible = set(inst.eligible_sectors)
            self.masks[r] = [s in eligible for s in CREATIVE_SECTORS]
            on = self.active[r] = inst.active_years(h)
            k = inst.kind
            self.one_off[r] = k in ONE_OFF_KINDS
            if k is InstrumentKind.TAX_ABATEMENT:
                self.abatements.append((r, on, inst.param("share")))
            elif k is InstrumentKind.JOB_GRANT:
                self.job_grant[r, :h] = on * inst.param("grant_per_job")
            elif k is InstrumentKind.STARTUP_GRANT:
                self.constant[r, :h] = on * inst.param("grant") * inst.param("startups_per_year")
            elif k is InstrumentKind.WORKSPACE_SUBSIDY:
                self.workspaces.append((r, on, inst.param("rent_cap_share"),
                                        inst.param("floor_area_m2")))
            else:  # LOAN
                self.loans.append((r, _loan_matrix(inst, on, lag)))
        spread = int(a.grant_spread_years)
        since = lag.T  # [τ, t] = t − τ: years since a grant was paid
        self.spread = np.where((since >= 0) & (since < spread), 1.0 / spread, 0.0)

        private_rate = np.zeros(h)
        if ppp:
            keep = np.ones(h)
            for inst in ppp:
                keep *= 1.0 - inst.param("private_share") * inst.active_years(h)
            private_rate = 1.0 - keep
        self.private_rate = private_rate
        self.public_rate = 1.0 - private_rate
        self.discount = (1.0 + a.discount_rate) ** -t.astype(float)
        self.workspace_rows = [r for r, (_, i) in enumerate(paying)
                               if i.kind is InstrumentKind.WORKSPACE_SUBSIDY
                               and self.active[r].any()]
        self.protected_m2 = float(sum(paying[r][1].param("floor_area_m2")
                                      for r in self.workspace_rows))
        # For the fixed point: which rows pay once (their value is spread over years).
        self.any_one_off, self.all_one_off = bool(self.one_off.any()), bool(self.one_off.all())
        self.recurring = ~self.one_off[:, None]
        for arr in (self.rent_growth, self.masks, self.active, self.constant, self.job_grant,
                    self.one_off, self.recurring, self.spread, self.private_rate,
                    self.public_rate,
                    self.discount, *(on for _, on, *_ in self.abatements + self.workspaces),
                    *(m for _, m in self.loans)):
            arr.setflags(write=False)


# The last few packages built, most recent first: (key, assumptions, package). Replaced,
# never mutated, so a worker thread reading it sees a consistent list.
_PACKAGES: list[tuple[tuple, Assumptions, _Package]] = []
_PACKAGES_KEPT = 8


def _loan_matrix(inst: Instrument, on: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """L with cost[t] = Σ_τ L[t, τ] × eligible firms at the start of year τ: each year's
    loans are repaid straight-line over the term, the subsidy being the rate gap on what is
    still outstanding (shared by the scalar and the batch package)."""
    term = int(inst.param("term_years"))
    per_loan = inst.param("principal") * (
        inst.param("market_rate") - inst.param("concessional_rate"))
    outstanding = np.where((lag >= 0) & (lag < term), 1.0 - lag / term, 0.0)
    return per_loan * outstanding * (inst.param("take_up") * on)[None, :]


def _package_key(instruments: Sequence[Instrument]) -> tuple | None:
    """Everything about ``instruments`` that ``_Package`` reads, by value (None: cannot
    be keyed, e.g. a parameter that is not a number; such a package is never cached)."""
    try:
        return tuple((type(i.kind), i.kind, i.name, bool(i.enabled),
                      tuple(i.eligible_sectors), tuple(i.params),
                      tuple(map(float, i.params.values())), type(i.start_year), i.start_year)
                     for i in instruments)
    except (TypeError, ValueError):
        return None


def _package(instruments: Sequence[Instrument], a: Assumptions) -> _Package:
    """The ``_Package`` of ``instruments`` under ``a``, reused while neither changes."""
    global _PACKAGES
    key = _package_key(instruments)
    if key is not None:
        for entry in _PACKAGES:
            if entry[0] == key and (entry[1] is a or entry[1] == a):
                return entry[2]
    pkg = _Package(instruments, a)  # raises for a bad package, which is never kept
    if key is not None:
        _PACKAGES = [(key, a, pkg), *_PACKAGES[:_PACKAGES_KEPT - 1]]
    return pkg


class _Plan:
    """A package (``_Package``) applied to one district: baseline paths, rents and the
    operating cost of the eligible firms, the inputs of the fixed point."""

    def __init__(self, inputs: EconomyInputs, instruments: Sequence[Instrument],
                 a: Assumptions) -> None:
        self.assumptions = a
        pkg = self.package = _package(instruments, a)
        self.horizon = h = pkg.horizon
        # The caller's instrument objects (the package may have been built from equal ones).
        self.named = list(zip(pkg.all_names, [i for i in instruments if i.enabled],
                              strict=True))

        self.factors = factor_f, factor_j, _ = baseline_factors(inputs.density_ratio, a)
        # [sector, 0 jobs | 1 firms, year 0..h]: one array so one product grows both.
        base = self.base = np.empty((len(CREATIVE_SECTORS), 2, h + 1))
        np.multiply(inputs.creative_jobs_by_sector[:, None], factor_j, out=base[:, 0])
        np.multiply(inputs.creative_firms_by_sector[:, None], factor_f, out=base[:, 1])
        self.base_jobs, self.base_firms = base[:, 0], base[:, 1]
        rent = float(inputs.rent_median)
        self.rent_known = bool(math.isfinite(rent) and rent > 0)
        self.rent0 = rent if self.rent_known else float(
            a.firm_rent_capacity)  # currency/m²/month
        self.value0 = (a.assessed_value_per_m2 if a.assessed_value_per_m2 > 0
                       else self.rent0 * 12.0 / a.capitalisation_yield)  # currency/m²
        growth = (1.0 + commercial_uplift(a, inputs.near_transit_share)) * pkg.rent_growth

        # Coefficients per row and plan year, padded like the package's.
        self.abatement = np.zeros_like(pkg.job_grant)
        for r, on, share in pkg.abatements:
            self.abatement[r, :h] = on * (share * self.value0 * growth
                                          * a.property_tax_rate * a.floor_area_per_job)
        self.constant = pkg.constant
        if pkg.workspaces:
            self.constant = pkg.constant.copy()
            for r, on, cap_share, area in pkg.workspaces:
                gap = np.maximum(0.0, self.rent0 * growth - cap_share * self.rent0)
                self.constant[r, :h] = on * gap * area * 12.0
        # Operating cost of the eligible firms, ends of plan years (currency per year), and
        # the same with inf where there is none: value ÷ inf is the zero share there.
        self.eligible_cost = a.operating_cost_per_job * (pkg.masks @ self.base_jobs[:, 1:])
        self.has_cost = self.eligible_cost > 0
        self.cost_or_inf = np.where(self.has_cost, self.eligible_cost, np.inf)

    @property
    def paying(self) -> list[tuple[str, Instrument]]:
        return [(n, i) for n, i in self.named if i.kind is not InstrumentKind.PPP]


def commercial_uplift(a: Assumptions, near_transit_share: float) -> float:
    """Uplift of workspace rents and values the designation brings (share): the
    designation uplift plus the commercial rail-station uplift times the share of the
    district near a station the plan adds, the rule the affordability figures apply."""
    near = near_transit_share if math.isfinite(near_transit_share) else 0.0
    return float(a.designation_uplift + a.transit_uplift_commercial * near)


def _solve(plan: _Plan) -> tuple[np.ndarray, np.ndarray, int]:
    """The fixed point of costs and attracted activity (``CIRCULARITY_METHOD``).

    Each round costs the instruments on the current path, turns the costs into sector
    shares of operating cost and grows the path by them. At a dozen rounds per frame of a
    vertex drag, a round's time is numpy's per-call overhead, not arithmetic. So every
    array is allocated once and each step writes into it, and the per-year arrays carry a
    zero column (year h), which makes "year t" and "year t + 1" flat offsets of one buffer
    and every element-wise step a contiguous run.
    The operations are the plain formulas', in the same order, so the rounds and their
    numbers are the same to the bit (np.dot where it calls the same BLAS routine as ``@``
    with less overhead; ``@`` where it does not).
    """
    pkg = plan.package
    h = plan.horizon
    n, n_sectors = pkg.masks.shape
    if n == 0:
        return np.zeros((0, h)), np.zeros((n_sectors, h)), 1
    add, subtract, multiply, divide = np.add, np.subtract, np.multiply, np.divide
    maximum, minimum, absolute, matmul, dot = np.maximum, np.minimum, np.abs, np.matmul, np.dot
    # 0-d arrays rather than Python floats: the same float64 arithmetic, without a
    # conversion per call.
    eps, zero, one = np.array(plan.assumptions.incentive_elasticity), _ZERO, _ONE
    masks, masks_t = pkg.masks, pkg.masks.T
    abatement, constant, job_grant = plan.abatement, plan.constant, pkg.job_grant
    spread, eligible_cost, has_cost = pkg.spread, plan.eligible_cost, plan.has_cost
    # value ÷ inf is 0 for finite value: the zero share where the firms have no cost, as
    # the masked division gives, in a plain division (used while costs are finite and far
    # from overflow, which bounded assumptions keep them).
    cost_or_inf = plan.cost_or_inf
    any_one_off, all_one_off, recurring = pkg.any_one_off, pkg.all_one_off, pkg.recurring

    path = plan.base.copy()  # with incentives: [sector, jobs | firms, year 0..h]
    path_jobs, path_firms = path[:, 0], path[:, 1, :h]
    path_tail, base_tail = path[:, :, 1:], plan.base[:, :, 1:]
    uplift = np.empty((n_sectors, h))
    uplift3 = uplift[:, None, :]
    # Per row and year 0..h: eligible jobs at the year's end; net new ones ([r, t] =
    # eligible[r, t + 1] − eligible[r, t] for t < h); this round's and the last round's
    # costs (year h always 0); and |cost| and |change|, stacked for one reduction.
    work = np.zeros((6, n, h + 1))
    eligible, net_new, *buffers = work[:4]
    size = work[4:]
    size_cost, size_change = size
    jobs_end, jobs_start = eligible.reshape(-1)[1:], eligible.reshape(-1)[:-1]
    net_new_head = net_new.reshape(-1)[:-1]
    costs_of = [b[:, :h] for b in buffers]
    loans = [[(matrix, masks[r], b[r, :h]) for r, matrix in pkg.loans] for b in buffers]
    # Per row and year 0..h-1: spread value, share of operating cost (stays 0 where the
    # eligible firms have no cost); and per year, one row's eligible firms and loan cost.
    value, share = np.zeros((2, n, h))
    firms, loan_cost = np.empty((2, h))
    shares = np.empty((n_sectors, h))

    def cost(out: np.ndarray, loan_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        """Costs per paying instrument and plan year (before any private share) of the
        current path into ``out``: constant + abatement × eligible jobs + grant × net new
        eligible jobs + loan matrix × eligible firms."""
        matmul(masks, path_jobs, out=eligible)
        multiply(abatement, eligible, out=out)
        add(constant, out, out=out)
        subtract(jobs_end, jobs_start, out=net_new_head)
        maximum(zero, net_new, out=net_new)
        multiply(job_grant, net_new, out=net_new)
        add(out, net_new, out=out)
        for matrix, mask, row in loan_rows:
            matmul(mask, path_firms, out=firms)
            dot(matrix, firms, out=loan_cost)
            add(row, loan_cost, out=row)

    def sector_shares(costs: np.ndarray, safe: bool) -> None:
        """Share of operating cost offset per sector and plan year, into ``shares``."""
        if any_one_off:
            dot(costs, spread, out=value)
            if not all_one_off:
                np.copyto(value, costs, where=recurring)
            costs = value
        if safe:
            divide(costs, cost_or_inf, out=share)
        else:
            divide(costs, eligible_cost, out=share, where=has_cost)
        minimum(share, one, out=share)
        dot(masks_t, share, out=shares)
        maximum(shares, zero, out=shares)
        minimum(shares, one, out=shares)

    with np.errstate(over="ignore"):  # a vanishing operating cost: inf, clipped to 1
        cost(buffers[0], loans[0])
        scale = float(np.maximum.reduce(absolute(buffers[0]), axis=None))
        for iteration in range(1, MAX_ITERATIONS + 1):
            new, last = iteration & 1, (iteration - 1) & 1
            sector_shares(costs_of[last], scale < _SAFE_COST)
            multiply(eps, shares, out=uplift)
            add(one, uplift, out=uplift)
            multiply(base_tail, uplift3, out=path_tail)
            new_costs = buffers[new]
            cost(new_costs, loans[new])
            absolute(new_costs, out=size_cost)
            subtract(new_costs, buffers[last], out=size_change)
            absolute(size_change, out=size_change)
            scale, change = np.maximum.reduce(size, axis=(1, 2)).tolist()
            if not math.isfinite(scale):
                break
            if change <= _TOLERANCE * max(scale, 1.0):
                sector_shares(costs_of[new], scale < _SAFE_COST)
                return costs_of[new], shares, iteration
    raise IncentiveError(_divergence_message(plan.paying, plan.assumptions))


# Costs below this (currency per year) cannot overflow when spread over the years.
_SAFE_COST = 1e300
_ZERO, _ONE = np.zeros(()), np.ones(())
_ZERO.setflags(write=False)
_ONE.setflags(write=False)


def _weighted(shares: np.ndarray, *weights: np.ndarray) -> list[np.ndarray]:
    """Per-year share of the whole district for each of ``weights``: sector shares
    weighted by it (0 in a year without weight)."""
    out = []
    for w in weights:
        tot = np.add.reduce(w, axis=0)
        num = np.add.reduce(shares * w, axis=0)
        if np.minimum.reduce(tot) > 0:  # the usual case: one division, no mask
            out.append(np.divide(num, tot, out=num))
        else:
            out.append(np.divide(num, tot, out=np.zeros_like(num), where=tot > 0))
    return out


class _LazyTexts(Mapping[str, str]):
    """Explanation texts built on first read: formatting them costs more than the figures,
    and a panel reads them only when a planner asks why."""

    def __init__(self, build: Callable[[], dict[str, str]] | None = None) -> None:
        self._build = build
        self._texts: dict[str, str] | None = None if build else {}

    def _get(self) -> dict[str, str]:
        if self._texts is None:
            assert self._build is not None
            self._texts = self._build()
            self._build = None
        return self._texts

    def __getitem__(self, key: str) -> str:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __repr__(self) -> str:
        return "<explanations: not built yet>" if self._texts is None else repr(self._texts)


def _unique_names(instruments: Sequence[Instrument]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for inst in instruments:
        base = inst.name or KIND_LABELS[inst.kind]
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return names


def _job_grants(paying: Sequence[tuple[str, Instrument]]) -> list[tuple[str, float]]:
    return [(n, i.param("grant_per_job")) for n, i in paying
            if i.kind is InstrumentKind.JOB_GRANT and i.enabled]


def _feedback_ratio(paying: Sequence[tuple[str, Instrument]], a: Assumptions) -> float:
    """Jobs' worth of grant value one granted job attracts; the loop settles below 1."""
    grants = sum(g for _, g in _job_grants(paying))
    return a.incentive_elasticity * grants / (a.operating_cost_per_job * a.grant_spread_years)


def _divergence_message(paying: Sequence[tuple[str, Instrument]], a: Assumptions) -> str:
    grants = _job_grants(paying)
    ratio = _feedback_ratio(paying, a)
    named = ", ".join(f"'{n}' ({g:g} per job)" for n, g in grants) or "none"
    return (
        "The incentive package does not settle: job grants would attract enough jobs to pay "
        f"for ever more grants (job grants: {named}; incentive_elasticity × grants ÷ "
        f"(operating_cost_per_job × grant_spread_years) = {ratio:.2f}, must be below "
        f"{MAX_FEEDBACK_RATIO:g}). "
        "Lower the grant per job or the elasticity, or raise operating_cost_per_job."
    )


def _num(v: float) -> float | None:
    v = float(v)
    return v if np.isfinite(v) else None


def _money(v: float, currency: str) -> str:
    return "undefined" if not np.isfinite(v) else f"{v:,.0f} {currency}"


def _assumption_list(a: Assumptions, names: Sequence[str]) -> str:
    """``name = value unit; ...`` with the money unit spelled as the settings' currency."""
    parts = []
    for n in names:
        unit = parameter(n).unit.replace("currency", a.currency)
        parts.append(f"{n} = {a[n]:g}" + ("" if unit == "-" else f" {unit}"))
    if "property_tax_rate" in names:  # its default follows the currency: say which and why
        parts.append("property_tax_rate: " + a.source_note("property_tax_rate"))
    return "; ".join(parts)


JOB_YEAR_METHOD = (
    "Cost per discounted job-year = NPV ÷ Σ_t max(0, extra jobs at the end of plan year t) "
    "÷ (1 + discount_rate)^t, t = 1..horizon. The extra jobs the package attracts leave "
    "when its instruments end, so dividing by the peak (cost per job) overstates what the "
    "money buys. But-for share = the same discounted sum ÷ that of all creative jobs in "
    "the district with the package (the jobs the instruments support by default); the "
    "rest of the cost pays for activity that would be there anyway. Bartik (2018, Upjohn "
    "WP 18-289) finds 2-25% typical and 3.4% in the studies without selection bias. "
    "Relocation: within a city, firms respond 5 to 10 times more to local tax differences "
    "than between cities (Bartik 2018), so much of a district's gain is moved from "
    "elsewhere in the same city; the figures here are the district's, not the city's, net."
)
OFFSET_METHOD = (
    "Revenue offset = Σ_t property_tax_rate × V_0 × U × (1 + market_rent_growth)^t × "
    "floor_area_per_job × creative jobs at the start of plan year t ÷ (1 + "
    "discount_rate)^t: the property tax the plan's uplift U of workspace values brings on "
    "the district's creative floor area (valued as the abatement values it; abated tax "
    "is counted in the cost, not netted twice). Net NPV = NPV − offset; both are shown."
)


def _explain(res: IncentiveResult, inputs: EconomyInputs, plan: _Plan,
             a: Assumptions) -> dict[str, str]:
    """Method text, inputs with their values and the assumptions used, per figure."""
    cur = res.currency
    rent0 = plan.rent0
    rent_note = (f"district median rent R_0 = {rent0:.2f} {cur}/m²/month" if plan.rent_known
                 else f"no rent data: R_0 = firm_rent_capacity = {rent0:.2f} {cur}/m²/month")
    uplift = (f"U = {commercial_uplift(a, inputs.near_transit_share):.4f} (share of the "
              f"district near a station the plan adds {inputs.near_transit_share:.2f})")
    out: dict[str, str] = {}
    for n, inst in plan.named:
        params = ", ".join(f"{k} = {v:g}" for k, v in inst.params.items())
        sectors = ("all creative sectors" if set(inst.eligible_sectors) == set(CREATIVE_SECTORS)
                   else ", ".join(inst.eligible_sectors))
        extra = ""
        if inst.kind is InstrumentKind.TAX_ABATEMENT:
            extra = (f"; V_0 = {plan.value0:,.0f} {cur}/m² ({rent_note}); {uplift}; "
                     + _assumption_list(a, ("property_tax_rate", "assessed_value_per_m2",
                                            "capitalisation_yield", "floor_area_per_job",
                                            "designation_uplift", "transit_uplift_commercial",
                                            "market_rent_growth")))
        elif inst.kind is InstrumentKind.WORKSPACE_SUBSIDY:
            extra = f"; {rent_note}; {uplift}; " + _assumption_list(
                a, ("designation_uplift", "transit_uplift_commercial", "market_rent_growth"))
        if inst.kind is InstrumentKind.PPP:
            outcome = (f"Private partners pay {_money(res.private_contribution.sum(), cur)} over "
                       "the horizon")
            sectors = "every other instrument"
        else:
            total = _money(float(res.cost_by_instrument[n].sum()), cur)
            outcome = f"Public cost over the horizon: {total}"
        out[f"instrument:{n}"] = (
            f"{COST_METHODS[inst.kind]}\nInputs: {params}; start year {inst.start_year}; "
            f"applies to: {sectors}{extra}.\n{outcome} (price year {res.price_year})."
        )
    out["npv"] = (f"{NPV_METHOD}\nInputs: yearly public cost "
                  f"{', '.join(f'{v:,.0f}' for v in res.annual_total)} {cur}; "
                  f"{_assumption_list(a, ('discount_rate', 'horizon_years', 'price_year'))}."
                  f"\nNPV = {_money(res.npv, cur)}.")
    out["nominal_total"] = (f"{NPV_METHOD}\nNominal total = {_money(res.nominal_total, cur)}; "
                            f"private partner pays {_money(res.private_contribution.sum(), cur)}.")
    warn = ""
    if res.max_cost_share > 0.05:
        warn = (f"\nNote: the package offsets up to {res.max_cost_share:.1%} of a sector's "
                "operating cost, beyond the small changes the elasticity was estimated on; "
                "treat the attracted jobs as an upper estimate.")
    extra = res.projection.extra_jobs
    peak = f" (most in year {int(np.argmax(extra))})" if res.jobs_created_direct > 0 else ""
    out["cost_per_job"] = (
        f"{JOBS_METHOD}\n{ATTRACTION_METHOD}\nInputs: direct jobs created = "
        f"{res.jobs_created_direct:,.1f}{peak}, total = {res.jobs_created_total:,.1f}, NPV = "
        f"{_money(res.npv, cur)}; "
        + _assumption_list(a, ("incentive_elasticity", "operating_cost_per_job",
                               "grant_spread_years", "jobs_multiplier"))
        + f".\nCost per job: {_money(res.cost_per_job_direct, cur)} direct, "
        f"{_money(res.cost_per_job_total, cur)} with the multiplier.{warn}"
    )
    out["cost_per_job_year"] = (
        f"{JOB_YEAR_METHOD}\nInputs: discounted extra job-years = {res.job_years:,.1f}, NPV "
        f"= {_money(res.npv, cur)}; " + _assumption_list(a, ("discount_rate",))
        + f".\nCost per discounted job-year: {_money(res.cost_per_job_year, cur)}; but-for "
        f"share {res.but_for_share:.1%} (Bartik 2018: 2-25% typical, 3.4% without selection "
        f"bias); paid for activity there anyway {res.paid_anyway_share:.1%}.")
    out["net_npv"] = (
        f"{OFFSET_METHOD}\nInputs: V_0 = {plan.value0:,.0f} {cur}/m²; {uplift}; "
        + _assumption_list(a, ("property_tax_rate", "floor_area_per_job", "discount_rate"))
        + f".\nGross NPV {_money(res.npv, cur)}, property tax on the uplift "
        f"{_money(res.revenue_offset_npv, cur)}, net {_money(res.net_npv, cur)}.")
    out["cost_per_protected_m2"] = (
        f"{WORKSPACE_METHOD}\nProtected: {res.protected_workspace_m2:,.0f} m²; cost per m²: "
        f"{_money(res.cost_per_protected_m2, cur)}.")
    cap = "no cap" if res.budget_cap <= 0 else _money(res.budget_cap, cur) + " per year"
    over = ", ".join(str(t) for t in res.over_budget_years) or "none"
    out["budget"] = f"{BUDGET_METHOD}\nCap: {cap}; plan years over budget: {over}."
    out["circularity"] = f"{CIRCULARITY_METHOD}\nConverged in {res.iterations} iteration(s)."
    p = res.projection
    out["projection"] = (
        f"{PROJECTION_METHOD}\nInputs: {inputs.firms:,.0f} creative firms and "
        f"{inputs.jobs:,.0f} creative jobs today; ρ = {inputs.density_ratio:.2f}; "
        f"agglomeration term {p.agglomeration_rate:+.4f}/year; "
        + _assumption_list(a, ("baseline_growth_firms", "baseline_growth_jobs",
                               "agglomeration_coefficient", "incentive_elasticity",
                               "operating_cost_per_job", "horizon_years"))
        + f".\nJobs in year {int(p.years[-1])}: {p.jobs_baseline[-1]:,.0f} baseline, "
        f"{p.jobs_with_incentives[-1]:,.0f} with incentives."
    )
    return out


def parameters_markdown() -> str:
    """Every instrument parameter as a Markdown table, the one in docs/methods.md."""
    rows = ["| Instrument | Parameter | Meaning | Unit | Default | Range |",
            "|---|---|---|---|---|---|"]
    for kind, specs in PARAMETER_SPECS.items():
        for p in specs:
            limits = f"{format_value(p.minimum)} to {format_value(p.maximum)}"
            rows.append(f"| {KIND_LABELS[kind]} (`{kind.value}`) | `{p.name}` | {p.label}: "
                        f"{p.doc} | {p.unit} | {format_value(p.default)} | {limits} |")
    return "\n".join(rows)


# ---- many assumption vectors at once (sensitivity tornados and Monte Carlo) --------------

BATCH_FIGURES = ("creative_jobs_projected", "npv", "cost_per_job_year", "within_budget")


def evaluate_batch(inputs: EconomyInputs, instruments: Sequence[Instrument],
                   assumptions: Assumptions,
                   varied: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The headline figures of ``evaluate`` for K assumption vectors at once.

    ``varied`` maps assumption names to arrays of K values; the others come from
    ``assumptions``. Returns arrays of K values per name in ``BATCH_FIGURES``
    (``within_budget`` 1.0 or 0.0), NaN where ``evaluate`` would refuse the package under
    that vector. The district is the same for every vector, so a tornado (two dozen
    vectors) or a Monte Carlo (a thousand) is one fixed point of (..., K) arrays instead
    of K of them: per-call overhead, not arithmetic, is what a scalar run costs. Same
    formulas as the scalar path, element by element (a test compares them to 1e-9).
    """
    a = assumptions
    names = list(varied)
    if "horizon_years" in varied:
        raise ValueError("evaluate_batch: horizon_years must be the same for every vector.")
    k = len(varied[names[0]]) if names else 1

    def v(name: str) -> np.ndarray:
        if name in varied:
            return np.asarray(varied[name], dtype=np.float64).reshape(k)
        return np.full(k, float(a[name]))

    # The instruments' own checks do not depend on the assumptions: made once per package
    # (``_batch_package``); the feedback-ratio refusal of ``check_package`` does, so it is
    # made per vector.
    h = int(a.horizon_years)
    pkg = _batch_package(instruments, h)
    eps, opc, spread_years = v("incentive_elasticity"), v("operating_cost_per_job"), \
        v("grant_spread_years")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = eps * pkg.grants / (opc * spread_years)
    ok = ratio < MAX_FEEDBACK_RATIO
    out = {f: np.full(k, np.nan) for f in BATCH_FIGURES}
    if not ok.any():
        return out
    if ok.all():
        figures = _batch_figures(inputs, pkg, a, h, {**varied, "incentive_elasticity": eps,
                                                     "operating_cost_per_job": opc,
                                                     "grant_spread_years": spread_years}, k)
        return {f: figures[f] for f in BATCH_FIGURES}
    idx = np.flatnonzero(ok)
    sub = {n: v(n)[idx] for n in set(names) | {
        "incentive_elasticity", "operating_cost_per_job", "grant_spread_years"}}
    figures = _batch_figures(inputs, pkg, a, h, sub, idx.size)
    for f in BATCH_FIGURES:
        out[f][idx] = figures[f]
    return out


class _BatchPackage:
    """What ``evaluate_batch`` needs of a package that no assumption changes (only the
    instruments and the horizon do): built once per package, as ``_Package`` is for the
    scalar path, so a tornado after each vertex move pays for the district alone.

    Rows are the paying instruments, one-off grants first (their value is spread over
    years, see ``_solve_batch``); the figures sum over rows, so their order is free.
    Read-only once built, so threads may share it.
    """

    def __init__(self, instruments: Sequence[Instrument], h: int) -> None:
        enabled = [i for i in instruments if i.enabled]
        for inst in enabled:
            inst.validate()
        named = list(zip(_unique_names(enabled), enabled, strict=True))
        paying = [(n, i) for n, i in named if i.kind is not InstrumentKind.PPP]
        self.grants = float(sum(g for _, g in _job_grants(paying)))
        paying.sort(key=lambda ni: ni[1].kind not in ONE_OFF_KINDS)  # stable
        self.n = n = len(paying)
        self.n_one_off = sum(i.kind in ONE_OFF_KINDS for _, i in paying)
        self.h = h
        t = np.arange(h)
        lag = t[:, None] - t[None, :]
        self.masks = np.array([[s in set(i.eligible_sectors) for s in CREATIVE_SECTORS]
                               for _, i in paying], dtype=float).reshape(n, len(CREATIVE_SECTORS))
        self.masks_t = np.ascontiguousarray(self.masks.T)
        # Per row and plan year, a trailing axis for the vectors: start-up grants (workspace
        # rows are filled per batch) and grants per net new job.
        self.constant = np.zeros((n, h, 1))
        self.job_grant = np.zeros((n, h, 1))
        self.abatements: list[tuple[int, np.ndarray, float]] = []  # (row, years on, share)
        self.workspaces: list[tuple[int, np.ndarray, float, float]] = []
        self.loans: list[tuple[int, np.ndarray]] = []  # (row, L) with cost = L @ firms
        for r, (_, inst) in enumerate(paying):
            on = inst.active_years(h)
            kind = inst.kind
            if kind is InstrumentKind.TAX_ABATEMENT:
                self.abatements.append((r, on, inst.param("share")))
            elif kind is InstrumentKind.JOB_GRANT:
                self.job_grant[r, :, 0] = on * inst.param("grant_per_job")
            elif kind is InstrumentKind.STARTUP_GRANT:
                self.constant[r, :, 0] = on * inst.param("grant") * inst.param(
                    "startups_per_year")
            elif kind is InstrumentKind.WORKSPACE_SUBSIDY:
                self.workspaces.append((r, on, inst.param("rent_cap_share"),
                                        inst.param("floor_area_m2")))
            else:
                self.loans.append((r, _loan_matrix(inst, on, lag)))
        self.any_grant = bool(self.job_grant.any())
        private_rate = np.zeros(h)
        ppp = [i for _, i in named if i.kind is InstrumentKind.PPP]
        if ppp:
            keep = np.ones(h)
            for inst in ppp:
                keep *= 1.0 - inst.param("private_share") * inst.active_years(h)
            private_rate = 1.0 - keep
        self.public_rate = (1.0 - private_rate)[None, :, None]
        self.t = t.astype(float)[:, None]
        self.t1 = np.arange(h + 1, dtype=float)[:, None]
        for arr in (self.masks, self.masks_t, self.constant, self.job_grant, self.public_rate,
                    self.t, self.t1, *(on for _, on, _ in self.abatements),
                    *(m for _, m in self.loans)):
            arr.setflags(write=False)


_BATCH_PACKAGES: list[tuple[tuple, _BatchPackage]] = []


def _batch_package(instruments: Sequence[Instrument], h: int) -> _BatchPackage:
    """The ``_BatchPackage`` of ``instruments`` over ``h`` years, reused while neither
    changes (keyed by value, like ``_package``: an instrument edited in place is a new
    package)."""
    global _BATCH_PACKAGES
    key = _package_key(instruments)
    if key is not None:
        for entry in _BATCH_PACKAGES:
            if entry[0] == (key, h):
                return entry[1]
    pkg = _BatchPackage(instruments, h)  # raises for a bad instrument, never kept
    if key is not None:
        _BATCH_PACKAGES = [((key, h), pkg), *_BATCH_PACKAGES[:_PACKAGES_KEPT - 1]]
    return pkg


def _batch_figures(inputs: EconomyInputs, pkg: _BatchPackage, a: Assumptions, h: int,
                   varied: Mapping[str, np.ndarray], k: int) -> dict[str, np.ndarray]:
    """``evaluate_batch`` for the vectors whose package can settle. Arrays carry the
    vectors on their last axis, so each step of the fixed point is one 2-D operation."""
    def v(name: str) -> np.ndarray:
        return np.asarray(varied[name], dtype=np.float64).reshape(k) if name in varied \
            else np.full(k, float(a[name]))

    t, t1 = pkg.t, pkg.t1  # plan years as columns: (h, 1) and (h + 1, 1)
    # Baseline factors (projection.baseline_factors, per vector): (h + 1, K).
    rho = 1.0 if not math.isfinite(inputs.density_ratio) else float(inputs.density_ratio)
    if rho < 0:
        raise ValueError(f"density_ratio must be ≥ 0; got {inputs.density_ratio!r}.")
    rho = min(rho, DENSITY_RATIO_CAP)
    agg = v("agglomeration_coefficient") * np.log((1.0 + rho) / 2.0)
    factor_f = (1.0 + (v("baseline_growth_firms") + agg)) ** t1
    factor_j = (1.0 + (v("baseline_growth_jobs") + agg)) ** t1
    n_sectors = len(CREATIVE_SECTORS)
    # [jobs | firms, sector, year 0..h, vector]
    base = np.empty((2, n_sectors, h + 1, k))
    np.multiply(inputs.creative_jobs_by_sector[:, None, None], factor_j, out=base[0])
    np.multiply(inputs.creative_firms_by_sector[:, None, None], factor_f, out=base[1])

    rent = float(inputs.rent_median)
    rent0 = np.full(k, rent) if math.isfinite(rent) and rent > 0 else v("firm_rent_capacity")
    assessed = v("assessed_value_per_m2")
    with np.errstate(divide="ignore"):
        value0 = np.where(assessed > 0, assessed, rent0 * 12.0 / v("capitalisation_yield"))
    near = inputs.near_transit_share if math.isfinite(inputs.near_transit_share) else 0.0
    uplift_c = v("designation_uplift") + v("transit_uplift_commercial") * near
    rent_growth = (1.0 + v("market_rent_growth")) ** t
    growth = (1.0 + uplift_c) * rent_growth  # (h, K)

    n = pkg.n
    abatement = np.zeros((n, h, k))
    if pkg.abatements:
        ptr, fapj = v("property_tax_rate"), v("floor_area_per_job")
        for r, on, share in pkg.abatements:
            abatement[r] = on[:, None] * (share * value0 * growth * ptr * fapj)
    constant = pkg.constant
    if pkg.workspaces:
        constant = np.repeat(pkg.constant, k, axis=2)
        for r, on, cap_share, area in pkg.workspaces:
            gap = np.maximum(0.0, rent0 * growth - cap_share * rent0)
            constant[r] = on[:, None] * gap * area * 12.0
    spread_n = v("grant_spread_years").astype(int)
    r_disc = v("discount_rate")
    discount = (1.0 + r_disc) ** -t  # (h, K)
    eligible_cost = v("operating_cost_per_job") * (
        _product(pkg.masks, base[0].reshape(n_sectors, -1))).reshape(n, h + 1, k)[:, 1:]
    inv_cost = np.divide(1.0, eligible_cost, out=np.zeros_like(eligible_cost),
                         where=eligible_cost > 0)
    eps = v("incentive_elasticity")

    rows, shares, good = _solve_batch(pkg, base, constant, abatement, inv_cost, spread_n,
                                      eps, h)
    annual = np.add.reduce(rows * pkg.public_rate, axis=0)  # (h, K)
    npv = np.einsum("tk,tk->k", annual, discount)
    w = base[0, :, 1:]
    tot = np.add.reduce(w, axis=0)
    share_j = np.divide(np.add.reduce(shares * w, axis=0), tot, out=np.zeros_like(tot),
                        where=tot > 0)
    uplift = np.ones((h + 1, k))
    uplift[1:] = 1.0 + eps * np.minimum(np.maximum(share_j, 0.0), 1.0)
    jobs_base = inputs.jobs * factor_j
    jobs_with = jobs_base * uplift
    extra = jobs_with - jobs_base
    end_discount = discount * (1.0 / (1.0 + r_disc))
    job_years = np.einsum("tk,tk->k", np.maximum(extra[1:], 0.0), end_discount)
    cap = float(a.budget_cap)
    within = (~(annual > cap * (1 + 1e-12)).any(axis=0)).astype(float) if cap > 0 \
        else np.ones(k)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_job_year = np.where(job_years > 0, npv / job_years, np.nan)
    nan = ~good
    out = {"creative_jobs_projected": jobs_with[-1].copy(), "npv": npv,
           "cost_per_job_year": per_job_year, "within_budget": within}
    for f in out.values():
        f[nan] = np.nan
    return out


# OpenBLAS runs a product of m·n·k below 65536 × 4 on the calling thread (interface/gemm.c,
# SMP_THRESHOLD_MIN × GEMM_MULTITHREAD_THRESHOLD); half that, for margin.
_ONE_THREAD_PRODUCT = 1 << 17


def _product(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` for a 2-D ``b`` of many columns (vectors), in column blocks small enough
    that OpenBLAS keeps each on the calling thread. A Monte Carlo's products are tiny
    matrices times a thousand columns; threaded, on two loaded cores, the threads' waits
    for a CPU cost 20 times the arithmetic (1,000 draws: 1.1 s instead of 50 ms)."""
    cols = max(1, _ONE_THREAD_PRODUCT // max(1, a.shape[0] * a.shape[1]))
    if b.shape[1] <= cols:
        return np.matmul(a, b, out=out)
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]))
    for i in range(0, b.shape[1], cols):
        np.matmul(a, b[:, i:i + cols], out=out[:, i:i + cols])
    return out


def _solve_batch(pkg: _BatchPackage, base: np.ndarray, constant: np.ndarray,
                 abatement: np.ndarray, inv_cost: np.ndarray, spread_n: np.ndarray,
                 eps: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_solve`` for K vectors: costs (rows, h, K), sector shares (sectors, h, K) and
    which vectors settled. Each vector keeps the costs of the round at which it meets the
    scalar stopping rule, so its numbers are the scalar path's rounds, not more or fewer;
    the rounds go on while any vector has not settled.

    A one-off grant's value in year t is its cost over the last ``grant_spread_years``
    years ÷ that number: one product with the spread matrices of the distinct spreads,
    stacked, then each vector's rows picked (a tornado holds three spreads, a Monte Carlo
    a handful), rather than a (years × years) matrix per vector and row."""
    n_sectors, k = base.shape[1], base.shape[3]
    n, m = pkg.n, pkg.n_one_off
    if n == 0:
        return np.zeros((0, h, k)), np.zeros((n_sectors, h, k)), np.ones(k, dtype=bool)
    masks, masks_t, grant, loans = pkg.masks, pkg.masks_t, pkg.job_grant, pkg.loans
    add, subtract, multiply, minimum, maximum = \
        np.add, np.subtract, np.multiply, np.minimum, np.maximum
    spreads, which = np.unique(spread_n, return_inverse=True)
    lag = np.arange(h)[:, None] - np.arange(h)[None, :]  # [t, τ] = t − τ
    stacked = np.concatenate([np.where((lag >= 0) & (lag < s), 1.0 / s, 0.0)
                              for s in spreads.tolist()])  # (spreads × h, h)
    rows_of = which * h  # first row of each vector's spread matrix in ``stacked``
    # A tornado's products fit on one thread whole: plain matmul, no blocks.
    widest = max(n * n_sectors * (h + 1), stacked.size, h * h)
    mm = np.matmul if widest * k <= _ONE_THREAD_PRODUCT else _product

    def per_vector(ids: np.ndarray) -> dict[str, np.ndarray]:
        """The arrays that differ by vector, for the vectors ``ids``."""
        kk = ids.size
        # Flat index of (row of the vector's spread matrix for year t, vector) in the
        # (spreads × h, K') product.
        pick = (rows_of[ids] + np.arange(h)[:, None]) * kk + np.arange(kk)
        return {"base": base[..., ids], "abatement": abatement[..., ids],
                "constant": constant[..., ids] if constant.shape[2] > 1 else constant,
                "inv": inv_cost[..., ids], "eps": eps[ids], "pick": pick}

    def cost(path: np.ndarray, c: dict[str, np.ndarray], out: np.ndarray) -> np.ndarray:
        """Costs (rows, h, K) of the current path into ``out`` (see ``_solve``)."""
        kk = path.shape[3]
        eligible = mm(masks, path[0].reshape(n_sectors, -1)).reshape(n, h + 1, kk)
        multiply(c["abatement"], eligible[:, :h], out=out)
        add(out, c["constant"], out=out)
        if pkg.any_grant:
            net = subtract(eligible[:, 1:], eligible[:, :h])
            maximum(net, 0.0, out=net)
            multiply(net, grant, out=net)
            add(out, net, out=out)
        if loans:
            firms = mm(masks, path[1].reshape(n_sectors, -1)).reshape(n, h + 1, kk)
            for r, matrix in loans:
                add(out[r], mm(matrix, firms[r, :h]), out=out[r])
        return out

    def sector_shares(costs: np.ndarray, c: dict[str, np.ndarray]) -> np.ndarray:
        """Share of operating cost offset per sector, year and vector."""
        kk = costs.shape[2]
        share = multiply(costs, c["inv"])
        if m:
            value = np.empty((m, stacked.shape[0], kk))
            for i in range(m):
                mm(stacked, costs[i], out=value[i])
            value = value.reshape(m, -1)
            multiply(np.take(value, c["pick"], axis=1), c["inv"][:m], out=share[:m])
        minimum(share, 1.0, out=share)
        out = mm(masks_t, share.reshape(n, -1)).reshape(n_sectors, h, kk)
        return minimum(maximum(out, 0.0, out=out), 1.0, out=out)

    # The vectors still iterating are the columns ``ids``. With a few dozen vectors a
    # round costs numpy's per-call overhead, so settled ones ride along (their costs
    # already kept); with many, once half have stopped the rest go on alone.
    ids = np.arange(k)
    full = cur = per_vector(ids)
    going = np.ones(k, dtype=bool)  # per column of ``cur``: not yet settled or failed
    path = base.copy()
    final = np.zeros((n, h, k))
    settled = np.zeros(k, dtype=bool)
    kept, kept_settled = final, settled  # per column of ``cur``

    def buffers_for(kk: int) -> list[np.ndarray]:
        """Two rounds' [costs | change] (the round after next reuses the first), each
        with a row of ones so one reduction gives max(scale, 1) and the change."""
        out = []
        for _ in range(2):
            b = np.empty((2, n * h + 1, kk))
            b[0, -1], b[1, -1] = 1.0, 0.0
            out.append(b)
        return out

    def costs_of(b: np.ndarray, kk: int) -> np.ndarray:
        return b[0, :-1].reshape(n, h, kk)

    bufs = buffers_for(k)
    size = np.empty_like(bufs[0])
    with np.errstate(over="ignore", invalid="ignore"):
        last = cost(path, cur, costs_of(bufs[0], k))
        for iteration in range(MAX_ITERATIONS):
            up = sector_shares(last, cur)
            multiply(up, cur["eps"], out=up)
            add(up, 1.0, out=up)
            multiply(cur["base"][:, :, 1:], up, out=path[:, :, 1:])
            b = bufs[(iteration + 1) & 1]
            kk = b.shape[2]
            new = cost(path, cur, costs_of(b, kk))
            subtract(new, last, out=b[1, :-1].reshape(n, h, kk))
            np.abs(b, out=size)
            scale, change = maximum.reduce(size, axis=1)  # scale: max(|cost|, 1)
            done = change <= _TOLERANCE * scale
            # Costs that overflowed never settle (rare: the feedback ratio is below 0.9);
            # looked for now and then rather than every round.
            if done.any() or iteration % 64 == 63:
                finite = np.isfinite(scale)
                done &= finite & going
                np.copyto(kept, new, where=done)
                kept_settled |= done
                going &= ~done & finite
                if not going.any():
                    break
                if going.size > 64 and 2 * int(going.sum()) <= going.size:
                    if kept is not final:
                        final[..., ids], settled[ids] = kept, kept_settled
                    ids = ids[going]
                    path, kept_new = path[..., going], new[..., going]
                    cur = per_vector(ids)
                    going = np.ones(ids.size, dtype=bool)
                    kept, kept_settled = np.zeros_like(kept_new), np.zeros(ids.size, dtype=bool)
                    # ``new`` becomes ``last``: the next round writes the other buffer.
                    bufs = buffers_for(ids.size)
                    size = np.empty_like(bufs[0])
                    new = costs_of(bufs[(iteration + 1) & 1], ids.size)
                    new[...] = kept_new
            last = new
    if kept is not final:
        final[..., ids], settled[ids] = kept, kept_settled
    return final, sector_shares(final, full), settled
