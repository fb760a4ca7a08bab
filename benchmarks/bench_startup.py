"""Time from typing `district-planner` to a drawn map of the sample city.

Runs the installed console script (or, with --exe, any build of the app such as the
PyInstaller bundle) in a fresh process, offscreen so it works without a screen, with
DISTRICT_PLANNER_QUIT_AFTER_DRAW set, which makes the app exit right after the map is
painted; the clock stops when it prints that line (interpreter shutdown is not part of it).
Wall time per run includes interpreter start, imports, reading the sample city, building
the index, computing the figures and painting. Prints median and spread, and the load
average before and after, since other work on the machine moves these figures.

    .venv/bin/python benchmarks/bench_startup.py [--runs 7]
    python3 benchmarks/bench_startup.py --exe dist/district-planner/district-planner
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--exe", type=Path, default=None,
                    help="the app to start (default: this venv's district-planner); run "
                         "with a clean environment, as on a desk")
    args = ap.parse_args()
    marker = {"QT_QPA_PLATFORM": "offscreen", "DISTRICT_PLANNER_QUIT_AFTER_DRAW": "1"}
    if args.exe is None:
        exe = Path(sys.executable).with_name("district-planner")
        env = dict(os.environ, **marker)
    else:
        exe = args.exe.resolve()
        home = tempfile.mkdtemp(prefix="bench-startup-home-")
        env = {"HOME": home, "PATH": home, "LANG": "C.UTF-8", **marker}
    subprocess.run([str(exe)], env=env, check=True, capture_output=True)  # warm the disk cache
    load_before = _load()
    times, inside, cpu = [], [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(exe)], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:  # the clock stops when the app says the map is painted
            if line.startswith("drawn after"):
                times.append(time.perf_counter() - t0)
                inside.append(float(line.split()[2]))
                break
        # CPU time (user + system, all threads, to exit) does not grow with other work on
        # the machine the way wall time does: a second view when the machine is busy.
        _, status, usage = os.wait4(proc.pid, 0)
        cpu.append(usage.ru_utime + usage.ru_stime)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"{exe} exited with {os.waitstatus_to_exitcode(status)}")
    print(f"{exe}: command to drawn map, {args.runs} runs: median "
          f"{statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s "
          f"(of it in the app after its imports: median {statistics.median(inside):.2f} s); "
          f"CPU time to exit: median {statistics.median(cpu):.2f} s; "
          f"load average before {load_before}, after {_load()}")


if __name__ == "__main__":
    main()
