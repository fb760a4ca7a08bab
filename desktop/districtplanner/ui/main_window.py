"""The main window: the map in the middle, the layer list on the left, the three figure
panels on the right, and a status bar that always says where the cursor is and in which CRS."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSpinBox,
    QWidget,
)

from districtplanner import __version__
from districtplanner.ui import screen_fit

# Only Qt and the light modules above at import: the sample city's first frame is painted
# by this window before geopandas, pandas, pyogrio, rasterio, scipy and pyqtgraph are
# imported (about a second), so everything the full window needs is imported in
# ``finish`` and in the handlers that use it.
if TYPE_CHECKING:
    from districtplanner.io.errors import DataImportError
    from districtplanner.io.first_frame import FirstFrame
    from districtplanner.io.loaded import LoadedLayer
    from districtplanner.model.document import Document
    from districtplanner.model.figures import MetricsBundle
    from districtplanner.model.session import Session
    from districtplanner.ui.dialogs.import_layer import ImportChoice

log = logging.getLogger(__name__)


def _set_panel(dock: QDockWidget, panel: QWidget) -> None:
    """Put ``panel`` in ``dock`` in place of its "computing…" label, which is dropped."""
    old = dock.widget()
    dock.setWidget(panel)
    if old is not None and old is not panel:
        old.deleteLater()


def _computing() -> QLabel:
    """What a dock holds until its panel is built (the first second of a start)."""
    label = QLabel("computing…")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setEnabled(False)
    return label


class MainWindow(QMainWindow):
    """The app's window on ``document`` (or a Session). Without a document it opens on
    ``first_frame`` (the sample city drawn from its prepared arrays, every dock saying
    "computing…") and becomes the full window when ``finish`` is given the document;
    until then it has no menus or tools, so no edit can be made that could be lost."""

    def __init__(self, document: Document | Session | None = None,
                 parent: QWidget | None = None, *,
                 first_frame: FirstFrame | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.ready = False
        self._placed = screen_fit.place(self)
        self.setDockNestingEnabled(True)
        # The figure panels on the right run the full height; the incentives strip sits
        # under the layer list and the map.
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self._docks_fitted = False
        self._build_docks()
        if document is not None:
            self.finish(document)
            return
        if first_frame is None:
            raise ValueError("MainWindow needs a document or a first frame to show")
        from districtplanner.ui.map.first_frame import FirstFrameMap

        self.first_frame = FirstFrameMap(first_frame)
        self.setCentralWidget(self.first_frame)
        # The menu bar and a toolbar row, disabled, where the real ones will be: the map
        # does not jump down when they arrive.
        for title in ("&File", "&Edit", "&View", "&Help"):
            self.menuBar().addMenu(title).setEnabled(False)
        self._placeholder_bar = self.addToolBar("Loading")
        self._placeholder_bar.addAction("Zoom to all").setEnabled(False)
        self.setWindowTitle(f"{first_frame.title} — District Planner")
        self.statusBar().showMessage(f"{first_frame.title}: loading the layers and the "
                                     "figures…")

    def _build_docks(self) -> None:
        """Every dock in its place, each holding "computing…" until ``finish`` gives it
        its panel: the window keeps its layout from the first frame on."""
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        right = Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.layers_dock = self._dock("Layers", _computing(), left)
        self.districts_dock = self._dock("Districts", _computing(), left)
        self.assumptions_dock = self._dock("Assumptions", _computing(), left)
        self.tabifyDockWidget(self.districts_dock, self.assumptions_dock)
        self.districts_dock.raise_()
        self.concentration_dock = self._dock("Concentration", _computing(), right)
        self.affordability_dock = self._dock("Affordability", _computing(), right)
        self.incentives_dock = self._dock("Incentives", _computing(), bottom)
        self.compare_dock = self._dock("Compare", _computing(), bottom)
        self.compare_dock.hide()
        self.explain_dock = self._dock("Explain", _computing(), bottom)
        self.tabifyDockWidget(self.compare_dock, self.explain_dock)
        self.explain_dock.hide()
        # The Sensitivity dock is a tab beside Affordability, tabbed once the window is
        # laid out: tabified before its first show, Qt left a second, stale tab bar over
        # the incentives strip.
        self.sensitivity_dock = self._dock("Sensitivity", _computing(), right)
        QTimer.singleShot(0, self, lambda: (
            self.tabifyDockWidget(self.affordability_dock, self.sensitivity_dock),
            self.affordability_dock.raise_()))

    def finish(self, document: Document | Session) -> None:
        """Build the full window on ``document``: map, panels, menus, tools, the undo stack
        and the project machinery; the figures are computed before it returns."""
        from districtplanner.model.session import Session
        from districtplanner.ui.loader import LayerLoader
        from districtplanner.ui.map.analysis_overlays import AnalysisOverlays
        from districtplanner.ui.map.canvas import MapCanvas
        from districtplanner.ui.panels.affordability import AffordabilityPanel
        from districtplanner.ui.panels.assumptions import AssumptionsPanel
        from districtplanner.ui.panels.compare import CompareView
        from districtplanner.ui.panels.concentration import ConcentrationPanel
        from districtplanner.ui.panels.districts import DistrictList
        from districtplanner.ui.panels.explain import ExplainPanel
        from districtplanner.ui.panels.incentives import IncentivesPanel
        from districtplanner.ui.panels.layers import LayerList
        from districtplanner.ui.recompute import Recompute

        if self.ready:
            raise RuntimeError("the window already shows a document")
        # The window drives a Session (document + undo stack + figures), as the CLI does.
        self.session = document if isinstance(document, Session) else Session(document)
        document = self.session.document
        self.document = document
        self.undo_stack = self.session.stack
        self.statusBar().clearMessage()

        self.recompute = Recompute(document, self, figures=self.session.figures)
        self.canvas = MapCanvas(document, self)
        self.setCentralWidget(self.canvas)  # deletes the first frame, if there was one
        self.first_frame = None

        self.layer_list = LayerList(document, self.undo_stack)
        self.layer_list.notice.connect(self.show_notice)
        self.layer_list.layer_activated.connect(self._zoom_to_layer)
        _set_panel(self.layers_dock, self.layer_list)
        self.district_list = DistrictList(document, self.undo_stack)
        self.district_list.zoom_requested.connect(self._zoom_to_district)
        _set_panel(self.districts_dock, self.district_list)
        self.assumptions = AssumptionsPanel(document, self.undo_stack)
        _set_panel(self.assumptions_dock, self.assumptions)

        self.concentration = ConcentrationPanel(document)
        self.affordability = AffordabilityPanel(document, self.undo_stack)
        self.incentives = IncentivesPanel(document, self.undo_stack)
        self.compare = CompareView()
        self.panels = [self.concentration, self.affordability, self.incentives, self.compare]
        _set_panel(self.concentration_dock, self.concentration)
        _set_panel(self.affordability_dock, self.affordability)
        _set_panel(self.incentives_dock, self.incentives)
        _set_panel(self.compare_dock, self.compare)
        self.explain = ExplainPanel()
        _set_panel(self.explain_dock, self.explain)
        self.panels.append(self.explain)  # it follows the selection and names the district
        self._add_sensitivity_panel(document)
        for panel in (self.concentration, self.affordability, self.incentives):
            for tile in panel.tiles.tiles.values():
                tile.explain_requested.connect(lambda _k, t=tile: self.explain_figure(t))

        self.recompute.metrics_ready.connect(self._show_bundle)
        self.overlays = AnalysisOverlays(self.canvas, document, self.recompute, self)
        self.concentration.hotspot_toggle.toggled.connect(self.overlays.set_hotspots)
        self.affordability.risk_toggle.toggled.connect(self.overlays.set_risk)
        self.recompute.failed.connect(self.show_notice)

        self.loader = LayerLoader(self)
        self.loader.finished.connect(self._layer_loaded)
        self.loader.failed.connect(self._layer_failed)
        self.loader.cancelled.connect(self._layer_cancelled)
        self._import_queue: list[Path] = []
        self._last_choice: ImportChoice | None = None
        self.setAcceptDrops(True)
        self._new_district_count = 0
        self._build_status_bar()
        placeholder = getattr(self, "_placeholder_bar", None)
        if placeholder is not None:  # the first frame's stand-ins
            self.menuBar().clear()
            self.removeToolBar(placeholder)
            placeholder.deleteLater()
            self._placeholder_bar = None
        self._build_actions()
        self._build_tools()
        self._connect_canvas()
        self._update_title()
        self.canvas.cursor_moved.connect(self._cursor_moved)
        from districtplanner.ui.workshop import Workshop

        self.workshop = Workshop(self)
        from districtplanner.ui.project_actions import ProjectActions

        # New/Open/Save/Revert, the unsaved mark in the title, autosave and recovery.
        self.project = ProjectActions(self)
        self.ready = True
        self._update_title()
        if self.isVisible():
            # Shown on the first frame: once the panels are laid out, size the docks and
            # fit the map as a first show does (a restored layout keeps its sizes).
            QTimer.singleShot(0, self, self._fit_after_first_frame)
        self.recompute.run_now()

    def _fit_after_first_frame(self) -> None:
        if self._placed is not None or not screen_fit.restore_docks(self):
            self.fit_docks()
        self.canvas.zoom_to_all()

    # ------------------------------------------------------------------ chrome
    def _add_sensitivity_panel(self, document: Document) -> None:
        """The Sensitivity panel and the tiles that show the Monte Carlo interval of their
        figure."""
        from districtplanner.ui.panels.sensitivity import SensitivityPanel

        self.sensitivity = SensitivityPanel(document, self.recompute)
        _set_panel(self.sensitivity_dock, self.sensitivity)
        self.panels.append(self.sensitivity)
        c, f, i = self.concentration.tiles, self.affordability.tiles, self.incentives.tiles
        self.sensitivity.bind_tiles({
            "creative_jobs_projected": [(c["creative_jobs"], "at the horizon, ")],
            "location_quotient": [(c["location_quotient"], "on firm counts {value}, ")],
            "households_priced_out": [(f["households_priced_out"], "before mitigation, ")],
            "firms_priced_out": [(f["creative_firms_priced_out"], "before mitigation, ")],
            "displacement_risk": [(f["displacement_risk"], "index ")],
            "npv": [(i["npv"], "")],
            "cost_per_job_year": [(i["cost_per_job"], "per job-year, ")],
        })

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
        self.document.layers_changed.connect(
            lambda: self.crs_label.setText(self.document.crs or "no CRS"))
        bar.addPermanentWidget(self.title_label)
        bar.addPermanentWidget(self.coords_label)
        bar.addPermanentWidget(self.crs_label)

    def _build_actions(self) -> None:
        from districtplanner.ui.undo import UndoActions

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        add_layer = QAction("&Add layer…", self, shortcut=QKeySequence("Ctrl+L"))
        add_layer.setStatusTip("Add vector, table or raster files as layers (or drop them on "
                               "the window)")
        add_layer.triggered.connect(self._choose_layer_files)
        file_menu.addAction(add_layer)
        file_menu.addSeparator()
        imp = QAction("&Import districts…", self)
        imp.triggered.connect(self._choose_district_import)
        exp = QAction("&Export districts…", self)
        exp.triggered.connect(self._choose_district_export)
        file_menu.addAction(imp)
        file_menu.addAction(exp)
        hot = QAction("Export &hot-spot surface…", self)
        hot.setStatusTip("Write the creative-jobs density and Gi* hot spots as a GeoTIFF")
        hot.triggered.connect(self._choose_hotspot_export)
        file_menu.addAction(hot)
        self.export_plan_action = QAction("Export &plan (PDF)…", self,
                                          shortcut=QKeySequence("Ctrl+P"))
        self.export_plan_action.setStatusTip("Write the plan as a PDF for council papers; the "
                                             "PDF carries the plan and reopens as it")
        self.export_plan_action.triggered.connect(self.export_plan)
        file_menu.addAction(self.export_plan_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        edit_menu = menu.addMenu("&Edit")
        self.edit_menu = edit_menu
        self.undo_actions = UndoActions(self.undo_stack, self)
        self.undo_actions.notice = self.show_notice
        edit_menu.addAction(self.undo_actions.undo)
        edit_menu.addAction(self.undo_actions.redo)
        history = QAction("&History…", self)
        history.setStatusTip("Every edit of this session; click one to go back to it")
        history.triggered.connect(self._show_history)
        edit_menu.addAction(history)

        view_menu = menu.addMenu("&View")
        self.zoom_all_action = QAction("&Zoom to all", self, shortcut=QKeySequence("Ctrl+0"))
        self.zoom_all_action.setStatusTip("Fit every layer and district in the map")
        self.zoom_all_action.triggered.connect(self.canvas.zoom_to_all)
        view_menu.addAction(self.zoom_all_action)
        crs_action = QAction("Project &coordinate system…", self)
        crs_action.setStatusTip("Reproject every layer and district into another CRS in metres")
        crs_action.triggered.connect(self._choose_crs)
        view_menu.addAction(crs_action)
        self.workshop_action = QAction("&Workshop", self, shortcut=QKeySequence("F5"))
        self.workshop_action.setStatusTip("Full screen for a room: scenarios side by side, "
                                          "what-if sliders, votes and sketches (Esc leaves)")
        self.workshop_action.triggered.connect(lambda: self.workshop.enter())
        view_menu.addAction(self.workshop_action)
        view_menu.addSeparator()
        for dock in (self.layers_dock, self.districts_dock, self.assumptions_dock,
                     self.concentration_dock, self.affordability_dock, self.incentives_dock,
                     self.compare_dock, self.explain_dock, self.sensitivity_dock):
            view_menu.addAction(dock.toggleViewAction())

        help_menu = menu.addMenu("&Help")
        about = QAction("&About District Planner", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

        tools = self.addToolBar("Map")
        tools.setObjectName("toolbar-map")
        tools.addAction(self.zoom_all_action)

    def _build_tools(self) -> None:
        """One checkable action per map tool, with its shortcut and status-bar hint."""
        from districtplanner.ui.map.tools import TOOLS

        bar = self.addToolBar("Draw")
        bar.setObjectName("toolbar-draw")
        group = QActionGroup(self)
        group.setExclusive(True)
        self.tool_actions: dict[str, QAction] = {}
        for name, cls in TOOLS.items():
            act = QAction(cls.label, self, checkable=True)
            act.setShortcut(QKeySequence(cls.shortcut))
            act.setToolTip(f"{cls.label} ({cls.shortcut})\n{cls.hint}")
            act.setStatusTip(cls.hint)
            act.triggered.connect(lambda _=False, n=name: self.canvas.set_tool(n))
            group.addAction(act)
            bar.addAction(act)
            self.tool_actions[name] = act
        self.tool_actions["pan"].setChecked(True)
        bar.addSeparator()
        self.radius_spin = QSpinBox()
        self.radius_spin.setRange(50, 5000)
        self.radius_spin.setSingleStep(50)
        self.radius_spin.setSuffix(" m")
        self.radius_spin.setValue(int(self.canvas.circle_radius_m))
        self.radius_spin.setToolTip("Radius of the circle tool (e.g. 800 m around a station)")
        self.radius_spin.valueChanged.connect(
            lambda v: setattr(self.canvas, "circle_radius_m", float(v)))
        bar.addWidget(QLabel(" Circle radius "))
        bar.addWidget(self.radius_spin)
        self.snap_action = QAction("Snap to neighbourhoods", self, checkable=True)
        self.snap_action.setToolTip("Snap drawn and edited corners to neighbourhood boundaries")
        self.snap_action.toggled.connect(
            lambda on: setattr(self.canvas, "snap_to_neighbourhoods", on))
        bar.addAction(self.snap_action)
        buffer_action = QAction("Buffer…", self)
        buffer_action.setToolTip("Grow or shrink the selected district by a distance")
        buffer_action.triggered.connect(self.buffer_active_district)
        bar.addAction(buffer_action)
        self.edit_menu.addSeparator()
        self.edit_menu.addAction(buffer_action)

    def _connect_canvas(self) -> None:
        c = self.canvas
        c.tool_changed.connect(lambda n: self.tool_actions[n].setChecked(True))
        c.status_hint.connect(self.show_notice)
        c.district_drawn.connect(self.add_drawn_district)
        c.district_edited.connect(self.edit_district_shape)
        # The canvas itself writes clicks and hovers to the selection model.

    # ---------------------------------------------------------------- edits
    def add_drawn_district(self, geometry: object) -> None:
        from districtplanner.analysis.incentives import default_instruments
        from districtplanner.model.commands import AddDistrict
        from districtplanner.model.district import District

        self._new_district_count += 1
        names = {d.name for d in self.document.districts}
        n = self._new_district_count
        while f"New district {n}" in names:
            n += 1
        district = District(name=f"New district {n}", geometry=geometry,
                            colour=self.document.next_district_colour(),
                            instruments=default_instruments())
        problem = self.undo_stack.push(AddDistrict(self.document, district))
        self.show_notice(problem or self.document.last_notice or
                         f"Drew {district.name} ({district.area_km2:.2f} km²); rename it in "
                         "the Districts list.")

    def edit_district_shape(self, district_id: str, geometry: object, finished: bool) -> None:
        """Every move of a drag updates the document (so the panels follow live); the whole
        drag is one gesture on the stack, so one undo step."""
        from districtplanner.model.commands import SetDistrictGeometry

        if not self.undo_stack.in_gesture:
            self.undo_stack.begin_gesture(
                f"Edit shape of {self.document.district(district_id).name}")
        try:
            problem = self.undo_stack.push(SetDistrictGeometry(
                self.document, district_id, geometry))
            if problem:
                self.show_notice(problem)
                self.canvas.preview_district(district_id, None)
            elif self.document.last_notice:
                self.show_notice(self.document.last_notice)
        finally:
            if finished:
                self.undo_stack.end_gesture()

    def buffer_active_district(self) -> None:
        did = self.document.selection.active_district
        if did is None:
            self.show_notice("Select a district to buffer first.")
            return
        d = self.document.district(did)
        metres, ok = QInputDialog.getInt(
            self, "Buffer district",
            f"Grow {d.name} by this many metres (negative shrinks it):", 100, -5000, 5000, 50)
        if not ok or metres == 0:
            return
        self.buffer_district(did, metres)

    def buffer_district(self, district_id: str, metres: float) -> str:
        """Grow (shrink, negative) a district by ``metres`` as one undo step; '' or why not."""
        from districtplanner.model.commands import SetDistrictGeometry
        from districtplanner.model.document import DocumentError, buffer_district_geometry

        d = self.document.district(district_id)
        try:
            shape = buffer_district_geometry(d.geometry, metres)
        except DocumentError as exc:
            problem = str(exc)
        else:
            problem = self.undo_stack.push(SetDistrictGeometry(
                self.document, district_id, shape, text=f"Buffer by {metres:g} m"))
        self.show_notice(problem or f"Buffered {d.name} by {metres:g} m.")
        return problem

    def _show_bundle(self, bundle: MetricsBundle) -> None:
        """Hand the figures to each panel; a panel whose shown district failed says so."""
        for panel in self.panels:
            if hasattr(panel, "show_bundle"):
                panel.show_bundle(bundle)
            elif bundle.baseline is not None:
                panel.show_metrics(bundle)

    def _update_title(self) -> None:
        if hasattr(self, "project"):
            self.project.update_title()  # the file name and the unsaved mark
            return
        title = self.document.title or "Untitled plan"
        self.setWindowTitle(f"{title} — District Planner")

    # ---------------------------------------------------------------- handlers
    def _cursor_moved(self, x: float, y: float) -> None:
        self.coords_label.setText(f"E {x:,.0f} m   N {y:,.0f} m")

    def explain_figure(self, tile: object) -> None:
        """Show the clicked figure's full method in the Explain dock."""
        self.explain.show_tile(tile)  # type: ignore[arg-type]
        self.explain_dock.show()
        self.explain_dock.raise_()

    def _zoom_to_district(self, district_id: str) -> None:
        self.canvas.zoom_to(self.document.district(district_id).geometry.bounds)

    def _zoom_to_layer(self, layer_id: str) -> None:
        self.canvas.zoom_to(self.document.layer(layer_id).bounds())

    def show_notice(self, text: str) -> None:
        """A message in the status bar that stays until the next one."""
        self.notice_label.setText(text)
        log.info("notice: %s", text)

    def _choose_crs(self) -> None:
        crs, ok = QInputDialog.getText(
            self, "Project coordinate system",
            "EPSG code of a projected CRS in metres (all layers and districts are "
            "reprojected):", text=self.document.crs)
        if ok and crs.strip():
            self.set_project_crs(crs.strip())

    def set_project_crs(self, crs: str) -> str:
        """Reproject the plan (one undo step); returns '' or why it was refused."""
        from districtplanner.model.commands import SetProjectCRS

        problem = self.undo_stack.push(SetProjectCRS(self.document, crs))
        if problem:
            QMessageBox.warning(self, "Project coordinate system", problem)
        else:
            self.canvas.zoom_to_all()
            self.show_notice(f"Reprojected the plan to {self.document.crs}.")
        return problem

    # ---------------------------------------------------------------- import
    def _choose_layer_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Add layers", "",
            "Spatial data (*.gpkg *.geojson *.json *.shp *.zip *.fgb *.kml *.csv *.tsv *.txt "
            "*.xlsx *.tif *.tiff *.mbtiles);;All files (*)")
        self.add_layer_files([Path(f) for f in files])

    def add_layer_files(self, paths: list[Path]) -> None:
        """Ask about each file in turn (Import dialog), then read it in the background."""
        self._import_queue.extend(paths)
        if not self.loader.busy:
            self._import_next()

    def _import_next(self) -> None:
        from districtplanner.io.errors import DataImportError
        from districtplanner.ui.dialogs.import_layer import ImportDialog, plan_extent

        while self._import_queue:
            path = self._import_queue.pop(0)
            try:
                dialog = ImportDialog(path, self, plan=plan_extent(self.document))
            except DataImportError as exc:
                self._report_import_error(exc)
                continue
            if dialog.exec() == QDialog.DialogCode.Accepted:
                self.load_choice(dialog.choice())
                return

    def load_choice(self, choice: ImportChoice) -> None:
        """Read one confirmed file off the GUI thread; the document changes only on success."""
        self._last_choice = choice
        self.show_notice(f"Reading {choice.path.name}…")
        self.loader.start(choice, self.document.crs or None, self)

    def _layer_loaded(self, loaded: LoadedLayer) -> None:
        from districtplanner.analysis.incentives import default_instruments
        from districtplanner.analysis.roles import LayerRole
        from districtplanner.io.crs import far_warning
        from districtplanner.model.build import districts_from_frame, layer_from_loaded
        from districtplanner.model.commands import AddDistrict, AddLayers
        from districtplanner.ui.dialogs.analysed_layer import ask_analysed_use
        from districtplanner.ui.dialogs.import_layer import offer_new_plan

        if loaded.role == LayerRole.DISTRICTS and not loaded.is_raster:
            for d in districts_from_frame(loaded.data, loaded.mapping):
                d.instruments = default_instruments()
                self.undo_stack.push(AddDistrict(self.document, d, f"Import {d.name}"))
        else:
            others = [la.bounds() for la in self.document.layers if la.feature_count]
            far = far_warning(loaded.name, loaded.bounds(), others) if others else None
            if far:
                loaded.warnings.append(far)
                self.far_layer_box = offer_new_plan(self, self._last_choice, loaded)
            # A basemap goes under everything; other layers on top.
            index = 0 if loaded.role == LayerRole.BASEMAP else None
            layer = layer_from_loaded(loaded)
            if not self.undo_stack.push(AddLayers(self.document, [layer], index,
                                                  crs=loaded.crs)):
                # A second layer of a role the figures read joins as context; ask what for.
                self.analysed_box = ask_analysed_use(self, self.undo_stack, self.document,
                                                     layer)
        note = f"Added {loaded.name}."
        if loaded.warnings:
            note += " " + " ".join(loaded.warnings)
            # Not modal: the layer is in and the planner can read the notes while working.
            box = QMessageBox(QMessageBox.Icon.Information, "Layer added with notes",
                              "\n\n".join(loaded.warnings), parent=self)
            box.setModal(False)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.show()
            self.last_notes_box = box
        self.show_notice(note)
        self._import_next()

    def _layer_failed(self, exc: DataImportError) -> None:
        from districtplanner.io.errors import BadValues, MissingCRS

        choice = self._last_choice
        if isinstance(exc, BadValues) and choice is not None:
            answer = QMessageBox.question(
                self, "Problem in the file", f"{exc}\n\nLoad it anyway, treating those "
                "values as missing?")
            if answer == QMessageBox.StandardButton.Yes:
                self.load_choice(replace(choice, allow_bad_values=True))
                return
        elif isinstance(exc, MissingCRS) and choice is not None:
            crs, ok = QInputDialog.getText(self, "Coordinate system", f"{exc}\n\nEPSG code:",
                                           text=exc.guess or "")
            if ok and crs.strip():
                self.load_choice(replace(choice, source_crs=crs.strip()))
                return
        else:
            self._report_import_error(exc)
        self._import_next()

    def _layer_cancelled(self) -> None:
        self.show_notice("Loading cancelled; nothing was changed.")
        self._import_next()

    def _report_import_error(self, exc: Exception) -> None:
        self.show_notice(str(exc))
        QMessageBox.warning(self, "Cannot add the file", str(exc))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        if self.project.open_dropped(paths):  # a project file opens as the plan
            return
        QTimer.singleShot(0, lambda: self.add_layer_files(paths))

    # ------------------------------------------------------------- districts io
    def _choose_district_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import districts", "",
                                              "Districts (*.geojson *.json *.gpkg)")
        if path:
            self.import_districts(Path(path))

    def import_districts(self, path: Path) -> int:
        """Add every polygon of ``path`` as a district (one undo step each)."""
        from districtplanner.analysis.incentives import default_instruments
        from districtplanner.io.districts import read_districts
        from districtplanner.io.errors import DataImportError
        from districtplanner.model.commands import AddDistrict
        from districtplanner.model.district import District

        try:
            rows = read_districts(path, project_crs=self.document.crs or None)
        except DataImportError as exc:
            self._report_import_error(exc)
            return 0
        self.undo_stack.begin_gesture(f"Import districts from {path.name}")
        added = 0
        for row in rows:
            d = District(name=row["name"], geometry=row["geometry"], colour=row["colour"],
                         notes=row.get("notes", ""), instruments=default_instruments())
            problem = self.undo_stack.push(AddDistrict(self.document, d))
            if problem:
                self.show_notice(f"{path.name}: {row['name']}: {problem}")
            else:
                added += 1
        self.undo_stack.end_gesture()
        self.show_notice(f"Imported {added} district(s) from {path.name}.")
        return added

    def _choose_district_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export districts", "districts.geojson",
                                              "GeoJSON (*.geojson);;GeoPackage (*.gpkg)")
        if path:
            self.export_districts(Path(path))

    def export_districts(self, path: Path) -> None:
        from districtplanner.io.districts import write_districts
        from districtplanner.io.errors import DataImportError

        try:
            write_districts(path, self.document.districts, crs=self.document.crs or None)
        except (DataImportError, OSError) as exc:
            self._report_import_error(exc)
            return
        self.show_notice(f"Exported {len(self.document.districts)} district(s) to {path}.")

    def export_plan(self) -> None:
        """File > Export plan (PDF)…: the dialog writes page by page with progress and
        Cancel, from the figures the panels show."""
        from districtplanner.ui.dialogs.export_plan import ExportPlanDialog

        saved = self.project.path
        path = saved.with_suffix(".pdf") if saved is not None else ""
        unchanged = saved if saved is not None and not self.project.dirty else None
        dialog = ExportPlanDialog(self.document, self.session.figures, self, path=path,
                                  project_file=unchanged, stack=self.session.stack)
        dialog.finished_export.connect(
            lambda r: self.show_notice(f"Wrote the plan to {r.path} ({r.pages} pages, "
                                       f"{r.size_bytes / 1e6:.1f} MB)."))
        dialog.exec()

    def _choose_hotspot_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export hot-spot surface", "hotspots.tif",
                                              "GeoTIFF (*.tif)")
        if path:
            self.export_hotspots(Path(path))

    def export_hotspots(self, path: Path) -> bool:
        """Write the KDE and Gi* bands of the current city and assumptions to ``path``."""
        from rasterio.errors import RasterioIOError

        from districtplanner.analysis.hotspots import compute_surface

        if self.recompute.index is None:
            self.show_notice("The layers are still being indexed; try again in a moment.")
            return False
        try:
            compute_surface(self.recompute.index, self.document.assumptions).write_geotiff(path)
        except (OSError, RasterioIOError) as exc:
            self._report_import_error(OSError(f"{path}: cannot write the GeoTIFF ({exc})."))
            return False
        self.show_notice(f"Wrote the hot-spot surface to {path} (bands kde, gi_z, gi_class).")
        return True

    def _show_history(self) -> None:
        from districtplanner.ui.undo import HistoryView

        if getattr(self, "_history", None) is None:
            self._history = HistoryView(self.undo_stack, self)
            self._history.setWindowFlag(Qt.WindowType.Tool)
            self._history.resize(320, 400)
        self._history.show()
        self._history.raise_()

    def _about(self) -> None:
        QMessageBox.about(
            self, "About District Planner",
            f"<b>District Planner</b> {__version__}<br>Offline planning of creative districts: "
            "concentration, displacement risk and incentive cost.",
        )

    def fit_docks(self) -> None:
        """Size the docks for the window, once, when it is first shown (a remembered
        layout replaces this). The map keeps the largest part at every size; docks fold
        into tabs before a panel would scroll: under 1200 px wide every dock is a tab of
        one right column; below a 4K-class height the figure panels are tabs of the right
        column at full height; only a tall screen has room for the incentives strip under
        the map."""
        w, h = self.width(), self.height()
        left = max(180, min(280, int(w * 0.17)))
        right = max(340, min(560, int(w * 0.34)))
        if w < 1200:
            # A projector-sized window: every dock becomes a tab of one right column, so
            # the map keeps most of the width and no panel is squeezed until it clips.
            for dock in (self.affordability_dock, self.sensitivity_dock, self.incentives_dock,
                         self.districts_dock, self.layers_dock, self.assumptions_dock):
                self.tabifyDockWidget(self.concentration_dock, dock)
            self.concentration_dock.raise_()
            self.resizeDocks([self.concentration_dock], [max(340, int(w * 0.38))],
                             Qt.Orientation.Horizontal)
            self._docks_fitted = True
            return
        if h < 1400:
            # Below a 4K-class height two figure panels stacked would each scroll: the
            # right column's panels become tabs at full height instead (one click apart,
            # and the sector chart, projection and buttons are all in view).
            for dock in (self.affordability_dock, self.sensitivity_dock):
                self.tabifyDockWidget(self.concentration_dock, dock)
            self.concentration_dock.raise_()
        if w < 1400 or h < 1200:
            self.tabifyDockWidget(self.affordability_dock, self.incentives_dock)
            self.concentration_dock.raise_()
            right = max(340, min(560, int(w * 0.38)))
        else:
            # Tall enough for the package table and its Add/Edit/Remove buttons (sized
            # again by ``finish`` when the first frame was shown without them).
            inner = self.incentives.findChild(QScrollArea).widget() if self.ready else None
            wanted = inner.sizeHint().height() + 30 if inner is not None else 0
            strip = min(int(h * 0.38), max(230, wanted))
            self.resizeDocks([self.incentives_dock], [strip], Qt.Orientation.Vertical)
        self.resizeDocks([self.layers_dock, self.concentration_dock], [left, right],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.layers_dock, self.districts_dock], [int(h * 0.4), int(h * 0.3)],
                         Qt.Orientation.Vertical)
        self._docks_fitted = True

    def showEvent(self, event: QShowEvent) -> None:
        if not self._docks_fitted:
            if self._placed is None and screen_fit.restore_docks(self):
                self._docks_fitted = True
            else:
                self.fit_docks()
            if self._placed is not None:
                placed = self._placed
                QTimer.singleShot(0, lambda: screen_fit.fit_frame(self, placed))
        super().showEvent(event)
        if self.ready:
            QTimer.singleShot(0, self.canvas.zoom_to_all)

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closed by the planner (title bar, window manager): Save / Discard / Cancel when
        # there are unsaved changes. File > Quit asks before it closes; a close from code
        # (tests, replacing the plan) has settled that already.
        if not self.ready:
            # Closed on the first frame: nothing was edited yet, so nothing to save.
            super().closeEvent(event)
            return
        if event.spontaneous() and not self.project.confirm_close():
            event.ignore()
            return
        self.project.shutdown()
        self.workshop.leave()
        screen_fit.save(self)
        self.recompute.shutdown()
        self.overlays.shutdown()
        self.loader.shutdown()
        super().closeEvent(event)
