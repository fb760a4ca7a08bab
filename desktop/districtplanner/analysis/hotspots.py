"""City-wide hot spots of creative jobs: a kernel density surface and Getis-Ord Gi* classes.

Slower than the district figures (tens of milliseconds to a second for a large city), so a
worker computes it apart from ``metrics.compute``. Gi* is computed with convolutions over
the grid; ``tests/core/test_hotspots.py`` checks it against ``esda.G_Local(star=True)``
with the same binary distance-band weights. Methods: docs/methods.md ("## Hot spots").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.citydata import CityData
from districtplanner.analysis.explain import explanation
from districtplanner.analysis.index import CityIndex
from districtplanner.analysis.raster import Raster
from districtplanner.analysis.sectors import NON_CREATIVE_CODE

# Gi* classes: sign x the strictest false discovery rate (10, 5, 1%) at which the cell
# stays significant after the Benjamini-Hochberg correction over the city's cells.
GI_CLASS_LABELS: dict[int, str] = {
    -3: "cold spot, false discovery rate 1%",
    -2: "cold spot, false discovery rate 5%",
    -1: "cold spot, false discovery rate 10%",
    0: "not significant",
    1: "hot spot, false discovery rate 10%",
    2: "hot spot, false discovery rate 5%",
    3: "hot spot, false discovery rate 1%",
}
FDR_LEVELS: tuple[float, float, float] = (0.10, 0.05, 0.01)
GI_Z_CUTS: tuple[float, float, float] = (1.6448536269514722, 1.959963984540054,
                                         2.5758293035489004)


@dataclass
class HotspotSurface:
    """Grids over ``bounds`` (north-up, row 0 at the top), each cell ``cell`` metres.

    ``counts``: creative jobs (establishments when jobs are unknown) per cell;
    ``kde``: kernel density in the same unit per km²; ``gi_z``: Gi* z-scores;
    ``gi_class``: -3..3 per GI_CLASS_LABELS.
    """

    transform: tuple[float, float, float, float, float, float]
    crs: Any
    cell: float
    basis: str
    counts: np.ndarray
    kde: np.ndarray
    gi_z: np.ndarray
    gi_class: np.ndarray
    parameters: dict[str, float] = field(default_factory=dict)
    # Cells whose centre lies inside the city (its neighbourhoods); only they are tested.
    inside: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.counts.shape  # type: ignore[return-value]

    def raster(self, layer: str = "kde") -> Raster:
        """One layer ('counts', 'kde', 'gi_z', 'gi_class') as a Raster for the map."""
        values = np.asarray(getattr(self, layer), dtype=np.float64)
        unit = {"counts": self.basis, "kde": f"{self.basis}/km²", "gi_z": "z",
                "gi_class": "class"}[layer]
        return Raster(values=values, transform=self.transform, crs=str(self.crs),
                      name=f"creative {layer}", unit=unit)

    def summary(self) -> dict[str, Any]:
        """JSON-ready counts of cells per Gi* class and the density peak."""
        classes, n = np.unique(self.gi_class, return_counts=True)
        return {
            "cell_m": self.cell,
            "basis": self.basis,
            "cells": int(self.counts.size),
            "cells_inside_city": int(self.counts.size if self.inside is None
                                     else self.inside.sum()),
            "peak_density_per_km2": float(self.kde.max()) if self.kde.size else 0.0,
            "cells_by_class": {GI_CLASS_LABELS[int(c)]: int(k)
                               for c, k in zip(classes, n, strict=True)},
        }

    def explanations(self, assumptions: Assumptions) -> dict[str, str]:
        """Explain texts of the density and Gi* figures (docs/methods.md, 'Hot spots')."""
        hot = int((self.gi_class > 0).sum())
        cold = int((self.gi_class < 0).sum())
        grid = {"grid": f"{self.shape[1]} x {self.shape[0]} cells", "basis": self.basis}
        return {
            "hotspots.kde": explanation(
                "hotspots.kde", grid, assumptions,
                f"peak {float(self.kde.max()) if self.kde.size else 0.0:,.0f} "
                f"{self.basis}/km²"),
            "hotspots.gi_star": explanation(
                "hotspots.gi_star", grid, assumptions,
                f"{hot} hot and {cold} cold cells at a false discovery rate of 10% or "
                "less"),
        }

    def write_geotiff(self, path: str | Path, layers: tuple[str, ...] = ("kde", "gi_z",
                                                                         "gi_class")) -> Path:
        """Write ``layers`` as the bands of one float32 GeoTIFF (band descriptions name
        them); returns the path."""
        import rasterio
        from rasterio.transform import Affine

        path = Path(path)
        h, w = self.shape
        with rasterio.open(
            path, "w", driver="GTiff", width=w, height=h, count=len(layers),
            dtype="float32", crs=self.crs, transform=Affine(*self.transform),
            compress="deflate",
        ) as dst:
            for band, name in enumerate(layers, start=1):
                dst.write(np.asarray(getattr(self, name), dtype=np.float32), band)
                dst.set_band_description(band, name)
        return path


def disc_kernel(radius_m: float, cell: float) -> np.ndarray:
    """Binary weights of cells whose centres lie within ``radius_m`` of the focal centre
    (the focal cell included, as Gi* requires)."""
    k = int(np.floor(radius_m / cell + 1e-9))
    off = np.arange(-k, k + 1) * cell
    d2 = off[:, None] ** 2 + off[None, :] ** 2
    return (d2 <= radius_m**2 * (1 + 1e-12)).astype(np.float64)


def gi_star(values: np.ndarray, kernel: np.ndarray, mask: np.ndarray | None = None
            ) -> np.ndarray:
    """Gi* z-scores of a grid of ``values`` with binary weights ``kernel`` (centred, focal
    cell included). The observations are the cells where ``mask`` holds (default: every
    cell); the others are neither tested nor anyone's neighbour, and get 0. Zeros where
    the observations have no variation."""
    x = np.asarray(values, dtype=np.float64)
    m = np.ones(x.shape, bool) if mask is None else np.asarray(mask, bool)
    n = int(m.sum())
    if n < 2:
        return np.zeros_like(x)
    xm = np.where(m, x, 0.0)
    mean = xm.sum() / n
    s = np.sqrt(max((xm * xm).sum() / n - mean * mean, 0.0))
    if s <= 0 or mean <= 0:
        return np.zeros_like(x)
    from scipy import ndimage  # deferred: ~0.2 s at start-up that drawing the map does not need

    wx = ndimage.correlate(xm, kernel, mode="constant", cval=0.0)
    w = ndimage.correlate(m.astype(np.float64), kernel, mode="constant", cval=0.0)
    den = s * np.sqrt(np.maximum(w * (n - w), 0.0) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(m & (den > 0), (wx - mean * w) / den, 0.0)
    return z


def benjamini_hochberg(p: np.ndarray, q: float) -> np.ndarray:
    """Which of the p-values are discoveries at false discovery rate ``q`` (Benjamini &
    Hochberg 1995): all p ≤ p_(k), k the largest rank with p_(k) ≤ k·q / m."""
    p = np.asarray(p, dtype=np.float64)
    m = p.size
    if m == 0:
        return np.zeros(0, bool)
    s = np.sort(p)
    ok = np.flatnonzero(s <= q * np.arange(1, m + 1) / m)
    if ok.size == 0:
        return np.zeros(m, bool)
    return p <= s[ok[-1]]


def classify_fdr(z: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """-3..3: the sign of z times how many of the false discovery rates FDR_LEVELS the
    cell passes under the Benjamini-Hochberg procedure over the tested (masked) cells,
    two-sided normal p-values."""
    from scipy.special import ndtr  # deferred, as above

    z = np.asarray(z, dtype=np.float64)
    m = np.ones(z.shape, bool) if mask is None else np.asarray(mask, bool)
    p = 2.0 * ndtr(-np.abs(z[m]))
    level = np.zeros(p.size, np.int8)
    for q in FDR_LEVELS:
        level += benjamini_hochberg(p, q)
    out = np.zeros(z.shape, np.int8)
    out[m] = np.sign(z[m]).astype(np.int8) * level
    return out


def classify(z: np.ndarray) -> np.ndarray:
    """-3..3: the sign of z times the number of confidence cuts |z| reaches."""
    level = np.searchsorted(np.asarray(GI_Z_CUTS), np.abs(z), side="right")
    return (np.sign(z) * level).astype(np.int8)


def compute_surface(
    index_or_city: CityIndex | CityData,
    assumptions: Assumptions,
    bounds: tuple[float, float, float, float] | None = None,
) -> HotspotSurface:
    """Kernel density and Gi* classes of creative jobs on a grid of
    ``assumptions.hotspot_cell_m`` over ``bounds`` (xmin, ymin, xmax, ymax in metres;
    default the city's extent)."""
    city = index_or_city.city if isinstance(index_or_city, CityIndex) else index_or_city
    cell = float(assumptions.hotspot_cell_m)
    xmin, ymin, xmax, ymax = bounds if bounds is not None else city.extent()
    nx = max(1, int(np.ceil((xmax - xmin) / cell)))
    ny = max(1, int(np.ceil((ymax - ymin) / cell)))
    top = ymin + ny * cell
    creative = city.est_sector != NON_CREATIVE_CODE
    xy = city.est_xy[creative]
    weights = city.est_jobs[creative] if city.has_jobs else np.ones(len(xy))
    col = np.floor((xy[:, 0] - xmin) / cell).astype(np.int64)
    row = np.floor((top - xy[:, 1]) / cell).astype(np.int64)
    ok = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
    counts = np.bincount(row[ok] * nx + col[ok], weights=weights[ok],
                         minlength=nx * ny).reshape(ny, nx)
    sigma = assumptions.kde_bandwidth_m / cell
    from scipy import ndimage  # deferred, as above

    kde = ndimage.gaussian_filter(counts, sigma=sigma, mode="constant", cval=0.0,
                                  truncate=4.0) / (cell * cell / 1e6)
    inside = _inside_city(city, xmin, top, cell, nx, ny)
    z = gi_star(counts, disc_kernel(assumptions.gi_distance_m, cell), inside)
    return HotspotSurface(
        transform=(cell, 0.0, float(xmin), 0.0, -cell, float(top)),
        crs=city.crs,
        cell=cell,
        basis="jobs" if city.has_jobs else "establishments",
        counts=counts,
        kde=kde,
        gi_z=z,
        gi_class=classify_fdr(z, inside),
        parameters={k: assumptions[k] for k in ("hotspot_cell_m", "kde_bandwidth_m",
                                                "gi_distance_m")},
        inside=inside,
    )


def _inside_city(city: CityData, xmin: float, top: float, cell: float, nx: int,
                 ny: int) -> np.ndarray | None:
    """Cells whose centre lies in one of the city's neighbourhoods (None: no
    neighbourhood layer, every cell counts). Empty cells beyond the city's edge would
    otherwise pull the mean down and make the whole city look hot."""
    nb = city.neighbourhoods
    if nb is None or not len(nb):
        return None
    import shapely

    cx = xmin + (np.arange(nx) + 0.5) * cell
    cy = top - (np.arange(ny) + 0.5) * cell
    gx, gy = np.meshgrid(cx, cy)
    area = shapely.union_all(shapely.make_valid(np.asarray(nb.geometry.values)))
    shapely.prepare(area)
    return shapely.contains_xy(area, gx, gy)
