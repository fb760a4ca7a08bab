"""One call from a district to every figure the panels, the CLI and the report show.

``compute(index, district, assumptions, instruments)`` selects what the district holds
through the city index (exact, milliseconds) and derives the concentration,
affordability-risk and incentive figures from that one selection. The hot-spot surface is
city-wide and slower, so it is computed apart (:mod:`analysis.hotspots`) and ``hotspots``
stays None here until a worker fills it in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry

from districtplanner.analysis.affordability import (
    _HOUSEHOLDS,
    AffordabilityMetrics,
    MitigationInputs,
    affordability,
    neighbourhood_base,
    neighbourhood_rates,
    new_station_share,
)
from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.concentration import (
    N_CREATIVE,
    ConcentrationMetrics,
    concentration,
)
from districtplanner.analysis.displacement import (
    CityTypologies,
    DisplacementMethods,
    city_typologies,
    district_methods,
)
from districtplanner.analysis.explain import explanation
from districtplanner.analysis.incentives import (
    EconomyInputs,
    IncentiveResult,
    Instrument,
    InstrumentKind,
    evaluate,
)
from districtplanner.analysis.index import CityIndex, Selection
from districtplanner.analysis.sensitivity import (
    DRAWS,
    SEED,
    Analysis,
    Sensitivity,
    location_quotient_interval,
)


@dataclass
class PlanCost:
    """The plan's public cost: the incentive package's NPV plus what its mitigation levers
    cost (the community land trust's land and the affordable-workspace set-aside), gross
    and net of the property tax the plan's uplift brings. Money in ``currency`` at
    constant prices; ``annual_total`` per plan year is the recurring part (package plus
    set-aside) that the annual budget cap is checked against."""

    currency: str
    package_npv: float
    affordable_workspace_npv: float
    clt_npv: float
    mitigation_npv: float
    gross_npv: float
    revenue_offset_npv: float
    net_npv: float
    annual_total: list[float]
    budget_cap: float
    over_budget_years: list[int]

    @property
    def within_budget(self) -> bool:
        return not self.over_budget_years

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "within_budget": self.within_budget,
                "clt_in_budget_check": False}


def plan_cost(inc: IncentiveResult | None, f: AffordabilityMetrics,
              a: Assumptions) -> PlanCost:
    """The plan's public cost (method: ``explain.METHODS["plan.cost"]``).

    The package's affordable-workspace subsidy is one of its instruments, so it is in
    the package's NPV and nowhere else; the set-aside lever is other floor space (its
    places add to the subsidy's in the firms-priced-out mitigation), so its cost adds."""
    h = int(a.horizon_years)
    package = np.zeros(h) if inc is None else np.asarray(inc.annual_total, dtype=np.float64)
    # No set-aside costs nothing even where the rent (its price) is unknown.
    if a.affordable_workspace_share > 0:
        set_aside = np.asarray(f.affordable_workspace_cost_by_year, dtype=np.float64)
        set_aside_npv = f.affordable_workspace_cost_npv
    else:
        set_aside, set_aside_npv = np.zeros(h), 0.0
    package_npv = 0.0 if inc is None else inc.npv
    offset = 0.0 if inc is None else inc.revenue_offset_npv
    mitigation = set_aside_npv + f.clt_cost_npv
    gross = package_npv + mitigation
    annual = package + set_aside
    cap = float(a.budget_cap)
    # The same rule as the package's own check (incentives.BUDGET_METHOD). The CLT's land
    # is a one-off capital purchase in year 0, not a yearly outlay: it stays outside.
    over = np.flatnonzero(annual > cap * (1 + 1e-12)).tolist() if cap > 0 else []
    return PlanCost(currency=a.currency, package_npv=package_npv,
                    affordable_workspace_npv=set_aside_npv, clt_npv=f.clt_cost_npv,
                    mitigation_npv=mitigation, gross_npv=gross, revenue_offset_npv=offset,
                    net_npv=gross - offset, annual_total=annual.tolist(), budget_cap=cap,
                    over_budget_years=over)


@dataclass
class Metrics:
    """Every figure of one district (or of the whole city when it is the baseline).

    ``explanations`` maps a figure key to its explain text (method, inputs with values,
    assumptions used); incentive keys come prefixed ``incentives.``.
    """

    name: str
    area_km2: float
    concentration: ConcentrationMetrics
    affordability: AffordabilityMetrics
    incentives: IncentiveResult | None
    assumptions: Assumptions
    hotspots: Any = None  # a HotspotSurface once the slow path has run
    is_baseline: bool = False
    # The published displacement methods side by side (None without neighbourhoods).
    displacement_methods: DisplacementMethods | None = None
    # What the sensitivity analysis needs (the selection is shared by every draw); the
    # analysis itself runs on demand (:meth:`tornado`, :meth:`sensitivity`).
    _analysis_inputs: tuple[Any, ...] | None = field(default=None, repr=False)
    _sensitivity: Sensitivity | None = field(default=None, repr=False)
    _plan_cost: PlanCost | None = field(default=None, repr=False)

    @property
    def plan_cost(self) -> PlanCost:
        """The package's NPV plus the mitigation levers' cost (built on first use)."""
        if self._plan_cost is None:
            self._plan_cost = plan_cost(self.incentives, self.affordability, self.assumptions)
        return self._plan_cost

    def analysis(self) -> Analysis | None:
        """The district's sensitivity analysis (None for the city baseline)."""
        if self._analysis_inputs is None or self.is_baseline:
            return None
        index, sel, instruments, share = self._analysis_inputs
        econ = economy_inputs(self.concentration, self.affordability.rent_median,
                              self.area_km2, share)
        lq = _lq_wilson(self.concentration, self._analysis_inputs)
        r = self.incentives
        values = None if r is None or not any(i.enabled for i in instruments) else {
            "creative_jobs_projected": float(r.projection.jobs_with_incentives[-1]),
            "npv": r.npv, "cost_per_job_year": r.cost_per_job_year,
            "within_budget": float(r.within_budget)}
        return Analysis(index, sel, self.assumptions, econ, instruments, share, lq, values)

    def tornado(self) -> Sensitivity | None:
        """Tornados and switching values of every headline figure (a few milliseconds at
        the 1M city: the incentive model runs every assumption end in one batch)."""
        an = self.analysis()
        return None if an is None else an.tornado()

    def tornado_fast(self) -> Sensitivity | None:
        """The affordability tornados alone (milliseconds: what a vertex drag affords)."""
        an = self.analysis()
        return None if an is None else an.tornado(include_incentives=False)

    def sensitivity(self, draws: int = DRAWS, seed: int = SEED) -> Sensitivity | None:
        """Tornados plus the Monte Carlo intervals (about 0.1 s at the 1M city: run it in
        the worker, not on a drag)."""
        if self._sensitivity is None or self._sensitivity.draws != draws \
                or self._sensitivity.seed != seed:
            an = self.analysis()
            self._sensitivity = None if an is None else an.monte_carlo(an.tornado(), draws,
                                                                       seed)
        return self._sensitivity
    _explanations: dict[str, str] | None = field(default=None, repr=False)

    @property
    def explanations(self) -> dict[str, str]:
        """Figure key -> explain text; built on first use (a panel asks for one at a time,
        so a vertex drag does not pay for formatting a dozen texts per frame)."""
        if self._explanations is None:
            texts = _explanations(self.concentration, self.affordability, self.area_km2,
                                  self.assumptions)
            if self.incentives is not None:
                texts.update({f"incentives.{k}": v
                              for k, v in self.incentives.explanations.items()})
            texts["plan.cost"] = _plan_cost_text(self.plan_cost, self.affordability,
                                                 self.assumptions)
            self._explanations = texts
        return self._explanations

    @property
    def projection(self) -> Any:
        """The growth projection (with and without incentives) of the incentive model."""
        return None if self.incentives is None else self.incentives.projection

    def to_dict(self, sensitivity: bool = True) -> dict[str, Any]:
        """JSON-ready: the keys of issue 4's 'Headless command' (stable; tools read them),
        NaN as null. ``sensitivity``: run the sensitivity analysis (about 0.1 s per
        district, cached) for the ``sensitivity`` key; False leaves it null."""
        inc = self.incentives.to_dict() if self.incentives is not None else {
            "npv": None, "nominal_total": None, "cost_per_job": None}
        projection = inc.pop("projection", None)
        inc.pop("explanations", None)
        aff = self.affordability.to_dict()
        conc = self.concentration.to_dict()
        # The establishment-based Wilson interval beside the jobs-based one (O(1)).
        conc["lq_interval_establishments"] = None if self.is_baseline else _lq_wilson(
            self.concentration, self._analysis_inputs)
        aff["displacement_methods"] = (None if self.displacement_methods is None
                                       else self.displacement_methods.to_dict())
        out = {
            "name": self.name,
            "area_km2": self.area_km2,
            "concentration": conc,
            "affordability": aff,
            "incentives": inc,
            "projection": projection,
            "plan_cost": self.plan_cost.to_dict(),
            "hotspots": None if self.hotspots is None else self.hotspots.summary(),
            "sensitivity": None if not sensitivity or self.is_baseline
            or self._analysis_inputs is None else self.sensitivity().to_dict(),
            "explanations": dict(self.explanations),
        }
        return _clean(out)


def _lq_wilson(c: ConcentrationMetrics, inputs: tuple[Any, ...] | None
               ) -> dict[str, Any] | None:
    """The establishment-based LQ interval (sensitivity.location_quotient_interval)."""
    if inputs is None:
        return None
    city = inputs[0].totals.count_by_sector
    return location_quotient_interval(c.creative_establishments, c.establishments,
                                      float(city[:N_CREATIVE].sum()), float(city.sum()))


def _clean(value: Any) -> Any:
    """Replace NaN/inf by None and numpy scalars by Python numbers, recursively."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def economy_inputs(conc: ConcentrationMetrics, rent_median: float, area_km2: float,
                   station_share: float = 0.0) -> EconomyInputs:
    """What the incentive model needs from the concentration and rent figures;
    ``station_share`` is the district's share within walking distance of a station the
    plan adds (existing stations' premium is already in the rents)."""
    firms = np.array([conc.by_sector[k].establishments for k in conc.by_sector])
    jobs = np.array([conc.by_sector[k].jobs for k in conc.by_sector])
    if not conc.jobs_known:
        # Without job counts, each firm counts as one job so cost per job stays defined.
        jobs = firms.copy()
    return EconomyInputs(
        creative_firms_by_sector=firms, creative_jobs_by_sector=jobs, area_km2=area_km2,
        density_ratio=conc.density_ratio if area_km2 > 0 else float("nan"),
        rent_median=rent_median, near_transit_share=station_share,
    )


def compute(
    index: CityIndex,
    district: BaseGeometry | None,
    assumptions: Assumptions,
    instruments: Sequence[Instrument] = (),
    name: str = "",
    new_stations: int = 0,
) -> Metrics:
    """Every fast figure of ``district`` (None: the whole-city baseline); ``new_stations``
    is the number of rail stations the plan adds inside it (the only ones whose uplift
    counts).

    ``district`` is a valid (multi)polygon in the index's CRS (metres), or a collection
    whose polygonal parts count; an empty or zero-area one gives zeros and empty
    distributions. Exact: point counts equal a point-in-polygon test of every point.
    """
    sel = index.select(district, assumptions.institution_buffer_m)
    return compute_selection(index, sel, assumptions, instruments,
                             name or ("City baseline" if district is None else ""),
                             new_stations)


def compute_selection(
    index: CityIndex,
    sel: Selection,
    assumptions: Assumptions,
    instruments: Sequence[Instrument] = (),
    name: str = "",
    new_stations: int = 0,
) -> Metrics:
    """The figures of an already made selection (the fast index's or the plain join's)."""
    a = assumptions
    conc = concentration(sel, index.totals, a, index.city.has_jobs)
    stations = 0.0 if sel.whole_city else new_station_share(new_stations, sel.area_m2, a)
    aff = affordability(index, sel, a, stations, mitigation_inputs(conc, instruments, a))
    area_km2 = sel.area_m2 / 1e6
    inc = evaluate(economy_inputs(conc, aff.rent_median, area_km2, stations), instruments, a)
    return Metrics(name=name, area_km2=area_km2, concentration=conc, affordability=aff,
                   incentives=inc, assumptions=a, is_baseline=sel.whole_city,
                   displacement_methods=displacement_methods(index, sel, a),
                   _analysis_inputs=(index, sel, tuple(instruments), stations))


def mitigation_inputs(conc: ConcentrationMetrics, instruments: Sequence[Instrument],
                      a: Assumptions) -> MitigationInputs:
    """The package's workspace subsidy (its floor area and rent cap) and the district's
    creative floor area, so the subsidy counts as firm places in the firms-priced-out
    mitigation and the set-aside lever gets a cost."""
    subs = [i for i in instruments if i.enabled and i.kind is InstrumentKind.WORKSPACE_SUBSIDY]
    area = float(sum(i.param("floor_area_m2") for i in subs))
    cap = min((i.param("rent_cap_share") for i in subs), default=0.8)
    jobs = conc.creative_jobs if conc.jobs_known else conc.creative_establishments
    floor = jobs * a.floor_area_per_job
    per_firm = floor / conc.creative_establishments if conc.creative_establishments else float(
        "nan")
    return MitigationInputs(area, cap, floor, per_firm)


def displacement_methods(index: CityIndex, sel: Selection, a: Assumptions
                         ) -> DisplacementMethods | None:
    """The published methods' reading of ``sel``; the city's classes are computed once
    per index and households vector (household_size can change the latter)."""
    base = neighbourhood_base(index)
    if base is None:
        return None
    hh = neighbourhood_rates(index, base, a).table[_HOUSEHOLDS]
    cached: tuple[np.ndarray, CityTypologies] | None = getattr(index, "_typologies", None)
    if cached is None or not np.array_equal(cached[0], hh, equal_nan=True):
        cached = (hh.copy(), city_typologies(index.city.neighbourhoods, hh))
        index._typologies = cached  # type: ignore[attr-defined]
    return district_methods(cached[1], sel.nbhd_index, sel.nbhd_fraction, hh)


def _explanations(c: ConcentrationMetrics, f: AffordabilityMetrics, area_km2: float,
                  a: Assumptions) -> dict[str, str]:
    texts = _figure_texts(c, f, area_km2, a)
    for key, reason in f.missing.items():
        # An unknown figure says why instead of formatting NaN.
        texts[key] = explanation(key, {}, a, f"— ({reason})")
    return texts


def _figure_texts(c: ConcentrationMetrics, f: AffordabilityMetrics, area_km2: float,
                  a: Assumptions) -> dict[str, str]:
    basis = c.lq_basis
    return {
        "concentration.counts": explanation(
            "concentration.counts",
            {"establishments": c.establishments, "creative establishments":
             c.creative_establishments, "jobs": c.jobs, "creative jobs": c.creative_jobs},
            a),
        "concentration.density": explanation(
            "concentration.density", {"A (km²)": area_km2}, a,
            f"{c.creative_establishments_per_km2:,.1f} creative firms/km², "
            f"{c.creative_jobs_per_km2:,.1f} creative jobs/km²"),
        "concentration.share_of_city": explanation(
            "concentration.share_of_city", {}, a,
            f"{c.share_of_city_creative_establishments:.1%} of creative firms, "
            f"{c.share_of_city_creative_jobs:.1%} of creative jobs"),
        "concentration.location_quotient": explanation(
            "concentration.location_quotient", {"basis": basis}, a,
            f"LQ = {c.location_quotient:.2f}"
            + ("" if c.lq_interval_jobs is None else
               f" (90% interval on jobs {c.lq_interval_jobs['low']:.2f} to "
               f"{c.lq_interval_jobs['high']:.2f}, delta method on the log-odds)")
            + "; " + ", ".join(
                f"{k} {s.location_quotient:.2f}" for k, s in c.by_sector.items())),
        "concentration.diversity": explanation(
            "concentration.diversity", {"basis": basis}, a,
            f"H = {c.entropy:.3f}, HHI = {c.hhi:.3f}"),
        "concentration.transit": explanation(
            "concentration.transit", {"creative firms": c.creative_establishments}, a,
            f"{c.transit_near_share:.1%} within {c.transit_near_m:g} m, "
            f"{c.transit_far_share:.1%} within {c.transit_far_m:g} m"),
        "concentration.institutions": explanation(
            "concentration.institutions", {}, a,
            "inside: " + _counts(c.institutions_inside) + "; near: "
            + _counts(c.institutions_near)),
        "affordability.rent": explanation(
            "affordability.rent", {"source": f.rent_source, "observations":
                                   f.rent_observations}, a,
            f"median {f.rent_median:.2f}, IQR {f.rent_iqr:.2f} {a.currency}/m²/month, "
            f"city percentile {f.rent_city_percentile:.0f}"),
        "affordability.households": explanation(
            "affordability.households", {}, a, f"{f.households:,.0f} households"),
        "affordability.rent_burden": explanation(
            "affordability.rent_burden", {"renter households (area-weighted)":
                                          f.renter_households}, a,
            f"{f.rent_burden_share:.1%} burdened, {f.severe_rent_burden_share:.1%} "
            f"severely; {f.rent_overburden_share_eu:.1%} over the EU's 40% line"),
        "affordability.displacement": explanation(
            "affordability.displacement", {"V": f.vulnerability, "M": f.market_pressure,
                                           "P": f.plan_pressure, "u": f.plan_uplift}, a,
            f"D = {f.displacement_risk:.2f} ({f.displacement_class})"),
        "affordability.projected_rent": explanation(
            "affordability.projected_rent", {"R_0": f.rent_median, "u": f.plan_uplift}, a,
            f"{f.projected_rent_without_plan:.2f} without the plan, "
            f"{f.projected_rent:.2f} with it ({a.currency}/m²/month)"),
        "affordability.households_priced_out": explanation(
            "affordability.households_priced_out", {"renter households":
                                                    f.renter_households}, a,
            f"{f.households_priced_out_without_plan:,.0f} without the plan, "
            f"{f.households_priced_out:,.0f} with it, "
            f"{f.households_priced_out_mitigated:,.0f} with the CLT share; the CLT's "
            f"{f.clt_homes:,.0f} homes cost {f.clt_cost_npv:,.0f} {a.currency} "
            "(land bought today, present value)"),
        "affordability.firms_priced_out": explanation(
            "affordability.firms_priced_out", {"creative firms with a known rent":
                                               f.creative_firms_rent_known}, a,
            f"{f.creative_firms_priced_out_without_plan:,.0f} without the plan, "
            f"{f.creative_firms_priced_out:,.0f} with it, "
            f"{f.creative_firms_priced_out_mitigated:,.0f} with affordable workspace; "
            f"{f.creative_firms_above_capacity:,.0f} already above capacity; the set-aside "
            f"costs {f.affordable_workspace_cost_npv:,.0f} {a.currency} (present value), "
            f"the package's workspace subsidy adds {f.package_workspace_places:,.1f} "
            "firm places"),
    }


def _plan_cost_text(p: PlanCost, f: AffordabilityMetrics, a: Assumptions) -> str:
    cur = p.currency

    def money(v: float) -> str:
        return f"{v:,.0f} {cur}" if math.isfinite(v) else "unknown"

    cap = "no cap" if p.budget_cap <= 0 else (
        f"recurring cost within the {money(p.budget_cap)} yearly cap" if p.within_budget
        else f"recurring cost over the {money(p.budget_cap)} yearly cap in plan years "
        + ", ".join(map(str, p.over_budget_years)))
    result = (f"gross {money(p.gross_npv)} = package {money(p.package_npv)} + CLT land "
              f"{money(p.clt_npv)} + workspace set-aside {money(p.affordable_workspace_npv)}"
              f"; net of the property tax on the uplift ({money(p.revenue_offset_npv)}) "
              f"{money(p.net_npv)}; {cap} (the CLT's land, a one-off purchase, is not in "
              "the yearly check)")
    if not math.isfinite(p.gross_npv) and "affordability.rent" in f.missing:
        result += f"; unknown without rents: {f.missing['affordability.rent']}"
    return explanation("plan.cost", {"CLT homes": f.clt_homes,
                                     "package's protected workspace places":
                                     f.package_workspace_places}, a, result)


def _counts(d: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in d.items() if v) or "none"


__all__ = ["N_CREATIVE", "Metrics", "PlanCost", "compute", "compute_selection",
           "economy_inputs", "plan_cost"]
