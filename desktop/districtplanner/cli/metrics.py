"""`district-planner metrics`: every figure for each district polygon, headless.

With no layer options it reads the bundled sample city and its example districts. With the
planner's own layers and no ``--district``, only the whole area of the data is reported
(labelled so): the sample city's districts lie elsewhere. ``--layer``, ``--source-crs``,
``--encoding``, ``--band`` and ``--swap-axes`` apply to the layer option just before them
(or, given before any layer option, to all). ``--json`` prints a JSON document whose
``districts`` list and ``baseline`` entry carry the stable keys of issue 4 (other tools read
them); without it, a readable table. Errors go to stderr with a non-zero exit and name the
file and problem.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from rasterio.errors import RasterioIOError

from districtplanner.analysis.assumptions import AssumptionError, Assumptions
from districtplanner.analysis.citydata import CityDataError
from districtplanner.analysis.hotspots import compute_surface
from districtplanner.analysis.incentives import (
    Instrument,
    InstrumentError,
    default_instruments,
)
from districtplanner.analysis.raster import Raster
from districtplanner.analysis.roles import LayerRole
from districtplanner.analysis.sectors import CREATIVE_SECTORS, SECTOR_LABELS
from districtplanner.io.loaded import LoadedLayer
from districtplanner.model.build import document_from_loaded
from districtplanner.model.commands import AddDistrict, SetAssumptions
from districtplanner.model.district import District
from districtplanner.model.session import Session

LAYER_OPTIONS = ("establishments", "rents", "transit", "institutions", "neighbourhoods")
# Per-layer read options: they apply to the layer option given just before them.
PER_LAYER = "layer_options"
WHOLE_AREA = "Whole area of the data (no --district file given)"


class _LayerFile(argparse.Action):
    """A layer option (``--establishments FILE``): remembers which one came last, so the
    per-layer options that follow it apply to it."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        namespace._last_layer = self.dest


class _PerLayer(argparse.Action):
    """``--layer``, ``--source-crs``, ``--encoding``, ``--band``, ``--swap-axes``: for the
    layer option just before (all layers when given first)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        opts = getattr(namespace, PER_LAYER, None) or {}
        key = getattr(namespace, "_last_layer", None) or "*"
        opts.setdefault(key, {})[self.dest] = True if self.nargs == 0 else values
        setattr(namespace, PER_LAYER, opts)


class MetricsCommandError(Exception):
    """A problem to report on stderr: the message names the file and what is wrong."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``district-planner metrics`` (issue 4, 'Headless command')."""
    parser.add_argument("--project", type=Path, metavar="PLAN.gpkg",
                        help="the figures of a saved plan, each district with its own "
                             "package, as the app shows them (no layer or district options)")
    parser.add_argument("--district", type=Path, metavar="DISTRICTS_FILE",
                        help="GeoJSON or GeoPackage of district polygons (default: the "
                             "sample city's example districts)")
    parser.add_argument("--establishments", type=Path, metavar="FILE", action=_LayerFile,
                        help="establishment points (firms); with any layer option, only the "
                             "given layers are used instead of the sample city")
    parser.add_argument("--sector-column", metavar="COL",
                        help="column holding the sector (default: guessed)")
    parser.add_argument("--jobs-column", metavar="COL",
                        help="column holding jobs per establishment (default: guessed)")
    parser.add_argument("--rents", type=Path, metavar="FILE", action=_LayerFile,
                        help="rent points, polygons or a raster (currency/m²/month)")
    parser.add_argument("--rent-column", metavar="COL",
                        help="column holding the rent (default: guessed)")
    parser.add_argument("--transit", type=Path, metavar="FILE", action=_LayerFile,
                        help="transit stops")
    parser.add_argument("--institutions", type=Path, metavar="FILE", action=_LayerFile,
                        help="cultural institutions (points with a type)")
    parser.add_argument("--neighbourhoods", type=Path, metavar="FILE", action=_LayerFile,
                        help="neighbourhood polygons with households, median income, "
                             "renter share, rent growth")
    per = parser.add_argument_group(
        "per layer", "apply to the layer option just before them (before any: to all)")
    per.add_argument("--layer", metavar="NAME", action=_PerLayer,
                     help="the layer of a multi-layer file (GeoPackage); default: the first "
                          "layer that reads as the option's role")
    per.add_argument("--source-crs", metavar="CRS", action=_PerLayer,
                     help="the file's coordinate system when it declares none or a wrong one "
                          "(e.g. EPSG:25832)")
    per.add_argument("--encoding", metavar="ENC", action=_PerLayer,
                     help="the text encoding of a table or .dbf (e.g. cp1252, gbk, "
                          "mac_roman); default: detected")
    per.add_argument("--band", metavar="N", action=_PerLayer,
                     help="the band of a multi-band raster that holds the rent")
    per.add_argument("--swap-axes", nargs=0, action=_PerLayer,
                     help="the file has y/latitude first")
    parser.add_argument("--assumptions", type=Path, metavar="FILE.json",
                        help="assumptions to use instead of the defaults")
    parser.add_argument("--instruments", type=Path, metavar="FILE.json",
                        help="incentive instruments (a JSON list); default: the standard "
                             "package of one instrument of each kind")
    parser.add_argument("--hotspots", type=Path, metavar="FILE.tif",
                        help="also write the city's creative-jobs hot-spot surface (bands: "
                        "kde, gi_z, gi_class) as a GeoTIFF")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    """Execute the command; 0 on success, 1 with a message on stderr otherwise (2 for a bad
    project file, as every project command). Messages name command-line options, not
    dialog controls."""
    from districtplanner.io.errors import use_front_end

    use_front_end("cli")
    try:
        return _run(args)
    finally:
        use_front_end("gui")


def _run(args: argparse.Namespace) -> int:
    if getattr(args, "project", None) is not None:
        from districtplanner.cli.project import run_project_metrics

        doc = run_project_metrics(args, (*LAYER_OPTIONS, "district", "hotspots"))
        if doc is None:
            return 2
    else:
        try:
            doc = build_document(args)
        except MetricsCommandError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        print(format_table(doc))
    if doc.get("note"):
        print(f"note: {doc['note']}", file=sys.stderr)
    # The other districts are printed; a district whose figures failed is named, with why,
    # and the exit status says the result is incomplete.
    for failed in doc.get("not_computed", []):
        print(f"error: {failed['name']}: not computed: {failed['reason']}", file=sys.stderr)
    return 1 if doc.get("not_computed") else 0


# ---------------------------------------------------------------------------------------
def build_document(args: argparse.Namespace) -> dict[str, Any]:
    """Read the layers into a Session, add the districts through its command stack, compute
    every district and the baseline with the Session's figures (the window's code path) and
    return the JSON document."""
    assumptions = _assumptions(getattr(args, "assumptions", None))
    instruments = _instruments(getattr(args, "instruments", None))
    use_sample = not any(getattr(args, k, None) for k in LAYER_OPTIONS)
    if use_sample:
        loaded, crs, source, sample_districts = _sample_city()
    else:
        loaded, crs, source = _user_city(args)
        sample_districts = None
    district_path = getattr(args, "district", None)
    note = ""
    if district_path is not None:
        districts = _read_districts(district_path, crs)
        districts_source = str(district_path)
    elif not use_sample:
        # The sample city's example districts lie in another city: never evaluate them on
        # the planner's own data.
        districts, districts_source = [], ""
        note = ("no --district file was given, so only the whole area of the data is "
                "reported; give district polygons with --district FILE")
    else:
        districts = sample_districts if sample_districts is not None else (
            _sample_city()[3])
        districts = [dict(d, geometry=_to_crs(d["geometry"], d.get("crs"), crs))
                     for d in districts]
        districts_source = "sample city example districts"
    session = _session(loaded, crs, assumptions, instruments,
                       baseline_name="City baseline" if use_sample or districts else WHOLE_AREA)
    _add_districts(session, districts, instruments, districts_source)
    try:
        session.figures.ensure_index()
    except (CityDataError, ValueError) as exc:
        raise MetricsCommandError(f"{source}: {exc}") from None
    bundle = session.figures.compute()
    if bundle.baseline is None:
        raise MetricsCommandError(f"{source}: {bundle.not_computed}")
    failed = [{"name": bundle.names[i], "reason": r} for i, r in bundle.failures.items()]
    results = [bundle.districts[d.id] for d in session.document.districts
               if d.id in bundle.districts]
    extra: dict[str, Any] = {}
    if failed:
        extra["not_computed"] = failed
    if note:
        extra["note"] = note
    hotspots_path = getattr(args, "hotspots", None)
    if hotspots_path is not None:
        surface = compute_surface(session.figures.ensure_index(), assumptions)
        try:
            surface.write_geotiff(hotspots_path)
        except (OSError, RasterioIOError) as exc:
            raise MetricsCommandError(f"{hotspots_path}: cannot write the GeoTIFF ({exc}).") \
                from None
        extra["hotspots"] = {"file": str(hotspots_path), **surface.summary()}
    return {
        "source": source,
        "crs": str(crs),
        "currency": assumptions.currency,
        "assumptions": assumptions.to_dict(),
        "instruments": [i.to_dict() for i in instruments],
        "baseline": bundle.baseline.to_dict(),
        "districts": [m.to_dict() for m in results],
        **extra,
    }


def _session(loaded: list[LoadedLayer], crs: Any, assumptions: Assumptions,
             instruments: list[Instrument], baseline_name: str = "City baseline") -> Session:
    """The plan the figures come from: the layers, then the assumptions as an edit."""
    document = document_from_loaded(loaded, crs=_crs_text(crs))
    session = Session(document, baseline_name=baseline_name,
                      baseline_instruments=instruments)
    problem = session.stack.push(SetAssumptions(document, assumptions, "Use the assumptions"))
    if problem:
        raise MetricsCommandError(problem)
    return session


def _add_districts(session: Session, districts: list[dict[str, Any]],
                   instruments: list[Instrument], source: str) -> None:
    """Each district enters the plan the way a drawn or imported one does (the one repair
    rule); one the plan refuses is reported by name."""
    for i, row in enumerate(districts, start=1):
        name = str(row.get("name") or f"District {i}")
        district = District(name=name, geometry=row["geometry"],
                            instruments=list(instruments))
        problem = session.stack.push(AddDistrict(session.document, district))
        if problem:
            raise MetricsCommandError(f"{source}: {name}: {problem}")


def _crs_text(crs: Any) -> str:
    if crs is None:
        return ""
    return crs.to_string() if hasattr(crs, "to_string") else str(crs)


def _assumptions(path: Path | None) -> Assumptions:
    if path is None:
        return Assumptions()
    try:
        return Assumptions.from_json(path)
    except AssumptionError as exc:
        raise MetricsCommandError(str(exc)) from None


def _instruments(path: Path | None) -> list[Instrument]:
    if path is None:
        return default_instruments()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MetricsCommandError(f"{path}: file not found.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MetricsCommandError(f"{path}: not valid JSON ({exc}).") from None
    items = data.get("instruments", data) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise MetricsCommandError(f"{path}: expected a JSON list of instruments.")
    out = []
    for i, item in enumerate(items, start=1):
        try:
            inst = Instrument.from_dict(item)
            inst.validate()
        except (InstrumentError, KeyError, TypeError, ValueError) as exc:
            raise MetricsCommandError(f"{path}: instrument {i}: {exc}") from None
        out.append(inst)
    return out


def _sample_city() -> tuple[list[LoadedLayer], Any, str, list[dict[str, Any]]]:
    """The sample city's layers (as the window opens them) and its example districts."""
    from districtplanner.io.sample import load_sample_city
    from districtplanner.paths import sample_city_dir

    folder = sample_city_dir()
    try:
        layers = load_sample_city(folder)
    except FileNotFoundError as exc:
        raise MetricsCommandError(str(exc)) from None
    except Exception as exc:  # a damaged file: name it
        raise MetricsCommandError(f"{folder}: the sample city could not be read ({exc}).") \
            from None
    districts = []
    kept = []
    for layer in layers:
        if layer.role == LayerRole.DISTRICTS:
            for _, row in layer.data.iterrows():
                districts.append({"geometry": row.geometry, "name": str(row.get("name", "")),
                                  "crs": layer.data.crs})
        else:
            kept.append(layer)
    est = next(la for la in kept if la.role == LayerRole.ESTABLISHMENTS)
    return kept, est.data.crs, str(folder), districts


def _read(path: Path, role: LayerRole, mapping: dict[str, str] | None,
          project_crs: Any, opts: dict[str, Any] | None = None) -> Any:
    """One user layer through the io readers (their errors name file, row and column).

    ``opts``: the per-layer options (layer, source_crs, encoding, band, swap_axes). A
    multi-layer file without ``--layer`` gives the first of its layers that reads as
    ``role``, so an unusable first layer does not fail the others."""
    from districtplanner.io.errors import DataImportError
    from districtplanner.io.readers import list_layers, read_layer

    opts = opts or {}
    if not Path(path).exists():
        raise MetricsCommandError(f"{path}: file not found.")
    mapping = dict(mapping or {})
    if opts.get("band"):
        mapping["band"] = f"band {opts['band']}"
    if opts.get("swap_axes"):
        mapping["swap_axes"] = "yes"
    try:
        names = [opts["layer"]] if opts.get("layer") else [
            i.name for i in list_layers(path) if i.kind in ("vector", "table", "raster")]
    except DataImportError as exc:
        raise MetricsCommandError(str(exc)) from None
    problems: list[str] = []
    layer = None
    for name in names or [None]:
        try:
            layer = read_layer(path, name, role=role, mapping=mapping or None,
                               project_crs=None if project_crs is None else str(project_crs),
                               source_crs=opts.get("source_crs"),
                               encoding=opts.get("encoding"))
            break
        except DataImportError as exc:
            if len(names) <= 1:
                raise MetricsCommandError(
                    f"'{Path(path).name}', layer '{name}'{exc.where}: {exc.problem}; "
                    f"{exc.remedy.rstrip('.')}." if opts.get("layer") else str(exc)) from None
            problems.append(f"layer '{name}': {exc.problem}")
        except (OSError, ValueError) as exc:
            raise MetricsCommandError(f"{path}: {exc}") from None
    if layer is None:
        raise MetricsCommandError(
            f"{path}: no layer reads as {role.value}: " + "; ".join(problems)
            + "; pick one with --layer NAME after the layer option.")
    if problems:
        layer.warnings.insert(0, f"{Path(path).name}: skipped " + "; ".join(problems))
    if mapping:
        # Fields the user did not name are still guessed.
        from districtplanner.io.guess import guess_mapping

        data = layer.data
        if not isinstance(data, Raster):
            cols = [c for c in data.columns if c != data.geometry.name]
            guessed = guess_mapping(role, cols, data[cols].head(1000))
            layer.mapping = {**guessed, **layer.mapping}
    return layer


def _user_city(args: argparse.Namespace) -> tuple[list[LoadedLayer], Any, str]:
    crs = None
    loaded: dict[str, Any] = {}
    specs = [
        ("establishments", LayerRole.ESTABLISHMENTS,
         {k: v for k, v in (("sector", args.sector_column), ("jobs", args.jobs_column)) if v}),
        ("rents", LayerRole.RENTS, {"rent": args.rent_column} if args.rent_column else {}),
        ("transit", LayerRole.TRANSIT_STOPS, {}),
        ("institutions", LayerRole.INSTITUTIONS, {}),
        ("neighbourhoods", LayerRole.NEIGHBOURHOODS, {}),
    ]
    per = getattr(args, PER_LAYER, None) or {}
    for key, role, mapping in specs:
        path = getattr(args, key)
        if path is None:
            continue
        opts = {**per.get("*", {}), **per.get(key, {})}
        if loaded:
            _warn_if_far(path, opts, list(loaded.values()), crs)
        layer = _read(path, role, mapping, crs, opts)
        loaded[key] = layer
        if crs is None:
            crs = layer.data.crs
    return list(loaded.values()), crs, ", ".join(str(getattr(args, k)) for k in loaded)


def _warn_if_far(path: Path, opts: dict[str, Any], others: list[LoadedLayer], crs: Any
                 ) -> None:
    """Say on stderr where a layer would land when far from the layers read before it,
    with the option that brings it home (--swap-axes, --source-crs): a misplaced layer
    otherwise only shows as figures of zero."""
    from districtplanner.io.crs import check_placement
    from districtplanner.io.errors import DataImportError
    from districtplanner.io.readers import preview

    boxes = [la.bounds() for la in others]
    plan = (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))
    try:
        pv = preview(path, opts.get("layer"), n=1, encoding=opts.get("encoding"))
    except (DataImportError, OSError, ValueError):
        return  # the read itself reports the problem
    src = opts.get("source_crs") or pv.crs or pv.guessed_crs
    if pv.bounds is None or src is None:
        return
    b = pv.bounds
    if opts.get("swap_axes"):
        b = (b[1], b[0], b[3], b[2])
    try:
        placement = check_placement(Path(path).name, b, src, plan, _crs_text(crs))
    except ValueError:
        return
    if placement is not None:
        print(f"warning: {placement.message}", file=sys.stderr)


def _read_districts(path: Path, crs: Any) -> list[dict[str, Any]]:
    from districtplanner.io.districts import read_districts
    from districtplanner.io.errors import DataImportError

    try:
        return read_districts(path, project_crs=None if crs is None else str(crs))
    except DataImportError as exc:
        raise MetricsCommandError(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise MetricsCommandError(f"{path}: {exc}") from None


def _to_crs(geom: Any, src: Any, dst: Any) -> Any:
    if src is None or dst is None:
        return geom
    import geopandas as gpd

    s = gpd.GeoSeries([geom], crs=src)
    return s.to_crs(dst).iloc[0] if not s.crs.equals(dst) else geom


# ---------------------------------------------------------------------------------------
def _num(v: Any, fmt: str = ",.2f") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return format(v, fmt)


def format_table(doc: dict[str, Any]) -> str:
    """Readable table: one column per district, the city baseline first."""
    entries = [doc["baseline"], *doc["districts"]]
    cur = doc.get("currency", "")
    rows: list[tuple[str, list[str]]] = []

    def add(label: str, get: Any, fmt: str = ",.2f") -> None:
        rows.append((label, [_num(get(e), fmt) for e in entries]))

    def section(title: str) -> None:
        rows.append((title, [""] * len(entries)))

    add("Area (km²)", lambda e: e["area_km2"])
    section("CONCENTRATION")
    add("Establishments", lambda e: e["concentration"]["establishments"], ",.0f")
    add("Jobs", lambda e: e["concentration"]["jobs"], ",.0f")
    add("Creative establishments", lambda e: e["concentration"]["creative_establishments"],
        ",.0f")
    add("Creative jobs", lambda e: e["concentration"]["creative_jobs"], ",.0f")
    add("Creative firms per km²",
        lambda e: e["concentration"]["creative_establishments_per_km2"], ",.1f")
    add("Share of city creative jobs",
        lambda e: e["concentration"]["share_of_city_creative_jobs"], ".1%")
    add("Location quotient (creative)", lambda e: e["concentration"]["location_quotient"])
    for key in CREATIVE_SECTORS:
        add(f"  LQ {SECTOR_LABELS[key]}",
            lambda e, k=key: e["concentration"]["by_sector"][k]["location_quotient"])
    add("Diversity (entropy 0..1)", lambda e: e["concentration"]["entropy"], ".3f")
    add("Specialisation (HHI)", lambda e: e["concentration"]["hhi"], ".3f")
    add("Creative firms near transit (near)",
        lambda e: e["concentration"]["transit_near_share"], ".1%")
    add("Creative firms near transit (far)",
        lambda e: e["concentration"]["transit_far_share"], ".1%")
    add("Institutions inside",
        lambda e: sum(e["concentration"]["institutions_inside"].values()), ",.0f")
    section("AFFORDABILITY RISK")
    add(f"Rent median ({cur}/m²/month)", lambda e: e["affordability"]["rent_median"])
    add("Rent IQR", lambda e: e["affordability"]["rent_iqr"])
    add("Rent city percentile", lambda e: e["affordability"]["rent_city_percentile"], ",.0f")
    add("Rent burden share", lambda e: e["affordability"]["rent_burden_share"], ".1%")
    add("Displacement risk (0..1)", lambda e: e["affordability"]["displacement_risk"])
    rows.append(("Displacement class", [e["affordability"]["displacement_class"] or "–"
                                        for e in entries]))
    add("Projected rent with plan", lambda e: e["affordability"]["projected_rent"])
    add("Households priced out", lambda e: e["affordability"]["households_priced_out"],
        ",.0f")
    add("  with mitigation",
        lambda e: e["affordability"]["households_priced_out_mitigated"], ",.0f")
    add("Creative firms priced out",
        lambda e: e["affordability"]["creative_firms_priced_out"], ",.0f")
    add("  with mitigation",
        lambda e: e["affordability"]["creative_firms_priced_out_mitigated"], ",.0f")
    section("INCENTIVE COSTS")
    add(f"Nominal total ({cur})", lambda e: e["incentives"]["nominal_total"], ",.0f")
    add(f"NPV ({cur})", lambda e: e["incentives"]["npv"], ",.0f")
    add(f"Cost per job ({cur})", lambda e: e["incentives"]["cost_per_job"], ",.0f")

    names = [e["name"] for e in entries]
    label_w = max(len(r[0]) for r in rows)
    widths = [max(len(n), *(len(r[1][i]) for r in rows)) for i, n in enumerate(names)]
    lines = [f"Source: {doc['source']}  (CRS {doc['crs']})", ""]
    lines.append(" " * label_w + "  " + "  ".join(n.rjust(w) for n, w in
                                                   zip(names, widths, strict=True)))
    for label, vals in rows:
        lines.append(label.ljust(label_w) + "  " + "  ".join(
            v.rjust(w) for v, w in zip(vals, widths, strict=True)))
    # Why a figure is '–': the missing input, once per reason (analysis AffordabilityMetrics).
    reasons: dict[str, list[str]] = {}
    for e in entries:
        for k, r in (e["affordability"].get("missing") or {}).items():
            name = k.split(".")[-1].replace("_", " ")
            if name not in reasons.setdefault(r, []):
                reasons[r].append(name)
    if reasons:
        lines += ["", "Not computed (–):"]
        lines += [f"  {', '.join(ks)}: {r}" for r, ks in reasons.items()]
    return "\n".join(lines)
