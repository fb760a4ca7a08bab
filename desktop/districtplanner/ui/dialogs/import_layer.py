"""The Import dialog: what a file holds (first rows), the guessed role and column mapping,
its CRS, and the sector categories the mappings do not know, all confirmable before the
full read. It reads only a preview; the full read runs in the background (ui/loader.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from districtplanner.analysis.roles import ROLE_FIELDS, ROLE_LABELS, LayerRole
from districtplanner.analysis.sectors import CREATIVE_SECTORS, SECTOR_LABELS
from districtplanner.io.crs import Placement, check_placement
from districtplanner.io.errors import DataImportError
from districtplanner.io.loaded import LoadedLayer
from districtplanner.io.readers import (
    ENCODING_NAMES,
    GEOMETRY_FAMILIES,
    KEEP_GEOMETRY,
    ROLE_GEOMETRY,
    SWAP_AXES,
    Preview,
    geometry_note,
    preview,
    read_layer,
)
from districtplanner.model.document import Document
from districtplanner.ui import theme

if TYPE_CHECKING:
    from districtplanner.ui.main_window import MainWindow

NOT_MAPPED = "(not mapped)"
FIELD_LABELS = {
    "sector": "Sector or category", "jobs": "Employees / jobs", "name": "Name",
    "rent": "Rent value", "line": "Line", "type": "Institution type",
    "population": "Population", "households": "Households",
    "median_income": "Median household income", "renter_share": "Renter share",
    "rent_growth": "Rent growth", "colour": "Colour", "notes": "Notes",
    "x": "X / longitude", "y": "Y / latitude",
}


@dataclass
class ImportChoice:
    """What the user confirmed; passed to ``read_layer`` as is."""

    path: Path
    layer: str | None
    role: LayerRole
    mapping: dict[str, str]
    source_crs: str | None
    sector_overrides: dict[str, str] = field(default_factory=dict)
    allow_bad_values: bool = False
    encoding: str | None = None


Plan = tuple[tuple[float, float, float, float], str]
FAMILY_LABELS = {"point": "Points", "line": "Lines", "polygon": "Polygons"}


class ImportDialog(QDialog):
    """``plan``: (bounds, CRS) of the open plan, so a layer that would land far from it is
    said before Add, with the fix (swap axes, another CRS) one click away."""

    def __init__(self, path: Path, parent: QWidget | None = None,
                 layer: str | None = None, plan: Plan | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Add layer: {path.name}")
        self.resize(760, 660)
        self.path = path
        self.plan = plan
        self.placement: Placement | None = None
        self.refused = False
        # raises DataImportError
        self.preview: Preview = preview(path, layer=layer, plan=plan)
        self.encoding_combo = QComboBox()
        self.encoding_combo.addItem("Detected", None)
        for enc, label in ENCODING_NAMES.items():
            self.encoding_combo.addItem(label, enc)
        self.encoding_combo.currentIndexChanged.connect(self._encoding_changed)
        self.keep_combo = QComboBox()
        self.keep_combo.currentIndexChanged.connect(self._update_notes)
        self.swap_check = QCheckBox("Swap axes (the file has y/latitude first)")
        self.swap_check.toggled.connect(self._update_notes)
        self.fix_button = QPushButton("Apply suggestion")
        self.fix_button.clicked.connect(self.apply_fix)
        self.layer_combo = QComboBox()
        for info in self.preview.layers:
            self.layer_combo.addItem(f"{info.name} ({info.geometry_type or info.kind}, "
                                     f"{info.feature_count or '?'} features)", info.name)
        if self.preview.layer is not None:
            self.layer_combo.setCurrentIndex(max(0, self.layer_combo.findData(self.preview.layer)))
        self.layer_combo.setVisible(len(self.preview.layers) > 1)
        self.layer_combo.currentIndexChanged.connect(self._layer_changed)
        self.role_combo = QComboBox()
        for role in LayerRole:
            if role is not LayerRole.BASEMAP or self.preview.kind in ("tiles", "raster"):
                self.role_combo.addItem(ROLE_LABELS[role], role)
        self.role_combo.currentIndexChanged.connect(self._role_changed)
        self.crs_edit = QLineEdit()
        self.crs_edit.setPlaceholderText("e.g. EPSG:4326 or EPSG:25832")
        self.crs_edit.textChanged.connect(self._update_notes)
        self.mapping_box = QGroupBox("Columns")
        self.mapping_form = QFormLayout(self.mapping_box)
        self.field_combos: dict[str, QComboBox] = {}
        self.unknown_box = QGroupBox("Categories the sector mappings do not know")
        self.unknown_form = QFormLayout(self.unknown_box)
        self.unknown_combos: dict[str, QComboBox] = {}
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMaximumHeight(190)
        self.messages = QLabel("")
        self.messages.setWordWrap(True)
        self.messages.setStyleSheet(f"color: {theme.WARNING};")
        head = QFormLayout()
        if len(self.preview.layers) > 1:
            head.addRow("Layer", self.layer_combo)
        head.addRow("Role", self.role_combo)
        head.addRow("Coordinate system", self.crs_edit)
        head.addRow("", self.swap_check)
        head.addRow("Keep geometry", self.keep_combo)
        head.addRow("Text encoding", self.encoding_combo)
        self._head = head
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.add_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.add_button.setText("Add layer")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addWidget(self.mapping_box)
        lay.addWidget(self.unknown_box)
        lay.addWidget(QLabel("First rows"))
        lay.addWidget(self.table)
        lay.addWidget(self.messages)
        lay.addWidget(self.fix_button)
        lay.addWidget(buttons)
        self._show_preview()

    # ---------------------------------------------------------------- building
    def _show_preview(self) -> None:
        pv = self.preview
        self.role_combo.blockSignals(True)
        self.role_combo.setCurrentIndex(max(0, self.role_combo.findData(pv.role)))
        self.role_combo.blockSignals(False)
        self.crs_edit.blockSignals(True)
        self.crs_edit.setText(pv.crs or pv.guessed_crs or "")
        self.crs_edit.blockSignals(False)
        # Always editable: a declared CRS can be wrong (northern UTM for southern data).
        self.crs_edit.setToolTip(
            f"Declared by the file: {pv.crs}; change it only if the file is wrong." if pv.crs
            else "The file declares no coordinate system; check the guess before adding it."
        )
        text_like = pv.kind not in ("raster", "tiles")
        for widget in (self.swap_check, self.encoding_combo):
            self._head.setRowVisible(widget, text_like)
        # Most common type first; the others stay choosable, since the full read may find
        # types the first rows do not have (and a message may send the planner here).
        counts = pv.geometry_counts
        families = sorted(GEOMETRY_FAMILIES, key=lambda f: -counts.get(f, 0))
        self.keep_combo.blockSignals(True)
        self.keep_combo.clear()
        for fam in families:
            n = counts.get(fam, 0)
            self.keep_combo.addItem(f"{FAMILY_LABELS[fam]} ({n:,} in the first rows)"
                                    if n else f"{FAMILY_LABELS[fam]} (none in the first rows)",
                                    fam)
        self.keep_combo.blockSignals(False)
        self._head.setRowVisible(self.keep_combo, "geometry" in pv.columns)
        self.table.setColumnCount(len(pv.columns))
        self.table.setHorizontalHeaderLabels(pv.columns)
        self.table.setRowCount(len(pv.rows))
        for r, row in enumerate(pv.rows):
            for c, value in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        # Notes the dialog recomputes as the planner changes role, geometry or CRS.
        auto = {geometry_note(pv.geometry_counts, pv.role)[0], pv.street_note,
                pv.placement.message if pv.placement else None}
        self._notes = [m for m in pv.messages if m not in auto]
        if pv.row_count is not None:
            self._notes.insert(0, f"{pv.row_count:,} rows.")
        self._role_changed()
        self._show_unknown(pv.unknown_categories)

    def _layer_changed(self) -> None:
        self._reload()

    def _encoding_changed(self) -> None:
        self._reload()

    def _reload(self) -> None:
        try:
            self.preview = preview(self.path, layer=self.layer_combo.currentData()
                                   if len(self.preview.layers) > 1 else self.preview.layer,
                                   encoding=self.encoding_combo.currentData(), plan=self.plan)
        except DataImportError as exc:
            self.messages.setText(str(exc))
            return
        self._show_preview()

    def _update_notes(self) -> None:
        """Everything the read will do or refuse, shown before Add: the geometry types kept
        or turned into points for the chosen role, and where the layer would land."""
        pv = self.preview
        notes = list(self._notes)
        geo, self.refused = geometry_note(pv.geometry_counts, self.role(),
                                          self.keep_combo.currentData())
        if geo:
            notes.append(geo)
        if pv.street_note and self.role() == LayerRole.ESTABLISHMENTS:
            notes.append(pv.street_note)
        self.placement = None
        crs = self.crs_edit.text().strip()
        if self.plan is not None and pv.bounds is not None and crs:
            b = pv.bounds
            if self.swap_check.isChecked():
                b = (b[1], b[0], b[3], b[2])
            try:
                self.placement = check_placement(self.path.name, b, crs, *self.plan)
            except ValueError:
                notes.insert(0, f"'{crs}' is not a coordinate system this computer knows; "
                                "enter an EPSG code such as EPSG:25832.")
        if self.placement is not None:
            notes.insert(0, self.placement.message)
        self.fix_button.setVisible(bool(self.placement and self.placement.fix))
        self.add_button.setEnabled(not self.refused)
        self.messages.setText(" ".join(notes))

    def apply_fix(self) -> None:
        """Take the suggestion of the placement check (swap axes, another CRS)."""
        if self.placement is None or not self.placement.fix:
            return
        fix = self.placement.fix
        if "swap_axes" in fix:
            self.swap_check.setChecked(not self.swap_check.isChecked())
        if "source_crs" in fix:
            self.crs_edit.setText(fix["source_crs"])
        self._update_notes()

    def role(self) -> LayerRole:
        return LayerRole(self.role_combo.currentData())

    def _role_changed(self) -> None:
        while self.mapping_form.rowCount():
            self.mapping_form.removeRow(0)
        self.field_combos.clear()
        pv = self.preview
        role = self.role()
        guessed = pv.mapping if role == pv.role else {}
        # A table's coordinate columns can be chosen (messages about them point here).
        coords = ("x", "y") if self._is_table() else ()
        if pv.coordinate_columns:
            guessed = {**guessed, "x": pv.coordinate_columns[0], "y": pv.coordinate_columns[1]}
        for fld in (*coords, *ROLE_FIELDS.get(role, ())):
            combo = QComboBox()
            combo.addItem(NOT_MAPPED, "")
            options = pv.candidates.get(fld, []) + [c for c in pv.columns
                                                    if c not in pv.candidates.get(fld, [])]
            for col in options:
                combo.addItem(col, col)
            chosen = guessed.get(fld, "")
            combo.setCurrentIndex(max(0, combo.findData(chosen)))
            self.mapping_form.addRow(FIELD_LABELS.get(fld, fld), combo)
            self.field_combos[fld] = combo
        self.mapping_box.setVisible(bool(self.field_combos))
        fam = ROLE_GEOMETRY.get(role)
        if fam is not None and self.keep_combo.findData(fam) >= 0:
            self.keep_combo.blockSignals(True)
            self.keep_combo.setCurrentIndex(self.keep_combo.findData(fam))
            self.keep_combo.blockSignals(False)
        self._update_notes()

    def _is_table(self) -> bool:
        """Rows with coordinate columns rather than geometries (CSV, sheets, GTFS)."""
        pv = self.preview
        return pv.kind not in ("raster", "tiles") and "geometry" not in pv.columns

    def _show_unknown(self, categories: list[str]) -> None:
        while self.unknown_form.rowCount():
            self.unknown_form.removeRow(0)
        self.unknown_combos.clear()
        for cat in categories[:40]:
            combo = QComboBox()
            combo.addItem("Non-creative", "non_creative")
            for key in CREATIVE_SECTORS:
                combo.addItem(SECTOR_LABELS[key], key)
            self.unknown_form.addRow(cat, combo)
            self.unknown_combos[cat] = combo
        self.unknown_box.setVisible(bool(categories))
        if len(categories) > 40:
            self.unknown_form.addRow(QLabel(f"… and {len(categories) - 40} more, counted as "
                                            "non-creative until mapped."))

    # ------------------------------------------------------------------ result
    def choice(self) -> ImportChoice:
        mapping = {f: c.currentData() for f, c in self.field_combos.items() if c.currentData()}
        # Keep geometry and unit choices the reader guessed (x/y, wkt, units, schemes).
        for key, value in self.preview.mapping.items():
            if key not in ROLE_FIELDS.get(self.role(), ()) and key not in mapping:
                mapping[key] = value
        if "geometry" in self.preview.columns:
            # Used by the read only when the layer mixes types.
            mapping[KEEP_GEOMETRY] = self.keep_combo.currentData()
        if self.swap_check.isChecked():
            mapping[SWAP_AXES] = "yes"
        crs = self.crs_edit.text().strip() or None
        return ImportChoice(
            path=self.path,
            layer=self.layer_combo.currentData() if len(self.preview.layers) > 1
            else self.preview.layer,
            role=self.role(),
            mapping=mapping,
            source_crs=None if crs == self.preview.crs else crs,
            sector_overrides={cat: c.currentData() for cat, c in self.unknown_combos.items()},
            encoding=self.encoding_combo.currentData(),
        )


def plan_extent(document: Document) -> Plan | None:
    """(bounds, CRS) of an open plan, for the dialog's placement check; None when empty."""
    bounds = document.bounds()
    return (bounds, document.crs) if bounds is not None and document.crs else None


def new_plan_from_choice(window: MainWindow, choice: ImportChoice) -> MainWindow | None:
    """A new plan from one confirmed file, in the file's own metric CRS (the UTM zone of
    its centre), replacing the window's plan after its unsaved changes are settled."""
    from districtplanner.model.build import document_from_loaded

    try:
        loaded = read_layer(choice.path, choice.layer, role=choice.role, mapping=choice.mapping,
                            source_crs=choice.source_crs, encoding=choice.encoding,
                            sector_overrides=choice.sector_overrides,
                            allow_bad_values=choice.allow_bad_values)
    except DataImportError as exc:
        QMessageBox.warning(window, "Cannot start a plan from the file", str(exc))
        return None
    if not window.project.confirm_close("starting a new plan"):
        return None
    document = document_from_loaded([loaded], title=choice.path.stem)
    return window.project.replace_with(document, notes=loaded.warnings or None)


def offer_new_plan(window: MainWindow, choice: ImportChoice | None,
                   loaded: LoadedLayer) -> QMessageBox | None:
    """A layer that lies far from the open plan was added: offer, without blocking, to
    start a new plan from it instead (its figures belong to another city)."""
    if choice is None:
        return None
    box = QMessageBox(QMessageBox.Icon.Question, "A layer far from this plan",
                      f"'{loaded.name}' lies far from this plan. Start a new plan from "
                      f"{choice.path.name} (in its own coordinate system), or keep it here "
                      f"as added?", parent=window)
    new = box.addButton("New plan from this file", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Keep it in this plan", QMessageBox.ButtonRole.RejectRole)
    box.setModal(False)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.buttonClicked.connect(
        lambda button: new_plan_from_choice(window, choice) if button is new else None)
    box.show()
    return box
