"""Who has a plan open: the owner file beside it and the fingerprint that tells a save it
would replace someone else's."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

from districtplanner.project import inuse


def _foreign(plan, host="planning-pc-07", pid=4242, user="alex"):
    inuse.owner_file(plan).write_text(json.dumps(
        {"user": user, "host": host, "pid": pid, "since": "2026-11-20T09:15:00+00:00",
         "token": "theirs"}), encoding="utf-8")


def test_claim_names_this_process_and_release_removes_only_its_own(tmp_path):
    plan = tmp_path / "plan.gpkg"
    plan.write_bytes(b"x")
    token = inuse.claim(plan)
    assert inuse.owner_file(plan).name == ".~lock.plan.gpkg#"
    owner = inuse.read_owner(plan)
    assert owner is not None and owner.here and owner.token == token
    inuse.release(plan, "another window's token")
    assert inuse.owner_file(plan).exists()
    inuse.release(plan, token)
    assert not inuse.owner_file(plan).exists()
    assert inuse.read_owner(plan) is None


def test_an_owner_on_another_machine_is_reported_with_who_and_since(tmp_path):
    plan = tmp_path / "plan.gpkg"
    _foreign(plan)
    owner = inuse.read_owner(plan)
    assert owner is not None and not owner.here
    assert owner.describe().startswith("alex on planning-pc-07 (since 20 Nov 2026 at ")


def test_an_owner_file_left_by_a_dead_process_here_is_stale_and_removed(tmp_path):
    plan = tmp_path / "plan.gpkg"
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    _foreign(plan, host=socket.gethostname(), pid=int(child.stdout))
    assert inuse.read_owner(plan) is None
    assert not inuse.owner_file(plan).exists()


def test_a_live_process_here_other_than_this_one_owns_it(tmp_path):
    plan = tmp_path / "plan.gpkg"
    _foreign(plan, host=socket.gethostname(), pid=os.getppid())
    owner = inuse.read_owner(plan)
    assert owner is not None and not owner.here


def test_an_unreadable_owner_file_is_ignored(tmp_path):
    plan = tmp_path / "plan.gpkg"
    inuse.owner_file(plan).write_text("{not json", encoding="utf-8")
    assert inuse.read_owner(plan) is None
    inuse.owner_file(plan).write_text('{"user": "x"}', encoding="utf-8")
    assert inuse.read_owner(plan) is None


def test_claim_where_nothing_can_be_written_guards_nothing(tmp_path):
    assert inuse.claim(tmp_path / "no such folder" / "plan.gpkg") is None


def test_changed_since_sees_a_save_made_elsewhere(tmp_path):
    plan = tmp_path / "plan.gpkg"
    plan.write_bytes(b"first")
    seen = inuse.fingerprint(plan)
    assert inuse.changed_since(plan, seen) is None
    time.sleep(0.01)
    plan.write_bytes(b"second save")
    assert inuse.changed_since(plan, seen) is not None
    plan.unlink()
    assert inuse.changed_since(plan, seen) is None  # deleted: nothing to overwrite
    assert inuse.changed_since(plan, None) is None
