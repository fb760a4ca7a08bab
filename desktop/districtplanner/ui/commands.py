"""One QUndoCommand per kind of edit. redo/undo call document methods only, so the
document stays the single place that validates and announces changes."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack
from shapely.geometry.base import BaseGeometry

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.model.district import District
from districtplanner.model.document import Document, DocumentError, clean_district_geometry
from districtplanner.model.layer import Layer

# Merge ids: consecutive commands with the same id and target merge into one undo step.
MERGE_GEOMETRY = 1001
MERGE_ASSUMPTIONS = 1002


class CheckedCommand(QUndoCommand):
    """A command that can say before it is pushed whether the document will accept it.

    Qt calls redo() from C++, where a Python exception cannot stop the push; so edits are
    checked first and a refused edit never reaches the stack.
    """

    def check(self) -> None:
        """Raise DocumentError when redo() would be refused."""


def push(stack: QUndoStack, command: QUndoCommand) -> str:
    """Push ``command`` if the document accepts it; returns '' or the refusal message."""
    try:
        if isinstance(command, CheckedCommand):
            command.check()
    except DocumentError as exc:
        return str(exc)
    stack.push(command)
    return ""


class AddDistrict(CheckedCommand):
    def __init__(self, document: Document, district: District, text: str = "") -> None:
        super().__init__(text or f"Draw {district.name}")
        self.document = document
        self.district = district
        self.index: int | None = None

    def check(self) -> None:
        clean_district_geometry(self.district.geometry)

    def redo(self) -> None:
        self.document.add_district(self.district, self.index)
        self.document.selection.set_active_district(self.district.id)

    def undo(self) -> None:
        _, self.index = self.document.remove_district(self.district.id)


class RemoveDistrict(QUndoCommand):
    def __init__(self, document: Document, district_id: str) -> None:
        d = document.district(district_id)
        super().__init__(f"Delete {d.name}")
        self.document = document
        self.district = d
        self.index = 0

    def redo(self) -> None:
        _, self.index = self.document.remove_district(self.district.id)

    def undo(self) -> None:
        self.document.add_district(self.district, self.index)
        self.document.selection.set_active_district(self.district.id)


class SetDistrictGeometry(CheckedCommand):
    """A finished shape edit. Consecutive edits of one district during one gesture merge."""

    def __init__(self, document: Document, district_id: str, geometry: BaseGeometry,
                 text: str = "Edit shape", old: BaseGeometry | None = None,
                 gesture: int | None = None) -> None:
        super().__init__(f"{text} of {document.district(district_id).name}")
        self.document = document
        self.district_id = district_id
        self.old = old if old is not None else document.district(district_id).geometry
        self.new = geometry
        self.gesture = gesture

    def check(self) -> None:
        clean_district_geometry(self.new)

    def id(self) -> int:
        return MERGE_GEOMETRY if self.gesture is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetDistrictGeometry):
            return False
        if other.district_id != self.district_id or other.gesture != self.gesture:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.document.set_district_geometry(self.district_id, self.new)
        # Keep what the document stored (it may have repaired the shape).
        self.new = self.document.district(self.district_id).geometry

    def undo(self) -> None:
        self.document.set_district_geometry(self.district_id, self.old)


class UpdateDistrict(CheckedCommand):
    """Rename, recolour, notes, visibility or instruments."""

    def __init__(self, document: Document, district_id: str, text: str = "",
                 **fields: Any) -> None:
        d = document.district(district_id)
        super().__init__(text or f"Change {', '.join(fields)} of {d.name}")
        self.document = document
        self.district_id = district_id
        self.new = fields
        self.old = {k: getattr(d, k) for k in fields}

    def check(self) -> None:
        if "name" in self.new and not str(self.new["name"]).strip():
            raise DocumentError("A district needs a name.")
        if "instruments" in self.new:
            self.document.check_instruments(self.district_id, self.new["instruments"])

    def redo(self) -> None:
        self.document.update_district(self.district_id, **self.new)

    def undo(self) -> None:
        self.document.update_district(self.district_id, **self.old)


class DuplicateDistrict(QUndoCommand):
    def __init__(self, document: Document, district_id: str) -> None:
        super().__init__(f"Duplicate {document.district(district_id).name}")
        self.document = document
        self.source_id = district_id
        self.copy: District | None = None
        self.index = 0

    def redo(self) -> None:
        if self.copy is None:
            self.copy = self.document.duplicate_district(self.source_id)
        else:
            self.document.add_district(self.copy, self.index)
        self.document.selection.set_active_district(self.copy.id)

    def undo(self) -> None:
        assert self.copy is not None
        _, self.index = self.document.remove_district(self.copy.id)


class SetAssumptions(CheckedCommand):
    """An assumption edit; dragging a slider merges into one undo step."""

    def __init__(self, document: Document, new: Assumptions, text: str = "Change assumptions",
                 merge_key: str = "") -> None:
        super().__init__(text)
        self.document = document
        self.old = document.assumptions
        self.new = new
        self.merge_key = merge_key

    def check(self) -> None:
        self.document.check_assumptions(self.new)

    def id(self) -> int:
        return MERGE_ASSUMPTIONS if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if isinstance(other, SetAssumptions) and other.merge_key == self.merge_key:
            self.new = other.new
            return True
        return False

    def redo(self) -> None:
        self.document.set_assumptions(self.new)

    def undo(self) -> None:
        self.document.set_assumptions(self.old)


class SetProjectCRS(CheckedCommand):
    """Reproject the whole plan; undo restores the original data exactly."""

    def __init__(self, document: Document, crs: str) -> None:
        super().__init__(f"Change the project CRS to {crs}")
        self.document = document
        self.new = crs
        self.old = document.crs
        self.layer_data = {la.id: la.data for la in document.layers}
        self.geometries = {d.id: d.geometry for d in document.districts}

    def check(self) -> None:
        from districtplanner.io.reproject import checked_project_crs

        try:
            checked_project_crs(self.new)
        except ValueError as exc:
            raise DocumentError(str(exc)) from None

    def redo(self) -> None:
        self.document.set_crs(self.new)

    def undo(self) -> None:
        self.document.restore_crs(self.old, self.layer_data, self.geometries)


class AddLayers(QUndoCommand):
    """Add layers on top, or at ``index`` in the draw order (0 = under everything)."""

    def __init__(self, document: Document, layers: list[Layer], index: int | None = None
                 ) -> None:
        names = ", ".join(la.name for la in layers)
        super().__init__(f"Add {names}")
        self.document = document
        self.layers = layers
        self.index = index

    def redo(self) -> None:
        if self.index is None:
            self.document.add_layers(self.layers)
        else:
            for offset, layer in enumerate(self.layers):
                self.document.add_layer(layer, self.index + offset)

    def undo(self) -> None:
        for la in self.layers:
            self.document.remove_layer(la.id)


class RemoveLayer(QUndoCommand):
    def __init__(self, document: Document, layer_id: str) -> None:
        layer = document.layer(layer_id)
        super().__init__(f"Remove {layer.name}")
        self.document = document
        self.layer = layer
        self.index = 0

    def redo(self) -> None:
        _, self.index = self.document.remove_layer(self.layer.id)

    def undo(self) -> None:
        self.document.add_layer(self.layer, self.index)
