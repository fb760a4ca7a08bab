"""Shared test set-up: Qt renders offscreen so the suite runs without a display."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never read or write the user's remembered window layout (ui/screen_fit.py).
os.environ.setdefault("DISTRICT_PLANNER_SETTINGS", "")
# Autosaves, locks and the recent-files list go to a throw-away folder, never the user's.
if "DISTRICT_PLANNER_DATA" not in os.environ:
    os.environ["DISTRICT_PLANNER_DATA"] = tempfile.mkdtemp(prefix="dp-test-data-")
    atexit.register(shutil.rmtree, os.environ["DISTRICT_PLANNER_DATA"], True)
