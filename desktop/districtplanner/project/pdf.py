"""A plan carried inside its own PDF: find the project attached to an exported plan and open
it, so a PDF found in a council archive reopens as the live plan.

The report (``ui/report``) draws its pages, then :func:`attach_project` appends the
project GeoPackage under :data:`ATTACHMENT_NAME`, deflated beforehand by
:func:`pack_project` while the pages were being drawn (a million-point plan is ~90 MB;
deflating it inside Qt's PDF writer took seconds on the drawing thread). Any ``.gpkg``
attachment is accepted on reading, so a plan renamed by another tool still opens. No Qt:
pypdf reads and appends the PDF's embedded files.
"""

from __future__ import annotations

import os
import tempfile
import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from districtplanner.model.document import Document
from districtplanner.project.errors import (
    CorruptProjectError,
    ProjectError,
    ProjectNotFoundError,
    ProjectWriteError,
)

ATTACHMENT_NAME = "district-plan.gpkg"
ATTACHMENT_MIME = "application/geopackage+sqlite3"
# zlib's default: level 1 would save ~1 s at a million points but leave the PDF ~10% larger.
ATTACHMENT_LEVEL = 6
# pypdf refuses streams over 75 MB by default (a guard against hostile PDFs); a plan's own
# project is larger at a million points. 4 GB still stops a runaway file.
_PLAN_STREAM_LIMIT = 4 * 1024**3
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class PackedProject:
    """A project file deflated (zlib) for attaching to a PDF: the stream and the file's size."""

    data: bytes
    size: int


def _deflate_file(source: Path, target: Path,
                  cancelled: Callable[[], bool] | None = None, workers: int = 2) -> int:
    """Deflate ``source`` into ``target`` as one zlib stream; the bytes read.

    The chunks are deflated by ``workers`` threads at once (zlib lets go of the GIL), as
    pigz does: each chunk is a raw deflate run ended by a sync flush, so the runs join into
    one stream behind a zlib header, with the Adler-32 of the whole file at the end. At a
    million points this halves the ~2.3 s the project's child spends deflating once the
    pages are drawn and a core is free."""
    from districtplanner.io.errors import Cancelled

    def deflate(chunk: bytes, last: bool) -> bytes:
        z = zlib.compressobj(ATTACHMENT_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        return z.compress(chunk) + z.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)

    size = 0
    adler = zlib.adler32(b"")
    pending: deque[Future] = deque()
    with (source.open("rb") as src, target.open("wb") as out,
          ThreadPoolExecutor(max_workers=workers) as pool):
        out.write(bytes((0x78, 0x9C)))  # zlib header: deflate, 32 KB window, default level
        chunk = src.read(_CHUNK)
        while True:
            if cancelled is not None and cancelled():
                raise Cancelled()
            following = src.read(_CHUNK) if chunk else b""
            size += len(chunk)
            adler = zlib.adler32(chunk, adler)
            pending.append(pool.submit(deflate, chunk, not following))
            # Keep memory to a few chunks: write out what is done in order.
            while pending and (len(pending) > 2 * workers or not following):
                out.write(pending.popleft().result())
            if not following:
                break
            chunk = following
        out.write(adler.to_bytes(4, "big"))
    return size


def pack_project(document: Document, saved: Path | None = None,
                 cancelled: Callable[[], bool] | None = None) -> PackedProject:
    """The plan as a deflated project file, ready for :func:`attach_project`.

    ``saved``: a project file holding exactly this plan, attached as it is (no rewrite).
    Otherwise the plan is written afresh, without spatial indexes (the copy is only ever
    read back whole), in a forked child where the platform has fork: pyogrio holds the GIL
    for seconds at a million points and the pages are drawn meanwhile on the other core.
    Raises ProjectWriteError naming what could not be written, or io's Cancelled.
    """
    from districtplanner.project.format import write_project
    from districtplanner.project.store import (
        IsolatedProjectError,
        IsolationFailedError,
        run_isolated,
    )

    with tempfile.TemporaryDirectory(prefix="district-plan-") as folder:
        packed = Path(folder) / "plan.gpkg.deflated"
        if saved is not None and saved.suffix.lower() == ".gpkg":
            try:
                size = _deflate_file(saved, packed, cancelled)
                return PackedProject(packed.read_bytes(), size)
            except OSError:
                pass  # moved or unreadable since: write the plan afresh below
        gpkg = Path(folder) / ATTACHMENT_NAME

        def work() -> None:
            for leftover in (gpkg, packed):
                with suppress(FileNotFoundError):
                    leftover.unlink()
            write_project(document, gpkg, spatial_index=False)
            _deflate_file(gpkg, packed)

        try:
            if hasattr(os, "fork"):
                try:
                    run_isolated(work, cancelled=cancelled)
                except IsolationFailedError:
                    work()  # the child died without a word: here, for the real reason
            else:
                work()
            return PackedProject(packed.read_bytes(), gpkg.stat().st_size)
        except IsolatedProjectError as exc:
            raise ProjectWriteError(gpkg, exc.message) from None
        except ProjectError:
            raise
        except (OSError, ValueError) as exc:
            raise ProjectWriteError(gpkg, f"the plan could not be written ({exc})") from None


def attach_project(pdf: str | Path, packed: PackedProject, out: str | Path) -> None:
    """Write ``pdf`` with ``packed`` attached as :data:`ATTACHMENT_NAME` to ``out``.

    An incremental update (ISO 32000 7.5.6): the pages' bytes are copied unchanged and the
    attachment, its file specification, the name tree and the catalog are appended, so
    nothing is parsed or compressed again. The document information dictionary gets a
    new ModDate, which also carries it into the new trailer (readers look for it there).
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, NumberObject, TextStringObject

    now = datetime.now(UTC).replace(microsecond=0)
    with open(pdf, "rb") as source:
        writer = PdfWriter(PdfReader(source), incremental=True)
        attached = writer.add_attachment(ATTACHMENT_NAME, b"")
        stream = attached.pdf_object["/EF"]["/F"].get_object()
        # The bytes are deflated already: store them as they are and say so.
        stream.set_data(packed.data)
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
        attached.subtype = NameObject("/" + ATTACHMENT_MIME)
        attached.size = NumberObject(packed.size)
        attached.modification_date = now
        attached.alternative_name = TextStringObject(ATTACHMENT_NAME)
        attached.description = TextStringObject(
            "District Planner project: File > Open on this PDF reopens the plan")
        # pypdf leaves the information dictionary (title, author) out of the update's
        # trailer when it did not change, and readers then find none: with a ModDate in the
        # same second as the pages' own, 1 export in 4 lost its title and author. A key of
        # our own always changes it.
        writer.add_metadata({"/ModDate": now.strftime("D:%Y%m%d%H%M%SZ"),
                             "/DistrictPlannerProject": ATTACHMENT_NAME})
        writer.write(out)


class NoEmbeddedProjectError(ProjectError):
    """A readable PDF that carries no District Planner project."""


def embedded_project(path: str | Path) -> tuple[str, bytes]:
    """The name and bytes of the project attached to the PDF at ``path``.

    Raises ProjectNotFoundError, CorruptProjectError (not a readable PDF) or
    NoEmbeddedProjectError, each with the planner's message.
    """
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import PyPdfError

    p = Path(path)
    if not p.exists():
        raise ProjectNotFoundError(p, "the file does not exist; check the name and folder.")
    try:
        with apply_configuration(zlib_maximum_output_length=_PLAN_STREAM_LIMIT,
                                 maximum_declared_stream_length=_PLAN_STREAM_LIMIT):
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
