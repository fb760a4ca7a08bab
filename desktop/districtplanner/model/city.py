"""The bridge from the document's layers to the analysis arrays: which layers feed the
figures (the analysed ones of each role) and through which columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from districtplanner.analysis.citydata import NEIGHBOURHOOD_FIELDS
from districtplanner.analysis.roles import LayerRole
from districtplanner.model.document import Document
from districtplanner.model.layer import Layer

# The roles whose layers feed the figures, and the logical fields the figures read of each
# (analysis.roles.ROLE_FIELDS lists what an import may map; this is what is analysed).
FIGURE_FIELDS: dict[LayerRole, tuple[str, ...]] = {
    LayerRole.ESTABLISHMENTS: ("sector", "jobs"),
    LayerRole.RENTS: ("rent",),
    LayerRole.TRANSIT_STOPS: (),
    LayerRole.INSTITUTIONS: ("type",),
    LayerRole.NEIGHBOURHOODS: NEIGHBOURHOOD_FIELDS,
}


def combined_layer(layers: Sequence[Layer], fields: Sequence[str]
                   ) -> tuple[Any, dict[str, str]] | None:
    """The data and column mapping the figures read from the analysed ``layers`` of one role.

    One layer: its own data and mapping. Several (the planner chose "Combine"): their rows
    concatenated, each layer's mapped columns renamed to the logical field names, so two
    files that call the sector column differently still count together. A raster cannot be
    concatenated, so the topmost layer is read alone when any of them is a raster.
    """
    if not layers:
        return None
    if len(layers) == 1 or any(la.is_raster for la in layers):
        top = layers[-1]
        return top.data, dict(top.mapping)
    parts = []
    mapped: set[str] = set()
    crs = layers[0].data.crs
    for la in layers:
        gdf = la.data
        rename = {la.mapping[f]: f for f in fields
                  if f in la.mapping and la.mapping[f] in gdf.columns}
        mapped |= set(rename.values())
        part = pd.DataFrame(gdf[list(rename)].rename(columns=rename))
        part["geometry"] = gdf.geometry.to_crs(crs).values if gdf.crs != crs else \
            gdf.geometry.values
        parts.append(part)
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry",
                             crs=crs)
    return frame, {f: f for f in mapped}


def city_inputs(document: Document) -> dict[str, Any]:
    """The arguments of CityData.from_frames for the analysed layers of each role, through
    their column mappings: references only (unless layers are combined), cheap on the GUI
    thread, so the expensive conversion can run in a worker on a snapshot of the layers.

    Hidden layers still count: visibility is about drawing, and a figure must not change
    because a planner unticked a layer to see the map better.
    """
    picked = {role: combined_layer(document.analysed_layers(role), fields)
              for role, fields in FIGURE_FIELDS.items()}

    def data(role: LayerRole) -> Any:
        got = picked[role]
        return None if got is None else got[0]

    def column(role: LayerRole, field: str, default: str | None) -> str | None:
        got = picked[role]
        return default if got is None else got[1].get(field, default)

    hoods = picked[LayerRole.NEIGHBOURHOODS]
    hood_cols = None
    if hoods is not None:
        hood_cols = {f: hoods[1][f] for f in NEIGHBOURHOOD_FIELDS if f in hoods[1]}
    est = picked[LayerRole.ESTABLISHMENTS]
    return dict(
        establishments=data(LayerRole.ESTABLISHMENTS),
        sector_column=column(LayerRole.ESTABLISHMENTS, "sector", "sector"),
        jobs_column=(est[1].get("jobs") if est is not None else None),
        rents=data(LayerRole.RENTS),
        rent_column=column(LayerRole.RENTS, "rent", "rent"),
        stops=data(LayerRole.TRANSIT_STOPS),
        institutions=data(LayerRole.INSTITUTIONS),
        type_column=column(LayerRole.INSTITUTIONS, "type", "type"),
        neighbourhoods=data(LayerRole.NEIGHBOURHOODS),
        neighbourhood_columns=hood_cols,
    )
