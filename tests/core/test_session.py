"""The Session (document + stack + figures) headless: the CLI's figures are the Session's,
a failing district never stops the others or later recomputes, the analysed layer of a
role is chosen rather than swapped by an import, and one repair rule for every district."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from districtplanner.analysis.roles import LayerRole
from districtplanner.cli import main
from districtplanner.model.commands import (
    AddDistrict,
    AddLayers,
    SetAnalysedLayer,
    SetDistrictGeometry,
)
from districtplanner.model.district import District
from districtplanner.model.document import DocumentError, buffer_district_geometry
from districtplanner.model.figures import Figures
from districtplanner.model.layer import Layer
from districtplanner.model.session import Session

# A ring that loops back over itself: make_valid's default "linework" method gives 80 m²
# (the overlap cut out as a hole), the "structure" rule 96 m² (everything drawn around).
LOOP = [(0, 0), (12, 0), (12, 8), (4, 8), (4, -4), (8, -4), (8, 4), (0, 4)]


@pytest.fixture()
def session(city_dir: Path, monkeypatch) -> Session:
    monkeypatch.setenv("DISTRICT_PLANNER_RESOURCES", str(city_dir))
    s = Session.sample_city()
    s.figures.ensure_index()
    return s


def _origin(session: Session) -> tuple[float, float]:
    b = session.document.bounds()
    assert b is not None
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


def test_cli_metrics_are_the_sessions_figures(session, capsys):
    assert main(["metrics", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    bundle = session.figures.compute()
    window = [bundle.districts[d.id].to_dict() for d in session.document.districts]
    assert json.loads(json.dumps(window)) == cli["districts"]
    assert bundle.baseline is not None
    assert cli["baseline"]["concentration"] == json.loads(
        json.dumps(bundle.baseline.to_dict()))["concentration"]


def test_one_failing_district_never_stops_the_others(session, monkeypatch):
    doc = session.document
    bad = doc.districts[1]
    real = Figures.compute_district

    def flaky(self, geometry, name, instruments):
        if name == bad.name:
            raise IndexError("index 0 is out of bounds for axis 0 with size 0")
        return real(self, geometry, name, instruments)

    monkeypatch.setattr(Figures, "compute_district", flaky)
    bundle = session.figures.compute()
    assert set(bundle.districts) == {d.id for d in doc.districts} - {bad.id}
    assert "a calculation failed on these layers (IndexError" in bundle.failures[bad.id]
    doc.selection.set_active_district(bad.id)
    bundle = session.figures.compute()
    assert bundle.active is None
    assert bundle.not_computed.startswith(f"{bad.name}: not computed: a calculation failed")
    doc.selection.set_active_district(doc.districts[0].id)
    assert session.figures.compute().not_computed == ""
    # Once the cause is gone the district computes again (failures are never cached).
    monkeypatch.setattr(Figures, "compute_district", real)
    bundle = session.figures.compute()
    assert bundle.failures == {} and set(bundle.districts) == {d.id for d in doc.districts}


def test_a_second_layer_of_a_role_does_not_swap_the_figures(session):
    doc = session.document
    first = doc.analysed_layers(LayerRole.ESTABLISHMENTS)
    assert len(first) == 1
    before = session.figures.compute().baseline.concentration.establishments
    x, y = _origin(session)
    extra = gpd.GeoDataFrame({"branch": ["film_tv"] * 7},
                             geometry=gpd.points_from_xy([x + i for i in range(7)], [y] * 7),
                             crs=doc.crs)
    new = Layer("my firms", LayerRole.ESTABLISHMENTS, extra, mapping={"sector": "branch"})
    assert session.stack.push(AddLayers(doc, [new])) == ""
    assert doc.analysed_layers(LayerRole.ESTABLISHMENTS) == first and not new.analysed
    session.figures.ensure_index()
    assert session.figures.compute().baseline.concentration.establishments == before

    session.stack.push(SetAnalysedLayer(doc, LayerRole.ESTABLISHMENTS, [new.id]))
    session.figures.ensure_index()
    assert session.figures.compute().baseline.concentration.establishments == 7

    # Combine: both files count, each through its own sector column.
    session.stack.push(SetAnalysedLayer(doc, LayerRole.ESTABLISHMENTS,
                                        [first[0].id, new.id]))
    session.figures.ensure_index()
    combined = session.figures.compute().baseline.concentration
    assert combined.establishments == before + 7
    session.stack.undo()
    session.stack.undo()
    session.figures.ensure_index()
    assert session.figures.compute().baseline.concentration.establishments == before


def test_one_repair_rule_and_a_clear_buffer_refusal(session):
    doc = session.document
    x, y = _origin(session)
    ring = Polygon([(x + a, y + b) for a, b in LOOP])
    d = District("Loop", ring)
    assert session.stack.push(AddDistrict(doc, d)) == ""
    assert doc.district(d.id).geometry.area == pytest.approx(96)
    assert "crossed itself" in doc.last_notice
    session.stack.push(SetDistrictGeometry(doc, d.id, box(x, y, x + 10, y + 10)))
    session.stack.push(SetDistrictGeometry(doc, d.id, ring))
    assert doc.district(d.id).geometry.area == pytest.approx(96)
    with pytest.raises(DocumentError, match="The buffer removes the whole district"):
        buffer_district_geometry(box(0, 0, 100, 100), -60)
    assert buffer_district_geometry(box(0, 0, 100, 100), -10).area == pytest.approx(6400)


def test_a_drag_that_folds_a_district_built_from_neighbourhoods_is_repaired(session):
    """Issue 11: a vertex dragged across a district made of neighbourhoods left a broken
    shape ("TopologyException: found non-noded intersection") and stale figures. Every
    folded shape is repaired by the one rule and its figures computed."""
    import numpy as np
    import shapely

    doc = session.document
    hoods = doc.first_layer(LayerRole.NEIGHBOURHOODS).data
    rng = np.random.default_rng(0)
    folded = 0
    for _ in range(25):
        i = int(rng.integers(len(hoods)))
        around = hoods[hoods.touches(hoods.geometry.iloc[i]) | (hoods.index == hoods.index[i])]
        d = District("built", shapely.union_all(around.geometry.values))
        assert session.stack.push(AddDistrict(doc, d)) == ""
        poly = max(shapely.get_parts(doc.district(d.id).geometry), key=lambda p: p.area)
        coords = np.asarray(poly.exterior.coords)
        k = int(rng.integers(1, len(coords) - 1))
        centre = np.asarray(poly.centroid.coords[0])
        coords[k] = centre + (centre - coords[k]) * rng.uniform(0.5, 2.0)
        moved = Polygon(coords, [r.coords for r in poly.interiors])
        folded += not moved.is_valid
        session.stack.begin_gesture("Drag a corner")
        assert session.stack.push(SetDistrictGeometry(doc, d.id, moved)) == ""
        session.stack.end_gesture()
        assert doc.district(d.id).geometry.is_valid
        bundle = session.figures.compute()
        assert d.id in bundle.districts and bundle.failures == {}
        session.stack.undo()
        session.stack.undo()
    assert folded >= 10  # the drags really did fold most shapes


def test_the_cli_prints_the_other_districts_and_names_a_failed_one(city_dir, monkeypatch,
                                                                   capsys):
    monkeypatch.setenv("DISTRICT_PLANNER_RESOURCES", str(city_dir))
    real = Figures.compute_district
    names = [d.name for d in Session.sample_city().document.districts]

    def flaky(self, geometry, name, instruments):
        if name == names[0]:
            raise IndexError("index 0 is out of bounds for axis 0 with size 0")
        return real(self, geometry, name, instruments)

    monkeypatch.setattr(Figures, "compute_district", flaky)
    assert main(["metrics", "--json"]) == 1
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert [d["name"] for d in doc["districts"]] == names[1:]
    assert doc["not_computed"][0]["name"] == names[0]
    assert f"error: {names[0]}: not computed: a calculation failed" in out.err
