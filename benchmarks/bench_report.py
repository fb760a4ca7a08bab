"""Time the PDF plan export: the sample city and the 1M benchmark city, with the size in MB.

Run outside the test suite:  QT_QPA_PLATFORM=offscreen python benchmarks/bench_report.py
[--n 1000000] [--runs 5]. The plain way is timed in the same run: the same plan with every
point drawn as its own vector dot (what a painter-based exporter does without the density
image), so the printed ratio is the price of drawing a dense layer point by point.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def export_times(document, runs: int, folder: Path, label: str) -> tuple[list[float], object,
                                                                        dict[str, float]]:
    from districtplanner.model.figures import Figures
    from districtplanner.ui.report import export_plan

    seconds = []
    cpu = []
    result = None
    steps: dict[str, float] = {}
    for i in range(runs):
        last = [time.perf_counter()]
        marks: list[tuple[str, float]] = []

        def progress(done: int, total: int, what: str, last=last, marks=marks) -> None:
            now = time.perf_counter()
            marks.append((what, now - last[0]))
            last[0] = now

        t = time.perf_counter()
        c = time.process_time()
        # A fresh Figures each run: the export pays for the city index, as the CLI does.
        result = export_plan(document, folder / f"{label}-{i}.pdf", figures=Figures(document),
                             progress=progress)
        seconds.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        if i == runs - 1:
            # Each mark is the time of the step *before* it was announced.
            names = ["start"] + [w for w, _ in marks[:-1]]
            steps = {n: s for n, (_, s) in zip(names, marks, strict=True)}
            steps["last step, attach, close"] = time.perf_counter() - last[0]
    print(f"  (CPU time of this process, all threads: median {statistics.median(cpu):.2f} s;"
          f" more wall time than CPU time means waiting on the disk or on other processes)")
    return seconds, result, steps


def report(label: str, seconds: list[float], result) -> None:
    med = statistics.median(seconds)
    print(f"{label}: median {med:.2f} s over {len(seconds)} runs (min {min(seconds):.2f}, "
          f"max {max(seconds):.2f}); {result.pages} pages, {result.size_bytes / 1e6:.2f} MB, "
          f"density images for {', '.join(result.density_layers) or 'no layer'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="establishments of the big city "
                    "(0: sample city only)")
    ap.add_argument("--runs", type=int, default=5, help="exports of the sample city")
    args = ap.parse_args(argv)

    from districtplanner.analysis.incentives import default_instruments
    from districtplanner.io.sample import loaded_from_city
    from districtplanner.model.build import document_from_loaded, open_sample_city
    from districtplanner.sample_city import generate_city
    from districtplanner.ui.app import application
    from districtplanner.ui.report import map_drawing

    application()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        doc = open_sample_city()
        fast, r_fast, steps = export_times(doc, args.runs, folder, "sample")
        report("Sample city plan", fast, r_fast)
        print("  steps of the last run: " + ", ".join(f"{k} {v:.2f} s" for k, v in
                                                       steps.items()))
        dense = map_drawing.DENSE_POINTS
        map_drawing.DENSE_POINTS = 10**12
        try:
            plain, r_plain, _ = export_times(doc, max(1, args.runs // 2), folder, "plain")
        finally:
            map_drawing.DENSE_POINTS = dense
        report("  plain way (every point a vector dot)", plain, r_plain)
        ratio = statistics.median(plain) / statistics.median(fast)
        print(f"  ratio plain / plan: time {ratio:.1f}x, "
              f"size {r_plain.size_bytes / r_fast.size_bytes:.1f}x")

        if args.n:
            t = time.perf_counter()
            scale = args.n / 1_000_000
            city = generate_city(args.n, n_rent_points=int(200_000 * scale),
                                 n_stops=max(2, int(5_000 * scale)),
                                 n_institutions=int(3_000 * scale),
                                 n_neighbourhoods=max(1, int(2_000 * scale)))
            big = document_from_loaded(loaded_from_city(city), title="Benchmark city")
            for d in big.districts:
                d.instruments = default_instruments()
            print(f"\nbenchmark city ready in {time.perf_counter() - t:.1f} s: "
                  f"{len(city.establishments):,} establishments, {len(big.districts)} districts")
            del city
            secs, r_big, steps = export_times(big, 1, folder, "big")
            report(f"{args.n:,}-establishment city plan", secs, r_big)
            print("  steps: " + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()))
            # As from the window with a saved, unchanged plan: the figures are already
            # there and the saved project file is attached as it is.
            from districtplanner.model.figures import Figures
            from districtplanner.project import save_project
            from districtplanner.ui.report import PlanOptions, export_plan

            saved = folder / "big.gpkg"
            save_project(big, saved)
            figures = Figures(big)
            figures.compute()
            t, c = time.perf_counter(), time.process_time()
            r = export_plan(big, folder / "big-saved.pdf", PlanOptions(project_file=saved),
                            figures=figures)
            print(f"same plan from the window, saved and unchanged (figures already "
                  f"computed, saved file attached): {time.perf_counter() - t:.2f} s wall, "
                  f"{time.process_time() - c:.2f} s CPU; {r.size_bytes / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
