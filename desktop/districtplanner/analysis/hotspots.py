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

# Gi* classes: sign x confidence level (90, 95, 99%) of the two-sided normal test.
GI_CLASS_LABELS: dict[int, str] = {
    -3: "cold spot, 99% confidence",
    -2: "cold spot, 95% confidence",
    -1: "cold spot, 90% confidence",
    0: "not significant",
    1: "hot spot, 90% confidence",
    2: "hot spot, 95% confidence",
    3: "hot spot, 99% confidence",
}
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
                f"{hot} hot and {cold} cold cells at 90% confidence or more"),
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


def gi_star(values: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Gi* z-scores of a grid of ``values`` with binary weights ``kernel`` (centred, focal
    cell included); every cell of the grid counts as an observation. Zeros where the grid
    has no variation."""
    x = np.asarray(values, dtype=np.float64)
    n = x.size
    if n < 2:
        return np.zeros_like(x)
    mean = x.mean()
    s = np.sqrt(max((x * x).mean() - mean * mean, 0.0))
    if s <= 0 or mean <= 0:
        return np.zeros_like(x)
    from scipy import ndimage  # deferred: ~0.2 s at start-up that drawing the map does not need

    wx = ndimage.correlate(x, kernel, mode="constant", cval=0.0)
    w = ndimage.correlate(np.ones_like(x), kernel, mode="constant", cval=0.0)
    den = s * np.sqrt(np.maximum(w * (n - w), 0.0) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(den > 0, (wx - mean * w) / den, 0.0)
    return z


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
    z = gi_star(counts, disc_kernel(assumptions.gi_distance_m, cell))
    return HotspotSurface(
        transform=(cell, 0.0, float(xmin), 0.0, -cell, float(top)),
        crs=city.crs,
        cell=cell,
        basis="jobs" if city.has_jobs else "establishments",
        counts=counts,
        kde=kde,
        gi_z=z,
        gi_class=classify(z),
        parameters={k: assumptions[k] for k in ("hotspot_cell_m", "kde_bandwidth_m",
                                                "gi_distance_m")},
    )
