"""The PDF plan, exported headless and read back with poppler-utils as a reader would:
pages and paper, every district and its figures as the engine computes them, assumptions and
method headings, embedded fonts only, vector maps, no blank page, and the attached project
reopening with identical figures. Also: a failed or cancelled export leaves an earlier PDF
as it was."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from districtplanner.analysis.assumptions import PARAMETERS, format_value
from districtplanner.analysis.explain import METHODS
from districtplanner.model.build import open_sample_city
from districtplanner.model.figures import Figures
from districtplanner.project import load_project
from districtplanner.ui.report import PlanExport, PlanOptions, ReportError, export_plan

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="poppler-utils is not installed")


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def exported(qapp, tmp_path_factory):
    document = open_sample_city()
    document.set_metadata({"author": "A. Planner", "organisation": "Port Verity Council"})
    # A planner's own setting: the plan must mark it and print it with its default.
    document.set_assumptions(document.assumptions.replace(transit_near_m=450))
    path = tmp_path_factory.mktemp("report") / "plan.pdf"
    result = export_plan(document, path, PlanOptions(title="Creative districts 2027"))
    return document, path, result


def test_pages_and_paper(exported):
    document, path, result = exported
    info = _run("pdfinfo", str(path))
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages == result.pages
    # title, overview, three pages per district, comparison and appendix at least
    assert pages >= 2 + 3 * len(document.districts) + 2
    assert re.search(r"Page size:\s+595(\.\d+)? x 842(\.\d+)? pts \(A4\)", info)
    assert re.search(r"PDF version:\s+1\.6", info)
    assert re.search(r"Author:\s+A\. Planner, Port Verity Council", info)


def test_text_has_title_districts_figures_assumptions_and_methods(exported):
    document, path, _ = exported
    text = _flat(_run("pdftotext", str(path), "-"))
    assert "Creative districts 2027" in text
    assert "Port Verity Council" in text and "A. Planner" in text
    assert "Synthetic sample data" in text
    assert "This PDF carries its plan" in text
    bundle = Figures(document).compute()
    for d in document.districts:
        assert d.name in text
    for m in bundle.districts.values():
        c, a, inc = m.concentration, m.affordability, m.incentives
        shown = [f"{c.creative_jobs:,.0f}", f"{c.location_quotient:.2f}",
                 f"{c.share_of_city_creative_jobs:.1%}", f"{a.rent_median:,.2f}",
                 f"{a.displacement_risk:.2f}", f"{inc.npv:,.0f}", f"{inc.nominal_total:,.0f}",
                 f"{a.households_priced_out:,.0f}"]
        for value in shown:
            assert value in text, (m.name, value)
    # Labels wrap inside their cells (and pdftotext interleaves neighbouring cells), so
    # each assumption is found by its name, printed under the label, and its value.
    for p in PARAMETERS:
        assert p.name in text, p.name
        assert format_value(document.assumptions[p.name]) in text, p.name
    assert "* 450 m" in text and "default 400" in text
    for method in METHODS.values():
        assert method.title in text, method.title


def test_every_font_is_embedded_and_none_is_type3(exported):
    _, path, _ = exported
    rows = _run("pdffonts", str(path)).splitlines()[2:]
    assert rows
    for row in rows:
        assert "Type 3" not in row
        assert row.startswith("DejaVuSans"), row  # the bundled family, never a system one
        emb = row.split()[-5]
        assert emb == "yes", row


def test_maps_are_vector_beyond_density_and_raster_images(exported):
    _, path, result = exported
    listing = _run("pdfimages", "-list", str(path)).splitlines()[2:]
    per_page: dict[int, int] = {}
    for row in listing:
        cols = row.split()
        if cols[2] == "image":
            per_page[int(cols[0])] = per_page.get(int(cols[0]), 0) + 1
    text_pages = _run("pdftotext", str(path), "-").split("\f")
    map_pages = {i + 1 for i, t in enumerate(text_pages) if ": map" in t or "Overview of" in t}
    assert len(map_pages) == 1 + len(result.districts)
    # Only map pages hold images, and at most the rent raster and one density image each.
    assert set(per_page) <= map_pages
    assert all(n <= 1 + len(result.density_layers) for n in per_page.values())
    # The close-up district maps draw their establishments as vector dots.
    assert any(per_page.get(p, 0) <= 1 for p in map_pages)
    # A density image says so in its legend, on the page that holds it.
    for layer in result.density_layers:
        assert any(f"{layer}: density of" in _flat(text_pages[p - 1]) for p in per_page)


def _pgm(path: Path) -> np.ndarray:
    data = path.read_bytes()
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P5"
    w, h = int(parts[1]), int(parts[2])
    return np.frombuffer(parts[4][: w * h], dtype=np.uint8).reshape(h, w)


def test_no_page_renders_blank(exported, tmp_path):
    _, path, result = exported
    subprocess.run(["pdftoppm", "-r", "20", "-gray", str(path), str(tmp_path / "p")],
                   check=True)
    images = sorted(tmp_path.glob("p-*.pgm"))
    assert len(images) == result.pages
    for img in images:
        px = _pgm(img)
        inked = (px < 200).mean()
        assert inked > 0.003, f"{img.name} is (nearly) blank"


def test_the_attached_plan_reopens_with_identical_figures(exported, capsys):
    document, path, result = exported
    assert result.attached
    assert "district-plan.gpkg" in _run("pdfdetach", "-list", str(path))
    reopened = load_project(path)
    assert reopened.title == document.title
    before = Figures(document).compute()
    after = Figures(reopened).compute()
    assert json.dumps(after.baseline.to_dict(), sort_keys=True) == json.dumps(
        before.baseline.to_dict(), sort_keys=True)
    by_name = {m.name: m.to_dict() for m in after.districts.values()}
    for m in before.districts.values():
        assert json.dumps(by_name[m.name], sort_keys=True) == json.dumps(m.to_dict(),
                                                                         sort_keys=True)
    from districtplanner.cli import main

    assert main(["metrics", "--project", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in out["districts"]] == [d.name for d in document.districts]
    assert out["districts"][0]["concentration"]["creative_jobs"] == \
        before.districts[document.districts[0].id].concentration.creative_jobs


def test_cli_writes_one_district_on_a3_landscape(qapp, tmp_path, capsys):
    from districtplanner.cli import main

    out = tmp_path / "harbour.pdf"
    code = main(["report", "--out", str(out), "--paper", "A3", "--landscape",
                 "--district", "Harbourside Media Waterfront", "--title", "Harbour option"])
    assert code == 0, capsys.readouterr().err
    info = _run("pdfinfo", str(out))
    assert re.search(r"Page size:\s+1191(\.\d+)? x 842(\.\d+)? pts \(A3\)", info)
    text = _flat(_run("pdftotext", str(out), "-"))
    assert "Harbour option" in text and "Harbourside Media Waterfront" in text
    assert "Foundry Quarter Creative District" not in text
    assert main(["report", "--out", str(out), "--district", "Nowhere"]) == 1
    assert "no district called 'Nowhere'" in capsys.readouterr().err


def test_a_failed_export_leaves_the_earlier_pdf_and_says_why(qapp, tmp_path, monkeypatch):
    from districtplanner.ui.report import page

    target = tmp_path / "plan.pdf"
    target.write_bytes(b"%PDF earlier plan")
    calls = {"n": 0}
    real = page.PlanCanvas.new_page

    def full_disk(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(page.PlanCanvas, "new_page", full_disk)
    with pytest.raises(ReportError) as err:
        export_plan(open_sample_city(), target)
    assert "No space left on device" in str(err.value)
    assert "unchanged" in str(err.value)
    assert target.read_bytes() == b"%PDF earlier plan"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.pdf"]


def test_a_cancelled_export_writes_nothing(qapp, tmp_path):
    target = tmp_path / "plan.pdf"
    target.write_bytes(b"%PDF earlier plan")
    export = PlanExport(open_sample_city(), target)
    steps = export.steps()
    for _ in range(4):
        next(steps)
    steps.close()  # what Cancel does
    assert target.read_bytes() == b"%PDF earlier plan"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.pdf"]
    assert export.result is None


def test_bad_choices_are_refused_with_the_reason(qapp, tmp_path):
    doc = open_sample_city()
    with pytest.raises(ReportError, match="Paper size"):
        PlanExport(doc, tmp_path / "x.pdf", PlanOptions(paper="Letter"))
    with pytest.raises(ReportError, match="None of the chosen districts"):
        PlanExport(doc, tmp_path / "x.pdf", PlanOptions(district_ids=["nope"]))
    with pytest.raises(ReportError, match="does not exist"):
        export_plan(doc, tmp_path / "missing" / "x.pdf")


def test_dialog_exports_the_ticked_districts_with_progress(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from districtplanner.ui.dialogs.export_plan import ExportPlanDialog

    doc = open_sample_city()
    dialog = ExportPlanDialog(doc, path=tmp_path / "council.pdf")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.title_edit.setText("Item 7: creative districts")
    dialog.organisation_edit.setText("Port Verity Council")
    dialog.districts.item(0).setCheckState(Qt.CheckState.Unchecked)
    seen = []
    dialog.progress.valueChanged.connect(seen.append)
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000) as done:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        assert not dialog.export_button.isEnabled()  # the choices lock while writing
    result = done.args[0]
    assert result.path == tmp_path / "council.pdf"
    assert len(seen) >= 5  # the progress bar moved page by page, not in one jump
    text = _flat(_run("pdftotext", str(result.path), "-"))
    assert "Item 7: creative districts" in text
    assert doc.districts[0].name not in text
    assert doc.districts[1].name in text and doc.districts[2].name in text


def _slow_overview(monkeypatch, seconds: float) -> dict[str, float]:
    """Make the overview map page take ``seconds`` longer (a million-point map), recording
    when it ran; time.sleep lets go of the GIL as the real drawing mostly does."""
    import time

    from districtplanner.ui.report.plan import PlanExport

    real = PlanExport._map_page
    seen: dict[str, float] = {}

    def slow(self, c, drawer, heading, district, figures):
        if district is None:
            seen["start"] = time.monotonic()
            time.sleep(seconds)
            seen["end"] = time.monotonic()
        return real(self, c, drawer, heading, district, figures)

    monkeypatch.setattr(PlanExport, "_map_page", slow)
    return seen


def test_the_window_keeps_running_while_a_plan_is_written(qtbot, tmp_path, monkeypatch):
    """The pages are drawn off the GUI thread: a timer on the GUI thread keeps ticking
    through a page that takes seconds (drawn on the GUI thread, it would stop for the
    whole page)."""
    import time

    from PySide6.QtCore import Qt, QTimer

    from districtplanner.ui.dialogs.export_plan import ExportPlanDialog

    seen = _slow_overview(monkeypatch, 1.5)
    dialog = ExportPlanDialog(open_sample_city(), path=tmp_path / "plan.pdf")
    qtbot.addWidget(dialog)
    dialog.show()
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    timer.stop()
    during = [t for t in ticks if seen["start"] <= t <= seen["end"]]
    assert len(during) >= 10, f"only {len(during)} ticks during a 1.5 s page"
    edges = [seen["start"], *during, seen["end"]]
    assert max(b - a for a, b in itertools.pairwise(edges)) < 0.5
    assert (tmp_path / "plan.pdf").exists()


def test_dialog_cancel_during_a_long_page_writes_nothing(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt

    from districtplanner.ui.dialogs.export_plan import ExportPlanDialog

    seen = _slow_overview(monkeypatch, 1.5)
    target = tmp_path / "plan.pdf"
    target.write_bytes(b"%PDF earlier plan")
    dialog = ExportPlanDialog(open_sample_city(), path=target)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "start" in seen, timeout=30_000)
    # The click is handled while the worker is still inside the page.
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert "end" not in seen
    assert dialog.running and "Cancelling" in dialog.status.text()
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    assert "cancelled" in dialog.status.text()
    assert dialog.export_button.isEnabled()
    assert dialog.result is None
    assert target.read_bytes() == b"%PDF earlier plan"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.pdf"]


def test_closing_the_dialog_while_writing_cancels_first(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt

    from districtplanner.ui.dialogs.export_plan import ExportPlanDialog

    seen = _slow_overview(monkeypatch, 1.0)
    dialog = ExportPlanDialog(open_sample_city(), path=tmp_path / "plan.pdf")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "start" in seen, timeout=30_000)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()  # stays until the worker has stopped and cleaned up
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)
    assert not dialog.running
    assert list(tmp_path.iterdir()) == []


def test_dialog_says_why_when_no_district_is_ticked(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from districtplanner.ui.dialogs.export_plan import ExportPlanDialog

    dialog = ExportPlanDialog(open_sample_city(), path=tmp_path / "x.pdf")
    qtbot.addWidget(dialog)
    for i in range(dialog.districts.count()):
        dialog.districts.item(i).setCheckState(Qt.CheckState.Unchecked)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert "Tick at least one district" in dialog.status.text()
    assert not dialog.running
    assert not (tmp_path / "x.pdf").exists()


def _has_sensitivity() -> bool:
    from districtplanner.analysis.metrics import Metrics

    return hasattr(Metrics, "tornado") and hasattr(Metrics, "sensitivity")


@pytest.mark.skipif(not _has_sensitivity(), reason="analysis.sensitivity is not in this tree")
def test_sensitivity_pages_carry_tornados_and_the_monte_carlo_intervals(qapp, tmp_path,
                                                                         capsys):
    from districtplanner.cli import main

    doc = open_sample_city()
    name = doc.districts[1].name
    out = tmp_path / "uncertain.pdf"
    assert main(["report", "--out", str(out), "--district", name, "--intervals"]) == 0, \
        capsys.readouterr().err
    text = _flat(_run("pdftotext", str(out), "-"))
    assert f"{name}: sensitivity" in text
    assert "Tornado: Net present cost of the package" in text
    bundle = Figures(doc).compute()
    sens = bundle.districts[doc.districts[1].id].sensitivity()
    npv = sens.figures["npv"].interval
    assert f"{npv['p5']:,.0f} to {npv['p95']:,.0f}" in text
    risk = sens.figures["displacement_risk"].interval
    assert f"{risk['p5']:.2f} to {risk['p95']:.2f}" in text
    assert f"{sens.draws:,} Latin-hypercube draws" in text


def test_cli_reports_a_saved_project_and_attaches_that_very_file(qapp, tmp_path, capsys):
    from districtplanner.cli import main
    from districtplanner.project import save_project
    from districtplanner.project.pdf import embedded_project

    doc = open_sample_city()
    doc.set_metadata({"title": "Saved plan", "author": "B. Officer"})
    saved = tmp_path / "saved.gpkg"
    save_project(doc, saved)
    out = tmp_path / "saved.pdf"
    assert main(["report", "--project", str(saved), "--out", str(out)]) == 0, \
        capsys.readouterr().err
    name, data = embedded_project(out)
    assert name == "district-plan.gpkg"
    assert data == saved.read_bytes()
    text = _flat(_run("pdftotext", str(out), "-"))
    assert "Saved plan" in text and "B. Officer" in text
    # A PDF as the project: the plan inside it is reported again, the same figures.
    again = tmp_path / "again.pdf"
    assert main(["report", "--project", str(out), "--out", str(again)]) == 0
    first = Figures(load_project(out)).compute()
    second = Figures(load_project(again)).compute()
    assert json.dumps(second.baseline.to_dict(), sort_keys=True) == json.dumps(
        first.baseline.to_dict(), sort_keys=True)
    assert main(["report", "--project", str(tmp_path / "nope.gpkg"), "--out",
                 str(tmp_path / "x.pdf")]) == 2
    assert "nope.gpkg" in capsys.readouterr().err


def test_file_menu_exports_the_plan_the_window_shows(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QTimer

    from districtplanner.ui.dialogs import export_plan as dialog_module

    actions = {a.text().replace("&", ""): a for a in window.menuBar().actions()[0].menu()
               .actions()}
    action = actions["Export plan (PDF)…"]
    opened = []

    class Recording(dialog_module.ExportPlanDialog):
        def exec(self) -> int:
            opened.append(self)
            self.path_edit.setText(str(tmp_path / "from-window.pdf"))
            QTimer.singleShot(0, self.start)
            return super().exec()

    monkeypatch.setattr(dialog_module, "ExportPlanDialog", Recording)
    action.trigger()
    dialog = opened[0]
    assert dialog.figures is window.session.figures  # the figures the panels show
    assert dialog.result is not None
    assert (tmp_path / "from-window.pdf").exists()
    assert "Wrote the plan" in window.notice_label.text()


def test_details_typed_in_the_dialog_go_into_the_plan_and_its_attachment(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from districtplanner.model.session import Session
    from districtplanner.ui.dialogs.export_plan import ExportPlanDialog

    session = Session(open_sample_city())
    dialog = ExportPlanDialog(session.document, session.figures, path=tmp_path / "p.pdf",
                              stack=session.stack)
    qtbot.addWidget(dialog)
    dialog.author_edit.setText("C. Councillor")
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert session.document.metadata["author"] == "C. Councillor"
    assert session.stack.can_undo  # one undoable step, like any edit
    assert load_project(tmp_path / "p.pdf").metadata["author"] == "C. Councillor"
    session.stack.undo()
    assert session.document.metadata["author"] == ""


def test_point_xy_takes_points_as_they_are_and_others_by_a_point_on_them():
    """The map pages read every point layer through point_xy; only non-points need GEOS."""
    import geopandas as gpd
    import shapely

    from districtplanner.ui.map.styling import point_xy

    square = shapely.box(10, 10, 12, 12)
    gdf = gpd.GeoDataFrame(geometry=[shapely.Point(1, 2), square, None, shapely.Point(3, 4)])
    x, y = point_xy(gdf)
    assert (x[0], y[0]) == (1, 2) and (x[3], y[3]) == (3, 4)
    assert square.contains(shapely.Point(x[1], y[1]))
    assert np.isnan(x[2]) and np.isnan(y[2])


def test_the_rent_surface_meets_the_river_without_white_steps():
    """Cells masked because their centre is in the water take their nearest land value on
    paper (the water polygon drawn above hides them), so no white stair-steps show along
    the banks; no-data far from the data stays empty."""
    from districtplanner.ui.report.map_drawing import _bleed_rim

    values = np.full((5, 6), np.nan)
    values[:2] = 10.0  # land north of a river three cells wide
    values[2:, :3] = np.nan
    values[4, 5] = 20.0
    filled, drawn = _bleed_rim(values, np.isfinite(values))
    assert (filled[2] == 10.0).all() and drawn[2].all()  # the bank row, next to land
    assert filled[3, 5] == 20.0 and filled[4, 4] == 20.0
    assert np.isnan(filled[4, 0]) and not drawn[4, 0]  # two cells from any data
    assert np.isnan(values[2]).all()  # the layer's own values are untouched


def test_a_legend_of_nine_rows_in_two_columns_shows_all_nine(qapp, tmp_path):
    """With nine legend rows (the 1M city's layers) the fifth row of the first column fits
    its box exactly and must not be dropped (it was: Establishments went missing)."""
    import dataclasses

    document = open_sample_city()
    stops = next(la for la in document.layers if la.name == "Transit stops")
    document.add_layer(dataclasses.replace(stops, name="Night bus stops", id="night-bus"))
    path = tmp_path / "nine.pdf"
    export_plan(document, path, PlanOptions(attach_project=False))
    overview = _flat(_run("pdftotext", "-f", "2", "-l", "2", str(path), "-"))
    for layer in document.layers:
        assert layer.name in overview.split("Sources:")[0], layer.name


def test_a_folder_that_cannot_be_written_is_named(qapp, tmp_path, monkeypatch):
    import tempfile

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    with pytest.raises(ReportError) as err:
        export_plan(open_sample_city(), tmp_path / "plan.pdf")
    assert "Permission denied" in str(err.value) and "another folder" in str(err.value)
    assert list(tmp_path.iterdir()) == []
