"""Guess what a layer is for (its role) and which columns mean what, from names, types and
values, so the import dialog opens with a sensible proposal the planner only confirms.

Column names are compared after folding (lower case, ä -> ae, punctuation -> spaces), with
English and German vocabularies, since offices export from many registers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from districtplanner.analysis.assumptions import PARAMETERS
from districtplanner.analysis.roles import ROLE_FIELDS, LayerRole
from districtplanner.analysis.sector_mapping import normalise_name
from districtplanner.analysis.sectors import INSTITUTION_TYPES

# Logical field -> name patterns, strongest first. A pattern matches a whole folded name,
# one of its words, or (4+ letters) a part of it.
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "sector": (
        "sector", "sektor", "industry", "industrie", "branche", "naics", "sic", "sic2007",
        "nace", "wz", "wz2008", "category", "kategorie", "activity", "wirtschaftszweig",
        "amenity", "craft", "shop", "office", "class",
    ),
    "jobs": (
        "jobs", "employees", "employment", "emp", "staff", "workers", "headcount",
        "beschaeftigte", "mitarbeiter", "arbeitsplaetze", "svb", "employees total",
    ),
    "name": (
        "name", "stop name", "title", "label", "bezeichnung", "firma", "company",
        "firmenname", "nom", "nombre", "district name", "bezirk", "ortsteil",
    ),
    "rent": (
        "rent", "miete", "kaltmiete", "nettokaltmiete", "mietpreis", "rent eur m2",
        "rent per m2", "price", "preis", "loyer", "angebotsmiete",
    ),
    "floor_area": (
        "floor area", "area m2", "living area", "wohnflaeche", "flaeche", "size m2", "sqm",
        "sqft", "square feet",
    ),
    "type": ("type", "typ", "kind", "art", "category", "kategorie", "amenity", "tourism"),
    "line": ("line", "lines", "route", "routes", "linie", "linien", "route short name"),
    "population": (
        "population", "pop", "einwohner", "bevoelkerung", "residents", "inhabitants",
        "totpop", "pop total", "total population",
    ),
    "households": ("households", "haushalte", "hh", "n households", "hh total"),
    "median_income": (
        "median income", "income", "einkommen", "medinc", "med income", "hh income",
        "household income", "median household income", "kaufkraft", "hinc", "inc",
    ),
    "renter_share": (
        "renter share", "renters", "renter", "mieterquote", "share renters", "pct renters",
        "renter pct", "rented", "tenure rented", "mieteranteil",
    ),
    "rent_growth": ("rent growth", "rent change", "mietsteigerung", "rent increase"),
    "colour": ("colour", "color", "farbe"),
    "notes": ("notes", "note", "comment", "comments", "bemerkung", "notiz", "beschreibung"),
}
NUMERIC_FIELDS = frozenset(
    {"jobs", "rent", "floor_area", "population", "households", "median_income",
     "renter_share", "rent_growth", "x", "y"}
)
# Extra fields a role may carry beside ROLE_FIELDS (they help convert units).
EXTRA_FIELDS: dict[LayerRole, tuple[str, ...]] = {LayerRole.RENTS: ("floor_area", "name")}

# Longitude/latitude names (a subset of the coordinate names: these imply degrees).
LONLAT_LON_NAMES = ("lon", "lng", "long", "longitude", "laenge", "laengengrad",
                    "geogr laenge", "stop lon", "lon wgs84")
LONLAT_LAT_NAMES = ("lat", "latitude", "breite", "breitengrad", "geogr breite", "stop lat",
                    "lat wgs84")
LON_NAMES = (
    *LONLAT_LON_NAMES, "x", "easting", "east",
    "x coord", "xcoord", "coord x", "point x", "rechtswert",
)
LAT_NAMES = (
    *LONLAT_LAT_NAMES, "y", "northing", "north",
    "y coord", "ycoord", "coord y", "point y", "hochwert",
)
WKT_NAMES = ("wkt", "geometry", "geom", "the geom", "shape", "geometrie", "wkt geom")
FIELD_NAMES.update(x=LON_NAMES, y=LAT_NAMES, wkt=WKT_NAMES)
_WKT_START = re.compile(
    r"^\s*(SRID=\d+;\s*)?(MULTI)?(POINT|LINESTRING|POLYGON)|^\s*GEOMETRYCOLLECTION", re.I
)

# Rent units: key -> (label, factor to 'per m² per month' or None when it needs an area,
# square feet per unit of area).
RENT_UNITS: dict[str, tuple[str, float | None]] = {
    "m2_month": ("per m² per month", 1.0),
    "m2_year": ("per m² per year", 1.0 / 12.0),
    "sqft_month": ("per sq ft per month", 10.763910417),
    "sqft_year": ("per sq ft per year", 10.763910417 / 12.0),
    "unit_month": ("per dwelling per month", None),
    "unit_year": ("per dwelling per year", None),
}
DEFAULT_DWELLING_M2 = next(p.default for p in PARAMETERS if p.name == "dwelling_floor_area")


def _words(name: str) -> tuple[str, set[str]]:
    folded = normalise_name(name.replace("_", " "))
    return folded, set(folded.split())


def name_score(column: str, patterns: Sequence[str]) -> float:
    """How well a column name matches a field's patterns: 0 none, higher is better."""
    folded, words = _words(column)
    best = 0.0
    for rank, pat in enumerate(patterns):
        bonus = 1.0 - rank / (10.0 * len(patterns))
        if folded == pat:
            best = max(best, 3.0 * bonus)
        elif (" " not in pat and pat in words) or (" " in pat and pat in folded):
            best = max(best, 2.0 * bonus)
        elif len(pat) >= 4 and pat.replace(" ", "") in folded.replace(" ", ""):
            best = max(best, 1.0 * bonus)
    return best


def is_numeric_like(values: Sequence[Any] | pd.Series) -> bool:
    """True when at least 80% of the non-blank values read as numbers (decimal comma ok)."""
    s = pd.Series(values)
    if pd.api.types.is_bool_dtype(s.dtype):
        return False
    if pd.api.types.is_numeric_dtype(s.dtype):
        return bool(s.notna().any())
    s = s.dropna().astype(str).str.strip()
    s = s[s != ""]
    if s.empty:
        return False
    num = to_number(s)
    return bool(num.notna().mean() >= 0.8)


def to_number(values: pd.Series) -> pd.Series:
    """Numbers from text: '12,5' and '1.234,5' (decimal comma), '€ 12.50', ' 7 '; NaN else."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    ):
        return values.astype(float)
    s = values.astype("string").str.strip()
    s = s.str.replace(r"^[€$£]\s*|\s*(€|EUR|USD|\$|£|%)$", "", regex=True)
    comma_dec = s.str.fullmatch(r"-?[\d.]*\d,\d+", na=False)
    s = s.where(~comma_dec, s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    return pd.to_numeric(s, errors="coerce").astype(float)


def find_coordinate_columns(columns: Sequence[str]) -> tuple[str, str] | None:
    """The (x/lon, y/lat) column pair by common names, or None."""
    best_x = max(columns, key=lambda c: name_score(c, LON_NAMES), default=None)
    best_y = max(columns, key=lambda c: name_score(c, LAT_NAMES), default=None)
    if best_x is None or best_y is None or best_x == best_y:
        return None
    # Substring hits ('text' contains 'x'? no: short names only match whole words).
    if name_score(best_x, LON_NAMES) < 2.0 or name_score(best_y, LAT_NAMES) < 2.0:
        return None
    return best_x, best_y


def find_wkt_column(columns: Sequence[str], samples: Mapping[str, Sequence[Any]]) -> str | None:
    """A column whose values are WKT geometries, preferring names like 'wkt' or 'geometry'."""
    ordered = sorted(columns, key=lambda c: -name_score(c, WKT_NAMES))
    for c in ordered:
        vals = [v for v in samples.get(c, []) if isinstance(v, str) and v.strip()]
        if vals and sum(bool(_WKT_START.match(v)) for v in vals) >= 0.8 * len(vals):
            return c
    return None


def guess_role(
    columns: Sequence[str],
    dtypes: Sequence[str] | Mapping[str, str] | None,
    geometry_kind: str,
    name: str = "",
    samples: Mapping[str, Sequence[Any]] | None = None,
) -> LayerRole:
    """The most likely role of a layer.

    ``geometry_kind``: 'point', 'line', 'polygon', 'raster', 'tiles' or 'mixed';
    ``name``: file or layer name; ``samples``: first values per column (optional, sharpens
    the guess between institutions and establishments).
    """
    cols = list(columns)
    folded_name, name_words = _words(name)
    lname = folded_name.replace(" ", "")

    def has(field: str, minimum: float = 2.0) -> bool:
        return any(name_score(c, FIELD_NAMES[field]) >= minimum for c in cols)

    def named(*words: str) -> bool:
        return any(w in name_words or (len(w) >= 5 and w in lname) for w in words)

    if geometry_kind == "tiles":
        return LayerRole.BASEMAP
    if geometry_kind == "raster":
        if named("rent", "rents", "miete", "mieten", "mietspiegel", "price"):
            return LayerRole.RENTS
        if named("basemap", "tiles", "ortho", "orthophoto", "osm", "aerial", "satellite"):
            return LayerRole.BASEMAP
        return LayerRole.CONTEXT
    gtfs = {"stop_id", "stop_lat", "stop_lon"} <= {c.lower() for c in cols}
    if geometry_kind == "mixed":
        # OSM point-of-interest exports mix nodes with building outlines: a point role
        # when the columns say so (the reader then takes a point inside each outline).
        as_points = guess_role(cols, dtypes, "point", name, samples)
        return as_points if as_points in (LayerRole.ESTABLISHMENTS, LayerRole.INSTITUTIONS,
                                          LayerRole.TRANSIT_STOPS) else LayerRole.CONTEXT
    if geometry_kind == "point":
        if gtfs or named("stops", "stop", "station", "stations", "haltestellen", "haltestelle"):
            return LayerRole.TRANSIT_STOPS
        if has("rent") and not has("sector"):
            return LayerRole.RENTS
        if named("museum", "museums", "institutions", "institution", "venues", "culture",
                 "kultur", "theatres", "galleries"):
            return LayerRole.INSTITUTIONS
        if samples and _looks_like_institutions(cols, samples):
            return LayerRole.INSTITUTIONS
        if has("sector", 1.0) or has("jobs") or named(
            "establishments", "firms", "businesses", "companies", "unternehmen", "betriebe",
            "pois", "poi", "amenities", "shops",
        ):
            return LayerRole.ESTABLISHMENTS
        if has("rent", 1.0):
            return LayerRole.RENTS
        return LayerRole.CONTEXT
    if geometry_kind == "line":
        if named("lines", "routes", "transit", "tram", "bus", "metro", "rail", "subway",
                 "ubahn", "sbahn", "linien") or has("line"):
            return LayerRole.TRANSIT_LINES
        return LayerRole.CONTEXT
    if geometry_kind == "polygon":
        if has("colour") and has("notes"):
            return LayerRole.DISTRICTS
        census = sum(has(f) for f in ("population", "households", "median_income",
                                      "renter_share"))
        if census >= 1 or named("neighbourhoods", "neighborhoods", "census", "tracts",
                                "wards", "bezirke", "ortsteile", "quartiere", "lsoa"):
            return LayerRole.NEIGHBOURHOODS
        if has("rent", 1.0):
            return LayerRole.RENTS
        return LayerRole.CONTEXT
    return LayerRole.CONTEXT


def _looks_like_institutions(cols: Sequence[str], samples: Mapping[str, Sequence[Any]]) -> bool:
    kinds = set(INSTITUTION_TYPES) | {"theater", "cinema", "arts_centre", "concert_hall"}
    for c in cols:
        if name_score(c, FIELD_NAMES["type"]) < 2.0:
            continue
        vals = [normalise_name(v).replace(" ", "_") for v in samples.get(c, []) if v is not None]
        if vals and sum(v in kinds for v in vals) >= 0.6 * len(vals):
            return True
    return False


def guess_mapping(
    role: LayerRole,
    columns: Sequence[str],
    samples: Mapping[str, Sequence[Any]] | pd.DataFrame | None = None,
) -> dict[str, str]:
    """Logical field -> column for a role, plus unit notes the reader applies.

    ``samples``: first values per column (a DataFrame or dict); numeric fields only take
    columns whose values read as numbers. For rents the result also holds ``rent_unit`` (a
    key of RENT_UNITS); for neighbourhoods ``renter_share_unit`` ('share' or 'percent').
    """
    if isinstance(samples, pd.DataFrame):
        samples = {c: samples[c].tolist() for c in samples.columns}
    samples = samples or {}
    fields = list(ROLE_FIELDS.get(role, ())) + list(EXTRA_FIELDS.get(role, ()))
    candidates: list[tuple[float, str, str]] = []
    for f in fields:
        for c in columns:
            score = name_score(c, FIELD_NAMES.get(f, (f,)))
            if score <= 0:
                continue
            if f in NUMERIC_FIELDS and c in samples and not is_numeric_like(samples[c]):
                continue
            if f == "name" and c in samples and is_numeric_like(samples[c]):
                score *= 0.5  # ids are not names
            candidates.append((score, f, c))
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for _score, f, c in sorted(candidates, key=lambda t: (-t[0], fields.index(t[1]))):
        if f in mapping or c in used:
            continue
        mapping[f] = c
        used.add(c)
    if role == LayerRole.RENTS and "rent" in mapping:
        vals = samples.get(mapping["rent"], [])
        mapping["rent_unit"] = guess_rent_unit(mapping["rent"], vals)
    if role == LayerRole.NEIGHBOURHOODS and "renter_share" in mapping:
        vals = to_number(pd.Series(samples.get(mapping["renter_share"], []), dtype=object))
        mapping["renter_share_unit"] = (
            "percent" if vals.notna().any() and float(vals.max()) > 1.5 else "share"
        )
    return {f: mapping[f] for f in [*fields, "rent_unit", "renter_share_unit"] if f in mapping}


def candidate_columns(
    field: str, columns: Sequence[str], samples: Mapping[str, Sequence[Any]] | None = None
) -> list[str]:
    """Columns a dialog should offer for a field, best first (numeric fields: numbers only;
    'x'/'y'/'wkt' are a table's geometry columns)."""
    samples = samples or {}
    out = []
    for c in columns:
        if field in NUMERIC_FIELDS and c in samples and not is_numeric_like(samples[c]):
            continue
        if field == "wkt" and c in samples and find_wkt_column([c], samples) is None:
            continue
        out.append((name_score(c, FIELD_NAMES.get(field, (field,))), c))
    return [c for _s, c in sorted(out, key=lambda t: -t[0])]


def guess_rent_unit(column: str, values: Sequence[Any] = ()) -> str:
    """A key of RENT_UNITS from the column name ('miete_qm_monat', 'annual_rent_psf') and, where
    the name is silent, from the size of the values (per m² a month is typically 3-150)."""
    folded, words = _words(column)
    flat = folded.replace(" ", "")
    area = None
    if words & {"m2", "qm", "sqm", "m", "m²"} or any(
        k in flat for k in ("perm2", "proqm", "jeqm", "eurm2", "eurqm", "persqm", "m2")
    ):
        area = "m2"
    elif words & {"sqft", "psf", "ft2", "ft"} or "sqft" in flat or "squarefoot" in flat:
        area = "sqft"
    elif words & {"unit", "dwelling", "wohnung", "apartment", "flat", "gesamt", "total"}:
        area = "unit"
    period = None
    if words & {"month", "monthly", "monat", "monatlich", "mtl", "pm", "pcm", "mo"} or (
        "month" in flat or "monat" in flat
    ):
        period = "month"
    elif words & {"year", "yearly", "annual", "jahr", "jaehrlich", "pa", "yr", "jahres"} or (
        "annual" in flat or "year" in flat or "jahr" in flat
    ):
        period = "year"
    nums = to_number(pd.Series(list(values), dtype=object)).dropna()
    med = float(np.median(nums)) if len(nums) else None
    if area is None:
        if med is None:
            area = "m2"
        elif period == "year":
            area = "m2" if med <= 1500 else "unit"
        else:
            area = "m2" if med <= 150 else "unit"
    if period is None:
        if med is None:
            period = "month"
        elif area == "m2":
            period = "month" if med <= 150 else "year"
        elif area == "sqft":
            period = "month" if med <= 15 else "year"
        else:
            period = "month" if med <= 8000 else "year"
    return f"{area}_{period}"


@dataclass(frozen=True)
class RentConversion:
    """How a rent column becomes currency per m² per month (the unit of the analysis)."""

    unit: str
    label: str
    factor: float | None  # multiply by this; None: divide by floor area instead
    floor_area_m2: float | None  # the assumed dwelling size when no area column is mapped

    def describe(self, column: str, area_column: str | None = None) -> str:
        if self.factor is not None:
            if self.factor == 1.0:
                return f"Rents in '{column}' are read as {self.label}."
            return (f"Rents in '{column}' converted from {self.label} to per m² per month "
                    f"(× {self.factor:.4g}).")
        per = "/12 " if self.unit.endswith("year") else ""
        if area_column:
            return (f"Rents in '{column}' converted from {self.label} to per m² per month "
                    f"(÷ floor area in '{area_column}' {per}).")
        return (f"Rents in '{column}' converted from {self.label} to per m² per month "
                f"assuming {self.floor_area_m2:g} m² per dwelling {per}(assumption "
                f"'dwelling_floor_area'; map a floor-area column to use real sizes).")


def rent_conversion(unit: str, floor_area_m2: float | None = None) -> RentConversion:
    """The conversion for a RENT_UNITS key; per-dwelling units divide by a floor area (m²)."""
    if unit not in RENT_UNITS:
        raise ValueError(f"unknown rent unit {unit!r}; use one of {list(RENT_UNITS)}")
    label, factor = RENT_UNITS[unit]
    area = floor_area_m2 if floor_area_m2 is not None else DEFAULT_DWELLING_M2
    return RentConversion(unit, label, factor, None if factor is not None else area)
