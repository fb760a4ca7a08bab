"""Hot-spot surface: the vectorised Gi* agrees with esda; the density keeps its mass."""

from __future__ import annotations

import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pytest
import rasterio

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.analysis.citydata import CityData
from districtplanner.analysis.hotspots import (
    classify,
    compute_surface,
    disc_kernel,
    gi_star,
)
from districtplanner.analysis.index import CityIndex

CRS = "EPSG:32632"


def esda_gi_star(values: np.ndarray, cell: float, threshold: float) -> np.ndarray:
    ny, nx = values.shape
    cy, cx = np.mgrid[0:ny, 0:nx]
    centres = np.column_stack([(cx.ravel() + 0.5) * cell, (cy.ravel() + 0.5) * cell])
    w = libpysal.weights.DistanceBand(centres, threshold=threshold, binary=True,
                                      silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(values.ravel(), w, transform="B", star=True, permutations=0)
    return g.Zs.reshape(values.shape)


def clustered_city(seed: int = 3) -> CityData:
    rng = np.random.default_rng(seed)
    xy = np.vstack([rng.uniform(0, 5000, (600, 2)), rng.normal(3000, 250, (400, 2))])
    sectors = np.where(rng.random(len(xy)) < 0.5, "film_tv", "retail")
    est = gpd.GeoDataFrame({"sector": sectors, "employees": rng.integers(1, 20, len(xy))},
                           geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)
    return CityData.from_frames(est)


def test_gi_star_matches_esda_on_random_grid():
    rng = np.random.default_rng(0)
    x = rng.poisson(3, (12, 15)).astype(float)
    x[3:6, 4:7] += 20
    z = gi_star(x, disc_kernel(250.0, 100.0))
    np.testing.assert_allclose(z, esda_gi_star(x, 100.0, 250.0), rtol=1e-10, atol=1e-10)


def test_surface_gi_matches_esda_and_finds_the_cluster():
    a = Assumptions().replace(hotspot_cell_m=250, gi_distance_m=600, kde_bandwidth_m=300)
    s = compute_surface(CityIndex.build(clustered_city()), a, bounds=(0, 0, 5000, 5000))
    assert s.shape == (20, 20)
    np.testing.assert_allclose(s.gi_z, esda_gi_star(s.counts, 250.0, 600.0),
                               rtol=1e-9, atol=1e-9)
    # The cluster centre (3000, 3000) is row 7 (from the top), column 12: a 99% hot spot.
    assert s.gi_class[7, 12] == 3
    assert (s.gi_class == 3).sum() < 40


def test_kde_keeps_the_mass_away_from_edges():
    city = clustered_city()
    a = Assumptions().replace(hotspot_cell_m=100, kde_bandwidth_m=200)
    s = compute_surface(city, a, bounds=(-2000, -2000, 7000, 7000))
    creative = city.est_sector == 0
    total = city.est_jobs[creative].sum()
    assert s.counts.sum() == pytest.approx(total)
    assert (s.kde * 0.01).sum() == pytest.approx(total, rel=1e-6)  # 0.01 km² cells
    assert s.basis == "jobs"


def test_classify_levels():
    z = np.array([-3.0, -2.0, -1.7, 0.0, 1.7, 2.0, 2.6])
    assert classify(z).tolist() == [-3, -2, -1, 0, 1, 2, 3]


def test_flat_grid_has_no_hot_spots():
    assert np.all(gi_star(np.full((5, 5), 2.0), disc_kernel(150, 100)) == 0)
    assert np.all(gi_star(np.zeros((5, 5)), disc_kernel(150, 100)) == 0)


def test_geotiff_round_trip(tmp_path):
    a = Assumptions().replace(hotspot_cell_m=500)
    s = compute_surface(clustered_city(), a)
    path = s.write_geotiff(tmp_path / "hot.tif")
    with rasterio.open(path) as src:
        assert src.count == 3 and src.crs.to_string() == CRS
        assert src.descriptions == ("kde", "gi_z", "gi_class")
        np.testing.assert_allclose(src.read(1), s.kde.astype(np.float32))
        assert src.transform.a == 500 and src.transform.e == -500
        x, _y = src.xy(0, 0)
    assert x == pytest.approx(s.transform[2] + 250)
    text = s.explanations(a)["hotspots.gi_star"]
    assert "hotspot_cell_m = 500 m" in text and "Getis" in text
    summary = s.summary()
    assert sum(summary["cells_by_class"].values()) == s.counts.size
