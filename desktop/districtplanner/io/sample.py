"""Open the bundled sample city (or any folder laid out like it) as loaded layers.

The app opens on this city, so it is read from its prepared files (one GeoPackage and one
GeoTIFF) without importing the generator in ``sample_city.py``: that module pulls in
scipy.ndimage and scipy.spatial, about 0.3 s of a start that should take under one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio

from districtplanner.analysis.raster import Raster
from districtplanner.analysis.roles import LayerRole
from districtplanner.io.loaded import LoadedLayer

if TYPE_CHECKING:
    from districtplanner.sample_city import SampleCity

# The same words as sample_city.CITY_NAME (a test keeps them equal): the status bar says
# the city is made up.
CITY_NAME = "Port Verity (synthetic sample city)"
SAMPLE_TITLE = CITY_NAME

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


def _loaded(layer_name: str, gdf: gpd.GeoDataFrame, source: str) -> LoadedLayer:
    role, mapping = SAMPLE_LAYERS[layer_name]
    return LoadedLayer(
        name=layer_name.replace("_", " ").capitalize(),
        data=gdf,
        role=role,
        mapping=dict(mapping),
        source=source,
        style=dict(SAMPLE_STYLES.get(layer_name, {})),
    )


def _rent_layer(raster: Raster, source: str) -> LoadedLayer:
    return LoadedLayer(name="Rent (EUR/m² per month)", data=raster, role=LayerRole.RENTS,
                       mapping={"rent": "value"}, source=source)


def loaded_from_city(city: SampleCity) -> list[LoadedLayer]:
    """A generated city held in memory (benchmarks), laid out as load_sample_city would."""
    loaded = [_rent_layer(city.rent, "generated")]
    for layer_name in SAMPLE_LAYERS:
        gdf = getattr(city, layer_name, None)
        if gdf is not None:
            loaded.append(_loaded(layer_name, gdf, f"generated|{layer_name}"))
    return loaded


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
    loaded = [_rent_layer(read_raster(tif, "rent", "EUR/m²/month"), str(tif))]
    for layer_name in SAMPLE_LAYERS:
        if layer_name in present:
            gdf = gpd.read_file(gpkg, layer=layer_name)
            loaded.append(_loaded(layer_name, gdf, f"{gpkg}|{layer_name}"))
    return loaded
