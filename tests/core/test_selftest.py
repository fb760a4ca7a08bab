"""`district-planner selftest`: its checks pass on a good installation and fail, with the
reason, on the broken ones a bundle meets (another PROJ's database, a GDAL warning)."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from districtplanner.cli import build_parser, main, selftest

QT_FREE = [
    "data folders",
    "transform through pyproj",
    "transform through pyogrio",
    "transform through rasterio",
    "GeoPackage round trip",
    "GeoTIFF read and write",
    "sample city metrics",
]


def test_qt_free_checks_pass_here(tmp_path: Path) -> None:
    results = selftest.run_checks(tmp_path, QT_FREE)
    assert [r.name for r in results] == QT_FREE
    failed = {r.name: r.detail for r in results if r.status != "ok"}
    assert not failed
    details = {r.name: r.detail for r in results}
    # The data folders name each library's own PROJ and GDAL data.
    assert "proj_dir" in details["data folders"] and "rasterio" in details["data folders"]
    assert "(500000.000," in details["transform through pyproj"]
    assert "(9.0000000, 51.0000000)" in details["transform through pyogrio"]
    # The sample city's three example districts, each with firms and a cost.
    metrics = details["sample city metrics"].splitlines()
    assert len(metrics) == 3 and all("firms" in m and "NPV" in m for m in metrics)
    assert (tmp_path / "roundtrip.gpkg").is_file() and (tmp_path / "written.tif").is_file()


def test_another_projs_database_fails_the_rasterio_check(tmp_path: Path) -> None:
    """The bundle trap: PROJ_DATA pointing at pyproj's (older) proj.db breaks rasterio."""
    import pyproj
    import rasterio

    def version(text: str) -> tuple[int, ...]:
        return tuple(int(p) for p in text.split(".")[:2])

    if version(pyproj.proj_version_str) >= version(rasterio.__proj_version__):
        pytest.skip("pyproj's PROJ is not older than rasterio's here: its database would be "
                    "accepted, so there is no mismatch to provoke")
    code = (
        "import sys; from pathlib import Path\n"
        "from districtplanner.cli import selftest\n"
        "(r,) = selftest.run_checks(Path(sys.argv[1]), ['transform through rasterio'])\n"
        "print(r.status); print(r.detail)\n"
    )
    env = dict(os.environ, PROJ_DATA=pyproj.datadir.get_data_dir())
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env,
                         capture_output=True, text=True, check=True).stdout
    status, detail = out.split("\n", 1)
    assert status == "FAIL"
    assert "another PROJ installation" in detail and "PROJ_DATA" in detail


def test_strict_proj_fails_on_gdal_and_python_warnings() -> None:
    with pytest.raises(selftest.CheckError, match="grid not found"), selftest.strict_proj():
        logging.getLogger("rasterio._env").warning("PROJ: grid not found")
    with pytest.raises(selftest.CheckError, match="ballpark"), selftest.strict_proj():
        warnings.warn("using a ballpark transformation", UserWarning, stacklevel=1)
    with selftest.strict_proj():  # API deprecations are not data problems
        warnings.warn("old API", DeprecationWarning, stacklevel=1)


def test_strict_proj_hears_loggers_someone_silenced() -> None:
    """Another library's logging set-up (a level, `disabled`, logging.disable) must not
    hide a PROJ warning from the check, and is restored afterwards."""
    child = logging.getLogger("rasterio._env")
    child.setLevel(logging.ERROR)
    child.disabled = True
    logging.disable(logging.WARNING)
    try:
        with pytest.raises(selftest.CheckError, match="grid"), selftest.strict_proj():
            child.warning("PROJ: grid not found")
        assert child.level == logging.ERROR and child.disabled
        assert logging.root.manager.disable == logging.WARNING
    finally:
        child.setLevel(logging.NOTSET)
        child.disabled = False
        logging.disable(logging.NOTSET)


def test_a_failed_check_exits_non_zero_with_the_reason(monkeypatch, tmp_path, capsys) -> None:
    def broken(_: Path) -> str:
        raise selftest.CheckError("no GTiff driver in this installation")

    def crashing(_: Path) -> str:
        raise OSError("disk on fire")

    monkeypatch.setattr(selftest, "CHECKS", [
        ("fine", lambda _: "all good", lambda: ""),
        ("GeoTIFF", broken, lambda: ""),
        ("crash", crashing, lambda: ""),
        ("needs Qt", broken, lambda: "PySide6 not installed"),
    ])
    assert main(["selftest", "--keep", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "ok    fine: all good" in out
    assert "FAIL  GeoTIFF: no GTiff driver in this installation" in out
    assert "FAIL  crash: OSError: disk on fire" in out  # the later checks still ran
    assert "skip  needs Qt: PySide6 not installed" in out
    assert "selftest FAILED: GeoTIFF, crash" in err


def test_screenshot_check_runs_with_qt_and_is_skipped_without(tmp_path: Path) -> None:
    (result,) = selftest.run_checks(tmp_path, ["headless screenshot"])
    if importlib.util.find_spec("PySide6") is None:
        assert result.status == "skip" and "PySide6" in result.detail
    else:
        assert result.status == "ok", result.detail
        assert (tmp_path / "screenshot.png").stat().st_size > 10_000


def test_selftest_is_registered_without_loading_the_analysis_stack() -> None:
    code = (
        "import sys\n"
        "from districtplanner.cli import build_parser\n"
        "build_parser('gui').parse_args(['gui'])\n"
        "heavy = [m for m in ('districtplanner.cli.metrics', 'districtplanner.cli.selftest',"
        " 'geopandas', 'scipy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    args = build_parser("selftest").parse_args(["selftest", "--keep", "/tmp/x"])
    assert isinstance(args, argparse.Namespace) and args.keep == Path("/tmp/x")


GRID = Path(__file__).resolve().parents[2] / "installer" / "grids" / "BETA2007.gsb"


def test_grid_check_is_skipped_with_the_reason_when_the_grid_is_missing(tmp_path) -> None:
    from pyproj.transformer import TransformerGroup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "best transformation is not available"
        have_grid = TransformerGroup(selftest.GRID_SRC, selftest.GRID_DST).best_available
    if have_grid:
        pytest.skip("this PROJ already has the BETA2007 grid")
    (result,) = selftest.run_checks(tmp_path, ["datum grid transform"])
    assert result.status == "skip"
    assert "de_adv_BETA2007.tif is not installed" in result.detail


def test_grid_check_catches_a_library_that_lacks_the_grid(tmp_path: Path) -> None:
    """The grid in PROJ's per-user folder: pyproj finds it there, rasterio (whose PROJ
    search path is set to its own data folder) does not, and the check says so. This is
    why build.sh copies each grid into every library's own data folder."""
    home = tmp_path / "home"
    (home / ".local" / "share" / "proj").mkdir(parents=True)
    (home / ".local" / "share" / "proj" / GRID.name).write_bytes(GRID.read_bytes())
    code = (
        "import sys; from pathlib import Path\n"
        "from districtplanner.cli import selftest\n"
        "(r,) = selftest.run_checks(Path(sys.argv[1]), ['datum grid transform'])\n"
        "print(r.status); print(r.detail)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROJ", "XDG"))}
    env["HOME"] = str(home)
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env,
                         capture_output=True, text=True, check=True).stdout
    status, detail = out.split("\n", 1)
    assert status == "FAIL", detail
    assert "rasterio lacks the grid" in detail
