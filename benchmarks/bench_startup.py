"""Time from typing `district-planner` to a drawn map of the sample city, and to the
figures shown beside it.

Runs the installed console script (or, with --exe, any build of the app such as the
PyInstaller bundle) in a fresh process, offscreen so it works without a screen, with
DISTRICT_PLANNER_QUIT_AFTER_DRAW set, which makes the app print "drawn after" once the map
is painted (from the sample city's first frame, io/first_frame.py) and "figures shown
after" once the full document, index and figures are built and the window repainted, then
exit; each clock stops when its line arrives (interpreter shutdown is not part of it).
Prints medians and spread, CPU time, and the load average before and after, since other
work on the machine moves these figures.

The app's own modules are run from bytecode, as an installed copy is (pip and the bundle
compile them): PYTHONDONTWRITEBYTECODE is dropped from the environment, so the warm-up run
writes any missing .pyc files.

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
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(marker)
    else:
        exe = args.exe.resolve()
        home = tempfile.mkdtemp(prefix="bench-startup-home-")
        env = {"HOME": home, "PATH": home, "LANG": "C.UTF-8", **marker}
    subprocess.run([str(exe)], env=env, check=True, capture_output=True)  # warm the disk cache
    load_before = _load()
    drawn, shown, inside, cpu = [], [], [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(exe)], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:  # each clock stops when the app says that part is painted
            if line.startswith("drawn after"):
                drawn.append(time.perf_counter() - t0)
                inside.append(float(line.split()[2]))
            elif line.startswith("figures shown after"):
                shown.append(time.perf_counter() - t0)
                break
        # CPU time (user + system, all threads, to exit) does not grow with other work on
        # the machine the way wall time does: a second view when the machine is busy.
        _, status, usage = os.wait4(proc.pid, 0)
        cpu.append(usage.ru_utime + usage.ru_stime)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"{exe} exited with {os.waitstatus_to_exitcode(status)}")
        if len(drawn) != len(shown):
            raise SystemExit(f"{exe} did not print both 'drawn after' and 'figures shown "
                             "after' (an older build?)")

    def spread(values: list[float]) -> str:
        return (f"median {statistics.median(values):.2f} s, min {min(values):.2f} s, "
                f"max {max(values):.2f} s")

    print(f"{exe}, {args.runs} runs:\n"
          f"  command to drawn map:      {spread(drawn)} (of it in the app after its "
          f"imports: median {statistics.median(inside):.2f} s)\n"
          f"  command to figures shown:  {spread(shown)}\n"
          f"  CPU time to exit: median {statistics.median(cpu):.2f} s; "
          f"load average before {load_before}, after {_load()}")

if __name__ == "__main__":
    main()
