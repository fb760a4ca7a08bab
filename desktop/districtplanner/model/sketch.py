"""A workshop sketch on the map: a free-hand stroke or a sticky note, kept with the plan."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from shapely.geometry.base import BaseGeometry

SKETCH_KINDS = ("stroke", "note")

_ids = itertools.count(1)


def new_sketch_id() -> str:
    """A process-unique id, never reused (undo may bring a removed sketch back)."""
    return f"sketch-{next(_ids)}"


@dataclass
class Sketch:
    """``kind`` is "stroke" (a line in the project CRS) or "note" (a point with ``text``);
    ``colour`` is '#rrggbb'."""

    kind: str
    geometry: BaseGeometry
    colour: str
    text: str = ""
    id: str = field(default_factory=new_sketch_id)
