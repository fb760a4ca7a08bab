"""The one taxonomy of creative sectors, shared by every reader, figure and chart.

Keys are stable identifiers stored in files and JSON; labels are for people. The order of
``CREATIVE_SECTORS`` is the order of every chart and table, and a sector's index in it is the
integer code the city index stores per establishment.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

CREATIVE_SECTORS: tuple[str, ...] = (
    "film_tv",
    "music_performing",
    "design_fashion",
    "digital_software",
    "publishing",
    "architecture",
    "advertising",
    "crafts_visual_arts",
    "museums_heritage",
)

SECTOR_LABELS: dict[str, str] = {
    "film_tv": "Film & TV",
    "music_performing": "Music & performing arts",
    "design_fashion": "Design & fashion",
    "digital_software": "Digital media & software",
    "publishing": "Publishing",
    "architecture": "Architecture",
    "advertising": "Advertising & marketing",
    "crafts_visual_arts": "Crafts & visual arts",
    "museums_heritage": "Museums & heritage",
    "non_creative": "Non-creative",
}

# Non-creative sectors the sample city uses for the denominators (city totals, LQ).
NON_CREATIVE_SECTORS: tuple[str, ...] = (
    "retail",
    "hospitality",
    "professional_services",
    "manufacturing",
    "health_education",
    "logistics",
)

NON_CREATIVE = "non_creative"
# Integer code of every establishment that is not in a creative sector.
NON_CREATIVE_CODE = len(CREATIVE_SECTORS)

INSTITUTION_TYPES: tuple[str, ...] = (
    "museum",
    "gallery",
    "theatre",
    "music_venue",
    "library",
    "university",
    "art_school",
    # Venues real registers and OpenStreetMap list (amenity=cinema, arts_centre,
    # events_venue, studio); the sample city has none of them.
    "cinema",
    "arts_centre",
    "events_venue",
    "studio",
)

# Okabe-Ito colour-blind-safe palette, one colour per creative sector plus grey.
SECTOR_COLOURS: dict[str, str] = {
    "film_tv": "#E69F00",
    "music_performing": "#56B4E9",
    "design_fashion": "#CC79A7",
    "digital_software": "#0072B2",
    "publishing": "#009E73",
    "architecture": "#D55E00",
    "advertising": "#F0E442",
    "crafts_visual_arts": "#882255",
    "museums_heritage": "#44AA99",
    "non_creative": "#9A9A9A",
}


def is_creative(sector: str) -> bool:
    """True for a key of the creative taxonomy."""
    return sector in CREATIVE_SECTORS


def sector_codes(sectors: Iterable[str]) -> np.ndarray:
    """Integer code per establishment: its index in CREATIVE_SECTORS, else NON_CREATIVE_CODE.

    Unknown and non-creative strings both map to NON_CREATIVE_CODE; readers are responsible
    for listing unknown categories to the user before this point.
    """
    lookup = {s: i for i, s in enumerate(CREATIVE_SECTORS)}
    return np.fromiter(
        (lookup.get(str(s), NON_CREATIVE_CODE) for s in sectors), dtype=np.int8
    )
