"""The one direction of dependence is enforced, not hoped for (DESIGN.md)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_headless_modules_do_not_load_qt():
    code = (
        "import sys\n"
        "import districtplanner.cli, districtplanner.analysis.assumptions\n"
        "import districtplanner.model.build, districtplanner.model.document\n"
        "import districtplanner.cli\n"
        "from districtplanner.cli import build_parser; build_parser()\n"
        "qt = ('PySide6', 'pyqtgraph', 'shiboken6')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in qt]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
