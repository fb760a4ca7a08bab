"""Who has a plan open, so two planners do not overwrite each other's work.

Plans live on shared drives, and a plan saved from two windows keeps only the last save.
Two guards, both without Qt:

- an owner file beside the plan, ``.~lock.NAME#`` (the convention office suites use, so IT
  staff recognise it), saying who opened it, on which machine, since when. Opening a plan
  whose owner file names someone else is warned about; a file left by a process that is gone
  from this machine is stale and taken over silently;
- the plan's fingerprint (size and modification time) when it was opened or last saved
  here. Before saving over it, a changed fingerprint means someone saved it meanwhile.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from districtplanner.project.store import pid_alive


def owner_file(plan: Path) -> Path:
    """The owner file of ``plan``: hidden, beside it, so everyone who can open it sees it."""
    return plan.parent / f".~lock.{plan.name}#"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown user"


@dataclass(frozen=True)
class Owner:
    """Who holds a plan open (as written in its owner file)."""

    user: str
    host: str
    pid: int
    since: datetime
    token: str

    @property
    def here(self) -> bool:
        """Same machine and the same process: a window of this app instance."""
        return self.host == socket.gethostname() and self.pid == os.getpid()

    def describe(self) -> str:
        when = self.since.astimezone().strftime("%d %b %Y at %H:%M")
        return f"{self.user} on {self.host} (since {when})"


def read_owner(plan: Path) -> Owner | None:
    """The live owner of ``plan``, or None. A stale owner file (its process is gone from
    this machine) is removed; an unreadable one is treated as absent."""
    path = owner_file(plan)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        owner = Owner(user=str(info["user"]), host=str(info["host"]), pid=int(info["pid"]),
                      since=datetime.fromisoformat(info["since"]), token=str(info["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if owner.host == socket.gethostname() and not pid_alive(owner.pid):
        with suppress(OSError):
            path.unlink()
        return None
    return owner


def claim(plan: Path) -> str | None:
    """Write this process's owner file for ``plan``; returns its token for ``release``,
    or None when the folder cannot be written (a read-only share: nothing to guard)."""
    token = uuid.uuid4().hex
    data = {"user": _user(), "host": socket.gethostname(), "pid": os.getpid(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"), "token": token}
    path = owner_file(plan)
    tmp = path.with_name(path.name + f".{token[:8]}.tmp")
    try:
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        with suppress(OSError):
            tmp.unlink()
        return None
    return token


def release(plan: Path, token: str | None) -> None:
    """Remove the owner file if it is still ours (another window may have taken over)."""
    if token is None:
        return
    path = owner_file(plan)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if info.get("token") == token:
        with suppress(OSError):
            path.unlink()


def fingerprint(plan: Path) -> tuple[int, int] | None:
    """Size and modification time of ``plan``, None if it is not there."""
    try:
        st = plan.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def changed_since(plan: Path, seen: tuple[int, int] | None) -> datetime | None:
    """When ``plan`` was written if that was after ``seen`` (its fingerprint when this
    window opened or saved it), else None. A plan deleted meanwhile is not a conflict."""
    now = fingerprint(plan)
    if seen is None or now is None or now == seen:
        return None
    return datetime.fromtimestamp(now[1] / 1e9, tz=UTC)
