"""The app starts on a real X server (Xvfb, the xcb platform plugin), not only offscreen:
this is what proves the Qt system libraries the bootstrap installs are enough."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.skipif(shutil.which("xvfb-run") is None,
                    reason="xvfb-run is missing; 'bash installer/bootstrap.sh test' installs it")
def test_app_draws_the_sample_city_under_xvfb():
    exe = Path(sys.executable).with_name("district-planner")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env.update(QT_QPA_PLATFORM="xcb", DISTRICT_PLANNER_QUIT_AFTER_DRAW="1")
    proc = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", str(exe)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "drawn after" in proc.stdout
