"""Project files: the plan <-> one GeoPackage, atomic saves, migrations, links, autosave.

No Qt here; the window adds only dialogs and a timer (``ui/project_actions.py``).
"""

from districtplanner.project.errors import (
    CorruptProjectError,
    NewerVersionError,
    NotAProjectError,
    ProjectError,
    ProjectNotFoundError,
    ProjectWriteError,
)
from districtplanner.project.format import FORMAT_VERSION
from districtplanner.project.store import (
    backup_path,
    load_project,
    load_project_with_notes,
    save_project,
)

__all__ = [
    "FORMAT_VERSION",
    "CorruptProjectError",
    "NewerVersionError",
    "NotAProjectError",
    "ProjectError",
    "ProjectNotFoundError",
    "ProjectWriteError",
    "backup_path",
    "load_project",
    "load_project_with_notes",
    "save_project",
]
