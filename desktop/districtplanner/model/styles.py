"""How layers are drawn: the style of a layer and the default style of each role.

Apart from the document so the start-up frame (ui/map/first_frame.py) can colour the
sample city exactly as the full map will, before geopandas is imported.
"""

from __future__ import annotations

from dataclasses import dataclass

from districtplanner.analysis.roles import LayerRole


@dataclass
class LayerStyle:
    """How a layer is drawn. Colours are '#rrggbb'; ``colour_by`` names a column or ''."""

    colour: str = "#444444"
    fill: str = ""
    size: float = 3.0
    opacity: float = 1.0
    colour_by: str = ""
    colormap: str = "viridis"


# Colour-blind-safe defaults per role (Okabe-Ito and greys), chosen to read on a projector.
ROLE_STYLES: dict[LayerRole, LayerStyle] = {
    LayerRole.NEIGHBOURHOODS: LayerStyle(colour="#8C8C8C", fill="", size=1.0, opacity=1.0),
    LayerRole.TRANSIT_LINES: LayerStyle(colour="#0072B2", size=3.0),
    LayerRole.TRANSIT_STOPS: LayerStyle(colour="#0072B2", fill="#FFFFFF", size=8.0),
    LayerRole.ESTABLISHMENTS: LayerStyle(colour="#444444", size=3.0, colour_by="sector"),
    LayerRole.INSTITUTIONS: LayerStyle(colour="#CC79A7", fill="#CC79A7", size=7.0),
    LayerRole.RENTS: LayerStyle(colour="#E69F00", opacity=0.55, colormap="cividis"),
    LayerRole.CONTEXT: LayerStyle(colour="#666666"),
    LayerRole.BASEMAP: LayerStyle(opacity=1.0),
}


def default_style(role: LayerRole) -> LayerStyle:
    """A fresh copy of the default style of ``role``."""
    base = ROLE_STYLES.get(role, LayerStyle())
    return LayerStyle(**vars(base))
