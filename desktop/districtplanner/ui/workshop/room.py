"""The room view: what the projector shows. A large map, 2 to 4 scenario columns with the
same headline cards, a vote tally per column, and the what-if sliders the facilitator chose.

It draws what it is given (figures, votes, slider values) and reports what the room does
(slider moves, vote clicks); the Workshop controller owns the state. Every size is derived
from the window's size (``theme.room_scale``), so a 4K projector gets larger type and
thicker strokes and no QT_SCALE_* variable is ever touched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from districtplanner.analysis.metrics import Metrics
from districtplanner.ui import theme
from districtplanner.ui.workshop.cards import CARDS, CardWidget, interval_of
from districtplanner.ui.workshop.scenarios import WHATIFS, WhatIf

SLIDER_STEPS = 1000
#: The facilitator's keys (also in the console and the room view's tooltip).
HINT = ("PgUp/PgDn or arrows: step through scenarios · 1–4: vote (Alt takes back) · "
        "D: draw · T: note · K: colour · H: pan · Backspace: remove last sketch · "
        "F6: console · Esc: leave")


def _colour(label: QLabel, colour: str) -> None:
    pal = label.palette()
    pal.setColor(QPalette.ColorRole.WindowText, QColor(colour))
    label.setPalette(pal)


class VoteTally(QLabel):
    """Dots and a count; a left click adds a vote, a right click takes one away."""

    vote = Signal(int)  # +1 or -1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.count = 0
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click to add a dot vote, right-click to take one back")
        self.set_count(0)

    def set_count(self, n: int) -> None:
        self.count = n
        dots = "●" * min(n, 12) + ("…" if n > 12 else "")
        self.setText(f"{dots}  {n} vote{'s' if n != 1 else ''}" if n else "no votes yet")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.vote.emit(-1 if event.button() == Qt.MouseButton.RightButton else 1)


class NameLabel(QLabel):
    """A scenario's name on at most two lines: a long variant name ends in '…' (the whole
    name is the tooltip) rather than pushing the cards off the bottom of the screen."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.full_text = text
        self.setWordWrap(True)

    def fit(self) -> None:
        fm = self.fontMetrics()
        width = self.contentsRect().width()
        if width <= 0:
            return
        limit = 2 * max(fm.lineSpacing(), fm.height()) + 1

        def height(text: str) -> int:
            return fm.boundingRect(QRect(0, 0, width, 10_000),
                                   int(Qt.TextFlag.TextWordWrap), text).height()

        text = self.full_text
        if height(text) > limit:
            words = text.split(" ")
            while len(words) > 2 and height(" ".join(words) + "…") > limit:
                words.pop()
            text = " ".join(words) + "…"
        if text != self.text():
            self.setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.fit()


class ScenarioColumn(QFrame):
    """One scenario: its name and colour, its vote tally, and the cards."""

    def __init__(self, district_id: str, name: str, colour: str, number: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.district_id = district_id
        self.colour = colour
        self.header = NameLabel(f"{number}  {name}")
        self.header.setToolTip(name)
        self.swatch = QFrame()
        self.swatch.setFixedHeight(8)
        self.swatch.setAutoFillBackground(True)
        pal = self.swatch.palette()
        pal.setColor(QPalette.ColorRole.Window, QColor(colour))
        self.swatch.setPalette(pal)
        self.tally = VoteTally()
        _colour(self.header, theme.TEXT)
        _colour(self.tally, theme.TEXT)
        self.cards = [CardWidget(card, colour) for card in CARDS]
        lay = QVBoxLayout(self)
        lay.setContentsMargins(3, 3, 3, 3)
        lay.setSpacing(3)
        lay.addWidget(self.header)
        lay.addWidget(self.swatch)
        lay.addWidget(self.tally)
        for c in self.cards:
            lay.addWidget(c)
        lay.addStretch(1)
        self.set_focused(False)

    def set_focused(self, on: bool) -> None:
        """The column the facilitator stepped to gets a thick dark frame."""
        self.focused = on
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.focused:
            p = QPainter(self)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(QPen(QColor(theme.TEXT), 3))
            p.drawRoundedRect(QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5), 8, 8)
            p.end()

    def set_scale(self, s: float) -> None:
        self.header.setFont(theme.px_font(17 * s, QFont.Weight.Bold))
        self.tally.setFont(theme.px_font(16 * s, QFont.Weight.DemiBold))
        self.swatch.setFixedHeight(max(4, round(6 * s)))
        for c in self.cards:
            c.set_scale(s)

    def show_metrics(self, m: Metrics, reference: Metrics | None, reference_name: str,
                     city: Metrics | None, maxima: Sequence[float]) -> None:
        for card, top in zip(self.cards, maxima, strict=True):
            card.show_metrics(m, reference, reference_name, city)
            card.bar.set_fraction(card.raw / top if top > 0 and math.isfinite(card.raw) else 0)

    def show_intervals(self, m: Metrics, sensitivity: object | None) -> None:
        """Each card's 90% interval from ``sensitivity`` (the Monte Carlo of ``m``)."""
        for card in self.cards:
            card.show_interval(interval_of(card.card, m, sensitivity))


class WhatIfStrip(QFrame):
    """The facilitator's sliders in a row, each with its name and value in large type,
    and 'Reset to the plan's values'."""

    moved = Signal(str, float)  # what-if key, new value (in the model's unit)
    reset = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("WhatIfStrip")
        self.setStyleSheet("#WhatIfStrip { background: white; border-top: 2px solid #8C877E; }")
        self.grid = QGridLayout(self)
        self.sliders: dict[str, QSlider] = {}
        self.labels: dict[str, QLabel] = {}
        self.reset_button = QPushButton("Reset to the\nplan's values")
        self.reset_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.reset_button.clicked.connect(self.reset.emit)
        self._scale = 1.0

    def set_levers(self, keys: Sequence[str], values: dict[str, float]) -> None:
        for w in [*self.sliders.values(), *self.labels.values()]:
            self.grid.removeWidget(w)
            w.deleteLater()
        self.sliders, self.labels = {}, {}
        for col, key in enumerate(keys):
            label = QLabel()
            label.setWordWrap(True)
            _colour(label, theme.TEXT)
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, SLIDER_STEPS)
            # Clicker arrows step scenarios; the sliders move by mouse or from the console.
            slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            slider.valueChanged.connect(lambda pos, k=key: self._slid(k, pos))
            self.grid.addWidget(label, 0, col)
            self.grid.addWidget(slider, 1, col)
            self.sliders[key], self.labels[key] = slider, label
        self.grid.addWidget(self.reset_button, 0, len(keys), 2, 1)
        self.set_values(values)
        self.set_scale(self._scale)

    @staticmethod
    def _to_pos(what: WhatIf, value: float) -> int:
        span = what.maximum - what.minimum
        return round(SLIDER_STEPS * (min(max(value, what.minimum), what.maximum)
                                     - what.minimum) / span)

    @staticmethod
    def _from_pos(what: WhatIf, pos: int) -> float:
        raw = what.minimum + (what.maximum - what.minimum) * pos / SLIDER_STEPS
        return round(raw / what.step) * what.step

    def _slid(self, key: str, pos: int) -> None:
        value = self._from_pos(WHATIFS[key], pos)
        self.labels[key].setText(f"{WHATIFS[key].label}: {WHATIFS[key].shown(value)}")
        self.moved.emit(key, value)

    def set_values(self, values: dict[str, float]) -> None:
        """Mirror the controller's values without emitting."""
        for key, slider in self.sliders.items():
            what = WHATIFS[key]
            value = values.get(key, what.minimum)
            slider.blockSignals(True)
            slider.setValue(self._to_pos(what, value))
            slider.blockSignals(False)
            self.labels[key].setText(f"{what.label}: {what.shown(value)}")

    def set_scale(self, s: float) -> None:
        self._scale = s
        for label in self.labels.values():
            label.setFont(theme.px_font(16 * s, QFont.Weight.DemiBold))
        self.reset_button.setFont(theme.px_font(15 * s, QFont.Weight.DemiBold))
        handle = max(16, round(22 * s))
        groove = max(6, round(8 * s))
        for slider in self.sliders.values():
            slider.setMinimumHeight(handle + 4)
            slider.setStyleSheet(
                f"QSlider::groove:horizontal {{ height: {groove}px; background: #8C877E;"
                f" border-radius: {groove // 2}px; }}"
                f"QSlider::handle:horizontal {{ width: {handle}px; margin: -{handle // 3}px 0;"
                f" background: {theme.ACCENT}; border: 2px solid {theme.TEXT};"
                f" border-radius: {handle // 2}px; }}")
        m = round(8 * s)
        self.grid.setContentsMargins(m, round(4 * s), m, round(6 * s))
        self.grid.setHorizontalSpacing(round(16 * s))


class RoomView(QWidget):
    """The projector's window: title bar, map and columns side by side, what-if strip."""

    scaled = Signal(float)  # the new scale, after the window changed size

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RoomView")
        self.setWindowTitle(f"{title} — workshop")
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, QColor(theme.BACKGROUND))
        self.setPalette(pal)
        self.title = QLabel(title)
        self.status = QLabel("")
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.setToolTip(HINT)
        for label in (self.title, self.status):
            _colour(label, theme.TEXT)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.status)
        self.map_holder = QVBoxLayout()
        self.map_holder.setContentsMargins(0, 0, 0, 0)
        self.columns_box = QHBoxLayout()
        self.columns_box.setSpacing(6)
        self.middle = QHBoxLayout()
        self.middle.addLayout(self.map_holder, 10)
        self.middle.addLayout(self.columns_box, 12)
        self.strip = WhatIfStrip()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 0)
        lay.setSpacing(6)
        lay.addLayout(top)
        lay.addLayout(self.middle, 1)
        lay.addWidget(self.strip)
        self.columns: list[ScenarioColumn] = []
        self.map: QWidget | None = None
        self.apply_scale(1.0)

    # ---------------------------------------------------------------- content
    def set_map(self, widget: QWidget | None) -> None:
        if self.map is not None:
            self.map_holder.removeWidget(self.map)
        self.map = widget
        if widget is not None:
            self.map_holder.addWidget(widget)
            widget.show()

    def set_columns(self, scenarios: Sequence[tuple[str, str, str]]) -> None:
        """(district id, name, colour) per column, in order."""
        for c in self.columns:
            self.columns_box.removeWidget(c)
            c.deleteLater()
        self.columns = [ScenarioColumn(did, name, colour, i + 1)
                        for i, (did, name, colour) in enumerate(scenarios)]
        for c in self.columns:
            self.columns_box.addWidget(c, 1)
            c.set_scale(self.scale)
        # Two columns leave the map half the width, three about 40 %, four a third
        # (a column needs about 170 px at 1024x768 for its card titles on one line).
        self.middle.setStretch(1, {0: 10, 1: 10, 2: 10, 3: 15}.get(len(self.columns), 20))

    def show_figures(self, city: Metrics | None, figures: dict[str, Metrics],
                     reference_id: str | None) -> None:
        """Fill every column; ``reference_id`` None compares with the whole ``city``
        (which may be None otherwise)."""
        shown = [figures[c.district_id] for c in self.columns if c.district_id in figures]
        maxima = []
        for card in CARDS:
            # One scale per card across all columns: bars compare like with like.
            values = [float(card.value(m)) for m in shown]
            maxima.append(max((abs(v) for v in values if math.isfinite(v)), default=0.0))
        ref = figures.get(reference_id) if reference_id else None
        ref_name = ""
        for n, c in enumerate(self.columns, start=1):
            if c.district_id == reference_id:
                ref_name = str(n)
        for c in self.columns:
            m = figures.get(c.district_id)
            if m is not None:
                c.show_metrics(m, ref, f"{ref_name}", city, maxima)

    def show_intervals(self, district_id: str, m: Metrics, sensitivity: object | None) -> None:
        """The intervals of one column, when its Monte Carlo has arrived."""
        for c in self.columns:
            if c.district_id == district_id:
                c.show_intervals(m, sensitivity)

    def set_votes(self, votes: dict[str, int]) -> None:
        for c in self.columns:
            c.tally.set_count(int(votes.get(c.district_id, 0)))

    def set_focus_column(self, index: int | None) -> None:
        for i, c in enumerate(self.columns):
            c.set_focused(i == index)

    # ---------------------------------------------------------------- scaling
    def resizeEvent(self, event: QResizeEvent) -> None:
        s = theme.room_scale(event.size().width(), event.size().height())
        if abs(s - self.scale) > 1e-3:
            self.apply_scale(s)
        super().resizeEvent(event)

    def apply_scale(self, s: float) -> None:
        self.scale = s
        self.title.setFont(theme.px_font(22 * s, QFont.Weight.Bold))
        self.status.setFont(theme.px_font(16 * s, QFont.Weight.DemiBold))
        for c in self.columns:
            c.set_scale(s)
        self.strip.set_scale(s)
        self.scaled.emit(s)
