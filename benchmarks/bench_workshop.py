"""Issue 14: time from a what-if slider event to the repainted scenario columns in the
workshop room view, and the time to enter workshop mode, on the 1,000,000-establishment
benchmark city.

Each sample: the slider's value changes (the signal a mouse drag emits), every column's
figures are recomputed under the new value, and the event loop paints what changed (the
cards; the map does not change and is not repainted, as in the app). The plain way, timed
in the same run, recomputes each column from scratch (a fresh ``metrics.compute`` per
district, selection included) and paints the same cards; the ratio is printed. Entering:
from ``Workshop.enter`` to the painted room view.

    .venv/bin/python benchmarks/bench_workshop.py [--moves 200] [--establishments N]
        [--lever designation_uplift]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("DISTRICT_PLANNER_SETTINGS", "")

import numpy as np

from city_window import open_benchmark_window
from districtplanner.analysis.metrics import compute
from districtplanner.ui.workshop.room import WhatIfStrip
from districtplanner.ui.workshop.scenarios import WHATIFS, applied


def summary(name: str, ms: list[float]) -> str:
    a = np.asarray(ms)
    return (f"{name}: median {np.median(a):.1f} ms, p95 {np.percentile(a, 95):.1f} ms, "
            f"max {a.max():.1f} ms ({len(a)} samples)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moves", type=int, default=200)
    ap.add_argument("--establishments", type=int, default=1_000_000)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--lever", default="grant_per_job", choices=sorted(WHATIFS),
                    help="the what-if slider to move")
    args = ap.parse_args()
    n = args.establishments
    size = tuple(int(v) for v in args.size.split("x"))
    app, doc, win = open_benchmark_window(n)
    t1 = time.perf_counter()
    win.recompute.wait_for_index()
    win.recompute.run_now()
    app.processEvents()
    print(f"index built in {time.perf_counter() - t1:.1f} s; "
          f"{len(doc.districts)} districts as columns")

    ws = win.workshop
    t = time.perf_counter()
    ws.enter(size=size)
    ws.room.repaint()
    enter_s = time.perf_counter() - t
    app.processEvents()
    print(f"entering workshop mode: {enter_s * 1000:.0f} ms (room view {size[0]}x{size[1]}, "
          "painted)")

    room = ws.room
    lever = args.lever
    if lever not in ws.levers:
        ws.set_levers([*ws.levers, lever])
    slider = room.strip.sliders[lever]
    # Back and forth across the slider as a hand would drag it.
    positions = [int(slider.maximum() * (0.5 + 0.45 * np.sin(i / 12.0)))
                 for i in range(args.moves)]
    fast: list[float] = []
    figures_ms: list[float] = []
    ws.refreshed.connect(lambda seconds: figures_ms.append(seconds * 1000))
    for pos in positions:
        if pos == slider.value():
            pos += 1
        t = time.perf_counter()
        slider.setValue(pos)
        app.processEvents()  # paints the changed cards
        fast.append((time.perf_counter() - t) * 1000)

    index = win.session.figures.index
    by_id = {d.id: d for d in doc.districts}
    plain: list[float] = []
    for pos in positions[: max(20, args.moves // 4)]:
        t = time.perf_counter()
        value = WhatIfStrip._from_pos(WHATIFS[lever], pos)
        out = {}
        for did in ws.scenario_ids:
            d = by_id[did]
            a, package = applied(doc.assumptions, d.instruments, {lever: value})
            out[did] = compute(index, d.geometry, a, package, d.name)
        room.show_figures(None, out, ws.scenario_ids[0])
        app.processEvents()
        plain.append((time.perf_counter() - t) * 1000)
    # The fast path's figures equal the plain ones at the last value.
    ws.set_whatif(lever, value)
    _, fast_figs = ws.figures.compute([by_id[i] for i in ws.scenario_ids], doc.assumptions,
                                      ws.overrides, city=False)
    for did, m in out.items():
        a, b = fast_figs[did].to_dict(), m.to_dict()
        a.pop("explanations"), b.pop("explanations")
        assert a == b, did
    print(summary(f"slider '{lever}' to repainted columns (cached selections)", fast))
    print(summary("  of which figures and card texts", figures_ms))
    print(summary("plain way (fresh metrics.compute per column, same repaint)", plain))
    print(f"ratio plain / fast (median): {statistics.median(plain) / statistics.median(fast):.1f}x;"
          f" budget 33 ms per frame: {'met' if statistics.median(fast) <= 33 else 'NOT met'}")
    ws.leave()
    win.close()


if __name__ == "__main__":
    main()
