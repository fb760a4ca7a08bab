"""A layer of the document: its data, what it is for (role), which columns mean what, and
how it is drawn."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd

from districtplanner.analysis.raster import Raster
from districtplanner.analysis.roles import ROLE_LABELS, LayerRole
from districtplanner.io.loaded import data_bounds
from districtplanner.io.readers import kind_of_geometries
from districtplanner.model.styles import LayerStyle

__all__ = ["ROLE_LABELS", "Layer", "LayerRole", "LayerStyle", "new_layer_id"]


ROLE_EMPTY_KIND = {
    LayerRole.TRANSIT_LINES: "line",
    LayerRole.NEIGHBOURHOODS: "polygon",
    LayerRole.DISTRICTS: "polygon",
}


_ids = itertools.count(1)


def new_layer_id() -> str:
    """A process-unique id; ids are never reused so undo can refer to removed layers."""
    return f"layer-{next(_ids)}"


@dataclass
class Layer:
    """One loaded dataset. ``mapping`` maps logical fields (``sector``, ``jobs``, ``rent``,
    ``income``, ``population``, ``renter_share``, ``type``, ``name``) to the data's columns.

    ``analysed`` marks the layer(s) of a role that feed the figures; a second layer of the same
    role is context until the planner chooses it, so an import never silently swaps figures."""

    name: str
    role: LayerRole
    data: gpd.GeoDataFrame | Raster
    mapping: dict[str, str] = field(default_factory=dict)
    style: LayerStyle = field(default_factory=LayerStyle)
    visible: bool = True
    analysed: bool = False
    source: str = ""
    id: str = field(default_factory=new_layer_id)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def is_raster(self) -> bool:
        return isinstance(self.data, Raster)

    @property
    def geometry_kind(self) -> str:
        """'point', 'line', 'polygon', 'raster', 'mixed' or 'none' (no geometries)."""
        if isinstance(self.data, Raster):
            return "raster"
        kind = kind_of_geometries(self.data.geometry)
        if kind == "none":  # an empty layer is drawn as what its role holds
            return ROLE_EMPTY_KIND.get(self.role, "point")
        return kind

    @property
    def feature_count(self) -> int:
        if isinstance(self.data, Raster):
            return int(self.data.values.size)
        return len(self.data)

    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in the project CRS."""
        return data_bounds(self.data)

    def column(self, logical: str) -> str | None:
        """The data column mapped to a logical field, or None when unmapped."""
        return self.mapping.get(logical)
