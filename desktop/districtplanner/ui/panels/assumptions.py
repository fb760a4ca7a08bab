"""The Assumptions panel: every parameter with its unit, valid range and source, editable,
with reset to default. Each change is one undo step and recomputes every figure at once."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from districtplanner.analysis.assumptions import (
    PARAMETERS,
    AssumptionError,
    Assumptions,
    Parameter,
    default_value,
)
from districtplanner.model.commands import CommandStack, SetAssumptions
from districtplanner.model.document import Document
from districtplanner.ui import theme


def _decimals(p: Parameter) -> int:
    if p.integer:
        return 0
    span = p.maximum - p.minimum
    if p.maximum <= 0.1:  # a property tax of 0.13% must not show as 0.001
        return 5
    if p.maximum <= 1.0 or span <= 2:
        return 3
    return 2 if span <= 1000 else 0


class AssumptionsPanel(QWidget):
    NOTE = "Hover a name for its source. Changes apply at once and can be undone (Ctrl+Z)."

    def __init__(self, document: Document, undo_stack: CommandStack,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.undo_stack = undo_stack
        self.spins: dict[str, QDoubleSpinBox] = {}
        self.resets: dict[str, QToolButton] = {}
        body = QWidget()
        body_lay = QVBoxLayout(body)
        groups: dict[str, QFormLayout] = {}
        for p in PARAMETERS:
            form = groups.get(p.group)
            if form is None:
                box = QGroupBox(p.group)
                form = QFormLayout(box)
                form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
                groups[p.group] = form
                body_lay.addWidget(box)
            form.addRow(self._label(p), self._editor(p))
        body_lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.note = QLabel(self.NOTE)
        self.note.setStyleSheet(f"color: {theme.MUTED};")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        lay.addWidget(scroll)
        document.assumptions_changed.connect(self.sync)
        self.sync(document.assumptions)

    def _label(self, p: Parameter) -> QLabel:
        label = QLabel(f"{p.label} ({p.unit})" if p.unit not in ("-", "") else p.label)
        label.setWordWrap(True)
        label.setToolTip(
            f"<b>{p.label}</b> <code>{p.name}</code><br>Default "
            f"{default_value(p.name, self.document.assumptions.currency):g} {p.unit}; "
            f"valid {p.minimum:g} to {p.maximum:g}.<br><i>{p.source}</i>"
        )
        return label

    def _editor(self, p: Parameter) -> QWidget:
        spin = QDoubleSpinBox()
        spin.setDecimals(_decimals(p))
        spin.setRange(p.minimum, p.maximum)
        spin.setSingleStep(1 if p.integer or p.maximum > 100 else 0.005 if p.maximum <= 1 else 0.1)
        spin.setKeyboardTracking(False)
        spin.setToolTip(p.source)
        spin.valueChanged.connect(lambda v, name=p.name: self._edited(name, v))
        reset = QToolButton()
        reset.setText("↺")
        reset.setToolTip(f"Reset to the default, {p.default:g} {p.unit}")
        # The default of the plan's currency at the time of the click (property tax).
        reset.clicked.connect(lambda _=False, name=p.name: self._edited(
            name, default_value(name, self.document.assumptions.currency)))
        self.spins[p.name] = spin
        self.resets[p.name] = reset
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(spin, 1)
        lay.addWidget(reset)
        return row

    def _edited(self, name: str, value: float) -> None:
        current = self.document.assumptions
        if current[name] == value:
            return
        try:
            new = current.replace(**{name: value})
        except AssumptionError as exc:
            self.note.setText(str(exc))
            self.sync(current)
            return
        problem = self.undo_stack.push(SetAssumptions(
            self.document, new, text=f"Set {name} to {value:g}", merge_key=name))
        self.note.setText(problem or self.NOTE)
        self.note.setStyleSheet(f"color: {theme.WARNING if problem else theme.MUTED};")
        if problem:
            self.sync(current)

    def sync(self, assumptions: Assumptions) -> None:
        """Mirror the document; blocked so the mirror never writes back."""
        for name, spin in self.spins.items():
            with QSignalBlocker(spin):
                spin.setValue(assumptions[name])
            p = next(p for p in PARAMETERS if p.name == name)
            default = default_value(name, assumptions.currency)
            changed = assumptions[name] != default
            self.resets[name].setEnabled(changed)
            self.resets[name].setToolTip(f"Reset to the default, {default:g} {p.unit}")
            # The source as this plan's currency sees it (which country's rate, and why).
            spin.setToolTip(assumptions.source_note(name))
            spin.setStyleSheet("font-weight: 600;" if changed else "")
