"""Issue 10: save and open of the 1,000,000-establishment benchmark city as a project (every
layer copied in), against plain pyogrio writing and reading the same vector layers (and
rasterio the rent raster, as a GeoTIFF) in the same run; then the worst mouse-move-to-pixels
time of a vertex drag while an autosave of that plan is being written.

Goals: open within 1.5x of the plain read, save within 2x of the plain write.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_project.py \\
        [--establishments 1000000] [--runs 3] [--moves 200] [--no-drag | --drag-only]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "ui"))

import numpy as np
import pyogrio
import rasterio
import shapely
from rasterio.transform import Affine

from districtplanner.analysis.incentives import default_instruments
from districtplanner.analysis.raster import Raster
from districtplanner.io.sample import CITY_NAME, loaded_from_city
from districtplanner.model.build import document_from_loaded
from districtplanner.project import load_project, save_project
from districtplanner.sample_city import benchmark_city


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def plain_write(doc, folder: Path) -> None:
    """What a plain script does: each vector layer with pyogrio into one GeoPackage, the
    raster with rasterio as a GeoTIFF."""
    gpkg = folder / "plain.gpkg"
    for f in folder.glob("plain*"):
        f.unlink()
    for i, layer in enumerate(doc.layers):
        if isinstance(layer.data, Raster):
            r = layer.data
            with rasterio.open(folder / f"plain{i}.tif", "w", driver="GTiff",
                               height=r.shape[0], width=r.shape[1], count=1,
                               dtype=r.values.dtype, crs=r.crs,
                               transform=Affine(*r.transform)) as dst:
                dst.write(r.values, 1)
        else:
            pyogrio.write_dataframe(layer.data, gpkg, layer=f"layer{i}", driver="GPKG")


def plain_read(doc, folder: Path) -> list:
    out = []
    for i, layer in enumerate(doc.layers):
        if isinstance(layer.data, Raster):
            with rasterio.open(folder / f"plain{i}.tif") as src:
                out.append(src.read(1))
        else:
            out.append(pyogrio.read_dataframe(folder / "plain.gpkg", layer=f"layer{i}"))
    return out


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def describe(label: str, secs: list[float]) -> str:
    return (f"{label}: median {statistics.median(secs):.2f} s "
            f"(min {min(secs):.2f}, max {max(secs):.2f}, {len(secs)} runs)")


def drag_during_autosave(doc, moves: int) -> None:
    from mouse import move_held, press, release
    from PySide6.QtWidgets import QApplication

    from districtplanner.model.commands import UpdateDistrict
    from districtplanner.project.autosave import snapshot_document
    from districtplanner.ui.app import application
    from districtplanner.ui.main_window import MainWindow

    app = application()
    win = MainWindow(doc)
    win.resize(1600, 1000)
    win.show()
    app.processEvents()
    win.recompute.wait_for_index()
    d = doc.district(doc.selection.active_district)
    win.canvas.zoom_to(d.geometry.buffer(1500).bounds)
    win.tool_actions["edit"].trigger()
    app.processEvents()
    # Only the autosave this script starts may run: no timer fires one into the quiet drag.
    win.project.timer.stop()
    win.project.idle.setInterval(10**9)

    def drag(during_autosave: str) -> tuple[list[float], int]:
        d = doc.district(doc.selection.active_district)
        vx, vy = shapely.get_coordinates(d.geometry.exterior)[0]
        cx, cy = d.geometry.centroid.x, d.geometry.centroid.y
        future = None
        if during_autosave:
            # An edit makes the plan unsaved; the autosave starts just before the drag,
            # as when the timer fires while the planner reaches for a vertex.
            win.session.stack.push(UpdateDistrict(doc, d.id, notes=f"note {time.time()}"))
            if during_autosave == "child":
                future = win.project.autosave_now()
            else:  # the plain way: pyogrio writing in a worker thread of this process
                future = win.project._executor.submit(
                    win.project.autosave.write, snapshot_document(doc), False)
            assert future is not None
        press(win.canvas, vx, vy)
        samples = []
        overlapped = 0
        for i in range(moves):
            f = 0.3 * np.sin(i / 15.0)
            x, y = vx + (vx - cx) * f, vy + (vy - cy) * f
            t = time.perf_counter()
            move_held(win.canvas, x, y)
            win.recompute.run_now()
            win.repaint()
            samples.append((time.perf_counter() - t) * 1000)
            if future is not None and not future.done():
                overlapped += 1
        release(win.canvas, vx, vy)
        QApplication.processEvents()
        if future is not None:
            t = time.perf_counter()
            future.result()
            print(f"  (autosave finished {time.perf_counter() - t:.1f} s after the drag)")
        return samples, overlapped

    quiet, _ = drag("")
    child, n_child = drag("child")
    thread, n_thread = drag("thread")
    print(f"vertex drag, mouse-move -> repainted window, {moves} moves "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    print(f"  without autosave: median {statistics.median(quiet):.1f} ms, "
          f"p95 {percentile(quiet, 95):.1f} ms, worst {max(quiet):.1f} ms")
    for label, busy, overlapped in (("autosave in a child process (the app)", child, n_child),
                                    ("autosave in a thread (plain way)", thread, n_thread)):
        during = busy[:overlapped] or busy
        print(f"  {label}, {overlapped} of {moves} moves during the write: "
              f"median {statistics.median(during):.1f} ms, p95 {percentile(during, 95):.1f} ms,"
              f" worst {max(during):.1f} ms")
    win.project._closing_confirmed = True
    win.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--establishments", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--moves", type=int, default=200)
    ap.add_argument("--no-drag", action="store_true")
    ap.add_argument("--drag-only", action="store_true", help="skip the save/open timings")
    args = ap.parse_args()
    n = args.establishments
    t0 = time.perf_counter()
    city = benchmark_city(n)
    doc = document_from_loaded(loaded_from_city(city), title=CITY_NAME)
    for d in doc.districts:
        d.instruments = default_instruments()
    del city
    rows = sum(len(la.data) for la in doc.layers if not isinstance(la.data, Raster))
    print(f"generated the city in {time.perf_counter() - t0:.1f} s: {len(doc.layers)} layers, "
          f"{rows:,} vector features, {len(doc.districts)} districts")

    if args.drag_only:
        drag_during_autosave(doc, args.moves)
        return
    with tempfile.TemporaryDirectory(prefix="bench-project-", dir=os.environ.get("TMPDIR"))\
            as tmp:
        folder = Path(tmp)
        plan = folder / "plan.gpkg"
        save_s, write_s, open_s, read_s = [], [], [], []
        for _ in range(args.runs):  # interleaved, so both see the same disk and cache state
            write_s += timed(lambda: plain_write(doc, folder), 1)
            save_s += timed(lambda: save_project(doc, plan), 1)
            read_s += timed(lambda: plain_read(doc, folder), 1)
            open_s += timed(lambda: load_project(plan), 1)
        size = plan.stat().st_size / 1e6
        plain_size = sum(f.stat().st_size for f in folder.glob("plain*")) / 1e6
        print(describe("save project (atomic: temp file, validate, .bak, replace)", save_s))
        print(describe("plain pyogrio write of the same layers (+ raster GeoTIFF)", write_s))
        ratio = statistics.median(save_s) / statistics.median(write_s)
        print(f"  save / plain write = {ratio:.2f}x"
              f" (goal <= 2x); project {size:.0f} MB, plain files {plain_size:.0f} MB")
        print(describe("open project", open_s))
        print(describe("plain pyogrio read of the same layers (+ raster)", read_s))
        print(f"  open / plain read = {statistics.median(open_s) / statistics.median(read_s):.2f}x"
              " (goal <= 1.5x)")
    if not args.no_drag:
        drag_during_autosave(doc, args.moves)


if __name__ == "__main__":
    main()
