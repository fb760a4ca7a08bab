"""The seeded sample-city generator and the bundled city it made."""

from __future__ import annotations

import math
import sqlite3
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
from geopandas.testing import assert_geodataframe_equal

from districtplanner.analysis.sector_mapping import SectorMapping
from districtplanner.analysis.sectors import (
    CREATIVE_SECTORS,
    INSTITUTION_TYPES,
    NON_CREATIVE_SECTORS,
)
from districtplanner.paths import sample_city_dir
from districtplanner.sample_city import (
    CENTRE_XY,
    CITY_NAME,
    CRS,
    RENT_NODATA,
    SampleCity,
    generate_city,
    make_sample_city,
    write_city,
)

SMALL = 2_000
# The synthetic two-date columns, in the order the displacement methods list them.
TWO_DATE_FIELDS = ["households_t0", "low_income_share_t0", "low_income_share",
                   "college_share_t0", "college_share", "poc_share_t0", "poc_share",
                   "renter_share_t0", "median_income_t0", "median_rent_t0", "median_rent",
                   "recent_housing_share_t0"]
LAYERS = ("neighbourhoods", "establishments", "transit_stops", "transit_lines", "institutions",
          "example_districts")
COLUMNS = {
    "neighbourhoods": ["name", "population", "households", "median_income", "renter_share",
                       "rent_growth", *TWO_DATE_FIELDS],
    "establishments": ["name", "sector", "employees", "naics"],
    "transit_stops": ["name", "line"],
    "transit_lines": ["name", "colour"],
    "institutions": ["name", "type"],
    "example_districts": ["name", "colour", "notes"],
}


@pytest.fixture(scope="module")
def city() -> SampleCity:
    return generate_city(SMALL, seed=11, n_rent_points=500)


def _box(city: SampleCity) -> shapely.Polygon:
    return shapely.box(*city.bounds)


def _rent_at(city: SampleCity, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    a, _, c, _, e, f = city.rent.transform
    return city.rent.values[((y - f) / e).astype(int), ((x - c) / a).astype(int)]


def test_same_seed_same_city_other_seed_other_city() -> None:
    a = generate_city(SMALL, seed=3)
    b = generate_city(SMALL, seed=3)
    for layer in LAYERS:
        assert_geodataframe_equal(getattr(a, layer), getattr(b, layer))
    np.testing.assert_array_equal(a.rent.values, b.rent.values)
    c = generate_city(SMALL, seed=4)
    assert not a.establishments.geometry.geom_equals(c.establishments.geometry).all()
    assert not np.array_equal(a.neighbourhoods["population"], c.neighbourhoods["population"])


def test_more_stops_do_not_move_establishments() -> None:
    a = generate_city(SMALL, seed=3, n_stops=20)
    b = generate_city(SMALL, seed=3, n_stops=60)
    assert_geodataframe_equal(a.establishments, b.establishments)
    assert len(b.transit_stops) == 60


def test_one_projected_crs_in_metres_around_the_origin(city: SampleCity) -> None:
    assert city.crs == CRS == "EPSG:32632"
    for layer in (*LAYERS, "rent_points", "water"):
        assert getattr(city, layer).crs == CRS, layer
    assert city.rent.crs == CRS
    xmin, ymin, xmax, ymax = city.bounds
    assert (xmax - xmin, ymax - ymin) == (12_000.0, 10_000.0)
    assert ((xmin + xmax) / 2, (ymin + ymax) / 2) == CENTRE_XY
    assert city.name == CITY_NAME
    assert "synthetic" in CITY_NAME.lower()


def test_neighbourhoods_tile_the_city_without_gaps_or_overlaps(city: SampleCity) -> None:
    hoods = city.neighbourhoods
    box = _box(city)
    assert len(hoods) == 40
    assert hoods.geometry.is_valid.all()
    assert (hoods.geometry.geom_type == "Polygon").all()
    assert shapely.union_all(hoods.geometry.to_numpy()).area == pytest.approx(box.area, rel=1e-9)
    assert hoods.geometry.area.sum() == pytest.approx(box.area, rel=1e-9)  # so no overlaps
    assert hoods["name"].is_unique


def test_neighbourhood_figures_vary_like_a_real_city(city: SampleCity) -> None:
    hoods = city.neighbourhoods
    centroid = hoods.geometry.centroid
    d = np.hypot(centroid.x - CENTRE_XY[0], centroid.y - CENTRE_XY[1])
    # Inner areas rent, outer suburbs own and earn more.
    assert np.corrcoef(d, hoods["renter_share"])[0, 1] < -0.5
    assert np.corrcoef(d, hoods["median_income"])[0, 1] > 0.3
    assert hoods["renter_share"].between(0, 1).all()
    assert hoods["median_income"].between(15_000, 120_000).all()
    assert hoods["rent_growth"].between(0.0, 0.1).all()
    assert hoods["rent_growth"].max() > 2 * hoods["rent_growth"].median()
    # The fastest-rising rents are next to the old industrial quarter, not in the suburbs.
    quarter = hoods.loc[hoods["name"] == "Foundry Quarter"].geometry.iloc[0]
    fastest = hoods.geometry.iloc[int(np.argmax(hoods["rent_growth"]))]
    assert fastest.distance(quarter) < 1_500
    assert (hoods["population"] > 0).all()
    persons = hoods["population"] / hoods["households"]
    assert persons.between(1.4, 3.0).all()
    assert 300_000 < hoods["population"].sum() < 1_000_000


def test_columns_and_dtypes(city: SampleCity) -> None:
    for layer, cols in COLUMNS.items():
        assert list(getattr(city, layer).columns) == [*cols, "geometry"], layer
    hoods = city.neighbourhoods
    for col in ("population", "households", "median_income"):
        assert hoods[col].dtype.kind == "i", col
    for col in ("renter_share", "rent_growth"):
        assert hoods[col].dtype.kind == "f", col
    assert city.establishments["employees"].dtype.kind == "i"
    assert (city.establishments.geometry.geom_type == "Point").all()
    assert (city.transit_lines.geometry.geom_type == "LineString").all()
    assert (city.example_districts.geometry.geom_type == "Polygon").all()
    for layer in ("transit_lines", "example_districts"):
        assert getattr(city, layer)["colour"].str.fullmatch(r"#[0-9a-fA-F]{6}").all()


def test_establishments_are_about_a_fifth_creative_and_clustered(city: SampleCity) -> None:
    est = city.establishments
    assert len(est) == SMALL
    assert set(est["sector"]) <= set(CREATIVE_SECTORS) | set(NON_CREATIVE_SECTORS)
    assert set(est["sector"]) >= set(NON_CREATIVE_SECTORS)
    creative = est["sector"].isin(CREATIVE_SECTORS)
    assert abs(creative.mean() - 0.2) < 0.035
    inside = np.zeros(len(est), dtype=bool)
    for poly in city.example_districts.geometry:
        inside |= shapely.contains_xy(poly, est.geometry.x, est.geometry.y)
    assert inside.sum() > 100
    assert creative[inside].mean() > 2 * creative.mean()


def test_firm_sizes_are_skewed(city: SampleCity) -> None:
    jobs = city.establishments["employees"]
    assert (jobs >= 1).all()
    assert jobs.median() <= 3
    assert (jobs <= 5).mean() > 0.8
    assert jobs.max() >= 100
    assert jobs.mean() > 2 * jobs.median()


def test_naics_codes_map_back_to_the_sector() -> None:
    est = generate_city(SMALL, seed=5).establishments
    naics = SectorMapping.load("naics")
    mapped = [naics.lookup(code) for code in est["naics"]]
    assert mapped == list(est["sector"])


def test_points_stay_on_land_with_a_rent(city: SampleCity) -> None:
    water = city.water.geometry.iloc[0]
    for layer in ("establishments", "institutions", "rent_points"):
        pts = getattr(city, layer).geometry
        assert not shapely.contains_xy(water, pts.x, pts.y).any(), layer
        assert np.isfinite(_rent_at(city, pts.x.to_numpy(), pts.y.to_numpy())).all(), layer
        assert _box(city).contains(pts).all(), layer


def test_stops_lie_on_their_lines(city: SampleCity) -> None:
    stops, lines = city.transit_stops, city.transit_lines
    assert len(stops) == 40
    assert 2 <= len(lines) <= 3
    assert set(stops["line"]) == set(lines["name"])
    line_of = lines.set_index("name").geometry
    d = shapely.distance(stops.geometry.to_numpy(), line_of.loc[stops["line"]].to_numpy())
    assert d.max() < 1e-6
    assert stops["name"].is_unique
    # The trunk lines cross near the centre, and stops are a few hundred metres apart.
    centre = shapely.Point(CENTRE_XY[0], CENTRE_XY[1] + 600)
    assert (lines.geometry.distance(centre) < 1_000).all()
    gap = lines.geometry.length.sum() / (len(stops) - len(lines))
    assert 500 < gap < 1_500


def test_institutions_have_the_taxonomy_types(city: SampleCity) -> None:
    inst = city.institutions
    assert len(inst) == 150
    # Every type but the venues only real registers have (cinemas, arts centres, ...).
    assert set(inst["type"]) == set(INSTITUTION_TYPES) - {"cinema", "arts_centre",
                                                          "events_venue", "studio"}
    assert inst["name"].is_unique


def test_example_districts_sit_over_the_clusters(city: SampleCity) -> None:
    districts = city.example_districts
    assert 2 <= len(districts) <= 3
    assert districts.geometry.is_valid.all()
    assert districts["name"].is_unique
    assert (districts["notes"].str.len() > 40).all()
    area_km2 = districts.geometry.area / 1e6
    assert area_km2.between(0.3, 5).all()
    assert not districts.geometry.intersects(city.water.geometry.iloc[0]).any()


def test_rent_surface_is_monthly_rent_per_m2(city: SampleCity) -> None:
    rent = city.rent
    assert rent.cell_area == 50.0 * 50.0
    assert rent.shape == (200, 240)
    assert rent.bounds == city.bounds
    v = rent.values[np.isfinite(rent.values)]
    assert 0.9 * rent.values.size < v.size < rent.values.size  # only the river is missing
    assert v.min() >= 8 and v.max() <= 35
    assert v.max() > 28 and np.median(v) < 16
    x, y = rent.cell_centres()
    d = np.hypot(x - CENTRE_XY[0], y - CENTRE_XY[1]).reshape(rent.shape)
    inner = np.nanmean(rent.values[d < 1_500])
    outer = np.nanmean(rent.values[d > 5_000])
    assert inner > outer + 8


def test_rent_points_sample_the_surface(city: SampleCity) -> None:
    pts = city.rent_points
    assert pts is not None and list(pts.columns) == ["rent", "geometry"]
    assert len(pts) == 500
    surface = _rent_at(city, pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy())
    ratio = pts["rent"].to_numpy() / surface
    assert 0.95 < np.median(ratio) < 1.05
    assert 0.03 < np.std(np.log(ratio)) < 0.15
    assert generate_city(SMALL, seed=11).rent_points is None


def test_extent_grows_with_the_number_of_establishments() -> None:
    big = generate_city(60_000, seed=1, n_neighbourhoods=5, n_stops=12, n_institutions=7)
    xmin, _, xmax, _ = big.bounds
    assert xmax - xmin == pytest.approx(12_000 * math.sqrt(3), abs=100)
    assert (len(big.neighbourhoods), len(big.transit_stops), len(big.institutions)) == (5, 12, 7)
    small = generate_city(500, seed=1, extent_km=6)
    assert small.bounds[2] - small.bounds[0] == 6_000
    assert small.neighbourhoods.geometry.area.sum() == pytest.approx(6_000 * 5_000)


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="n_establishments"):
        generate_city(-1)
    with pytest.raises(ValueError, match="extent_km"):
        generate_city(100, extent_km=-2)


def test_write_city_round_trips(city: SampleCity, tmp_path: Path) -> None:
    gpkg = write_city(city, tmp_path / "out")
    assert gpkg == tmp_path / "out" / "sample_city.gpkg"
    names = {str(row[0]) for row in pyogrio.list_layers(gpkg)}
    assert names == {*LAYERS, "rent_points", "water"}
    for layer in (*LAYERS, "rent_points"):
        back = gpd.read_file(gpkg, layer=layer)
        orig = getattr(city, layer)
        assert back.crs == orig.crs, layer
        assert list(back.columns) == list(orig.columns), layer
        assert back.geometry.geom_equals_exact(orig.geometry, tolerance=1e-6).all(), layer
        for col in orig.columns.drop("geometry"):
            np.testing.assert_array_equal(back[col].to_numpy(), orig[col].to_numpy())
    with closing(sqlite3.connect(gpkg)) as db:
        described = db.execute("SELECT description FROM gpkg_contents").fetchall()
    assert len(described) == len(names)
    assert all(d[0].startswith(CITY_NAME) for d in described)
    assert not list(gpkg.parent.glob("*.aux.xml"))  # reading leaves no side files
    with rasterio.open(tmp_path / "out" / "rent.tif") as src:
        assert src.dtypes[0] == "float32"
        assert src.nodata == RENT_NODATA
        assert src.compression is not None
        assert src.crs.to_epsg() == 32632
        assert tuple(src.transform)[:6] == city.rent.transform
        back = src.read(1, masked=True).astype(float).filled(np.nan)
    np.testing.assert_array_equal(np.isnan(back), np.isnan(city.rent.values))
    np.testing.assert_allclose(back, city.rent.values, rtol=1e-6)


def test_make_sample_city_replaces_layers_it_no_longer_writes(tmp_path: Path) -> None:
    make_sample_city(tmp_path, 300, seed=2, n_rent_points=10)
    gpkg = make_sample_city(str(tmp_path), 300, seed=2)
    assert "rent_points" not in {str(row[0]) for row in pyogrio.list_layers(gpkg)}
    assert len(gpd.read_file(gpkg, layer="establishments")) == 300


def test_bundled_city_is_small_and_made_by_the_generator() -> None:
    folder = sample_city_dir()
    gpkg, tif = folder / "sample_city.gpkg", folder / "rent.tif"
    assert gpkg.stat().st_size + tif.stat().st_size < 10 * 1024 * 1024
    assert "synthetic" in (folder / "README.md").read_text().lower()
    est = gpd.read_file(gpkg, layer="establishments")
    assert est.crs == CRS
    assert len(est) == 20_000
    fresh = generate_city()  # the defaults make the bundled city
    np.testing.assert_array_equal(est["sector"].to_numpy(), fresh.establishments["sector"])
    np.testing.assert_array_equal(est["employees"], fresh.establishments["employees"])
    assert est.geometry.geom_equals_exact(fresh.establishments.geometry, 1e-3).all()
    hoods = gpd.read_file(gpkg, layer="neighbourhoods")
    np.testing.assert_array_equal(hoods["population"], fresh.neighbourhoods["population"])


def test_two_date_columns_tell_the_gentrifying_ring_apart(city: SampleCity) -> None:
    """The synthetic decade: where rents grew fastest, degree holders rose most and
    low-income households' share fell (the story the displacement methods should read)."""
    h = city.neighbourhoods
    hot = h["rent_growth"] > h["rent_growth"].quantile(0.75)
    rise = h["college_share"] - h["college_share_t0"]
    assert rise[hot].mean() > rise[~hot].mean() + 0.03
    li_drop = h["low_income_share_t0"] - h["low_income_share"]
    assert li_drop[hot].mean() > li_drop[~hot].mean()
    for col in TWO_DATE_FIELDS:
        assert h[col].notna().all(), col
    assert h["households_t0"].dtype.kind == "i"
