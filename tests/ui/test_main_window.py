"""The real main window on the bundled sample city: every layer drawn, every panel showing
figures that match the data (checked against a plain geopandas computation)."""

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rasterio.mask

from districtplanner.analysis.sectors import CREATIVE_SECTORS
from districtplanner.paths import sample_city_dir


def _plain_district_figures(geometry):
    gpkg = sample_city_dir() / "sample_city.gpkg"
    est = gpd.read_file(gpkg, layer="establishments")
    inside = est[est.within(geometry)]
    creative = inside[inside["sector"].isin(CREATIVE_SECTORS)]
    with rasterio.open(sample_city_dir() / "rent.tif") as src:
        data, _ = rasterio.mask.mask(src, [geometry], crop=True, filled=False)
    rents = data.compressed()
    return len(creative), int(creative["employees"].sum()), float(np.median(rents))


def _number(text: str) -> float:
    return float(text.split()[0].replace(",", ""))


def test_every_layer_is_drawn(window):
    assert len(window.document.layers) >= 6
    for layer in window.document.layers:
        item = window.canvas.layer_item(layer.id)
        assert item is not None, layer.name
        assert item.isVisible(), layer.name
    assert window.layer_list.tree.topLevelItemCount() == len(window.document.layers)
    assert "synthetic" in window.title_label.text().lower()
    assert window.crs_label.text() == "EPSG:32632"


def test_panels_show_the_active_district_figures(window):
    doc = window.document
    district = doc.district(doc.selection.active_district)
    firms, jobs, rent_median = _plain_district_figures(district.geometry)
    tiles = window.concentration.tiles
    assert _number(tiles["creative_establishments"].value_label.text()) == firms
    assert _number(tiles["creative_jobs"].value_label.text()) == jobs
    median_text = window.affordability.tiles["rent_median"].value_label.text()
    # Raster-cell membership by centre (the engine) and by rasterio.mask agree to the cent.
    assert _number(median_text) == pytest.approx(rent_median, abs=0.01)
    npv = window.incentives.tiles["npv"].value_label.text()
    assert npv != "—" and "EUR" in npv
    assert district.name in window.concentration.heading.text()


def test_selecting_another_district_updates_every_panel(window, qtbot):
    doc = window.document
    other = doc.districts[1]
    window.district_list.list.setCurrentRow(1)
    assert doc.selection.active_district == other.id
    window.recompute.run_now()
    firms, _jobs, _rent = _plain_district_figures(other.geometry)
    tile = window.concentration.tiles["creative_establishments"]
    assert _number(tile.value_label.text()) == firms
    for panel in (window.concentration, window.affordability, window.incentives):
        assert other.name in panel.heading.text()


def test_tiles_explain_themselves(window):
    for panel in (window.concentration, window.affordability, window.incentives):
        for key, tile in panel.tiles.tiles.items():
            assert tile.explanation, f"{type(panel).__name__}.{key} has no explanation"


def test_clicking_a_tile_explains_it_in_full(window, qtbot):
    from PySide6.QtCore import Qt

    tile = window.concentration.tiles["location_quotient"]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
    assert window.explain_dock.isVisible()
    text = window.explain.text.toPlainText()
    assert text == tile.explanation
    assert "LQ" in text or "location quotient" in text.lower()


def test_layer_list_reorders_and_toggles_through_the_document(window):
    from PySide6.QtCore import Qt

    doc = window.document
    order = [la.id for la in doc.layers]
    window.layer_list.apply_order(list(reversed(order)))
    assert [la.id for la in doc.layers] == list(reversed(order))
    assert window.layer_list.items()[0].data(0, window.layer_list.ROLE_ID) == order[0]
    item = window.layer_list.items()[1]
    layer_id = item.data(0, window.layer_list.ROLE_ID)
    item.setCheckState(0, Qt.CheckState.Unchecked)
    assert not doc.layer(layer_id).visible
    assert not window.canvas.layer_item(layer_id).isVisible()


def test_status_bar_shows_cursor_coordinates_and_crs(window):
    window.canvas.cursor_moved.emit(501234.0, 5651234.0)
    assert window.coords_label.text() == "E 501,234 m   N 5,651,234 m"
    assert window.crs_label.text() == "EPSG:32632"


def test_choosing_another_project_crs_reprojects_everything_and_undoes(window):
    doc = window.document
    d = doc.district(doc.selection.active_district)
    before_geom = d.geometry
    before = window.recompute.latest.active.concentration.creative_establishments
    assert window.set_project_crs("EPSG:25832") == ""  # ETRS89 / UTM 32N
    assert doc.crs == "EPSG:25832" and window.crs_label.text() == "EPSG:25832"
    assert all(str(la.data.crs).endswith("25832") for la in doc.layers)
    window.recompute.run_now()
    after = window.recompute.latest.active.concentration.creative_establishments
    assert abs(after - before) <= 0.01 * before  # same ground, sub-metre datum shift
    window.undo_stack.undo()
    assert doc.crs == "EPSG:32632" and doc.district(d.id).geometry.equals(before_geom)


def test_a_geographic_project_crs_is_refused_with_the_reason(window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: None))
    problem = window.set_project_crs("EPSG:4326")
    assert "metres" in problem and window.document.crs == "EPSG:32632"


def test_without_establishments_concentration_says_so_instead_of_zero(window):
    from districtplanner.analysis.roles import LayerRole

    doc = window.document
    doc.remove_layer(doc.first_layer(LayerRole.ESTABLISHMENTS).id)
    window.recompute.run_now()
    for tile in window.concentration.tiles.tiles.values():
        assert tile.value_label.text() == "—"
        assert "no establishments" in tile.detail_label.text()
    assert window.affordability.tiles["rent_median"].value_label.text() != "—"
