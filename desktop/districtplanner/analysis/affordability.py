"""Affordability-risk figures of a district: rents against the city, rent burden, the
displacement-risk index, projected rent after designation and who is priced out, with and
without mitigations. Methods: docs/methods.md ("## Affordability risk"), texts held in
:mod:`analysis.explain`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import ndtr

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.index import CityIndex, Selection, _weighted_quantile

RISK_CLASSES: tuple[str, ...] = ("low", "moderate", "high", "very high")
# Upper bounds of the first three classes on the 0..1 index (quartiles of its range).
RISK_CLASS_BOUNDS: tuple[float, ...] = (0.25, 0.5, 0.75)


def risk_class(index: float) -> str:
    """The class of a displacement-risk index value in 0..1."""
    return RISK_CLASSES[sum(index >= b for b in RISK_CLASS_BOUNDS)]


def rent_quantiles(values: np.ndarray, weights: np.ndarray | None = None
                   ) -> tuple[float, float, float]:
    """(first quartile, median, third quartile) of rents (currency/m²/month); NaN when
    empty. Unweighted: numpy's linear interpolation; weighted (rent polygons by area
    inside): the smallest value whose cumulative weight reaches the quantile."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return (float("nan"),) * 3  # type: ignore[return-value]
    if weights is None:
        q1, med, q3 = np.quantile(v, (0.25, 0.5, 0.75))
        return float(q1), float(med), float(q3)
    order = np.argsort(v, kind="stable")
    v, w = v[order], np.asarray(weights, dtype=np.float64)[order]
    return tuple(_weighted_quantile(v, w, q) for q in (0.25, 0.5, 0.75))  # type: ignore


def city_percentile(value: float, sorted_values: np.ndarray,
                    sorted_weights: np.ndarray | None = None) -> float:
    """Percent (0..100) of the city's rent observations (area for polygons) at or below
    ``value``; NaN when either is missing."""
    if sorted_values.size == 0 or not np.isfinite(value):
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
    return ndtr(z)


def burden_share(rent_m2: np.ndarray | float, median_income: np.ndarray | float,
                 assumptions: Assumptions, threshold: float | None = None) -> np.ndarray:
    """Share of renter households whose rent exceeds ``threshold`` (default the rent-burden
    threshold) of income: rent = rent_m2 (currency/m²/month) x dwelling_floor_area x 12,
    incomes lognormal around ``median_income`` (currency/year)."""
    t = assumptions.rent_burden_threshold if threshold is None else threshold
    annual_rent = np.asarray(rent_m2, dtype=np.float64) * assumptions.dwelling_floor_area * 12
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
    risk_class: str
    rent_burden_share: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
    displacement_risk: float
    displacement_class: str
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
    neighbourhoods: list[NeighbourhoodRisk] = field(default_factory=list)
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
                    if k.startswith("rent_path") else v)
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
    stack = np.vstack(cols)
    ok = np.isfinite(stack)
    total = np.where(ok, stack, 0.0).sum(axis=0)
    n = ok.sum(axis=0)
    return np.where(n > 0, total / np.maximum(n, 1), 0.0)


@dataclass
class NeighbourhoodBase:
    """Assumption-independent neighbourhood columns, cached on the index."""

    names: np.ndarray
    households: np.ndarray
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
    hh = nb["households"].to_numpy(np.float64)
    if not np.isfinite(hh).any():
        # Without household counts, weight by area (one 'household' per m²).
        hh = index.nbhd_overlay.areas.astype(np.float64)
    hh = np.where(np.isfinite(hh) & (hh > 0), hh, 0.0)
    inc = nb["median_income"].to_numpy(np.float64)
    ok = np.isfinite(inc) & (inc > 0)
    if ok.any():
        order = np.argsort(inc[ok])
        cw = np.cumsum(hh[ok][order])
        k = int(np.searchsorted(cw, 0.5 * cw[-1])) if cw[-1] > 0 else len(order) // 2
        ami = float(inc[ok][order][min(k, len(order) - 1)])
    else:
        ami = float("nan")
    base = NeighbourhoodBase(
        names=nb["name"].astype(str).to_numpy(),
        households=hh,
        renter_share=np.clip(nb["renter_share"].to_numpy(np.float64), 0, 1),
        median_income=np.where(ok, inc, np.nan),
        rent=index.nbhd_rent,
        rent_rank=_percentile_rank(index.nbhd_rent),
        growth_rank=_percentile_rank(nb["rent_growth"].to_numpy(np.float64)),
        area_median_income=ami,
    )
    index.nbhd_base = base
    return base


def plan_uplift(assumptions: Assumptions, near_transit_share: float) -> float:
    """Rent uplift the designation adds: designation uplift plus the residential
    rail-station uplift times the share of the district's creative firms near a stop."""
    return (assumptions.designation_uplift
            + assumptions.transit_uplift_residential * near_transit_share)


HISTOGRAM_BINS = 30


def _percent_histogram(values: np.ndarray, weights: np.ndarray | None,
                       edges: np.ndarray) -> np.ndarray:
    counts, _ = np.histogram(values, bins=edges, weights=weights)
    total = counts.sum()
    return 100.0 * counts / total if total > 0 else np.zeros(len(edges) - 1)


def rent_histogram(index: CityIndex, sel: Selection) -> dict[str, np.ndarray]:
    """Percent of rent observations per bin, district and city, on bins shared across the
    city (its 1st to 99th percentile; values outside fall in no bin). The city's histogram
    is computed once per index."""
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
    district = _percent_histogram(sel.rent_values, sel.rent_weights, edges)
    return {"rent_hist_edges": edges, "rent_hist_district": district,
            "rent_hist_city": city_hist}


def affordability(
    index: CityIndex, sel: Selection, assumptions: Assumptions, near_transit_share: float
) -> AffordabilityMetrics:
    """Every affordability-risk figure of ``sel``; ``near_transit_share`` is the share of
    its creative firms within transit_near_m of a stop (from the concentration figures)."""
    a = assumptions
    totals = index.totals
    q1, med, q3 = rent_quantiles(sel.rent_values, sel.rent_weights)
    city_q = index.rent_city_quantiles
    horizon = int(a.horizon_years)
    market = (1 + a.market_rent_growth) ** horizon
    income = (1 + a.income_growth) ** horizon
    # The city baseline and an empty district carry no designation.
    designated = not sel.whole_city and sel.area_m2 > 0
    uplift = plan_uplift(a, near_transit_share) if designated else 0.0

    # ---- neighbourhoods the district touches, weighted by households inside ----------
    base = neighbourhood_base(index)
    hh_in = renters_in = burden = severe = risk = 0.0
    v_d = m_d = p_d = 0.0
    po_base = po_plan = 0.0
    rows: list[NeighbourhoodRisk] = []
    if base is not None and sel.nbhd_index.size:
        i, f = sel.nbhd_index, sel.nbhd_fraction
        h = base.households[i] * f
        rs = base.renter_share[i]
        rs = np.where(np.isfinite(rs), rs, 1.0)
        rh = h * rs
        m_inc = base.median_income[i]
        rent_i = base.rent[i]
        # Burden today, severe burden today, in H years without and with the plan.
        annual = np.outer((1.0, 1.0, market, market * (1 + uplift)), rent_i) * (
            a.dwelling_floor_area * 12)
        limits = annual / np.array([a.rent_burden_threshold, a.severe_rent_burden_threshold,
                                    a.rent_burden_threshold, a.rent_burden_threshold])[:, None]
        incomes = np.outer((1.0, 1.0, income, income), m_inc)
        shares = share_below(limits, incomes, a.income_sigma)
        shares[~np.isfinite(shares)] = 0.0
        b_now, b_severe, b_base, b_plan = shares
        low = share_below(a.low_income_fraction * base.area_median_income, m_inc,
                          a.income_sigma)
        vuln = _nanmean_rows(low, base.renter_share[i])
        mkt = _nanmean_rows(base.rent_rank[i], base.growth_rank[i])
        plan = np.minimum(1.0, f * uplift / a.uplift_full_pressure)
        wsum = a.weight_vulnerability + a.weight_market + a.weight_plan
        r_i = ((a.weight_vulnerability * vuln + a.weight_market * mkt + a.weight_plan * plan)
               / wsum) if wsum > 0 else np.zeros_like(vuln)
        hh_in, renters_in = float(h.sum()), float(rh.sum())
        if renters_in > 0:
            burden = float((rh * b_now).sum() / renters_in)
            severe = float((rh * b_severe).sum() / renters_in)
        if hh_in > 0:
            risk = float((h * r_i).sum() / hh_in)
            v_d = float((h * vuln).sum() / hh_in)
            m_d = float((h * mkt).sum() / hh_in)
            p_d = float((h * plan).sum() / hh_in)
        po_base = float((rh * np.maximum(b_base - b_now, 0.0)).sum())
        po_plan = float((rh * np.maximum(b_plan - b_now, 0.0)).sum())
        # Every touched neighbourhood (all of them for the city baseline, which the map's
        # risk classes and the charts' neighbourhood marks read).
        rows = [
            NeighbourhoodRisk(
                name=str(base.names[k]), row=int(k), rent=float(rent_i[j]),
                fraction_inside=float(f[j]),
                households_inside=float(h[j]), vulnerability=float(vuln[j]),
                market_pressure=float(mkt[j]), plan_pressure=float(plan[j]),
                risk=float(r_i[j]), risk_class=risk_class(float(r_i[j])),
                rent_burden_share=float(b_now[j]),
            )
            for j, k in enumerate(i)
        ]

    # ---- creative firms: local rent now and projected against what they can pay -------
    r = sel.creative_rent
    known = np.isfinite(r)
    r, d = r[known], sel.creative_stop_dist[known]
    cap_now = a.firm_rent_capacity
    cap_then = cap_now * income
    can_now = r <= cap_now
    proj_base = r * market
    commercial = a.designation_uplift + a.transit_uplift_commercial * (
        d <= a.transit_near_m)
    proj_plan = proj_base * (1 + commercial) if designated else proj_base
    out_base = can_now & (proj_base > cap_then)
    out_plan = can_now & (proj_plan > cap_then)
    saveable = out_plan & (proj_plan * (1 - a.affordable_workspace_discount) <= cap_then)
    slots = a.affordable_workspace_share * known.sum()
    firms_plan = float(out_plan.sum())
    firms_mitigated = firms_plan - min(float(saveable.sum()), float(slots))

    # Median rent in each year 0..H; the plan's uplift applies from year 1.
    path = med * (1 + a.market_rent_growth) ** np.arange(horizon + 1)
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
        rent_path=(path * np.r_[1.0, np.full(horizon, 1 + uplift)]).tolist(),
        households_priced_out_without_plan=po_base,
        households_priced_out=po_plan,
        households_priced_out_mitigated=po_plan * (1 - a.clt_share),
        creative_firms_rent_known=int(known.sum()),
        creative_firms_priced_out_without_plan=float(out_base.sum()),
        creative_firms_priced_out=firms_plan,
        creative_firms_priced_out_mitigated=firms_mitigated,
        neighbourhoods=rows,
        **rent_histogram(index, sel),
    )
