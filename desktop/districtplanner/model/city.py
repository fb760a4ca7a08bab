"""The bridge from the document's layers to the analysis arrays, cached per layer version."""

from __future__ import annotations

from typing import Any

from districtplanner.analysis.citydata import NEIGHBOURHOOD_FIELDS
from districtplanner.analysis.roles import LayerRole
from districtplanner.model.document import Document


def city_inputs(document: Document) -> dict[str, Any]:
    """The arguments of CityData.from_frames for the topmost layer of each analysed role,
    through its column mapping: references only, cheap on the GUI thread, so the expensive
    conversion can run in a worker on a snapshot of the layers.

    Hidden layers still count: visibility is about drawing, and a figure must not change
    because a planner unticked a layer to see the map better.
    """
    est = document.first_layer(LayerRole.ESTABLISHMENTS)
    rents = document.first_layer(LayerRole.RENTS)
    stops = document.first_layer(LayerRole.TRANSIT_STOPS)
    inst = document.first_layer(LayerRole.INSTITUTIONS)
    hoods = document.first_layer(LayerRole.NEIGHBOURHOODS)
    hood_cols = None
    if hoods is not None:
        hood_cols = {f: hoods.mapping[f] for f in NEIGHBOURHOOD_FIELDS if f in hoods.mapping}
    return dict(
        establishments=est.data if est is not None else None,
        sector_column=(est.mapping.get("sector", "sector") if est else "sector"),
        jobs_column=(est.mapping.get("jobs") if est else None),
        rents=rents.data if rents is not None else None,
        rent_column=(rents.mapping.get("rent", "rent") if rents else "rent"),
        stops=stops.data if stops is not None else None,
        institutions=inst.data if inst is not None else None,
        type_column=(inst.mapping.get("type", "type") if inst else "type"),
        neighbourhoods=hoods.data if hoods is not None else None,
        neighbourhood_columns=hood_cols,
    )
