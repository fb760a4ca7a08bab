"""Edit a district's name, colour and notes (the words a council paper quotes)."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from districtplanner.model.district import District


class DistrictDialog(QDialog):
    def __init__(self, district: District, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"District: {district.name}")
        self.name_edit = QLineEdit(district.name)
        self.colour = district.colour
        self.colour_button = QPushButton()
        self.colour_button.clicked.connect(self._pick_colour)
        self._show_colour()
        self.notes_edit = QPlainTextEdit(district.notes)
        self.notes_edit.setPlaceholderText("Purpose, phasing, stakeholders, sources…")
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Colour", self.colour_button)
        form.addRow("Notes", self.notes_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def _show_colour(self) -> None:
        self.colour_button.setText(self.colour)
        self.colour_button.setStyleSheet(f"background: {self.colour}; color: white;")

    def _pick_colour(self) -> None:
        chosen = QColorDialog.getColor(QColor(self.colour), self, "District colour")
        if chosen.isValid():
            self.colour = chosen.name().upper()
            self._show_colour()

    def values(self) -> dict[str, str]:
        """The fields that differ from nothing: name (stripped), colour, notes."""
        return {"name": self.name_edit.text().strip(), "colour": self.colour,
                "notes": self.notes_edit.toPlainText().strip()}
