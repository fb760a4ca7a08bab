"""Shared test set-up: Qt renders offscreen so the suite runs without a display."""

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never read or write the user's remembered window layout (ui/screen_fit.py).
os.environ.setdefault("DISTRICT_PLANNER_SETTINGS", "")
# Autosaves, locks and the recent-files list go to a throw-away folder, never the user's.
os.environ.setdefault("DISTRICT_PLANNER_DATA", tempfile.mkdtemp(prefix="dp-test-data-"))
