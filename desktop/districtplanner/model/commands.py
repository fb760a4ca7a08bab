"""Undoable edits of the plan and the stack that holds them. Plain Python, no Qt.

Every edit of the document goes through ``CommandStack.push``: the command checks that the
document will accept it, applies it, and can undo it exactly. A drag or a slider move is one
*gesture* (``begin_gesture`` .. ``end_gesture``): however many commands it pushes, it is one
undo step. Outside a gesture, consecutive commands with the same ``merge_key`` (a slider
dragged by the keyboard, say) also merge into one step. The UI shows the stack through a thin
adapter (``ui/undo.py``); the CLI and the tests drive it directly.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from psygnal import Signal
from shapely.geometry.base import BaseGeometry

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.roles import LayerRole
from districtplanner.model.district import District
from districtplanner.model.document import Document, DocumentError, clean_district_geometry
from districtplanner.model.layer import Layer
from districtplanner.model.sketch import Sketch


class Command:
    """One edit. ``check`` raises DocumentError when ``do`` would be refused, so a refused
    edit never reaches the stack; ``undo`` restores the document exactly."""

    text = ""
    #: Consecutive commands with equal, non-None keys merge into one undo step.
    merge_key: Hashable | None = None

    def check(self) -> None:
        """Raise DocumentError (with the planner's reason) when do() would be refused."""

    def do(self) -> None:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError

    def merge(self, other: Command) -> bool:
        """Absorb ``other`` (already done) into this command; False when it cannot."""
        return False


class Gesture(Command):
    """Commands pushed between begin_gesture and end_gesture: one undo step."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.commands: list[Command] = []

    def add(self, command: Command) -> None:
        # A drag pushes one command per mouse move; keep only the net change of each target.
        if self.commands and self.commands[-1].merge(command):
            return
        self.commands.append(command)

    def do(self) -> None:
        for c in self.commands:
            c.do()

    def undo(self) -> None:
        for c in reversed(self.commands):
            c.undo()


class CommandStack:
    """The plan's undo history. ``push`` returns '' or the refusal message; ``changed``
    fires after every push, undo, redo or clean change; ``clean_changed(bool)`` when the plan
    becomes saved or unsaved."""

    changed = Signal()
    clean_changed = Signal(bool)

    def __init__(self, document: Document) -> None:
        self.document = document
        self._commands: list[Command] = []
        self._index = 0  # commands[:index] are done
        self._clean_index: int | None = 0
        self._gesture: Gesture | None = None
        self._depth = 0
        self._reported_clean = True  # what clean_changed last said

    # ------------------------------------------------------------------ state
    @property
    def index(self) -> int:
        """How many steps are done (0 = the state the stack started from)."""
        return self._index

    @property
    def count(self) -> int:
        return len(self._commands)

    def texts(self) -> list[str]:
        """Each step's description, oldest first (the history view)."""
        return [c.text for c in self._commands]

    @property
    def can_undo(self) -> bool:
        return self._index > 0 and self._gesture is None

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._commands) and self._gesture is None

    @property
    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self._index > 0 else ""

    @property
    def redo_text(self) -> str:
        return self._commands[self._index].text if self._index < len(self._commands) else ""

    @property
    def is_clean(self) -> bool:
        """True when the plan equals what was last saved (or opened); a drag under way that
        already changed something makes it unsaved."""
        editing = self._gesture is not None and bool(self._gesture.commands)
        return self._clean_index == self._index and not editing

    @property
    def in_gesture(self) -> bool:
        return self._gesture is not None

    def set_clean(self) -> None:
        """Mark the current state as saved."""
        self._clean_index = self._index
        self._announce()

    def clear(self) -> None:
        """Forget the history (a new plan); the current state counts as saved."""
        self._commands.clear()
        self._index = 0
        self._clean_index = 0
        self._gesture = None
        self._depth = 0
        self._announce()

    def _announce(self) -> None:
        self.changed.emit()
        self._sync_clean()

    def _sync_clean(self) -> None:
        clean = self.is_clean
        if clean != self._reported_clean:
            self._reported_clean = clean
            self.clean_changed.emit(clean)

    # ------------------------------------------------------------------ edits
    def push(self, command: Command) -> str:
        """Check, apply and record ``command``; returns '' or why the plan refused it (the
        document is then unchanged)."""
        try:
            command.check()
            command.do()
        except DocumentError as exc:
            return str(exc)
        if self._gesture is not None:
            self._gesture.add(command)
            self._sync_clean()  # the first move of a drag makes the plan unsaved
            return ""
        self._record(command)
        self._announce()
        return ""

    def _record(self, command: Command) -> None:
        del self._commands[self._index:]
        if self._clean_index is not None and self._clean_index > self._index:
            self._clean_index = None  # the saved state is no longer reachable
        top = self._commands[-1] if self._commands else None
        if (top is not None and command.merge_key is not None
                and top.merge_key == command.merge_key and self._clean_index != self._index
                and top.merge(command)):
            return
        self._commands.append(command)
        self._index += 1

    def begin_gesture(self, text: str) -> None:
        """Start one undo step made of every command pushed until end_gesture (nestable)."""
        self._depth += 1
        if self._gesture is None:
            self._gesture = Gesture(text)

    def end_gesture(self) -> None:
        """Finish the gesture; an empty gesture (a click without a move) leaves no step."""
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth or self._gesture is None:
            return
        gesture, self._gesture = self._gesture, None
        if gesture.commands:
            self._record(gesture)
        self._announce()

    def finish_open_gesture(self) -> None:
        """End a gesture left open (a drag whose release never came), so undo works."""
        while self._depth:
            self.end_gesture()

    def undo(self) -> str:
        """Undo one step; '' or why it could not be undone (the step then stays)."""
        if not self.can_undo:
            return ""
        try:
            self._commands[self._index - 1].undo()
        except DocumentError as exc:
            return str(exc)
        self._index -= 1
        self._announce()
        return ""

    def redo(self) -> str:
        if not self.can_redo:
            return ""
        try:
            self._commands[self._index].do()
        except DocumentError as exc:
            return str(exc)
        self._index += 1
        self._announce()
        return ""

    def set_index(self, index: int) -> None:
        """Undo or redo until ``index`` steps are done (clicking a history entry)."""
        index = max(0, min(index, len(self._commands)))
        while self._index > index and not self.undo() and self._index > index:
            pass
        while self._index < index and not self.redo() and self._index < index:
            pass


# ---------------------------------------------------------------------- districts
class AddDistrict(Command):
    def __init__(self, document: Document, district: District, text: str = "") -> None:
        self.text = text or f"Draw {district.name}"
        self.document = document
        self.district = district
        self.index: int | None = None

    def check(self) -> None:
        clean_district_geometry(self.district.geometry)

    def do(self) -> None:
        self.document.add_district(self.district, self.index)
        self.document.selection.set_active_district(self.district.id)

    def undo(self) -> None:
        _, self.index = self.document.remove_district(self.district.id)


class RemoveDistrict(Command):
    def __init__(self, document: Document, district_id: str) -> None:
        d = document.district(district_id)
        self.text = f"Delete {d.name}"
        self.document = document
        self.district = d
        self.index = 0

    def do(self) -> None:
        _, self.index = self.document.remove_district(self.district.id)

    def undo(self) -> None:
        self.document.add_district(self.district, self.index)
        self.document.selection.set_active_district(self.district.id)


class SetDistrictGeometry(Command):
    """A new shape of one district; consecutive shapes of the same district in one gesture
    (a drag) keep the first old and the last new shape."""

    def __init__(self, document: Document, district_id: str, geometry: BaseGeometry,
                 text: str = "Edit shape", old: BaseGeometry | None = None) -> None:
        self.text = f"{text} of {document.district(district_id).name}"
        self.document = document
        self.district_id = district_id
        self.old = old if old is not None else document.district(district_id).geometry
        self.new = geometry

    def check(self) -> None:
        clean_district_geometry(self.new)

    def do(self) -> None:
        self.document.set_district_geometry(self.district_id, self.new)
        # Keep what the document stored (the repaired shape), so redo is exact.
        self.new = self.document.district(self.district_id).geometry

    def undo(self) -> None:
        self.document.set_district_geometry(self.district_id, self.old)

    def merge(self, other: Command) -> bool:
        if isinstance(other, SetDistrictGeometry) and other.district_id == self.district_id:
            self.new = other.new
            return True
        return False


class UpdateDistrict(Command):
    """Rename, recolour, notes, visibility or instruments."""

    def __init__(self, document: Document, district_id: str, text: str = "",
                 **fields: Any) -> None:
        d = document.district(district_id)
        self.text = text or f"Change {', '.join(fields)} of {d.name}"
        self.document = document
        self.district_id = district_id
        self.new = fields
        self.old = {k: getattr(d, k) for k in fields if hasattr(d, k)}

    def check(self) -> None:
        if "name" in self.new and not str(self.new["name"]).strip():
            raise DocumentError("A district needs a name.")
        if "instruments" in self.new:
            self.document.check_instruments(self.district_id, self.new["instruments"])

    def do(self) -> None:
        self.document.update_district(self.district_id, **self.new)

    def undo(self) -> None:
        self.document.update_district(self.district_id, **self.old)


class DuplicateDistrict(Command):
    def __init__(self, document: Document, district_id: str) -> None:
        self.text = f"Duplicate {document.district(district_id).name}"
        self.document = document
        self.source_id = district_id
        self.copy: District | None = None
        self.index = 0

    def do(self) -> None:
        if self.copy is None:
            self.copy = self.document.duplicate_district(self.source_id)
        else:
            self.document.add_district(self.copy, self.index)
        self.document.selection.set_active_district(self.copy.id)

    def undo(self) -> None:
        assert self.copy is not None
        _, self.index = self.document.remove_district(self.copy.id)


# --------------------------------------------------------------------- assumptions
class SetAssumptions(Command):
    """An assumption edit; with a ``merge_key`` (one slider) consecutive edits are one step."""

    def __init__(self, document: Document, new: Assumptions, text: str = "Change assumptions",
                 merge_key: str = "") -> None:
        self.text = text
        self.document = document
        self.old = document.assumptions
        self.new = new
        self.merge_key = ("assumptions", merge_key) if merge_key else None

    def check(self) -> None:
        self.document.check_assumptions(self.new)

    def do(self) -> None:
        self.document.set_assumptions(self.new)

    def undo(self) -> None:
        self.document.set_assumptions(self.old)

    def merge(self, other: Command) -> bool:
        if isinstance(other, SetAssumptions) and other.merge_key == self.merge_key:
            self.new = other.new
            return True
        return False


# --------------------------------------------------------------------------- crs
class SetProjectCRS(Command):
    """Reproject the whole plan; undo restores the original data exactly."""

    def __init__(self, document: Document, crs: str) -> None:
        self.text = f"Change the project CRS to {crs}"
        self.document = document
        self.new = crs
        self.old = document.crs
        self.layer_data = {la.id: la.data for la in document.layers}
        self.geometries = {d.id: d.geometry for d in document.districts}
        self.sketches = {s.id: s.geometry for s in document.sketches}
        self.view = document.view

    def check(self) -> None:
        from districtplanner.io.reproject import checked_project_crs

        try:
            checked_project_crs(self.new)
        except ValueError as exc:
            raise DocumentError(str(exc)) from None

    def do(self) -> None:
        self.document.set_crs(self.new)

    def undo(self) -> None:
        self.document.restore_crs(self.old, self.layer_data, self.geometries, self.sketches,
                                  self.view)


# ------------------------------------------------------------------------ layers
class AddLayers(Command):
    """Add layers on top, or at ``index`` in the draw order (0 = under everything)."""

    def __init__(self, document: Document, layers: list[Layer], index: int | None = None,
                 text: str = "", crs: str = "") -> None:
        self.text = text or f"Add {', '.join(la.name for la in layers)}"
        self.document = document
        self.layers = layers
        self.index = index
        # The first layers of an empty plan give it its CRS (``crs``); undo takes it back.
        self.crs = crs if not document.crs else ""
        self._analysed: dict[str, bool] | None = None

    def do(self) -> None:
        if self.crs:
            self.document.adopt_crs(self.crs)
        before = self.document.analysed_state()
        if self.index is None:
            self.document.add_layers(self.layers)
        else:
            for offset, layer in enumerate(self.layers):
                self.document.add_layer(layer, self.index + offset)
        self._analysed = before

    def undo(self) -> None:
        for la in self.layers:
            self.document.remove_layer(la.id)
        if self._analysed is not None:
            self.document.restore_analysed_state(self._analysed)
        if self.crs:
            self.document.crs = ""


class RemoveLayer(Command):
    def __init__(self, document: Document, layer_id: str) -> None:
        layer = document.layer(layer_id)
        self.text = f"Remove {layer.name}"
        self.document = document
        self.layer = layer
        self.index = 0
        self._analysed: dict[str, bool] = {}

    def do(self) -> None:
        self._analysed = self.document.analysed_state()
        _, self.index = self.document.remove_layer(self.layer.id)

    def undo(self) -> None:
        self.document.add_layer(self.layer, self.index)
        self.document.restore_analysed_state(self._analysed)


class MoveLayer(Command):
    """Change a layer's place in the draw order (0 = bottom)."""

    def __init__(self, document: Document, layer_id: str, index: int) -> None:
        layer = document.layer(layer_id)
        self.text = f"Move {layer.name}"
        self.document = document
        self.layer_id = layer_id
        self.new = index
        self.old = document.layers.index(layer)

    def do(self) -> None:
        self.document.move_layer(self.layer_id, self.new)

    def undo(self) -> None:
        self.document.move_layer(self.layer_id, self.old)


class SetLayerVisible(Command):
    def __init__(self, document: Document, layer_id: str, visible: bool) -> None:
        layer = document.layer(layer_id)
        self.text = f"{'Show' if visible else 'Hide'} {layer.name}"
        self.document = document
        self.layer_id = layer_id
        self.new = visible
        self.old = layer.visible

    def do(self) -> None:
        self.document.set_layer_visible(self.layer_id, self.new)

    def undo(self) -> None:
        self.document.set_layer_visible(self.layer_id, self.old)


class SetLayerRole(Command):
    """A new role (and column mapping) for a layer; undo restores which layers are analysed."""

    def __init__(self, document: Document, layer_id: str, role: LayerRole,
                 mapping: Mapping[str, str] | None = None) -> None:
        layer = document.layer(layer_id)
        self.text = f"Use {layer.name} as {role.value.replace('_', ' ')}"
        self.document = document
        self.layer_id = layer_id
        self.new = (role, dict(layer.mapping if mapping is None else mapping))
        self.old = (layer.role, dict(layer.mapping))
        self._analysed: dict[str, bool] = {}

    def do(self) -> None:
        self._analysed = self.document.analysed_state()
        self.document.set_layer_role(self.layer_id, *self.new)

    def undo(self) -> None:
        self.document.set_layer_role(self.layer_id, *self.old)
        self.document.restore_analysed_state(self._analysed)


class SetAnalysedLayer(Command):
    """Choose which layer(s) of a role feed the figures (several: their data combined)."""

    def __init__(self, document: Document, role: LayerRole, layer_ids: list[str],
                 text: str = "") -> None:
        names = ", ".join(document.layer(i).name for i in layer_ids)
        self.text = text or f"Analyse {names}"
        self.document = document
        self.role = role
        self.layer_ids = list(layer_ids)
        self._analysed: dict[str, bool] = {}

    def check(self) -> None:
        self.document.check_analysed_layers(self.role, self.layer_ids)

    def do(self) -> None:
        self._analysed = self.document.analysed_state()
        self.document.set_analysed_layers(self.role, self.layer_ids)

    def undo(self) -> None:
        self.document.restore_analysed_state(self._analysed)


# --------------------------------------------------------- metadata, votes, sketches
class SetMetadata(Command):
    def __init__(self, document: Document, metadata: Mapping[str, str],
                 text: str = "Change the plan's details") -> None:
        self.text = text
        self.document = document
        self.new = dict(metadata)
        self.old = {k: v for k, v in document.metadata.items() if k in self.new}

    def check(self) -> None:
        self.document.check_metadata(self.new)

    def do(self) -> None:
        self.document.set_metadata(self.new)

    def undo(self) -> None:
        self.document.set_metadata(self.old)


class SetVotes(Command):
    """Replace the dot votes; with a ``merge_key`` repeated clicks are one step."""

    def __init__(self, document: Document, votes: Mapping[str, int], text: str = "Vote",
                 merge_key: str = "") -> None:
        self.text = text
        self.document = document
        self.new = dict(votes)
        self.old = document.votes
        self.merge_key = ("votes", merge_key) if merge_key else None

    def check(self) -> None:
        self.document.check_votes(self.new)

    def do(self) -> None:
        self.document.set_votes(self.new)

    def undo(self) -> None:
        self.document.set_votes(self.old)

    def merge(self, other: Command) -> bool:
        if isinstance(other, SetVotes) and other.merge_key == self.merge_key:
            self.new = other.new
            return True
        return False


class AddSketch(Command):
    def __init__(self, document: Document, sketch: Sketch) -> None:
        self.text = "Add a note" if sketch.kind == "note" else "Sketch"
        self.document = document
        self.sketch = sketch
        self.index: int | None = None

    def check(self) -> None:
        self.document.check_sketch(self.sketch)

    def do(self) -> None:
        self.document.add_sketch(self.sketch, self.index)

    def undo(self) -> None:
        _, self.index = self.document.remove_sketch(self.sketch.id)


class RemoveSketch(Command):
    def __init__(self, document: Document, sketch_id: str) -> None:
        self.sketch = document.sketch(sketch_id)
        self.text = "Remove a note" if self.sketch.kind == "note" else "Remove a sketch"
        self.document = document
        self.index = 0

    def do(self) -> None:
        _, self.index = self.document.remove_sketch(self.sketch.id)

    def undo(self) -> None:
        self.document.add_sketch(self.sketch, self.index)
