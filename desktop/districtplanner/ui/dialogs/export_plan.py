"""File > Export plan (PDF)…: what goes in the plan, then the export with progress and
Cancel.

The pages are drawn in a worker thread (QPainter on a QPdfWriter and QTextDocument are
allowed off the GUI thread; the figures are taken from the window's cache on the GUI thread
first), so the window keeps drawing even while a million-point map page or the project's
attachment takes seconds. Cancel stops the worker at the next step (and kills the child
process writing the project), leaving any earlier PDF as it was.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from districtplanner.io.errors import Cancelled
from districtplanner.model.commands import CommandStack, SetMetadata
from districtplanner.model.document import Document
from districtplanner.model.figures import Figures
from districtplanner.ui.report import PlanExport, PlanOptions, PlanResult, ReportError
from districtplanner.ui.report.fonts import load_fonts


class ExportThread(QThread):
    """Runs one export's steps. A QThread rather than a Python thread: the QTextDocuments
    laid out in it need an event dispatcher (Qt warns on every layout in a thread without
    one)."""

    progressed = Signal(int, str)

    def __init__(self, export: PlanExport) -> None:
        super().__init__()
        self.export = export
        self.result: PlanResult | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for i, what in enumerate(self.export.steps(), start=1):
                self.progressed.emit(i, what)
            self.result = self.export.result
        except BaseException as exc:  # handed to the GUI thread, which says what failed
            self.error = exc


# Running export threads, kept alive even if their dialog is deleted: a QThread destroyed
# while it runs aborts the process.
_RUNNING: set[ExportThread] = set()


class ExportPlanDialog(QDialog):
    """Choose title, author, organisation, districts, paper and orientation, and a file.

    ``finished_export(PlanResult)`` is emitted when a plan was written; the dialog then
    closes. A failure is shown in the dialog, which stays open with the choices kept.
    """

    finished_export = Signal(object)

    def __init__(self, document: Document, figures: Figures | None = None,
                 parent: QWidget | None = None, path: str | Path = "",
                 project_file: Path | None = None, stack: CommandStack | None = None) -> None:
        """``project_file``: the saved project this plan is unchanged from (attached as it
        is, instead of writing the plan again). ``stack``: where a change of the plan's
        title, author or organisation goes (one undo step), so the plan attached to the PDF
        carries the details printed on it."""
        super().__init__(parent)
        self.project_file = project_file
        self.stack = stack
        self.setWindowTitle("Export plan (PDF)")
        self.document = document
        self.figures = figures
        self._export: PlanExport | None = None
        self._thread: ExportThread | None = None
        self._close_when_stopped = False
        self.result: PlanResult | None = None
        meta = dict(getattr(document, "metadata", {}) or {})
        self.title_edit = QLineEdit(meta.get("title") or document.title)
        self.author_edit = QLineEdit(meta.get("author", ""))
        self.organisation_edit = QLineEdit(meta.get("organisation", ""))
        self.title_edit.setPlaceholderText("District plan")
        self.districts = QListWidget()
        for d in document.districts:
            item = QListWidgetItem(d.name)
            item.setData(Qt.ItemDataRole.UserRole, d.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.districts.addItem(item)
        self.districts.setMaximumHeight(120)
        self.paper = QComboBox()
        self.paper.addItems(["A4", "A3"])
        self.portrait = QRadioButton("Portrait")
        self.landscape = QRadioButton("Landscape")
        self.portrait.setChecked(True)
        orient = QButtonGroup(self)
        orient.addButton(self.portrait)
        orient.addButton(self.landscape)
        orientation = QHBoxLayout()
        orientation.addWidget(self.portrait)
        orientation.addWidget(self.landscape)
        orientation.addStretch(1)
        self.intervals = QCheckBox("90% intervals on the sensitivity pages (Monte Carlo, "
                                   "about a second per district)")
        default = Path(path) if path else Path.home() / f"{_file_stem(self.title_edit.text())}.pdf"
        self.path_edit = QLineEdit(str(default))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(browse)

        form = QFormLayout()
        form.addRow("Title", self.title_edit)
        form.addRow("Author", self.author_edit)
        form.addRow("Organisation", self.organisation_edit)
        form.addRow("Districts", self.districts)
        form.addRow("Paper", self.paper)
        form.addRow("Orientation", orientation)
        form.addRow("Uncertainty", self.intervals)
        form.addRow("Save as", where)

        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel("The PDF carries the whole plan as an attachment: File > Open "
                             "on the PDF reopens it with the same figures.")
        self.status.setWordWrap(True)
        # Room for two lines, so a long district name does not make the dialog jump.
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing() + 6)
        self.setMinimumWidth(520)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    # --------------------------------------------------------------- choices
    def chosen_ids(self) -> list[str]:
        return [self.districts.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.districts.count())
                if self.districts.item(i).checkState() == Qt.CheckState.Checked]

    def options(self) -> PlanOptions:
        ids = self.chosen_ids()
        return PlanOptions(
            title=self.title_edit.text().strip(), author=self.author_edit.text().strip(),
            organisation=self.organisation_edit.text().strip(),
            district_ids=None if len(ids) == self.districts.count() else ids,
            paper=self.paper.currentText(), landscape=self.landscape.isChecked(),
            intervals=self.intervals.isChecked(), project_file=self.project_file)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plan (PDF)", self.path_edit.text(),
                                              "PDF (*.pdf)")
        if path:
            self.path_edit.setText(path if path.lower().endswith(".pdf") else path + ".pdf")

    # ---------------------------------------------------------------- export
    @property
    def running(self) -> bool:
        return self._export is not None

    def start(self) -> None:
        """Check the choices and start writing in the worker thread."""
        if self.running:
            return
        text = self.path_edit.text().strip()
        if not text:
            self._fail("Choose where to save the plan.")
            return
        path = Path(text).expanduser()
        if path.suffix.lower() != ".pdf":
            path = path.with_suffix(".pdf")
        if self.districts.count() and not self.chosen_ids():
            self._fail("Tick at least one district to put in the plan.")
            return
        if not self._store_details():
            return
        figures = self.figures
        if figures is not None and not figures.index_is_current:
            # The window is still indexing its layers: the worker builds its own index,
            # leaving the window's Figures to this thread alone.
            figures = None
        try:
            export = PlanExport(self.document, path, self.options(), figures)
            if figures is not None:
                export.prepare_figures()
            load_fonts()  # registered once, on the GUI thread
        except ReportError as exc:
            self._fail(str(exc))
            return
        self._export = export
        self._close_when_stopped = False
        self.progress.setRange(0, export.total_steps)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self._set_editable(False)
        self.status.setText("Writing the plan…")
        thread = ExportThread(export)
        thread.progressed.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        thread.finished.connect(self._on_ended, Qt.ConnectionType.QueuedConnection)
        self._thread = thread
        _RUNNING.add(thread)
        thread.start()

    def _store_details(self) -> bool:
        """Put the typed title, author and organisation into the plan (undoable), so the
        attached project says what the title page says."""
        details = {"title": self.title_edit.text().strip(),
                   "author": self.author_edit.text().strip(),
                   "organisation": self.organisation_edit.text().strip()}
        current = dict(getattr(self.document, "metadata", {}) or {})
        changed = {k: v for k, v in details.items() if current.get(k, "") != v}
        if not changed or self.stack is None:
            return True
        refusal = self.stack.push(SetMetadata(self.document, changed,
                                              "Plan details for the PDF"))
        if refusal:
            self._fail(refusal)
            return False
        self.project_file = None  # the saved file no longer holds exactly this plan
        return True

    def _on_progress(self, done: int, what: str) -> None:
        if self._export is None or self._export.cancelled:
            return
        self.status.setText(f"Writing the plan: {what}…")
        self.progress.setValue(done)

    def _on_ended(self) -> None:
        thread = self._thread
        assert thread is not None
        thread.wait()  # run() has returned; this only lets the thread end
        _RUNNING.discard(thread)
        self._thread = None
        self._export = None
        self._set_editable(True)
        self.progress.setVisible(False)
        exc = thread.error
        if exc is None:
            self.result = thread.result
            self._done()
            return
        if isinstance(exc, Cancelled):
            self.status.setText("Export cancelled; nothing was written.")
        elif isinstance(exc, ReportError):
            self._fail(str(exc))
        else:  # never crash the window over a report; say what failed
            self._fail(f"The plan could not be exported ({type(exc).__name__}: {exc}); any "
                       "earlier file is unchanged.")
        if self._close_when_stopped:
            self.reject()

    def cancel(self) -> None:
        """Stop a running export (nothing is written), or close the dialog."""
        if self.running:
            assert self._export is not None
            self._export.cancel()
            self.status.setText("Cancelling…")
            return
        self.reject()

    def _done(self) -> None:
        r = self.result
        assert r is not None
        self._set_editable(True)
        self.status.setText(f"Wrote {r.path.name}: {r.pages} pages, "
                            f"{r.size_bytes / 1e6:.1f} MB.")
        self.finished_export.emit(r)
        self.accept()

    def _fail(self, message: str) -> None:
        self.status.setText(f"<b>Not exported.</b> {escape(message)}")

    def _set_editable(self, on: bool) -> None:
        for w in (self.title_edit, self.author_edit, self.organisation_edit, self.districts,
                  self.paper, self.portrait, self.landscape, self.intervals, self.path_edit,
                  self.export_button):
            w.setEnabled(on)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            # Close once the worker has stopped and cleaned up (within one step).
            event.ignore()
            self._close_when_stopped = True
            self.cancel()
            return
        super().closeEvent(event)

    def reject(self) -> None:
        if self.running:
            self._close_when_stopped = True
            self.cancel()
            return
        super().reject()


def _file_stem(title: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in " -_" else " " for ch in title).split()
    return "-".join(keep)[:60] or "plan"
