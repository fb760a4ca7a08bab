"""Displacement risk under published methods, side by side.

Three typologies classify every neighbourhood from its columns at two dates (t0, the
earlier census; t1, the latest): the Urban Displacement Project's (Chapple & Zuk 2016),
Bates (2013, Portland) and Freeman (2005). A district then reports, per method, the share
of its households in each class, how many methods flag it, and how far the methods agree
(Fleiss' kappa). Published practice is why they sit side by side: four typologies applied
to the same 180 Boston tracts flagged 25 to 119 of them and agreed on 7 (Preis et al.
2021). A method whose inputs are missing is "partial (n of m criteria)" and classifies
nothing: no criterion is ever filled in with a guess. Methods: docs/methods.md
("## Displacement methods"); the criteria texts below are that section's source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

# Two-date neighbourhood columns the methods read (t1 columns without suffix are shared
# with the other figures: renter_share, median_income, households).
TWO_DATE_FIELDS: tuple[str, ...] = (
    "households_t0", "low_income_share_t0", "low_income_share", "college_share_t0",
    "college_share", "poc_share_t0", "poc_share", "renter_share_t0", "median_income_t0",
    "median_rent_t0", "median_rent", "recent_housing_share_t0",
)


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa of ``counts[i, j]`` = raters putting subject i in category j (every
    row sums to the same number of raters n ≥ 2). 1 is perfect agreement, 0 what chance
    gives; NaN when chance alone already agrees perfectly (one category used) or there
    are no subjects (Fleiss 1971, Psychological Bulletin 76(5))."""
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] == 0:
        return float("nan")
    n = c.sum(axis=1)
    if not np.all(n == n[0]) or n[0] < 2:
        raise ValueError("every subject needs the same number (≥ 2) of ratings")
    raters = n[0]
    p_j = c.sum(axis=0) / c.sum()
    p_i = ((c * c).sum(axis=1) - raters) / (raters * (raters - 1))
    p_bar, p_e = p_i.mean(), float((p_j * p_j).sum())
    if p_e >= 1.0:
        return float("nan")
    return float((p_bar - p_e) / (1.0 - p_e))


@dataclass(frozen=True)
class Criterion:
    """One test of a method: ``columns`` it reads, ``text`` as the method states it."""

    name: str
    columns: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Method:
    """A published typology: its classes, which of them flag displacement risk, its
    criteria and the function that classifies complete neighbourhoods."""

    key: str
    name: str
    citation: str
    classes: tuple[str, ...]
    flagged: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    note: str
    classify: Callable[[dict[str, np.ndarray], np.ndarray], np.ndarray]


def _hh_rate(share: np.ndarray, hh: np.ndarray) -> float:
    """The city-wide rate of a share: household-weighted over neighbourhoods that have it."""
    ok = np.isfinite(share) & np.isfinite(hh)
    return float((share[ok] * hh[ok]).sum() / hh[ok].sum()) if hh[ok].sum() > 0 else np.nan


def _median(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else float("nan")


def _touching(geoms: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Neighbourhoods sharing an edge or corner with one where ``mask`` holds."""
    out = np.zeros(len(geoms), bool)
    if not mask.any():
        return out
    tree = shapely.STRtree(geoms)
    _, b = tree.query(geoms[mask], predicate="intersects")
    out[b] = True
    return out


# ---- Urban Displacement Project ---------------------------------------------------------

UDP_CLASSES = ("LI - not losing low-income households", "LI - at risk of gentrification",
               "LI - ongoing displacement", "LI - ongoing gentrification",
               "MHI - stable", "MHI - at risk of exclusion", "MHI - ongoing exclusion")


def _udp(c: dict[str, np.ndarray], hh: np.ndarray) -> np.ndarray:
    li = c["low_income_share"] > _median(c["low_income_share"])
    vulnerable_t0 = ((c["low_income_share_t0"] > _median(c["low_income_share_t0"])).astype(int)
                     + (c["college_share_t0"] < _median(c["college_share_t0"]))
                     + (c["renter_share_t0"] > _median(c["renter_share_t0"]))
                     + (c["poc_share_t0"] > _median(c["poc_share_t0"]))) >= 2
    d_college = c["college_share"] - c["college_share_t0"]
    d_income = c["median_income"] / c["median_income_t0"] - 1
    demographic = (d_college > _median(d_college)) & (d_income > _median(d_income))
    d_rent = c["median_rent"] / c["median_rent_t0"] - 1
    hot = d_rent > _median(d_rent)
    li_hh_t0 = c["low_income_share_t0"] * c["households_t0"]
    losing = c["low_income_share"] * hh < li_hh_t0
    out = np.where(li, 0, 4)
    out = np.where(li & vulnerable_t0 & hot, 1, out)
    out = np.where(li & losing, 2, out)
    out = np.where(li & vulnerable_t0 & demographic & hot, 3, out)
    out = np.where(~li & hot, 5, out)
    out = np.where(~li & hot & losing, 6, out)
    return out


# ---- Bates (2013) -----------------------------------------------------------------------

BATES_CLASSES = ("not at risk", "susceptible", "early: type 1", "early: type 2", "dynamic",
                 "late", "continued loss")


def _bates_vulnerable(c: dict[str, np.ndarray], hh: np.ndarray, sfx: str) -> np.ndarray:
    cols = {k: c[f"{k}{sfx}"] for k in ("renter_share", "poc_share", "low_income_share")}
    no_degree = 1 - c[f"college_share{sfx}"]
    return ((cols["renter_share"] > _hh_rate(cols["renter_share"], hh)).astype(int)
            + (cols["poc_share"] > _hh_rate(cols["poc_share"], hh))
            + (no_degree > _hh_rate(no_degree, hh))
            + (cols["low_income_share"] > _hh_rate(cols["low_income_share"], hh))) >= 3


def _bates(c: dict[str, np.ndarray], hh: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    vulnerable = _bates_vulnerable(c, hh, "")
    vulnerable_t0 = _bates_vulnerable(c, c["households_t0"], "_t0")
    owner_up = (c["renter_share_t0"] - c["renter_share"])  # owner share change
    white_up = (c["poc_share_t0"] - c["poc_share"])
    college_up = c["college_share"] - c["college_share_t0"]
    income_up = c["median_income"] / c["median_income_t0"] - 1
    above = [owner_up > _city_change(c, "renter_share", hh, invert=True),
             white_up > _city_change(c, "poc_share", hh, invert=True),
             college_up > _city_change(c, "college_share", hh),
             income_up > _median(income_up)]
    n_up = sum(a.astype(int) for a in above)
    demographic = (n_up >= 3) | (above[1] & above[2])
    value, change = c["median_rent"], c["median_rent"] / c["median_rent_t0"] - 1
    low_mod = value < np.nanpercentile(value, 60)
    low_mod_t0 = c["median_rent_t0"] < np.nanpercentile(c["median_rent_t0"], 60)
    high_app = change >= np.nanpercentile(change, 60)
    accelerating = low_mod & high_app
    appreciated = low_mod_t0 & ~low_mod & high_app
    adjacent = low_mod & ~high_app & _touching(geoms, ~low_mod | high_app)
    out = np.zeros(len(value), np.int64)
    out = np.where(vulnerable & ~demographic & adjacent, 1, out)
    out = np.where(vulnerable & ~demographic & accelerating, 2, out)
    out = np.where(vulnerable & demographic & adjacent, 3, out)
    out = np.where(vulnerable & demographic & accelerating, 4, out)
    out = np.where(vulnerable & demographic & appreciated, 5, out)
    out = np.where(vulnerable_t0 & ~vulnerable & demographic & appreciated, 6, out)
    return out


def _city_change(c: dict[str, np.ndarray], col: str, hh: np.ndarray,
                 invert: bool = False) -> float:
    """Change of the city-wide rate of ``col`` from t0 to t1 (negated with ``invert``)."""
    d = _hh_rate(c[col], hh) - _hh_rate(c[f"{col}_t0"], c["households_t0"])
    return -d if invert else d


# ---- Freeman (2005) ---------------------------------------------------------------------

FREEMAN_CLASSES = ("not gentrifiable", "gentrifiable, not gentrifying", "gentrifying")


def _freeman(c: dict[str, np.ndarray], hh: np.ndarray) -> np.ndarray:
    gentrifiable = ((c["median_income_t0"] < _median(c["median_income_t0"]))
                    & (c["recent_housing_share_t0"] < _median(c["recent_housing_share_t0"])))
    d_college = c["college_share"] - c["college_share_t0"]
    gentrifying = (gentrifiable & (d_college > _median(d_college))
                   & (c["median_rent"] > c["median_rent_t0"]))
    return np.where(gentrifying, 2, np.where(gentrifiable, 1, 0))


_C = Criterion
METHODS: tuple[Method, ...] = (
    Method(
        "udp", "Urban Displacement Project typology",
        "Chapple & Zuk (2016), Cityscape 18(3); UDP Bay Area methodology (2015)",
        UDP_CLASSES, UDP_CLASSES[1:4] + UDP_CLASSES[5:],
        (_C("low-income neighbourhood", ("low_income_share",),
            "share of low-income households (below 80% of area median income) at t1 above "
            "the median neighbourhood"),
         _C("vulnerable at t0", ("low_income_share_t0", "college_share_t0",
                                 "renter_share_t0", "poc_share_t0"),
            "at least 2 of 4 at t0: low-income share above the median neighbourhood, "
            "college-educated share below it, renter share above it, people-of-colour "
            "share above it"),
         _C("demographic change", ("college_share_t0", "college_share", "median_income_t0",
                                   "median_income"),
            "rise in the college-educated share and in median income both above the "
            "median neighbourhood's"),
         _C("hot market", ("median_rent_t0", "median_rent"),
            "rent change t0 to t1 above the median neighbourhood's"),
         _C("losing low-income households", ("households_t0", "low_income_share_t0",
                                             "low_income_share", "households"),
            "fewer low-income households at t1 than at t0")),
        "LI tracts: ongoing gentrification = vulnerable, demographic change and hot market; "
        "ongoing displacement = losing low-income households; at risk = vulnerable and hot "
        "market. Moderate/high-income (MHI) tracts: at risk of exclusion = hot market; "
        "ongoing exclusion = hot market and losing low-income households. Advanced stages "
        "need a third date and are not drawn.",
        lambda c, hh: _udp(c, hh),
    ),
    Method(
        "bates", "Bates (2013), Portland gentrification typology",
        "Bates (2013), Gentrification and Displacement Study, City of Portland",
        BATES_CLASSES, BATES_CLASSES[1:],
        (_C("vulnerable", ("renter_share", "poc_share", "college_share", "low_income_share"),
            "at least 3 of 4 above the city rate: renters, people of colour, adults without "
            "a bachelor's degree, households below 80% of the area median income"),
         _C("vulnerable at t0", ("renter_share_t0", "poc_share_t0", "college_share_t0",
                                 "low_income_share_t0", "households_t0"),
            "the same test on the t0 columns (for 'continued loss')"),
         _C("demographic change", ("renter_share_t0", "poc_share_t0", "college_share_t0",
                                   "median_income_t0", "median_income"),
            "at least 3 of 4 gains above the city's (owner share, white share, bachelor's "
            "share, median income), or the white and bachelor's gains both"),
         _C("housing market", ("median_rent_t0", "median_rent"),
            "rent (for home value) low/moderate = below the city's 60th percentile; high "
            "appreciation = change in the top two quintiles; accelerating = low/moderate and "
            "high appreciation; appreciated = low/moderate at t0, high at t1, high "
            "appreciation; adjacent = low/moderate, not high appreciation, touching a "
            "high-value or high-appreciation neighbourhood")),
        "Susceptible = vulnerable, no demographic change, adjacent; early type 1 = "
        "vulnerable, no change, accelerating; early type 2 = vulnerable, change, adjacent; "
        "dynamic = vulnerable, change, accelerating; late = vulnerable, change, "
        "appreciated; continued loss = vulnerable at t0 only, change, appreciated. Rents "
        "stand in for Bates's home values.",
        lambda c, hh: _bates(c, hh, c["_geoms"]),
    ),
    Method(
        "freeman", "Freeman (2005) gentrification test",
        "Freeman (2005), Urban Affairs Review 40(4)",
        FREEMAN_CLASSES, FREEMAN_CLASSES[2:],
        (_C("low income at t0", ("median_income_t0",),
            "median household income at t0 below the median neighbourhood's"),
         _C("older housing at t0", ("recent_housing_share_t0",),
            "share of housing built in the 20 years before t0 below the median "
            "neighbourhood's"),
         _C("education rising", ("college_share_t0", "college_share"),
            "rise in the college-educated share above the median neighbourhood's"),
         _C("real rents rising", ("median_rent_t0", "median_rent"),
            "median rent at t1 above t0 in constant prices (give median_rent_t0 in t1 "
            "prices)")),
        "Every neighbourhood of the plan's city counts as central city (Freeman's first "
        "test). Gentrifiable = low income and older housing at t0; gentrifying = "
        "gentrifiable, education rising and real rents rising.",
        lambda c, hh: _freeman(c, hh),
    ),
)
del _C


@dataclass
class MethodResult:
    """One method's reading of a district: ``shares`` of its households per class (None
    when the method is partial), criteria used and missing, and ``status``."""

    key: str
    name: str
    citation: str
    status: str
    criteria_used: list[str]
    criteria_missing: list[str]
    shares: dict[str, float] | None
    flagged_share: float | None
    flagged: bool | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class DisplacementMethods:
    """Every method side by side: how many flag the district and their agreement."""

    methods: list[MethodResult]
    flagged_by: int
    of: int
    kappa_city: float
    kappa_district: float
    neighbourhoods_compared: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"methods": {m.key: m.to_dict() for m in self.methods},
                "flagged_by": self.flagged_by, "of": self.of,
                "agreement": {"fleiss_kappa_city": _num(self.kappa_city),
                              "fleiss_kappa_district": _num(self.kappa_district),
                              "neighbourhoods_compared": self.neighbourhoods_compared},
                "notes": list(self.notes)}


def _num(v: float) -> float | None:
    return v if np.isfinite(v) else None


@dataclass
class CityTypologies:
    """Per method the class of every neighbourhood (-1: unknown), computed once per layer."""

    classes: dict[str, np.ndarray]
    status: dict[str, tuple[str, list[str], list[str]]]
    # Per full method, flagged (1.0), not (0.0) or unclassified (NaN) per neighbourhood,
    # and the city-wide agreement: district-independent, so computed once.
    flags: dict[str, np.ndarray] = field(default_factory=dict)
    kappa_city: float = float("nan")


def city_typologies(neighbourhoods: Any, households: np.ndarray) -> CityTypologies:
    """Classify every neighbourhood under every method whose columns are all present.

    ``neighbourhoods``: the standardised neighbourhood frame (missing columns absent or
    all NaN); ``households``: households per neighbourhood at t1 (NaN where unknown)."""
    cols: dict[str, Any] = {}
    n = len(neighbourhoods)
    for name in (*TWO_DATE_FIELDS, "renter_share", "median_income"):
        v = (neighbourhoods[name].to_numpy(np.float64) if name in neighbourhoods.columns
             else np.full(n, np.nan))
        cols[name] = v
    cols["households"] = np.asarray(households, dtype=np.float64)
    cols["_geoms"] = np.asarray(neighbourhoods.geometry.values)
    classes: dict[str, np.ndarray] = {}
    status: dict[str, tuple[str, list[str], list[str]]] = {}
    for m in METHODS:
        present = [c for c in m.criteria
                   if all(np.isfinite(cols[k]).any() for k in c.columns)]
        missing = [c for c in m.criteria if c not in present]
        used = [c.name for c in present]
        gone = [f"{c.name} (needs "
                f"{', '.join(k for k in c.columns if not np.isfinite(cols[k]).any())})"
                for c in missing]
        if missing:
            status[m.key] = (f"partial ({len(present)} of {len(m.criteria)} criteria)",
                             used, gone)
            classes[m.key] = np.full(n, -1)
            continue
        needed = {k for c in m.criteria for k in c.columns}
        known = np.logical_and.reduce([np.isfinite(cols[k]) for k in needed])
        with np.errstate(divide="ignore", invalid="ignore"):
            cls = np.asarray(m.classify(cols, cols["households"]), dtype=np.int64)
        classes[m.key] = np.where(known, cls, -1)
        status[m.key] = ("full", used, [])
    flags = {}
    for m in METHODS:
        if status[m.key][0] == "full":
            cls = classes[m.key]
            flagged_ids = [m.classes.index(c) for c in m.flagged]
            flags[m.key] = np.where(cls >= 0, np.isin(cls, flagged_ids), np.nan)
    kappa = _kappa(np.vstack(list(flags.values())))[0] if len(flags) >= 2 else float("nan")
    return CityTypologies(classes, status, flags, kappa)


def district_methods(typ: CityTypologies, nbhd_index: np.ndarray, nbhd_fraction: np.ndarray,
                     households: np.ndarray) -> DisplacementMethods:
    """Each method's household shares per class over the neighbourhoods a district touches
    (households × share of area inside), the count of methods that flag it (half or more
    of its classified households in a flagged class), and Fleiss' kappa on 'flagged or
    not' over the city's and the district's neighbourhoods classified by every full
    method."""
    i = np.asarray(nbhd_index, dtype=np.intp)
    w = np.asarray(households, dtype=np.float64)[i] * np.asarray(nbhd_fraction)
    results: list[MethodResult] = []
    flags_dist = []
    for m in METHODS:
        st, used, gone = typ.status[m.key]
        if st != "full":
            results.append(MethodResult(m.key, m.name, m.citation, st, used, gone, None,
                                        None, None))
            continue
        c_in = typ.classes[m.key][i]
        ok = (c_in >= 0) & np.isfinite(w) & (w > 0)
        sums = np.bincount(c_in[ok], weights=w[ok], minlength=len(m.classes))
        total = float(sums.sum())
        shares = dict(zip(m.classes, (sums / total if total > 0 else sums).tolist(),
                          strict=True))
        fshare = float(sum(shares[c] for c in m.flagged))
        results.append(MethodResult(m.key, m.name, m.citation, st, used, gone, shares,
                                    fshare, fshare >= 0.5))
        flags_dist.append(typ.flags[m.key][i])
    full = [r for r in results if r.status == "full"]
    kappa_city, kappa_dist, compared = typ.kappa_city, float("nan"), 0
    if len(flags_dist) >= 2:
        kappa_dist, compared = _kappa(np.vstack(flags_dist))
    notes = []
    if len(full) < len(METHODS):
        notes.append(f"{len(METHODS) - len(full)} of {len(METHODS)} methods are partial: "
                     "add the columns they name to the neighbourhood layer.")
    return DisplacementMethods(results, sum(bool(r.flagged) for r in full), len(full),
                               kappa_city, kappa_dist, compared, notes)


def _kappa(flags: np.ndarray) -> tuple[float, int]:
    """Fleiss' kappa of methods (rows) rating neighbourhoods (columns) flagged or not,
    over the neighbourhoods every method classified; and how many those are."""
    ok = np.isfinite(flags).all(axis=0)
    f = flags[:, ok]
    if f.shape[1] == 0:
        return float("nan"), 0
    yes = f.sum(axis=0)
    return fleiss_kappa(np.column_stack([yes, f.shape[0] - yes])), int(f.shape[1])


def methods_markdown() -> str:
    """The "Displacement methods" section of docs/methods.md (a test compares)."""
    out = []
    for m in METHODS:
        out.append(f"### {m.name}\n\n*{m.citation}.* Classes: "
                   + ", ".join(f"'{c}'" for c in m.classes)
                   + "; flagged: " + ", ".join(f"'{c}'" for c in m.flagged) + ".\n")
        for c in m.criteria:
            out.append(f"- **{c.name}** ({', '.join(f'`{k}`' for k in c.columns)}): "
                       f"{c.text}.")
        out.append(f"\n{m.note}\n")
    return "\n".join(out)
