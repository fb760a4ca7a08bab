"""The seeded generator of Port Verity, the synthetic sample city, and of benchmark cities.

Every figure here is invented. The generator exists so the app opens on data that behaves
like a real city (a dense centre, a river with a waterfront, an old industrial quarter, a
university, richer suburbs, a gentrifying ring) without shipping anyone's real records, and so
the same code can make cities fifty times larger for the benchmarks. The city is laid out in
unit coordinates (u west->east, v south->north) on a box whose size grows with the number of
establishments; lengths that describe urban form (cluster radii, distance decays) scale with
the box, so a larger city is the same city at a higher density of everything.

All randomness comes from one ``numpy.random.SeedSequence(seed)``, spawned into one stream per
layer: a seed gives the same city on every machine, and changing the number of stops does not
move a single establishment. Nothing loops per establishment in Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from rasterio.transform import Affine
from scipy.ndimage import distance_transform_edt, gaussian_filter
from scipy.spatial import cKDTree
from scipy.special import ndtr

from districtplanner.analysis.raster import Raster
from districtplanner.analysis.sectors import (
    CREATIVE_SECTORS,
    INSTITUTION_TYPES,
    NON_CREATIVE_SECTORS,
)

CITY_NAME = "Port Verity (synthetic sample city)"
CRS = "EPSG:32632"  # WGS 84 / UTM zone 32N: metres, a real zone (central Europe)
CENTRE_XY = (500_000.0, 5_650_000.0)  # the middle of the city box, in CRS metres
BASE_WIDTH_KM = 12.0  # east-west size of the bundled city; north-south is 5/6 of it
ASPECT = 10.0 / 12.0
BASE_ESTABLISHMENTS = 20_000
MAX_SCALE = 4.0  # 1M establishments -> 48 km x 40 km (~520 firms/km², about London's density)
RENT_CELL_M = 50.0
RENT_NODATA = -9999.0
RENT_UNIT = "EUR/m²/month"
QUAY_M = 50.0  # land strip kept free of points along the water, so every point has a rent cell
GPKG_NAME = "sample_city.gpkg"
RENT_NAME = "rent.tif"

SECTORS: tuple[str, ...] = CREATIVE_SECTORS + NON_CREATIVE_SECTORS

# Plausible NAICS 2022 six-digit codes per sector (uniform choice within a sector); each maps
# back to its sector through resources/mappings/naics_2022.csv.
NAICS_CODES: dict[str, tuple[str, ...]] = {
    "film_tv": ("512110", "512120", "512191", "516120"),
    "music_performing": ("711110", "711120", "711130", "512230", "512240", "512250"),
    "design_fashion": ("541410", "541420", "541430", "541490"),
    "digital_software": ("513210", "541511", "541512"),
    "publishing": ("513110", "513120", "513130", "513199"),
    "architecture": ("541310", "541320"),
    "advertising": ("541810", "541820", "541830", "541850", "541890"),
    "crafts_visual_arts": ("711510", "459920", "339910"),
    "museums_heritage": ("712110", "712120", "519210"),
    "retail": ("445110", "445131", "456110", "458110", "449210", "459110"),
    "hospitality": ("722511", "722513", "722515", "722410", "721110"),
    "professional_services": ("541110", "541211", "541611", "541330", "541380", "551114"),
    "manufacturing": ("332710", "311811", "332312", "336390", "325412"),
    "health_education": ("621111", "621210", "622110", "611110", "624410", "611710"),
    "logistics": ("484110", "493110", "492110", "488510", "488320"),
}

# Firm sizes follow a discrete Pareto, P(employees >= k) = k**-alpha (Axtell 2001 finds
# alpha near 1 for all firms); creative firms are smaller, plants and hospitals larger.
_SIZE_ALPHA: dict[str, float] = {
    **dict.fromkeys(CREATIVE_SECTORS, 1.35),
    "retail": 1.25,
    "hospitality": 1.3,
    "professional_services": 1.2,
    "manufacturing": 0.95,
    "health_education": 0.95,
    "logistics": 1.0,
}
_MAX_EMPLOYEES = 3_000

_NAME_SUFFIXES: dict[str, tuple[str, ...]] = {
    "film_tv": ("Films", "Pictures", "Post", "Productions", "Motion"),
    "music_performing": ("Records", "Sound", "Ensemble", "Dance Company", "Players"),
    "design_fashion": ("Design", "Atelier", "Interiors", "Studio", "Label"),
    "digital_software": ("Labs", "Software", "Digital", "Systems", "Games"),
    "publishing": ("Press", "Books", "Editions", "Review", "Gazette"),
    "architecture": ("Architects", "Landscape", "Architecture", "Partnership"),
    "advertising": ("Agency", "Communications", "Media", "Brand Co."),
    "crafts_visual_arts": ("Workshop", "Ceramics", "Photography", "Print Studio", "Jewellers"),
    "museums_heritage": ("Collection", "Archive", "Heritage Trust"),
    "retail": ("Market", "Stores", "Pharmacy", "Outfitters", "Electrics", "Grocers"),
    "hospitality": ("Café", "Kitchen", "Bar", "Bistro", "Hotel", "Bakery"),
    "professional_services": ("Partners", "Consulting", "Law", "Accountants", "Estates"),
    "manufacturing": ("Works", "Engineering", "Fabrication", "Foods", "Metals"),
    "health_education": ("Clinic", "Dental", "Surgery", "School", "Nursery", "Care"),
    "logistics": ("Freight", "Logistics", "Couriers", "Storage", "Haulage"),
}

_WORDS: tuple[str, ...] = (
    "Abbott", "Acorn", "Alder", "Amber", "Anchor", "Arden", "Argent", "Aster", "Atlas",
    "Bailey", "Beacon", "Birch", "Blake", "Bloom", "Bolt", "Bramble", "Bridge", "Bright",
    "Brook", "Calder", "Canal", "Carver", "Cedar", "Cobalt", "Copper", "Corner", "Crane",
    "Crown", "Dalton", "Delta", "Dock", "Dover", "Echo", "Elm", "Ember", "Falcon", "Fern",
    "Finch", "Fleet", "Forge", "Fox", "Garnet", "Gable", "Granite", "Hale", "Harbour",
    "Hart", "Hazel", "Heron", "Hollis", "Indigo", "Iris", "Ivy", "Juniper", "Kestrel",
    "Keel", "Lantern", "Lark", "Linden", "Lumen", "Maple", "Marlow", "Meridian", "Mill",
    "Morrow", "North", "Nova", "Oak", "Onyx", "Orchard", "Osprey", "Paxton", "Pier",
    "Pike", "Quarry", "Quay", "Quill", "Raven", "Reed", "Ridge", "River", "Rowan",
    "Saffron", "Sable", "Slate", "Sparrow", "Spindle", "Stone", "Summit", "Tallis",
    "Teal", "Thistle", "Tide", "Timber", "Union", "Vale", "Verity", "Vesper", "Wharf",
    "Willow", "Wren", "Yard", "Yew", "Zephyr",
)

_PLACE_PREFIXES: tuple[str, ...] = (
    "Alder", "Ash", "Beech", "Bram", "Brook", "Castle", "Cole", "Cray", "Elm", "Fair",
    "Fern", "Glen", "Grange", "Hal", "Hazel", "Heath", "Holly", "King", "Lark", "Lin",
    "Marsh", "Mill", "Moor", "Nor", "Oak", "Pen", "Quarry", "Raven", "Rose", "Rush",
    "Sand", "Stan", "Stone", "Thorn", "Wester", "Whit", "Willow", "Wood", "Wren", "Yar",
)
_PLACE_SUFFIXES: tuple[str, ...] = (
    "bury", "by", "cliff", "combe", "dale", "field", "ford", "gate", "ham", "hill",
    "hurst", "ley", "mead", "moor", "port", "side", "stead", "ton", "wick", "worth",
    "well", "brook",
)
_PLACE_QUALIFIERS: tuple[str, ...] = ("", "North ", "South ", "East ", "West ", "Upper ",
                                      "Lower ", "New ")

_LINE_NAMES = ("Red Line", "Blue Line", "Green Line")
_LINE_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                 "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")
_STOP_SUFFIXES = ("", " Cross", " Road", " Park", " Square", " Lane", " Gardens", " Parade")


# --------------------------------------------------------------------------------------
# The city's form
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Form:
    """Where things are: the city box in CRS metres and the river that crosses it.

    Distances that describe urban form are written for the bundled 12 km city and multiplied
    by ``scale`` (box width / 12 km).
    """

    xmin: float
    ymin: float
    width: float
    height: float
    scale: float

    @property
    def xmax(self) -> float:
        return self.xmin + self.width

    @property
    def ymax(self) -> float:
        return self.ymin + self.height

    def xy(self, u: float, v: float) -> tuple[float, float]:
        return self.xmin + u * self.width, self.ymin + v * self.height

    def river_y(self, x: np.ndarray | float) -> np.ndarray:
        """y of the river's centre line at x: it meanders west to east, south of the centre."""
        u = (np.asarray(x, dtype=float) - self.xmin) / self.width
        v = (0.47 + 0.05 * np.sin(2 * np.pi * (0.9 * u + 0.1))
             + 0.02 * np.sin(2 * np.pi * (2.3 * u + 0.35)))
        return self.ymin + v * self.height

    def river_half_width(self, x: np.ndarray | float) -> np.ndarray:
        """Half the river's width at x (m): 150 m upstream widening to an estuary in the east."""
        u = np.clip((np.asarray(x, dtype=float) - self.xmin) / self.width, 0.0, 1.0)
        return (75.0 + 125.0 * u**3) * min(self.scale, 2.0)

    def in_water(self, x: np.ndarray, y: np.ndarray, margin: float = 0.0) -> np.ndarray:
        return np.abs(y - self.river_y(x)) < self.river_half_width(x) + margin

    def on_land(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Inside the box and at least QUAY_M from the water."""
        inside = (x > self.xmin) & (x < self.xmax) & (y > self.ymin) & (y < self.ymax)
        return inside & ~self.in_water(x, y, QUAY_M)

    def bank_point(self, u: float, side: int, offset_m: float) -> tuple[float, float]:
        """A point ``offset_m`` (bundled metres) from the bank; side +1 north, -1 south."""
        x = self.xmin + u * self.width
        y = self.river_y(x) + side * (self.river_half_width(x) + offset_m * self.scale)
        return float(x), float(y)

    @property
    def centre(self) -> tuple[float, float]:
        return self.xy(0.50, 0.56)

    @property
    def industrial(self) -> tuple[float, float]:
        """The old industrial quarter: foundries and warehouses on the south bank."""
        return self.bank_point(0.36, -1, 550.0)

    @property
    def waterfront(self) -> tuple[float, float]:
        """The former docks on the north bank, east of the centre."""
        return self.bank_point(0.64, +1, 250.0)

    @property
    def university(self) -> tuple[float, float]:
        return self.xy(0.37, 0.75)

    def water_polygon(self) -> shapely.Polygon:
        """The river as one polygon, traced at 25 m so it matches ``in_water`` closely."""
        n = max(2, math.ceil(self.width / 25.0) + 1)
        x = np.linspace(self.xmin, self.xmax, n)
        yc, hw = self.river_y(x), self.river_half_width(x)
        ring = np.concatenate([
            np.column_stack([x, yc + hw]),
            np.column_stack([x[::-1], (yc - hw)[::-1]]),
        ])
        return shapely.Polygon(ring)

    def dist(self, x: np.ndarray, y: np.ndarray, place: tuple[float, float]) -> np.ndarray:
        """Distance to a place in bundled-city metres (CRS metres / scale)."""
        return np.hypot(x - place[0], y - place[1]) / self.scale


def _form(n_establishments: int, extent_km: float | None) -> _Form:
    if extent_km is None:
        growth = math.sqrt(max(n_establishments, 1) / BASE_ESTABLISHMENTS)
        extent_km = BASE_WIDTH_KM * min(max(growth, 1.0), MAX_SCALE)
    if extent_km <= 0:
        raise ValueError(f"extent_km must be positive, got {extent_km}")
    # Whole raster cells on both axes, so the rent grid covers the box exactly.
    cell = 2 * RENT_CELL_M
    width = max(cell, round(extent_km * 1000.0 / cell) * cell)
    height = max(cell, round(extent_km * 1000.0 * ASPECT / cell) * cell)
    return _Form(CENTRE_XY[0] - width / 2, CENTRE_XY[1] - height / 2, width, height,
                 width / (BASE_WIDTH_KM * 1000.0))


# --------------------------------------------------------------------------------------
# Sampling places
# --------------------------------------------------------------------------------------

# draw(rng, k) -> (x, y): k candidate points in CRS metres, before the land test.
Sampler = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


def _on_land(form: _Form, rng: np.random.Generator, n: int,
             draw: Sampler) -> tuple[np.ndarray, np.ndarray]:
    """n points from ``draw(rng, k) -> (x, y)``, redrawing the ones that land in the water or
    outside the box (rejection sampling: the accepted points follow ``draw`` cut to land)."""
    x = np.empty(n)
    y = np.empty(n)
    todo = np.arange(n)
    for _ in range(200):
        if todo.size == 0:
            return x, y
        x[todo], y[todo] = draw(rng, todo.size)
        todo = todo[~form.on_land(x[todo], y[todo])]
    raise RuntimeError("could not place points on land; is the city box too small?")


def _gauss(form: _Form, place: tuple[float, float], sx: float,
           sy: float | None = None) -> Sampler:
    """A sampler of a normal blob around a place (sigmas in bundled metres)."""
    sy = sx if sy is None else sy

    def draw(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
        return (place[0] + rng.normal(0.0, sx * form.scale, k),
                place[1] + rng.normal(0.0, sy * form.scale, k))
    return draw


def _uniform(form: _Form) -> Sampler:
    def draw(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
        return (form.xmin + rng.random(k) * form.width, form.ymin + rng.random(k) * form.height)
    return draw


def _bank(form: _Form, u0: float, su: float, side: int, depth_m: float) -> Sampler:
    """Points along one bank, following the river's curve (su in unit x, depth in bundled m)."""
    def draw(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
        x = form.xmin + rng.normal(u0, su, k) * form.width
        off = np.abs(rng.normal(0.0, depth_m * form.scale, k)) + QUAY_M + 1.0
        return x, form.river_y(x) + side * (form.river_half_width(x) + off)
    return draw


def _both_banks(form: _Form, u_lo: float, u_hi: float, depth_m: float) -> Sampler:
    """The port belt: both banks of the estuary between u_lo and u_hi."""
    def draw(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
        x = form.xmin + rng.uniform(u_lo, u_hi, k) * form.width
        side = np.where(rng.random(k) < 0.5, -1.0, 1.0)
        off = np.abs(rng.normal(0.0, depth_m * form.scale, k)) + QUAY_M + 1.0
        return x, form.river_y(x) + side * (form.river_half_width(x) + off)
    return draw


def _around(form: _Form, sites: np.ndarray, sigma_m: float) -> Sampler:
    """A blob around a random one of ``sites`` (k x 2 CRS metres) per point."""
    def draw(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
        pick = rng.integers(0, len(sites), k)
        return (sites[pick, 0] + rng.normal(0.0, sigma_m * form.scale, k),
                sites[pick, 1] + rng.normal(0.0, sigma_m * form.scale, k))
    return draw


def _mixture(form: _Form, rng: np.random.Generator, n: int,
             parts: list[tuple[float, Sampler]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n points from a weighted mixture of samplers; also returns each point's part index."""
    w = np.array([p[0] for p in parts], dtype=float)
    part = rng.choice(len(parts), size=n, p=w / w.sum())
    x = np.empty(n)
    y = np.empty(n)
    for i, (_, draw) in enumerate(parts):
        sel = np.flatnonzero(part == i)
        x[sel], y[sel] = _on_land(form, rng, sel.size, draw)
    return x, y, part


def _allocate(n: int, weights: np.ndarray) -> np.ndarray:
    """Integer counts summing to n in proportion to weights (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    raw = n * w / w.sum()
    counts = np.floor(raw).astype(np.int64)
    short = n - counts.sum()
    if short > 0:
        counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return counts


def _dedupe(names: np.ndarray | list[str], suffixes: tuple[str, ...] = ("",)) -> list[str]:
    """Make names unique: the k-th repeat gets suffixes[k], then a number."""
    s = pd.Series(list(names), dtype=object)
    k = s.groupby(s).cumcount().to_numpy()
    out = []
    for name, i in zip(s, k, strict=True):
        if i < len(suffixes):
            out.append(name + suffixes[i])
        else:
            out.append(f"{name} {i - len(suffixes) + 2}")
    # A suffixed name can collide with an existing one; number those.
    if len(set(out)) != len(out):
        return _dedupe(out)
    return out


# --------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------


def _place_names(rng: np.random.Generator, n: int) -> list[str]:
    base = [p + s for p in _PLACE_PREFIXES for s in _PLACE_SUFFIXES if p.lower() != s]
    base = [base[i] for i in rng.permutation(len(base))]
    names = [q + b for q in _PLACE_QUALIFIERS for b in base]
    if n > len(names):
        names += [f"District {i + 1}" for i in range(n - len(names))]
    return names[:n]


def _lloyd(sample: np.ndarray, k: int, rng: np.random.Generator, iters: int = 15) -> np.ndarray:
    """k-means centres of a point sample (Lloyd's iterations from k distinct sample points):
    well spaced, and denser where the sample is. scipy's kmeans2 seeds '++' in O(k² n)."""
    seeds = sample[rng.choice(len(sample), size=k, replace=False)].copy()
    for _ in range(iters):
        _, label = cKDTree(seeds).query(sample)
        count = np.bincount(label, minlength=k)
        ok = count > 0  # a centre that lost all its points stays where it is
        seeds[ok, 0] = np.bincount(label, sample[:, 0], k)[ok] / count[ok]
        seeds[ok, 1] = np.bincount(label, sample[:, 1], k)[ok] / count[ok]
    return seeds


def _neighbourhoods(form: _Form, rng: np.random.Generator, n: int,
                    water: shapely.Polygon) -> gpd.GeoDataFrame:
    """Voronoi cells of k-means seeds clipped to the box: they tile the city exactly, and
    seeds drawn from a centre-weighted density make the inner neighbourhoods smaller."""
    if n < 1:
        raise ValueError(f"n_neighbourhoods must be at least 1, got {n}")
    m = max(30 * n, 3_000)
    half = m // 2
    sx, sy = _gauss(form, form.centre, 2_500.0)(rng, half)
    ux, uy = _uniform(form)(rng, m - half)
    sample = np.column_stack([np.concatenate([sx, ux]), np.concatenate([sy, uy])])
    inside = ((sample[:, 0] > form.xmin) & (sample[:, 0] < form.xmax)
              & (sample[:, 1] > form.ymin) & (sample[:, 1] < form.ymax))
    sample = sample[inside]
    seeds = _lloyd(sample, n, rng)
    box = shapely.box(form.xmin, form.ymin, form.xmax, form.ymax)
    if n == 1:
        cells = np.array([box])
    else:
        gc = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box, ordered=True)
        cells = shapely.intersection(shapely.get_parts(gc), box)
    cx, cy = seeds[:, 0], seeds[:, 1]

    land_km2 = (shapely.area(cells) - shapely.area(shapely.intersection(cells, water))) / 1e6
    dc = form.dist(cx, cy, form.centre)
    di = form.dist(cx, cy, form.industrial)
    du = form.dist(cx, cy, form.university)
    dw = form.dist(cx, cy, form.waterfront)
    t = np.clip((dc - 1_000.0) / 4_500.0, 0.0, 1.0)
    t = t * t * (3 - 2 * t)  # 0 in the inner city, 1 in the outer suburbs

    def bump(d: np.ndarray, r: float) -> np.ndarray:
        return np.exp(-((d / r) ** 2))

    income = (30_000.0 + 34_000.0 * t**1.3 + 9_000.0 * bump(dc, 900.0)
              - 9_000.0 * bump(di, 1_200.0) - 7_000.0 * bump(du, 900.0)
              + 5_000.0 * bump(dw, 800.0))
    income = np.round(income * np.exp(rng.normal(0.0, 0.08, n)), -2).astype(np.int64)
    renter = (0.30 + 0.52 * (1.0 - t) + 0.10 * bump(du, 1_000.0) + 0.06 * bump(di, 1_200.0)
              + rng.normal(0.0, 0.03, n))
    renter = np.round(np.clip(renter, 0.12, 0.93), 3)
    density = ((2_800.0 + 11_000.0 * (1.0 - t) ** 1.5)
               * (1.0 - 0.45 * bump(dc, 700.0)) * (1.0 - 0.5 * bump(di, 700.0))
               * np.exp(rng.normal(0.0, 0.15, n)))  # residents per km² of land
    population = np.round(density * np.maximum(land_km2, 0.0)).astype(np.int64)
    hh_size = 1.75 + 0.65 * t - 0.15 * bump(du, 900.0)
    households = np.round(population / hh_size).astype(np.int64)
    growth = (0.018 + 0.004 * (1.0 - t) + 0.045 * np.exp(-(((di - 1_500.0) / 800.0) ** 2))
              + 0.02 * bump(di, 900.0) + 0.012 * bump(dw, 900.0) + rng.normal(0.0, 0.004, n))
    growth = np.round(np.clip(growth, 0.005, 0.09), 4)

    names = _place_names(rng, n)
    if n >= 4:
        for place, label in ((form.centre, "Old Town"), (form.industrial, "Foundry Quarter"),
                             (form.waterfront, "Harbourside"),
                             (form.university, "University Hill")):
            hit = shapely.contains_xy(cells, *place)
            if hit.any():
                names[int(np.flatnonzero(hit)[0])] = label
    # Drawn after everything above, so adding them moved no other figure of the city.
    dates = _two_dates(rng, n, t, bump(di, 1_200.0), bump(du, 900.0), income, households,
                       renter, growth)
    return gpd.GeoDataFrame(
        {
            "name": names,
            "population": population,
            "households": households,
            "median_income": income,
            "renter_share": renter,
            "rent_growth": growth,
            **dates,
        },
        geometry=cells,
        crs=CRS,
    )


# Census years of the synthetic two-date columns (t0, t1).
DATES: tuple[int, int] = (2011, 2021)


def _two_dates(rng: np.random.Generator, n: int, t: np.ndarray, industrial: np.ndarray,
               campus: np.ndarray, income: np.ndarray, households: np.ndarray,
               renter: np.ndarray, growth: np.ndarray) -> dict[str, np.ndarray]:
    """Synthetic columns at two census dates (DATES) for the published displacement
    methods. The story: the faster a neighbourhood's rents grew (the gentrifying ring
    around the Foundry Quarter), the more its incomes and degree holders rose and its
    low-income households, people of colour and renters fell over the decade. Invented,
    like the rest of the city."""
    years = DATES[1] - DATES[0]
    heat = np.clip((growth - 0.02) / 0.05, 0.0, 1.0)  # 0 calm .. 1 fastest rent growth
    inc_growth = 0.018 + 0.03 * heat + rng.normal(0.0, 0.004, n)
    income_t0 = np.round(income / (1 + inc_growth) ** years, -2).astype(np.int64)

    def below_80pct_ami(med: np.ndarray, hh: np.ndarray) -> np.ndarray:
        order = np.argsort(med)
        cw = np.cumsum(hh[order])
        ami = med[order][min(int(np.searchsorted(cw, cw[-1] / 2)), n - 1)]
        return ndtr(np.log(0.8 * ami / med) / 0.85)

    hh_t0 = np.round(households / (1 + 0.004 + 0.006 * heat) ** years).astype(np.int64)
    college = np.clip(0.18 + 0.35 * (1 - t) * 0.5 + 0.2 * campus + 0.25 * (income / 45_000 - 1)
                      + rng.normal(0.0, 0.03, n), 0.05, 0.85)
    college_t0 = np.clip(college - (0.015 + 0.09 * heat + rng.normal(0.0, 0.01, n)), 0.03, 0.8)
    poc = np.clip(0.12 + 0.25 * (1 - t) + 0.1 * industrial + rng.normal(0.0, 0.03, n),
                  0.02, 0.7)
    poc_t0 = np.clip(poc + 0.005 + 0.06 * heat + rng.normal(0.0, 0.008, n), 0.02, 0.8)
    renter_t0 = np.clip(renter + 0.04 * heat + rng.normal(0.0, 0.01, n), 0.1, 0.95)
    rent = 480.0 + 520.0 * (1 - t) + 60.0 * rng.normal(0.0, 1.0, n)  # EUR a month
    # t0 rent in t1 prices: deflated by 2% a year of inflation, so growth beyond it is real.
    rent_t0 = rent / (1 + growth) ** years * (1.02) ** years
    recent = np.clip(0.06 + 0.3 * t + rng.normal(0.0, 0.03, n), 0.01, 0.6)
    def r3(v: np.ndarray) -> np.ndarray:
        return np.round(v, 3)

    return {
        "households_t0": hh_t0,
        "low_income_share_t0": r3(below_80pct_ami(income_t0 * 1.0, hh_t0 * 1.0)),
        "low_income_share": r3(below_80pct_ami(income * 1.0, households * 1.0)),
        "college_share_t0": r3(college_t0), "college_share": r3(college),
        "poc_share_t0": r3(poc_t0), "poc_share": r3(poc),
        "renter_share_t0": r3(renter_t0),
        "median_income_t0": income_t0,
        "median_rent_t0": np.round(rent_t0), "median_rent": np.round(rent),
        "recent_housing_share_t0": r3(recent),
    }


def _establishments(form: _Form, rng: np.random.Generator, n: int,
                    high_streets: np.ndarray) -> gpd.GeoDataFrame:
    """About a fifth creative, clustered in three places over a centre-weighted background."""
    creative = 0.2
    # (share of all establishments, sampler, sector weights over SECTORS)
    c = len(CREATIVE_SECTORS)

    def cw(*w: float) -> np.ndarray:
        return np.concatenate([np.asarray(w), np.zeros(len(NON_CREATIVE_SECTORS))])

    def nw(*w: float) -> np.ndarray:
        return np.concatenate([np.zeros(c), np.asarray(w)])

    comps = [
        (creative * 0.17, _gauss(form, form.industrial, 650.0, 380.0),
         cw(0.10, 0.14, 0.16, 0.08, 0.04, 0.08, 0.04, 0.32, 0.04)),
        (creative * 0.13, _bank(form, 0.64, 800.0 / 12_000.0, +1, 300.0),
         cw(0.22, 0.10, 0.12, 0.22, 0.04, 0.06, 0.18, 0.04, 0.02)),
        (creative * 0.12, _gauss(form, form.university, 450.0),
         cw(0.04, 0.06, 0.08, 0.38, 0.16, 0.14, 0.04, 0.04, 0.06)),
        (creative * 0.34, _gauss(form, form.centre, 1_600.0),
         cw(0.08, 0.10, 0.12, 0.24, 0.08, 0.10, 0.14, 0.10, 0.04)),
        (creative * 0.24, _uniform(form),
         cw(0.08, 0.10, 0.12, 0.24, 0.08, 0.10, 0.14, 0.10, 0.04)),
        ((1 - creative) * 0.35, _gauss(form, form.centre, 1_200.0),
         nw(0.30, 0.25, 0.33, 0.02, 0.08, 0.02)),
        ((1 - creative) * 0.30, _around(form, high_streets, 300.0),
         nw(0.40, 0.25, 0.10, 0.03, 0.18, 0.04)),
        ((1 - creative) * 0.10, _both_banks(form, 0.72, 1.0, 500.0),
         nw(0.05, 0.05, 0.05, 0.40, 0.05, 0.40)),
        ((1 - creative) * 0.25, _uniform(form), nw(0.28, 0.12, 0.15, 0.12, 0.20, 0.13)),
    ]
    x, y, part = _mixture(form, rng, n, [(w, draw) for w, draw, _ in comps])

    # Sector: one categorical draw per point from its component's weights (inverse CDF).
    cdf = np.cumsum(np.array([sw / sw.sum() for _, _, sw in comps]), axis=1)
    cdf[:, -1] = 1.0
    sector_idx = (rng.random(n)[:, None] >= cdf[part]).sum(axis=1)
    sectors = np.array(SECTORS, dtype=object)[sector_idx]

    alpha = np.array([_SIZE_ALPHA[s] for s in SECTORS])[sector_idx]
    u = 1.0 - rng.random(n)  # (0, 1]
    employees = np.minimum(np.floor(u ** (-1.0 / alpha)), _MAX_EMPLOYEES).astype(np.int64)

    naics = _pick_per_sector(rng, sector_idx, NAICS_CODES)
    suffix = _pick_per_sector(rng, sector_idx, _NAME_SUFFIXES)
    words = np.array(_WORDS, dtype=object)[rng.integers(0, len(_WORDS), n)]
    names = words + " " + suffix

    return gpd.GeoDataFrame(
        {"name": names, "sector": sectors, "employees": employees, "naics": naics},
        geometry=gpd.points_from_xy(x, y),
        crs=CRS,
    )


def _pick_per_sector(rng: np.random.Generator, sector_idx: np.ndarray,
                     table: dict[str, tuple[str, ...]]) -> np.ndarray:
    """One uniformly chosen entry of table[sector] per establishment, vectorised."""
    flat = np.array([v for s in SECTORS for v in table[s]], dtype=object)
    sizes = np.array([len(table[s]) for s in SECTORS])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pick = starts[sector_idx] + np.floor(rng.random(sector_idx.size)
                                         * sizes[sector_idx]).astype(np.int64)
    return flat[pick]


def _transit(form: _Form, rng: np.random.Generator, n_stops: int,
             neighbourhoods: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Wiggly diameters through (or, for many lines, across) the city; stops evenly spaced
    along each, about 800 m to 1 km apart, named after the neighbourhood they stand in."""
    if n_stops < 2:
        raise ValueError(f"n_stops must be at least 2, got {n_stops}")
    n_lines = min(n_stops // 2, max(3, round(n_stops * 800.0 / (1.1 * form.width))))
    margin = 300.0 * form.scale
    xlo, xhi = form.xmin + margin, form.xmax - margin
    ylo, yhi = form.ymin + margin, form.ymax - margin
    reach = math.hypot(form.width, form.height)
    step = 50.0 * form.scale
    cx, cy = form.centre
    lines = []
    for i in range(n_lines):  # a handful of lines (tens for benchmark cities)
        theta = math.pi * (i + rng.uniform(-0.25, 0.25)) / n_lines + 0.3
        if i < 3:  # the trunk lines all cross the centre
            ox, oy = cx + rng.normal(0, 300.0 * form.scale), cy + rng.normal(0, 300.0 * form.scale)
        else:
            ox = form.xmin + rng.uniform(0.15, 0.85) * form.width
            oy = form.ymin + rng.uniform(0.15, 0.85) * form.height
        t = np.arange(-reach, reach + step, step)
        amp = rng.uniform(200.0, 500.0) * form.scale
        wave = amp * np.sin(2 * np.pi * t / (rng.uniform(5_000.0, 8_000.0) * form.scale)
                            + rng.uniform(0, 2 * np.pi))
        dx, dy = math.cos(theta), math.sin(theta)
        px, py = ox + t * dx - wave * dy, oy + t * dy + wave * dx
        inside = (px >= xlo) & (px <= xhi) & (py >= ylo) & (py <= yhi)
        # The contiguous run through the middle (t = 0), so each line is one piece.
        mid = len(t) // 2
        out = np.flatnonzero(~inside)
        lo = int(out[out < mid].max(initial=-1)) + 1
        hi = int(out[out > mid].min(initial=len(t))) - 1
        if not inside[mid] or hi - lo < 2:
            px, py = np.array([ox - dx * margin, ox + dx * margin]), np.array(
                [oy - dy * margin, oy + dy * margin])
            lo, hi = 0, 1
        lines.append(shapely.linestrings(px[lo:hi + 1], py[lo:hi + 1]))
    lines_arr = np.array(lines)
    names = [(_LINE_NAMES[i] if i < len(_LINE_NAMES) else f"Line {i + 1}")
             for i in range(n_lines)]
    colours = [_LINE_COLOURS[i % len(_LINE_COLOURS)] for i in range(n_lines)]
    lengths = shapely.length(lines_arr)
    per_line = 2 + _allocate(n_stops - 2 * n_lines, lengths)

    stop_geoms, stop_line = [], []
    for i, line in enumerate(lines_arr):
        k = int(per_line[i])
        stop_geoms.append(shapely.line_interpolate_point(line, np.linspace(0, lengths[i], k)))
        stop_line += [names[i]] * k
    stops = np.concatenate(stop_geoms)
    sx, sy = shapely.get_x(stops), shapely.get_y(stops)
    where = _neighbourhood_of(neighbourhoods, sx, sy)
    stop_names = _dedupe(neighbourhoods["name"].to_numpy()[where], _STOP_SUFFIXES)

    lines_gdf = gpd.GeoDataFrame({"name": names, "colour": colours}, geometry=lines_arr, crs=CRS)
    stops_gdf = gpd.GeoDataFrame({"name": stop_names, "line": stop_line}, geometry=stops,
                                 crs=CRS)
    return stops_gdf, lines_gdf


def _neighbourhood_of(neighbourhoods: gpd.GeoDataFrame, x: np.ndarray,
                      y: np.ndarray) -> np.ndarray:
    """Index of the neighbourhood holding each point (the first, on a shared edge)."""
    tree = shapely.STRtree(neighbourhoods.geometry.to_numpy())
    pts, polys = tree.query(shapely.points(x, y), predicate="intersects")
    out = np.zeros(len(x), dtype=np.int64)
    first = np.unique(pts, return_index=True)[1]
    out[pts[first]] = polys[first]
    return out


_INSTITUTION_MIX: dict[str, tuple[float, ...]] = {
    # weights over (centre, industrial, waterfront, university, land, high streets)
    "museum": (0.6, 0.05, 0.3, 0.05, 0.0, 0.0),
    "gallery": (0.25, 0.35, 0.25, 0.0, 0.0, 0.15),
    "theatre": (0.75, 0.05, 0.05, 0.0, 0.0, 0.15),
    "music_venue": (0.35, 0.35, 0.1, 0.15, 0.0, 0.05),
    "library": (0.1, 0.0, 0.0, 0.05, 0.15, 0.7),
    "university": (0.0, 0.0, 0.0, 1.0, 0.0, 0.0),
    "art_school": (0.0, 0.5, 0.0, 0.5, 0.0, 0.0),
}
_INSTITUTION_SHARE = {"museum": 0.12, "gallery": 0.30, "theatre": 0.12, "music_venue": 0.24,
                      "library": 0.15, "university": 0.03, "art_school": 0.04}
_MUSEUM_TOPICS = ("the City", "Maritime History", "Modern Art", "Photography", "Design",
                  "Natural History", "Industry", "Childhood", "Science", "the River",
                  "Textiles", "Music")
_UNIVERSITIES = ("University of Port Verity", "Port Verity Technical University",
                 "Verity Conservatoire", "Harbour College")


def _institutions(form: _Form, rng: np.random.Generator, n: int, high_streets: np.ndarray,
                  neighbourhoods: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Museums and theatres in the centre, galleries and venues in the clusters, a library in
    most neighbourhoods, universities and art schools on the campus."""
    samplers = [
        _gauss(form, form.centre, 900.0),
        _gauss(form, form.industrial, 600.0, 380.0),
        _bank(form, 0.64, 700.0 / 12_000.0, +1, 250.0),
        _gauss(form, form.university, 400.0),
        _uniform(form),
        _around(form, high_streets, 150.0),
    ]
    types = [t for t in INSTITUTION_TYPES if t in _INSTITUTION_SHARE]
    counts = _allocate(n, np.array([_INSTITUTION_SHARE[t] for t in types]))
    xs, ys, kinds = [], [], []
    for t, k in zip(types, counts, strict=True):
        parts = [(w, s) for w, s in zip(_INSTITUTION_MIX[t], samplers, strict=True) if w > 0]
        x, y, _ = _mixture(form, rng, int(k), parts)
        xs.append(x)
        ys.append(y)
        kinds += [t] * int(k)
    x, y = np.concatenate(xs), np.concatenate(ys)
    where = neighbourhoods["name"].to_numpy()[_neighbourhood_of(neighbourhoods, x, y)]
    names = []
    n_univ = n_museum = 0
    topics = [_MUSEUM_TOPICS[i] for i in rng.permutation(len(_MUSEUM_TOPICS))]
    for kind, place in zip(kinds, where, strict=True):
        if kind == "museum":
            topic = topics[n_museum % len(topics)]
            names.append(f"Museum of {topic}" if n_museum < len(topics)
                         else f"{place} Museum of {topic}")
            n_museum += 1
        elif kind == "gallery":
            names.append(f"{_WORDS[rng.integers(len(_WORDS))]} Gallery")
        elif kind == "theatre":
            names.append(f"{place} {('Theatre', 'Playhouse', 'Opera House')[rng.integers(3)]}")
        elif kind == "music_venue":
            word = _WORDS[rng.integers(len(_WORDS))]
            names.append(f"{word} {('Hall', 'Club', 'Rooms', 'Arena')[rng.integers(4)]}")
        elif kind == "library":
            names.append(f"{place} Library")
        elif kind == "university":
            names.append(_UNIVERSITIES[n_univ] if n_univ < len(_UNIVERSITIES)
                         else f"{place} College")
            n_univ += 1
        else:
            names.append(f"{place} School of Art")
    return gpd.GeoDataFrame({"name": _dedupe(names), "type": kinds},
                            geometry=gpd.points_from_xy(x, y), crs=CRS)


def _blob(form: _Form, rng: np.random.Generator, place: tuple[float, float], rx: float,
          ry: float, water: shapely.Polygon) -> shapely.Polygon:
    """An irregular 14-vertex outline around a place (radii in bundled metres), off the water."""
    a = np.linspace(0, 2 * np.pi, 14, endpoint=False) + rng.uniform(-0.15, 0.15, 14)
    noise = rng.standard_normal(14).clip(-2, 2)
    r = 1.0 + 0.12 * (noise + np.roll(noise, 1) + np.roll(noise, -1)) / 3 ** 0.5
    ring = np.column_stack([place[0] + rx * form.scale * r * np.cos(a),
                            place[1] + ry * form.scale * r * np.sin(a)])
    poly = shapely.make_valid(shapely.Polygon(ring))
    box = shapely.box(form.xmin, form.ymin, form.xmax, form.ymax)
    land = shapely.difference(shapely.intersection(poly, box), water.buffer(QUAY_M))
    parts = shapely.get_parts(land)
    parts = parts[shapely.get_type_id(parts) == 3]  # polygons only
    return parts[np.argmax(shapely.area(parts))]


def _example_districts(form: _Form, rng: np.random.Generator,
                       water: shapely.Polygon) -> gpd.GeoDataFrame:
    rows = [
        ("Foundry Quarter Creative District", "#D55E00", form.industrial, 1_000.0, 700.0,
         "Former foundries and warehouses on the south bank where makers, studios and music "
         "venues already cluster. Proposal: studio workspace grants and a rent-stabilised "
         "workshop programme before rents follow the neighbouring ring."),
        ("Harbourside Media Waterfront", "#0072B2", form.waterfront, 1_100.0, 550.0,
         "Converted dock sheds east of the Old Town, home to film, advertising and software "
         "firms. Proposal: a tax abatement for media tenants in the listed sheds."),
        ("University Edge Innovation District", "#009E73", form.university, 800.0, 650.0,
         "The streets between the campus and the centre where software, publishing and "
         "architecture spin-offs locate. Proposal: a start-up loan fund tied to local hiring."),
    ]
    return gpd.GeoDataFrame(
        {"name": [r[0] for r in rows], "colour": [r[1] for r in rows],
         "notes": [r[5] for r in rows]},
        geometry=[_blob(form, rng, r[2], r[3], r[4], water) for r in rows],
        crs=CRS,
    )


def _rent_surface(form: _Form, rng: np.random.Generator) -> Raster:
    """Monthly rent per m² (EUR) on a 50 m grid: highest in the centre and along the water,
    lowest in the outer suburbs, a dip in the industrial quarter, smooth noise on top."""
    cols = round(form.width / RENT_CELL_M)
    rows = round(form.height / RENT_CELL_M)
    transform = (RENT_CELL_M, 0.0, form.xmin, 0.0, -RENT_CELL_M, form.ymax)
    x = form.xmin + (np.arange(cols) + 0.5) * RENT_CELL_M
    y = form.ymax - (np.arange(rows) + 0.5) * RENT_CELL_M
    X, Y = np.meshgrid(x, y)
    water = form.in_water(X, Y)
    d_water = distance_transform_edt(~water) * RENT_CELL_M / form.scale
    dc = form.dist(X, Y, form.centre)
    di = form.dist(X, Y, form.industrial)
    dw = form.dist(X, Y, form.waterfront)
    rent = (9.0 + 17.0 * np.exp(-dc / 2_600.0) + 5.0 * np.exp(-((dc / 800.0) ** 2))
            + 6.0 * np.exp(-d_water / 450.0) * (0.5 + 0.5 * np.exp(-dc / 5_000.0))
            + 2.0 * np.exp(-((dw / 700.0) ** 2)) - 2.5 * np.exp(-((di / 900.0) ** 2))
            + 1.5 * np.exp(-(((di - 1_500.0) / 800.0) ** 2)))
    smooth = gaussian_filter(rng.standard_normal((rows, cols)), 300.0 * form.scale / RENT_CELL_M)
    smooth /= max(float(smooth.std()), 1e-12)
    rent = rent + 1.0 * smooth + 0.4 * rng.standard_normal((rows, cols))
    rent = np.round(np.clip(rent, 8.0, 35.0), 2)
    rent[water] = np.nan
    return Raster(values=rent, transform=transform, crs=CRS, name="rent", unit=RENT_UNIT)


def _rent_points(form: _Form, rng: np.random.Generator, n: int,
                 rent: Raster) -> gpd.GeoDataFrame:
    """Observed rents (EUR/m²/month): the surface at the point's cell times ~7% noise."""
    x, y, _ = _mixture(form, rng, n, [(0.5, _gauss(form, form.centre, 2_500.0)),
                                      (0.5, _uniform(form))])
    a, _, c, _, e, f = rent.transform
    rows, cols = rent.shape
    col = np.clip(((x - c) / a).astype(np.int64), 0, cols - 1)
    row = np.clip(((y - f) / e).astype(np.int64), 0, rows - 1)
    value = rent.values[row, col] * np.exp(rng.normal(0.0, 0.07, n))
    return gpd.GeoDataFrame({"rent": np.round(value, 2)}, geometry=gpd.points_from_xy(x, y),
                            crs=CRS)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


@dataclass
class SampleCity:
    """A generated city: every layer in ``crs`` (projected, metres).

    ``rent`` is monthly rent per m² (EUR) with NaN on the water; ``rent_points`` exists only
    when asked for (benchmarks); ``water`` is the river, a context layer for the map.
    """

    crs: str
    neighbourhoods: gpd.GeoDataFrame
    establishments: gpd.GeoDataFrame
    transit_stops: gpd.GeoDataFrame
    transit_lines: gpd.GeoDataFrame
    institutions: gpd.GeoDataFrame
    example_districts: gpd.GeoDataFrame
    rent_points: gpd.GeoDataFrame | None
    rent: Raster
    water: gpd.GeoDataFrame | None = None
    name: str = CITY_NAME

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the city box; the neighbourhoods tile exactly this."""
        return self.rent.bounds


def generate_city(
    n_establishments: int = BASE_ESTABLISHMENTS,
    *,
    seed: int = 7,
    n_rent_points: int = 0,
    n_stops: int | None = None,
    n_institutions: int | None = None,
    n_neighbourhoods: int | None = None,
    extent_km: float | None = None,
) -> SampleCity:
    """Generate Port Verity (defaults: the bundled city) or a larger benchmark city.

    n_establishments: firms (points). seed: the only source of randomness.
    n_rent_points: observed-rent points to add (0: no such layer).
    n_stops, n_institutions, n_neighbourhoods: counts; by default 40, 150 and 40 per
    120 km² of city. extent_km: east-west size of the city (km; north-south is 5/6 of it);
    by default 12 km growing with sqrt(n_establishments / 20,000), capped at 48 km, so the
    density of firms stays that of a real city.
    """
    if n_establishments < 0:
        raise ValueError(f"n_establishments must be >= 0, got {n_establishments}")
    form = _form(n_establishments, extent_km)
    area_factor = form.scale**2
    if n_neighbourhoods is None:
        n_neighbourhoods = max(1, round(40 * area_factor))
    if n_stops is None:
        n_stops = max(2, round(40 * area_factor))
    n_institutions = n_institutions if n_institutions is not None else round(150 * area_factor)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)]

    water = form.water_polygon()
    neighbourhoods = _neighbourhoods(form, streams[0], n_neighbourhoods, water)
    seeds = np.column_stack([shapely.get_x(neighbourhoods.geometry.representative_point()),
                             shapely.get_y(neighbourhoods.geometry.representative_point())])
    establishments = _establishments(form, streams[1], n_establishments, seeds)
    stops, lines = _transit(form, streams[2], n_stops, neighbourhoods)
    institutions = _institutions(form, streams[3], n_institutions, seeds, neighbourhoods)
    districts = _example_districts(form, streams[4], water)
    rent = _rent_surface(form, streams[5])
    rent_points = (_rent_points(form, streams[6], n_rent_points, rent)
                   if n_rent_points > 0 else None)
    return SampleCity(
        crs=CRS,
        neighbourhoods=neighbourhoods,
        establishments=establishments,
        transit_stops=stops,
        transit_lines=lines,
        institutions=institutions,
        example_districts=districts,
        rent_points=rent_points,
        rent=rent,
        water=gpd.GeoDataFrame({"name": ["River Vere"]}, geometry=[water], crs=CRS),
    )


def write_city(city: SampleCity, out_dir: Path) -> Path:
    """Write ``out_dir/sample_city.gpkg`` (one layer per GeoDataFrame; ``rent_points`` and
    ``water`` only when present) and ``out_dir/rent.tif`` (float32, nodata -9999, deflate).
    Replaces existing files; returns the GeoPackage's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    gpkg = out_dir / GPKG_NAME
    gpkg.unlink(missing_ok=True)
    layers: list[tuple[str, gpd.GeoDataFrame | None]] = [
        ("neighbourhoods", city.neighbourhoods),
        ("water", city.water),
        ("transit_lines", city.transit_lines),
        ("establishments", city.establishments),
        ("rent_points", city.rent_points),
        ("institutions", city.institutions),
        ("transit_stops", city.transit_stops),
        ("example_districts", city.example_districts),
    ]
    for name, gdf in layers:
        if gdf is None:
            continue
        # The label goes in gpkg_contents.description, not in dataset metadata: GDAL then
        # writes a stray .aux.xml beside the file every time it is opened read-only.
        pyogrio.write_dataframe(
            gdf, gpkg, layer=name, driver="GPKG",
            layer_options={"DESCRIPTION": f"{city.name}: invented data, not a real place"},
        )
    _write_rent(city.rent, out_dir / RENT_NAME, city.name)
    return gpkg


def _write_rent(rent: Raster, path: Path, title: str) -> None:
    values = np.where(np.isnan(rent.values), RENT_NODATA, rent.values).astype(np.float32)
    rows, cols = rent.shape
    profile = {
        "driver": "GTiff", "height": rows, "width": cols, "count": 1, "dtype": "float32",
        "crs": rent.crs, "transform": Affine(*rent.transform), "nodata": RENT_NODATA,
        "compress": "deflate", "predictor": 3, "tiled": True, "blockxsize": 256,
        "blockysize": 256,
    }
    path.unlink(missing_ok=True)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
        dst.update_tags(TITLE=title, UNIT=rent.unit, SYNTHETIC="yes")
        dst.set_band_description(1, f"rent ({rent.unit})")


def make_sample_city(out_dir: Path | str, n_establishments: int = BASE_ESTABLISHMENTS, *,
                     seed: int = 7, **kw) -> Path:
    """Generate a city and write it to ``out_dir``; ``kw`` goes to ``generate_city``.
    Returns the GeoPackage's path."""
    city = generate_city(n_establishments, seed=seed, **kw)
    return write_city(city, Path(out_dir))


def benchmark_city(n_establishments: int = 1_000_000, seed: int = 7) -> SampleCity:
    """The benchmarks' city: at a million establishments, 200k rent points, 5k stops, 3k
    institutions and 2k neighbourhoods (DESIGN.md's prototype), scaled down with a floor
    for smaller runs so every layer still has something in it."""
    n = n_establishments
    return generate_city(n, n_rent_points=n // 5, n_stops=5_000 * n // 1_000_000 or 40,
                         n_institutions=3_000 * n // 1_000_000 or 150,
                         n_neighbourhoods=2_000 * n // 1_000_000 or 40, seed=seed)
