"""Edit one incentive instrument: parameters with units and ranges, eligible sectors, start."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from districtplanner.analysis.incentives import (
    KIND_LABELS,
    PARAMETER_SPECS,
    Instrument,
    InstrumentError,
)
from districtplanner.analysis.sectors import CREATIVE_SECTORS, SECTOR_LABELS
from districtplanner.ui import theme


def plain_label(text: str) -> str:
    """``text`` for a button or check box: Qt takes '&' as a mnemonic ('Film & TV' showed
    as 'Film _TV'), so it is doubled to show as itself."""
    return text.replace("&", "&&")


def unit_text(unit: str, currency: str) -> str:
    """A parameter's unit in the plan's currency ('currency/job' -> 'EUR/job')."""
    return unit.replace("currency", currency)


class InstrumentDialog(QDialog):
    """Returns a validated copy through ``instrument()``; the original is never mutated."""

    def __init__(self, instrument: Instrument, parent: QWidget | None = None,
                 currency: str = "EUR") -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Edit instrument: {KIND_LABELS[instrument.kind]}")
        self.original = instrument
        self.name_edit = QLineEdit(instrument.name)
        self.enabled_box = QCheckBox("Enabled")
        self.enabled_box.setChecked(instrument.enabled)
        self.start_spin = QSpinBox()
        self.start_spin.setRange(0, 100)
        self.start_spin.setValue(int(instrument.start_year))
        self.start_spin.setSuffix(" years after plan start")
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("", self.enabled_box)
        form.addRow("Starts", self.start_spin)
        self.spins: dict[str, QDoubleSpinBox] = {}
        for spec in PARAMETER_SPECS[instrument.kind]:
            spin = QDoubleSpinBox()
            spin.setRange(spec.minimum, spec.maximum)
            spin.setDecimals(0 if spec.integer or spec.maximum > 1000 else 3)
            spin.setValue(instrument.param(spec.name))
            spin.setSuffix(f" {unit_text(spec.unit, currency)}")
            spin.setToolTip(spec.doc)
            label = QLabel(spec.label)
            label.setToolTip(spec.doc)
            form.addRow(label, spin)
            self.spins[spec.name] = spin
        sectors = QGroupBox("Eligible sectors")
        grid = QGridLayout(sectors)
        self.sector_boxes: dict[str, QCheckBox] = {}
        for i, key in enumerate(CREATIVE_SECTORS):
            box = QCheckBox(plain_label(SECTOR_LABELS[key]))
            box.setChecked(key in instrument.eligible_sectors)
            grid.addWidget(box, i // 2, i % 2)
            self.sector_boxes[key] = box
        self.error = QLabel("")
        self.error.setStyleSheet(f"color: {theme.WARNING};")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(sectors)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self._result: Instrument | None = None

    def edited(self) -> Instrument:
        """The instrument as the form shows it, validated (raises InstrumentError)."""
        inst = replace(
            self.original,
            name=self.name_edit.text().strip() or KIND_LABELS[self.original.kind],
            enabled=self.enabled_box.isChecked(),
            start_year=self.start_spin.value(),
            params={k: s.value() for k, s in self.spins.items()},
            eligible_sectors=tuple(k for k, b in self.sector_boxes.items() if b.isChecked()),
        )
        inst.validate()
        return inst

    def _accept(self) -> None:
        try:
            self._result = self.edited()
        except InstrumentError as exc:
            self.error.setText(str(exc))
            return
        self.accept()

    def instrument(self) -> Instrument | None:
        return self._result
