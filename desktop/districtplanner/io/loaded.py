"""What a reader hands back: the data in the project CRS plus its guessed meaning."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd

from districtplanner.analysis.raster import Raster
from districtplanner.analysis.roles import LayerRole


def data_bounds(data: gpd.GeoDataFrame | Raster) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of a vector frame or a raster, in its own CRS."""
    if isinstance(data, Raster):
        return data.bounds
    b = data.total_bounds
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


@dataclass
class LoadedLayer:
    """One dataset read from disk. ``warnings`` are messages for the user (repairs made,
    rows dropped), each naming the file; ``mapping`` maps logical fields to columns."""

    name: str
    data: gpd.GeoDataFrame | Raster
    role: LayerRole
    mapping: dict[str, str] = field(default_factory=dict)
    source: str = ""
    warnings: list[str] = field(default_factory=list)
    # Drawing hints a reader knows better than the role default (e.g. water is blue).
    style: dict[str, Any] = field(default_factory=dict)

    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in the layer's CRS."""
        return data_bounds(self.data)

    @property
    def is_raster(self) -> bool:
        return isinstance(self.data, Raster)

    @property
    def crs(self) -> str:
        """The layer's CRS as 'EPSG:nnnn' (or WKT), '' when unknown."""
        c = self.data.crs
        if not c:
            return ""
        return c.to_string() if hasattr(c, "to_string") else str(c)
