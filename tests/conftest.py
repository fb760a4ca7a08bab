"""Shared test set-up: Qt renders offscreen so the suite runs without a display."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never read or write the user's remembered window layout (ui/screen_fit.py).
os.environ.setdefault("DISTRICT_PLANNER_SETTINGS", "")
