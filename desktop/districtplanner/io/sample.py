"""Open the bundled sample city (or any folder laid out like it) as loaded layers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio

from districtplanner.analysis.raster import Raster
from districtplanner.analysis.roles import LayerRole
from districtplanner.io.loaded import LoadedLayer

SAMPLE_TITLE = "Port Verity (synthetic sample city)"

# Layer name in sample_city.gpkg -> (role, mapping of logical field to column).
SAMPLE_LAYERS: dict[str, tuple[LayerRole, dict[str, str]]] = {
    "neighbourhoods": (
        LayerRole.NEIGHBOURHOODS,
        {
            "name": "name", "population": "population", "households": "households",
            "median_income": "median_income", "renter_share": "renter_share",
            "rent_growth": "rent_growth",
        },
    ),
    "water": (LayerRole.CONTEXT, {"name": "name"}),
    "transit_lines": (LayerRole.TRANSIT_LINES, {"name": "name"}),
    "establishments": (LayerRole.ESTABLISHMENTS, {"sector": "sector", "jobs": "employees",
                                                  "name": "name"}),
    "rent_points": (LayerRole.RENTS, {"rent": "rent"}),
    "institutions": (LayerRole.INSTITUTIONS, {"type": "type", "name": "name"}),
    "transit_stops": (LayerRole.TRANSIT_STOPS, {"name": "name", "line": "line"}),
    "example_districts": (LayerRole.DISTRICTS, {"name": "name", "colour": "colour",
                                                "notes": "notes"}),
}

SAMPLE_STYLES: dict[str, dict[str, str]] = {
    "water": {"colour": "#6FA8CF", "fill": "#CFE3F0"},
}


def read_raster(path: Path, name: str = "", unit: str = "") -> Raster:
    """Read band 1 of a GDAL raster; nodata becomes NaN so statistics can skip it."""
    with rasterio.open(path) as src:
        values = src.read(1, masked=True).astype("float64").filled(np.nan)
        t = src.transform
        crs = src.crs.to_string() if src.crs else ""
    return Raster(values, (t.a, t.b, t.c, t.d, t.e, t.f), crs, name=name or path.stem, unit=unit)


def load_sample_city(folder: Path) -> list[LoadedLayer]:
    """Every layer of ``folder/sample_city.gpkg`` plus ``folder/rent.tif``, in draw order
    (bottom first). Raises FileNotFoundError naming the missing file."""
    gpkg = Path(folder) / "sample_city.gpkg"
    tif = Path(folder) / "rent.tif"
    for f in (gpkg, tif):
        if not f.exists():
            raise FileNotFoundError(
                f"{f}: the sample city file is missing; run "
                f"'district-planner make-sample-city --out {folder}' to make it again."
            )
    present = {str(row[0]) for row in pyogrio.list_layers(gpkg)}
    loaded = [
        LoadedLayer(
            name="Rent (EUR/m² per month)",
            data=read_raster(tif, "rent", "EUR/m²/month"),
            role=LayerRole.RENTS,
            mapping={"rent": "value"},
            source=str(tif),
        )
    ]
    for layer_name, (role, mapping) in SAMPLE_LAYERS.items():
        if layer_name not in present:
            continue
        gdf = gpd.read_file(gpkg, layer=layer_name)
        loaded.append(
            LoadedLayer(
                name=layer_name.replace("_", " ").capitalize(),
                data=gdf,
                role=role,
                mapping=dict(mapping),
                source=f"{gpkg}|{layer_name}",
                style=dict(SAMPLE_STYLES.get(layer_name, {})),
            )
        )
    return loaded
