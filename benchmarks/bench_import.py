"""Import speed: a 1,000,000-row establishments CSV (lon/lat, sector, employees) read into a
UTM project CRS by ``read_layer``, beside a bare ``pandas.read_csv`` + pyproj transform of the
same file in the same run (the floor any reader pays), and the same file loaded through the
main window until it is drawn on the map. Goal: under 5 s.

Run: .venv/bin/python benchmarks/bench_import.py [--rows N] [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from districtplanner.analysis.roles import LayerRole
from districtplanner.io.crs import utm_crs_for
from districtplanner.io.readers import read_layer

SECTORS = (
    "film_tv", "music_performing", "design_fashion", "digital_software", "publishing",
    "architecture", "advertising", "crafts_visual_arts", "museums_heritage", "retail",
    "hospitality", "professional_services", "manufacturing", "health_education", "logistics",
)
CENTRE = (13.40, 52.52)  # lon, lat (degrees): a Berlin-sized city


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    """Establishments scattered over ~30 km around CENTRE, seeded."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "id": np.arange(rows),
        "lon": np.round(CENTRE[0] + rng.normal(0, 0.12, rows), 6),
        "lat": np.round(CENTRE[1] + rng.normal(0, 0.08, rows), 6),
        "sector": rng.choice(np.array(SECTORS), rows),
        "employees": rng.integers(1, 250, rows),
    })
    df.to_csv(path, index=False)


def bare(path: Path, crs: str) -> float:
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    t = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = t.transform(df["lon"].to_numpy(), df["lat"].to_numpy())
    assert np.isfinite(x).all() and len(y) == len(df)
    return time.perf_counter() - t0


def bare_gdf(path: Path, crs: str) -> float:
    """The plain geopandas way: the same, plus a GeoDataFrame of shapely points."""
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    t = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = t.transform(df["lon"].to_numpy(), df["lat"].to_numpy())
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs=crs)
    assert len(gdf) == len(df)
    return time.perf_counter() - t0


def ours(path: Path, crs: str) -> float:
    t0 = time.perf_counter()
    layer = read_layer(path, role=LayerRole.ESTABLISHMENTS,
                       mapping={"sector": "sector", "jobs": "employees"}, project_crs=crs)
    assert len(layer.data) > 0 and layer.mapping["sector"] == "sector_key"
    return time.perf_counter() - t0


def through_the_app(path: Path) -> float:
    """Seconds from asking the main window to load the file until it is drawn on the map:
    the background read, the undo command, the layer item and a synchronous repaint."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from districtplanner.io.readers import preview
    from districtplanner.model.document import Document
    from districtplanner.ui.app import application
    from districtplanner.ui.dialogs.import_layer import ImportChoice
    from districtplanner.ui.main_window import MainWindow

    app = application()
    window = MainWindow(Document())
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    pv = preview(path)
    choice = ImportChoice(path=path, layer=None, role=pv.role, mapping=pv.mapping,
                          source_crs=None)
    t = time.perf_counter()
    window.load_choice(choice)
    while window.loader.busy or not window.document.layers:
        QApplication.processEvents()
        time.sleep(0.002)
    window.canvas.zoom_to_all()
    window.canvas.viewport().repaint()
    elapsed = time.perf_counter() - t
    assert window.canvas.layer_item(window.document.layers[0].id) is not None
    window.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    crs = utm_crs_for(*CENTRE)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "establishments.csv"
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        print(f"{args.rows:,} rows, {size_mb:.1f} MB CSV, project CRS {crs}")
        b = [bare(path, crs) for _ in range(args.repeat)]
        bg = [bare_gdf(path, crs) for _ in range(args.repeat)]
        o = [ours(path, crs) for _ in range(args.repeat)]
        app_times = [through_the_app(path) for _ in range(args.repeat)]
    print(f"pandas.read_csv + pyproj transform: median {statistics.median(b):.2f} s "
          f"(min {min(b):.2f})")
    print(f"  + GeoDataFrame of shapely points:  median {statistics.median(bg):.2f} s "
          f"(min {min(bg):.2f})")
    print(f"read_layer (sniff, encoding check, points, UTM, sector mapping, checks): "
          f"median {statistics.median(o):.2f} s (min {min(o):.2f})")
    a = statistics.median(app_times)
    print(f"in the app, loaded, reprojected and drawn on the map: median {a:.2f} s "
          f"(min {min(app_times):.2f})")
    print(f"goal < 5 s: {'met' if max(statistics.median(o), a) < 5.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
