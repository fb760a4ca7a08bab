"""Time from typing `district-planner` to a drawn map of the sample city.

Runs the installed console script in a fresh process (offscreen, so it works without a
screen) with DISTRICT_PLANNER_QUIT_AFTER_DRAW set, which makes the app exit right after the
map is painted; the clock stops when it prints that line (interpreter shutdown is not part of
it). Wall time per run includes interpreter start, imports, reading the sample
city, building the index, computing the figures and painting. Prints median and spread.

    .venv/bin/python benchmarks/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    exe = Path(sys.executable).with_name("district-planner")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DISTRICT_PLANNER_QUIT_AFTER_DRAW="1")
    subprocess.run([str(exe)], env=env, check=True, capture_output=True)  # warm the disk cache
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(exe)], env=env, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:  # the clock stops when the app says the map is painted
            if line.startswith("drawn after"):
                times.append(time.perf_counter() - t0)
                break
        proc.wait()
        if proc.returncode:
            raise SystemExit(f"district-planner exited with {proc.returncode}")
    print(f"command to drawn map, {args.runs} runs: median {statistics.median(times):.2f} s, "
          f"min {min(times):.2f} s, max {max(times):.2f} s")


if __name__ == "__main__":
    main()
