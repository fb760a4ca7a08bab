"""The command line. With no subcommand it starts the GUI; subcommands work headless and
call analysis/io/model exactly as the UI does. Qt is imported only to start the GUI or to
render a screenshot, so the headless commands run on machines without display libraries."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from districtplanner import __version__

SUBCOMMANDS = ("gui", "metrics", "screenshot", "make-sample-city", "selftest", "project",
               "report")

# Subcommands whose options live in their own module. build_parser imports such a module
# only for the command being run: cli.metrics pulls in the whole analysis stack (~0.8 s),
# which opening the app must not pay for.
COMMAND_MODULES = {
    "metrics": "districtplanner.cli.metrics",
    "selftest": "districtplanner.cli.selftest",
    "project": "districtplanner.cli.project",
    "report": "districtplanner.cli.report",
}


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1600x1000, not {text!r}") from None
    if not (200 <= w <= 8000 and 200 <= h <= 8000):
        raise argparse.ArgumentTypeError("width and height must lie between 200 and 8000 pixels")
    return w, h


def _add_module_arguments(parser: argparse.ArgumentParser, name: str,
                          command: str | None) -> None:
    """The options of ``name`` from its module, when ``command`` (None: all) is it."""
    module = COMMAND_MODULES[name]
    if command in (None, name) and importlib.util.find_spec(module) is not None:
        importlib.import_module(module).add_arguments(parser)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command`` it loads only that subcommand's options module."""
    parser = argparse.ArgumentParser(
        prog="district-planner",
        description="Plan creative districts: concentration, displacement risk and incentive "
        "cost. With no command, opens the app (on the bundled sample city, or on FILES).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the app (the default)")
    gui.add_argument("files", nargs="*", type=Path, help="data files to open as layers")

    shot = sub.add_parser("screenshot", help="render the main window headless to a PNG")
    shot.add_argument("--out", required=True, type=Path, help="PNG file to write")
    shot.add_argument("--size", type=_size, default=(1600, 1000), help="WIDTHxHEIGHT pixels")
    shot.add_argument("--workshop", action="store_true",
                      help="render the workshop room view (scenario columns) instead")
    shot.add_argument("--project", type=Path, metavar="PLAN.gpkg",
                      help="a saved plan (or a plan PDF) to render instead of files")
    shot.add_argument("files", nargs="*", type=Path, help="data files (default: sample city)")

    make = sub.add_parser("make-sample-city", help="generate a synthetic city (seeded)")
    make.add_argument("--out", required=True, type=Path, help="folder to write into")
    make.add_argument("--establishments", type=int, default=20_000, metavar="N")
    make.add_argument("--seed", type=int, default=7)
    make.add_argument("--rent-points", type=int, default=0, metavar="N",
                      help="also write N rent sample points (benchmark cities)")
    make.add_argument("--stops", type=int, default=None, metavar="N")
    make.add_argument("--institutions", type=int, default=None, metavar="N")
    make.add_argument("--neighbourhoods", type=int, default=None, metavar="N")

    metrics = sub.add_parser("metrics", help="print every figure for each district")
    _add_module_arguments(metrics, "metrics", command)

    selftest = sub.add_parser("selftest", help="check this installation offline: data "
                              "folders, transforms, files, screenshot, metrics, PDF")
    _add_module_arguments(selftest, "selftest", command)

    project = sub.add_parser("project", help="create a project file or describe one")
    _add_module_arguments(project, "project", command)

    report = sub.add_parser("report", help="write the plan as a PDF for council papers "
                            "(headless; the PDF carries its project)")
    _add_module_arguments(report, "report", command)
    return parser


def _normalise(argv: list[str]) -> list[str]:
    """`district-planner FILE...` means `district-planner gui FILE...`."""
    if not argv:
        return ["gui"]
    first = argv[0]
    if first in SUBCOMMANDS or first.startswith("-"):
        return argv
    return ["gui", *argv]


def _make_sample_city(args: argparse.Namespace) -> int:
    from districtplanner.sample_city import make_sample_city

    if args.establishments < 1:
        print("error: --establishments must be at least 1", file=sys.stderr)
        return 2
    from districtplanner.io.first_frame import write_first_frame

    out = make_sample_city(
        args.out, args.establishments, seed=args.seed, n_rent_points=args.rent_points,
        n_stops=args.stops, n_institutions=args.institutions,
        n_neighbourhoods=args.neighbourhoods,
    )
    # The arrays the app paints its first frame from, made from the files just written.
    write_first_frame(Path(args.out))
    print(f"wrote {out}")
    return 0


def _check_gui_available() -> str:
    missing = [m for m in ("PySide6", "pyqtgraph") if importlib.util.find_spec(m) is None]
    if missing:
        return (
            f"the desktop app needs {', '.join(missing)}, which are not installed here; "
            "install them with: pip install 'district-planner[gui]' (or run 'make run')"
        )
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``district-planner`` console script."""
    argv = _normalise(list(sys.argv[1:] if argv is None else argv))
    args = build_parser(argv[0]).parse_args(argv)
    if args.command == "make-sample-city":
        return _make_sample_city(args)
    if args.command == "metrics":
        from districtplanner.cli import metrics as metrics_cmd

        return metrics_cmd.run(args)
    if args.command == "selftest":
        from districtplanner.cli import selftest

        return selftest.run(args)
    if args.command == "project":
        from districtplanner.cli import project

        return project.run(args)
    problem = _check_gui_available()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.command == "report":
        from districtplanner.cli import report

        return report.run(args)
    if args.command == "screenshot":
        # Headless by definition: render offscreen unless the caller chose a platform.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from districtplanner.ui.app import screenshot

        return screenshot(args.out, args.size, list(args.files), workshop=args.workshop,
                          project=args.project)
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
            or os.environ.get("QT_QPA_PLATFORM")):
        print("error: no display to open the app on (DISPLAY is not set). Run it in a desktop "
              "session, or use 'district-planner screenshot --out FILE.png' headless.",
              file=sys.stderr)
        return 2
    if len(args.files) == 1 and args.files[0].suffix.lower() == ".gpkg":
        from districtplanner.ui.project_actions import is_project_file, run_project_gui

        if is_project_file(args.files[0]):  # `district-planner PLAN.gpkg` opens the plan
            return run_project_gui(args.files[0])
    from districtplanner.ui.app import run_gui

    return run_gui(list(args.files))
