"""Why a project file could not be opened or saved, in words a planner can act on.

Every message names the file and says what to do; the CLI prints it on one line and the
window shows it in a dialog, so the text is the whole interface.
"""

from __future__ import annotations

from pathlib import Path


class ProjectError(Exception):
    """A project file problem. ``path`` is the file; ``str()`` is the planner's message."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = Path(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


class ProjectNotFoundError(ProjectError):
    """The file does not exist (moved, renamed, or a typo)."""


class CorruptProjectError(ProjectError):
    """Not a readable GeoPackage, truncated, or a project with a damaged table."""


class NewerVersionError(ProjectError):
    """Saved by a newer District Planner whose format this version cannot read."""

    def __init__(self, path: str | Path, found: int, supported: int, saved_by: str) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            path,
            f"this plan was saved by District Planner {saved_by or 'of a newer version'} "
            f"in project format {found}; this version reads formats up to {supported}. "
            "Update District Planner to open it (the file was not changed).",
        )


class NotAProjectError(ProjectError):
    """A valid GeoPackage without District Planner's tables: its layers can be added."""

    def __init__(self, path: str | Path, layers: list[str]) -> None:
        self.layers = layers
        names = ", ".join(layers[:5]) + (" …" if len(layers) > 5 else "")
        super().__init__(
            path,
            "this GeoPackage is not a District Planner project"
            + (f" (it holds the layers {names})" if layers else " (it holds no layers)")
            + ". Add its layers to a plan with File > Add layer instead.",
        )


class ProjectWriteError(ProjectError):
    """Saving failed; the plan in memory and the previous file are both unchanged."""
