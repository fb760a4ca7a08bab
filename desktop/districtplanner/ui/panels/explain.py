"""The Explain panel: the method of the last figure a planner clicked, in full (formula,
inputs with their current values, assumptions used), as the engine wrote it.

It names the district it explains and follows the selection: after another district is
picked, or a layer is added, it shows the same figure for what the panels now show, never
the text of the district it was opened on."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from districtplanner.model.figures import MetricsBundle
from districtplanner.ui.panels.tiles import FigureTile

WHOLE_CITY = "Whole city"


class ExplainPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Click any figure to see how it is computed.")
        self.title.setStyleSheet("font-weight: 600;")
        self.title.setWordWrap(True)
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
        self.tile: FigureTile | None = None
        self._bundle: MetricsBundle | None = None

    def show_tile(self, tile: FigureTile) -> None:
        """Explain ``tile``'s figure from now on, for whichever district is shown."""
        self.tile = tile
        self._refresh()

    def show_bundle(self, bundle: MetricsBundle) -> None:
        """New figures (another district picked, an edit, an import): the same figure,
        re-read from its tile, which its panel has just filled for the shown district."""
        self._bundle = bundle
        self._refresh()

    def subject(self) -> tuple[str, str]:
        """(name of the district explained, or 'Whole city'; why it has no figures, or '')."""
        b = self._bundle
        if b is None or not b.active_id:
            return WHOLE_CITY, "" if b is None else b.baseline_failure
        name = b.names.get(b.active_id) or (b.active.name if b.active else b.active_id)
        return name, b.failures.get(b.active_id, "")

    def _refresh(self) -> None:
        tile = self.tile
        if tile is None:
            return
        name, failure = self.subject()
        figure = tile.title_label.text()
        if failure:
            self.title.setText(f"{name} — {figure}: not computed")
            self.text.setPlainText(f"The figures of {name} could not be computed: {failure}")
            return
        self.title.setText(f"{name} — {figure}: {tile.value_label.text()}")
        self.text.setPlainText(tile.explanation or "No method text for this figure.")
