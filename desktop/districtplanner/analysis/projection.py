"""Growth of a district's creative firms and jobs over the plan horizon, with and without
the incentive package.

Two paths from the same observed year 0: the baseline (city-wide trend growth plus an
agglomeration term for districts denser than the city) and the path with incentives (the
baseline raised by the firms the incentives attract, through a cost elasticity). The method
text below is quoted verbatim in docs/methods.md and in every explanation, so the two cannot
drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .assumptions import Assumptions

# Density ratios above this are treated as this: ln((1 + ρ)/2) keeps growing without limit,
# and a tiny district around one large employer must not project explosive growth.
DENSITY_RATIO_CAP = 50.0

PROJECTION_METHOD = (
    "Baseline: N_t = N_0 × (1 + g + a × ln((1 + ρ) / 2))^t, with g the baseline growth "
    "rate (baseline_growth_firms or baseline_growth_jobs), a the agglomeration_coefficient "
    "and ρ the district's creative-job density divided by the city's (clipped to 0..50; "
    "unknown counts as 1). A district as dense as the city grows at the baseline rate, a "
    "denser one faster and a sparser one slower. With incentives: N'_t = N_t × (1 + ε × "
    "s_(t-1)) for t ≥ 1, with ε the incentive_elasticity and s_(t-1) the value of the "
    "incentives received in plan year t-1 as a share of the eligible firms' operating cost "
    "(operating_cost_per_job × baseline jobs at the end of that year, clipped to 0..1). "
    "Year 0 is the observed district; the incentives of plan year t-1 show in the level at "
    "the end of that year, t."
)


@dataclass
class Projection:
    """Creative firms and jobs at the end of plan years 0..horizon (year 0 = today).

    Counts are district totals (firms, jobs); ``incentive_cost_share`` is the share of
    operating cost offset in each plan year 0..horizon-1 (dimensionless).
    """

    years: np.ndarray
    firms_baseline: np.ndarray
    firms_with_incentives: np.ndarray
    jobs_baseline: np.ndarray
    jobs_with_incentives: np.ndarray
    growth_rate_firms: float
    growth_rate_jobs: float
    agglomeration_rate: float
    incentive_cost_share: np.ndarray

    @property
    def extra_jobs(self) -> np.ndarray:
        """Jobs the incentives add to the baseline, per year."""
        return self.jobs_with_incentives - self.jobs_baseline

    @property
    def extra_firms(self) -> np.ndarray:
        return self.firms_with_incentives - self.firms_baseline

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: arrays as lists of floats."""
        return {
            "years": [int(y) for y in self.years],
            "firms_baseline": _floats(self.firms_baseline),
            "firms_with_incentives": _floats(self.firms_with_incentives),
            "jobs_baseline": _floats(self.jobs_baseline),
            "jobs_with_incentives": _floats(self.jobs_with_incentives),
            "growth_rate_firms": float(self.growth_rate_firms),
            "growth_rate_jobs": float(self.growth_rate_jobs),
            "agglomeration_rate": float(self.agglomeration_rate),
            "incentive_cost_share": _floats(self.incentive_cost_share),
        }


def agglomeration_rate(density_ratio: float, assumptions: Assumptions) -> float:
    """Extra annual growth (1/year) from density: a × ln((1 + ρ)/2), ρ clipped to 0..50.

    ``density_ratio`` is district creative-job density / city creative-job density (-);
    NaN (no creative jobs in the city) counts as 1, i.e. no effect.
    """
    rho = 1.0 if not math.isfinite(density_ratio) else float(density_ratio)
    if rho < 0:
        raise ValueError(f"density_ratio must be ≥ 0; got {density_ratio!r}.")
    rho = min(rho, DENSITY_RATIO_CAP)
    return float(assumptions.agglomeration_coefficient * np.log((1.0 + rho) / 2.0))


def baseline_factors(density_ratio: float, assumptions: Assumptions) -> tuple[np.ndarray, ...]:
    """Growth factors (firms, jobs) for years 0..horizon, and the two annual rates.

    Exposed so incentives.evaluate grows each sector exactly as ``project`` grows the total.
    """
    horizon = int(assumptions.horizon_years)
    agg = agglomeration_rate(density_ratio, assumptions)
    rate_f = assumptions.baseline_growth_firms + agg
    rate_j = assumptions.baseline_growth_jobs + agg
    t = np.arange(horizon + 1, dtype=float)
    return (1.0 + rate_f) ** t, (1.0 + rate_j) ** t, np.array([rate_f, rate_j, agg])


def project(
    firms: float,
    jobs: float,
    density_ratio: float,
    incentive_cost_share: np.ndarray | float,
    assumptions: Assumptions,
    firm_cost_share: np.ndarray | float | None = None,
) -> Projection:
    """Both paths of creative firms and jobs over ``assumptions.horizon_years``.

    ``firms`` and ``jobs`` are today's creative counts in the district; ``density_ratio`` is
    district / city creative-job density (-); ``incentive_cost_share`` is the value of the
    incentives in each plan year 0..horizon-1 as a share of eligible operating cost (-), a
    scalar meaning every year. ``firm_cost_share`` is the same share weighted by firms
    rather than jobs (sectors differ in firm size); it defaults to ``incentive_cost_share``.
    """
    _check_counts(firms, jobs)
    return project_from_factors(firms, jobs, baseline_factors(density_ratio, assumptions),
                                incentive_cost_share, assumptions, firm_cost_share)


def project_from_factors(
    firms: float,
    jobs: float,
    factors: tuple[np.ndarray, ...],
    incentive_cost_share: np.ndarray | float,
    assumptions: Assumptions,
    firm_cost_share: np.ndarray | float | None = None,
) -> Projection:
    """``project`` with the growth factors of ``baseline_factors`` already at hand.

    incentives.evaluate has computed them for its fixed point; computing them again per
    frame of a vertex drag would cost as much as the paths themselves.
    """
    _check_counts(firms, jobs)
    horizon = int(assumptions.horizon_years)
    factor_f, factor_j, rates = factors
    # [firms | jobs, year 0..horizon]: the shares (clipped to 0..1) of the year before,
    # then 1 + ε × share; 1 in year 0. Both rows in one array, each step one call.
    uplift = np.empty((2, horizon + 1))
    tail = uplift[:, 1:]
    tail[1] = _shares(incentive_cost_share, horizon, "incentive_cost_share")
    tail[0] = tail[1] if firm_cost_share is None else _shares(
        firm_cost_share, horizon, "firm_cost_share")
    np.maximum(tail, _ZERO, out=tail)  # np.clip's bounds without its Python wrapper
    np.minimum(tail, _ONE, out=tail)
    share_j = tail[1].copy()
    np.multiply(assumptions.incentive_elasticity, tail, out=tail)
    np.add(_ONE, tail, out=tail)
    uplift[:, 0] = 1.0
    baseline = np.empty((2, horizon + 1))
    np.multiply(float(firms), factor_f, out=baseline[0])
    np.multiply(float(jobs), factor_j, out=baseline[1])
    with_incentives = baseline * uplift
    rate_f, rate_j, agg = rates.tolist()
    return Projection(
        years=np.arange(horizon + 1),
        firms_baseline=baseline[0],
        firms_with_incentives=with_incentives[0],
        jobs_baseline=baseline[1],
        jobs_with_incentives=with_incentives[1],
        growth_rate_firms=rate_f,
        growth_rate_jobs=rate_j,
        agglomeration_rate=agg,
        incentive_cost_share=share_j,
    )


def _check_counts(firms: float, jobs: float) -> None:
    if not (math.isfinite(firms) and math.isfinite(jobs)) or firms < 0 or jobs < 0:
        raise ValueError(f"firms and jobs must be finite and ≥ 0; got {firms!r}, {jobs!r}.")


def _shares(value: np.ndarray | float, horizon: int, name: str) -> np.ndarray:
    """``value`` as one finite share per plan year (not yet clipped to 0..1)."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        arr = np.full(horizon, float(arr))
    if arr.shape != (horizon,):
        raise ValueError(f"{name} must be a scalar or hold {horizon} values (one per plan "
                         f"year); got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite.")
    return arr


# 0-d arrays: float64 bounds without a conversion per call.
_ZERO, _ONE = np.zeros(()), np.ones(())
_ZERO.setflags(write=False)
_ONE.setflags(write=False)


def _floats(arr: np.ndarray) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in np.asarray(arr, dtype=float)]
