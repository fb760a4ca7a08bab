"""Affordability-risk figures of a district: rents against the city, rent burden, the
displacement-risk index, projected rent after designation and who is priced out, with and
without mitigations. Methods: docs/methods.md ("## Affordability risk"), texts held in
:mod:`analysis.explain`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.index import CityIndex, Selection, _weighted_quantile

RISK_CLASSES: tuple[str, ...] = ("low", "moderate", "high", "very high")
# Upper bounds of the first three classes on the 0..1 index (quartiles of its range).
RISK_CLASS_BOUNDS: tuple[float, ...] = (0.25, 0.5, 0.75)


def risk_class(index: float) -> str | None:
    """The class of a displacement-risk index value in 0..1; None when it is unknown."""
    if not math.isfinite(index):
        return None
    return RISK_CLASSES[sum(index >= b for b in RISK_CLASS_BOUNDS)]


def rent_quantiles(values: np.ndarray, weights: np.ndarray | None = None
                   ) -> tuple[float, float, float]:
    """(first quartile, median, third quartile) of rents (currency/m²/month); NaN when
    empty. Unweighted: numpy's linear interpolation; weighted (rent polygons by area
    inside): the smallest value whose cumulative weight reaches the quantile."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        return (float("nan"),) * 3  # type: ignore[return-value]
    if weights is None:
        return sorted_quantiles(np.sort(v), QUARTILES)  # type: ignore[return-value]
    order = np.argsort(v, kind="stable")
    v, w = v[order], np.asarray(weights, dtype=np.float64).ravel()[order]
    return tuple(_weighted_quantile(v, w, q) for q in QUARTILES)  # type: ignore[return-value]


QUARTILES: tuple[float, ...] = (0.25, 0.5, 0.75)


def sorted_quantiles(s: np.ndarray, qs: tuple[float, ...]) -> tuple[float, ...]:
    """``np.quantile(s, qs)`` (method 'linear') of ascending, non-empty ``s`` (NaN last,
    as np.sort leaves them), as Python floats.

    numpy's own steps: the values either side of (n − 1) × q (beyond the last index, the
    last value for both) and its two-sided lerp; NaN throughout when a value is NaN. The
    same numbers, though a zero may differ in sign (numpy's partition may order 0.0 and
    -0.0 differently). np.quantile spends ~60 µs per frame on argument handling for three
    numbers, and the district's rents are sorted once for the histogram anyway.
    """
    n = s.size
    if math.isnan(s[-1]):
        return (float("nan"),) * len(qs)
    virtual = [(n - 1) * q for q in qs]
    below = [-1 if x >= n - 1 else math.floor(x) for x in virtual]
    above = [-1 if x >= n - 1 else k + 1 for x, k in zip(virtual, below, strict=True)]
    out = []
    for x, k, a, b in zip(virtual, below, s[below].tolist(), s[above].tolist(), strict=True):
        t = x - k
        d = b - a
        out.append(b - d * (1 - t) if t >= 0.5 else a + d * t)
    return tuple(out)


def city_percentile(value: float, sorted_values: np.ndarray,
                    sorted_weights: np.ndarray | None = None) -> float:
    """Percent (0..100) of the city's rent observations (area for polygons) at or below
    ``value``; NaN when either is missing."""
    if sorted_values.size == 0 or not math.isfinite(value):
        return float("nan")
    k = int(np.searchsorted(sorted_values, value, side="right"))
    if sorted_weights is None:
        return 100.0 * k / sorted_values.size
    cw = np.cumsum(sorted_weights)
    return 100.0 * (float(cw[k - 1]) if k else 0.0) / float(cw[-1])


def share_below(income: np.ndarray | float, median_income: np.ndarray | float,
                sigma: float) -> np.ndarray:
    """Share of households with income below ``income`` when incomes are lognormal with
    median ``median_income`` (same currency/year) and log standard deviation ``sigma``."""
    income = np.asarray(income, dtype=np.float64)
    median_income = np.asarray(median_income, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(income) - np.log(median_income)) / sigma
    from scipy.special import ndtr  # here, not at the top: scipy.special costs ~0.2 s to import

    return ndtr(z)


def burden_share(rent_m2: np.ndarray | float, median_income: np.ndarray | float,
                 assumptions: Assumptions, threshold: float | None = None) -> np.ndarray:
    """Share of renter households whose gross rent exceeds ``threshold`` (default the
    rent-burden threshold) of income: gross rent = rent_m2 (contract rent,
    currency/m²/month) x (1 + utilities_share) x dwelling_floor_area x 12, incomes lognormal
    around ``median_income`` (currency/year)."""
    t = assumptions.rent_burden_threshold if threshold is None else threshold
    annual_rent = (np.asarray(rent_m2, dtype=np.float64) * assumptions.dwelling_floor_area
                   * 12 * (1 + assumptions.utilities_share))
    return share_below(annual_rent / t, median_income, assumptions.income_sigma)


@dataclass
class NeighbourhoodRisk:
    """The displacement-risk index of one neighbourhood the district touches. ``row`` is its
    position in the neighbourhoods layer; ``rent`` its typical rent (currency/m²/month)."""

    name: str
    row: int
    rent: float
    fraction_inside: float
    households_inside: float
    vulnerability: float
    market_pressure: float
    plan_pressure: float
    risk: float
    risk_class: str | None
    rent_burden_share: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class MitigationInputs:
    """What the mitigation figures need from elsewhere: the package's subsidised workspace
    (m²) and its rent cap (share of market rent), the district's creative floor area (m²)
    and the average floor area of one creative firm there (m²)."""

    package_workspace_m2: float = 0.0
    package_rent_cap: float = 0.8
    creative_floor_m2: float = 0.0
    firm_floor_m2: float = float("nan")


@dataclass
class AffordabilityMetrics:
    """Who a district puts at risk. Rents in currency/m²/month; shares 0..1."""

    rent_source: str | None
    rent_observations: int
    rent_median: float
    rent_q1: float
    rent_q3: float
    rent_iqr: float
    rent_city_median: float
    rent_city_percentile: float
    households: float
    renter_households: float
    rent_burden_share: float
    severe_rent_burden_share: float
    # Eurostat's housing cost overburden: rent above overburden_threshold (40%) of income.
    rent_overburden_share_eu: float
    displacement_risk: float
    displacement_class: str | None
    vulnerability: float
    market_pressure: float
    plan_pressure: float
    plan_uplift: float
    projected_rent_without_plan: float
    projected_rent: float
    horizon_years: int
    rent_path_without_plan: list[float]
    rent_path: list[float]
    households_priced_out_without_plan: float
    households_priced_out: float
    households_priced_out_mitigated: float
    creative_firms_rent_known: int
    creative_firms_priced_out_without_plan: float
    creative_firms_priced_out: float
    creative_firms_priced_out_mitigated: float
    # Expected creative firms already paying more than they can afford today (counted
    # apart: the plan cannot price out a firm that is already above its capacity).
    creative_firms_above_capacity: float
    # Firm places the package's workspace subsidy adds to the mitigation, and the present
    # cost of the affordable-workspace set-aside (currency, constant prices).
    package_workspace_places: float
    affordable_workspace_cost_npv: float
    # The set-aside's cost in each plan year 0..H-1 (currency, constant prices): a yearly
    # outlay, so the plan's budget check counts it with the package.
    affordable_workspace_cost_by_year: list[float]
    # Renter homes the community land trust share takes in (clt_share × renter households)
    # and the present cost of buying the land under them today (currency, constant prices).
    clt_homes: float
    clt_cost_npv: float
    neighbourhoods: list[NeighbourhoodRisk] = field(default_factory=list)
    # Figure key (as in METHODS, e.g. "affordability.rent_burden") -> why it is unknown, in
    # planner words: the missing layer or column and what to add. Its figures are NaN.
    missing: dict[str, str] = field(default_factory=dict)
    # Rent distribution for charts: shared bin edges (currency/m²/month) and the percent of
    # the district's and the city's rent observations (weighted as the quantiles) per bin.
    rent_hist_edges: np.ndarray = field(default_factory=lambda: np.empty(0))
    rent_hist_district: np.ndarray = field(default_factory=lambda: np.empty(0))
    rent_hist_city: np.ndarray = field(default_factory=lambda: np.empty(0))

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items()
             if k != "neighbourhoods" and not k.startswith("rent_hist")}
        d["neighbourhoods"] = [n.to_dict() for n in self.neighbourhoods]
        d["rent_histogram"] = {"edges": self.rent_hist_edges.tolist(),
                               "district_percent": self.rent_hist_district.tolist(),
                               "city_percent": self.rent_hist_city.tolist()}
        return {k: (None if isinstance(v, float) and not np.isfinite(v) else
                    [None if not np.isfinite(x) else x for x in v]
                    if k.startswith(("rent_path", "affordable_workspace_cost_by")) else v)
                for k, v in d.items()}


def _percentile_rank(values: np.ndarray) -> np.ndarray:
    """Rank of each value among all, scaled to 0..1 (ties share their mean rank; NaN
    stays NaN; a single value ranks 0.5)."""
    out = np.full(values.shape, np.nan)
    ok = np.isfinite(values)
    n = int(ok.sum())
    if n == 0:
        return out
    if n == 1:
        out[ok] = 0.5
        return out
    v = values[ok]
    order = np.argsort(v, kind="stable")
    s = v[order]
    first = np.r_[True, s[1:] != s[:-1]]
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], n]
    mean_rank = (starts + ends - 1) / 2.0  # zero-based mean rank of each tie group
    ranks = np.empty(n)
    ranks[order] = mean_rank[np.cumsum(first) - 1]
    out[ok] = ranks / (n - 1)
    return out


def _nanmean_rows(*cols: np.ndarray) -> np.ndarray:
    """Mean of the known values per column; NaN where none is known (never a made-up 0)."""
    stack = np.vstack(cols)
    ok = np.isfinite(stack)
    total = np.where(ok, stack, 0.0).sum(axis=0)
    n = ok.sum(axis=0)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


@dataclass
class NeighbourhoodBase:
    """Assumption-independent neighbourhood columns, cached on the index."""

    names: np.ndarray
    households: np.ndarray  # the households column; NaN where not given
    population: np.ndarray  # the population column; NaN where not given
    renter_share: np.ndarray
    median_income: np.ndarray
    rent: np.ndarray
    rent_rank: np.ndarray
    growth_rank: np.ndarray
    area_median_income: float


def neighbourhood_base(index: CityIndex) -> NeighbourhoodBase | None:
    """Neighbourhood columns and city ranks, computed once per index."""
    cached = index.nbhd_base
    if cached is not None or index.nbhd_overlay is None:
        return cached  # type: ignore[return-value]
    nb = index.city.neighbourhoods
    hh = _non_negative(nb["households"].to_numpy(np.float64))
    pop = _non_negative(nb["population"].to_numpy(np.float64))
    inc = nb["median_income"].to_numpy(np.float64)
    ok = np.isfinite(inc) & (inc > 0)
    # The area median income weights by households where known (else equally).
    hh_w = np.where(np.isfinite(hh), hh, np.where(np.isfinite(pop), pop, 1.0))
    if ok.any():
        order = np.argsort(inc[ok])
        cw = np.cumsum(hh_w[ok][order])
        k = int(np.searchsorted(cw, 0.5 * cw[-1])) if cw[-1] > 0 else len(order) // 2
        ami = float(inc[ok][order][min(k, len(order) - 1)])
    else:
        ami = float("nan")
    base = NeighbourhoodBase(
        names=nb["name"].astype(str).to_numpy(),
        households=hh,
        population=pop,
        renter_share=np.clip(nb["renter_share"].to_numpy(np.float64), 0, 1),
        median_income=np.where(ok, inc, np.nan),
        rent=index.nbhd_rent,
        rent_rank=_percentile_rank(index.nbhd_rent),
        growth_rank=_percentile_rank(nb["rent_growth"].to_numpy(np.float64)),
        area_median_income=ami,
    )
    index.nbhd_base = base
    return base


def capacity_below(x: np.ndarray, capacity: np.ndarray | float, spread: np.ndarray | float
                   ) -> np.ndarray:
    """P(C < x) for a creative firm's rent capacity C, triangular from capacity·(1 -
    spread) through its mode ``capacity`` to capacity·(1 + spread) (currency/m²/month);
    with spread 0 every firm can pay exactly ``capacity`` (the step x > capacity)."""
    x = np.asarray(x, dtype=np.float64)
    c = np.asarray(capacity, dtype=np.float64)
    w = np.asarray(spread, dtype=np.float64) * c
    if c.ndim == 0 and w.ndim == 0 and w > 0:
        # One capacity for every firm (the vertex-drag path, five calls per edit): in units
        # of the half-width the CDF is t²/2 up to the mode and 1 - (2 - t)²/2 after it,
        # four array passes instead of a dozen.
        t = np.clip((x - (c - w)) / w, 0.0, 2.0)
        return np.where(t <= 1.0, 0.5 * t * t, 1.0 - 0.5 * (2.0 - t) ** 2)
    if not np.any(w > 0):
        return (x > c).astype(np.float64)
    lo, hi = c - w, c + w
    with np.errstate(divide="ignore", invalid="ignore"):
        left = (x - lo) ** 2 / (2 * w * w)
        right = 1 - (hi - x) ** 2 / (2 * w * w)
    out = np.where(x <= c, left, right)
    out = np.where(x <= lo, 0.0, np.where(x >= hi, 1.0, out))
    return np.where(w > 0, out, (x > c).astype(np.float64))


def _non_negative(v: np.ndarray) -> np.ndarray:
    """Counts: negative values are errors in the file, kept unknown (NaN), not zeroed."""
    return np.where(np.isfinite(v) & (v >= 0), v, np.nan)


def plan_uplift(assumptions: Assumptions, new_station_share: float) -> float:
    """Rent uplift the designation adds: designation uplift plus the residential
    rail-station uplift times the share of the district within walking distance of a
    station the plan adds. Existing stations add nothing: their premium is already in
    today's rents (Debrezion, Pels & Rietveld 2007 measure that very gap)."""
    return (assumptions.designation_uplift
            + assumptions.transit_uplift_residential * new_station_share)


def new_station_share(new_stations: int, area_m2: float, assumptions: Assumptions) -> float:
    """Share (0..1) of a district of ``area_m2`` within transit_near_m of the ``new_stations``
    stations the plan adds, taking each station's walking catchment (a disc) as wholly
    inside and not overlapping another: min(1, n·π·d² / A). An upper bound where
    catchments overlap or cross the edge; 0 without new stations."""
    if new_stations <= 0 or area_m2 <= 0:
        return 0.0
    return min(1.0, new_stations * math.pi * assumptions.transit_near_m ** 2 / area_m2)


# Rows of ``NeighbourhoodRates.table``: one fancy index picks every column a district needs.
(_HOUSEHOLDS, _RENTERS, _RENT, _BURDEN_NOW, _BURDEN_SEVERE, _BURDEN_BASE, _PRICED_OUT_BASE,
 _LOG_INCOME_THEN, _VULNERABILITY, _MARKET, _INDEX_VM, _BURDEN_EU) = range(12)


@dataclass
class NeighbourhoodRates:
    """Per neighbourhood of the city, everything one set of assumptions makes of it that
    does not depend on the district: burden shares today and in H years without the plan,
    vulnerability and market pressure. Cached on the index per assumptions, so a vertex
    drag only picks the touched neighbourhoods' columns instead of recomputing them.

    ``table`` rows: households (the column, else population / household_size, else NaN),
    renter share (NaN when unknown: never assumed), typical rent, burden
    share today, severe burden share today, burden share in H years without the plan,
    growth of that burden (≥ 0), log of the median income in H years, vulnerability,
    market pressure, and the weighted vulnerability + market part of the risk index.
    """

    assumptions: Assumptions
    table: np.ndarray
    names: list[str]


def neighbourhood_rates(index: CityIndex, base: NeighbourhoodBase,
                        a: Assumptions) -> NeighbourhoodRates:
    """``NeighbourhoodRates`` of ``index`` under ``a``, computed once per assumptions.

    Every column is the element-wise formula of the district figures applied to all
    neighbourhoods, so a district's slice equals computing it on the district's rows.
    """
    cached = getattr(index, "_nbhd_rates", None)
    if cached is not None and (cached.assumptions is a or cached.assumptions == a):
        return cached
    market = (1 + a.market_rent_growth) ** int(a.horizon_years)
    income = (1 + a.income_growth) ** int(a.horizon_years)
    rent, m_inc = base.rent, base.median_income
    # Renters' median income: renters earn less than owners, and only renters pay rent.
    m_rent = m_inc * a.renter_income_ratio
    # Gross rent: contract rent plus utilities, a share of it (HUD's and Eurostat's burden).
    annual = np.outer((1.0, 1.0, market, 1.0), rent) * (
        a.dwelling_floor_area * 12 * (1 + a.utilities_share))
    limits = annual / np.array([a.rent_burden_threshold, a.severe_rent_burden_threshold,
                                a.rent_burden_threshold, a.overburden_threshold])[:, None]
    incomes = np.outer((1.0, 1.0, income, 1.0), m_rent)
    # Unknown rent or income leaves the share unknown (NaN), so the district's figure is too.
    b_now, b_severe, b_base, b_eu = share_below(limits, incomes, a.income_sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_income_then = np.log(income * m_rent)
    low = share_below(a.low_income_fraction * base.area_median_income, m_inc, a.income_sigma)
    vuln = _nanmean_rows(low, base.renter_share)
    mkt = _nanmean_rows(base.rent_rank, base.growth_rank)
    hh = np.where(np.isfinite(base.households), base.households,
                  base.population / a.household_size)
    table = np.vstack([
        hh, base.renter_share, rent, b_now, b_severe, b_base,
        np.maximum(b_base - b_now, 0.0), log_income_then, vuln, mkt,
        a.weight_vulnerability * vuln + a.weight_market * mkt, b_eu,
    ])
    rates = NeighbourhoodRates(a, table, [str(n) for n in base.names])
    index._nbhd_rates = rates  # type: ignore[attr-defined]
    return rates


def _touched_unknown(base: NeighbourhoodBase, sel: Selection, column: np.ndarray) -> str:
    """'k of n neighbourhoods it touches (names…)' lacking ``column``; '' when none."""
    i = sel.nbhd_index
    bad = i[~np.isfinite(column[i])]
    if bad.size == 0:
        return ""
    names = ", ".join(base.names[bad[:3]].tolist()) + (", …" if bad.size > 3 else "")
    return f"{bad.size} of the {i.size} neighbourhoods it touches ({names})"


def missing_inputs(index: CityIndex, base: NeighbourhoodBase | None, sel: Selection,
                   households: float, renters: float, burden: float, risk: float,
                   creative_firms: int, firms_rent_known: int) -> dict[str, str]:
    """Figure key -> why the figure cannot be computed, naming the missing layer or column
    and what to add. A figure is listed when its value came out unknown (NaN) or when an
    input it needs is absent altogether (so no 0 stands in for 'no data')."""
    out: dict[str, str] = {}
    no_rent = index.city.rent_kind is None
    rent_msg = "no rent layer (add one: File > Add layer… in the app, --rents FILE)"
    if no_rent:
        for key in ("affordability.rent", "affordability.projected_rent"):
            out[key] = rent_msg
    if base is None:
        msg = ("no neighbourhood layer: add one (--neighbourhoods FILE on the command "
               "line) with households or population, median income and renter share")
        for key in ("affordability.households", "affordability.rent_burden",
                    "affordability.displacement", "affordability.households_priced_out"):
            out[key] = msg
    else:
        a_hh = np.where(np.isfinite(base.households), base.households, base.population)
        gaps = {
            "households": _touched_unknown(base, sel, a_hh),
            "renter share": _touched_unknown(base, sel, base.renter_share),
            "median income": _touched_unknown(base, sel, base.median_income),
        }

        def why(*cols: str) -> str:
            told = [f"no {c} for {gaps[c]}" for c in cols if gaps[c]]
            return "; ".join(told) or "its inputs are unknown"

        if not math.isfinite(households):
            out["affordability.households"] = (
                why("households") + ": map a households or a population column")
        if no_rent or not (math.isfinite(renters) and math.isfinite(burden)):
            reason = rent_msg if no_rent else why("households", "renter share", "median income")
            out["affordability.rent_burden"] = reason
            out["affordability.households_priced_out"] = reason
        if no_rent or not math.isfinite(risk):
            out["affordability.displacement"] = (
                rent_msg if no_rent else why("households", "renter share", "median income"))
    if creative_firms and (no_rent or firms_rent_known == 0):
        out["affordability.firms_priced_out"] = (
            rent_msg if no_rent else "no rent observation where its creative firms are")
    return out


HISTOGRAM_BINS = 30


def _percent_histogram(values: np.ndarray, weights: np.ndarray | None,
                       edges: np.ndarray) -> np.ndarray:
    counts, _ = np.histogram(values, bins=edges, weights=weights)
    return _percent(counts)


def _percent(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return 100.0 * counts / total if total > 0 else np.zeros(counts.size)


def sorted_bin_counts(s: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``np.histogram(s, bins=edges)[0]`` of ascending ``s`` (NaN last), by numpy's own
    method without its sort: bins half-open except the last, which holds its upper edge;
    values outside the edges and NaN fall in no bin. ``edges`` must increase."""
    cum = np.empty(edges.size, np.intp)
    cum[:-1] = np.searchsorted(s, edges[:-1], side="left")
    cum[-1] = np.searchsorted(s, edges[-1], side="right")
    return cum[1:] - cum[:-1]


def rent_histogram(index: CityIndex, sel: Selection,
                   sorted_rents: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Percent of rent observations per bin, district and city, on bins shared across the
    city (its 1st to 99th percentile; values outside fall in no bin). The city's histogram
    is computed once per index. ``sorted_rents``: the district's unweighted rents already
    sorted, which spares np.histogram its own sort."""
    cached = getattr(index, "_rent_histogram", None)
    if cached is None:
        city = index.totals.rent_sorted
        finite = city[np.isfinite(city)]
        if finite.size == 0:
            cached = (np.empty(0), np.empty(0))
        else:
            lo, hi = np.percentile(finite, (1, 99))
            hi = hi if hi > lo else lo + 1.0
            edges = np.linspace(lo, hi, HISTOGRAM_BINS + 1)
            w = index.totals.rent_weights_sorted
            cached = (edges, _percent_histogram(city, w, edges))
        index._rent_histogram = cached  # type: ignore[attr-defined]
    edges, city_hist = cached
    if edges.size == 0:
        return {}
    if sorted_rents is not None and sel.rent_weights is None:
        district = _percent(sorted_bin_counts(sorted_rents, edges))
    else:
        district = _percent_histogram(sel.rent_values, sel.rent_weights, edges)
    return {"rent_hist_edges": edges, "rent_hist_district": district,
            "rent_hist_city": city_hist}


def _ratio(num: float, den: float) -> float:
    """num / den; 0 for an empty denominator, NaN for an unknown one."""
    if not math.isfinite(den):
        return float("nan")
    return num / den if den > 0 else 0.0


def affordability(
    index: CityIndex, sel: Selection, assumptions: Assumptions, new_station_share: float = 0.0,
    mitigation: MitigationInputs | None = None,
) -> AffordabilityMetrics:
    """Every affordability-risk figure of ``sel``; ``new_station_share`` is the share of the
    district within transit_near_m of a station the plan adds (:func:`new_station_share`).
    A figure whose inputs are missing is NaN and ``missing`` says why."""
    a = assumptions
    totals = index.totals
    # Unweighted rents sorted once, for the quartiles and the histogram.
    sorted_rents = (np.sort(np.asarray(sel.rent_values, dtype=np.float64).ravel())
                    if sel.rent_weights is None else None)
    if sorted_rents is not None and sorted_rents.size:
        q1, med, q3 = sorted_quantiles(sorted_rents, QUARTILES)
    else:
        q1, med, q3 = rent_quantiles(sel.rent_values, sel.rent_weights)
    city_q = index.rent_city_quantiles
    horizon = int(a.horizon_years)
    market = (1 + a.market_rent_growth) ** horizon
    income = (1 + a.income_growth) ** horizon
    # The city baseline and an empty district carry no designation.
    designated = not sel.whole_city and sel.area_m2 > 0
    uplift = plan_uplift(a, new_station_share) if designated else 0.0

    # ---- neighbourhoods the district touches, weighted by households inside ----------
    base = neighbourhood_base(index)
    # Without a neighbourhood layer these are unknown; an empty district holds none.
    zero = float("nan") if base is None else 0.0
    hh_in = renters_in = burden = severe = risk = overburden = zero
    v_d = m_d = p_d = zero
    po_base = po_plan = zero
    rows: list[NeighbourhoodRisk] = []
    if base is not None and sel.nbhd_index.size:
        rates = neighbourhood_rates(index, base, a)
        i, f = sel.nbhd_index, sel.nbhd_fraction
        col = rates.table[:, i]
        b_now = col[_BURDEN_NOW]
        if uplift == 0.0:  # (1 + 0) × market is market: the burden without the plan
            b_plan = col[_BURDEN_BASE]
        else:
            # Row "in H years with the plan" of the burden formula (see neighbourhood_rates).
            limit = market * (1 + uplift) * col[_RENT] * (
                a.dwelling_floor_area * 12 * (1 + a.utilities_share)) / a.rent_burden_threshold
            from scipy.special import ndtr  # deferred, as in share_below

            with np.errstate(divide="ignore", invalid="ignore"):
                b_plan = ndtr((np.log(limit) - col[_LOG_INCOME_THEN]) / a.income_sigma)
            b_plan[~np.isfinite(b_plan)] = 0.0
        plan = np.minimum(1.0, f * uplift / a.uplift_full_pressure)
        wsum = a.weight_vulnerability + a.weight_market + a.weight_plan
        r_i = ((col[_INDEX_VM] + a.weight_plan * plan) / wsum) if wsum > 0 \
            else np.zeros_like(plan)
        # Household-weighted sums, one reduction: households, renters, burdened renters,
        # severely burdened, risk, V, M, P, and renters priced out without / with the plan.
        terms = np.empty((11, i.size))
        h, rh = terms[0], terms[1]
        np.multiply(col[_HOUSEHOLDS], f, out=h)
        np.multiply(h, col[_RENTERS], out=rh)
        np.multiply(rh, b_now, out=terms[2])
        np.multiply(rh, col[_BURDEN_SEVERE], out=terms[3])
        np.multiply(h, r_i, out=terms[4])
        np.multiply(h, col[_VULNERABILITY], out=terms[5])
        np.multiply(h, col[_MARKET], out=terms[6])
        np.multiply(h, plan, out=terms[7])
        np.multiply(rh, col[_PRICED_OUT_BASE], out=terms[8])
        np.subtract(b_plan, b_now, out=terms[9])
        np.maximum(terms[9], 0.0, out=terms[9])
        np.multiply(rh, terms[9], out=terms[9])
        np.multiply(rh, col[_BURDEN_EU], out=terms[10])
        (hh_in, renters_in, s_burden, s_severe, s_risk, s_v, s_m, s_p, po_base,
         po_plan, s_eu) = np.add.reduce(terms, axis=1).tolist()
        burden, severe = _ratio(s_burden, renters_in), _ratio(s_severe, renters_in)
        overburden = _ratio(s_eu, renters_in)
        risk, v_d, m_d, p_d = (_ratio(x, hh_in) for x in (s_risk, s_v, s_m, s_p))
        # Every touched neighbourhood (all of them for the city baseline, which the map's
        # risk classes and the charts' neighbourhood marks read).
        k = i.tolist()
        names = rates.names
        classes = [risk_class(x) for x in r_i.tolist()]
        rows = list(map(NeighbourhoodRisk, [names[j] for j in k], k, col[_RENT].tolist(),
                        f.tolist(), h.tolist(), col[_VULNERABILITY].tolist(),
                        col[_MARKET].tolist(), plan.tolist(), r_i.tolist(), classes,
                        b_now.tolist()))

    # ---- creative firms: local rent now and projected against what they can pay -------
    r = np.asarray(sel.creative_rent, dtype=np.float64)
    n_creative = r.size
    r = r[np.isfinite(r)]
    n_known = r.size
    c_now, spread = a.firm_rent_capacity, a.firm_rent_capacity_spread
    # A firm whose capacity C (drawn across firms around firm_rent_capacity) is at least
    # its rent today is priced out when its rent in H years passes C grown with incomes:
    # r ≤ C < R_H / y. Expected counts: sums of capacity probabilities, no knife edge.
    g_now = capacity_below(r, c_now, spread)
    uplift_c = (a.designation_uplift + a.transit_uplift_commercial * new_station_share
                ) if designated else 0.0
    then_base = r * (market / income)
    then_plan = then_base * (1 + uplift_c)
    firms_base = float(np.maximum(capacity_below(then_base, c_now, spread) - g_now, 0).sum())
    g_plan = capacity_below(then_plan, c_now, spread)
    firms_plan = float(np.maximum(g_plan - g_now, 0).sum())
    # Saveable by the affordable-workspace discount: capacity between the discounted and
    # the full projected rent (and at least today's rent).
    low = np.maximum(r, then_plan * (1 - a.affordable_workspace_discount))
    saveable = float(np.maximum(g_plan - capacity_below(low, c_now, spread), 0).sum())
    slots = a.affordable_workspace_share * n_known
    saved = min(saveable, float(slots))
    m = mitigation or MitigationInputs()
    package_places = (m.package_workspace_m2 / m.firm_floor_m2
                      if m.firm_floor_m2 > 0 and math.isfinite(m.firm_floor_m2) else 0.0)
    if package_places > 0:
        # The package's subsidised workspace adds places at its own rent cap; the
        # set-aside's places are taken to be filled first.
        low_p = np.maximum(r, then_plan * m.package_rent_cap)
        saveable_p = float(np.maximum(g_plan - capacity_below(low_p, c_now, spread), 0).sum())
        saved += min(max(saveable_p - saved, 0.0), package_places)
    firms_mitigated = firms_plan - saved
    # What the set-aside costs the council: the discount on its share of the district's
    # creative floor area, at the median rent with the plan, each plan year, discounted.
    years = np.arange(horizon)
    lever_by_year = (a.affordable_workspace_share * m.creative_floor_m2 * med * (1 + uplift)
                     * a.affordable_workspace_discount * 12
                     * (1 + a.market_rent_growth) ** years)
    lever_npv = float((lever_by_year / (1 + a.discount_rate) ** years).sum()) \
        if math.isfinite(med) else float("nan")
    # What the CLT lever costs: its mitigation protects clt_share of renter households
    # (priced out × (1 - clt_share) assumes they are not picked by who is at risk), so it
    # needs that share of renter homes. The trust buys the land under them now, before
    # the plan's uplift: dwelling area × capital value per m² (today's median rent × 12 ÷
    # capitalisation_yield) × the land's share of that value. A one-off at year 0, so
    # its present value is its cost.
    clt_homes = a.clt_share * renters_in
    clt_npv = (clt_homes * a.dwelling_floor_area * med * 12 / a.capitalisation_yield
               * a.clt_land_share) if a.clt_share > 0 else 0.0
    firms_above = float(g_now.sum())
    missing = missing_inputs(index, base, sel, hh_in, renters_in, burden, risk, n_creative,
                             n_known)
    if "affordability.firms_priced_out" in missing:
        firms_base = firms_plan = firms_mitigated = firms_above = float("nan")
    if "affordability.households_priced_out" in missing:
        po_base = po_plan = float("nan")
    if "affordability.displacement" in missing:
        risk = v_d = m_d = p_d = float("nan")

    # Median rent in each year 0..H; the plan's uplift applies from year 1.
    path = med * (1 + a.market_rent_growth) ** np.arange(horizon + 1)
    with_plan = np.full(horizon + 1, 1 + uplift)
    with_plan[0] = 1.0
    return AffordabilityMetrics(
        rent_source=index.city.rent_kind,
        rent_observations=int(sel.rent_values.size),
        rent_median=med,
        rent_q1=q1,
        rent_q3=q3,
        rent_iqr=q3 - q1,
        rent_city_median=city_q[1],
        rent_city_percentile=city_percentile(med, totals.rent_sorted,
                                             totals.rent_weights_sorted),
        households=hh_in,
        renter_households=renters_in,
        rent_burden_share=burden,
        severe_rent_burden_share=severe,
        rent_overburden_share_eu=overburden,
        displacement_risk=risk,
        displacement_class=risk_class(risk),
        vulnerability=v_d,
        market_pressure=m_d,
        plan_pressure=p_d,
        plan_uplift=uplift,
        projected_rent_without_plan=med * market,
        projected_rent=med * market * (1 + uplift),
        horizon_years=horizon,
        rent_path_without_plan=path.tolist(),
        rent_path=(path * with_plan).tolist(),
        households_priced_out_without_plan=po_base,
        households_priced_out=po_plan,
        households_priced_out_mitigated=po_plan * (1 - a.clt_share),
        creative_firms_rent_known=n_known,
        creative_firms_priced_out_without_plan=firms_base,
        creative_firms_priced_out=firms_plan,
        creative_firms_priced_out_mitigated=firms_mitigated,
        creative_firms_above_capacity=firms_above,
        package_workspace_places=package_places,
        affordable_workspace_cost_npv=lever_npv,
        affordable_workspace_cost_by_year=lever_by_year.tolist(),
        clt_homes=clt_homes,
        clt_cost_npv=clt_npv,
        neighbourhoods=rows,
        missing=missing,
        **rent_histogram(index, sel, sorted_rents),
    )
