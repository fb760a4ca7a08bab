"""One PDF being drawn: the writer, its one painter, page geometry in points, the running
header and footer, and text laid out with QTextDocument.

The writer works at ``DPI`` device units per inch; every length here is given in points
(1/72 inch) and converted with :meth:`PlanCanvas.pt`, so pen widths and fonts mean the same
on paper whatever the resolution (a zero-width cosmetic pen would be a near-invisible
hairline at print resolution).
"""

from __future__ import annotations

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QPageLayout,
    QPageSize,
    QPainter,
    QPalette,
    QPdfWriter,
    QPen,
    QTextDocument,
)

from districtplanner.ui.report.fonts import font

DPI = 600
MARGIN_MM = 16.0
HEADER_PT = 22.0
FOOTER_PT = 20.0
INK = QColor("#1A1A1A")
MUTED = QColor("#5A5A5A")
RULE = QColor("#9A9A9A")
ACCENT = QColor("#0072B2")

PAPERS = {"A4": QPageSize.PageSizeId.A4, "A3": QPageSize.PageSizeId.A3}

# Shared by every QTextDocument of the plan: a sober council-paper look.
STYLE = """
body { color: #1A1A1A; }
h1 { font-size: 17pt; font-weight: bold; color: #1A1A1A; margin-top: 0; margin-bottom: 6pt; }
h2 { font-size: 12.5pt; font-weight: bold; color: #0B4F7A; margin-top: 10pt;
     margin-bottom: 4pt; }
h3 { font-size: 10pt; font-weight: bold; color: #1A1A1A; margin-top: 8pt; margin-bottom: 2pt; }
p { margin-top: 0; margin-bottom: 4pt; }
table { border-collapse: collapse; margin-bottom: 6pt; }
th { background-color: #E3E8EE; font-weight: bold; text-align: left; padding: 2pt 4pt;
     border: 0.6pt solid #9A9A9A; }
td { padding: 2pt 4pt; border: 0.6pt solid #B8B8B8; vertical-align: top; }
td.n { text-align: right; }
th.n { text-align: right; }
td.section { background-color: #F1F3F5; font-weight: bold; }
.muted { color: #5A5A5A; }
.small { font-size: 7.5pt; }
.mark { font-weight: bold; color: #B35900; }
"""


class PlanCanvas:
    """The writer and its one painter. Draw a page's body inside :attr:`body`."""

    def __init__(self, path: str, paper: str, landscape: bool, title: str, date: str,
                 creator: str, author: str = "") -> None:
        self.writer = QPdfWriter(path)
        self.writer.setResolution(DPI)
        # PDF 1.6: PDF/A-1b would force opaque fills and forbid the attached project.
        self.writer.setPdfVersion(QPdfWriter.PdfVersion.PdfVersion_1_6)
        self.writer.setTitle(title)
        self.writer.setCreator(creator)
        self.writer.setAuthor(author)
        orientation = (QPageLayout.Orientation.Landscape if landscape
                       else QPageLayout.Orientation.Portrait)
        layout = QPageLayout(QPageSize(PAPERS[paper]), orientation,
                             QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Point)
        self.writer.setPageLayout(layout)
        self.title = title
        self.date = date
        self.paper_name = f"{paper} {'landscape' if landscape else 'portrait'}"
        self.page_number = 0
        self.painter: QPainter | None = None
        rect = self.writer.pageLayout().fullRectPoints()
        self.page_w_pt = rect.width()
        self.page_h_pt = rect.height()

    # ------------------------------------------------------------------ units
    @staticmethod
    def pt(value: float) -> float:
        """Points to device units."""
        return value * DPI / 72.0

    @property
    def page_rect(self) -> QRectF:
        return QRectF(0, 0, self.pt(self.page_w_pt), self.pt(self.page_h_pt))

    @property
    def body(self) -> QRectF:
        """The page's writing area between the margins, the header and the footer."""
        m = self.pt(MARGIN_MM * 72 / 25.4)
        r = self.page_rect
        return QRectF(m, m + self.pt(HEADER_PT), r.width() - 2 * m,
                      r.height() - 2 * m - self.pt(HEADER_PT) - self.pt(FOOTER_PT))

    def pen(self, colour: QColor | str, width_pt: float,
            style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
        """A pen ``width_pt`` points wide on paper (never cosmetic)."""
        p = QPen(QColor(colour), self.pt(width_pt), style)
        p.setCosmetic(False)
        p.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setCapStyle(Qt.PenCapStyle.RoundCap)
        return p

    # ------------------------------------------------------------------ pages
    def new_page(self, running_header: bool = True) -> QPainter:
        """Start the next page (the first one opens the painter) with header and footer."""
        if self.painter is None:
            self.painter = QPainter()
            if not self.painter.begin(self.writer):
                raise OSError("the PDF file could not be opened for writing")
        else:
            if not self.writer.newPage():
                raise OSError("the PDF writer could not start a new page (disk full?)")
        self.page_number += 1
        p = self.painter
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if running_header:
            self._header_footer(p)
        return p

    def _header_footer(self, p: QPainter) -> None:
        m = self.pt(MARGIN_MM * 72 / 25.4)
        r = self.page_rect
        p.save()
        p.setFont(font(7.5))
        p.setPen(MUTED)
        top = QRectF(m, m, r.width() - 2 * m, self.pt(HEADER_PT) - self.pt(8))
        p.drawText(top, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom),
                   self.title)
        p.drawText(top, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
                   self.date)
        p.setPen(self.pen(RULE, 0.5))
        y = m + self.pt(HEADER_PT) - self.pt(5)
        p.drawLine(QPointF(m, y), QPointF(r.width() - m, y))
        bottom = QRectF(m, r.height() - m - self.pt(FOOTER_PT) + self.pt(6),
                        r.width() - 2 * m, self.pt(FOOTER_PT) - self.pt(6))
        p.drawLine(QPointF(m, bottom.top()), QPointF(r.width() - m, bottom.top()))
        p.setPen(MUTED)
        p.drawText(bottom, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
                   f"Page {self.page_number}")
        p.drawText(bottom, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom),
                   "District Planner plan")
        p.restore()

    def finish(self) -> None:
        if self.painter is not None and self.painter.isActive():
            self.painter.end()

    # ------------------------------------------------------------------ text
    def text_document(self, html: str, width: float, size_pt: float = 9.0) -> QTextDocument:
        """``html`` laid out ``width`` device units wide in the plan's font and style."""
        doc = QTextDocument()
        doc.documentLayout().setPaintDevice(self.writer)
        doc.setDefaultFont(font(size_pt))
        doc.setDefaultStyleSheet(STYLE)
        doc.setDocumentMargin(0)
        doc.setHtml(html)
        doc.setTextWidth(width)
        return doc

    def draw_html(self, html: str, rect: QRectF, size_pt: float = 9.0) -> float:
        """Draw ``html`` at the top of ``rect`` (clipped to it); the height it needed."""
        doc = self.text_document(html, rect.width(), size_pt)
        p = self.painter
        assert p is not None
        p.save()
        p.translate(rect.topLeft())
        ctx = QAbstractTextDocumentLayout.PaintContext()
        ctx.clip = QRectF(0, 0, rect.width(), rect.height())
        ctx.palette.setColor(QPalette.ColorRole.Text, INK)
        p.setClipRect(ctx.clip)
        doc.documentLayout().draw(p, ctx)
        p.restore()
        return doc.size().height()

    def flow_html(self, html: str, size_pt: float = 9.0) -> int:
        """Flow ``html`` over as many new pages as it needs; the number of pages."""
        body = self.body
        doc = self.text_document(html, body.width(), size_pt)
        doc.setPageSize(QSizeF(body.width(), body.height()))
        pages = doc.pageCount()
        for i in range(pages):
            p = self.new_page()
            p.save()
            p.translate(body.left(), body.top() - i * body.height())
            ctx = QAbstractTextDocumentLayout.PaintContext()
            ctx.clip = QRectF(0, i * body.height(), body.width(), body.height())
            ctx.palette.setColor(QPalette.ColorRole.Text, INK)
            p.setClipRect(ctx.clip)
            doc.documentLayout().draw(p, ctx)
            p.restore()
        return pages
