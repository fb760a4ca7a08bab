"""`district-planner project create|info`: make and inspect project files, headless.

``create`` writes a plan the app opens (the sample city, or the given files with their roles
and column mappings guessed as the app guesses them), atomically like the app's Save.
``info`` says what a project holds without building its figures. A bad project file gets one
line naming the file and what to do, and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from districtplanner.project import ProjectError, load_project_with_notes, save_project
from districtplanner.project.format import read_raw


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``project create`` and ``project info``."""
    sub = parser.add_subparsers(dest="project_command", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="write a new project file")
    create.add_argument("plan", type=Path, metavar="PLAN.gpkg")
    create.add_argument("layers", nargs="*", type=Path, metavar="LAYER_FILE",
                        help="data files to copy in as layers (default: the sample city)")
    create.add_argument("--districts", type=Path, metavar="FILE",
                        help="district polygons (GeoJSON or GeoPackage) to add")
    create.add_argument("--crs", metavar="EPSG:N",
                        help="project CRS in metres (default: from the data, else the "
                             "local UTM zone)")
    create.add_argument("--link", action="store_true",
                        help="link the layer files by path instead of copying them in")
    create.add_argument("--force", action="store_true", help="overwrite PLAN.gpkg")
    info = sub.add_parser("info", help="describe a project file")
    info.add_argument("plan", type=Path, metavar="PLAN.gpkg")
    info.add_argument("--json", action="store_true", help="print JSON")


class _RefusedError(Exception):
    """A command-line problem (not a project file one): printed, exit code 2."""


def run(args: argparse.Namespace) -> int:
    try:
        if args.project_command == "create":
            return _create(args)
        return _info(args)
    except (ProjectError, _RefusedError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _create(args: argparse.Namespace) -> int:
    from districtplanner.model.build import open_files, open_sample_city
    from districtplanner.model.document import DocumentError

    plan: Path = args.plan
    if plan.suffix.lower() != ".gpkg":
        raise _RefusedError(f"{plan}: a project file name must end in .gpkg.")
    if plan.exists() and not args.force:
        raise _RefusedError(f"{plan}: the file exists; add --force to replace it (the old one is "
                       "kept as .bak).")
    notes: list[str] = []
    if args.layers:
        document, notes = open_files(list(args.layers))
        if not document.layers and not document.districts:
            raise _RefusedError("none of the layer files could be read: " + " | ".join(notes))
        if args.link:
            for layer in document.layers:
                layer.meta["storage"] = "link"
    else:
        try:
            document = open_sample_city()
        except FileNotFoundError as exc:
            raise _RefusedError(str(exc)) from None
    if args.crs:
        try:
            document.set_crs(args.crs)
        except DocumentError as exc:
            raise _RefusedError(f"--crs {args.crs}: {exc}") from None
    if args.districts:
        notes += _add_districts(document, args.districts)
    save_project(document, plan)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    print(f"wrote {plan} ({len(document.layers)} layers, {len(document.districts)} districts, "
          f"{document.crs})")
    return 0


def _add_districts(document: Any, path: Path) -> list[str]:
    from districtplanner.analysis.incentives import default_instruments
    from districtplanner.io.districts import read_districts
    from districtplanner.io.errors import DataImportError
    from districtplanner.model.district import District
    from districtplanner.model.document import DocumentError

    try:
        rows = read_districts(path, project_crs=document.crs or None)
    except DataImportError as exc:
        raise _RefusedError(str(exc)) from None
    notes = []
    for i, row in enumerate(rows, start=1):
        name = str(row.get("name") or f"District {i}")
        d = District(name=name, geometry=row["geometry"],
                     colour=str(row.get("colour") or document.next_district_colour()),
                     notes=str(row.get("notes") or ""), instruments=default_instruments())
        try:
            document.add_district(d)
        except DocumentError as exc:
            notes.append(f"{path}: {name}: {exc}")
            continue
        if document.last_notice:
            notes.append(f"{path}: {name}: {document.last_notice}")
    return notes


def describe(path: Path) -> dict[str, Any]:
    """What ``project info`` prints: versions, CRS, layers and districts of the plan."""
    raw = read_raw(path)
    document, notes = load_project_with_notes(path)
    layers = []
    for row, layer in zip(raw.layers, document.layers, strict=True):
        layers.append({
            "name": layer.name,
            "role": layer.role.value,
            "features": int(row["feature_count"]),
            "raster": row["storage"] == "raster",
            "storage": "linked" if row["storage"] == "link" else "copied",
            "state": "missing" if layer.meta.get("missing") else "present",
            "analysed": bool(getattr(layer, "analysed", True)),
        })
        if row["storage"] == "link":
            layers[-1]["file"] = (layer.meta.get("link") or {}).get("absolute", "")
    districts = [{"name": d.name, "area_km2": round(d.area_km2, 4),
                  "instruments": len(d.instruments)} for d in document.districts]
    return {
        "file": str(path),
        "format_version": raw.version,
        "saved_by": raw.meta.get("app_version", ""),
        "saved_at": raw.meta.get("saved_at", ""),
        "title": document.title,
        "crs": document.crs,
        "layers": layers,
        "districts": districts,
        "notes": notes,
    }


def _info(args: argparse.Namespace) -> int:
    info = describe(args.plan)
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    print(f"{info['file']}: {info['title'] or '(untitled)'}")
    print(f"  format {info['format_version']}, saved by District Planner {info['saved_by']} "
          f"at {info['saved_at']}; CRS {info['crs']}")
    print(f"  layers ({len(info['layers'])}):")
    for la in info["layers"]:
        extra = f" <- {la['file']}" if la.get("file") else ""
        unit = "raster cells" if la["raster"] else "features"
        print(f"    {la['name']}: {la['role']}, {la['features']:,} {unit}, {la['storage']}, "
              f"{la['state']}{extra}")
    print(f"  districts ({len(info['districts'])}):")
    for d in info["districts"]:
        print(f"    {d['name']}: {d['area_km2']:.2f} km², {d['instruments']} instruments")
    for note in info["notes"]:
        print(f"  note: {note}")
    return 0


def project_metrics(path: Path, instruments: list[Any]) -> dict[str, Any]:
    """The JSON document of ``metrics --project``: the plan's own districts with their own
    packages, through the Session the window uses; ``instruments`` prices the baseline, as
    ``metrics`` without options does."""
    from districtplanner.model.session import Session

    document, _ = load_project_with_notes(path)
    session = Session(document, baseline_name="City baseline",
                      baseline_instruments=instruments)
    try:
        session.figures.ensure_index()
    except Exception as exc:  # the analysis names what is wrong with the layers
        raise ProjectError(path, f"no figures can be computed from this plan's layers: {exc}. "
                           "Open it in the app to fix the layers.") from None
    bundle = session.figures.compute()
    if bundle.baseline is None:
        raise ProjectError(path, f"no figures: {bundle.not_computed}")
    out: dict[str, Any] = {
        "source": str(path),
        "crs": document.crs,
        "currency": document.assumptions.currency,
        "assumptions": document.assumptions.to_dict(),
        "instruments": [i.to_dict() for i in instruments],
        "baseline": bundle.baseline.to_dict(),
        "districts": [bundle.districts[d.id].to_dict() for d in document.districts
                      if d.id in bundle.districts],
    }
    failed = [{"name": bundle.names[i], "reason": r} for i, r in bundle.failures.items()]
    if failed:
        out["not_computed"] = failed
    return out


def run_project_metrics(args: argparse.Namespace,
                        exclusive: tuple[str, ...]) -> dict[str, Any] | None:
    """``metrics --project``: the JSON document, or None after printing the one-line error
    (a bad project file, or layer options that a project cannot be combined with)."""
    from districtplanner.analysis.incentives import default_instruments

    clash = [f"--{k}" for k in exclusive if getattr(args, k, None)]
    if clash or getattr(args, "instruments", None) or getattr(args, "assumptions", None):
        clash += [f"--{k}" for k in ("instruments", "assumptions") if getattr(args, k, None)]
        print(f"error: --project uses the plan's own layers, districts, packages and "
              f"assumptions; drop {', '.join(clash)} (or edit the plan in the app).",
              file=sys.stderr)
        return None
    try:
        return project_metrics(args.project, default_instruments())
    except ProjectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
