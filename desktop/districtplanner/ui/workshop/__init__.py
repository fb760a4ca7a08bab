"""Workshop mode: the room view on a projector, the facilitator console, what-if sliders,
dot votes and sketches (issue 14)."""

from districtplanner.ui.workshop.controller import Workshop

__all__ = ["Workshop"]
