"""`district-planner selftest`: prove that this installation can do its work, offline.

Written for the installed bundle, where the usual failures are silent: a library finding
another library's PROJ database, a missing GDAL driver, a missing Qt plugin, a font that
did not ship. Each check prints one line (``ok``, ``FAIL`` or ``skip``) with what it used;
any failure makes the command exit non-zero after running the rest, so one run tells the
whole story. The same checks run from the venv (the tests call them) and from the bundle
(``installer/smoke.sh``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

# A point on UTM zone 32N's central meridian (9° E), where x is exactly 500,000 m: a fact
# of the projection, so the transforms are checked against truth, not against each other.
LON, LAT = 9.0, 51.0
UTM = "EPSG:32632"
WGS84 = "EPSG:4326"
TOLERANCE_M = 0.001
TOLERANCE_DEG = 2e-7  # GeoJSON (RFC 7946) keeps 7 decimals: about 1 cm
SUBPROCESS_TIMEOUT_S = 180


class CheckError(Exception):
    """A check found a problem; the message says what and, when known, what to do."""


@dataclass
class Result:
    name: str
    status: str  # "ok" | "FAIL" | "skip"
    detail: str
    seconds: float


@contextlib.contextmanager
def strict_proj() -> Iterator[list[str]]:
    """Collect every warning (Python warnings and GDAL/PROJ messages that rasterio and
    pyogrio forward to logging) raised inside the block, and fail if there was any: PROJ
    reports a wrong database or a missing grid as a warning and then carries on."""
    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(f"{record.name}: {record.getMessage()}")

    handler = _Collect(level=logging.WARNING)
    prefixes = ("rasterio", "pyogrio", "pyproj", "fiona")
    loggers = [logging.getLogger(n) for n in prefixes]
    # A library or an earlier logging set-up may have silenced these loggers (a level above
    # WARNING, `disabled`, logging.disable); for the check they must speak, then as before.
    children = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
                if name.startswith(tuple(p + "." for p in prefixes))]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers + children]
    global_disable = logging.root.manager.disable
    logging.disable(logging.NOTSET)
    for lg, level, _ in saved:
        lg.disabled = False
        if level > logging.WARNING:
            lg.setLevel(logging.WARNING)
    for lg in loggers:
        lg.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield messages
        # Deprecations are about Python APIs (rasterio's own Affine '*'), not the data.
        api = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
        messages.extend(f"{w.category.__name__}: {w.message}" for w in caught
                        if not issubclass(w.category, api))
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled
        logging.disable(global_disable)
    if messages:
        raise CheckError("PROJ/GDAL warned: " + " | ".join(messages))


def _expected_utm() -> tuple[float, float]:
    from pyproj import Transformer

    t = Transformer.from_crs(WGS84, UTM, always_xy=True, only_best=True)
    x, y = t.transform(LON, LAT, errcheck=True)
    return float(x), float(y)


# ---------------------------------------------------------------- the checks


def check_data_folders(_: Path) -> str:
    """Which data each library reads: a wrong folder here explains most PROJ failures."""
    import pyogrio
    import pyproj
    import rasterio
    from rasterio.env import GDALDataFinder, PROJDataFinder

    env = {k: os.environ[k] for k in ("GDAL_DATA", "PROJ_DATA", "PROJ_LIB") if k in os.environ}
    # The bundle's runtime hook removes these so each library reads its own data.
    ignored = os.environ.get("DISTRICT_PLANNER_IGNORED_ENV", "")
    proj_dir = Path(pyproj.datadir.get_data_dir())
    grids = sorted(p.name for p in proj_dir.iterdir() if p.suffix in (".tif", ".gsb", ".gtx"))
    lines = [
        f"environment: {env or 'no GDAL_DATA/PROJ_DATA/PROJ_LIB set'}"
        + (f" (ignored at start: {ignored})" if ignored else ""),
        f"pyproj {pyproj.__version__} (PROJ {pyproj.proj_version_str}): {proj_dir}; "
        f"network {'ON' if pyproj.network.is_network_enabled() else 'off'}; "
        f"datum grids: {', '.join(grids) if grids else 'none'}",
        f"pyogrio {pyogrio.__version__} (GDAL {pyogrio.__gdal_version_string__}): "
        f"GDAL_DATA {pyogrio.get_gdal_data_path()}",
        f"rasterio {rasterio.__version__} (GDAL {rasterio.__gdal_version__}, PROJ "
        f"{rasterio.__proj_version__}): GDAL_DATA {GDALDataFinder().search()}, "
        f"PROJ data {os.environ.get('PROJ_DATA') or PROJDataFinder().search()}",
    ]
    for folder in (proj_dir,):
        if not (folder / "proj.db").is_file():
            raise CheckError(f"{folder} has no proj.db: this installation is incomplete; "
                              "reinstall District Planner")
    return "\n".join(lines)


def check_pyproj(_: Path) -> str:
    """pyproj's own PROJ: the transform the app uses to bring lon/lat files into metres."""
    with strict_proj():
        x, y = _expected_utm()
    if abs(x - 500_000.0) > TOLERANCE_M:
        raise CheckError(f"pyproj put 9°E at x={x:.3f} m, not 500000 m")
    return f"{LON}°E {LAT}°N -> {UTM} ({x:.3f}, {y:.3f})"


def check_pyogrio(tmp: Path) -> str:
    """pyogrio's GDAL and PROJ: write UTM points as RFC 7946 GeoJSON, which GDAL
    reprojects to lon/lat on the way out."""
    import geopandas as gpd
    import pyogrio
    import shapely

    x, y = _expected_utm()
    path = tmp / "transform.geojson"
    frame = gpd.GeoDataFrame({"name": ["here"]}, geometry=[shapely.Point(x, y)], crs=UTM)
    with strict_proj():
        pyogrio.write_dataframe(frame, path, driver="GeoJSON", layer_options={"RFC7946": "YES"})
    coords = json.loads(path.read_text(encoding="utf-8"))["features"][0]["geometry"]
    lon, lat = coords["coordinates"]
    if abs(lon - LON) > TOLERANCE_DEG or abs(lat - LAT) > TOLERANCE_DEG:
        raise CheckError(f"pyogrio's GDAL put ({x:.3f}, {y:.3f}) at ({lon}, {lat}), "
                          f"not ({LON}, {LAT})")
    return f"{UTM} -> {WGS84} ({lon:.7f}, {lat:.7f})"


def check_rasterio(_: Path) -> str:
    """rasterio's GDAL and PROJ (another copy of PROJ, with its own proj.db)."""
    from rasterio.crs import CRS
    from rasterio.errors import CRSError
    from rasterio.warp import transform

    ex, ey = _expected_utm()
    try:
        with strict_proj():
            xs, ys = transform(CRS.from_string(WGS84), CRS.from_string(UTM), [LON], [LAT])
    except CRSError as exc:
        raise CheckError(f"rasterio could not use its PROJ database: {exc}. Unset "
                          "PROJ_DATA/PROJ_LIB if they point at another PROJ "
                          "installation") from None
    if abs(xs[0] - ex) > TOLERANCE_M or abs(ys[0] - ey) > TOLERANCE_M:
        raise CheckError(f"rasterio gave ({xs[0]:.3f}, {ys[0]:.3f}), pyproj ({ex:.3f}, "
                          f"{ey:.3f})")
    return f"{LON}°E {LAT}°N -> {UTM} ({xs[0]:.3f}, {ys[0]:.3f}), same as pyproj"


# A datum shift that needs a grid: German DHDN / Gauss-Krüger zone 3 to ETRS89 / UTM 32N
# through BETA2007 (shipped in the bundle). Without the grid PROJ silently uses a Helmert
# shift about a metre off; with it, all three libraries must agree to a centimetre.
GRID_SRC, GRID_DST, GRID_POINT = "EPSG:31467", "EPSG:25832", (3_565_000.0, 5_935_000.0)
GRID_SHIFT_M = 0.2  # Hamburg: the grid moves it 0.74 m against the plain Helmert shift


def _grid_missing() -> str:
    from pyproj.transformer import TransformerGroup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "best transformation is not available": we say so
        group = TransformerGroup(GRID_SRC, GRID_DST, always_xy=True)
    if group.best_available:
        return ""
    grids = {g.short_name for op in group.unavailable_operations[:1] for g in op.grids}
    return (f"datum grid {', '.join(sorted(grids))} is not installed here, so {GRID_SRC} "
            "data would be shifted without it (about a metre off); the bundle ships it")


def check_datum_grid(tmp: Path) -> str:
    """pyproj, rasterio and pyogrio all find the shipped grid and agree to a centimetre."""
    import geopandas as gpd
    import pyogrio
    import shapely
    from pyproj import Transformer
    from pyproj.transformer import TransformerGroup
    from rasterio.crs import CRS
    from rasterio.warp import transform

    x0, y0 = GRID_POINT
    with strict_proj():
        ex, ey = Transformer.from_crs(GRID_SRC, GRID_DST, always_xy=True,
                                      only_best=True).transform(x0, y0, errcheck=True)
        plain = next(t for t in TransformerGroup(GRID_SRC, GRID_DST, always_xy=True).transformers
                     if "gridshift" not in t.definition)
        hx, hy = plain.transform(x0, y0)
        xs, ys = transform(CRS.from_string(GRID_SRC), CRS.from_string(GRID_DST), [x0], [y0])
        lon, lat = Transformer.from_crs(GRID_SRC, WGS84, always_xy=True,
                                        only_best=True).transform(x0, y0, errcheck=True)
        path = tmp / "grid.geojson"
        frame = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(x0, y0)], crs=GRID_SRC)
        pyogrio.write_dataframe(frame, path, driver="GeoJSON",
                                layer_options={"RFC7946": "YES"})
    glon, glat = json.loads(path.read_text(encoding="utf-8"))["features"][0]["geometry"][
        "coordinates"]
    if max(abs(hx - ex), abs(hy - ey)) < GRID_SHIFT_M:
        raise CheckError(f"the grid-based and the plain transformation agree to "
                         f"{GRID_SHIFT_M * 100:.0f} cm: this is not testing the grid")
    if abs(xs[0] - ex) > 0.01 or abs(ys[0] - ey) > 0.01:
        raise CheckError(f"rasterio shifted {GRID_SRC} to ({xs[0]:.3f}, {ys[0]:.3f}), pyproj "
                         f"with the grid to ({ex:.3f}, {ey:.3f}): rasterio lacks the grid")
    if abs(glon - lon) > TOLERANCE_DEG or abs(glat - lat) > TOLERANCE_DEG:
        raise CheckError(f"pyogrio's GDAL put the point at ({glon}, {glat}), pyproj with the "
                         f"grid at ({lon:.7f}, {lat:.7f}): pyogrio lacks the grid")
    return (f"{GRID_SRC} -> {GRID_DST} through BETA2007: ({ex:.3f}, {ey:.3f}) in pyproj, "
            f"rasterio and pyogrio alike ({math.hypot(hx - ex, hy - ey):.2f} m from the "
            f"transformation without the grid)")


def check_geopackage(tmp: Path) -> str:
    """Write and read back a GeoPackage (the project file format) with polygons, non-ASCII
    text and a CRS: the SQLite, GPKG driver and CRS lookup all have to be there."""
    import geopandas as gpd
    import pyogrio
    import shapely

    names = ["Gießerei-Viertel", "Quartier Sainte-Catherine", "Ørestad Syd"]
    frame = gpd.GeoDataFrame(
        {"name": names, "jobs": [120, 45, 3000]},
        geometry=[shapely.box(500_000 + i * 1000, 5_650_000, 500_800 + i * 1000, 5_650_900)
                  for i in range(3)],
        crs=UTM,
    )
    path = tmp / "roundtrip.gpkg"
    with strict_proj():
        pyogrio.write_dataframe(frame, path, layer="districts", driver="GPKG")
        back = pyogrio.read_dataframe(path, layer="districts")
    if back.crs is None or back.crs.to_epsg() != 32632:
        raise CheckError(f"{path}: the CRS came back as {back.crs}, not {UTM}")
    if list(back["name"]) != names or list(back["jobs"]) != [120, 45, 3000]:
        got = back.drop(columns="geometry").to_dict("list")
        raise CheckError(f"{path}: the attributes came back changed: {got}")
    if not all(a.equals(b) for a, b in zip(frame.geometry, back.geometry, strict=True)):
        raise CheckError(f"{path}: the polygons came back changed")
    return f"3 polygons with names and jobs, {UTM}: identical after the round trip"


def check_geotiff(tmp: Path) -> str:
    """Read the sample city's rent raster (deflate-compressed GeoTIFF) and write and read
    one back."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from districtplanner.paths import sample_city_dir

    src_path = sample_city_dir() / "rent.tif"
    with strict_proj():
        with rasterio.open(src_path) as src:
            values = src.read(1, masked=True)
            epsg = src.crs.to_epsg() if src.crs else None
            shape = (src.height, src.width)
        if epsg != 32632:
            raise CheckError(f"{src_path}: CRS {epsg}, expected 32632")
        out = tmp / "written.tif"
        data = np.arange(12, dtype="float32").reshape(3, 4)
        with rasterio.open(out, "w", driver="GTiff", width=4, height=3, count=1,
                           dtype="float32", crs=UTM, compress="deflate",
                           transform=from_origin(500_000, 5_650_000, 50, 50)) as dst:
            dst.write(data, 1)
        with rasterio.open(out) as back:
            same = np.array_equal(back.read(1), data) and back.crs.to_epsg() == 32632
    if not same:
        raise CheckError(f"{out}: the GeoTIFF came back changed")
    return (f"{src_path.name}: {shape[1]}x{shape[0]} cells, median rent "
            f"{float(np.ma.median(values)):.2f}; a deflate GeoTIFF written and read back")


def self_command() -> list[str]:
    """How to start this installation again: the bundle's executable, or this Python."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "districtplanner"]


def _run(args: list[str], tmp: Path, what: str, env: dict[str, str] | None = None) -> str:
    try:
        proc = subprocess.run([*self_command(), *args], capture_output=True, text=True,
                              timeout=SUBPROCESS_TIMEOUT_S, cwd=tmp,
                              env=dict(os.environ, **(env or {})))
    except subprocess.TimeoutExpired:
        raise CheckError(f"{what} did not finish in {SUBPROCESS_TIMEOUT_S} s") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise CheckError(f"{what} exited with {proc.returncode}: " + " | ".join(tail))
    return proc.stdout


def check_metrics(tmp: Path) -> str:
    """The sample city's figures through the command line, as a planner's script gets them."""
    data = json.loads(_run(["metrics", "--json"], tmp, "'district-planner metrics --json'"))
    districts = data.get("districts") or []
    if not districts:
        raise CheckError("'metrics --json' printed no districts for the sample city")
    lines = []
    for d in districts:
        c, a, i = d["concentration"], d["affordability"], d["incentives"]
        if not (d["area_km2"] > 0 and c["establishments"] > 0):
            raise CheckError(f"district {d['name']!r}: area {d['area_km2']} km², "
                              f"{c['establishments']} establishments")
        lines.append(f"{d['name']}: {d['area_km2']:.2f} km², {c['establishments']:.0f} firms "
                     f"({c['creative_establishments']:.0f} creative), LQ "
                     f"{c['location_quotient']:.2f}, displacement risk "
                     f"{a['displacement_risk']:.2f}, NPV {i['npv']:,.0f} {i['currency']}")
    return "\n".join(lines)


def _qt_missing() -> str:
    missing = [m for m in ("PySide6", "pyqtgraph") if importlib.util.find_spec(m) is None]
    return f"{', '.join(missing)} not installed (headless install)" if missing else ""


def check_screenshot(tmp: Path) -> str:
    """Start the real window offscreen and render it: Qt's platform plugins, image
    formats and fonts must all have shipped."""
    out = tmp / "screenshot.png"
    _run(["screenshot", "--out", str(out), "--size", "1280x800"], tmp,
         "'district-planner screenshot'", env={"QT_QPA_PLATFORM": "offscreen"})
    return f"{out}: {_image_summary(out)}"


def _image_summary(path: Path) -> str:
    """Fail on a blank render (a missing plugin or font draws an empty window)."""
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    if image.isNull():
        raise CheckError(f"{path}: not a readable PNG")
    step = max(1, min(image.width(), image.height()) // 60)
    colours = {image.pixel(x, y) for x in range(0, image.width(), step)
               for y in range(0, image.height(), step)}
    if len(colours) < 20:
        raise CheckError(f"{path}: only {len(colours)} colours; the window drew blank")
    return f"{image.width()}x{image.height()}, {len(colours)} colours sampled"


def check_report(tmp: Path) -> str:
    """The PDF plan of the sample city, headless."""
    out = tmp / "plan.pdf"
    _run(["report", "--out", str(out)], tmp, "'district-planner report'",
         env={"QT_QPA_PLATFORM": "offscreen"})
    data = out.read_bytes() if out.exists() else b""
    if not data.startswith(b"%PDF-"):
        raise CheckError(f"{out}: no PDF was written")
    # Text must look the same on every machine: only the fonts that ship may be embedded.
    from districtplanner.paths import resources_dir

    shipped = {p.stem for p in (resources_dir() / "fonts").glob("*.ttf")}
    used = {m.decode() for m in re.findall(rb"/BaseFont\s*/(?:[A-Z]{6}\+)?([^\s/<>\[\]]+)",
                                           data)}
    if shipped and not used <= shipped:
        raise CheckError(f"{out}: fonts {sorted(used - shipped)} are not the bundled ones "
                         f"({', '.join(sorted(shipped))}); text would differ between PCs")
    return f"{out}: {len(data) / 1024:.0f} KiB, fonts {', '.join(sorted(used)) or 'none'}"


def _report_available() -> str:
    if importlib.util.find_spec("districtplanner.cli.report") is None:
        return "'district-planner report' is not part of this version"
    return _qt_missing()


CHECKS: list[tuple[str, Callable[[Path], str], Callable[[], str]]] = [
    ("data folders", check_data_folders, lambda: ""),
    ("transform through pyproj", check_pyproj, lambda: ""),
    ("transform through pyogrio", check_pyogrio, lambda: ""),
    ("transform through rasterio", check_rasterio, lambda: ""),
    ("datum grid transform", check_datum_grid, _grid_missing),
    ("GeoPackage round trip", check_geopackage, lambda: ""),
    ("GeoTIFF read and write", check_geotiff, lambda: ""),
    ("sample city metrics", check_metrics, lambda: ""),
    ("headless screenshot", check_screenshot, _qt_missing),
    ("PDF plan", check_report, _report_available),
]


def run_checks(tmp: Path, names: list[str] | None = None) -> list[Result]:
    """Run every check (or those named) in ``tmp``; a failure never stops the others."""
    results = []
    for name, check, skip_reason in CHECKS:
        if names is not None and name not in names:
            continue
        t0 = time.perf_counter()
        reason = skip_reason()
        if reason:
            results.append(Result(name, "skip", reason, 0.0))
            continue
        try:
            detail, status = check(tmp), "ok"
        except CheckError as exc:
            detail, status = str(exc), "FAIL"
        except Exception as exc:  # a broken install raises anything; report it, go on
            detail, status = f"{type(exc).__name__}: {exc}", "FAIL"
        results.append(Result(name, status, detail, time.perf_counter() - t0))
    return results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="write the screenshot, GeoPackage, GeoTIFF and PDF into DIR "
                             "(default: a temporary folder, removed afterwards)")


def run(args: argparse.Namespace) -> int:
    """Print one line per check; exit 1 if any failed."""
    keep: Path | None = args.keep
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        tmp = keep
    else:
        tmp = Path(tempfile.mkdtemp(prefix="district-planner-selftest-"))
    from districtplanner import __version__

    frozen = "bundle " + sys.executable if getattr(sys, "frozen", False) else sys.prefix
    print(f"District Planner {__version__} selftest ({frozen})", flush=True)
    try:
        results = []
        for name, *_ in CHECKS:
            (result,) = run_checks(tmp, [name])
            results.append(result)
            first, *rest = result.detail.splitlines() or [""]
            timing = f" [{result.seconds:.1f} s]" if result.seconds >= 0.05 else ""
            print(f"{result.status:<4}  {name}: {first}{timing}", flush=True)
            for line in rest:
                print(f"      {line}", flush=True)
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    failed = [r.name for r in results if r.status == "FAIL"]
    if failed:
        print(f"selftest FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("selftest passed")
    return 0
