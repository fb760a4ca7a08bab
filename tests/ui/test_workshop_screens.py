"""Workshop mode with a laptop and a projector: the room view goes full screen on the
projector and the facilitator console on the laptop. Runs in a child process on two
offscreen screens (screens are read when the QApplication starts)."""

import json
import os
import subprocess
import sys

SCRIPT = r"""
import json
from PySide6.QtWidgets import QApplication
from districtplanner.ui.app import application, open_document, show_settled

app = application()
doc, _ = open_document([])
win = show_settled(doc)
laptop, projector = app.screens()
win.workshop_action.trigger()           # F5
for _ in range(5):
    app.processEvents()
ws = win.workshop
room, console = ws.room, ws.console
out = {
    "entered": ws.active,
    "main_window_visible": win.isVisible(),
    "room_screen": room.screen().name(),
    "room_full_screen": room.isFullScreen(),
    "room_size": [room.width(), room.height()],
    "console_visible": console.isVisible(),
    "console_screen": console.screen().name(),
    "columns": len(room.columns),
    "value_px": min(c.cards[0].value.fontMetrics().height() for c in room.columns),
}
# The projector is unplugged and plugged back in mid-session: the windows are re-placed.
app.screenRemoved.emit(projector)
app.screenAdded.emit(projector)
for _ in range(5):
    app.processEvents()
out["after_replug"] = [room.isVisible(), room.isFullScreen(), room.screen().name()]
ws.leave()
app.processEvents()
out["after_leave"] = [win.isVisible(), win.centralWidget() is win.canvas, room.isVisible()]
print("PROBE " + json.dumps(out))
"""


def test_room_view_on_the_projector_console_on_the_laptop(tmp_path):
    config = tmp_path / "screens.json"
    config.write_text(json.dumps({"screens": [
        {"name": "laptop", "x": 0, "y": 0, "width": 1280, "height": 800,
         "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1},
        {"name": "projector", "x": 1280, "y": 0, "width": 1920, "height": 1080,
         "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}",
               DISTRICT_PLANNER_SETTINGS="")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=300)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("PROBE ")]
    assert lines, out.stderr[-3000:]
    r = json.loads(lines[-1][len("PROBE "):])
    assert r["entered"] and not r["main_window_visible"]
    assert r["room_screen"] == "projector" and r["room_full_screen"]
    assert r["room_size"] == [1920, 1080]
    assert r["console_visible"] and r["console_screen"] == "laptop"
    assert r["columns"] == 3
    # Figures scale with the projector: at least 28 px at 1024x768, so more at 1080p.
    assert r["value_px"] >= 28 * 1080 / 768 - 1
    assert r["after_replug"] == [True, True, "projector"]
    assert r["after_leave"] == [True, True, False]


CLI = [sys.executable, "-c", "import sys; from districtplanner.cli import main; "
       "sys.exit(main())"]


def test_screenshot_workshop_from_the_command_line(tmp_path):
    from PySide6.QtGui import QImage

    out = tmp_path / "room.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DISTRICT_PLANNER_SETTINGS="")
    run = subprocess.run([*CLI, "screenshot",
                          "--workshop", "--size", "1024x768", "--out", str(out)],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1024, 768)
    # A plan file that is not there: one line saying so, and no image.
    bad = subprocess.run([*CLI, "screenshot",
                          "--workshop", "--project", str(tmp_path / "nope.gpkg"),
                          "--out", str(tmp_path / "nope.png")],
                         env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1 and "nope.gpkg" in bad.stderr
    assert not (tmp_path / "nope.png").exists()
