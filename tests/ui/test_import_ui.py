"""Adding layers through the window: the Import dialog's guesses, a background read that
changes the document only on success, a clear word for a bad file, and Cancel."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtWidgets import QMessageBox

from districtplanner.analysis.roles import LayerRole
from districtplanner.ui.dialogs.import_layer import ImportDialog


@pytest.fixture
def warnings_shown(monkeypatch):
    shown = []
    for name in ("warning", "information"):
        monkeypatch.setattr(QMessageBox, name,
                            staticmethod(lambda _p, title, text, *a, **k: shown.append(text)))
    return shown


def _csv(tmp_path: Path, n=300) -> Path:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({
        "Längengrad": 9.0 + rng.random(n) * 0.05,   # near the sample city's UTM 32N centre
        "Breitengrad": 51.0 + rng.random(n) * 0.05,
        "branche": rng.choice(["publishing", "film_tv", "retail"], n),
        "beschaeftigte": rng.integers(1, 30, n),
    })
    path = tmp_path / "betriebe.csv"
    df.to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


def _wait(qtbot, window):
    qtbot.waitUntil(lambda: not window.loader.busy, timeout=30000)


def test_dialog_guesses_role_and_columns(qtbot, tmp_path):
    dialog = ImportDialog(_csv(tmp_path))
    qtbot.addWidget(dialog)
    choice = dialog.choice()
    assert choice.role == LayerRole.ESTABLISHMENTS
    assert choice.mapping["jobs"] == "beschaeftigte"
    assert dialog.table.rowCount() > 0 and dialog.table.columnCount() == 4


def test_confirmed_file_loads_in_background_and_undoes(window, qtbot, tmp_path,
                                                        warnings_shown):
    doc = window.document
    before = len(doc.layers)
    dialog = ImportDialog(_csv(tmp_path))
    qtbot.addWidget(dialog)
    window.load_choice(dialog.choice())
    _wait(qtbot, window)
    assert len(doc.layers) == before + 1
    layer = doc.layers[-1]
    assert layer.role == LayerRole.ESTABLISHMENTS and layer.feature_count == 300
    assert window.canvas.layer_item(layer.id) is not None
    x0, y0, _x1, _y1 = layer.bounds()
    assert 400_000 < x0 < 700_000 and 5_000_000 < y0 < 6_000_000  # reprojected to EPSG:32632
    window.undo_stack.undo()
    assert len(doc.layers) == before


def test_bad_file_is_reported_and_nothing_changes(window, qtbot, tmp_path, warnings_shown):
    doc = window.document
    before = [la.id for la in doc.layers]
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"this is not a geopackage")
    window.add_layer_files([broken])
    assert [la.id for la in doc.layers] == before
    assert warnings_shown and "broken.gpkg" in warnings_shown[-1]
    assert "broken.gpkg" in window.notice_label.text()


def test_cancel_leaves_the_document_as_it_was(window, qtbot, tmp_path, warnings_shown):
    doc = window.document
    before = [la.id for la in doc.layers]
    dialog = ImportDialog(_csv(tmp_path, n=50_000))
    qtbot.addWidget(dialog)
    fut = window.loader.start(dialog.choice(), doc.crs)
    window.loader.cancel()  # a read that still finishes after Cancel is discarded too
    fut.exception(timeout=30)
    _wait(qtbot, window)
    assert [la.id for la in doc.layers] == before
    assert "cancelled" in window.notice_label.text().lower()


def _choice(path, role=None):
    from districtplanner.io.readers import preview
    from districtplanner.ui.dialogs.import_layer import ImportChoice

    pv = preview(path)
    return ImportChoice(path=path, layer=pv.layer, role=role or pv.role, mapping=pv.mapping,
                        source_crs=None)


def test_offline_basemap_draws_under_everything_in_its_own_colours(window, qtbot, tmp_path,
                                                                   warnings_shown):
    import rasterio
    import rasterio.shutil
    from rasterio.transform import from_origin

    src = tmp_path / "rgb.tif"
    rgb = np.zeros((3, 256, 256), dtype="uint8")
    rgb[2] = 220  # blue
    with rasterio.open(src, "w", driver="GTiff", width=256, height=256, count=3, dtype="uint8",
                       crs="EPSG:32632", transform=from_origin(494000, 5655000, 50, 50)) as dst:
        dst.write(rgb)
    tiles = tmp_path / "basemap.mbtiles"
    rasterio.shutil.copy(src, tiles, driver="MBTiles")
    window.load_choice(_choice(tiles))
    _wait(qtbot, window)
    base = window.document.layers[0]
    assert base.role == LayerRole.BASEMAP
    image = window.canvas.layer_item(base.id).image
    centre = image[image.shape[0] // 2, image.shape[1] // 2]
    assert centre[2] > 200 and centre[0] < 30 and centre[3] == 255


def test_a_layer_far_from_the_others_is_flagged_with_the_distance(window, qtbot, tmp_path,
                                                                  warnings_shown):
    path = tmp_path / "elsewhere.csv"
    pd.DataFrame({"lon": [2.35, 2.36], "lat": [48.85, 48.86], "sector": ["film_tv"] * 2}
                 ).to_csv(path, index=False)  # Paris, 600 km from the sample city
    window.load_choice(_choice(path))
    _wait(qtbot, window)
    assert "km from the other layers" in window.last_notes_box.text()
    assert "km from the other layers" in window.notice_label.text()


REAL = Path(__file__).parent.parent / "data" / "real"
BERLIN_PLAN = ((385000.0, 5810000.0, 400000.0, 5825000.0), "EPSG:32633")


def test_dialog_shows_conversion_or_refusal_before_add(qtbot):
    """An OSM POI extract mixing nodes and building outlines: as establishments the
    preview says each outline counts at a point inside it; as context the dialog says the
    types are mixed and Add stays disabled until a geometry type is kept."""
    dialog = ImportDialog(REAL / "osm_pois_mitte.geojson")
    qtbot.addWidget(dialog)
    assert dialog.role() == LayerRole.ESTABLISHMENTS
    text = dialog.messages.text()
    assert "5 polygons and 2 lines will count as one point" in text
    assert "not establishments and will be left out" in text
    assert dialog.add_button.isEnabled()
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData(LayerRole.CONTEXT))
    # A mixed layer offers the kept type; with one chosen the note says what is left out.
    assert not dialog.keep_combo.isHidden()
    assert dialog.keep_combo.currentData() == "point"
    assert "Only the 24 points will be kept" in dialog.messages.text()
    assert "not establishments" not in dialog.messages.text()
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData(LayerRole.NEIGHBOURHOODS))
    assert dialog.keep_combo.currentData() == "polygon"
    assert dialog.choice().mapping["keep_geometry"] == "polygon"
    # A declared CRS stays editable (a wrong .prj must be fixable) and encoding is offered.
    assert dialog.crs_edit.isEnabled() and dialog.crs_edit.text() == "EPSG:4326"
    assert not dialog.encoding_combo.isHidden()


def test_dialog_says_where_a_swapped_layer_lands_and_applies_the_fix(qtbot, tmp_path):
    path = tmp_path / "firms.csv"
    path.write_text("name,lon,lat,sector\nA,52.5200,13.4050,film_tv\n"
                    "B,52.5301,13.3920,publishing\n", encoding="utf-8")
    dialog = ImportDialog(path, plan=BERLIN_PLAN)
    qtbot.addWidget(dialog)
    assert "5,543 km from the plan" in dialog.messages.text()
    assert "Swap axes" in dialog.messages.text() and not dialog.fix_button.isHidden()
    dialog.apply_fix()
    assert dialog.swap_check.isChecked() and dialog.placement is None
    assert "km from the plan" not in dialog.messages.text() and dialog.fix_button.isHidden()
    assert dialog.choice().mapping["swap_axes"] == "yes"


def test_dialog_reads_the_chosen_encoding(qtbot, tmp_path):
    path = tmp_path / "firms.csv"
    path.write_bytes("Firma,lon,lat\nTöpferei Jürgens,13.38,52.48\nBüro Söhne,13.42,52.53\n"
                     .encode("mac_roman"))
    dialog = ImportDialog(path)
    qtbot.addWidget(dialog)
    assert dialog.table.item(0, 0).text() == "Töpferei Jürgens"
    assert "Mac OS Roman" in dialog.messages.text()
    dialog.encoding_combo.setCurrentIndex(dialog.encoding_combo.findData("cp1252"))
    assert dialog.table.item(0, 0).text() == "Töpferei Jürgens".encode("mac_roman").decode(
        "cp1252")
    assert dialog.choice().encoding == "cp1252"


def test_every_control_a_message_names_exists_and_is_enabled(qtbot, tmp_path):
    """'Choose the coordinate columns in the Add layer dialog's X and Y lists' and 'choose
    its coordinate system in the Coordinate system box': both there, both enabled (the
    CRS box was disabled for GeoJSON, the encoding picker did not exist)."""
    path = tmp_path / "firms.csv"
    path.write_text("name,rechts,hoch,sector\nA,391000,5819000,film_tv\n", encoding="utf-8")
    dialog = ImportDialog(path)
    qtbot.addWidget(dialog)
    text = dialog.messages.text()
    assert "X and Y lists" in text or "Coordinate system box" in text
    x, y = dialog.field_combos["x"], dialog.field_combos["y"]
    assert x.isEnabled() and y.isEnabled() and not dialog.mapping_box.isHidden()
    x.setCurrentIndex(x.findData("rechts"))
    y.setCurrentIndex(y.findData("hoch"))
    dialog.crs_edit.setText("EPSG:25833")
    choice = dialog.choice()
    assert (choice.mapping["x"], choice.mapping["y"], choice.source_crs) == (
        "rechts", "hoch", "EPSG:25833")
    from districtplanner.io.readers import read_layer

    layer = read_layer(choice.path, role=choice.role, mapping=choice.mapping,
                       source_crs=choice.source_crs, project_crs="EPSG:25833")
    assert layer.data.geometry.x.iloc[0] == 391000
    geo = ImportDialog(REAL / "osm_pois_mitte.geojson")
    qtbot.addWidget(geo)
    assert geo.crs_edit.isEnabled() and geo.encoding_combo.isEnabled()
    assert not geo.keep_combo.isHidden() and geo.keep_combo.count() == 3
