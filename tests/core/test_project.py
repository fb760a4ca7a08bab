"""Project files: a plan saved and opened again is the same plan, figure for figure; saving
never loses the previous file; every bad file gets its own message."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, MultiPolygon, Point, box

from districtplanner.analysis.citydata import CityData
from districtplanner.analysis.incentives import Instrument, InstrumentKind
from districtplanner.analysis.index import CityIndex
from districtplanner.analysis.metrics import compute
from districtplanner.analysis.roles import LayerRole
from districtplanner.io.sample import loaded_from_city
from districtplanner.model.build import document_from_loaded, layer_from_loaded
from districtplanner.model.city import city_inputs
from districtplanner.model.district import District
from districtplanner.model.document import Document
from districtplanner.model.layer import Layer
from districtplanner.project import (
    FORMAT_VERSION,
    CorruptProjectError,
    NewerVersionError,
    NotAProjectError,
    ProjectNotFoundError,
    ProjectWriteError,
    backup_path,
    load_project,
    load_project_with_notes,
    save_project,
)
from districtplanner.project import format as project_format
from districtplanner.project.format import read_raw
from districtplanner.project.links import relink
from districtplanner.project.migrations import migrate
from districtplanner.sample_city import generate_city

DATA = Path(__file__).resolve().parents[1] / "data" / "projects"


def small_city_document(n: int = 3000) -> Document:
    doc = document_from_loaded(loaded_from_city(generate_city(n)), title="Test city")
    for d in doc.districts:
        d.instruments = [
            Instrument(InstrumentKind.JOB_GRANT, params={"grant_per_job": 40000, "years": 7}),
            Instrument(InstrumentKind.LOAN, eligible_sectors=("film_tv", "publishing"),
                       params={"take_up": 0.05}, start_year=2, enabled=False),
        ]
    return doc


@pytest.fixture(scope="module")
def city_doc() -> Document:
    return small_city_document()


def figures(doc: Document) -> list[str]:
    """Every figure of every district and the baseline, as exact JSON text."""
    index = CityIndex.build(CityData.from_frames(**city_inputs(doc)))
    out = [compute(index, None, doc.assumptions, name="city").to_dict()]
    out += [compute(index, d.geometry, doc.assumptions, d.instruments, name=d.name).to_dict()
            for d in doc.districts]
    return [json.dumps(m, sort_keys=True, default=str) for m in out]


def assert_same_plan(a: Document, b: Document) -> None:
    assert b.crs == a.crs and b.title == a.title
    assert b.assumptions == a.assumptions
    assert [la.name for la in b.layers] == [la.name for la in a.layers]
    for x, y in zip(a.layers, b.layers, strict=True):
        assert (y.role, y.mapping, y.style, y.visible) == (x.role, x.mapping, x.style, x.visible)
        assert getattr(y, "analysed", None) == getattr(x, "analysed", None)
        if x.is_raster:
            assert np.array_equal(x.data.values, y.data.values, equal_nan=True)
            assert x.data.values.dtype == y.data.values.dtype
            assert (x.data.transform, x.data.crs, x.data.unit) == (
                y.data.transform, y.data.crs, y.data.unit)
        else:
            assert list(y.data.columns) == list(x.data.columns)
            assert y.data.dtypes.equals(x.data.dtypes)
            assert y.data.reset_index(drop=True).equals(x.data.reset_index(drop=True))
            assert y.data.crs == x.data.crs
    assert len(b.districts) == len(a.districts)
    for x, y in zip(a.districts, b.districts, strict=True):
        assert (y.name, y.colour, y.notes, y.visible) == (x.name, x.colour, x.notes, x.visible)
        assert type(y.geometry) is type(x.geometry)
        assert y.geometry.equals_exact(x.geometry, 0)
        assert [i.to_dict() for i in y.instruments] == [i.to_dict() for i in x.instruments]


def test_round_trip_gives_the_same_plan_and_figures_bit_for_bit(city_doc, tmp_path):
    doc = city_doc
    doc.set_assumptions(doc.assumptions.replace(discount_rate=0.0312345678901,
                                                currency="GBP"))
    doc.set_metadata({"author": "A. Planner", "organisation": "Port Verity Council"})
    doc.set_view((1.5, 2.25, 1000.125, 2000.0000001))
    doc.set_votes({doc.districts[0].id: 3, doc.districts[-1].id: 1})
    from districtplanner.model.sketch import Sketch

    doc.set_sketches([
        Sketch("stroke", LineString([(0.1 + 0.2, 1 / 3), (500000.123456789, 5.5e6)]),
               "#112233"),
        Sketch("note", Point(499999.99999999994, 5650000.1), "#AABBCC", text="Café here?"),
    ])
    # A multipolygon district stays a multipolygon, a polygon a polygon.
    doc.add_district(District("Two parts", MultiPolygon([box(0, 0, 10, 10),
                                                         box(20, 20, 30, 30)]),
                              notes="split\nover two sites", visible=False))
    path = tmp_path / "plan.gpkg"
    save_project(doc, path)
    back, notes = load_project_with_notes(path)
    assert notes == []
    assert_same_plan(doc, back)
    assert back.metadata == doc.metadata
    assert back.view == doc.view
    names = {d.id: d.name for d in doc.districts}
    back_names = {d.id: d.name for d in back.districts}
    assert {back_names[k]: v for k, v in back.votes.items()} == {
        names[k]: v for k, v in doc.votes.items()}
    assert [(s.kind, s.geometry.wkb, s.colour, s.text) for s in back.sketches] == [
        (s.kind, s.geometry.wkb, s.colour, s.text) for s in doc.sketches]
    assert figures(back) == figures(doc)


def test_districts_layer_reads_as_plain_attributes_with_pyogrio(city_doc, tmp_path):
    path = tmp_path / "plan.gpkg"
    save_project(city_doc, path)
    layers = dict(pyogrio.list_layers(path))
    assert layers["districts"] == "MultiPolygon"
    gdf = pyogrio.read_dataframe(path, layer="districts")
    assert list(gdf["name"]) == [d.name for d in city_doc.districts]
    assert list(gdf["colour"]) == [d.colour for d in city_doc.districts]
    assert gdf.crs.to_epsg() == 32632
    meta = dict(pyogrio.read_dataframe(path, layer="dp_meta")[["key", "value"]].values)
    assert meta["format_version"] == str(FORMAT_VERSION)
    assert meta["crs"] == "EPSG:32632"
    inst = pyogrio.read_dataframe(path, layer="dp_instruments")
    assert json.loads(inst["params"][0])["grant_per_job"] == 40000


def test_save_keeps_the_previous_file_as_bak(city_doc, tmp_path):
    path = tmp_path / "plan.gpkg"
    save_project(city_doc, path)
    first = path.read_bytes()
    doc = load_project(path)
    doc.set_metadata({"title": "Second version"})
    save_project(doc, path)
    assert backup_path(path).read_bytes() == first
    assert load_project(path).title == "Second version"
    assert load_project(backup_path(path).rename(tmp_path / "old.gpkg")).title == "Test city"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.gpkg", "plan.gpkg"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in a read-only folder")
def test_read_only_folder_gives_a_message_and_keeps_everything(city_doc, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "plan.gpkg"
    save_project(city_doc, path)
    before = path.read_bytes()
    folder.chmod(0o555)
    try:
        with pytest.raises(ProjectWriteError, match="may not write"):
            save_project(city_doc, path)
    finally:
        folder.chmod(0o755)
    assert path.read_bytes() == before


def test_unwritable_target_gives_a_message_and_keeps_everything(city_doc, tmp_path,
                                                                monkeypatch):
    # Root ignores folder permissions, so the refusal is made the way the OS would report it.
    path = tmp_path / "plan.gpkg"
    save_project(city_doc, path)
    before = path.read_bytes()

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(project_format.pyogrio, "write_dataframe", refuse)
    with pytest.raises(ProjectWriteError, match="may not write") as info:
        save_project(city_doc, path)
    assert "plan.gpkg" in str(info.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg"]


def test_full_disk_gives_a_message_and_keeps_memory_and_file(city_doc, tmp_path, monkeypatch):
    path = tmp_path / "plan.gpkg"
    save_project(city_doc, path)
    before = path.read_bytes()
    districts_before = [(d.name, d.geometry.wkb) for d in city_doc.districts]
    real = project_format.pyogrio.write_dataframe
    calls = []

    def fill_up(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the disk fills while the third table is written
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(project_format.pyogrio, "write_dataframe", fill_up)
    with pytest.raises(ProjectWriteError, match="disk is full"):
        save_project(city_doc, path)
    assert path.read_bytes() == before
    assert [(d.name, d.geometry.wkb) for d in city_doc.districts] == districts_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg"]


_CHILD = r"""
import sys
from pathlib import Path
from districtplanner.project import load_project, save_project
target = Path(sys.argv[1])
doc = load_project(Path(sys.argv[2]))
print("ready", flush=True)
n = 0
while True:
    doc.set_metadata({"title": f"version {n}"})
    save_project(doc, target)
    n += 1
"""


def test_killed_while_saving_the_previous_file_always_opens(tmp_path):
    # A small plan, so a save takes a few tens of ms and random kills land in every phase.
    doc = small_city_document(400)
    source = tmp_path / "source.gpkg"
    save_project(doc, source)
    target = tmp_path / "plan.gpkg"
    save_project(doc, target)
    expected_names = [d.name for d in doc.districts]
    rng = random.Random(20261126)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for _ in range(20):
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(target), str(source)],
                                 stdout=subprocess.PIPE, text=True, env=env)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait()
        back = load_project(target)
        assert back.title == "Test city" or back.title.startswith("version ")
        assert [d.name for d in back.districts] == expected_names
        assert len(back.layers) == len(doc.layers)
    # Leftovers of killed saves are cleaned by the next save.
    save_project(doc, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "plan.gpkg", "plan.gpkg.bak", "source.gpkg"]


def test_a_save_killed_between_backup_link_and_rename_is_cleaned_next_time(tmp_path):
    # The narrow window the random kills above rarely hit: the backup's hard link exists
    # under its temporary name (a pid no process has) when the process dies.
    doc = small_city_document(50)
    target = tmp_path / "plan.gpkg"
    save_project(doc, target)
    dead = 2**22 + 12345  # above Linux's largest pid
    stale = [tmp_path / f"plan.gpkg.bak.saving-{dead}.gpkg",
             tmp_path / f".plan.gpkg.saving-{dead}.gpkg-journal"]
    for f in stale:
        f.write_bytes(b"left by a killed save")
    save_project(doc, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg", "plan.gpkg.bak"]


# ---------------------------------------------------------------------------- bad files
def test_missing_file(tmp_path):
    with pytest.raises(ProjectNotFoundError, match="no such file") as info:
        load_project(tmp_path / "nope.gpkg")
    assert "nope.gpkg" in str(info.value)


def test_empty_and_text_files(tmp_path):
    empty = tmp_path / "empty.gpkg"
    empty.write_bytes(b"")
    with pytest.raises(CorruptProjectError, match="empty"):
        load_project(empty)
    text = tmp_path / "notes.gpkg"
    text.write_text("name,x,y\n", encoding="utf-8")
    with pytest.raises(CorruptProjectError, match="not a GeoPackage"):
        load_project(text)


def test_truncated_file(city_doc, tmp_path):
    path = tmp_path / "plan.gpkg"
    save_project(city_doc, path)
    data = path.read_bytes()
    cut = tmp_path / "cut.gpkg"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(CorruptProjectError, match=r"damaged or incomplete.*\.bak"):
        load_project(cut)


def test_plain_geopackage_is_not_a_project_and_lists_its_layers(tmp_path):
    path = tmp_path / "shops.gpkg"
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(0, 0)], crs="EPSG:32632")
    pyogrio.write_dataframe(gdf, path, layer="shops")
    with pytest.raises(NotAProjectError, match="Add layer") as info:
        load_project(path)
    assert info.value.layers == ["shops"]


def test_file_from_a_newer_version(city_doc, tmp_path):
    path = tmp_path / "plan.gpkg"
    save_project(city_doc, path)
    with sqlite3.connect(path) as con:
        con.execute("UPDATE dp_meta SET value = ? WHERE key = 'format_version'",
                    (str(FORMAT_VERSION + 1),))
        con.execute("UPDATE dp_meta SET value = '9.0' WHERE key = 'app_version'")
    with pytest.raises(NewerVersionError, match=r"9\.0.*Update District Planner"):
        load_project(path)


def test_project_with_a_table_dropped(city_doc, tmp_path):
    path = tmp_path / "plan.gpkg"
    save_project(city_doc, path)
    with sqlite3.connect(path) as con:
        con.execute("DROP TABLE dp_instruments")
    with pytest.raises(CorruptProjectError, match="dp_instruments missing"):
        load_project(path)


def test_migrations_run_in_order_and_a_missing_step_is_named(city_doc, tmp_path):
    path = tmp_path / "plan.gpkg"
    save_project(city_doc, path)
    raw = read_raw(path)
    raw.meta["format_version"] = "1"

    def v1_to_v2(r):
        r.meta["title"] = r.meta["title"] + " (v2)"
        return r

    def v2_to_v3(r):
        r.meta["title"] = r.meta["title"] + " (v3)"
        return r

    out = migrate(raw, {1: v1_to_v2, 2: v2_to_v3}, target=3)
    assert out.meta["title"] == "Test city (v2) (v3)"
    assert out.version == 3
    with pytest.raises(CorruptProjectError, match="no step from 2 to 3"):
        migrate(read_raw(path), {1: v1_to_v2}, target=3)


def plan_fingerprint(doc: Document) -> dict:
    """What a plan holds, exactly (hashes of every layer's values and geometries), and not
    what the analysis makes of it: figures change as methods improve, a saved plan must not."""
    layers = []
    for la in doc.layers:
        if la.is_raster:
            content = hashlib.sha256(la.data.values.tobytes()).hexdigest()
            shape = list(la.data.values.shape)
        else:
            frame = la.data.drop(columns=la.data.geometry.name)
            content = hashlib.sha256(
                pd.util.hash_pandas_object(frame, index=False).values.tobytes()
                + b"".join(la.data.geometry.to_wkb())).hexdigest()
            shape = [len(la.data), len(la.data.columns)]
        layers.append({"name": la.name, "role": la.role.value, "mapping": la.mapping,
                       "style": vars(la.style), "visible": la.visible,
                       "analysed": la.analysed, "shape": shape, "content": content})
    return {
        "crs": doc.crs, "metadata": doc.metadata, "assumptions": doc.assumptions.to_dict(),
        "layers": layers,
        "districts": [{"name": d.name, "colour": d.colour, "notes": d.notes,
                       "visible": d.visible, "wkb": d.geometry.wkb_hex,
                       "package": [i.to_dict() for i in d.instruments]}
                      for d in doc.districts],
    }


def test_every_released_format_opens(tmp_path):
    """tests/data/projects holds a plan saved by each released format and what it holds."""
    files = sorted(DATA.glob("v*.gpkg"))
    assert [f.name for f in files] == [f"v{n}.gpkg" for n in range(1, FORMAT_VERSION + 1)]
    for f in files:
        doc = load_project(f)
        expected = json.loads(f.with_suffix(".plan.json").read_text(encoding="utf-8"))
        got = plan_fingerprint(doc)
        # Parameters added since keep their defaults; every saved one keeps its value.
        saved, now = expected.pop("assumptions"), got.pop("assumptions")
        assert now["currency"] == saved["currency"]
        common = set(saved["values"]) & set(now["values"])
        assert len(common) >= 0.8 * len(saved["values"])
        assert {k: now["values"][k] for k in common} == {k: saved["values"][k] for k in common}
        assert got == expected
        # And today's analysis computes every district of it.
        assert len(figures(doc)) == len(doc.districts) + 1


# --------------------------------------------------------------------------------- links
def _linked_doc(tmp_path: Path) -> tuple[Document, Path]:
    data = tmp_path / "data"
    data.mkdir()
    city = generate_city(300)
    doc = Document(crs="EPSG:32632", title="Linked")
    for name in ("institutions", "transit_stops"):
        f = data / f"{name}.geojson"
        getattr(city, name).to_file(f, driver="GeoJSON")
        from districtplanner.io.readers import read_layer

        layer = layer_from_loaded(read_layer(f, project_crs="EPSG:32632"))
        layer.meta["storage"] = "link"
        doc.add_layer(layer)
    doc.add_district(District("D", box(498000, 5648000, 500000, 5650000)))
    return doc, data


def test_linked_layers_missing_are_kept_and_relinking_finds_the_others(tmp_path):
    doc, data = _linked_doc(tmp_path)
    plan = tmp_path / "plans" / "plan.gpkg"
    plan.parent.mkdir()
    save_project(doc, plan)
    assert "layer1" not in " ".join(str(r[0]) for r in pyogrio.list_layers(plan))
    opened, notes = load_project_with_notes(plan)
    assert notes == []
    assert [len(la.data) for la in opened.layers] == [len(la.data) for la in doc.layers]

    moved = tmp_path / "moved"
    data.rename(moved)
    opened, notes = load_project_with_notes(plan)
    assert len(opened.layers) == 2 and len(notes) == 2
    assert "missing" in notes[0] and "institutions.geojson" in notes[0]
    assert all(la.meta.get("missing") for la in opened.layers)
    assert [d.name for d in opened.districts] == ["D"]

    # Saving the plan with the files still missing keeps both layers and their links.
    save_project(opened, plan)
    again, notes = load_project_with_notes(plan)
    assert [la.name for la in again.layers] == [la.name for la in doc.layers]
    assert len(notes) == 2

    first = again.layers[0]
    relinked = relink(again, first.id, moved / "institutions.geojson")
    assert sorted(relinked) == sorted(la.name for la in doc.layers)
    assert not any(la.meta.get("missing") for la in again.layers)
    assert [len(la.data) for la in again.layers] == [len(la.data) for la in doc.layers]
    save_project(again, plan)
    final, notes = load_project_with_notes(plan)
    assert notes == [] and [len(la.data) for la in final.layers] == [
        len(la.data) for la in doc.layers]


def test_empty_plan_round_trips(tmp_path):
    doc = Document(crs="EPSG:32632", title="Empty")
    doc.add_layer(Layer("nothing yet", LayerRole.CONTEXT,
                        gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:32632"))))
    path = tmp_path / "empty.gpkg"
    save_project(doc, path)
    back = load_project(path)
    assert back.title == "Empty" and back.districts == () and len(back.layers) == 1
    assert len(back.layers[0].data) == 0


def test_an_assumption_this_version_does_not_know_is_reported_not_fatal(city_doc, tmp_path):
    path = tmp_path / "plan.gpkg"
    save_project(city_doc, path)
    with sqlite3.connect(path) as con:
        con.execute("INSERT INTO dp_assumptions VALUES ('retired_parameter', 0.5)")
        con.execute("UPDATE dp_assumptions SET value = -5 WHERE name = 'discount_rate'")
    doc, notes = load_project_with_notes(path)
    assert len(notes) == 2
    assert any("retired_parameter" in n for n in notes)
    assert any("discount_rate" in n and "default" in n for n in notes)
    assert [d.name for d in doc.districts] == [d.name for d in city_doc.districts]


def test_a_link_whose_file_is_gone_before_saving_is_copied_not_lost(tmp_path):
    doc, data = _linked_doc(tmp_path)
    for f in data.iterdir():
        f.unlink()
    path = tmp_path / "plan.gpkg"
    save_project(doc, path)
    back, notes = load_project_with_notes(path)
    assert notes == []
    assert [len(la.data) for la in back.layers] == [len(la.data) for la in doc.layers]
    assert {row["storage"] for row in read_raw(path).layers} == {"copy"}
