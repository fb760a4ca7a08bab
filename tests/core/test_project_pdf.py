"""A plan PDF carries its project: find it, open it, and say clearly when a PDF has none.

Qt-free (these run in CI's venv without Qt): the PDFs here are made with pypdf; the tests of
the real exported plan are in tests/ui/test_report.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from districtplanner.model.build import open_sample_city
from districtplanner.model.figures import Figures
from districtplanner.project import ProjectError, load_project, save_project
from districtplanner.project.errors import CorruptProjectError, ProjectNotFoundError
from districtplanner.project.pdf import (
    ATTACHMENT_NAME,
    NoEmbeddedProjectError,
    PackedProject,
    attach_project,
    embedded_project,
    extract_project,
    pack_project,
)


def _pdf(path: Path, attachments: dict[str, bytes]) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    for name, data in attachments.items():
        writer.add_attachment(name, data)
    with open(path, "wb") as f:
        writer.write(f)
    return path


def _figures(document) -> dict:
    bundle = Figures(document).compute()
    return {
        "baseline": bundle.baseline.to_dict(),
        "districts": [bundle.districts[d.id].to_dict() for d in document.districts],
    }


@pytest.fixture(scope="module")
def sample_project(tmp_path_factory) -> tuple[object, Path]:
    document = open_sample_city()
    path = tmp_path_factory.mktemp("plan") / "plan.gpkg"
    save_project(document, path)
    return document, path


def test_a_pdf_with_the_project_attached_reopens_with_identical_figures(sample_project,
                                                                        tmp_path):
    document, gpkg = sample_project
    pdf = _pdf(tmp_path / "plan.pdf", {"readme.txt": b"not the plan",
                                       ATTACHMENT_NAME: gpkg.read_bytes()})
    reopened = load_project(pdf)
    assert [d.name for d in reopened.districts] == [d.name for d in document.districts]
    before = json.dumps(_figures(document), sort_keys=True)
    after = json.dumps(_figures(reopened), sort_keys=True)
    assert after == before
    # The temporary copy is gone; only the PDF is needed.
    assert not list(tmp_path.glob("*.gpkg"))


def test_a_renamed_gpkg_attachment_is_still_found(sample_project, tmp_path):
    _, gpkg = sample_project
    pdf = _pdf(tmp_path / "renamed.pdf", {"council-item-7.gpkg": gpkg.read_bytes()})
    name, data = embedded_project(pdf)
    assert name == "council-item-7.gpkg"
    assert data == gpkg.read_bytes()
    out = extract_project(pdf, tmp_path / "out.gpkg")
    assert out.read_bytes() == gpkg.read_bytes()


def test_a_pdf_without_a_project_says_how_to_open_the_plan(tmp_path):
    pdf = _pdf(tmp_path / "minutes.pdf", {"notes.txt": b"hello"})
    with pytest.raises(NoEmbeddedProjectError) as err:
        load_project(pdf)
    message = str(err.value)
    assert "minutes.pdf" in message
    assert "carries no District Planner project" in message
    assert ".gpkg" in message


def test_a_damaged_pdf_and_a_missing_one_are_named(tmp_path):
    bad = tmp_path / "truncated.pdf"
    bad.write_bytes(b"%PDF-1.6\n1 0 obj << /Type /Catalog")
    with pytest.raises(CorruptProjectError) as err:
        load_project(bad)
    assert "truncated.pdf" in str(err.value)
    with pytest.raises(ProjectNotFoundError):
        load_project(tmp_path / "nowhere.pdf")


def test_a_damaged_project_inside_a_pdf_names_the_pdf(tmp_path):
    pdf = _pdf(tmp_path / "plan.pdf", {ATTACHMENT_NAME: b"SQLite format 3\x00 but cut short"})
    with pytest.raises(ProjectError) as err:
        load_project(pdf)
    assert str(tmp_path / "plan.pdf") in str(err.value)
    assert "carried in this PDF" in str(err.value)


def test_a_packed_plan_appended_to_a_pdf_reopens_with_identical_figures(sample_project,
                                                                        tmp_path):
    """What the report does: deflate the plan while the pages are drawn, then append it to
    the finished pages as an incremental update."""
    import sqlite3
    import zlib

    document, _ = sample_project
    packed = pack_project(document)
    gpkg = tmp_path / "unpacked.gpkg"
    gpkg.write_bytes(zlib.decompress(packed.data))
    assert gpkg.stat().st_size == packed.size
    with sqlite3.connect(gpkg) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    # The copy carried in a PDF leaves out the R-trees (read back whole, never queried).
    assert not [t for t in tables if t.startswith("rtree_")]
    pages = _pdf(tmp_path / "pages.pdf", {})
    with PdfWriter() as writer:  # a title, which the update must keep readable
        writer.append(str(pages))
        writer.add_metadata({"/Title": "Council item 7"})
        writer.write(pages)
    out = tmp_path / "plan.pdf"
    attach_project(pages, packed, out)
    reader = PdfReader(out)
    assert reader.metadata.title == "Council item 7"
    assert len(reader.pages) == 1
    assert list(reader.attachments) == [ATTACHMENT_NAME]
    reopened = load_project(out)
    assert json.dumps(_figures(reopened), sort_keys=True) == json.dumps(
        _figures(document), sort_keys=True)


def test_a_saved_plan_is_attached_as_it_is(sample_project, tmp_path):
    _, gpkg = sample_project
    packed = pack_project(None, saved=gpkg)  # the document is not needed: nothing is written
    out = tmp_path / "plan.pdf"
    attach_project(_pdf(tmp_path / "pages.pdf", {}), packed, out)
    assert embedded_project(out) == (ATTACHMENT_NAME, gpkg.read_bytes())


def test_a_project_larger_than_pypdfs_default_limit_still_opens(tmp_path):
    """pypdf refuses streams over 75 MB unless told; a million-point plan is larger."""
    import zlib

    big = b"SQLite format 3\x00" + bytes(80_000_000)
    packed = PackedProject(zlib.compress(big, 1), len(big))
    out = tmp_path / "big.pdf"
    attach_project(_pdf(tmp_path / "pages.pdf", {}), packed, out)
    name, data = embedded_project(out)
    assert name == ATTACHMENT_NAME and data == big


def test_cancel_stops_packing_and_a_failed_write_says_why(sample_project, monkeypatch):
    from districtplanner.io.errors import Cancelled
    from districtplanner.project import format as project_format

    document, gpkg = sample_project
    with pytest.raises(Cancelled):
        pack_project(document, cancelled=lambda: True)
    with pytest.raises(Cancelled):
        pack_project(document, saved=gpkg, cancelled=lambda: True)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(project_format, "write_project", full_disk)
    with pytest.raises(ProjectError) as err:
        pack_project(document)
    assert "No space left on device" in str(err.value)


@pytest.mark.parametrize("size", [0, 1, 4096, 4097, 3 * 4096 - 7, 20 * 4096])
def test_the_project_is_deflated_in_parallel_into_one_zlib_stream(tmp_path, monkeypatch,
                                                                   size):
    """Chunks deflated by several threads join into one stream any PDF reader inflates."""
    import random
    import zlib

    from districtplanner.project import pdf

    monkeypatch.setattr(pdf, "_CHUNK", 4096)
    rng = random.Random(size)
    data = bytes(rng.randrange(256) for _ in range(size // 2)) + bytes(size - size // 2)
    source, target = tmp_path / "plan.gpkg", tmp_path / "plan.deflated"
    source.write_bytes(data)
    assert pdf._deflate_file(source, target, workers=3) == size
    assert zlib.decompress(target.read_bytes()) == data
