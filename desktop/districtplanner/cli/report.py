"""`district-planner report`: the plan as a PDF for council papers, headless.

With no ``--project`` it reports the bundled sample city with its example districts. Qt
renders offscreen (no display needed); the PDF carries the project as an attachment, so
``district-planner metrics --project plan.pdf`` reproduces its figures.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from districtplanner.model.document import Document


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``district-planner report``."""
    parser.add_argument("--project", type=Path, metavar="PLAN.gpkg",
                        help="the saved plan to report (a .gpkg project, or a plan PDF); "
                             "default: the sample city with its example districts")
    parser.add_argument("--out", required=True, type=Path, metavar="PLAN.pdf",
                        help="the PDF to write (replaced only when the export succeeds)")
    parser.add_argument("--paper", choices=("A4", "A3"), default="A4", type=str.upper,
                        help="paper size (default A4)")
    parser.add_argument("--landscape", action="store_true", help="landscape pages")
    parser.add_argument("--district", action="append", metavar="NAME", default=None,
                        help="report only this district (repeat for several); default: all")
    parser.add_argument("--title", help="plan title (default: the plan's own title)")
    parser.add_argument("--author", help="author named on the title page")
    parser.add_argument("--organisation", help="organisation named on the title page")
    parser.add_argument("--intervals", action="store_true",
                        help="add 90%% Monte Carlo intervals to the sensitivity pages (about "
                             "a second per district)")


def _document(project: Path | None) -> Document:
    if project is None:
        from districtplanner.model.build import open_sample_city

        return open_sample_city()
    from districtplanner.project import ProjectError, load_project_with_notes

    try:
        document, notes = load_project_with_notes(project)
    except ProjectError as exc:
        raise SystemExit(_fail(str(exc), 2)) from None
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return document


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    """Write the PDF; 0 on success, 1 (2 for a bad project file) with a message otherwise."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.out.suffix.lower() != ".pdf":
        return _fail(f"{args.out}: the plan is written as a PDF; give a name ending in .pdf.")
    try:
        document = _document(args.project)
    except SystemExit as exc:
        return int(exc.code or 1)
    from districtplanner.ui.app import application
    from districtplanner.ui.report import PlanOptions, ReportError, export_plan

    ids = None
    if args.district:
        by_name = {d.name.casefold(): d.id for d in document.districts}
        unknown = [n for n in args.district if n.casefold() not in by_name]
        if unknown:
            names = ", ".join(repr(d.name) for d in document.districts)
            return _fail(f"no district called {', '.join(map(repr, unknown))} in the plan; "
                         f"its districts are {names or 'none'}.")
        ids = [by_name[n.casefold()] for n in args.district]
    # The plan attached to the PDF carries the details printed on its title page.
    details = {k: v.strip() for k, v in (("title", args.title), ("author", args.author),
                                         ("organisation", args.organisation)) if v}
    before = dict(document.metadata)
    document.set_metadata(details)
    unchanged = dict(document.metadata) == before
    options = PlanOptions(district_ids=ids,
                          paper=args.paper, landscape=args.landscape,
                          intervals=args.intervals,
                          # The plan is exactly the file it was read from: attach that.
                          project_file=args.project if unchanged else None)
    application()
    try:
        result = export_plan(document, args.out, options)
    except ReportError as exc:
        return _fail(str(exc))
    attached = "with its project attached" if result.attached else "WITHOUT its project"
    print(f"wrote {result.path} ({result.pages} pages, {result.size_bytes / 1e6:.2f} MB, "
          f"{result.seconds:.2f} s, {attached})")
    return 0
