"""Upgrades of older project files, one pure function per format step (n -> n + 1).

A migration takes the plain values of a file (``RawProject``) and returns new ones; it never
touches the file, so opening an old plan cannot damage it, and saving writes the current
format. ``tests/data/projects/`` keeps a file of every released format, and the tests open each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from districtplanner.project.errors import CorruptProjectError
from districtplanner.project.format import FORMAT_VERSION, RawProject

Migration = Callable[[RawProject], RawProject]

# version n -> the function turning a version-n project into version n + 1. Format 1 is the
# first release, so there is nothing to upgrade yet; format 2 adds `1: _v1_to_v2` here.
MIGRATIONS: dict[int, Migration] = {}


def migrate(raw: RawProject, registry: Mapping[int, Migration] | None = None,
            target: int = FORMAT_VERSION) -> RawProject:
    """``raw`` brought up to ``target`` by applying each step in turn."""
    steps = MIGRATIONS if registry is None else registry
    version = raw.version
    while version < target:
        step = steps.get(version)
        if step is None:
            raise CorruptProjectError(
                raw.path, f"project format {version} cannot be upgraded (no step from "
                f"{version} to {version + 1}); open it with the District Planner that saved it.")
        raw = step(raw)
        version += 1
        raw = replace(raw, meta={**raw.meta, "format_version": str(version)})
    return raw
