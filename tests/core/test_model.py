"""The document validates, stores and announces each edit once."""

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from districtplanner.analysis.assumptions import Assumptions
from districtplanner.model.district import District
from districtplanner.model.document import Document, DocumentError
from districtplanner.model.layer import Layer, LayerRole
from districtplanner.model.selection import CombineMode, Selection, ValueRange


def _points(n=5):
    return gpd.GeoDataFrame(
        {"sector": ["film_tv"] * n, "employees": list(range(1, n + 1))},
        geometry=[Point(i, i) for i in range(n)], crs="EPSG:32632",
    )


def test_layers_emit_once_and_keep_order():
    doc = Document()
    seen = []
    doc.layers_changed.connect(lambda: seen.append(doc.layers_version))
    a = Layer("a", LayerRole.ESTABLISHMENTS, _points())
    b = Layer("b", LayerRole.CONTEXT, _points(2))
    doc.add_layers([a, b])
    assert [la.name for la in doc.layers] == ["a", "b"]
    doc.move_layer(b.id, 0)
    assert [la.name for la in doc.layers] == ["b", "a"]
    removed, index = doc.remove_layer(a.id)
    assert removed is a and index == 1
    assert len(seen) == 3
    assert a.geometry_kind == "point" and a.feature_count == 5
    assert doc.first_layer(LayerRole.CONTEXT) is b


def test_district_geometry_repaired_with_notice():
    doc = Document()
    d = doc.add_district(District("d", box(0, 0, 10, 10)))
    bowtie = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    notice = doc.set_district_geometry(d.id, bowtie)
    assert "repaired" in notice
    assert doc.district(d.id).geometry.is_valid
    assert doc.district(d.id).geometry.area == pytest.approx(50)


@pytest.mark.parametrize("geom", [Polygon(), LineString([(0, 0), (1, 1)]),
                                  Polygon([(0, 0), (1, 1), (2, 2)])])
def test_district_without_area_refused(geom):
    doc = Document()
    d = doc.add_district(District("d", box(0, 0, 1, 1)))
    with pytest.raises(DocumentError, match="draw"):
        doc.set_district_geometry(d.id, geom)
    assert doc.district(d.id).geometry.equals(box(0, 0, 1, 1))


def test_district_edits_and_duplicate():
    doc = Document()
    events = []
    doc.districts_changed.connect(events.append)
    d = doc.add_district(District("Old Mill", box(0, 0, 1, 1)))
    doc.update_district(d.id, name="Mill Quarter", notes="phase 1")
    with pytest.raises(DocumentError):
        doc.update_district(d.id, name="  ")
    with pytest.raises(DocumentError):
        doc.update_district(d.id, geometry=box(0, 0, 2, 2))
    v = doc.duplicate_district(d.id)
    assert v.id != d.id and v.name == "Mill Quarter (variant)" and v.colour != d.colour
    assert [x.id for x in doc.districts] == [d.id, v.id]
    doc.selection.set_active_district(v.id)
    doc.remove_district(v.id)
    assert doc.selection.active_district is None
    assert events == [None, d.id, None, None]


def test_assumptions_change_emits_only_on_change():
    doc = Document()
    got = []
    doc.assumptions_changed.connect(got.append)
    doc.set_assumptions(Assumptions())
    doc.set_assumptions(doc.assumptions.replace(discount_rate=0.05))
    assert len(got) == 1 and got[0].discount_rate == 0.05


def test_selection_combines_and_guards_reentrancy():
    sel = Selection()
    seen = []

    def mirror(state):
        seen.append(state)
        sel.set_sectors({"publishing"}, CombineMode.ADD)  # a view writing back

    sel.changed.connect(mirror)
    sel.set_sectors({"film_tv"})
    assert sel.sectors == {"film_tv", "publishing"}
    assert len(seen) == 1
    sel.changed.disconnect(mirror)
    sel.set_sectors({"film_tv"}, CombineMode.SUBTRACT)
    assert sel.sectors == {"publishing"}
    sel.set_value_range(ValueRange("rent", 25, 18))
    assert (sel.value_range.low, sel.value_range.high) == (18, 25)
    sel.clear_highlights()
    assert sel.sectors == frozenset() and sel.value_range is None
