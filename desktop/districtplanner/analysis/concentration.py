"""Concentration figures of a district: counts, jobs, density, shares, location quotients,
diversity, transit proximity and cultural institutions. Methods: docs/methods.md
("## Concentration"), texts held in :mod:`analysis.explain`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.index import CityTotals, Selection
from districtplanner.analysis.sectors import CREATIVE_SECTORS, INSTITUTION_TYPES

N_CREATIVE = len(CREATIVE_SECTORS)
INSTITUTION_KEYS: tuple[str, ...] = (*INSTITUTION_TYPES, "other")


def _ratio(num: float, den: float) -> float:
    """num / den, or 0 when the denominator is zero (an empty district has no shares)."""
    return float(num / den) if den > 0 else 0.0


def location_quotient(part: float, part_total: float, city: float, city_total: float) -> float:
    """(part / part_total) / (city / city_total); 0 when either share is undefined or zero.

    part: sector quantity in the district; part_total: all sectors in the district;
    city, city_total: the same for the whole city (firms or jobs).
    """
    district_share = _ratio(part, part_total)
    city_share = _ratio(city, city_total)
    return _ratio(district_share, city_share)


def jobs_lq_interval(creative_jobs: float, jobs: float, creative_jobs_sq: float,
                     other_jobs_sq: float, establishments: float, city_creative_jobs: float,
                     city_jobs: float, z: float = 1.645) -> dict[str, Any] | None:
    """90% interval of the jobs-based location quotient, from the district's sums alone.

    The district's creative share of jobs R = Σ c_i j_i / Σ j_i over its n establishments
    (c_i 1 for a creative one, j_i its jobs) is a ratio of two sums; taking the
    establishments as a sample, its delta-method (linearisation) variance is
    n / (n - 1) · Σ j_i² (c_i - R)² / (Σ j_i)² (Cochran 1977, Sampling Techniques, §6.3),
    and Σ j_i² (c_i - R)² = (1 - R)² Σ_creative j² + R² Σ_other j². So it needs four sums
    the city index keeps as prefix sums, O(1) per edit, where a bootstrap over the
    establishments would resample them on every frame. Jobs are lumpy (one large employer
    can hold half a district's jobs), which skews R's distribution, so the interval is
    taken on the log-odds scale, logit R ± z·se / (R(1 - R)), and mapped back (as the
    R survey package's svyciprop(method = "logit") does): it stays inside 0..1 and
    follows a bootstrap's asymmetry. It is divided by the city's share, taken as fixed
    (the whole population), as for the establishment-based Wilson interval. ``se`` is the
    linear standard error on the LQ scale. None when undefined (no jobs, fewer than two
    establishments)."""
    if jobs <= 0 or establishments < 2 or city_jobs <= 0 or city_creative_jobs <= 0:
        return None
    city = city_creative_jobs / city_jobs
    r = creative_jobs / jobs
    ss = (1 - r) ** 2 * creative_jobs_sq + r * r * other_jobs_sq
    se = math.sqrt(max(ss, 0.0) * establishments / (establishments - 1)) / jobs
    if 0.0 < r < 1.0:
        centre, half = math.log(r / (1 - r)), z * se / (r * (1 - r))
        low, high = (1 / (1 + math.exp(-(centre - half))),
                     1 / (1 + math.exp(-(centre + half))))
    else:  # no creative jobs, or only creative jobs: every resample says the same
        low = high = r
    return {"value": r / city, "low": low / city, "high": high / city, "se": se / city,
            "basis": "jobs", "method": "delta, logit"}


def shannon_entropy(values: np.ndarray) -> float:
    """Shannon entropy of the shares of ``values`` divided by ln(len(values)): 0 for one
    sector (or none), 1 for an even spread."""
    v = np.asarray(values, dtype=np.float64)
    total = v.sum()
    if total <= 0 or v.size < 2:
        return 0.0
    p = v[v > 0] / total
    h = float(-(p * np.log(p)).sum() / np.log(v.size))
    return min(max(h, 0.0), 1.0)


def herfindahl(values: np.ndarray) -> float:
    """Herfindahl-Hirschman index: the sum of squared shares (1/len..1; 0 when empty)."""
    v = np.asarray(values, dtype=np.float64)
    total = v.sum()
    if total <= 0:
        return 0.0
    p = v / total
    return float((p * p).sum())


@dataclass
class SectorFigures:
    """One creative sector in one district."""

    establishments: float
    jobs: float
    share_of_city_establishments: float
    share_of_city_jobs: float
    location_quotient: float

    def to_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


@dataclass
class ConcentrationMetrics:
    """What a district concentrates. Densities per km²; shares 0..1."""

    establishments: float
    jobs: float
    jobs_known: bool
    creative_establishments: float
    creative_jobs: float
    establishments_per_km2: float
    creative_establishments_per_km2: float
    creative_jobs_per_km2: float
    share_of_city_creative_establishments: float
    share_of_city_creative_jobs: float
    location_quotient: float
    lq_basis: str
    entropy: float
    hhi: float
    by_sector: dict[str, SectorFigures]
    transit_near_share: float
    transit_far_share: float
    transit_near_m: float
    transit_far_m: float
    institutions_inside: dict[str, int]
    institutions_near: dict[str, int]
    institution_buffer_m: float
    density_ratio: float
    # 90% interval of the jobs-based LQ (:func:`jobs_lq_interval`); None on the
    # establishments basis or where it is undefined.
    lq_interval_jobs: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["by_sector"] = {k: v.to_dict() for k, v in self.by_sector.items()}
        d["institutions_inside"] = dict(self.institutions_inside)
        d["institutions_near"] = dict(self.institutions_near)
        return d


def concentration(
    sel: Selection, totals: CityTotals, assumptions: Assumptions, jobs_known: bool
) -> ConcentrationMetrics:
    """Every concentration figure of ``sel`` against the city ``totals``."""
    count, jobs = sel.count_by_sector, sel.jobs_by_sector
    ccount, cjobs = totals.count_by_sector, totals.jobs_by_sector
    area_km2 = sel.area_m2 / 1e6
    city_km2 = totals.area_m2 / 1e6
    basis = "jobs" if jobs_known else "establishments"
    q = jobs if jobs_known else count
    # All sectors and creative sectors, district and city, firms and jobs: two reductions
    # (each row sums as the 1-D sum would) instead of a dozen, then Python floats, whose
    # divisions are numpy's without the per-scalar call overhead of 9 sectors.
    table = np.array([count, jobs, ccount, cjobs], dtype=np.float64)
    n_all, j_all, city_n_all, city_j_all = np.add.reduce(table, axis=1).tolist()
    cre_n, cre_j, city_cre_n, city_cre_j = np.add.reduce(table[:, :N_CREATIVE], axis=1).tolist()
    q_all, qc_all, q_cre, qc_cre = ((j_all, city_j_all, cre_j, city_cre_j) if jobs_known
                                    else (n_all, city_n_all, cre_n, city_cre_n))
    n_l, j_l, cn_l, cj_l = table[:, :N_CREATIVE].tolist()
    q_l, qc_l = (j_l, cj_l) if jobs_known else (n_l, cn_l)
    by_sector = dict(zip(CREATIVE_SECTORS, map(
        SectorFigures, n_l, j_l, map(_ratio, n_l, cn_l), map(_ratio, j_l, cj_l),
        [location_quotient(qv, q_all, qcv, qc_all) for qv, qcv in zip(q_l, qc_l, strict=True)],
    ), strict=True))
    near_m, far_m = assumptions.transit_near_m, assumptions.transit_far_m
    d = sel.creative_stop_dist
    n_cre_pts = d.size
    near = _ratio(np.count_nonzero(d <= near_m), n_cre_pts)
    far = _ratio(np.count_nonzero(d <= far_m), n_cre_pts)
    district_density = _ratio(q_cre, area_km2)
    city_density = _ratio(qc_cre, city_km2)
    return ConcentrationMetrics(
        establishments=n_all,
        jobs=j_all,
        jobs_known=jobs_known,
        creative_establishments=cre_n,
        creative_jobs=cre_j,
        establishments_per_km2=_ratio(n_all, area_km2),
        creative_establishments_per_km2=_ratio(cre_n, area_km2),
        creative_jobs_per_km2=_ratio(cre_j, area_km2),
        share_of_city_creative_establishments=_ratio(cre_n, city_cre_n),
        share_of_city_creative_jobs=_ratio(cre_j, city_cre_j),
        location_quotient=location_quotient(q_cre, q_all, qc_cre, qc_all),
        lq_basis=basis,
        entropy=shannon_entropy(q[:N_CREATIVE]),
        hhi=herfindahl(q[:N_CREATIVE]),
        by_sector=by_sector,
        transit_near_share=near,
        transit_far_share=far,
        transit_near_m=near_m,
        transit_far_m=far_m,
        institutions_inside=dict(zip(INSTITUTION_KEYS, map(int, sel.inst_inside.tolist()),
                                     strict=True)),
        institutions_near=dict(zip(INSTITUTION_KEYS, map(int, sel.inst_near.tolist()),
                                   strict=True)),
        institution_buffer_m=assumptions.institution_buffer_m,
        density_ratio=_ratio(district_density, city_density),
        lq_interval_jobs=None if not jobs_known or sel.whole_city or sel.jobs_sq is None
        or totals.jobs_sq is None else jobs_lq_interval(
            cre_j, j_all, float(sel.jobs_sq[0]), float(sel.jobs_sq[1]), n_all, city_cre_j,
            city_j_all),
    )
