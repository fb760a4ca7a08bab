"""District Planner: offline desktop GIS for planning creative districts."""

__version__ = "0.1.0"
