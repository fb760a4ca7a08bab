"""Export a plan as a PDF for council papers, carrying its own project as an attachment.

:class:`PlanExport` writes the pages step by step (``steps()`` yields between pages, for a
progress bar; :meth:`PlanExport.cancel` may be called from another thread); the window
runs it in a worker thread (QPainter on a QPdfWriter and QTextDocument work off the GUI
thread), :func:`export_plan` runs it at once (the CLI). Meanwhile the project file is
written and deflated by :func:`~districtplanner.project.pdf.pack_project` (in a forked
child at a million points), and appended to the finished pages at the end. The PDF is
written to temporary files beside the target and moved over it only when complete:
QPdfWriter truncates its file at once, and a failed or cancelled export must leave an
earlier plan intact.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from html import escape
from pathlib import Path

import pyproj
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor

from districtplanner import __version__
from districtplanner.analysis.citydata import CityDataError
from districtplanner.analysis.metrics import Metrics
from districtplanner.io.errors import Cancelled
from districtplanner.model.district import District
from districtplanner.model.document import Document
from districtplanner.model.figures import Figures
from districtplanner.paths import sample_city_dir
from districtplanner.project import ProjectError
from districtplanner.project.pdf import (
    ATTACHMENT_NAME,
    PackedProject,
    attach_project,
    pack_project,
)
from districtplanner.ui.report import charts, tables
from districtplanner.ui.report.fonts import font
from districtplanner.ui.report.map_drawing import MapDrawer, document_extent
from districtplanner.ui.report.page import MUTED, PAPERS, PlanCanvas


class ReportError(Exception):
    """The plan could not be exported; the message says why and what to do."""


@dataclass
class PlanOptions:
    """What goes in the plan. Empty title/author/organisation take the plan's own details;
    ``district_ids`` None means every district."""

    title: str = ""
    author: str = ""
    organisation: str = ""
    district_ids: list[str] | None = None
    paper: str = "A4"
    landscape: bool = False
    attach_project: bool = True
    # A saved project file holding exactly this plan (unchanged since saved or opened):
    # attached as it is instead of writing the plan again (seconds for a million points).
    project_file: Path | None = None
    # 90% Monte Carlo intervals on the sensitivity pages (about a second per district,
    # computed in a worker while the pages are drawn); the tornados are always there.
    intervals: bool = False


@dataclass
class PlanResult:
    """What was written."""

    path: Path
    pages: int
    size_bytes: int
    seconds: float
    attached: bool
    districts: list[str] = field(default_factory=list)
    density_layers: list[str] = field(default_factory=list)


@dataclass
class PlanFigures:
    """The figures the plan prints: the whole city, each chosen district, and the reason for
    every chosen district whose figures could not be computed."""

    baseline: Metrics
    districts: list[tuple[District, Metrics]]
    failures: dict[str, str] = field(default_factory=dict)


def compute_figures(document: Document, districts: Sequence[District],
                    figures: Figures | None = None) -> PlanFigures:
    """The figures of ``districts`` from the plan's Figures (the window passes its own, so
    the plan prints exactly what the panels show and reuses their cache)."""
    figures = figures if figures is not None else Figures(document)
    try:
        figures.ensure_index()
        bundle = figures.compute()
    except (CityDataError, ValueError) as exc:
        raise ReportError(f"The plan's figures could not be computed: {exc}") from None
    if bundle.baseline is None:
        raise ReportError("The plan's figures could not be computed: "
                          f"{bundle.baseline_failure or 'no layers to analyse'}.")
    out = [(d, bundle.districts[d.id]) for d in districts if d.id in bundle.districts]
    failures = {d.name: bundle.failures.get(d.id, "not computed")
                for d in districts if d.id not in bundle.districts}
    return PlanFigures(bundle.baseline, out, failures)


def is_sample_city(document: Document) -> bool:
    """True when the plan's layers come from the bundled (or a generated) synthetic city."""
    sample = str(sample_city_dir())
    sources = [la.source for la in document.layers if la.source]
    return bool(sources) and all(s.startswith((sample, "generated")) for s in sources)


def _long_date(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _crs_name(crs: str) -> str:
    try:
        c = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        return crs or "unknown CRS"
    code = c.to_epsg()
    return f"{c.name}" + (f" (EPSG:{code})" if code else "")


class PlanExport:
    """One export of ``document`` to ``path``. Iterate :meth:`steps` (or call :meth:`run`);
    closing the iterator early cancels and removes the partial file."""

    def __init__(self, document: Document, path: str | Path, options: PlanOptions | None = None,
                 figures: Figures | None = None) -> None:
        self.document = document
        self.path = Path(path)
        self.options = options or PlanOptions()
        if self.options.paper not in PAPERS:
            raise ReportError(f"Paper size {self.options.paper!r} is not offered; use "
                              f"{' or '.join(PAPERS)}.")
        self.figures = figures
        wanted = self.options.district_ids
        self.districts = [d for d in document.districts
                          if wanted is None or d.id in wanted]
        if wanted is not None and not self.districts:
            raise ReportError("None of the chosen districts is in the plan; choose at least "
                              "one district, or all of them.")
        meta = dict(getattr(document, "metadata", {}) or {})
        self.title = (self.options.title or meta.get("title") or document.title
                      or "District plan").strip()
        self.author = (self.options.author or meta.get("author", "")).strip()
        self.organisation = (self.options.organisation or meta.get("organisation", "")).strip()
        self.today = date.today()
        self.sample = is_sample_city(document)
        self.result: PlanResult | None = None
        self._figures: PlanFigures | None = None
        self._cancel = threading.Event()

    def prepare_figures(self) -> None:
        """Compute the figures now, on this thread (milliseconds from the window's cache),
        so a worker running :meth:`steps` never touches the window's Figures."""
        self._figures = compute_figures(self.document, self.districts, self.figures)

    def cancel(self) -> None:
        """Stop at the next step (any thread); :meth:`steps` then raises io's Cancelled and
        removes its temporary files."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def total_steps(self) -> int:
        """How many times :meth:`steps` yields, for a progress bar: figures, title page,
        overview, four pages per district, comparison, appendix, attaching."""
        return 6 + 4 * len(self.districts)

    def run(self, progress: Callable[[int, int, str], None] | None = None) -> PlanResult:
        """Write the whole plan; ``progress(done, total, what)`` after each step."""
        for i, what in enumerate(self.steps(), start=1):
            if progress is not None:
                progress(i, self.total_steps, what)
        assert self.result is not None
        return self.result

    # ------------------------------------------------------------------ the steps
    def steps(self) -> Iterator[str]:
        """Yield before each step; raises Cancelled after :meth:`cancel`. Closing the
        iterator early also stops and cleans up."""
        inner = self._steps()
        try:
            for what in inner:
                yield what
                if self._cancel.is_set():
                    raise Cancelled()
        finally:
            inner.close()

    def _steps(self) -> Iterator[str]:
        t0 = time.perf_counter()
        folder = self.path.parent
        if not folder.is_dir():
            raise ReportError(f"{self.path}: the folder {folder} does not exist; choose "
                              "another place for the plan.")
        temps: list[Path] = []
        try:
            for suffix in (".pdf.part", ".pdf.attached.part"):
                fd, name = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=suffix,
                                            dir=folder)
                os.close(fd)
                temps.append(Path(name))
        except OSError as exc:
            for temp in temps:
                temp.unlink(missing_ok=True)
            raise ReportError(f"{self.path}: the plan cannot be written in {folder} ({exc}); "
                              "choose another folder.") from None
        pages_file, whole_file = temps
        canvas: PlanCanvas | None = None
        done = False
        # Two workers: the project file (mostly waiting on its child process) and the
        # Monte Carlo intervals must not queue behind each other.
        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="plan")
        stop = threading.Event()  # set on Cancel and on any failure: ends the packing
        try:
            packing = (self._start_packing(pool, lambda: stop.is_set() or
                                           self._cancel.is_set())
                       if self.options.attach_project else None)
            yield "Computing the figures"
            figures = self._figures or compute_figures(self.document, self.districts,
                                                       self.figures)
            intervals = ({d.id: pool.submit(m.sensitivity) for d, m in figures.districts
                          if hasattr(m, "sensitivity")} if self.options.intervals else {})
            canvas = PlanCanvas(str(pages_file), self.options.paper, self.options.landscape,
                                self.title, _long_date(self.today),
                                f"District Planner {__version__}",
                                ", ".join(v for v in (self.author, self.organisation) if v))
            drawer = MapDrawer(canvas, self.document)
            dense: list[str] = []
            yield "Title page"
            self._title_page(canvas, figures, packing is not None)
            yield "Overview map"
            dense += self._map_page(canvas, drawer, "Overview of the proposed districts",
                                    None, figures)
            for district, m in figures.districts:
                yield f"{district.name}: map"
                dense += self._map_page(canvas, drawer, f"{district.name}: map", district,
                                        figures)
                yield f"{district.name}: figures"
                self._figures_page(canvas, district, m, figures.baseline)
                yield f"{district.name}: charts"
                self._charts_page(canvas, district, m)
                yield f"{district.name}: sensitivity"
                self._sensitivity_page(canvas, district, m, intervals.get(district.id))
            yield "Comparison"
            self._comparison(canvas, figures)
            yield "Appendix"
            self._appendix(canvas, figures)
            yield "Attaching the plan and closing the file"
            pages = canvas.page_number
            attached = self._close_and_attach(canvas, packing, pages_file, whole_file)
            canvas = None
            done = True
            self.result = PlanResult(
                self.path, pages, self.path.stat().st_size, time.perf_counter() - t0,
                attached, [d.name for d in self.districts], sorted(set(dense)))
        except OSError as exc:
            raise ReportError(f"{self.path}: the plan could not be written ({exc}); any "
                              "earlier file there is unchanged. Choose another folder or free "
                              "some disk space.") from None
        finally:
            if not done:
                stop.set()  # kills the project's child process at once
            pool.shutdown(wait=True, cancel_futures=True)
            if canvas is not None:
                canvas.finish()
            for temp in temps:
                with contextlib.suppress(OSError):
                    temp.unlink()

    def _start_packing(self, pool: ThreadPoolExecutor,
                       cancelled: Callable[[], bool]) -> Future:
        """Start writing and deflating the project file beside the page drawing."""
        return pool.submit(pack_project, self.document, self.options.project_file,
                           cancelled)

    def _close_and_attach(self, canvas: PlanCanvas, packing: Future | None,
                          pages_file: Path, whole_file: Path) -> bool:
        """Close the pages, append the project (waiting for it if needed; Cancel stops the
        wait) and move the whole PDF to :attr:`path`; whether the project is attached."""
        canvas.finish()
        del canvas.writer
        if pages_file.stat().st_size == 0:
            raise OSError("the PDF writer produced an empty file")
        packed = self._packed(packing)
        if packed is None:
            os.replace(pages_file, self.path)
            return False
        attach_project(pages_file, packed, whole_file)
        os.replace(whole_file, self.path)
        return True

    @staticmethod
    def _packed(packing: Future | None) -> PackedProject | None:
        if packing is None:
            return None
        try:
            return packing.result()
        except ProjectError as exc:
            raise ReportError(f"The plan could not be saved into the PDF: {exc.message}. "
                              "Nothing was written.") from None

    # ------------------------------------------------------------------ pages
    def _title_page(self, c: PlanCanvas, figures: PlanFigures, attached: bool) -> None:
        p = c.new_page(running_header=False)
        page = c.page_rect
        band = QRectF(0, 0, page.width(), c.pt(150))
        p.fillRect(band, QColor("#0B4F7A"))
        body = c.body
        p.setPen(QColor("#FFFFFF"))
        p.setFont(font(9))
        p.drawText(QRectF(body.left(), c.pt(36), body.width(), c.pt(14)),
                   int(Qt.AlignmentFlag.AlignLeft), (self.organisation or "Planning report")
                   .upper())
        p.setFont(font(24, bold=True))
        p.drawText(QRectF(body.left(), c.pt(56), body.width(), c.pt(80)),
                   int(Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap), self.title)
        cur = self.document.assumptions.currency
        rows = "".join(
            f"<tr><td><b>{escape(d.name)}</b></td><td>{escape(tables.summary_line(m, cur))}"
            "</td></tr>" for d, m in figures.districts)
        details = [("Date", _long_date(self.today))]
        if self.author:
            details.insert(0, ("Author", self.author))
        if self.organisation:
            details.insert(0, ("Organisation", self.organisation))
        if not figures.districts and not figures.failures:
            rows = ("<tr><td colspan='2' class='muted'>This plan has no districts yet: the "
                    "pages show the whole city only. Draw a district in the app (or import "
                    "one) to report it.</td></tr>")
        if figures.failures:
            rows += "".join(
                f"<tr><td><b>{escape(name)}</b></td><td class='mark'>not computed: "
                f"{escape(reason)}</td></tr>" for name, reason in figures.failures.items())
        det = "".join(f"<tr><td class='muted'>{k}</td><td>{escape(v)}</td></tr>"
                      for k, v in details)
        sample = ("<p style='background-color:#FFF1D6'><b>Synthetic sample data.</b> The "
                  "city in this plan is Port Verity, a made-up city generated for "
                  "demonstration; no figure describes a real place.</p>"
                  if self.sample else "")
        carried = ("<p><b>This PDF carries its plan.</b> The complete project (layers, "
                   "districts, incentive packages and assumptions) is attached to this file "
                   f"as <i>{ATTACHMENT_NAME}</i>. Open the PDF with File &gt; Open in "
                   "District Planner, or run <i>district-planner metrics --project "
                   "plan.pdf</i>, to reproduce every figure.</p>" if attached else
                   "<p class='muted'>The project file could not be attached to this PDF; "
                   "keep the .gpkg project with it to reproduce the figures.</p>")
        html = (f"<table cellspacing='0' style='border:none'>{det}</table>{sample}"
                f"<h2>Proposed districts</h2><table width='100%' cellspacing='0'>"
                f"<tr><th>District</th><th>Summary</th></tr>{rows}</table>"
                f"<h2>About this plan</h2><p>Figures for each district beside the whole city: "
                "what it would concentrate, whom it would put at risk and what its "
                "incentives would cost, with maps, charts, a comparison of all districts, "
                "and an appendix of every assumption, incentive package and method.</p>"
                f"<p class='muted'>Map CRS: {escape(_crs_name(self.document.crs))}. Made "
                f"with District Planner {__version__}.</p>{carried}")
        c.draw_html(html, QRectF(body.left(), band.bottom() + c.pt(24), body.width(),
                                 body.bottom() - band.bottom() - c.pt(24)), 9.5)
        p.setPen(MUTED)
        p.setFont(font(7.5))
        p.drawText(QRectF(body.left(), page.bottom() - c.pt(40), body.width(), c.pt(12)),
                   int(Qt.AlignmentFlag.AlignRight), f"Page {c.page_number}")

    def _map_page(self, c: PlanCanvas, drawer: MapDrawer, heading: str,
                  district: District | None, figures: PlanFigures) -> list[str]:
        c.new_page()
        body = c.body
        h = c.draw_html(f"<h1>{escape(heading)}</h1>", body)
        top = body.top() + h + c.pt(4)
        landscape = body.width() > body.height()
        panel = c.pt(170) if landscape else c.pt(190)
        if landscape:
            map_rect = QRectF(body.left(), top, body.width() - panel - c.pt(12),
                              body.bottom() - top)
            side = QRectF(map_rect.right() + c.pt(12), top, panel, body.bottom() - top)
        else:
            map_rect = QRectF(body.left(), top, body.width(), body.bottom() - top - panel)
            side = QRectF(body.left(), map_rect.bottom() + c.pt(10), body.width(),
                          panel - c.pt(10))
        shown = [d for d, _ in figures.districts]
        if district is None:
            extent = document_extent(self.document)
            if shown:
                b = [d.geometry.bounds for d in shown]
                extent = (min(x[0] for x in b), min(x[1] for x in b), max(x[2] for x in b),
                          max(x[3] for x in b))
                w, hgt = extent[2] - extent[0], extent[3] - extent[1]
                pad = max(w, hgt) * 0.35
                extent = (extent[0] - pad, extent[1] - pad, extent[2] + pad, extent[3] + pad)
        else:
            x0, y0, x1, y1 = district.geometry.bounds
            pad = max(x1 - x0, y1 - y0) * 0.25 + 100
            extent = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
        drawn = drawer.draw(map_rect, extent, shown, focus=district)
        # North arrow inside the map's top right corner, on a white chip.
        p = c.painter
        assert p is not None
        chip = QRectF(map_rect.right() - c.pt(34), map_rect.top() + c.pt(6), c.pt(28),
                      c.pt(40))
        p.setPen(c.pen("#9A9A9A", 0.4))
        p.setBrush(QColor(255, 255, 255, 230))
        p.drawRect(chip)
        drawer.north_arrow(QPointF(chip.center().x(), chip.center().y() + c.pt(5)), 22)
        legend_cols = 1 if landscape else 2
        legend_h = min(side.height() * 0.6, c.pt(11) * max(
            1, -(-len(drawn.legend) // legend_cols)))
        drawer.legend(QRectF(side.left(), side.top(), side.width(), legend_h), drawn.legend,
                      legend_cols)
        y = side.top() + legend_h + c.pt(18)
        used = drawer.scale_bar(QPointF(side.left(), y), drawn, min(side.width() * 0.45,
                                                                     c.pt(160)))
        notes = [f"Coordinate reference system: {_crs_name(self.document.crs)}; grid north "
                 "up. Scale bar measured in the plan's metric CRS."]
        if drawn.density_layers:
            notes.append("Dense point layers are drawn as density images at print "
                          "resolution (darker = more points).")
        notes.append("Sources: " + "; ".join(drawer.sources()))
        c.draw_html("<p class='small muted'>" + "<br/>".join(escape(n) for n in notes)
                    + "</p>", QRectF(side.left(), y + used - c.pt(8), side.width(),
                                     side.bottom() - y - used + c.pt(8)), 7)
        return drawn.density_layers

    def _figures_page(self, c: PlanCanvas, district: District, m: Metrics,
                      baseline: Metrics) -> None:
        c.new_page()
        cur = self.document.assumptions.currency
        notes = f"<p>{escape(district.notes)}</p>" if district.notes else ""
        html = (f"<h1>{escape(district.name)}: headline figures</h1>{notes}"
                f"<p class='muted'>The figures of the Concentration, Affordability and "
                f"Incentives panels for this district beside the whole city. '–' marks a "
                f"figure that is undefined for its inputs. Money in {escape(cur)}.</p>"
                f"{tables.figures_table(m, baseline, cur)}"
                f"<h2>Creative sectors</h2>{tables.sector_table(m)}")
        c.draw_html(html, c.body, 8.5)

    def _charts_page(self, c: PlanCanvas, district: District, m: Metrics) -> None:
        c.new_page()
        body = c.body
        h = c.draw_html(f"<h1>{escape(district.name)}: charts</h1>", body)
        top = body.top() + h + c.pt(6)
        gap = c.pt(18)
        cols = 2 if body.width() > body.height() else 1
        rows = 4 // cols
        w = (body.width() - gap * (cols - 1)) / cols
        hh = (body.bottom() - top - gap * (rows - 1)) / rows
        cells = [QRectF(body.left() + (i % cols) * (w + gap), top + (i // cols) * (hh + gap),
                        w, hh) for i in range(4)]
        cur = self.document.assumptions.currency
        charts.sector_lq(c, cells[0], m.concentration)
        charts.rent_histogram(c, cells[1], m.affordability, cur)
        charts.incentive_costs(c, cells[2], m.incentives)
        charts.projection(c, cells[3], m.projection)

    def _sensitivity_page(self, c: PlanCanvas, district: District, m: Metrics,
                          interval: Future | None) -> None:
        c.new_page()
        body = c.body
        cur = self.document.assumptions.currency
        sens = interval.result() if interval is not None else (
            m.tornado() if hasattr(m, "tornado") else None)
        intro = ("<p class='muted'>How far each headline figure moves with the assumptions "
                 "behind it (HM Treasury Green Book: sensitivity and switching values). Each "
                 "assumption is set alone to the low and the high end of its plausible range "
                 "(appendix), the others as set. ")
        if sens is not None and getattr(sens, "draws", 0):
            intro += (f"The 90% intervals come from {sens.draws:,} Latin-hypercube draws of "
                      f"all uncertain assumptions together (seed {sens.seed}).</p>")
        else:
            intro += ("90% intervals were not computed for this export (tick them in the "
                      "export dialog, or 'report --intervals').</p>")
        if sens is None:
            c.draw_html(f"<h1>{escape(district.name)}: sensitivity</h1><p>No sensitivity "
                        "analysis for this district.</p>", body)
            return
        h = c.draw_html(f"<h1>{escape(district.name)}: sensitivity</h1>{intro}"
                        + tables.sensitivity_table(sens, cur), body, 8)
        top = body.top() + h + c.pt(14)
        keys = [k for k in ("npv", "displacement_risk") if k in sens.figures]
        if not keys or body.bottom() - top < c.pt(120):
            return
        gap = c.pt(14)
        hh = (body.bottom() - top - gap * (len(keys) - 1)) / len(keys)
        for i, key in enumerate(keys):
            charts.tornado(c, QRectF(body.left(), top + i * (hh + gap), body.width(), hh),
                           sens.figures[key], tables.SENSITIVITY_FORMATS.get(key, ",.2f"))

    def _comparison(self, c: PlanCanvas, figures: PlanFigures) -> None:
        cur = self.document.assumptions.currency
        entries = [m for _, m in figures.districts] + [figures.baseline]
        html = ("<h1>Comparison of the districts</h1><p class='muted'>Every chosen district "
                "beside the whole city, with the same figures as the district pages.</p>"
                + tables.comparison_table(entries, cur)
                + tables.displacement_methods_table(entries))
        c.flow_html(html, 8 if len(entries) <= 5 else 7)

    def _appendix(self, c: PlanCanvas, figures: PlanFigures) -> None:
        html = ("<h1>Appendix</h1>"
                + tables.assumptions_html(self.document.assumptions)
                + tables.instruments_html([(d.name, d.instruments)
                                           for d, _ in figures.districts])
                + tables.methods_html())
        c.flow_html(html, 7.5)


def export_plan(document: Document, path: str | Path, options: PlanOptions | None = None,
                figures: Figures | None = None,
                progress: Callable[[int, int, str], None] | None = None) -> PlanResult:
    """Write the plan PDF of ``document`` to ``path`` (see :class:`PlanExport`)."""
    return PlanExport(document, path, options, figures).run(progress)


__all__ = ["PlanExport", "PlanFigures", "PlanOptions", "PlanResult", "ReportError",
           "compute_figures", "export_plan"]
