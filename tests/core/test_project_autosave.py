"""Autosave and crash recovery without Qt: a killed process's edits come back at the next
start; a clean close, a running window and the planner's own file are left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from shapely.geometry import box
from test_project import assert_same_plan, small_city_document

from districtplanner.model.district import District
from districtplanner.project import load_project, save_project
from districtplanner.project.autosave import (
    AutosaveSession,
    find_recoveries,
    snapshot_document,
)

_CHILD = r"""
import sys
from pathlib import Path
from shapely.geometry import box
from districtplanner.model.district import District
from districtplanner.model.session import Session
from districtplanner.model.commands import AddDistrict, UpdateDistrict
from districtplanner.project import load_project
from districtplanner.project.autosave import AutosaveSession, snapshot_document
root, plan = Path(sys.argv[1]), Path(sys.argv[2])
session = Session(load_project(plan))
auto = AutosaveSession(root, plan, session.document.title)
doc = session.document
assert session.stack.push(AddDistrict(doc, District("Drawn after opening",
                                                    box(498000, 5648000, 499000, 5649000)))) == ""
first = doc.districts[0]
assert session.stack.push(UpdateDistrict(doc, first.id, name="Renamed")) == ""
auto.write(snapshot_document(doc))
print("autosaved", flush=True)
sys.stdin.read()  # wait to be killed
"""


def test_a_killed_session_is_recovered_with_its_edits(tmp_path):
    doc = small_city_document(400)
    plan = tmp_path / "plan.gpkg"
    save_project(doc, plan)
    before = plan.read_bytes()
    root = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(root), str(plan)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout.readline().strip() == "autosaved"
    # While the window is open its autosave is not offered to another start.
    assert find_recoveries(root) == []
    child.send_signal(signal.SIGKILL)
    child.wait()

    found = find_recoveries(root)
    assert len(found) == 1
    rec = found[0]
    assert rec.plan_path == plan and "plan.gpkg" in rec.describe()
    restored, notes = rec.load()
    assert notes == []
    names = [d.name for d in restored.districts]
    assert names[0] == "Renamed" and names[-1] == "Drawn after opening"
    assert len(names) == len(doc.districts) + 1
    # The planner's own file was never written by autosave.
    assert plan.read_bytes() == before
    assert load_project(plan).districts[0].name == doc.districts[0].name
    rec.discard()
    assert find_recoveries(root) == []


def test_clean_close_leaves_nothing_and_only_the_last_few_are_kept(tmp_path):
    doc = small_city_document(300)
    auto = AutosaveSession(tmp_path, None, "Untitled", keep=2)
    for i in range(4):
        doc.add_district(District(f"D{i}", box(i, i, i + 10, i + 10)))
        auto.write(snapshot_document(doc))
    saves = sorted(auto.folder.glob("autosave-*.gpkg"))
    assert [p.name for p in saves] == ["autosave-00003.gpkg", "autosave-00004.gpkg"]
    assert load_project(saves[-1]).districts[-1].name == "D3"
    auto.close()
    assert not auto.folder.exists()
    assert find_recoveries(tmp_path) == []


def test_snapshot_is_not_reached_by_later_edits(tmp_path):
    doc = small_city_document(300)
    snap = snapshot_document(doc)
    d = doc.districts[0]
    doc.update_district(d.id, name="Changed later")
    d.instruments[0].params["grant_per_job"] = 1.0
    doc.set_metadata({"title": "Changed title"})
    original = small_city_document(300)
    assert_same_plan(original, snap)
    assert snap.layers[0].data is doc.layers[0].data  # shared, never copied on the GUI thread


def test_autosave_in_a_child_reports_a_full_disk_and_keeps_the_last_one(tmp_path,
                                                                         monkeypatch):
    import errno

    import pytest

    from districtplanner.project import ProjectWriteError
    from districtplanner.project import format as project_format

    doc = small_city_document(300)
    auto = AutosaveSession(tmp_path, None, "Untitled")
    first = auto.write(snapshot_document(doc))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    # The forked child inherits this process as it is, the full disk included.
    monkeypatch.setattr(project_format.pyogrio, "write_dataframe", full)
    doc.add_district(District("Not written", box(0, 0, 10, 10)))
    with pytest.raises(ProjectWriteError, match="disk is full"):
        auto.write(snapshot_document(doc))
    assert [p.name for p in auto.folder.glob("*.gpkg")] == [first.name]
    assert load_project(first).districts[-1].name != "Not written"
