"""Benchmark: every compute() figure after one vertex move, fast index vs the plain way.

Generates the benchmark city (1,000,000 establishments, 200,000 rent points, 5,000 stops,
3,000 institutions, 2,000 neighbourhoods), builds the city index, then moves one vertex at
a time of (a) a typical district (the sample city's first example district) and (b) a
10 km², 200-vertex district over the densest cluster, timing ``metrics.compute`` (the fast
path) and the same figures computed the plain way (a geopandas spatial join per edit,
``PlainSelector`` + ``compute_selection``) on the same polygons, checking that both agree.
The fast path carries over from one edit to the next what a vertex move cannot change (see
``index.changed_box``); it is also timed with nothing carried over, as on the first move
of a drag.

Run: ``.venv/bin/python benchmarks/bench_metrics.py [--moves 200] [--n 1000000]``.
Outside the test suite: it takes a few minutes.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import pickle
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import shapely

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.citydata import CityData
from districtplanner.analysis.hotspots import compute_surface
from districtplanner.analysis.incentives import default_instruments
from districtplanner.analysis.index import CityIndex, PlainSelector
from districtplanner.analysis.metrics import compute, compute_selection
from districtplanner.sample_city import generate_city


def densest_point(xy: np.ndarray, cell: float = 1000.0) -> tuple[float, float]:
    """Centre of the 1 km cell holding most establishments."""
    x0, y0 = xy.min(axis=0)
    ix = ((xy[:, 0] - x0) // cell).astype(np.int64)
    iy = ((xy[:, 1] - y0) // cell).astype(np.int64)
    key = ix * (iy.max() + 1) + iy
    best = np.bincount(key).argmax()
    bx, by = divmod(int(best), int(iy.max() + 1))
    return x0 + (bx + 0.5) * cell, y0 + (by + 0.5) * cell


def wobbly_polygon(cx: float, cy: float, area_m2: float, n_vertices: int,
                   rng: np.random.Generator) -> shapely.Polygon:
    """A star-shaped polygon of ``n_vertices`` with irregular radius, scaled to ``area_m2``."""
    theta = np.linspace(0, 2 * np.pi, n_vertices, endpoint=False)
    r = 1 + 0.12 * np.sin(5 * theta) + 0.06 * np.sin(13 * theta + 1) \
        + 0.03 * rng.standard_normal(n_vertices)
    poly = shapely.Polygon(np.column_stack([np.cos(theta) * r, np.sin(theta) * r]))
    s = math.sqrt(area_m2 / poly.area)
    return shapely.Polygon(np.column_stack([cx + np.cos(theta) * r * s,
                                            cy + np.sin(theta) * r * s]))


def vertex_moves(poly: shapely.Polygon, n_moves: int, step_m: float,
                 rng: np.random.Generator) -> list[shapely.Polygon]:
    """``n_moves`` successive edits, each moving one vertex by up to ``step_m`` metres
    (a drag: each edit starts from the previous one), kept valid."""
    coords = np.asarray(poly.exterior.coords)[:-1].copy()
    out = []
    while len(out) < n_moves:
        i = int(rng.integers(len(coords)))
        trial = coords.copy()
        trial[i] += rng.uniform(-step_m, step_m, 2)
        p = shapely.Polygon(trial)
        if p.is_valid:
            coords = trial
            out.append(p)
    return out


def timed_blocks(fast, plain, polys, block: int = 25
                 ) -> tuple[np.ndarray, np.ndarray, list, list]:
    """Milliseconds per edit for both ways, each on a fresh (unprepared) copy of the
    polygon. The ways alternate in blocks of ``block`` edits, so a change in machine load
    hits both alike, while within a block each way runs as in the app (interleaving every
    edit would let the plain way's temporaries evict the index from the CPU caches)."""
    tf, tp, rf, rp = [], [], [], []
    for start in range(0, len(polys), block):
        chunk = polys[start:start + block]
        for fn, times, results in ((fast, tf, rf), (plain, tp, rp)):
            for p in chunk:
                q = shapely.Polygon(p)
                t = time.perf_counter()
                results.append(fn(q))
                times.append(time.perf_counter() - t)
    return np.asarray(tf) * 1000, np.asarray(tp) * 1000, rf, rp


def clear_caches(index: CityIndex) -> None:
    index.forget_last()
    for overlay in (index.nbhd_overlay, index.rent_overlay):
        if overlay is not None:
            overlay._cache.clear()


def from_scratch(index: CityIndex, p, a: Assumptions, instruments) -> object:
    """compute() with nothing carried over from the previous edit: the first move of a
    drag, or a district the index has not seen last."""
    index.forget_last()
    return compute(index, p, a, instruments)


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def same(a: dict, b: dict, path: str = "") -> list[str]:
    """Differences between two Metrics dicts (floats to 1e-9 relative)."""
    diffs = []
    if isinstance(a, dict):
        for k in a:
            if k == "explanations":
                continue
            diffs += same(a[k], b.get(k), f"{path}.{k}")
    elif isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            return [path]
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            diffs += same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9):
            diffs.append(f"{path}: {a} != {b}")
    elif a != b:
        diffs.append(f"{path}: {a} != {b}")
    return diffs


def bench_sensitivity(index: CityIndex, poly, a: Assumptions, instruments,
                      rng: np.random.Generator, moves: int) -> bool:
    """Tornados of every headline figure after each vertex move, and the 1,000-draw Monte
    Carlo, against the plain way: each assumption vector re-evaluated by
    ``compute_selection`` on the same selection. Prints 'sensitivity:' and 'monte carlo:'
    lines; True when both ways agree."""
    polys = vertex_moves(shapely.Polygon(poly.exterior.coords) if poly.geom_type ==
                         "Polygon" else poly, moves, 30.0, rng)
    # All the moves the fast way first, as a drag runs them (compute() then the tornado),
    # then the plain way: interleaved per move, the plain way's temporaries would evict
    # what the fast path keeps warm between frames (as ``timed_blocks`` avoids too).
    fast_ms, fast_cpu, plain_ms, agree = [], [], [], True
    done = []
    for p in polys:
        m = compute(index, shapely.Polygon(p), a, instruments)
        t, c = time.perf_counter(), time.process_time()
        result = m.tornado()
        fast_ms.append((time.perf_counter() - t) * 1000)
        fast_cpu.append((time.process_time() - c) * 1000)
        done.append((m, result))
    for m, result in done:
        sel = m._analysis_inputs[1]
        t = time.perf_counter()
        plain = {}
        ends = {(row.parameter, end) for f in result.figures.values() for row in f.tornado
                for end in (row.low, row.high)}
        for name, end in ends:  # every assumption end once, all figures from it
            r = compute_selection(index, sel, a.replace(**{name: end}), instruments)
            f, inc = r.affordability, r.incentives
            plain[(name, end)] = {
                "households_priced_out": f.households_priced_out,
                "firms_priced_out": f.creative_firms_priced_out,
                "displacement_risk": f.displacement_risk,
                "creative_jobs_projected": float(inc.projection.jobs_with_incentives[-1]),
                "npv": inc.npv, "cost_per_job_year": inc.cost_per_job_year}
        plain_ms.append((time.perf_counter() - t) * 1000)
        for fig, figure in result.figures.items():
            for row in figure.tornado:
                for end, got in ((row.low, row.value_low), (row.high, row.value_high)):
                    agree &= math.isclose(got, plain[(row.parameter, end)][fig],
                                          rel_tol=1e-9, abs_tol=1e-9)
    aff_fast = []
    for p in polys[:10]:
        an = compute(index, shapely.Polygon(p), a, instruments).analysis()
        an.has_package = False  # the affordability tornados alone
        aff_fast.append(_time(an.tornado) * 1000)
    print(f"\nsensitivity: tornados of all headline figures after a vertex move, median "
          f"{np.median(fast_ms):.1f} ms, p95 {np.percentile(fast_ms, 95):.1f} ms "
          f"(CPU time median {np.median(fast_cpu):.1f} ms; load average "
          f"{os.getloadavg()[0]:.1f}) "
          f"(affordability tornados alone {np.median(aff_fast):.2f} ms; the incentive "
          f"tornados are one batch of every assumption end); plain way "
          f"(compute_selection per assumption end, every figure) {np.median(plain_ms):.1f} "
          f"ms, ratio {np.median(plain_ms) / np.median(fast_ms):.0f}x; agree: "
          f"{'yes' if agree else 'NO'}")
    m = compute(index, shapely.Polygon(polys[-1]), a, instruments)
    an = m.analysis()
    an.monte_carlo(an.tornado(), 1000)  # the first run imports scipy.stats.qmc (deferred)
    mc, mc_cpu = [], []
    for _ in range(3):
        c = time.process_time()
        mc.append(_time(lambda: an.monte_carlo(an.tornado(), 1000)))
        mc_cpu.append(time.process_time() - c)
    an.has_package = False
    mc_aff = [_time(lambda: an.monte_carlo(an.tornado(), 1000)) for _ in range(3)]
    draws = an.draws(1000)
    sel = m._analysis_inputs[1]
    t = time.perf_counter()
    for i in range(200):  # every drawn assumption, so both models run per draw
        compute_selection(index, sel, a.replace(
            **{k: float(draws[k][i]) for k in draws}), instruments)
    plain_mc = (time.perf_counter() - t) * 1000 * 1000 / 200
    print(f"monte carlo: 1,000 Latin-hypercube draws, median {np.median(mc) * 1000:.0f} ms "
          f"(CPU time median {np.median(mc_cpu) * 1000:.0f} ms; load average "
          f"{os.getloadavg()[0]:.1f}; "
          f"affordability figures alone {np.median(mc_aff) * 1000:.0f} ms); plain way "
          f"(compute_selection per draw, 200 timed, scaled to 1,000) {plain_mc:.0f} ms, "
          f"ratio {plain_mc / (np.median(mc) * 1000):.1f}x")
    return agree


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="establishments")
    ap.add_argument("--moves", type=int, default=200, help="vertex moves per district")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--block", type=int, default=50,
                    help="edits per block; the two ways alternate block by block")
    ap.add_argument("--cache", type=Path, default=None,
                    help="pickle of the generated city: read if present, else written")
    args = ap.parse_args(argv)
    scale = args.n / 1_000_000

    t = time.perf_counter()
    if args.cache is not None and args.cache.exists():
        with args.cache.open("rb") as fh:
            c = pickle.load(fh)
    else:
        c = generate_city(args.n, n_rent_points=int(200_000 * scale),
                          n_stops=max(2, int(5_000 * scale)),
                          n_institutions=int(3_000 * scale),
                          n_neighbourhoods=max(1, int(2_000 * scale)), seed=args.seed)
        if args.cache is not None:
            with args.cache.open("wb") as fh:
                pickle.dump(c, fh, protocol=pickle.HIGHEST_PROTOCOL)
    print(f"city ready in {time.perf_counter() - t:.1f} s: {len(c.establishments):,} "
          f"establishments, {len(c.rent_points):,} rent points, {len(c.transit_stops):,} "
          f"stops, {len(c.institutions):,} institutions, {len(c.neighbourhoods):,} "
          "neighbourhoods")
    city = CityData.from_frames(c.establishments, rents=c.rent_points, stops=c.transit_stops,
                                institutions=c.institutions, neighbourhoods=c.neighbourhoods)
    del c.establishments
    gc.collect()
    tracemalloc.start()
    t = time.perf_counter()
    index = CityIndex.build(city)
    build_s = time.perf_counter() - t
    _, build_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    held = sum(v.nbytes for v in vars(index).values() if isinstance(v, np.ndarray))
    held += sum(v.nbytes for g in (index.est, index.creative, index.rents)
                for v in vars(g).values() if isinstance(v, np.ndarray))
    print(f"index built in {build_s:.2f} s (cell {index.grid.cell:.1f} m, "
          f"{index.grid.nx} x {index.grid.ny} cells); arrays held {held / 2**20:.0f} MiB, "
          f"peak traced memory during build {build_peak / 2**20:.0f} MiB")
    t = time.perf_counter()
    plain = PlainSelector(index)
    print(f"plain-way frames prepared in {time.perf_counter() - t:.2f} s")

    a = Assumptions()
    instruments = default_instruments()
    rng = np.random.default_rng(args.seed)
    typical = c.example_districts.geometry.iloc[0]
    cx, cy = densest_point(city.est_xy)
    dense = wobbly_polygon(cx, cy, 10e6, 200, rng)
    cases = [
        (f"(a) typical: {c.example_districts['name'].iloc[0]}", typical, 30.0),
        ("(b) 10 km², 200 vertices, densest cluster", dense, 60.0),
    ]
    t = time.perf_counter()
    compute(index, None, a, instruments)  # the city baseline; also fills per-index caches
    print(f"city baseline computed in {(time.perf_counter() - t) * 1000:.0f} ms")
    ok = True
    for label, poly, step in cases:
        polys = vertex_moves(shapely.Polygon(poly.exterior.coords) if poly.geom_type ==
                             "Polygon" else poly, args.moves, step, rng)
        # Each pass replays the drag from a cold area cache, as a new drag would.
        clear_caches(index)
        sel_ms = np.asarray([_time(lambda p=p: index.select(shapely.Polygon(p),
                                                            a.institution_buffer_m))
                             for p in polys]) * 1000
        clear_caches(index)
        scratch_ms = np.asarray([_time(lambda p=p: from_scratch(
            index, shapely.Polygon(p), a, instruments)) for p in polys]) * 1000
        clear_caches(index)
        fast_ms, plain_ms, fast, slow = timed_blocks(
            lambda p: compute(index, p, a, instruments),
            lambda p: compute_selection(index, plain.select(p, a.institution_buffer_m), a,
                                        instruments),
            polys, args.block)
        diffs = []
        for f, s in zip(fast, slow, strict=True):
            diffs += same(f.to_dict(sensitivity=False), s.to_dict(sensitivity=False))
        ok &= not diffs
        m = fast[-1]
        print(f"\n{label}: {m.area_km2:.2f} km², {len(polys[0].exterior.coords) - 1} "
              f"vertices, {m.concentration.establishments:,.0f} establishments inside, "
              f"{m.affordability.rent_observations:,} rent points, "
              f"{len(m.affordability.neighbourhoods)} neighbourhoods touched")
        print(f"  fast  compute(): median {np.median(fast_ms):6.2f} ms, "
              f"p95 {np.percentile(fast_ms, 95):6.2f} ms  (selection alone: median "
              f"{np.median(sel_ms):.2f}, p95 {np.percentile(sel_ms, 95):.2f} ms)")
        print(f"  fast, nothing carried over between edits: median "
              f"{np.median(scratch_ms):6.2f} ms, p95 {np.percentile(scratch_ms, 95):6.2f} ms")
        print(f"  plain sjoin    : median {np.median(plain_ms):6.2f} ms, "
              f"p95 {np.percentile(plain_ms, 95):6.2f} ms")
        print(f"  ratio plain/fast: median {np.median(plain_ms) / np.median(fast_ms):.1f}x, "
              f"p95 {np.percentile(plain_ms, 95) / np.percentile(fast_ms, 95):.1f}x")
        print(f"  fast == plain on all {len(polys)} moves: "
              f"{'yes' if not diffs else 'NO: ' + '; '.join(diffs[:5])}")
    ok &= bench_sensitivity(index, cases[0][1], a, instruments, rng, min(args.moves, 50))
    hs = [_time(lambda: compute_surface(index, a)) for _ in range(3)]
    surface = compute_surface(index, a)
    print(f"\nhot-spot surface (slow path, {surface.shape[1]} x {surface.shape[0]} cells of "
          f"{surface.cell:g} m): median {np.median(hs) * 1000:.0f} ms")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of the whole run: {rss:.0f} MiB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
