"""Smaller defects seen on a planner's own data: labels, plain numbers, the Explain panel
following the selection, and the offer of a new plan for a layer far from the open one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PySide6.QtGui import QKeySequence

from districtplanner.analysis.incentives import Instrument, InstrumentKind
from districtplanner.ui.dialogs.instrument import InstrumentDialog


def test_instrument_dialog_shows_ampersands_and_the_plans_currency(qtbot):
    dialog = InstrumentDialog(Instrument(InstrumentKind.JOB_GRANT), currency="EUR")
    qtbot.addWidget(dialog)
    film = dialog.sector_boxes["film_tv"]
    # '&&' shows as '&'; a single '&' made "Film _TV" with a mnemonic on T.
    assert film.text() == "Film && TV"
    assert QKeySequence.mnemonic(film.text()).isEmpty()
    assert dialog.spins["grant_per_job"].suffix() == " EUR/job"
    assert "currency" not in dialog.spins["grant_per_job"].suffix()


def test_compare_counts_are_whole_and_copy_pastes_plain_numbers(window):
    window.compare_dock.show()
    view = window.compare
    text = view.as_tsv()
    rows = {line.split("\t")[0]: line.split("\t") for line in text.splitlines()}
    header = rows["Figure"]
    city = header.index("Whole city")
    base = window.recompute.latest.baseline
    firms = rows["Firms"][city]
    # Plain for a spreadsheet: no thousands separators, counts whole.
    assert firms == str(round(base.concentration.establishments)) and "," not in firms
    assert all("," not in cell for line in text.splitlines()[1:]
               for cell in line.split("\t")[2:])
    assert rows["Incentives NPV"][1] == "EUR"
    # Shown: a count has no decimals ("951.0 firms" before); separators only for reading.
    r = [view.table.verticalHeaderItem(i).text() for i in range(view.table.rowCount())]
    shown = view.table.item(r.index("Creative firms"), city - 1).text()
    assert "." not in shown and shown.replace(",", "").isdigit()
    rent = rows["Median rent"][city]
    assert float(rent) == round(base.affordability.rent_median, 4)


def test_explain_follows_the_selection_and_names_the_district(window):
    doc = window.document
    first, second = doc.districts[0], doc.districts[1]
    doc.selection.set_active_district(first.id)
    window.recompute.run_now()
    tile = window.concentration.tiles["creative_jobs"]
    window.explain_figure(tile)
    assert window.explain.title.text().startswith(f"{first.name} — ")
    first_value = tile.value_label.text()
    assert window.explain.title.text().endswith(first_value)
    doc.selection.set_active_district(second.id)
    window.recompute.run_now()
    title = window.explain.title.text()
    assert title.startswith(f"{second.name} — ") and first.name not in title
    assert title.endswith(tile.value_label.text())
    assert window.explain.text.toPlainText() == tile.explanation
    doc.selection.set_active_district(None)
    window.recompute.run_now()
    assert window.explain.title.text().startswith("Whole city — ")


def test_a_far_layer_offers_a_new_plan_in_its_own_crs(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: None))
    path = tmp_path / "paris.csv"
    pd.DataFrame({"lon": [2.35, 2.36, 2.34], "lat": [48.85, 48.86, 48.87],
                  "sector": ["film_tv"] * 3}).to_csv(path, index=False)
    from districtplanner.io.readers import preview
    from districtplanner.ui.dialogs.import_layer import ImportChoice, ImportDialog, plan_extent

    dialog = ImportDialog(path, window, plan=plan_extent(window.document))
    qtbot.addWidget(dialog)
    assert "km from the plan" in dialog.messages.text()  # said before Add
    pv = preview(path)
    window.load_choice(ImportChoice(path=path, layer=pv.layer, role=pv.role,
                                    mapping=pv.mapping, source_crs=None))
    qtbot.waitUntil(lambda: not window.loader.busy, timeout=30000)
    box = window.far_layer_box
    assert box is not None and "lies far from this plan" in box.text()
    monkeypatch.setattr(window.project, "confirm_close", lambda *a, **k: True)
    new_button = next(b for b in box.buttons() if b.text() == "New plan from this file")
    opened = []
    real = window.project.replace_with
    monkeypatch.setattr(window.project, "replace_with",
                        lambda doc, **kw: opened.append(doc) or real(doc, **kw))
    new_button.click()
    assert opened and opened[0].crs == "EPSG:32631"  # Paris's own UTM zone
    assert [la.feature_count for la in opened[0].layers] == [3]
    for w in list(__import__("districtplanner.ui.project_actions",
                             fromlist=["_windows"])._windows):
        if w is not window:
            qtbot.addWidget(w)


def test_import_dialog_is_given_the_open_plan(window, monkeypatch, tmp_path):
    seen = {}

    class Probe:
        def __init__(self, path: Path, parent=None, layer=None, plan=None):
            seen["plan"] = plan
            raise __import__("districtplanner.io.errors", fromlist=["x"]).EmptyFile(path)

    monkeypatch.setattr("districtplanner.ui.dialogs.import_layer.ImportDialog", Probe)
    monkeypatch.setattr("districtplanner.ui.main_window.QMessageBox.warning",
                        staticmethod(lambda *a, **k: None))
    window.add_layer_files([tmp_path / "x.csv"])
    bounds, crs = seen["plan"]
    assert crs == window.document.crs and bounds == window.document.bounds()


def test_budget_years_cut_say_so():
    from districtplanner.ui.panels.incentives import year_list

    assert year_list([2031, 2032]) == "2031, 2032"
    assert year_list(list(range(2031, 2040))) == "2031, 2032, 2033, 2034, …"


def test_instrument_editor_opened_from_the_panel_gets_the_plans_currency(window, monkeypatch):
    seen = {}

    class Probe:
        def __init__(self, instrument, parent=None, currency="?"):
            seen["currency"] = currency

        def exec(self) -> int:
            return 0

    monkeypatch.setattr("districtplanner.ui.panels.incentives.InstrumentDialog", Probe)
    window.document.selection.set_active_district(window.document.districts[0].id)
    window.incentives.edit_instrument(0)
    assert seen["currency"] == window.document.assumptions.currency
