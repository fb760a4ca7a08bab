"""A proposed creative district: a shape plus the words and levers a planner attaches."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry

_ids = itertools.count(1)


def new_district_id() -> str:
    """A process-unique id, never reused (undo may bring a deleted district back)."""
    return f"district-{next(_ids)}"


# Colour-blind-safe outline colours handed to new districts in turn (Okabe-Ito).
DISTRICT_COLOURS = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


@dataclass
class District:
    """A polygon or multipolygon in the project CRS. ``instruments`` holds the incentive
    instruments of analysis.incentives attached to this district."""

    name: str
    geometry: BaseGeometry
    colour: str = DISTRICT_COLOURS[0]
    notes: str = ""
    visible: bool = True
    instruments: list[Any] = field(default_factory=list)
    id: str = field(default_factory=new_district_id)

    @property
    def area_km2(self) -> float:
        return float(self.geometry.area) / 1e6
