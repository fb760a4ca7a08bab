"""The layer list: visibility, draw order and a legend swatch per layer (and per sector
for establishments coloured by sector)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QLinearGradient, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from districtplanner.analysis.roles import ROLE_LABELS
from districtplanner.analysis.sectors import CREATIVE_SECTORS, SECTOR_COLOURS, SECTOR_LABELS
from districtplanner.model.document import Document
from districtplanner.model.layer import Layer

SWATCH = 18


def swatch(kind: str, colour: str, fill: str = "", colormap: bool = False) -> QIcon:
    """A small legend symbol drawn the way the map draws the layer."""
    pm = QPixmap(SWATCH, SWATCH)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(QColor(colour))
    if kind == "raster" or colormap:
        grad = QLinearGradient(0, 0, SWATCH, 0)
        grad.setColorAt(0, QColor("#00204D"))
        grad.setColorAt(0.5, QColor("#7C7B78"))
        grad.setColorAt(1, QColor("#FFEA46"))
        p.fillRect(2, 4, SWATCH - 4, SWATCH - 8, QBrush(grad))
    elif kind == "point":
        p.setPen(pen)
        p.setBrush(QColor(fill or colour))
        p.drawEllipse(5, 5, SWATCH - 10, SWATCH - 10)
    elif kind == "line":
        pen.setWidthF(3)
        p.setPen(pen)
        p.drawLine(2, SWATCH - 4, SWATCH - 2, 4)
    else:
        pen.setWidthF(1.5)
        p.setPen(pen)
        p.setBrush(QColor(fill) if fill else Qt.BrushStyle.NoBrush)
        p.drawRect(3, 3, SWATCH - 6, SWATCH - 6)
    p.end()
    return QIcon(pm)


class LayerList(QWidget):
    """Top of the list draws on top, as in every GIS. Edits go through the document."""

    layer_activated = Signal(str)  # layer id (double click: zoom to it)

    ROLE_ID = Qt.ItemDataRole.UserRole

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._refreshing = False
        self._in_item_signal = False
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.tree.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.tree.setIconSize(self.tree.iconSize().expandedTo(self.tree.iconSize()))
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        self.tree.model().rowsMoved.connect(self._rows_moved)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        lay.addLayout(row)
        lay.addWidget(self.tree)
        document.layers_changed.connect(self.refresh)
        self.refresh()

    def items(self) -> list[QTreeWidgetItem]:
        return [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]

    def refresh(self) -> None:
        """Mirror the document. Items are updated in place when the layers are the same;
        the tree is rebuilt only when layers were added, removed or reordered, and never
        inside one of its own item signals (deleting the item Qt is handling crashes)."""
        layers = list(reversed(self.document.layers))
        ids = [it.data(0, self.ROLE_ID) for it in self.items()]
        self._refreshing = True
        try:
            if ids == [la.id for la in layers]:
                for item, layer in zip(self.items(), layers, strict=True):
                    self._update_item(item, layer)
                return
        finally:
            self._refreshing = False
        if self._in_item_signal:
            QTimer.singleShot(0, self, self.refresh)
            return
        self._refreshing = True
        try:
            self.tree.clear()
            for layer in layers:
                self.tree.addTopLevelItem(self._make_item(layer))
        finally:
            self._refreshing = False

    def _update_item(self, item: QTreeWidgetItem, layer: Layer) -> None:
        item.setText(0, layer.name)
        state = Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked
        if item.checkState(0) != state:
            item.setCheckState(0, state)

    def _make_item(self, layer: Layer) -> QTreeWidgetItem:
        item = QTreeWidgetItem([layer.name])
        item.setData(0, self.ROLE_ID, layer.id)
        item.setFlags(
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsDragEnabled
        )
        item.setCheckState(0, Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
        kind = layer.geometry_kind
        item.setIcon(0, swatch(kind, layer.style.colour, layer.style.fill))
        count = "raster" if kind == "raster" else f"{layer.feature_count:,} features"
        item.setToolTip(0, f"{layer.name}\nRole: {ROLE_LABELS[layer.role]}\n{count}\n"
                           f"Source: {layer.source}")
        if kind == "point" and layer.style.colour_by and layer.mapping.get(layer.style.colour_by):
            for key in (*CREATIVE_SECTORS, "non_creative"):
                child = QTreeWidgetItem([SECTOR_LABELS[key]])
                child.setIcon(0, swatch("point", SECTOR_COLOURS[key]))
                child.setFlags(Qt.ItemFlag.ItemIsEnabled)
                item.addChild(child)
        return item

    def _item_changed(self, item: QTreeWidgetItem, _column: int) -> None:
        if self._refreshing:
            return
        layer_id = item.data(0, self.ROLE_ID)
        if layer_id:
            self._in_item_signal = True
            try:
                self.document.set_layer_visible(
                    layer_id, item.checkState(0) == Qt.CheckState.Checked)
            finally:
                self._in_item_signal = False

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        layer_id = item.data(0, self.ROLE_ID)
        if layer_id:
            self.layer_activated.emit(layer_id)

    def _rows_moved(self, *_args: object) -> None:
        if self._refreshing:
            return
        # The tree shows top-first; the document stores bottom-first. Applied after the drop
        # has finished, since the document's change rebuilds this tree.
        order = [it.data(0, self.ROLE_ID) for it in self.items()][::-1]
        QTimer.singleShot(0, self, lambda: self.apply_order(order))

    def apply_order(self, order: list[str]) -> None:
        """Draw order, bottom first, as a list of layer ids."""
        for index, layer_id in enumerate(order):
            if index < len(self.document.layers) and self.document.layers[index].id != layer_id:
                self.document.move_layer(layer_id, index)
