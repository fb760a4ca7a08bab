"""Every kind of edit through the model's command stack, headless: do, undo restores the
plan exactly, redo re-applies; gestures, merging and the clean state."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from districtplanner.analysis.incentives import default_instruments
from districtplanner.analysis.roles import LayerRole
from districtplanner.model import commands as c
from districtplanner.model.district import District
from districtplanner.model.document import Document
from districtplanner.model.layer import Layer
from districtplanner.model.sketch import Sketch

CRS = "EPSG:32632"


def _points(n: int, x0: float = 500_000) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"sector": ["film_tv"] * n, "employees": list(range(1, n + 1))},
        geometry=[Point(x0 + 10 * i, 5_000_000 + 10 * i) for i in range(n)], crs=CRS)


def _doc() -> Document:
    doc = Document(crs=CRS, title="Test plan")
    doc.add_layers([
        Layer("firms", LayerRole.ESTABLISHMENTS, _points(5), mapping={"sector": "sector"}),
        Layer("more firms", LayerRole.ESTABLISHMENTS, _points(3, 501_000),
              mapping={"sector": "sector"}),
        Layer("water", LayerRole.CONTEXT, _points(2)),
    ])
    doc.add_district(District("Mill", box(500_000, 5_000_000, 500_100, 5_000_100),
                              instruments=default_instruments()))
    doc.add_district(District("Docks", box(500_200, 5_000_000, 500_300, 5_000_100)))
    doc.set_votes({doc.districts[0].id: 2})
    doc.add_sketch(Sketch("note", Point(500_050, 5_000_050), "#ff0000", "cafe?"))
    return doc


def snapshot(doc: Document) -> dict:
    """Everything an edit could change, in comparable form."""
    return {
        "crs": doc.crs,
        "metadata": doc.metadata,
        "view": doc.view,
        "votes": doc.votes,
        "assumptions": doc.assumptions,
        "layers": [(la.id, la.name, la.role, dict(la.mapping), la.visible, la.analysed,
                    tuple(round(v, 6) for v in la.bounds())) for la in doc.layers],
        "districts": [(d.id, d.name, d.colour, d.notes, d.visible,
                       tuple(map(repr, d.instruments)), d.geometry.wkb) for d in doc.districts],
        "sketches": [(s.id, s.kind, s.colour, s.text, s.geometry.wkb) for s in doc.sketches],
    }


def _first(doc: Document) -> str:
    return doc.districts[0].id


EDITS = {
    "add district": lambda d: c.AddDistrict(d, District("New", box(0, 0, 50, 50))),
    "remove district": lambda d: c.RemoveDistrict(d, _first(d)),
    "set geometry": lambda d: c.SetDistrictGeometry(d, _first(d), box(0, 0, 70, 70)),
    "rename": lambda d: c.UpdateDistrict(d, _first(d), name="Mill Quarter"),
    "recolour and notes": lambda d: c.UpdateDistrict(d, _first(d), colour="#0072B2",
                                                     notes="phase 2"),
    "hide district": lambda d: c.UpdateDistrict(d, _first(d), visible=False),
    "instruments": lambda d: c.UpdateDistrict(d, _first(d), instruments=[]),
    "duplicate": lambda d: c.DuplicateDistrict(d, _first(d)),
    "assumptions": lambda d: c.SetAssumptions(d, d.assumptions.replace(horizon_years=5)),
    "crs": lambda d: c.SetProjectCRS(d, "EPSG:25832"),
    "add layer": lambda d: c.AddLayers(d, [Layer("stops", LayerRole.TRANSIT_STOPS,
                                                 _points(2))]),
    "add layer at bottom": lambda d: c.AddLayers(
        d, [Layer("extra firms", LayerRole.ESTABLISHMENTS, _points(2))], index=0),
    "remove analysed layer": lambda d: c.RemoveLayer(d, d.layers[1].id),
    "move layer": lambda d: c.MoveLayer(d, d.layers[0].id, 2),
    "hide layer": lambda d: c.SetLayerVisible(d, d.layers[2].id, False),
    "layer role": lambda d: c.SetLayerRole(d, d.layers[0].id, LayerRole.CONTEXT),
    # Opened together, the topmost of a role is analysed; choose the other one.
    "analysed layer": lambda d: c.SetAnalysedLayer(d, LayerRole.ESTABLISHMENTS,
                                                   [d.layers[0].id]),
    "combine layers": lambda d: c.SetAnalysedLayer(
        d, LayerRole.ESTABLISHMENTS, [d.layers[0].id, d.layers[1].id]),
    "metadata": lambda d: c.SetMetadata(d, {"author": "A. Planner", "title": "Harbour"}),
    "votes": lambda d: c.SetVotes(d, {_first(d): 5, d.districts[1].id: 1}),
    "add sketch": lambda d: c.AddSketch(d, Sketch("stroke", LineString([(0, 0), (5, 5)]),
                                                  "#009E73")),
    "remove sketch": lambda d: c.RemoveSketch(d, d.sketches[0].id),
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_do_undo_redo_restores_exactly(kind):
    doc = _doc()
    stack = c.CommandStack(doc)
    before = snapshot(doc)
    assert stack.push(EDITS[kind](doc)) == ""
    after = snapshot(doc)
    assert after != before, f"{kind} changed nothing"
    assert not stack.is_clean and stack.can_undo
    assert stack.undo() == ""
    assert snapshot(doc) == before
    assert stack.is_clean and stack.can_redo
    assert stack.redo() == ""
    assert snapshot(doc) == after
    # And back once more: undo after redo is exact too.
    stack.undo()
    assert snapshot(doc) == before


def test_refused_edit_leaves_plan_and_history_alone():
    doc = _doc()
    stack = c.CommandStack(doc)
    before = snapshot(doc)
    refusals = [
        c.UpdateDistrict(doc, _first(doc), name="  "),
        c.SetDistrictGeometry(doc, _first(doc), LineString([(0, 0), (1, 1)])),
        c.SetProjectCRS(doc, "EPSG:4326"),
        c.SetVotes(doc, {_first(doc): -1}),
        c.SetMetadata(doc, {"mayor": "x"}),
        c.SetAnalysedLayer(doc, LayerRole.ESTABLISHMENTS, [doc.layers[2].id]),
    ]
    for command in refusals:
        assert stack.push(command), type(command).__name__
    assert snapshot(doc) == before and stack.count == 0 and stack.is_clean


def test_a_drag_is_one_undo_step():
    doc = _doc()
    stack = c.CommandStack(doc)
    did = _first(doc)
    original = doc.district(did).geometry
    stack.begin_gesture("Drag a corner")
    for i in range(1, 30):
        assert stack.push(c.SetDistrictGeometry(doc, did, box(0, 0, 100 + i, 100))) == ""
    assert not stack.can_undo  # nothing to undo half way through a drag
    stack.end_gesture()
    assert stack.count == 1 and stack.undo_text == "Drag a corner"
    assert doc.district(did).geometry.equals(box(0, 0, 129, 100))
    stack.undo()
    assert doc.district(did).geometry.equals(original)
    stack.redo()
    assert doc.district(did).geometry.equals(box(0, 0, 129, 100))
    # A click without a move leaves no step.
    stack.begin_gesture("Click")
    stack.end_gesture()
    assert stack.count == 1


def test_slider_edits_merge_but_not_across_a_save():
    doc = _doc()
    stack = c.CommandStack(doc)
    a = doc.assumptions
    for years in (6, 7, 8):
        stack.push(c.SetAssumptions(doc, doc.assumptions.replace(horizon_years=years),
                                    merge_key="horizon_years"))
    assert stack.count == 1
    stack.set_clean()
    stack.push(c.SetAssumptions(doc, doc.assumptions.replace(horizon_years=9),
                                merge_key="horizon_years"))
    assert stack.count == 2 and not stack.is_clean  # the saved state stays reachable
    stack.undo()
    assert stack.is_clean and doc.assumptions["horizon_years"] == 8
    stack.undo()
    assert doc.assumptions == a


def test_clean_state_and_signals():
    doc = _doc()
    stack = c.CommandStack(doc)
    cleans: list[bool] = []
    changes: list[int] = []
    stack.clean_changed.connect(cleans.append)
    stack.changed.connect(lambda: changes.append(stack.index))
    stack.push(EDITS["rename"](doc))
    stack.push(EDITS["hide layer"](doc))
    stack.set_clean()
    stack.undo()
    stack.redo()
    assert cleans == [False, True, False, True]
    assert changes == [1, 2, 2, 1, 2]
    # Undo past the save, then a new edit: the saved state can never come back.
    stack.undo()
    stack.push(EDITS["metadata"](doc))
    assert not stack.is_clean
    stack.undo()
    stack.redo()
    assert not stack.is_clean
    stack.clear()
    assert stack.is_clean and stack.count == 0
    # A drag says "unsaved" from its first move, once; a click without a move never does.
    cleans.clear()
    stack.begin_gesture("Click")
    stack.end_gesture()
    assert cleans == [] and stack.is_clean
    stack.begin_gesture("Drag")
    for i in range(3):
        stack.push(c.SetDistrictGeometry(doc, _first(doc), box(0, 0, 60 + i, 60)))
        assert not stack.is_clean
    stack.end_gesture()
    assert cleans == [False]
    stack.undo()
    assert cleans == [False, True]


def test_history_jumps():
    doc = _doc()
    stack = c.CommandStack(doc)
    states = [snapshot(doc)]
    for kind in ("rename", "hide layer", "votes"):
        stack.push(EDITS[kind](doc))
        states.append(snapshot(doc))
    assert stack.texts() == ["Change name of Mill", "Hide water", "Vote"]
    stack.set_index(0)
    assert snapshot(doc) == states[0]
    stack.set_index(2)
    assert snapshot(doc) == states[2]
    stack.set_index(99)
    assert snapshot(doc) == states[3]


def test_the_first_layer_of_an_empty_plan_gives_it_its_crs_undoably():
    doc = Document()
    stack = c.CommandStack(doc)
    stack.push(c.AddLayers(doc, [Layer("firms", LayerRole.ESTABLISHMENTS, _points(2))],
                           crs=CRS))
    assert doc.crs == CRS and doc.layers[0].analysed
    stack.push(c.AddLayers(doc, [Layer("more", LayerRole.CONTEXT, _points(1))],
                           crs="EPSG:25832"))
    assert doc.crs == CRS  # a plan with a CRS keeps it; layers arrive reprojected into it
    stack.undo()
    stack.undo()
    assert doc.crs == "" and doc.layers == ()
    stack.redo()
    assert doc.crs == CRS
