"""The District list: every proposed district, which one the panels show, and the
rename / duplicate / hide / delete / zoom actions. Edits go through undo commands."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from districtplanner.model.commands import (
    CommandStack,
    DuplicateDistrict,
    RemoveDistrict,
    UpdateDistrict,
)
from districtplanner.model.district import District
from districtplanner.model.document import Document
from districtplanner.ui.dialogs.district import DistrictDialog
from districtplanner.ui.panels.layers import swatch


class DistrictList(QWidget):
    zoom_requested = Signal(str)  # district id

    ID = Qt.ItemDataRole.UserRole

    def __init__(self, document: Document, undo_stack: CommandStack,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.undo_stack = undo_stack
        self._in_item_signal = False
        self.list = QListWidget()
        self.list.itemChanged.connect(self._item_changed)
        self.list.currentItemChanged.connect(self._current_changed)
        # Double-click renames (the list's editor); "Zoom to" zooms.
        buttons = QHBoxLayout()
        self.buttons: dict[str, QToolButton] = {}
        for key, text, tip, slot in (
            ("properties", "Edit…", "Name, colour and notes of the district", self.edit),
            ("duplicate", "Duplicate", "Duplicate the district as a variant", self.duplicate),
            ("zoom", "Zoom to", "Zoom the map to the district", self.zoom),
            ("delete", "Delete", "Delete the district (undo with Ctrl+Z)", self.delete),
        ):
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            buttons.addWidget(b)
            self.buttons[key] = b
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.list)
        lay.addLayout(buttons)
        document.districts_changed.connect(lambda _id: self.refresh())
        document.selection.changed.connect(lambda _s: self._sync_current())
        self.refresh()

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(self.ID) if item is not None else None

    def refresh(self) -> None:
        """Mirror the document: in place when the districts are the same ones (every drag
        frame, renames, hiding), rebuilt only when districts were added, removed or
        reordered, and never inside the list's own item signal."""
        districts = self.document.districts
        ids = [self.list.item(i).data(self.ID) for i in range(self.list.count())]
        if ids == [d.id for d in districts]:
            with QSignalBlocker(self.list):
                for i, d in enumerate(districts):
                    self._update_item(self.list.item(i), d)
            self._sync_current()
            return
        if self._in_item_signal:
            QTimer.singleShot(0, self, self.refresh)
            return
        with QSignalBlocker(self.list):
            self.list.clear()
            for d in districts:
                item = QListWidgetItem()
                item.setData(self.ID, d.id)
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable
                )
                self._update_item(item, d)
                self.list.addItem(item)
        self._sync_current()

    @staticmethod
    def _update_item(item: QListWidgetItem, d: District) -> None:
        if item.text() != d.name:
            item.setText(d.name)
        if item.data(Qt.ItemDataRole.UserRole + 1) != d.colour:
            item.setData(Qt.ItemDataRole.UserRole + 1, d.colour)
            item.setIcon(swatch("polygon", d.colour, d.colour + "40"))
        state = Qt.CheckState.Checked if d.visible else Qt.CheckState.Unchecked
        if item.checkState() != state:
            item.setCheckState(state)
        item.setToolTip(f"{d.name}: {d.area_km2:.2f} km²\n{d.notes}".strip())

    def _sync_current(self) -> None:
        active = self.document.selection.active_district
        with QSignalBlocker(self.list):
            for i in range(self.list.count()):
                if self.list.item(i).data(self.ID) == active:
                    self.list.setCurrentRow(i)
                    break
            else:
                self.list.setCurrentRow(-1)

    def _current_changed(self, item: QListWidgetItem | None, _prev: object) -> None:
        self.document.selection.set_active_district(item.data(self.ID) if item else None)

    def _item_changed(self, item: QListWidgetItem) -> None:
        self._in_item_signal = True
        try:
            self._apply_item_edit(item)
        finally:
            self._in_item_signal = False

    def _apply_item_edit(self, item: QListWidgetItem) -> None:
        did = item.data(self.ID)
        d = self.document.district(did)
        visible = item.checkState() == Qt.CheckState.Checked
        name = item.text().strip()
        if visible != d.visible:
            self.undo_stack.push(UpdateDistrict(self.document, did, visible=visible,
                                                text=f"{'Show' if visible else 'Hide'} {d.name}"))
        elif name != d.name:
            if not name:
                QMessageBox.warning(self, "Rename district", "A district needs a name.")
                self.refresh()
                return
            problem = self.undo_stack.push(UpdateDistrict(self.document, did, name=name,
                                                          text=f"Rename {d.name} to {name}"))
            if problem:
                QMessageBox.warning(self, "Rename district", problem)
                self.refresh()

    def edit(self) -> None:
        did = self.current_id()
        if not did:
            return
        d = self.document.district(did)
        dialog = DistrictDialog(d, self)
        if dialog.exec() != DistrictDialog.DialogCode.Accepted:
            return
        self.apply_properties(did, dialog.values())

    def apply_properties(self, district_id: str, values: dict[str, str]) -> str:
        """Change name, colour and notes as one undo step; returns '' or the refusal."""
        d = self.document.district(district_id)
        changed = {k: v for k, v in values.items() if getattr(d, k) != v}
        if not changed:
            return ""
        problem = self.undo_stack.push(UpdateDistrict(self.document, district_id,
                                                      text=f"Edit {d.name}", **changed))
        if problem:
            QMessageBox.warning(self, "Edit district", problem)
        return problem

    def duplicate(self) -> None:
        did = self.current_id()
        if did:
            self.undo_stack.push(DuplicateDistrict(self.document, did))

    def delete(self) -> None:
        did = self.current_id()
        if did:
            self.undo_stack.push(RemoveDistrict(self.document, did))

    def zoom(self) -> None:
        did = self.current_id()
        if did:
            self.zoom_requested.emit(did)
