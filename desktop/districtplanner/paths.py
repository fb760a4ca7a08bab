"""Where bundled resources live.

The app is installed editable from its checkout, so ``resources/`` sits two levels above
this package; ``DISTRICT_PLANNER_RESOURCES`` overrides that for relocated installs.
"""

from __future__ import annotations

import os
from pathlib import Path


def resources_dir() -> Path:
    """The folder of bundled sample data, mappings, icons and styles."""
    env = os.environ.get("DISTRICT_PLANNER_RESOURCES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "resources"


def sample_city_dir() -> Path:
    """The bundled synthetic sample city (``sample_city.gpkg`` and ``rent.tif``)."""
    return resources_dir() / "sample_city"


def mappings_dir() -> Path:
    """Editable sector mappings (NAICS, UK SIC 2007, OSM tags) shipped as CSV."""
    return resources_dir() / "mappings"
