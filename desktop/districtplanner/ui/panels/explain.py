"""The Explain panel: the method of the last figure a planner clicked, in full (formula,
inputs with their current values, assumptions used), as the engine wrote it."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from districtplanner.ui.panels.tiles import FigureTile


class ExplainPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Click any figure to see how it is computed.")
        self.title.setStyleSheet("font-weight: 600;")
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        copy = QPushButton("Copy")
        copy.setToolTip("Copy the explanation, e.g. into a council report")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(
            f"{self.title.text()}\n\n{self.text.toPlainText()}"))
        row = QHBoxLayout()
        row.addWidget(self.title, 1)
        row.addWidget(copy)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(row)
        lay.addWidget(self.text)

    def show_tile(self, tile: FigureTile) -> None:
        self.title.setText(f"{tile.title_label.text()}: {tile.value_label.text()}")
        self.text.setPlainText(tile.explanation or "No method text for this figure.")
