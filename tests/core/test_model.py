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


def test_metadata_view_votes_sketches_validate_and_signal():
    from districtplanner.model.sketch import Sketch

    doc = Document(title="Port Verity")
    got = {"meta": [], "view": [], "votes": [], "sketches": 0}
    doc.metadata_changed.connect(got["meta"].append)
    doc.view_changed.connect(got["view"].append)
    doc.votes_changed.connect(got["votes"].append)

    def _sketched():
        got["sketches"] += 1

    doc.sketches_changed.connect(_sketched)
    assert doc.title == "Port Verity" and doc.metadata["author"] == ""
    doc.title = "Harbour plan"
    doc.set_metadata({"author": "A. Planner", "organisation": "City of X"})
    doc.set_metadata({"author": "A. Planner"})  # no change, no signal
    assert doc.metadata == {"title": "Harbour plan", "author": "A. Planner",
                            "organisation": "City of X"}
    assert len(got["meta"]) == 2
    with pytest.raises(DocumentError, match="Unknown plan detail"):
        doc.set_metadata({"mayor": "x"})

    doc.set_view((0, 0, 100, 50))
    assert doc.view == (0.0, 0.0, 100.0, 50.0) and got["view"] == [(0.0, 0.0, 100.0, 50.0)]
    for bad in [(0, 0, 0, 10), (0, 0, float("nan"), 1), (1, 2, 3)]:
        with pytest.raises(DocumentError, match="map view"):
            doc.set_view(bad)
    assert doc.view == (0.0, 0.0, 100.0, 50.0)

    d = doc.add_district(District("d", box(0, 0, 1, 1)))
    doc.set_votes({d.id: 3})
    assert doc.votes == {d.id: 3} and got["votes"] == [{d.id: 3}]
    with pytest.raises(DocumentError, match="not a district"):
        doc.set_votes({"district-nope": 1})
    with pytest.raises(DocumentError, match="whole numbers"):
        doc.set_votes({d.id: -1})
    removed, index = doc.remove_district(d.id)
    assert doc.votes == {}
    doc.add_district(removed, index)
    assert doc.votes == {d.id: 3}

    s = doc.add_sketch(Sketch("note", Point(5, 5), "#ff0000", text="cafe here?"))
    with pytest.raises(DocumentError, match="stroke or a note"):
        doc.add_sketch(Sketch("circle", Point(1, 1), "#ff0000"))
    with pytest.raises(DocumentError, match="colour"):
        doc.add_sketch(Sketch("stroke", LineString([(0, 0), (1, 1)]), "red"))
    assert doc.sketches == [s]
    assert doc.remove_sketch(s.id) == (s, 0) and doc.sketches == []
    assert got["sketches"] == 2


def test_first_layer_of_a_role_is_analysed_and_stays_so():
    doc = Document()
    first = Layer("first", LayerRole.ESTABLISHMENTS, _points())
    doc.add_layer(first)
    second = Layer("second", LayerRole.ESTABLISHMENTS, _points(2))
    doc.add_layer(second)
    assert first.analysed and not second.analysed
    assert doc.first_layer(LayerRole.ESTABLISHMENTS) is first
    doc.set_analysed_layers(LayerRole.ESTABLISHMENTS, [second.id])
    assert doc.analysed_layers(LayerRole.ESTABLISHMENTS) == [second]
    doc.set_analysed_layers(LayerRole.ESTABLISHMENTS, [first.id, second.id])
    assert doc.analysed_layers(LayerRole.ESTABLISHMENTS) == [first, second]
    with pytest.raises(DocumentError, match="at least one"):
        doc.set_analysed_layers(LayerRole.ESTABLISHMENTS, [])
    ctx = Layer("ctx", LayerRole.CONTEXT, _points(1))
    doc.add_layer(ctx)
    with pytest.raises(DocumentError, match="is not a"):
        doc.set_analysed_layers(LayerRole.ESTABLISHMENTS, [ctx.id])
    doc.set_analysed_layers(LayerRole.ESTABLISHMENTS, [second.id])
    doc.remove_layer(second.id)  # the only analysed one: the remaining one takes over
    assert doc.analysed_layers(LayerRole.ESTABLISHMENTS) == [first]
