"""The document a planner edits: layers, districts, assumptions and the selection.

Every edit goes through a method here, which validates, stores and emits exactly one
signal; the UI wraps these calls in undo commands and never mutates the lists directly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import shapely
from psygnal import Signal
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.incentives import IncentiveError, InstrumentError, check_package
from districtplanner.analysis.roles import LayerRole
from districtplanner.model.district import DISTRICT_COLOURS, District
from districtplanner.model.layer import Layer
from districtplanner.model.selection import Selection
from districtplanner.model.sketch import SKETCH_KINDS, Sketch

METADATA_KEYS = ("title", "author", "organisation")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class DocumentError(ValueError):
    """An edit the document refuses; the message says why and what to do."""


def clean_district_geometry(geom: BaseGeometry) -> tuple[BaseGeometry, str]:
    """The one repair rule for every way a district enters the plan (drawn, edited,
    imported, ``--district`` on the command line), so the same outline always gives the
    same district.

    An outline that crosses or overlaps itself keeps everything it encloses: shapely's
    ``make_valid(method="structure")`` unions the rings, where the default "linework"
    method would cut the area drawn over twice out as a hole (a planner who loops the pen
    over a block means that block, not a hole in it). Returns the geometry and a notice
    ('' when nothing was changed); raises DocumentError for shapes with no area left.
    """
    if geom is None or geom.is_empty:
        raise DocumentError("The district shape is empty: draw at least three distinct points.")
    notice = ""
    if not geom.is_valid:
        reason = _planner_invalid_reason(shapely.is_valid_reason(geom))
        geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
        notice = f"The shape was repaired ({reason})."
    if not isinstance(geom, Polygon | MultiPolygon):
        polys = [
            g for g in shapely.get_parts(geom) if isinstance(g, Polygon | MultiPolygon)
        ]
        geom = shapely.union_all(polys) if polys else Polygon()
    if geom.is_empty or geom.area <= 0:
        raise DocumentError(
            "The district shape encloses no area (its edges overlap or its points are in a "
            "line); draw it again with at least three points that are not in a line."
        )
    return geom, notice


def _planner_invalid_reason(reason: str) -> str:
    # GEOS says e.g. "Self-intersection[512.5 780]"; a planner wants to know where.
    match = re.match(r"(?:Ring )?Self-intersection\[([-\d.e+]+) ([-\d.e+]+)\]", reason)
    if match:
        x, y = (float(v) for v in match.groups())
        return f"its outline crossed itself near E {x:,.0f} N {y:,.0f}"
    return reason


def buffer_district_geometry(geom: BaseGeometry, metres: float) -> BaseGeometry:
    """``geom`` grown (or, negative, shrunk) by ``metres``; refuses a shrink that leaves
    nothing, saying so, rather than the generic "empty shape" of a drawing."""
    buffered = geom.buffer(metres, join_style="mitre")
    if buffered.is_empty or buffered.area <= 0:
        raise DocumentError(
            f"The buffer removes the whole district: shrinking by {abs(metres):,.0f} m "
            "leaves nothing of it. Use a smaller distance.")
    return buffered


class Document:
    """The open plan. ``layers`` are in draw order, bottom first."""

    layers_changed = Signal()
    districts_changed = Signal(object)  # district id, or None when the set changed
    assumptions_changed = Signal(object)  # the new Assumptions
    metadata_changed = Signal(object)  # the new metadata dict
    view_changed = Signal(object)  # the new view tuple, or None
    votes_changed = Signal(object)  # the new votes dict
    sketches_changed = Signal()

    def __init__(self, crs: str = "", title: str = "") -> None:
        self.crs = crs
        self._metadata: dict[str, str] = {key: "" for key in METADATA_KEYS}
        self._metadata["title"] = title
        self._view: tuple[float, float, float, float] | None = None
        self._votes: dict[str, int] = {}
        self._sketches: list[Sketch] = []
        self._layers: list[Layer] = []
        self._districts: list[District] = []
        self._assumptions = Assumptions()
        self.selection = Selection()
        self.last_notice = ""
        # Bumped on every layer change, so derived data (the city index) can be cached.
        self.layers_version = 0

    # ----------------------------------------------------------------------- layers
    @property
    def layers(self) -> tuple[Layer, ...]:
        return tuple(self._layers)

    def layer(self, layer_id: str) -> Layer:
        for layer in self._layers:
            if layer.id == layer_id:
                return layer
        raise KeyError(layer_id)

    def layers_with_role(self, role: LayerRole) -> list[Layer]:
        return [la for la in self._layers if la.role == role]

    def first_layer(self, role: LayerRole) -> Layer | None:
        """The topmost analysed layer with ``role`` (else the topmost with it), or None."""
        found = self.layers_with_role(role)
        analysed = [la for la in found if la.analysed]
        if analysed:
            return analysed[-1]
        return found[-1] if found else None

    def analysed_layers(self, role: LayerRole) -> list[Layer]:
        """The layers of ``role`` that feed the figures (several when combined), draw order."""
        return [la for la in self._layers if la.role == role and la.analysed]

    def _ensure_analysed(self) -> None:
        # Each role with layers has at least one analysed layer, so a later import of the same
        # role never silently replaces what the figures read. Within one batch (a city opened
        # at once) the topmost wins, as the analysis always read the topmost layer.
        seen: set[LayerRole] = {la.role for la in self._layers if la.analysed}
        for la in reversed(self._layers):
            if la.role not in seen:
                la.analysed = True
                seen.add(la.role)

    def analysed_state(self) -> dict[str, bool]:
        """Each layer's ``analysed`` flag, for commands that must restore it exactly."""
        return {la.id: la.analysed for la in self._layers}

    def restore_analysed_state(self, state: Mapping[str, bool]) -> None:
        """Put back flags saved by analysed_state() (undo); one signal."""
        for la in self._layers:
            if la.id in state:
                la.analysed = bool(state[la.id])
        self._layers_changed()

    def check_analysed_layers(self, role: LayerRole, layer_ids: Iterable[str]) -> None:
        """Raise DocumentError for an empty choice or a layer of another role."""
        ids = list(layer_ids)
        if not ids:
            raise DocumentError(f"Choose at least one {role.value} layer to analyse.")
        for layer_id in ids:
            layer = self.layer(layer_id)
            if layer.role != role:
                raise DocumentError(
                    f"Layer '{layer.name}' is not a {role.value} layer; set its role first.")

    def set_analysed_layers(self, role: LayerRole, layer_ids: Iterable[str]) -> None:
        """Make exactly ``layer_ids`` the analysed layers of ``role`` (two or more = their
        data combined for the figures). Refuses an empty choice or a layer of another role."""
        ids = set(layer_ids)
        self.check_analysed_layers(role, ids)
        for la in self.layers_with_role(role):
            la.analysed = la.id in ids
        self._layers_changed()

    def _layers_changed(self) -> None:
        self.layers_version += 1
        self.layers_changed.emit()

    def add_layer(self, layer: Layer, index: int | None = None) -> None:
        if any(la.id == layer.id for la in self._layers):
            raise DocumentError(f"Layer '{layer.name}' is already in the document.")
        if index is None:
            self._layers.append(layer)
        else:
            self._layers.insert(index, layer)
        self._ensure_analysed()
        self._layers_changed()

    def add_layers(self, layers: Iterable[Layer]) -> None:
        """Add several layers with one notification (one index rebuild)."""
        for layer in layers:
            self._layers.append(layer)
        self._ensure_analysed()
        self._layers_changed()

    def remove_layer(self, layer_id: str) -> tuple[Layer, int]:
        """Remove and return the layer and where it was, for undo. When it was the only
        analysed layer of its role, the next layer of that role becomes analysed."""
        layer = self.layer(layer_id)
        index = self._layers.index(layer)
        del self._layers[index]
        self._ensure_analysed()
        self._layers_changed()
        return layer, index

    def move_layer(self, layer_id: str, index: int) -> None:
        layer = self.layer(layer_id)
        self._layers.remove(layer)
        index = max(0, min(index, len(self._layers)))
        self._layers.insert(index, layer)
        self._layers_changed()

    def set_layer_visible(self, layer_id: str, visible: bool) -> None:
        layer = self.layer(layer_id)
        if layer.visible != visible:
            layer.visible = visible
            # Visibility does not change the analysis, so the version is not bumped.
            self.layers_changed.emit()

    def set_layer_role(self, layer_id: str, role: LayerRole, mapping: dict[str, str]) -> None:
        layer = self.layer(layer_id)
        if layer.role != role:
            # It joins its new role as context unless that role has nothing analysed yet.
            layer.analysed = False
        layer.role = role
        layer.mapping = dict(mapping)
        self._ensure_analysed()
        self._layers_changed()

    # ------------------------------------------------------------------- metadata
    @property
    def metadata(self) -> dict[str, str]:
        """Title, author and organisation (a copy; change it with set_metadata)."""
        return dict(self._metadata)

    @staticmethod
    def check_metadata(metadata: Mapping[str, str]) -> None:
        """Raise DocumentError unless ``metadata`` holds only known plan details, as text."""
        bad = set(metadata) - set(METADATA_KEYS)
        if bad:
            raise DocumentError(
                f"Unknown plan detail {', '.join(sorted(bad))}: use {', '.join(METADATA_KEYS)}.")
        for key, value in metadata.items():
            if not isinstance(value, str):
                raise DocumentError(f"The plan's {key} must be text.")

    def set_metadata(self, metadata: Mapping[str, str]) -> None:
        """Change some of title, author, organisation; emits once if anything changed."""
        self.check_metadata(metadata)
        new = dict(self._metadata)
        for key, value in metadata.items():
            new[key] = value.strip()
        if new != self._metadata:
            self._metadata = new
            self.metadata_changed.emit(dict(new))

    @property
    def title(self) -> str:
        return self._metadata["title"]

    @title.setter
    def title(self, value: str) -> None:
        self.set_metadata({"title": value})

    # ----------------------------------------------------------------------- view
    @property
    def view(self) -> tuple[float, float, float, float] | None:
        """The map extent (xmin, ymin, xmax, ymax) in the project CRS, or None (fit all)."""
        return self._view

    def set_view(self, view: Iterable[float] | None) -> None:
        if view is not None:
            try:
                box4 = tuple(float(v) for v in view)
            except (TypeError, ValueError):
                raise DocumentError("A map view is four numbers: xmin, ymin, xmax, ymax.") from None
            if len(box4) != 4 or not all(math.isfinite(v) for v in box4):
                raise DocumentError("A map view is four finite numbers: xmin, ymin, xmax, ymax.")
            if not (box4[0] < box4[2] and box4[1] < box4[3]):
                raise DocumentError("A map view needs xmin < xmax and ymin < ymax.")
            view = box4
        if view != self._view:
            self._view = view  # type: ignore[assignment]
            self.view_changed.emit(view)

    # ---------------------------------------------------------------------- votes
    @property
    def votes(self) -> dict[str, int]:
        """Dot votes per district id, for the districts in the plan (a removed district's
        votes come back with it on undo)."""
        ids = {d.id for d in self._districts}
        return {k: v for k, v in self._votes.items() if k in ids}

    def check_votes(self, votes: Mapping[str, int]) -> None:
        """Raise DocumentError for votes on unknown districts or not whole numbers >= 0."""
        ids = {d.id for d in self._districts}
        for key, value in votes.items():
            if key not in ids:
                raise DocumentError(f"Votes for '{key}', which is not a district of this plan.")
            if isinstance(value, bool) or int(value) != value or value < 0:
                raise DocumentError(f"Votes must be whole numbers of 0 or more (got {value!r}).")

    def set_votes(self, votes: Mapping[str, int]) -> None:
        """Replace all votes; refuses unknown districts and negative or fractional counts."""
        self.check_votes(votes)
        new = {key: int(value) for key, value in votes.items()}
        if new != self.votes:
            self._votes = new
            self.votes_changed.emit(dict(new))

    # ------------------------------------------------------------------- sketches
    @property
    def sketches(self) -> list[Sketch]:
        return list(self._sketches)

    def sketch(self, sketch_id: str) -> Sketch:
        for s in self._sketches:
            if s.id == sketch_id:
                return s
        raise KeyError(sketch_id)

    @staticmethod
    def check_sketch(sketch: Sketch) -> None:
        """Raise DocumentError when ``sketch`` cannot be part of a plan."""
        if sketch.kind not in SKETCH_KINDS:
            kinds = " or a ".join(SKETCH_KINDS)
            raise DocumentError(f"A sketch is a {kinds}, not '{sketch.kind}'.")
        if sketch.geometry is None or sketch.geometry.is_empty:
            raise DocumentError("A sketch needs a place on the map.")
        if not _COLOUR.match(sketch.colour or ""):
            raise DocumentError(f"A sketch colour is '#rrggbb' (got '{sketch.colour}').")

    def add_sketch(self, sketch: Sketch, index: int | None = None) -> Sketch:
        self.check_sketch(sketch)
        if any(s.id == sketch.id for s in self._sketches):
            raise DocumentError("This sketch is already in the plan.")
        if index is None:
            self._sketches.append(sketch)
        else:
            self._sketches.insert(index, sketch)
        self.sketches_changed.emit()
        return sketch

    def remove_sketch(self, sketch_id: str) -> tuple[Sketch, int]:
        """Remove and return the sketch and where it was, for undo."""
        sketch = self.sketch(sketch_id)
        index = self._sketches.index(sketch)
        del self._sketches[index]
        self.sketches_changed.emit()
        return sketch, index

    def set_sketches(self, sketches: Iterable[Sketch]) -> None:
        """Replace all sketches (loading a plan, clearing a workshop); one signal."""
        new = list(sketches)
        for sketch in new:
            self.check_sketch(sketch)
        self._sketches = new
        self.sketches_changed.emit()

    # -------------------------------------------------------------------- districts
    @property
    def districts(self) -> tuple[District, ...]:
        return tuple(self._districts)

    def district(self, district_id: str) -> District:
        for d in self._districts:
            if d.id == district_id:
                return d
        raise KeyError(district_id)

    def next_district_colour(self) -> str:
        return DISTRICT_COLOURS[len(self._districts) % len(DISTRICT_COLOURS)]

    def add_district(self, district: District, index: int | None = None) -> District:
        geom, notice = clean_district_geometry(district.geometry)
        district.geometry = geom
        self.last_notice = notice
        if index is None:
            self._districts.append(district)
        else:
            self._districts.insert(index, district)
        self.districts_changed.emit(None)
        return district

    def remove_district(self, district_id: str) -> tuple[District, int]:
        d = self.district(district_id)
        index = self._districts.index(d)
        del self._districts[index]
        if self.selection.active_district == district_id:
            self.selection.set_active_district(None)
        self.districts_changed.emit(None)
        return d, index

    def set_district_geometry(self, district_id: str, geometry: BaseGeometry) -> str:
        """Store a new shape; returns the repair notice ('' if none). Refuses empty shapes."""
        d = self.district(district_id)
        geom, notice = clean_district_geometry(geometry)
        d.geometry = geom
        self.last_notice = notice
        self.districts_changed.emit(district_id)
        return notice

    def update_district(self, district_id: str, **fields: Any) -> None:
        """Change name, colour, notes, visible or instruments (not geometry)."""
        allowed = {"name", "colour", "notes", "visible", "instruments"}
        bad = set(fields) - allowed
        if bad:
            raise DocumentError(f"Cannot set {', '.join(sorted(bad))} on a district.")
        if "name" in fields and not str(fields["name"]).strip():
            raise DocumentError("A district needs a name.")
        d = self.district(district_id)
        if "instruments" in fields:
            self._check_package(d.name, fields["instruments"], self._assumptions)
        for key, value in fields.items():
            setattr(d, key, value)
        self.districts_changed.emit(district_id)

    def duplicate_district(self, district_id: str, name: str | None = None) -> District:
        d = self.district(district_id)
        copy = replace(
            d,
            name=name or f"{d.name} (variant)",
            colour=self.next_district_colour(),
            instruments=list(d.instruments),
            id=District.__dataclass_fields__["id"].default_factory(),  # type: ignore[misc]
        )
        return self.add_district(copy, self._districts.index(d) + 1)

    # ------------------------------------------------------------------ assumptions
    @property
    def assumptions(self) -> Assumptions:
        return self._assumptions

    def check_instruments(self, district_id: str, instruments: list) -> None:
        """Raise DocumentError if ``instruments`` could not be costed for this district."""
        self._check_package(self.district(district_id).name, instruments, self._assumptions)

    def check_assumptions(self, assumptions: Assumptions) -> None:
        """Raise DocumentError if some district's package could not be costed under them."""
        for d in self._districts:
            self._check_package(d.name, d.instruments, assumptions)

    @staticmethod
    def _check_package(name: str, instruments: list, assumptions: Assumptions) -> None:
        try:
            check_package(instruments, assumptions)
        except (InstrumentError, IncentiveError) as exc:
            raise DocumentError(f"{name}: {exc}") from None

    def set_assumptions(self, assumptions: Assumptions) -> None:
        """Refused (DocumentError) when a district's incentive package could not be costed
        under the new assumptions, so every figure stays computable."""
        if assumptions != self._assumptions:
            self.check_assumptions(assumptions)
            self._assumptions = assumptions
            self.assumptions_changed.emit(assumptions)

    # -------------------------------------------------------------------------- crs
    def set_crs(self, crs: str) -> None:
        """Move every layer and district into ``crs`` (projected, metres); one signal each.

        Raises DocumentError naming the problem when ``crs`` cannot be a project CRS.
        """
        from districtplanner.io.reproject import (
            checked_project_crs,
            reproject_data,
            reproject_geometry,
        )

        try:
            code = checked_project_crs(crs)
        except ValueError as exc:
            raise DocumentError(str(exc)) from None
        if code == self.crs:
            return
        old = self.crs
        for layer in self._layers:
            layer.data = reproject_data(layer.data, code)
        for d in self._districts:
            d.geometry = reproject_geometry(d.geometry, old, code)
        for s in self._sketches:
            s.geometry = reproject_geometry(s.geometry, old, code)
        self.crs = code
        self._layers_changed()
        self.districts_changed.emit(None)
        if self._sketches:
            self.sketches_changed.emit()
        # The old extent means nothing in the new CRS: the map fits everything again.
        self.set_view(None)

    def adopt_crs(self, crs: str) -> None:
        """Give a plan without a CRS (nothing in it yet) its first layer's CRS; nothing is
        reprojected. A plan that has a CRS changes it only through set_crs."""
        if self.crs and crs != self.crs:
            raise DocumentError(
                f"The plan is already in {self.crs}; change it with View > Project "
                "coordinate system.")
        self.crs = crs

    def restore_crs(self, crs: str, layer_data: Mapping[str, object],
                    geometries: Mapping[str, BaseGeometry],
                    sketches: Mapping[str, BaseGeometry] | None = None,
                    view: tuple[float, float, float, float] | None = None) -> None:
        """Put back exactly the data a CRS change replaced (undo; no second resampling)."""
        self.crs = crs
        for layer in self._layers:
            if layer.id in layer_data:
                layer.data = layer_data[layer.id]  # type: ignore[assignment]
        for d in self._districts:
            if d.id in geometries:
                d.geometry = geometries[d.id]
        for s in self._sketches:
            if sketches and s.id in sketches:
                s.geometry = sketches[s.id]
        self._layers_changed()
        self.districts_changed.emit(None)
        if self._sketches:
            self.sketches_changed.emit()
        self.set_view(view)

    # ----------------------------------------------------------------------- extent
    def bounds(self) -> tuple[float, float, float, float] | None:
        """Union of the visible layers' and districts' extents, or None when empty."""
        boxes = [la.bounds() for la in self._layers if la.feature_count]
        boxes += [d.geometry.bounds for d in self._districts]
        if not boxes:
            return None
        return (
            min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes),
        )
