"""The typed family of import errors: each names the file, where it applies the row and column,
the problem and what the planner can do about it, so a dialog can show ``str(error)`` as is.

Readers raise these and nothing else for bad input; a layer that fails never touches the
document, so layers already loaded are safe.
"""

# ruff: noqa: N818  (the brief fixes these names; others code against them)
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# Where a planner makes each choice a remedy asks for, per front end: the Add layer dialog
# in the app, options on the command line. A remedy names a choice as [[key]]; the
# message names the control of the front end that is running, so no message points at a
# control that does not exist there.
CONTROLS: dict[str, dict[str, str]] = {
    "gui": {
        "crs": "in the Add layer dialog's Coordinate system box",
        "encoding": "in the Add layer dialog's Text encoding list",
        "layer": "in the Add layer dialog's Layer list",
        "columns": "in the Add layer dialog's Columns",
        "coordinates": "in the Add layer dialog's X and Y lists",
        "geometry": "in the Add layer dialog's Keep geometry list",
        "band": "in the Add layer dialog's Rent value list",
        "swap": "in the Add layer dialog",
    },
    "cli": {
        "crs": "with --source-crs (e.g. --source-crs EPSG:25832)",
        "encoding": "with --encoding (e.g. --encoding cp1252)",
        "layer": "with --layer NAME",
        "columns": "by renaming the column in the file",
        "coordinates": "by naming them lon/lat or x/y in the file",
        "geometry": "by splitting the file by geometry type",
        "band": "by saving the rent band as its own single-band GeoTIFF",
        "swap": "with --swap-axes",
    },
}
_front_end = {"name": "gui"}


def use_front_end(name: str) -> None:
    """Name the controls of ``name`` ('gui' or 'cli') in every message from now on."""
    if name not in CONTROLS:
        raise ValueError(f"unknown front end {name!r}")
    _front_end["name"] = name


def controls(text: str) -> str:
    """``text`` with each [[key]] replaced by where the running front end makes it."""
    names = CONTROLS[_front_end["name"]]
    for key, where in names.items():
        text = text.replace(f"[[{key}]]", where)
    return text


class Cancelled(Exception):
    """The user pressed Cancel; not an error, nothing was loaded."""


class DataImportError(Exception):
    """A file that cannot be loaded as asked.

    ``path``: the file; ``row``: 1-based row (table line number, header counted as line 1)
    or feature number, or None; ``column``: the column concerned, or None; ``problem``: what
    is wrong; ``remedy``: what to do.
    """

    default_problem = "the file could not be loaded"
    default_remedy = "check the file in the program that wrote it and try again"

    def __init__(
        self,
        path: str | Path,
        problem: str | None = None,
        *,
        row: int | None = None,
        column: str | None = None,
        remedy: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.problem = problem or self.default_problem
        self.row = row
        self.column = column
        self._remedy = remedy or self.default_remedy
        super().__init__(self.message)

    @property
    def remedy(self) -> str:
        """What to do, naming the controls of the running front end (see CONTROLS)."""
        return controls(self._remedy)

    @property
    def where(self) -> str:
        """', row 12, column "jobs"' or ''."""
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return (", " + ", ".join(parts)) if parts else ""

    @property
    def message(self) -> str:
        remedy = self.remedy.rstrip(".")
        return f"'{self.path.name}'{self.where}: {self.problem}; {remedy}."

    def __str__(self) -> str:
        return self.message


class UnreadableFile(DataImportError):
    default_problem = "the file is corrupt or not a readable data file"
    default_remedy = (
        "open it in the program that wrote it, save it again (GeoPackage or CSV work best) "
        "and load the new copy"
    )


class EmptyFile(DataImportError):
    default_problem = "the file holds no rows or features"
    default_remedy = "check that you picked the right file or layer, or export the data again"


class NoGeometry(DataImportError):
    default_problem = "no geometry and no coordinate columns were found"
    default_remedy = (
        "add longitude/latitude (or x/y) columns or a WKT geometry column, or choose the "
        "coordinate columns [[coordinates]]"
    )


class MixedGeometry(DataImportError):
    default_problem = "the layer mixes points, lines and polygons"
    default_remedy = (
        "split it into one layer per geometry type (e.g. in QGIS: Vector > Data Management "
        "Tools > Split Vector Layer by geometry type) and load each one"
    )


class NotRents(DataImportError):
    """A raster offered as a rent surface that is not one: a multi-band image with no band
    chosen, or values that cannot be rents."""

    default_problem = "the raster does not look like a rent surface"
    default_remedy = "choose the band that holds rents, or load the raster as context"


class BadValues(DataImportError):
    """Null or non-numeric values in a mapped column; ``count`` of them, ``rows`` the first
    few row numbers (as in ``DataImportError.row``)."""

    default_remedy = (
        "fix those rows, map another column, or load anyway to treat them as missing"
    )

    def __init__(
        self,
        path: str | Path,
        column: str,
        count: int,
        rows: Sequence[int],
        *,
        total: int | None = None,
        kind: str = "null or non-numeric",
        remedy: str | None = None,
    ) -> None:
        self.count = int(count)
        self.rows = [int(r) for r in rows]
        self.total = total
        of = f" of {total:,}" if total is not None else ""
        shown = ", ".join(str(r) for r in self.rows[:5])
        more = ", ..." if self.count > len(self.rows[:5]) else ""
        problem = f"{self.count:,}{of} values are {kind} (rows {shown}{more})"
        super().__init__(
            path, problem, row=self.rows[0] if self.rows else None, column=column, remedy=remedy
        )


class CoordinatesOutOfRange(DataImportError):
    default_problem = "the coordinates do not fit the layer's coordinate reference system"
    default_remedy = (
        "choose the coordinate system the data was made in (the source CRS) [[crs]], or "
        "fix the file's .prj / CRS metadata"
    )


class UnknownEncoding(DataImportError):
    default_problem = "the text encoding could not be recognised"
    default_remedy = (
        "choose its text encoding [[encoding]], or save the file as UTF-8 (in Excel: Save "
        "As > CSV UTF-8)"
    )


class UnsupportedFormat(DataImportError):
    default_problem = "this kind of file is not supported"
    default_remedy = (
        "save it as GeoPackage, GeoJSON, Shapefile, FlatGeobuf, KML, CSV, XLSX or GeoTIFF "
        "and load that"
    )


class FileVanished(DataImportError):
    default_problem = "the file was moved, deleted or changed while it was being read"
    default_remedy = "copy it to a local disk, keep it unchanged, and load it again"


class FileTooLarge(DataImportError):
    """Refused before reading: the estimated memory (bytes) exceeds what is available."""

    default_remedy = (
        "clip it to the study area or keep only the needed columns (e.g. with ogr2ogr "
        "-spat / -select), or close other programs, and load the smaller file"
    )

    def __init__(
        self, path: str | Path, needed: int, available: int, *, remedy: str | None = None
    ) -> None:
        self.needed = int(needed)
        self.available = int(available)
        if self.needed > self.available:
            problem = (
                f"loading it would need about {_gb(needed)} of memory but only "
                f"{_gb(available)} is available"
            )
        else:  # the estimate was fine but the read still ran out (MemoryError)
            problem = f"the computer ran out of memory while loading it ({_gb(available)} free)"
        super().__init__(path, problem, remedy=remedy)


class MissingCRS(DataImportError):
    """The layer declares no CRS; ``guess`` is the likely one (e.g. 'EPSG:4326') or None."""

    def __init__(self, path: str | Path, guess: str | None, *, remedy: str | None = None):
        self.guess = guess
        if remedy is None:
            remedy = (
                f"choose its coordinate system [[crs]] (the values look like {guess})"
                if guess else
                "choose its coordinate system [[crs]] (the EPSG code is usually in the "
                "data's documentation)"
            )
        super().__init__(path, "the layer has no coordinate reference system", remedy=remedy)


class MissingColumn(DataImportError):
    default_problem = "a mapped column is not in the file"
    default_remedy = "map the field to one of the file's columns [[columns]]"


class UnknownLayer(DataImportError):
    default_problem = "the file has no layer of that name"
    default_remedy = "pick one of the file's layers [[layer]]"


def _gb(n: int) -> str:
    if n >= 1 << 30:
        return f"{n / (1 << 30):.1f} GB"
    return f"{n / (1 << 20):.0f} MB"
