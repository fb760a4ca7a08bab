"""The sample city's first frame (resources/sample_city/first_frame.npz): the arrays the
app paints before the full document exists must be exactly the city in the GeoPackage,
and a city changed without remaking them must not be drawn from them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from districtplanner.cli import main
from districtplanner.io.first_frame import (
    FILE_NAME,
    FirstFrame,
    frame_from_loaded,
    read_first_frame,
)
from districtplanner.io.sample import SAMPLE_TITLE, load_sample_city
from districtplanner.paths import sample_city_dir


def _assert_same(a: FirstFrame, b: FirstFrame) -> None:
    assert (a.title, a.crs, a.bounds) == (b.title, b.crs, b.bounds)
    assert [(la.name, la.role, la.kind, la.style, la.transform) for la in a.layers] == [
        (la.name, la.role, la.kind, la.style, la.transform) for la in b.layers]
    for x, y in zip(a.layers, b.layers, strict=True):
        np.testing.assert_array_equal(x.xy, y.xy)
        np.testing.assert_array_equal(x.starts, y.starts)
        assert (x.codes is None) == (y.codes is None)
        if x.codes is not None:
            np.testing.assert_array_equal(x.codes, y.codes)
        assert (x.values is None) == (y.values is None)
        if x.values is not None:
            np.testing.assert_array_equal(x.values, y.values)
    assert [(d.name, d.colour, d.label) for d in a.districts] == [
        (d.name, d.colour, d.label) for d in b.districts]
    for x, y in zip(a.districts, b.districts, strict=True):
        np.testing.assert_array_equal(x.xy, y.xy)
        np.testing.assert_array_equal(x.starts, y.starts)


def test_the_shipped_first_frame_is_the_sample_city_in_the_geopackage() -> None:
    shipped = read_first_frame(sample_city_dir())
    assert shipped is not None, (
        f"{sample_city_dir() / FILE_NAME} is missing or was made from other files; remake "
        "it with 'district-planner make-sample-city --out resources/sample_city'")
    loaded = load_sample_city(sample_city_dir())
    _assert_same(shipped, frame_from_loaded(loaded, SAMPLE_TITLE, "EPSG:32632"))
    kinds = {la.name: la.kind for la in shipped.layers}
    assert kinds["Rent (EUR/m² per month)"] == "raster"
    assert kinds["Establishments"] == "point" and kinds["Neighbourhoods"] == "polygon"
    assert len(shipped.districts) == 3
    # The frame fits what the full map's first "zoom to all" fits.
    from districtplanner.model.build import open_sample_city

    assert shipped.bounds == open_sample_city().bounds()
    assert shipped.title == open_sample_city().title


def test_make_sample_city_writes_the_first_frame_and_a_changed_city_is_not_drawn_from_it(
        tmp_path: Path) -> None:
    from districtplanner.sample_city import make_sample_city

    city = tmp_path / "city"
    assert main(["make-sample-city", "--out", str(city), "--establishments", "300"]) == 0
    frame = read_first_frame(city)
    assert frame is not None
    est = next(la for la in frame.layers if la.name == "Establishments")
    assert len(est.xy) == 300 and est.codes is not None and len(est.codes) == 300
    # The city made again (another seed) without its first frame: the old arrays are stale.
    make_sample_city(city, 300, seed=99)
    assert read_first_frame(city) is None
    # A missing or unreadable file means the ordinary start, never an error.
    other = tmp_path / "other"
    shutil.copytree(city, other)
    assert read_first_frame(other) is None
    (other / FILE_NAME).write_bytes(b"not a zip")
    assert read_first_frame(other) is None
    (other / FILE_NAME).unlink()
    assert read_first_frame(other) is None
