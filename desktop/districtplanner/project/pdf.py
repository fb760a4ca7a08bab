"""A plan carried inside its own PDF: find the project attached to an exported plan and open
it, so a PDF found in a council archive reopens as the live plan.

The report (``ui/report``) attaches the project GeoPackage under :data:`ATTACHMENT_NAME`;
any ``.gpkg`` attachment is accepted so a plan renamed by another tool still opens. No Qt:
pypdf reads the PDF's embedded files.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from districtplanner.model.document import Document
from districtplanner.project.errors import (
    CorruptProjectError,
    ProjectError,
    ProjectNotFoundError,
)

ATTACHMENT_NAME = "district-plan.gpkg"
ATTACHMENT_MIME = "application/geopackage+sqlite3"


class NoEmbeddedProjectError(ProjectError):
    """A readable PDF that carries no District Planner project."""


def embedded_project(path: str | Path) -> tuple[str, bytes]:
    """The name and bytes of the project attached to the PDF at ``path``.

    Raises ProjectNotFoundError, CorruptProjectError (not a readable PDF) or
    NoEmbeddedProjectError, each with the planner's message.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    p = Path(path)
    if not p.exists():
        raise ProjectNotFoundError(p, "the file does not exist; check the name and folder.")
    try:
        attachments = PdfReader(p).attachments
        found = {name: attachments[name] for name in attachments}
    except (PyPdfError, OSError, ValueError, KeyError) as exc:
        raise CorruptProjectError(p, f"this PDF could not be read ({exc}); it may be damaged "
                                  "or incomplete.") from None
    names = [ATTACHMENT_NAME] if ATTACHMENT_NAME in found else sorted(
        n for n in found if n.lower().endswith(".gpkg"))
    if not names or not found[names[0]]:
        raise NoEmbeddedProjectError(
            p, "this PDF carries no District Planner project. Only plans exported with "
            "File > Export plan (PDF) or 'district-planner report' carry one; open the "
            ".gpkg project file instead.")
    return names[0], found[names[0]][0]


def extract_project(path: str | Path, out: str | Path) -> Path:
    """Write the project attached to the PDF ``path`` to ``out`` (a .gpkg file)."""
    _, data = embedded_project(path)
    target = Path(out)
    target.write_bytes(data)
    return target


def load_pdf_project(path: str | Path) -> tuple[Document, list[str]]:
    """The plan attached to the PDF at ``path`` and the notes for the planner."""
    from districtplanner.project.store import load_project_with_notes

    p = Path(path)
    with tempfile.TemporaryDirectory(prefix="district-plan-pdf-") as folder:
        gpkg = extract_project(p, Path(folder) / ATTACHMENT_NAME)
        try:
            document, notes = load_project_with_notes(gpkg)
        except ProjectError as exc:
            # Name the PDF the planner opened, not our temporary copy.
            raise CorruptProjectError(
                p, f"the project carried in this PDF could not be opened: {exc.message}"
            ) from None
    return document, notes
