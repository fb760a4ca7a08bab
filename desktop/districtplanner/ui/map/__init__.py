"""The map canvas, its layer items and its draw/edit tools."""
