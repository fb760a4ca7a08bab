"""Start-up import discipline: opening the app on the sample city must not import what it
does not need to draw it (issue 15). The generator (`sample_city.py`) and scipy.ndimage
cost ~0.3 s and are needed only to make a city or a hot-spot surface; the metrics command
pulls in the whole analysis stack at parse time unless it is loaded lazily. The first
frame (the city painted from resources/sample_city/first_frame.npz) comes before geopandas,
pandas, pyogrio, rasterio, pyproj, scipy and pyqtgraph, about a second of imports."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

NOT_AT_START = (
    "districtplanner.sample_city",     # the generator: the city is read from its files
    "scipy.ndimage",                    # hot-spot surface and the generator only
    "districtplanner.cli.metrics",      # other subcommands' modules
    "districtplanner.cli.selftest",
    "districtplanner.cli.report",
)


# Not imported before the first frame is on screen (all are needed by the full window).
NOT_BEFORE_FIRST_PAINT = ("geopandas", "pandas", "pyogrio", "rasterio", "pyproj", "scipy",
                          "pyqtgraph", "districtplanner.model.document",
                          "districtplanner.analysis.index")


def test_sample_city_title_matches_the_generator() -> None:
    from districtplanner import sample_city
    from districtplanner.io import sample

    assert sample.CITY_NAME == sample_city.CITY_NAME


def test_reading_the_sample_city_does_not_import_the_generator() -> None:
    code = (
        "import json, sys\n"
        "from districtplanner.io.sample import load_sample_city\n"
        "from districtplanner.paths import sample_city_dir\n"
        "layers = load_sample_city(sample_city_dir())\n"
        "print(json.dumps([len(layers), sorted(sys.modules)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    n, modules = json.loads(out)
    assert n >= 8  # rent raster + seven vector layers + example districts
    assert "districtplanner.sample_city" not in modules
    assert not any(m.startswith("scipy") for m in modules), [m for m in modules if "scipy" in m]


@pytest.mark.skipif(importlib.util.find_spec("PySide6") is None, reason="needs Qt")
def test_opening_the_app_draws_the_city_without_the_generator_or_ndimage() -> None:
    """The real start path (`district-planner` with no arguments) up to the painted map."""
    code = (
        "import json, sys\n"
        "from districtplanner.ui import app\n"
        "first = {}\n"
        "finish = app.read_sample_city_then_finish\n"
        "def spy(window):\n"
        "    first['modules'] = sorted(sys.modules)\n"
        "    first['painted'] = window.first_frame.paint_count\n"
        "    done = finish(window)\n"
        "    done.add_done_callback(lambda f: first.update(ready=f.result()))\n"
        "    return done\n"
        "app.read_sample_city_then_finish = spy\n"
        "from districtplanner.cli import main\n"
        "rc = main([])\n"
        "print('FIRST ' + json.dumps(first))\n"
        "print('MODULES ' + json.dumps(sorted(sys.modules)))\n"
        "sys.exit(rc)\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DISTRICT_PLANNER_QUIT_AFTER_DRAW="1")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "drawn after" in proc.stdout
    line = next(x for x in proc.stdout.splitlines() if x.startswith("MODULES "))
    modules = set(json.loads(line.removeprefix("MODULES ")))
    assert "districtplanner.ui.main_window" in modules  # it did open the window
    loaded = sorted(m for m in NOT_AT_START if m in modules)
    assert not loaded, f"imported at start: {loaded}"
    # The map was painted from the first frame before the heavy libraries came in, and
    # then the same window became the full one.
    assert proc.stdout.index("drawn after") < proc.stdout.index("figures shown after")
    first = json.loads(next(x for x in proc.stdout.splitlines()
                            if x.startswith("FIRST ")).removeprefix("FIRST "))
    assert first["painted"] >= 1 and first["ready"]
    early = sorted({m.split(".")[0] if not m.startswith("districtplanner") else m
                    for m in first["modules"]
                    if m in NOT_BEFORE_FIRST_PAINT or m.split(".")[0] in NOT_BEFORE_FIRST_PAINT})
    assert not early, f"imported before the first frame was painted: {early}"
    assert {"geopandas", "pyqtgraph", "districtplanner.analysis.index"} <= modules


@pytest.mark.skipif(importlib.util.find_spec("PySide6") is None, reason="needs Qt")
def test_the_window_carries_the_installed_icon_and_desktop_entry_name() -> None:
    code = (
        "from districtplanner.ui.app import application\n"
        "app = application()\n"
        "assert app.desktopFileName() == 'district-planner', app.desktopFileName()\n"
        "sizes = app.windowIcon().availableSizes()\n"
        "assert sizes and sizes[0].width() == 256, sizes\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
