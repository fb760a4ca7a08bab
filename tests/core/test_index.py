"""The city index selects exactly what a point-in-polygon test of every point selects."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Polygon, box

from districtplanner.analysis.citydata import CityData, CityDataError
from districtplanner.analysis.index import (
    CityIndex,
    Grid,
    PlainSelector,
    cover,
    establishment_attributes,
)
from districtplanner.analysis.raster import Raster
from districtplanner.analysis.sectors import CREATIVE_SECTORS, NON_CREATIVE_CODE

CRS = "EPSG:32632"


def points_frame(xy, **cols) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)


def random_city(n: int = 3000, seed: int = 0, extent: float = 2000.0) -> CityData:
    rng = np.random.default_rng(seed)
    # Half uniform, half in a tight cluster, some exactly on 10 m lattice lines.
    xy = np.vstack([rng.uniform(0, extent, (n // 2, 2)),
                    rng.normal(extent / 2, extent / 12, (n - n // 2, 2))])
    xy[: n // 10] = np.round(xy[: n // 10] / 10) * 10
    sectors = rng.choice([*CREATIVE_SECTORS, "retail", "logistics"], n)
    jobs = rng.integers(1, 40, n).astype(float)
    est = points_frame(xy, sector=sectors, employees=jobs)
    rents = points_frame(rng.uniform(0, extent, (500, 2)), rent=rng.uniform(5, 30, 500))
    stops = points_frame(rng.uniform(0, extent, (20, 2)))
    inst = points_frame(rng.uniform(0, extent, (60, 2)),
                        type=rng.choice(["museum", "gallery", "theatre", "zoo"], 60))
    cells = [box(x, y, x + extent / 4, y + extent / 4)
             for x in np.arange(0, extent, extent / 4) for y in np.arange(0, extent, extent / 4)]
    nb = gpd.GeoDataFrame({"name": [f"n{i}" for i in range(len(cells))],
                           "households": rng.integers(100, 2000, len(cells)),
                           "median_income": rng.uniform(20000, 60000, len(cells)),
                           "renter_share": rng.uniform(0.2, 0.8, len(cells))},
                          geometry=cells, crs=CRS)
    return CityData.from_frames(est, rents=rents, stops=stops, institutions=inst,
                                neighbourhoods=nb)


def random_polygon(rng: np.random.Generator, extent: float = 2000.0):
    kind = rng.integers(4)
    cx, cy = rng.uniform(-200, extent + 200, 2)
    r = rng.uniform(20, extent / 2)
    if kind == 0:
        return shapely.Point(cx, cy).buffer(r, quad_segs=int(rng.integers(1, 16)))
    if kind == 1:
        # Axis-aligned box on round coordinates: edges along grid lines and through points.
        x0, y0 = np.round(rng.uniform(0, extent, 2) / 10) * 10
        return box(x0, y0, x0 + round(r / 10) * 10 + 10, y0 + round(r / 10) * 10 + 10)
    if kind == 2:
        outer = shapely.Point(cx, cy).buffer(r)
        return outer.difference(shapely.Point(cx, cy).buffer(r / 2))  # with a hole
    a = shapely.Point(cx, cy).buffer(r / 3)
    b = shapely.Point(cx + r, cy - r / 2).buffer(r / 4)
    return MultiPolygon([a, b]) if not a.intersects(b) else a.union(b)


def brute(city: CityData, geom) -> np.ndarray:
    return shapely.contains_xy(geom, city.est_xy[:, 0], city.est_xy[:, 1])


@pytest.fixture(scope="module")
def city() -> CityData:
    return random_city()


@pytest.mark.parametrize("cell", [None, 7.0, 33.3, 250.0, 5000.0])
def test_select_equals_contains_on_every_point(city: CityData, cell):
    index = CityIndex.build(city, cell_size=cell)
    rng = np.random.default_rng(1)
    for _ in range(40):
        geom = random_polygon(rng)
        inside = brute(city, geom)
        sel = index.select(geom)
        expected = np.bincount(city.est_sector[inside].astype(int),
                               minlength=NON_CREATIVE_CODE + 1)
        np.testing.assert_array_equal(sel.count_by_sector, expected)
        expected_jobs = np.bincount(city.est_sector[inside].astype(int),
                                    weights=city.est_jobs[inside],
                                    minlength=NON_CREATIVE_CODE + 1)
        np.testing.assert_array_equal(sel.jobs_by_sector, expected_jobs)
        rin = shapely.contains_xy(geom, city.rent_xy[:, 0], city.rent_xy[:, 1])
        np.testing.assert_array_equal(np.sort(sel.rent_values), np.sort(city.rent_values[rin]))
        creative = inside & (city.est_sector != NON_CREATIVE_CODE)
        assert sel.creative_rent.size == creative.sum()


def test_point_on_boundary_is_outside_and_grid_aligned_edges():
    est = points_frame([(10, 10), (20, 10), (15, 15), (20, 20), (25, 15)],
                       sector=["film_tv"] * 5, employees=[1, 2, 3, 4, 5])
    city = CityData.from_frames(est)
    index = CityIndex.build(city, cell_size=10.0)
    sel = index.select(box(10, 10, 20, 20))
    # Only (15, 15) lies strictly inside; the others sit on the boundary or outside.
    assert sel.count_by_sector[0] == 1
    assert sel.jobs_by_sector[0] == 3


def test_cover_marks_crossed_cells_and_inside_runs():
    grid = Grid(0.0, 0.0, 10.0, 10, 10)
    cov = cover(grid, box(5, 5, 55, 35))
    inside_cells = np.concatenate([np.arange(a, b) for a, b in zip(cov.run_lo, cov.run_hi,
                                                                   strict=True)])
    # Cells (col 1..4, row 1..2) lie wholly inside; rows 0 and 3 and cols 0 and 5 are cut.
    expected = sorted(r * 10 + c for r in (1, 2) for c in range(1, 5))
    assert sorted(inside_cells.tolist()) == expected
    assert set(cov.boundary.tolist()).isdisjoint(expected)
    assert 0 in cov.boundary and 35 in cov.boundary


def test_district_larger_than_the_city_selects_everything(city: CityData):
    index = CityIndex.build(city)
    sel = index.select(box(-1e5, -1e5, 1e5, 1e5))
    np.testing.assert_array_equal(sel.count_by_sector, index.totals.count_by_sector)


def test_empty_and_zero_area_districts_select_nothing(city: CityData):
    index = CityIndex.build(city)
    for geom in (Polygon(), Polygon([(0, 0), (100, 100), (200, 200)]), box(5e4, 5e4, 6e4, 6e4)):
        sel = index.select(geom)
        assert sel.count_by_sector.sum() == 0
        assert sel.rent_values.size == 0
        assert sel.inst_inside.sum() == 0


def test_plain_selector_matches_index(city: CityData):
    index = CityIndex.build(city)
    plain = PlainSelector(index)
    rng = np.random.default_rng(5)
    for _ in range(10):
        geom = random_polygon(rng)
        a, b = index.select(geom), plain.select(geom)
        np.testing.assert_array_equal(a.count_by_sector, b.count_by_sector)
        np.testing.assert_array_equal(a.inst_inside, b.inst_inside)
        np.testing.assert_array_equal(a.inst_near, b.inst_near)
        np.testing.assert_array_equal(a.nbhd_index, b.nbhd_index)
        np.testing.assert_allclose(a.nbhd_fraction, b.nbhd_fraction, rtol=1e-12)


def test_institutions_inside_and_within_buffer():
    est = points_frame([(0, 0)], sector=["film_tv"], employees=[1])
    inst = points_frame([(50, 50), (150, 50), (130, 50), (400, 400)],
                        type=["museum", "gallery", "museum", "theatre"])
    city = CityData.from_frames(est, institutions=inst)
    index = CityIndex.build(city)
    sel = index.select(box(0, 0, 100, 100), institution_buffer_m=40)
    assert sel.inst_inside.tolist()[:3] == [1, 0, 0]  # museum, gallery, theatre
    # Within 40 m: the museum inside and the one at 30 m; the gallery is 50 m away.
    assert sel.inst_near.tolist()[:3] == [2, 0, 0]


def test_neighbourhood_fractions_are_area_shares():
    nb = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[box(0, 0, 100, 100),
                                                         box(100, 0, 200, 100)], crs=CRS)
    est = points_frame([(50, 50)], sector=["film_tv"], employees=[1])
    index = CityIndex.build(CityData.from_frames(est, neighbourhoods=nb))
    sel = index.select(box(50, 0, 200, 100))
    assert sel.nbhd_index.tolist() == [0, 1]
    np.testing.assert_allclose(sel.nbhd_fraction, [0.5, 1.0])


def test_establishment_attributes_from_points_raster_and_polygons():
    est = points_frame([(10, 10), (90, 90), (500, 500)], sector=["film_tv"] * 3,
                       employees=[1, 1, 1])
    stops = points_frame([(0, 10)])
    rents = points_frame([(0, 0), (100, 100)], rent=[10.0, 20.0])
    dist, rent = establishment_attributes(
        CityData.from_frames(est, rents=rents, stops=stops))
    np.testing.assert_allclose(dist[:2], [10.0, np.hypot(90, 80)])
    assert rent[:2].tolist() == [10.0, 20.0]
    raster = Raster(np.array([[1.0, 2.0], [3.0, np.nan]]), (50, 0, 0, 0, -50, 100), CRS)
    _, rent = establishment_attributes(CityData.from_frames(est, rents=raster))
    # (10,10): bottom-left cell = 3; (90,90): top-right = 2; (500,500): outside -> NaN.
    assert rent[0] == 3.0 and rent[1] == 2.0 and np.isnan(rent[2])
    polys = gpd.GeoDataFrame({"rent": [7.0]}, geometry=[box(0, 0, 50, 50)], crs=CRS)
    _, rent = establishment_attributes(CityData.from_frames(est, rents=polys))
    assert rent[0] == 7.0 and np.isnan(rent[1])


def test_raster_rents_use_cell_centres():
    raster = Raster(np.arange(16, dtype=float).reshape(4, 4), (10, 0, 0, 0, -10, 40), CRS)
    est = points_frame([(1, 1)], sector=["film_tv"], employees=[1])
    index = CityIndex.build(CityData.from_frames(est, rents=raster), cell_size=7)
    sel = index.select(box(0, 0, 20.5, 20.5))  # centres (5,5),(15,5),(5,15),(15,15)
    assert sorted(sel.rent_values.tolist()) == [8.0, 9.0, 12.0, 13.0]


def test_geographic_crs_is_refused():
    est = gpd.GeoDataFrame({"sector": ["film_tv"]}, geometry=[shapely.Point(8, 50)],
                           crs="EPSG:4326")
    with pytest.raises(CityDataError, match="geographic"):
        CityData.from_frames(est)


def test_missing_sector_column_names_the_layer():
    est = points_frame([(0, 0)], kind=["x"])
    with pytest.raises(CityDataError, match="Establishments: no column 'sector'"):
        CityData.from_frames(est)


def test_collections_count_only_their_polygons(city: CityData):
    index = CityIndex.build(city)
    poly = box(500, 500, 1500, 1500)
    collection = shapely.GeometryCollection([poly, shapely.LineString([(0, 0), (2000, 2000)]),
                                             shapely.Point(10, 10)])
    np.testing.assert_array_equal(index.select(collection).count_by_sector,
                                  index.select(poly).count_by_sector)
    assert index.select(shapely.LineString([(0, 0), (5, 5)])).count_by_sector.sum() == 0


def test_raster_rents_match_rasterio_geometry_mask():
    from rasterio.features import geometry_mask
    from rasterio.transform import Affine

    rng = np.random.default_rng(11)
    values = rng.uniform(5, 30, (60, 80))
    values[rng.random(values.shape) < 0.05] = np.nan
    transform = (25.0, 0.0, 1000.0, 0.0, -25.0, 3000.0)
    raster = Raster(values, transform, CRS)
    est = points_frame([(1500, 2000)], sector=["film_tv"], employees=[1])
    index = CityIndex.build(CityData.from_frames(est, rents=raster))
    for _ in range(10):
        geom = random_polygon(rng, extent=2000.0)
        geom = shapely.affinity.translate(geom, 1000, 1500)
        inside = ~geometry_mask([geom], out_shape=values.shape, transform=Affine(*transform))
        expected = values[inside & np.isfinite(values)]
        got = index.select(geom).rent_values
        np.testing.assert_array_equal(np.sort(got), np.sort(expected))


def _drag(poly: Polygon, rng: np.random.Generator, n: int, step: float) -> list[Polygon]:
    """``n`` successive single-vertex moves (the closing vertex included), kept valid."""
    coords = np.asarray(poly.exterior.coords)[:-1].copy()
    holes = [np.asarray(r.coords) for r in poly.interiors]
    out = []
    while len(out) < n:
        trial = coords.copy()
        trial[int(rng.integers(len(trial)))] += rng.uniform(-step, step, 2)
        p = Polygon(trial, holes)
        if p.is_valid:
            coords = trial
            out.append(p)
    return out


def _same_selection(a, b) -> None:
    np.testing.assert_array_equal(a.count_by_sector, b.count_by_sector)
    np.testing.assert_array_equal(a.jobs_by_sector, b.jobs_by_sector)
    np.testing.assert_array_equal(a.inst_inside, b.inst_inside)
    np.testing.assert_array_equal(a.inst_near, b.inst_near)
    np.testing.assert_array_equal(a.nbhd_index, b.nbhd_index)
    np.testing.assert_allclose(a.nbhd_fraction, b.nbhd_fraction, rtol=1e-12)
    np.testing.assert_array_equal(np.sort(a.rent_values), np.sort(b.rent_values))
    if a.rent_weights is None:
        assert b.rent_weights is None
    else:
        np.testing.assert_allclose(a.rent_weights[np.argsort(a.rent_values, kind="stable")],
                                   b.rent_weights[np.argsort(b.rent_values, kind="stable")],
                                   rtol=1e-12)


@pytest.mark.parametrize(("rent_polygons", "lookup_tables"),
                         [(False, True), (True, True), (False, False)])
def test_vertex_drags_reuse_only_what_did_not_change(rent_polygons: bool, lookup_tables: bool,
                                                     monkeypatch: pytest.MonkeyPatch):
    """The selection carried over from the previous district of a drag equals one made
    from scratch after every move, with points, institutions and polygons right at the
    change (also on grids too large for the per-cell look-up tables)."""
    if not lookup_tables:
        monkeypatch.setattr("districtplanner.analysis.index._DENSE_LOOKUP_CELLS", 0)
    rng = np.random.default_rng(21)
    base = random_city(n=4000, seed=3)
    rents = points_frame(base.rent_xy, rent=base.rent_values)
    if rent_polygons:
        parcels = [box(x, y, x + 125, y + 125) for x in np.arange(0, 2000, 125)
                   for y in np.arange(0, 2000, 125)]
        rents = gpd.GeoDataFrame({"rent": rng.uniform(5, 30, len(parcels))},
                                 geometry=parcels, crs=CRS)
    # Many institutions, so some sit just inside and just beyond the buffer of each change.
    inst = points_frame(rng.uniform(0, 2000, (800, 2)),
                        type=rng.choice(["museum", "gallery", "theatre"], 800))
    est = points_frame(base.est_xy, sector=rng.choice([*CREATIVE_SECTORS, "retail"],
                                                      len(base.est_xy)),
                       employees=base.est_jobs)
    city = CityData.from_frames(est, rents=rents, institutions=inst,
                                neighbourhoods=base.neighbourhoods)
    index = CityIndex.build(city)
    assert (index.est.cell_start is None) == (not lookup_tables)
    fresh = CityIndex.build(city)
    plain = PlainSelector(index)
    star = Polygon([(1000 + r * np.cos(t), 1000 + r * np.sin(t))
                    for t, r in zip(np.linspace(0, 2 * np.pi, 40, endpoint=False),
                                    rng.uniform(300, 700, 40), strict=True)])
    ring = Polygon(star.exterior.coords, [shapely.Point(1000, 1000).buffer(120).exterior.coords])
    for poly, step in ((star, 60.0), (ring, 150.0)):
        for buffer_m, p in zip([80.0] * 30 + [200.0] * 10, _drag(poly, rng, 40, step),
                               strict=True):
            got = index.select(p, institution_buffer_m=buffer_m)
            fresh.forget_last()
            _same_selection(got, fresh.select(p, institution_buffer_m=buffer_m))
            _same_selection(got, plain.select(p, institution_buffer_m=buffer_m))
    # Unrelated districts in turn (as the compare view does) start afresh.
    for _ in range(5):
        p = random_polygon(rng)
        fresh.forget_last()
        _same_selection(index.select(p, 120.0), fresh.select(p, 120.0))


def test_changed_box_bounds_what_a_vertex_move_changes():
    rng = np.random.default_rng(8)
    xy = rng.uniform(0, 1000, (20000, 2))
    xy[:2000] = np.round(xy[:2000] / 25) * 25  # on a lattice, some on the edges
    from districtplanner.analysis.index import changed_box, polygon_edges
    star = Polygon([(500 + r * np.cos(t), 500 + r * np.sin(t))
                    for t, r in zip(np.linspace(0, 2 * np.pi, 12, endpoint=False),
                                    rng.uniform(150, 450, 12), strict=True)])
    before = star
    for after in _drag(star, rng, 60, 100.0):
        b = changed_box(polygon_edges(before), polygon_edges(after))
        assert b is not None
        differs = (shapely.contains_xy(before, xy[:, 0], xy[:, 1])
                   != shapely.contains_xy(after, xy[:, 0], xy[:, 1]))
        x, y = xy[differs].T
        assert ((x >= b[0]) & (x <= b[2]) & (y >= b[1]) & (y <= b[3])).all()
        before = after
    assert changed_box(polygon_edges(star), polygon_edges(box(0, 0, 1, 1))) is None


def _libpysal_polygons(name: str) -> gpd.GeoDataFrame:
    import libpysal.examples

    return gpd.read_file(libpysal.examples.get_path(name))


@pytest.mark.parametrize("name", ["vautm17n.shp", "tokyomet262.shp", "sids2.shp"])
def test_area_shares_match_a_geopandas_overlay_on_real_tracts(name: str):
    """Real census-like polygons (holes, multipolygons, slivers, invalid rings in the Tokyo
    file): each polygon's share inside a district made of a quarter of them (a
    multipolygon with holes and shared edges) equals a geopandas overlay's. Cutting the
    district with ``clip_by_rect`` counted polygons wholly outside as 100% inside here."""
    from districtplanner.analysis.index import PolygonOverlay

    tracts = _libpysal_polygons(name)
    valid = tracts.geometry.make_valid()
    assert name != "tokyomet262.shp" or (~tracts.is_valid).sum() >= 10
    overlay = PolygonOverlay(np.asarray(tracts.geometry.values))
    rng = np.random.default_rng(1)
    frame = gpd.GeoDataFrame({"k": np.arange(len(tracts))}, geometry=valid, crs=tracts.crs)
    for _ in range(4):
        pick = rng.choice(len(tracts), size=len(tracts) // 4, replace=False)
        district = shapely.union_all(valid.values[pick])
        _, _, got = overlay.fractions_since(district)
        cut = gpd.overlay(frame, gpd.GeoDataFrame(geometry=[district], crs=tracts.crs),
                          how="intersection", keep_geom_type=True)
        inside = np.zeros(len(tracts))
        np.add.at(inside, cut["k"].to_numpy(), cut.area.to_numpy())
        want = inside / valid.area.to_numpy()
        np.testing.assert_allclose(got, want, atol=1e-9)
        outside = ~shapely.intersects(district, valid.values) | np.isclose(want, 0, atol=1e-12)
        assert (got[outside] < 1e-9).all()


def test_city_index_area_shares_on_tracts_with_an_invalid_ring():
    """Neighbourhoods read from a real tract file with a bow-tie tract and a sliver added:
    the district's shares equal the overlay of the repaired polygons, and no tract outside
    the district counts."""
    tracts = _libpysal_polygons("vautm17n.shp")[["geometry"]]
    x0, y0, x1, y1 = tracts.total_bounds
    bowtie = Polygon([(x0, y0), (x0 + 5000, y0 + 5000), (x0 + 5000, y0), (x0, y0 + 5000)])
    sliver = Polygon([(x0, y1), (x1, y1), (x1, y1 + 0.01)])
    nb = gpd.GeoDataFrame({"households": np.arange(len(tracts) + 2) + 100},
                          geometry=[*tracts.geometry, bowtie, sliver], crs=tracts.crs)
    assert not nb.is_valid.all()
    est = points_frame(nb.representative_point().get_coordinates().to_numpy(),
                       sector=["film_tv"] * len(nb), employees=[1] * len(nb))
    est = est.set_crs(nb.crs, allow_override=True)
    index = CityIndex.build(CityData.from_frames(est, neighbourhoods=nb))
    valid = nb.geometry.make_valid()
    district = shapely.union_all(valid.values[::3]).buffer(0)
    sel = index.select(district)
    want = shapely.area(shapely.intersection(valid.values, district)) / valid.area.to_numpy()
    got = np.zeros(len(nb))
    got[sel.nbhd_index] = sel.nbhd_fraction
    np.testing.assert_allclose(got, want, atol=1e-9)
