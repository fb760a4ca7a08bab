"""What the analysis does with a layer. Lives in analysis so readers (io) can guess roles
without knowing the document."""

from __future__ import annotations

from enum import StrEnum


class LayerRole(StrEnum):
    """CONTEXT layers are drawn, never analysed; BASEMAP layers are drawn under everything."""

    ESTABLISHMENTS = "establishments"
    RENTS = "rents"
    TRANSIT_STOPS = "transit_stops"
    TRANSIT_LINES = "transit_lines"
    INSTITUTIONS = "institutions"
    NEIGHBOURHOODS = "neighbourhoods"
    DISTRICTS = "districts"
    CONTEXT = "context"
    BASEMAP = "basemap"


ROLE_LABELS: dict[LayerRole, str] = {
    LayerRole.ESTABLISHMENTS: "Establishments",
    LayerRole.RENTS: "Rents",
    LayerRole.TRANSIT_STOPS: "Transit stops",
    LayerRole.TRANSIT_LINES: "Transit lines",
    LayerRole.INSTITUTIONS: "Cultural institutions",
    LayerRole.NEIGHBOURHOODS: "Neighbourhoods",
    LayerRole.DISTRICTS: "Districts",
    LayerRole.CONTEXT: "Context",
    LayerRole.BASEMAP: "Basemap",
}

# Logical fields a role's analysis reads, in the order the import dialog lists them.
ROLE_FIELDS: dict[LayerRole, tuple[str, ...]] = {
    LayerRole.ESTABLISHMENTS: ("sector", "jobs", "name"),
    LayerRole.RENTS: ("rent",),
    LayerRole.TRANSIT_STOPS: ("name", "line"),
    LayerRole.TRANSIT_LINES: ("name",),
    LayerRole.INSTITUTIONS: ("type", "name"),
    LayerRole.NEIGHBOURHOODS: (
        "name", "population", "households", "median_income", "renter_share", "rent_growth",
    ),
    LayerRole.DISTRICTS: ("name", "colour", "notes"),
    LayerRole.CONTEXT: (),
    LayerRole.BASEMAP: (),
}
