"""Shared test set-up: Qt renders offscreen so the suite runs without a display."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never read or write the user's remembered window layout (ui/screen_fit.py).
os.environ.setdefault("DISTRICT_PLANNER_SETTINGS", "")
# Autosaves, locks and the recent-files list go to a throw-away folder, never the user's.
if "DISTRICT_PLANNER_DATA" not in os.environ:
    os.environ["DISTRICT_PLANNER_DATA"] = tempfile.mkdtemp(prefix="dp-test-data-")
    atexit.register(shutil.rmtree, os.environ["DISTRICT_PLANNER_DATA"], True)


@pytest.fixture(scope="session")
def city_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A resources folder holding a small seeded sample city (3,000 establishments) and the
    shipped sector mappings, for tests that drive the command line or a Session on it."""
    from districtplanner.paths import resources_dir
    from districtplanner.sample_city import generate_city, write_city

    res = tmp_path_factory.mktemp("resources")
    write_city(generate_city(3000), res / "sample_city")
    # The readers' sector mappings live beside the sample city.
    (res / "mappings").symlink_to(resources_dir() / "mappings", target_is_directory=True)
    return res
