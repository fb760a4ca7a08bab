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


def test_benjamini_hochberg_by_hand():
    from districtplanner.analysis.hotspots import benjamini_hochberg

    # m = 5, q = 0.05: thresholds 0.01, 0.02, 0.03, 0.04, 0.05. Sorted p: 0.001, 0.015,
    # 0.035, 0.04, 0.2 -> the largest k with p_(k) <= k q / m is 4 (0.04 <= 0.04).
    p = np.array([0.04, 0.001, 0.2, 0.035, 0.015])
    assert benjamini_hochberg(p, 0.05).tolist() == [True, True, False, True, True]
    # At q = 0.01 only p_(1) = 0.001 <= 0.002 passes.
    assert benjamini_hochberg(p, 0.01).tolist() == [False, True, False, False, False]
    assert not benjamini_hochberg(np.array([0.5, 0.9]), 0.1).any()


def test_fdr_classes_are_stricter_than_the_plain_cuts():
    from districtplanner.analysis.hotspots import classify_fdr

    rng = np.random.default_rng(1)
    z = rng.standard_normal(5000)  # pure noise: ~10% pass a plain 90% cut
    assert (classify(z) != 0).mean() > 0.08
    assert (classify_fdr(z) != 0).mean() < 0.002
    z[:20] = 6.0  # twenty real hot spots stay
    assert (classify_fdr(z)[:20] == 3).all()


def test_gi_star_over_the_city_cells_only_matches_esda_on_those_cells():
    rng = np.random.default_rng(4)
    x = rng.poisson(3, (10, 12)).astype(float)
    x[2:5, 3:6] += 15
    mask = np.ones_like(x, bool)
    mask[:, 9:] = False  # the sea: three columns outside the city
    mask[8:, :] = False
    z = gi_star(x, disc_kernel(250.0, 100.0), mask)
    assert (z[~mask] == 0).all()
    # esda on the inside cells alone, at their own centres.
    ny, nx = x.shape
    cy, cx = np.mgrid[0:ny, 0:nx]
    centres = np.column_stack([(cx[mask] + 0.5) * 100.0, (cy[mask] + 0.5) * 100.0])
    w = libpysal.weights.DistanceBand(centres, threshold=250.0, binary=True,
                                      silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(x[mask], w, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(z[mask], g.Zs, rtol=1e-9, atol=1e-9)


def test_surface_tests_only_cells_inside_the_neighbourhoods():
    from shapely.geometry import box

    # clustered_city()'s establishments, now with a city outline of two neighbourhoods.
    rng = np.random.default_rng(3)
    xy = np.vstack([rng.uniform(0, 5000, (600, 2)), rng.normal(3000, 250, (400, 2))])
    sectors = np.where(rng.random(len(xy)) < 0.5, "film_tv", "retail")
    frame = gpd.GeoDataFrame({"sector": sectors, "employees": rng.integers(1, 20, len(xy))},
                             geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)
    nb = gpd.GeoDataFrame({"name": ["west", "east"]},
                          geometry=[box(0, 0, 2500, 5000), box(2500, 0, 5000, 5000)], crs=CRS)
    with_nb = CityData.from_frames(frame, neighbourhoods=nb)
    a = Assumptions().replace(hotspot_cell_m=250, gi_distance_m=600)
    s = compute_surface(with_nb, a, bounds=(-1000, -1000, 6000, 6000))
    assert s.inside is not None and s.inside.sum() == 400  # the 20 x 20 cells of the city
    assert (s.gi_class[~s.inside] == 0).all() and (s.gi_z[~s.inside] == 0).all()
    assert s.summary()["cells_inside_city"] == 400
