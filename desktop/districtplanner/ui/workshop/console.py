"""The facilitator console: the laptop's screen while the projector shows the room view.
It chooses the scenarios and the levers, moves the sliders, records votes and sketches,
and leaves the workshop. With one screen it is a small tool window (F6)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from districtplanner.ui.map.sketch_item import SKETCH_COLOURS
from districtplanner.ui.workshop.room import HINT, WhatIfStrip
from districtplanner.ui.workshop.scenarios import WHATIFS

MAX_COLUMNS = 4


class FacilitatorConsole(QWidget):
    scenarios_chosen = Signal(list)   # district ids, in list order
    levers_chosen = Signal(list)      # what-if keys
    reference_chosen = Signal(str)    # "first" or "city"
    vote = Signal(int, int)           # column index, +1/-1
    sketch_mode = Signal(str)         # "", "stroke", "note"
    sketch_colour = Signal(str)
    remove_last_sketch = Signal()
    leave = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Workshop — facilitator")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.keys = QLabel(HINT)
        self.keys.setWordWrap(True)

        self.scenario_list = QListWidget()
        self.scenario_list.itemChanged.connect(self._scenarios_changed)
        self.reference = QComboBox()
        self.reference.addItem("against the first scenario", "first")
        self.reference.addItem("against the whole city", "city")
        self.reference.currentIndexChanged.connect(
            lambda _i: self.reference_chosen.emit(self.reference.currentData()))
        scen = QGroupBox(f"Scenarios (up to {MAX_COLUMNS} columns)")
        sl = QVBoxLayout(scen)
        sl.addWidget(self.scenario_list)
        sl.addWidget(QLabel("Cards show their change"))
        sl.addWidget(self.reference)

        self.lever_list = QListWidget()
        self.lever_list.itemChanged.connect(self._levers_changed)
        self.strip = WhatIfStrip()
        levers = QGroupBox("What-if levers shown to the room")
        ll = QVBoxLayout(levers)
        ll.addWidget(self.lever_list)
        ll.addWidget(self.strip)

        self.votes_box = QGroupBox("Dot votes (keys 1–4; Alt+1–4 takes one back)")
        self.votes_grid = QGridLayout(self.votes_box)

        sketch = QGroupBox("Sketch on the map")
        sk = QHBoxLayout(sketch)
        self.mode_group = QButtonGroup(self)
        for label, mode in (("Pan (H)", ""), ("Pen (D)", "stroke"), ("Note (T)", "note")):
            b = QPushButton(label)
            b.setCheckable(True)
            b.setChecked(mode == "")
            b.clicked.connect(lambda _=False, m=mode: self.sketch_mode.emit(m))
            self.mode_group.addButton(b)
            sk.addWidget(b)
        for name, colour in SKETCH_COLOURS.items():
            b = QPushButton(name)
            b.setStyleSheet(f"color: {colour}; font-weight: 600;")
            b.clicked.connect(lambda _=False, c=colour: self.sketch_colour.emit(c))
            sk.addWidget(b)
        undo_sketch = QPushButton("Remove last")
        undo_sketch.clicked.connect(self.remove_last_sketch.emit)
        sk.addWidget(undo_sketch)

        leave = QPushButton("Leave workshop (Esc)")
        leave.clicked.connect(self.leave.emit)
        lay = QVBoxLayout(self)
        lay.addWidget(self.keys)
        lay.addWidget(self.message)
        row = QHBoxLayout()
        row.addWidget(scen, 1)
        row.addWidget(levers, 2)
        lay.addLayout(row, 1)
        lay.addWidget(self.votes_box)
        lay.addWidget(sketch)
        lay.addWidget(leave, 0, Qt.AlignmentFlag.AlignRight)

    def set_choices(self, districts: Sequence[tuple[str, str]], chosen: Sequence[str],
                    levers: Sequence[str]) -> None:
        """(id, name) of every district; the ids and lever keys currently shown."""
        self.scenario_list.blockSignals(True)
        self.scenario_list.clear()
        for did, name in districts:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, did)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if did in chosen
                               else Qt.CheckState.Unchecked)
            self.scenario_list.addItem(item)
        self.scenario_list.blockSignals(False)
        self.lever_list.blockSignals(True)
        self.lever_list.clear()
        for key, what in WHATIFS.items():
            item = QListWidgetItem(what.label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if key in levers
                               else Qt.CheckState.Unchecked)
            self.lever_list.addItem(item)
        self.lever_list.blockSignals(False)
        while self.votes_grid.count():
            w = self.votes_grid.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        names = dict(districts)
        for i, did in enumerate(chosen):
            self.votes_grid.addWidget(QLabel(f"{i + 1}  {names.get(did, did)}"), i, 0)
            for col, (text, delta) in enumerate((("+1", 1), ("−1", -1)), start=1):
                b = QPushButton(text)
                b.clicked.connect(lambda _=False, c=i, d=delta: self.vote.emit(c, d))
                self.votes_grid.addWidget(b, i, col)

    def _checked(self, widget: QListWidget) -> list[str]:
        return [widget.item(i).data(Qt.ItemDataRole.UserRole) for i in range(widget.count())
                if widget.item(i).checkState() == Qt.CheckState.Checked]

    def _scenarios_changed(self, item: QListWidgetItem) -> None:
        chosen = self._checked(self.scenario_list)
        if len(chosen) > MAX_COLUMNS:
            self.scenario_list.blockSignals(True)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.scenario_list.blockSignals(False)
            self.message.setText(f"At most {MAX_COLUMNS} scenarios fit side by side; untick "
                                 "one first.")
            return
        self.message.setText("")
        self.scenarios_chosen.emit(chosen)

    def _levers_changed(self, _item: QListWidgetItem) -> None:
        self.levers_chosen.emit(self._checked(self.lever_list))
