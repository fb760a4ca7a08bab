"""From a layer's style and column mapping to what its item needs: point coordinates, an
integer class per feature and one colour per class (sectors, categories or value classes)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from districtplanner.analysis.sectors import CREATIVE_SECTORS, SECTOR_COLOURS, sector_codes
from districtplanner.model.layer import Layer
from districtplanner.ui.map.point_item import colormap_lut

# Okabe-Ito, for categorical columns other than sector; the last class is "other".
CATEGORY_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
                    "#CC79A7", "#000000")
OTHER_COLOUR = "#9A9A9A"
SECTOR_CLASS_COLOURS = [SECTOR_COLOURS[s] for s in CREATIVE_SECTORS] + [
    SECTOR_COLOURS["non_creative"]
]


@dataclass
class Classes:
    """``codes[i]`` indexes ``colours`` for feature ``i``; ``labels`` name the classes."""

    codes: np.ndarray
    colours: list[str]
    labels: list[str]
    kind: str  # 'sector', 'category' or 'value'


def colour_column(layer: Layer) -> str | None:
    """The data column ``style.colour_by`` refers to: a logical field through the mapping
    (``sector`` -> the mapped column) or a column name; None when unset or absent."""
    name = layer.style.colour_by
    if not name or isinstance(layer.data, gpd.GeoDataFrame) is False:
        return None
    col = layer.mapping.get(name, name)
    return col if col in layer.data.columns else None


def is_sector_column(layer: Layer, column: str) -> bool:
    return layer.mapping.get("sector") == column or layer.style.colour_by == "sector"


def layer_sector_codes(layer: Layer) -> np.ndarray | None:
    """Sector code per feature (analysis.sectors.sector_codes) when the layer maps a
    sector column, else None."""
    if not isinstance(layer.data, gpd.GeoDataFrame):
        return None
    col = layer.mapping.get("sector")
    if not col or col not in layer.data.columns:
        return None
    return sector_codes(layer.data[col].to_numpy())


def value_classes(values: np.ndarray, colormap: str, n: int = 5) -> Classes:
    """``n`` quantile classes of a numeric column, coloured along ``colormap``; NaN goes in
    an extra grey class."""
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    if not finite.any():
        return Classes(np.full(len(v), 0, dtype=np.int16), [OTHER_COLOUR], ["no data"], "value")
    edges = np.unique(np.quantile(v[finite], np.linspace(0, 1, n + 1)))
    k = max(len(edges) - 1, 1)
    codes = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, k - 1).astype(np.int16)
    codes[~finite] = k
    lut = colormap_lut(colormap)
    pos = np.linspace(0, len(lut) - 1, k).astype(int)
    colours = ["#{:02X}{:02X}{:02X}".format(*lut[p]) for p in pos] + [OTHER_COLOUR]
    labels = [f"{edges[i]:.4g} – {edges[min(i + 1, len(edges) - 1)]:.4g}" for i in range(k)]
    return Classes(codes, colours, [*labels, "no data"], "value")


def layer_classes(layer: Layer) -> Classes | None:
    """Classes for colouring a vector layer by ``style.colour_by``, or None for one colour."""
    col = colour_column(layer)
    if col is None:
        return None
    series = layer.data[col]
    if is_sector_column(layer, col):
        labels = [*CREATIVE_SECTORS, "non_creative"]
        return Classes(sector_codes(series.to_numpy()).astype(np.int16),
                       list(SECTOR_CLASS_COLOURS), labels, "sector")
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return value_classes(series.to_numpy(dtype=np.float64, na_value=np.nan),
                             layer.style.colormap)
    counts = series.astype(str).value_counts()
    top = list(counts.index[: len(CATEGORY_COLOURS)])
    lookup = {c: i for i, c in enumerate(top)}
    codes = np.fromiter((lookup.get(str(s), len(top)) for s in series), dtype=np.int16,
                        count=len(series))
    return Classes(codes, [*list(CATEGORY_COLOURS[:len(top)]), OTHER_COLOUR],
                   [*top, "other"], "category")


def point_xy(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """x, y per feature in metres (a representative point for non-point geometries; NaN
    for missing ones), aligned with the rows."""
    geoms = gdf.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    ok = ~missing
    if ok.any():
        pts = geoms[ok]
        # Only the non-points need a representative point: GEOS takes ~1.5 s to compute
        # one for each of a million points that already are one.
        other = shapely.get_type_id(pts) != 0
        if other.any():
            pts = pts.copy()
            pts[other] = shapely.point_on_surface(pts[other])
        x[ok] = shapely.get_x(pts)
        y[ok] = shapely.get_y(pts)
    return x, y
