"""Run in a child process on an offscreen screen of a given size: open the app on the
sample city as a planner would and report, as JSON, where everything ended up.

    QT_QPA_PLATFORM=offscreen:configfile=SCREENS.json python screen_probe.py [OUT.png]

(The screen size and QT_SCALE_FACTOR are read when the QApplication starts, so each size
needs its own process.)"""

import json
import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QDockWidget, QLabel

from districtplanner.ui import theme
from districtplanner.ui.app import application, open_document, show_settled
from districtplanner.ui.panels.charts import ChartWidget


def fully_visible(w) -> bool:
    """The whole widget can be seen without scrolling: shown, and inside every ancestor
    up to the window (a scroll area's viewport, a dock, the window itself)."""
    if not w.isVisible() or w.width() <= 0 or w.height() <= 0:
        return False
    parent = w.parentWidget()
    while parent is not None:
        top_left = w.mapTo(parent, w.rect().topLeft())
        rect = w.rect().translated(top_left)
        if not parent.rect().contains(rect):
            return False
        if parent.isWindow():
            return True
        parent = parent.parentWidget()
    return True


def clipped(label: QLabel) -> bool:
    r = label.contentsRect()
    if label.wordWrap():
        return label.heightForWidth(label.width()) > label.height() + 1
    if label.textFormat() == Qt.TextFormat.RichText or "<" in label.text():
        return label.sizeHint().width() > label.width() + 1
    hint = label.fontMetrics().boundingRect(r, int(label.alignment()), label.text())
    return hint.width() > r.width() + 1 or hint.height() > r.height() + 1


def main() -> None:
    app = application()
    doc, _ = open_document([])
    win = show_settled(doc)
    # A planner picks the first district, highlights a sector and hovers a neighbourhood.
    doc.selection.set_active_district(doc.districts[0].id)
    doc.selection.set_sectors({"design_fashion"})
    doc.selection.set_hovered_neighbourhood(0)
    win.recompute.run_now()
    for _ in range(5):
        app.processEvents()
    screen = win.screen()
    avail = screen.availableGeometry()
    out = {
        "screen": [screen.geometry().width(), screen.geometry().height()],
        "dpr": screen.devicePixelRatio(),
        "available": [avail.x(), avail.y(), avail.width(), avail.height()],
        "frame": [win.frameGeometry().x(), win.frameGeometry().y(),
                  win.frameGeometry().width(), win.frameGeometry().height()],
        "window": [win.width(), win.height()],
        "map": [win.canvas.width(), win.canvas.height()],
        "docks": {d.windowTitle(): [d.width(), d.height(), d.isVisible()
                                    and not d.visibleRegion().isEmpty()]
                  for d in win.findChildren(QDockWidget)},
    }
    # Each figure panel as a planner sees it when its tab is raised.
    panels = {"concentration": (win.concentration_dock, win.concentration),
              "affordability": (win.affordability_dock, win.affordability),
              "incentives": (win.incentives_dock, win.incentives)}
    checks, clipped_labels, small_text = {}, [], []
    for name, (dock, panel) in panels.items():
        dock.raise_()
        for _ in range(3):
            app.processEvents()
        win.grab()
        for label in panel.findChildren(QLabel):
            if label.isVisible() and label.text() and not label.visibleRegion().isEmpty():
                if clipped(label):
                    clipped_labels.append(f"{name}: {label.text()[:60]}")
                if theme.text_px(label.font()) < theme.MIN_TEXT_PX:
                    small_text.append(f"{name}: {label.text()[:40]}")
        for chart in panel.findChildren(ChartWidget):
            for axis in ("left", "bottom"):
                ax = chart.getPlotItem().getAxis(axis)
                font = ax.style.get("tickFont") or chart.font()
                if theme.text_px(font) < theme.MIN_TEXT_PX:
                    small_text.append(f"{name}: {axis} axis ticks")
        if name == "concentration":
            checks["sector chart (names, highlight)"] = fully_visible(panel.sector_chart)
            # The "LQ x.x" notes over the bars: how many show, and any two that overlap.
            boxes = panel.sector_chart.note_boxes()
            out["sector_notes"] = [text for text, _ in boxes]
            out["note_overlaps"] = [f"{a} / {b}" for i, (a, ra) in enumerate(boxes)
                                    for b, rb in boxes[i + 1:] if ra.intersects(rb)]
            checks["projection chart (plan year)"] = fully_visible(panel.projection_chart)
        elif name == "affordability":
            checks["hovered neighbourhood name and risk"] = fully_visible(
                panel.neighbourhood_label)
        else:
            buttons = [b for b in panel.findChildren(QAbstractButton)
                       if b.text() in ("Add…", "Edit…", "Remove")]
            checks["instrument Add/Edit/Remove"] = len(buttons) == 3 and all(
                fully_visible(b) for b in buttons)
            checks["annual cost chart (plan year)"] = fully_visible(panel.chart)
    out["visible"] = checks
    out["clipped"] = clipped_labels
    out["small_text"] = small_text
    if len(sys.argv) > 1:
        win.concentration_dock.raise_()
        app.processEvents()
        win.grab().save(sys.argv[1])
    print("PROBE " + json.dumps(out))
    win.close()
    QApplication.processEvents()


if __name__ == "__main__":
    main()
