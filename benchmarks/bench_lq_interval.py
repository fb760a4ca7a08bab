"""Benchmark: what the jobs-based LQ interval adds to each compute() at the 1M city.

The interval (``concentration.jobs_lq_interval``, a delta method) needs Σ jobs² of the
district's creative and other establishments. The city index keeps them as two more
prefix-sum columns, so each edit pays (1) two more columns in the run sums, (2) one
bincount over the boundary hits and (3) the closed-form interval. This script replays a
vertex drag of the sample city's first example district on the benchmark city, times those
three steps on the drag's real runs and boundary hits, and compares them with compute()'s
median in the same run; it also times the plain way for the same figure, a bootstrap of
1,000 resamples over the district's establishments, and checks the interval against it.
The budget set for it (issue 12): about 0.3 ms per compute, else it moves to the worker.

Run: ``.venv/bin/python benchmarks/bench_lq_interval.py [--cache /tmp/city1m.pkl]``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import time
from pathlib import Path

import numpy as np
import shapely

from bench_metrics import vertex_moves  # the same drag as the compute() benchmark
from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.citydata import CityData
from districtplanner.analysis.concentration import jobs_lq_interval
from districtplanner.analysis.incentives import default_instruments
from districtplanner.analysis.index import (
    N_SECTOR_CODES,
    CityIndex,
    cover,
    polygon_edges,
    polygonal,
)
from districtplanner.analysis.metrics import compute
from districtplanner.analysis.sectors import NON_CREATIVE_CODE
from districtplanner.sample_city import generate_city


def per_call_us(fn, repeat: int = 2000) -> float:
    t = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t) / repeat * 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=None, help="pickle of the generated city")
    ap.add_argument("--moves", type=int, default=100)
    args = ap.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} at start")
    if args.cache is not None and args.cache.exists():
        with args.cache.open("rb") as fh:
            c = pickle.load(fh)
    else:
        c = generate_city(1_000_000, n_rent_points=200_000, n_stops=5_000,
                          n_institutions=3_000, n_neighbourhoods=2_000, seed=7)
    city = CityData.from_frames(c.establishments, rents=c.rent_points, stops=c.transit_stops,
                                institutions=c.institutions, neighbourhoods=c.neighbourhoods)
    index = CityIndex.build(city)
    a, instruments = Assumptions(), default_instruments()
    compute(index, None, a, instruments)
    rng = np.random.default_rng(7)
    polys = vertex_moves(polygonal(c.example_districts.geometry.iloc[0]), args.moves, 30.0,
                         rng)

    compute_ms = []
    for p in polys:
        t = time.perf_counter()
        m = compute(index, shapely.Polygon(p), a, instruments)
        compute_ms.append((time.perf_counter() - t) * 1000)

    # The three steps the interval adds, on each edit's real runs and boundary hits.
    cols, hit_us, formula_us = [], [], []
    cum = index.est_cum
    print(f"lq interval: the two Σ jobs² columns hold {cum[:, -2:].nbytes / 2**20:.1f} MiB "
          f"({cum.shape[0] - 1:,} non-empty cells)")
    # The table as it was without the two Σ jobs² columns, to time the run sums both ways.
    cum_old = np.ascontiguousarray(cum[:, :2 * N_SECTOR_CODES])
    totals = index.totals
    city_cre_j = float(totals.jobs_by_sector[:9].sum())
    city_j = float(totals.jobs_by_sector.sum())
    for p in polys[:20]:
        geom = shapely.Polygon(p)
        shapely.prepare(geom)
        cov = cover(index.grid, geom, polygon_edges(geom))
        ka, kb = index.est.run_cells(cov)
        pos = index.est.boundary_hits(cov, geom).positions
        hj = index.est_jobs_sorted[pos]
        other = index.est_other_sorted[pos]
        full = per_call_us(lambda ka=ka, kb=kb: (cum[kb] - cum[ka]).sum(axis=0), 200)
        base = per_call_us(lambda ka=ka, kb=kb: (cum_old[kb] - cum_old[ka]).sum(axis=0),
                           200)
        cols.append(max(full - base, 0.0))
        hit_us.append(per_call_us(
            lambda o=other, h=hj: np.bincount(o, weights=h * h, minlength=2), 500))
        cm = compute(index, geom, a, instruments).concentration
        sq = index.select(geom).jobs_sq
        formula_us.append(per_call_us(lambda cm=cm, sq=sq: jobs_lq_interval(
            cm.creative_jobs, cm.jobs, float(sq[0]), float(sq[1]), cm.establishments,
            city_cre_j, city_j)))
    added = np.median(cols) + np.median(hit_us) + np.median(formula_us)
    print(f"lq interval: compute() median {np.median(compute_ms):.2f} ms over "
          f"{len(polys)} moves; the interval adds {added / 1000:.4f} ms per compute "
          f"(extra prefix-sum columns {np.median(cols):.1f} µs, boundary-hit bincount "
          f"{np.median(hit_us):.1f} µs, formula {np.median(formula_us):.1f} µs): "
          f"{'on the edit path' if added < 300 else 'OVER the 0.3 ms budget'}")

    # The plain way for the same figure: a bootstrap over the district's establishments.
    geom = shapely.Polygon(polys[-1])
    inside = shapely.contains_xy(geom, city.est_xy[:, 0], city.est_xy[:, 1])
    j = city.est_jobs[inside]
    cre = city.est_sector[inside] != NON_CREATIVE_CODE
    boot_rng = np.random.default_rng(1)
    t = time.perf_counter()
    idx = boot_rng.integers(0, j.size, (1000, j.size))
    r = (j[idx] * cre[idx]).sum(axis=1) / j[idx].sum(axis=1)
    boot_ms = (time.perf_counter() - t) * 1000
    share = city_cre_j / city_j
    lo, hi = np.percentile(r, (5, 95)) / share
    iv = m.concentration.lq_interval_jobs
    print(f"lq interval: bootstrap (1,000 resamples of {j.size:,} establishments) "
          f"{boot_ms:.1f} ms, 90% {lo:.3f} to {hi:.3f}; delta method {iv['low']:.3f} to "
          f"{iv['high']:.3f} (LQ {iv['value']:.3f})")
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
