"""Map industry codes, OpenStreetMap tags and free category names to the sector taxonomy.

The tables are editable CSV files in ``resources/mappings`` (see ``paths.mappings_dir``), not
code, so a planning office can add its own register's categories. Values a table does not know
are returned to the caller as unknown categories for the user to map; they are never silently
dropped (until mapped they count as non-creative, like ``sectors.sector_codes``).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from districtplanner.analysis.sectors import (
    CREATIVE_SECTORS,
    INSTITUTION_TYPES,
    NON_CREATIVE,
    NON_CREATIVE_CODE,
    NON_CREATIVE_SECTORS,
    SECTOR_LABELS,
)
from districtplanner.paths import mappings_dir

# Scheme name -> shipped file. "names" holds free category names (English and German).
SCHEME_FILES: dict[str, str] = {
    "naics": "naics_2022.csv",
    "sic": "uk_sic2007_dcms.csv",
    "osm": "osm_tags.csv",
    "names": "category_names.csv",
}
SCHEME_LABELS: dict[str, str] = {
    "naics": "NAICS codes",
    "sic": "UK SIC 2007 / NACE Rev. 2 codes",
    "osm": "OpenStreetMap tags",
    "names": "Category names",
}
# Every key a mapping may assign: the creative taxonomy, the sample city's non-creative
# sectors, and plain non-creative.
TARGET_SECTORS: tuple[str, ...] = (*CREATIVE_SECTORS, *NON_CREATIVE_SECTORS, NON_CREATIVE)
EMPTY = ""  # the unknown category of null or blank values

_SECTION_LETTER = re.compile(r"^[A-Za-z]\s*(?=\d)")
_HSTORE_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=>\s*"((?:[^"\\]|\\.)*)"')
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


class SectorMappingError(ValueError):
    """A mapping file that cannot be used (names the file, line and problem)."""


def normalise_name(value: object) -> str:
    """A category name folded for matching: lower case, ä->ae, '&'/'und' -> 'and', only
    letters and digits separated by single spaces."""
    s = str(value).strip().casefold()
    s = s.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    s = s.replace("&", " and ").replace("+", " and ")
    s = _NON_ALNUM.sub(" ", s)
    words = ["and" if w == "und" else w for w in s.split()]
    return " ".join(words)


def normalise_code(value: object) -> str:
    """The digits of an industry code: 'J 58.11', '5811', 58110 and 5811.0 -> '5811'/'58110'."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        value = int(value)
    s = _SECTION_LETTER.sub("", str(value).strip())
    return re.sub(r"[\s.\-/]", "", s) if re.fullmatch(r"[\d\s.\-/]+", s) else ""


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return value is pd.NA or value is pd.NaT or str(value).strip() == ""


def _display(value: object) -> str:
    """A category as the user wrote it: '5121' rather than '5121.0' for codes read as floats."""
    if _is_blank(value):
        return EMPTY
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _read_table(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            lines = [ln for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    except OSError as exc:
        raise SectorMappingError(f"cannot read sector mapping {path}: {exc}") from exc
    rows = list(csv.DictReader(lines))
    for i, row in enumerate(rows, start=2):
        sector = (row.get("sector") or "").strip()
        if sector not in TARGET_SECTORS:
            raise SectorMappingError(
                f"{path.name}, data line {i}: sector {sector!r} is not one of "
                f"{', '.join(TARGET_SECTORS)}; correct the file."
            )
    return rows


@dataclass(frozen=True)
class SectorMapping:
    """One scheme's table (normalised value -> sector key) plus the user's own choices.

    ``overrides`` maps raw category strings (as shown to the user) to sector keys and wins
    over the table; it is what the import dialog fills in for unknown categories.
    """

    scheme: str
    table: Mapping[str, str]
    overrides: Mapping[str, str] = field(default_factory=dict)
    source: Path | None = None
    # OSM keys in file order: the first matching key of a feature decides its sector.
    osm_keys: tuple[str, ...] = ()
    # OSM "key=value" tags marked business=no: street furniture, not establishments.
    not_business: frozenset[str] = frozenset()

    @classmethod
    def load(cls, scheme: str = "names", path: str | Path | None = None) -> SectorMapping:
        """Read a scheme's table from ``path`` or from the shipped file in mappings_dir()."""
        if scheme not in SCHEME_FILES:
            raise ValueError(f"unknown sector scheme {scheme!r}; use one of {list(SCHEME_FILES)}")
        p = Path(path) if path is not None else mappings_dir() / SCHEME_FILES[scheme]
        rows = _read_table(p)
        table: dict[str, str] = {}
        keys: list[str] = []
        not_business: set[str] = set()
        for row in rows:
            sector = row["sector"].strip()
            if scheme == "osm":
                key = row["key"].strip().lower()
                tag = f"{key}={row['value'].strip().lower()}"
                table[tag] = sector
                if (row.get("business") or "yes").strip().lower() in ("no", "false", "0"):
                    not_business.add(tag)
                if key not in keys:
                    keys.append(key)
            elif scheme == "names":
                table[normalise_name(row["name"])] = sector
            else:
                code = normalise_code(row["code"])
                if not code:
                    raise SectorMappingError(f"{p.name}: {row['code']!r} is not a code")
                table[code] = sector
        if scheme == "names":
            for key in TARGET_SECTORS:
                table.setdefault(normalise_name(key.replace("_", " ")), key)
                if key in SECTOR_LABELS:
                    table.setdefault(normalise_name(SECTOR_LABELS[key]), key)
        return cls(scheme=scheme, table=table, source=p, osm_keys=tuple(keys),
                   not_business=frozenset(not_business))

    def with_overrides(self, overrides: Mapping[str, str]) -> SectorMapping:
        """A copy that also maps the given raw categories (e.g. chosen by the user)."""
        bad = {v for v in overrides.values() if v not in TARGET_SECTORS}
        if bad:
            raise ValueError(f"not sector keys: {sorted(bad)}")
        merged = {**self.overrides, **{str(k).strip(): v for k, v in overrides.items()}}
        return replace(self, overrides=merged)

    def lookup(self, value: object, key: str | None = None) -> str | None:
        """The sector key of one value, or None when unknown (blank values are unknown).

        ``key``: for the OSM scheme, the tag key of a column holding bare values.
        """
        if _is_blank(value):
            return self.overrides.get(EMPTY)
        raw = _display(value)
        if raw in self.overrides:
            return self.overrides[raw]
        if raw in TARGET_SECTORS:
            return raw
        if self.scheme in ("naics", "sic"):
            code = normalise_code(value)
            if self.scheme == "sic" and len(code) in (1, 3):
                code = "0" + code  # '1.11' read as a number lost its leading zero
            for n in range(len(code), 1, -1):
                hit = self.table.get(code[:n])
                if hit is not None:
                    return hit
            return None
        if self.scheme == "osm":
            return self._lookup_osm(raw, key)
        return self.table.get(normalise_name(raw))

    def _osm_tag(self, raw: str, key: str | None) -> str | None:
        """The 'key=value' tag that decides a feature: its first key in file order that
        the table knows (exactly or by the key's * row)."""
        pairs = _HSTORE_PAIR.findall(raw)
        if pairs:
            tags = {k.strip().lower(): v.strip().lower() for k, v in pairs}
        else:
            tags = {}
            for part in re.split(r"[;,]", raw):
                if "=" in part:
                    k, v = part.split("=", 1)
                    tags[k.strip().lower()] = v.strip().lower()
                elif key is not None and part.strip():
                    tags.setdefault(key.lower(), part.strip().lower())
        for k in self.osm_keys:
            if k in tags:
                exact = f"{k}={tags[k]}"
                if exact in self.table:
                    return exact
                if f"{k}=*" in self.table:
                    return f"{k}=*"
        return None

    def _lookup_osm(self, raw: str, key: str | None) -> str | None:
        tag = self._osm_tag(raw, key)
        return None if tag is None else self.table[tag]

    def not_establishments(self, values: Iterable[object], key: str | None = None
                           ) -> tuple[np.ndarray, list[tuple[str, int]]]:
        """Which values are street furniture and the like (OSM tags marked business=no in
        the mapping file), and those tags with their counts, most frequent first.

        An establishments layer leaves them out: in a city-centre POI extract benches,
        vending machines and bicycle parking were a quarter of the features."""
        series = values if isinstance(values, pd.Series) else pd.Series(list(values),
                                                                        dtype=object)
        if self.scheme != "osm" or not self.not_business or series.empty:
            return np.zeros(len(series), bool), []
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        tags = [None if _is_blank(u) or _display(u) in self.overrides
                else self._osm_tag(_display(u), key) for u in uniques]
        hit = np.array([t in self.not_business for t in tags] + [False], dtype=bool)
        slots = np.where(codes < 0, len(uniques), codes)
        mask = hit[slots]
        counts: dict[str, int] = {}
        for t, c in zip(tags, np.bincount(slots, minlength=len(hit))[:-1], strict=True):
            if t in self.not_business and c:
                counts[t] = counts.get(t, 0) + int(c)
        return mask, sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def categorise(
        self, values: Iterable[object], key: str | None = None, *, unknown_as_raw: bool = False
    ) -> tuple[np.ndarray, list[tuple[str, int]]]:
        """Sector key per value and the unknown categories with their row counts, most
        frequent first (blank values appear as '').

        Unknown values become None, or with ``unknown_as_raw`` their own stripped text (which
        ``sectors.sector_codes`` then counts as non-creative until the user maps them).
        """
        series = values if isinstance(values, pd.Series) else pd.Series(list(values),
                                                                        dtype=object)
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        mapped = [self.lookup(u, key) for u in uniques]
        mapped.append(self.lookup(None))  # the slot of null values
        names = [_display(u) for u in uniques] + [EMPTY]
        lut = np.array(
            [m if m is not None or not unknown_as_raw else n for m, n in zip(mapped, names,
                                                                            strict=True)],
            dtype=object,
        )
        slots = np.where(codes < 0, len(uniques), codes)
        counts = np.bincount(slots, minlength=len(lut))
        unknown: dict[str, int] = {}
        for m, n, c in zip(mapped, names, counts, strict=True):
            if m is None and c:
                unknown[n] = unknown.get(n, 0) + int(c)
        order = sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0]))
        return lut[slots], order

    def sector_keys(
        self, values: Iterable[object], key: str | None = None
    ) -> tuple[np.ndarray, list[str]]:
        """Sector key per value (object array, None where unknown) and the unknown categories,
        most frequent first (blank values appear as '')."""
        keys, unknown = self.categorise(values, key)
        return keys, [u for u, _n in unknown]

    def map_values(
        self, values: Iterable[object], key: str | None = None
    ) -> tuple[np.ndarray, list[str]]:
        """Integer sector code per value (index in CREATIVE_SECTORS, else NON_CREATIVE_CODE,
        unknown included) and the unknown categories, most frequent first."""
        keys, unknown = self.sector_keys(values, key)
        lookup = {s: i for i, s in enumerate(CREATIVE_SECTORS)}
        uniq, inv = np.unique(keys.astype(str), return_inverse=True)
        lut = np.array([lookup.get(u, NON_CREATIVE_CODE) for u in uniq], dtype=np.int8)
        return lut[inv.ravel()] if len(keys) else np.zeros(0, np.int8), unknown


def guess_scheme(values: Iterable[object], column: str = "") -> str:
    """Which scheme a sector column most likely uses, from its name and values.

    NAICS and SIC codes are both digits; 6-digit codes or 2-digit prefixes that are all
    NAICS sectors suggest NAICS, dotted codes ('58.11') SIC. OSM when values look like tags.
    """
    name = normalise_name(column)
    words = set(name.split())
    if "naics" in name:
        return "naics"
    if words & {"sic", "nace", "wz", "wz2008", "sic2007"}:
        return "sic"
    if words & {"amenity", "shop", "craft", "office", "tourism", "tags", "osm"}:
        return "osm"
    sample = [v for v in list(values)[:2000] if not _is_blank(v)]
    if not sample:
        return "names"
    strs = [str(v).strip() for v in sample]
    if sum("=" in s for s in strs) >= 0.5 * len(strs):
        return "osm"
    codes = [normalise_code(v) for v in sample]
    if sum(bool(c) for c in codes) < 0.8 * len(codes):
        return "names"
    if any("." in s for s in strs):
        return "sic"
    if any(len(c) == 6 for c in codes):
        return "naics"
    naics_sectors = {
        "11", "21", "22", "23", "31", "32", "33", "42", "44", "45", "48", "49", "51", "52",
        "53", "54", "55", "56", "61", "62", "71", "72", "81", "92",
    }
    hits = sum(c[:2] in naics_sectors for c in codes if c)
    return "naics" if hits >= 0.95 * len(codes) else "sic"


INSTITUTION_FILE = "institution_types.csv"


def load_institution_types(path: str | Path | None = None) -> dict[str, str]:
    """Folded institution name -> one of INSTITUTION_TYPES, from the editable CSV (the
    types themselves always match)."""
    p = Path(path) if path is not None else mappings_dir() / INSTITUTION_FILE
    try:
        with p.open(encoding="utf-8-sig", newline="") as fh:
            lines = [ln for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    except OSError as exc:
        raise SectorMappingError(f"cannot read institution types {p}: {exc}") from exc
    table = {normalise_name(t.replace("_", " ")): t for t in INSTITUTION_TYPES}
    for i, row in enumerate(csv.DictReader(lines), start=2):
        kind = (row.get("type") or "").strip()
        if kind not in INSTITUTION_TYPES:
            raise SectorMappingError(
                f"{p.name}, data line {i}: type {kind!r} is not one of "
                f"{', '.join(INSTITUTION_TYPES)}; correct the file."
            )
        table[normalise_name(row["name"].replace("_", " "))] = kind
    return table


def map_institution_types(
    values: Iterable[object], table: Mapping[str, str] | None = None
) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """Institution type per value ('amenity=theatre', 'Konzerthaus', 'museum') and the
    unknown names with their counts, most frequent first. Unknown values keep their own
    text, which the analysis counts as 'other institution'."""
    table = table if table is not None else load_institution_types()
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    names = [_display(u) for u in uniques]
    mapped = []
    for n in names:
        bare = n.split("=", 1)[1] if "=" in n else n
        mapped.append(table.get(normalise_name(bare.replace("_", " "))))
    lut = np.array([m if m is not None else n for m, n in zip(mapped, names, strict=True)]
                   + [EMPTY], dtype=object)
    slots = np.where(codes < 0, len(uniques), codes)
    counts = np.bincount(slots, minlength=len(lut))
    unknown: dict[str, int] = {}
    for m, n, c in zip(mapped, names, counts, strict=False):
        if m is None and c:
            unknown[n] = unknown.get(n, 0) + int(c)
    if counts[-1]:
        unknown[EMPTY] = unknown.get(EMPTY, 0) + int(counts[-1])
    return lut[slots], sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0]))
