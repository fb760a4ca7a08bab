"""Time the PDF plan export: the sample city and the 1M benchmark city, with the size in MB.

Run outside the test suite:  QT_QPA_PLATFORM=offscreen python benchmarks/bench_report.py
[--n 1000000] [--runs 5] [--cache /tmp/city1m.pkl]. Two plain ways are timed in the same run:

- sample city: the same plan with every point drawn as its own vector dot (what a
  painter-based exporter does without the density image);
- 1M city: the export as it was before it moved off the GUI thread: pages drawn step by step
  on the GUI thread, the project written (with its R-trees) in a thread of this process, and
  attached through QPdfWriter, which deflates it on the drawing thread while closing.

The 1M export is timed as the window runs it (the export dialog, pages in its worker
thread), from a plan whose city is loaded and indexed and whose figures the panels already
show: loading the city and building its index are not part of an export. It prints wall
time, CPU time of this process and of the child process that writes the project, the
longest stall of the GUI thread (a 10 ms timer's largest gap) and the PDF's size, for an
unsaved plan (the project written afresh) and a saved, unchanged one (the saved file
attached as it is).
"""

from __future__ import annotations

import argparse
import itertools
import os
import pickle
import resource
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


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def qt_attaching_export():
    """The plain way: PlanExport as it was, the project written in a thread of this process
    (pyogrio holds the GIL meanwhile) and deflated by QPdfWriter on the drawing thread."""
    from PySide6.QtCore import QByteArray

    from districtplanner.project.format import write_project
    from districtplanner.project.pdf import ATTACHMENT_MIME, ATTACHMENT_NAME
    from districtplanner.ui.report.plan import PlanExport

    class QtAttaching(PlanExport):
        def _start_packing(self, pool, cancelled):
            def project_bytes() -> bytes:
                saved = self.options.project_file
                if saved is not None:
                    return saved.read_bytes()
                with tempfile.TemporaryDirectory() as folder:
                    target = Path(folder) / ATTACHMENT_NAME
                    write_project(self.document, target)
                    return target.read_bytes()

            return pool.submit(project_bytes)

        def _close_and_attach(self, canvas, packing, pages_file, whole_file):
            canvas.writer.addFileAttachment(ATTACHMENT_NAME, QByteArray(packing.result()),
                                            ATTACHMENT_MIME)
            canvas.finish()
            del canvas.writer
            os.replace(pages_file, self.path)
            return True

    return QtAttaching


def window_export(document, figures, path: Path, project_file: Path | None = None,
                  gui_thread: bool = False) -> dict:
    """One export as File > Export plan runs it; what it cost and how long the GUI thread
    stalled. ``gui_thread``: the plain way, every step on the GUI thread (as before)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from districtplanner.ui.dialogs.export_plan import ExportPlanDialog
    from districtplanner.ui.report import PlanOptions

    app = QApplication.instance()
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    steps: list[tuple[float, str]] = []
    t, c, k = time.perf_counter(), time.process_time(), _children_cpu()
    if gui_thread:
        export = qt_attaching_export()(document, path, PlanOptions(project_file=project_file),
                                       figures)
        export.prepare_figures()
        timer.start()
        for what in export.steps():
            steps.append((time.perf_counter(), what))
            app.processEvents()  # one step per event-loop turn, as the old dialog did
        result = export.result
    else:
        dialog = ExportPlanDialog(document, figures, path=path, project_file=project_file)
        dialog.progress.valueChanged.connect(
            lambda _: steps.append((time.perf_counter(), dialog.status.text())))
        timer.start()
        dialog.start()
        while dialog.running:
            app.processEvents()
            time.sleep(0.002)
        result = dialog.result
        assert result is not None, dialog.status.text()
    wall = time.perf_counter() - t
    timer.stop()
    edges = [t, *ticks, t + wall]
    gaps = [(b - a, a) for a, b in itertools.pairwise(edges)]
    marks = [t] + [s for s, _ in steps] + [t + wall]
    names = ["start"] + [w.removeprefix("Writing the plan: ").rstrip("…") for _, w in steps]
    spans = [b - a for a, b in itertools.pairwise(marks)]

    def step_at(when: float) -> str:
        i = max(j for j, m in enumerate(marks[:-1]) if m <= when)
        return names[i]

    worst = sorted(gaps, reverse=True)[:3]
    return {"wall": wall, "cpu": time.process_time() - c, "child": _children_cpu() - k,
            "stall": worst[0][0], "mb": result.size_bytes / 1e6, "pages": result.pages,
            "stalls": [(g, step_at(a)) for g, a in worst],
            "steps": dict(zip(names, spans, strict=True)), "path": result.path}


def print_export(label: str, r: dict) -> None:
    print(f"{label}: {r['wall']:.2f} s wall; CPU {r['cpu']:.2f} s this process + "
          f"{r['child']:.2f} s child; longest GUI-thread stall {r['stall'] * 1000:.0f} ms; "
          f"{r['pages']} pages, {r['mb']:.2f} MB")
    slow = sorted(r["steps"].items(), key=lambda kv: -kv[1])[:4]
    print("    slowest steps: " + ", ".join(f"{k} {v:.2f} s" for k, v in slow))
    print("    longest GUI-thread stalls, in step: " + ", ".join(
        f"{g * 1000:.0f} ms in {k}" for g, k in r["stalls"]))


def big_city(n: int, cache: Path | None):
    from districtplanner.analysis.incentives import default_instruments
    from districtplanner.io.sample import loaded_from_city
    from districtplanner.model.build import document_from_loaded
    from districtplanner.sample_city import benchmark_city

    if cache is not None and cache.exists():
        with cache.open("rb") as fh:
            city = pickle.load(fh)
    else:
        city = benchmark_city(n)
        if cache is not None:
            with cache.open("wb") as fh:
                pickle.dump(city, fh, protocol=pickle.HIGHEST_PROTOCOL)
    big = document_from_loaded(loaded_from_city(city), title="Benchmark city")
    for d in big.districts:
        d.instruments = default_instruments()
    return big, len(city.establishments)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="establishments of the big city "
                    "(0: sample city only)")
    ap.add_argument("--runs", type=int, default=5, help="exports of the sample city")
    ap.add_argument("--big-runs", type=int, default=1,
                    help="exports of the big city per way (the median is printed)")
    ap.add_argument("--cache", type=Path, default=None,
                    help="pickle of the generated big city: read if present, else written "
                         "(bench_metrics.py --cache makes the same file)")
    ap.add_argument("--no-sample", action="store_true", help="skip the sample city")
    ap.add_argument("--keep", type=Path, default=None, metavar="FOLDER",
                    help="write the PDFs there and keep them (to look at or check with "
                         "pdfinfo/pdfdetach); default: a temporary folder")
    args = ap.parse_args(argv)

    from districtplanner.model.build import open_sample_city
    from districtplanner.ui.app import application
    from districtplanner.ui.report import map_drawing

    application()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            folder = args.keep
        if not args.no_sample:
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
            from districtplanner.model.figures import Figures
            from districtplanner.project import load_project, save_project

            t = time.perf_counter()
            big, n = big_city(args.n, args.cache)
            print(f"\nbenchmark city ready in {time.perf_counter() - t:.1f} s: {n:,} "
                  f"establishments, {len(big.districts)} districts")
            t = time.perf_counter()
            figures = Figures(big)
            figures.ensure_index()
            figures.compute()
            print(f"city index and figures, as the window has them before any export (not "
                  f"part of the export): {time.perf_counter() - t:.2f} s")
            saved = folder / "big.gpkg"
            save_project(big, saved)
            print(f"saved project file: {saved.stat().st_size / 1e6:.1f} MB (with R-trees)")
            results: dict[str, list[dict]] = {}
            for i in range(args.big_runs):
                for key, project_file, plain in (("unsaved", None, False),
                                                 ("unsaved-plain", None, True),
                                                 ("saved", saved, False),
                                                 ("saved-plain", saved, True)):
                    r = window_export(big, figures, folder / f"big-{key}-{i}.pdf",
                                      project_file, gui_thread=plain)
                    results.setdefault(key, []).append(r)
                    print(f"  [{key} run {i + 1}: {r['wall']:.2f} s, stall "
                          f"{r['stall'] * 1000:.0f} ms, load average "
                          f"{os.getloadavg()[0]:.2f}]")

            def med(key: str) -> dict:
                runs = sorted(results[key], key=lambda r: r["wall"])
                return runs[len(runs) // 2]

            print(f"\n{n:,}-establishment city plan, exported from the window "
                  f"(median of {args.big_runs}):")
            for key, label in (("unsaved", "unsaved plan (project written afresh)"),
                               ("unsaved-plain", "  plain way (GUI thread, Qt attaches)"),
                               ("saved", "saved, unchanged plan (saved file attached)"),
                               ("saved-plain", "  plain way (GUI thread, Qt attaches)")):
                print_export(label, med(key))
            for key in ("unsaved", "saved"):
                new, old = med(key), med(f"{key}-plain")
                print(f"ratio plain / plan, {key}: time {old['wall'] / new['wall']:.1f}x, "
                      f"GUI stall {old['stall'] / new['stall']:.0f}x, "
                      f"size {old['mb'] / new['mb']:.2f}x")
            t = time.perf_counter()
            reopened = load_project(med("unsaved")["path"])
            assert len(reopened.layers) == len(big.layers)
            print(f"the unsaved plan's PDF reopens as a plan in {time.perf_counter() - t:.2f} s "
                  f"({len(reopened.layers)} layers, {len(reopened.districts)} districts)")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
