"""The main window: the map in the middle, the layer list on the left, the three figure
panels on the right, and a status bar that always says where the cursor is and in which CRS."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from districtplanner import __version__
from districtplanner.model.document import Document
from districtplanner.ui.map.canvas import MapCanvas
from districtplanner.ui.panels.affordability import AffordabilityPanel
from districtplanner.ui.panels.assumptions import AssumptionsPanel
from districtplanner.ui.panels.compare import CompareView
from districtplanner.ui.panels.concentration import ConcentrationPanel
from districtplanner.ui.panels.districts import DistrictList
from districtplanner.ui.panels.incentives import IncentivesPanel
from districtplanner.ui.panels.layers import LayerList
from districtplanner.ui.recompute import Recompute

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.undo_stack = QUndoStack(self)
        self.setObjectName("MainWindow")
        self.resize(1600, 1000)
        self.setDockNestingEnabled(True)

        self.recompute = Recompute(document, self)
        self.canvas = MapCanvas(document, self)
        self.setCentralWidget(self.canvas)

        self.layer_list = LayerList(document)
        self.layer_list.layer_activated.connect(self._zoom_to_layer)
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        self.layers_dock = self._dock("Layers", self.layer_list, left)

        self.district_list = DistrictList(document, self.undo_stack)
        self.district_list.zoom_requested.connect(self._zoom_to_district)
        self.districts_dock = self._dock("Districts", self.district_list, left)
        self.assumptions = AssumptionsPanel(document, self.undo_stack)
        self.assumptions_dock = self._dock("Assumptions", self.assumptions, left)
        self.tabifyDockWidget(self.districts_dock, self.assumptions_dock)
        self.districts_dock.raise_()

        self.concentration = ConcentrationPanel(document)
        self.affordability = AffordabilityPanel(document, self.undo_stack)
        self.incentives = IncentivesPanel(document, self.undo_stack)
        self.compare = CompareView()
        self.panels = [self.concentration, self.affordability, self.incentives, self.compare]
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.concentration_dock = self._dock("Concentration", self.concentration, right)
        self.affordability_dock = self._dock("Affordability", self.affordability, right)
        self.incentives_dock = self._dock("Incentives", self.incentives, right)
        self.compare_dock = self._dock("Compare", self.compare,
                                       Qt.DockWidgetArea.BottomDockWidgetArea)
        self.compare_dock.hide()
        self.resizeDocks([self.layers_dock], [260], Qt.Orientation.Horizontal)
        self.resizeDocks([self.concentration_dock], [540], Qt.Orientation.Horizontal)
        self.resizeDocks([self.layers_dock, self.districts_dock], [420, 380],
                         Qt.Orientation.Vertical)

        for panel in self.panels:
            self.recompute.metrics_ready.connect(panel.show_metrics)
        self.recompute.failed.connect(self.show_notice)

        self._build_status_bar()
        self._build_actions()
        self._update_title()
        self.canvas.cursor_moved.connect(self._cursor_moved)
        self.recompute.run_now()
        self.canvas.zoom_to_all()

    # ------------------------------------------------------------------ chrome
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.notice_label = QLabel("")
        self.coords_label = QLabel("")
        self.coords_label.setMinimumWidth(220)
        self.title_label = QLabel(self.document.title)
        self.title_label.setStyleSheet("font-weight: 600;")
        self.crs_label = QLabel(self.document.crs or "no CRS")
        self.crs_label.setToolTip("Project coordinate reference system: all distances in metres")
        bar.addWidget(self.notice_label, 1)
        bar.addPermanentWidget(self.title_label)
        bar.addPermanentWidget(self.coords_label)
        bar.addPermanentWidget(self.crs_label)

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        edit_menu = menu.addMenu("&Edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.StandardKey.Redo])
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)

        view_menu = menu.addMenu("&View")
        self.zoom_all_action = QAction("&Zoom to all", self, shortcut=QKeySequence("Ctrl+0"))
        self.zoom_all_action.setStatusTip("Fit every layer and district in the map")
        self.zoom_all_action.triggered.connect(self.canvas.zoom_to_all)
        view_menu.addAction(self.zoom_all_action)
        view_menu.addSeparator()
        for dock in (self.layers_dock, self.districts_dock, self.assumptions_dock,
                     self.concentration_dock, self.affordability_dock, self.incentives_dock,
                     self.compare_dock):
            view_menu.addAction(dock.toggleViewAction())

        help_menu = menu.addMenu("&Help")
        about = QAction("&About District Planner", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

        tools = self.addToolBar("Map")
        tools.setObjectName("toolbar-map")
        tools.addAction(self.zoom_all_action)

    def _update_title(self) -> None:
        title = self.document.title or "Untitled plan"
        self.setWindowTitle(f"{title} — District Planner")

    # ---------------------------------------------------------------- handlers
    def _cursor_moved(self, x: float, y: float) -> None:
        self.coords_label.setText(f"E {x:,.0f} m   N {y:,.0f} m")

    def _zoom_to_district(self, district_id: str) -> None:
        self.canvas.zoom_to(self.document.district(district_id).geometry.bounds)

    def _zoom_to_layer(self, layer_id: str) -> None:
        self.canvas.zoom_to(self.document.layer(layer_id).bounds())

    def show_notice(self, text: str) -> None:
        """A message in the status bar that stays until the next one."""
        self.notice_label.setText(text)
        log.info("notice: %s", text)

    def _about(self) -> None:
        QMessageBox.about(
            self, "About District Planner",
            f"<b>District Planner</b> {__version__}<br>Offline planning of creative districts: "
            "concentration, displacement risk and incentive cost.",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        self.recompute.shutdown()
        super().closeEvent(event)
