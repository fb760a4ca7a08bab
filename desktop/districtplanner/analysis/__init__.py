"""Numbers only: the analysis core. Plain Python/NumPy/shapely; never imports Qt."""
