"""The layer list: visibility, draw order and a legend swatch per layer (and per sector
for establishments coloured by sector); which layer of a role feeds the figures, shown in
bold with an "analysed" badge and chosen from the context menu. Every edit is an undoable
command on the plan's stack."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QLinearGradient, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from districtplanner.analysis.roles import ROLE_LABELS, LayerRole
from districtplanner.analysis.sectors import CREATIVE_SECTORS, SECTOR_COLOURS, SECTOR_LABELS
from districtplanner.model.city import FIGURE_FIELDS
from districtplanner.model.commands import (
    CommandStack,
    MoveLayer,
    RemoveLayer,
    SetAnalysedLayer,
    SetLayerRole,
    SetLayerVisible,
)
from districtplanner.model.document import Document
from districtplanner.model.layer import Layer

ANALYSED_BADGE = "analysed"

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
    """Top of the list draws on top, as in every GIS. Edits are commands on ``stack``."""

    layer_activated = Signal(str)  # layer id (double click: zoom to it)
    notice = Signal(str)  # a refused edit, for the status bar

    ROLE_ID = Qt.ItemDataRole.UserRole

    def __init__(self, document: Document, stack: CommandStack | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.stack = stack if stack is not None else CommandStack(document)
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
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
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
        item.setText(0, self._label(layer))
        font = item.font(0)
        font.setBold(self._is_analysed(layer))
        item.setFont(0, font)
        item.setToolTip(0, self._tooltip(layer))
        state = Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked
        if item.checkState(0) != state:
            item.setCheckState(0, state)

    @staticmethod
    def _is_analysed(layer: Layer) -> bool:
        return layer.analysed and layer.role in FIGURE_FIELDS

    def _label(self, layer: Layer) -> str:
        # The badge only where a choice exists: two or more layers of a role the figures read.
        if layer.role in FIGURE_FIELDS and len(self.document.layers_with_role(layer.role)) > 1:
            return f"{layer.name}  [{ANALYSED_BADGE}]" if layer.analysed else layer.name
        return layer.name

    def _tooltip(self, layer: Layer) -> str:
        kind = layer.geometry_kind
        count = "raster" if kind == "raster" else f"{layer.feature_count:,} features"
        use = ""
        if layer.role in FIGURE_FIELDS:
            use = ("\nAnalysed: the figures read this layer" if layer.analysed else
                   "\nContext only: the figures read another "
                   f"{ROLE_LABELS[layer.role].lower()} layer (right-click to choose)")
        return (f"{layer.name}\nRole: {ROLE_LABELS[layer.role]}\n{count}\n"
                f"Source: {layer.source}{use}")

    def _make_item(self, layer: Layer) -> QTreeWidgetItem:
        item = QTreeWidgetItem([self._label(layer)])
        item.setData(0, self.ROLE_ID, layer.id)
        font = item.font(0)
        font.setBold(self._is_analysed(layer))
        item.setFont(0, font)
        item.setFlags(
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsDragEnabled
        )
        item.setCheckState(0, Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
        kind = layer.geometry_kind
        item.setIcon(0, swatch(kind, layer.style.colour, layer.style.fill))
        item.setToolTip(0, self._tooltip(layer))
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
            visible = item.checkState(0) == Qt.CheckState.Checked
            if self.document.layer(layer_id).visible == visible:
                return
            self._in_item_signal = True
            try:
                self.stack.push(SetLayerVisible(self.document, layer_id, visible))
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
        """Draw order, bottom first, as a list of layer ids: one undo step."""
        self.stack.begin_gesture("Reorder layers")
        try:
            for index, layer_id in enumerate(order):
                layers = self.document.layers
                if index < len(layers) and layers[index].id != layer_id:
                    self.stack.push(MoveLayer(self.document, layer_id, index))
        finally:
            self.stack.end_gesture()

    # ---------------------------------------------------------------- context menu
    def _context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        layer_id = item.data(0, self.ROLE_ID) if item is not None else None
        if not layer_id:
            return
        menu = self.menu_for(layer_id)
        menu.exec(self.tree.viewport().mapToGlobal(pos))

    def menu_for(self, layer_id: str) -> QMenu:
        """The layer's actions: analyse it (alone or combined), change its role, remove it."""
        layer = self.document.layer(layer_id)
        menu = QMenu(self)
        if layer.role in FIGURE_FIELDS:
            role_name = ROLE_LABELS[layer.role].lower()
            use = menu.addAction(f"Use for the figures (the only {role_name} layer analysed)")
            use.setEnabled(self.document.analysed_layers(layer.role) != [layer])
            use.triggered.connect(lambda: self.set_analysed(layer_id, combine=False))
            analysed = self.document.analysed_layers(layer.role)
            if not layer.analysed and analysed and not layer.is_raster and not any(
                    la.is_raster for la in analysed):
                both = menu.addAction(f"Combine with {', '.join(a.name for a in analysed)}")
                both.triggered.connect(lambda: self.set_analysed(layer_id, combine=True))
        roles = menu.addMenu("Role")
        for role in LayerRole:
            if role == LayerRole.DISTRICTS:
                continue  # district layers become editable districts via Import districts
            act = roles.addAction(ROLE_LABELS[role])
            act.setCheckable(True)
            act.setChecked(role == layer.role)
            act.triggered.connect(lambda _=False, r=role: self.set_role(layer_id, r))
        menu.addSeparator()
        remove = menu.addAction("Remove layer")
        remove.triggered.connect(lambda: self.remove(layer_id))
        return menu

    def _push(self, command: object) -> str:
        problem = self.stack.push(command)  # type: ignore[arg-type]
        if problem:
            self.notice.emit(problem)
        return problem

    def set_analysed(self, layer_id: str, combine: bool = False) -> str:
        """Make ``layer_id`` feed the figures of its role, alone or with the current ones."""
        layer = self.document.layer(layer_id)
        ids = [layer_id]
        text = f"Analyse {layer.name}"
        if combine:
            ids = [la.id for la in self.document.analysed_layers(layer.role)] + ids
            text = f"Combine {layer.name} into the figures"
        return self._push(SetAnalysedLayer(self.document, layer.role, ids, text=text))

    def set_role(self, layer_id: str, role: LayerRole) -> str:
        if self.document.layer(layer_id).role == role:
            return ""
        return self._push(SetLayerRole(self.document, layer_id, role))

    def remove(self, layer_id: str) -> str:
        return self._push(RemoveLayer(self.document, layer_id))
