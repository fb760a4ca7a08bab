"""What every figure panel shares: a heading naming what is shown, tiles, a scrolling body.

Panels read the document and the latest MetricsBundle; they never compute figures."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QLayout, QScrollArea, QVBoxLayout, QWidget

from districtplanner.model.document import Document
from districtplanner.ui import theme
from districtplanner.ui.panels.tiles import TileGrid
from districtplanner.ui.recompute import MetricsBundle


def explanation(metrics: object, key: str) -> str:
    """The figure's method text as the engine wrote it (never retyped in the UI)."""
    texts = getattr(metrics, "explanations", None) or {}
    return texts.get(key, "")


class FigurePanel(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None,
                 columns: int = 3) -> None:
        super().__init__(parent)
        self.document = document
        self.bundle: MetricsBundle | None = None
        self.heading = QLabel("")
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-weight: 600; font-size: 10.5pt;")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {theme.WARNING};")
        self.message.hide()
        self._hidden_for_failure: list[QWidget] = []
        self.tiles = TileGrid(columns)
        inner = QWidget()
        self.body = QVBoxLayout(inner)
        self.body.setContentsMargins(6, 4, 6, 6)
        self.body.setSpacing(6)
        self.body.addWidget(self.heading)
        self.body.addWidget(self.message)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        # Content reflows to the dock's width; only vertical scrolling.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def set_heading(self, text: str) -> None:
        self.heading.setText(text)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    @staticmethod
    def _section(title: str) -> QLabel:
        label = QLabel(title)
        label.setWordWrap(True)
        label.setStyleSheet(f"color: {theme.MUTED}; font-weight: 600; margin-top: 4px;")
        return label

    def show_metrics(self, bundle: MetricsBundle) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def show_bundle(self, bundle: MetricsBundle) -> None:
        """Show ``bundle``; when the figures of what is shown (the selected district, or the
        city) failed, say so instead, so a panel never shows another district's figures."""
        reason = bundle.not_computed
        if reason:
            self.show_not_computed(reason)
            return
        for widget in self._hidden_for_failure:
            widget.show()
        self._hidden_for_failure = []
        self.show_message("")
        self.show_metrics(bundle)

    def show_not_computed(self, text: str) -> None:
        """'<name>: not computed: <reason>' in the heading and message; every figure and
        chart hidden until the next computed bundle."""
        self.bundle = None
        name, _, reason = text.partition(": not computed: ")
        self.set_heading(f"{name}: not computed")
        self.show_message(f"Not computed: {reason}" if reason else text)
        if not self._hidden_for_failure:
            keep = {self.heading, self.message}
            self._hidden_for_failure = [w for w in _layout_widgets(self.body)
                                        if w not in keep and w.isVisibleTo(self)]
            for widget in self._hidden_for_failure:
                widget.hide()


def _layout_widgets(layout: QLayout) -> list[QWidget]:
    out: list[QWidget] = []
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item.widget() is not None:
            out.append(item.widget())
        elif item.layout() is not None:
            out += _layout_widgets(item.layout())
    return out
