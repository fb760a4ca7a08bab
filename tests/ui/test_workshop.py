"""Workshop mode on the sample city: the room view at projector sizes, what-if sliders,
clicker steps, dot votes and sketches, as a facilitator uses them."""

import math

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from tests.ui import mouse

from districtplanner.analysis.incentives import InstrumentKind
from districtplanner.analysis.metrics import compute
from districtplanner.ui import theme
from districtplanner.ui.workshop.cards import CARDS


@pytest.fixture
def workshop(window, qtbot):
    ws = window.workshop
    yield ws
    ws.leave()


def enter(ws, size):
    ws.enter(size=size)
    QApplication.processEvents()
    ws.room.grab()  # one synchronous layout and paint at that size
    return ws.room


def visible_labels(widget):
    return [lab for lab in widget.findChildren(QLabel) if lab.isVisibleTo(widget)
            and lab.text()]


def clipped(label):
    """True when the label's text needs more room than it has."""
    r = label.contentsRect()
    if label.wordWrap():
        return label.heightForWidth(label.width()) > label.height() + 1
    hint = label.fontMetrics().boundingRect(
        r, int(label.alignment()) | int(Qt.TextFlag.TextExpandTabs), label.text())
    return hint.width() > r.width() + 1 or hint.height() > r.height() + 1


@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080)])
def test_room_view_legible_at_projector_sizes(workshop, size):
    room = enter(workshop, size)
    assert (room.width(), room.height()) == size
    assert room.minimumSizeHint().width() <= size[0]
    assert room.minimumSizeHint().height() <= size[1]
    # The sample city's three districts, one column each, with the same cards in order.
    assert [c.district_id for c in room.columns] == \
        [d.id for d in workshop.document.districts[:4]]
    titles = [[card.title.text() for card in c.cards] for c in room.columns]
    assert all(t == [card.title for card in CARDS] for t in titles)
    scale = theme.room_scale(*size)
    for column in room.columns:
        for card in column.cards:
            # Headline figures at least 28 px tall at 1024x768, larger with the window.
            assert theme.text_px(card.value.font()) >= 28 * scale
            assert card.value.text() not in ("", "—")
    # No text in the room view is clipped or smaller than 13 px at this scale.
    labels = visible_labels(room)
    assert len(labels) > 40
    for label in labels:
        assert not clipped(label), label.text()
        assert theme.text_px(label.font()) >= 13 * min(scale, 1.0), label.text()
    # The map keeps the larger part of the middle row.
    assert room.map is workshop.canvas
    assert room.map.width() >= 0.35 * size[0]
    assert room.map.height() >= 0.6 * size[1]


def test_figures_match_the_engine_and_alerts_are_words(workshop):
    room = enter(workshop, (1024, 768))
    doc = workshop.document
    first = doc.districts[0]
    index = workshop.window.session.figures.index
    m = compute(index, first.geometry, doc.assumptions, first.instruments)
    column = room.columns[0]
    jobs = column.cards[0]
    assert jobs.value.text() == f"{m.concentration.creative_jobs:,.0f}"
    risk = column.cards[2]
    if m.affordability.displacement_class in ("high", "very high"):
        assert "RISK" in risk.alert.text() and risk.alert.isVisibleTo(room)
    dm = m.displacement_methods
    if dm is not None and dm.of:
        # The published methods' verdict is part of the risk card (its tooltip).
        assert f"flagged by {dm.flagged_by} of {dm.of} published methods" in risk.toolTip()
    # Against the first scenario: the other columns say their difference in words.
    assert column.cards[0].change.text() == "the reference"
    assert room.columns[1].cards[0].change.text().endswith("vs 1")
    workshop.set_reference("city")
    assert "of the city" in column.cards[0].change.text()


def test_slider_updates_every_column_and_reset(workshop, qtbot):
    room = enter(workshop, (1024, 768))
    doc = workshop.document
    before_doc = (doc.assumptions, [list(d.instruments) for d in doc.districts])
    npv_before = [c.cards[4].value.text() for c in room.columns]
    slider = room.strip.sliders["grant_per_job"]
    times = []
    workshop.refreshed.connect(times.append)
    slider.setValue(slider.maximum())  # as a drag ends: 20,000 € per job
    assert len(times) == 1
    npv_after = [c.cards[4].value.text() for c in room.columns]
    assert all(a != b for a, b in zip(npv_before, npv_after, strict=True))
    assert workshop.overrides["grant_per_job"] == pytest.approx(20000)
    assert room.strip.labels["grant_per_job"].text() == "Grant per job: 20,000 €"
    # The engine agrees: the same district with that grant gives the column's NPV.
    first = doc.districts[0]
    package = [type(i)(i.kind, i.name, i.enabled, i.eligible_sectors,
                       {**i.params, "grant_per_job": 20000.0}
                       if i.kind is InstrumentKind.JOB_GRANT else i.params, i.start_year)
               for i in first.instruments]
    m = compute(workshop.window.session.figures.index, first.geometry, doc.assumptions, package)
    assert room.columns[0].cards[4].value.text() == f"{m.incentives.npv / 1e6:.2f} m"
    # Designation uplift moves households priced out in every column.
    households = [c.cards[3].raw for c in room.columns]
    workshop.set_whatif("designation_uplift", 0.3)
    assert all(c.cards[3].raw > h for c, h in zip(room.columns, households, strict=True))
    # The plan itself never changed and nothing went on the undo stack.
    assert (doc.assumptions, [list(d.instruments) for d in doc.districts]) == before_doc
    assert not workshop.stack.can_undo
    room.strip.reset_button.click()
    assert workshop.overrides == {}
    assert [c.cards[4].value.text() for c in room.columns] == npv_before
    assert room.strip.labels["grant_per_job"].text() == "Grant per job: 5,000 €"


def test_clicker_steps_through_scenarios(workshop, qtbot):
    room = enter(workshop, (1024, 768))
    doc = workshop.document
    ids = [d.id for d in doc.districts[:3]]
    assert workshop.step == 0 and not any(c.focused for c in room.columns)
    qtbot.keyClick(room, Qt.Key.Key_PageDown)
    assert workshop.step == 1 and room.columns[0].focused
    assert doc.selection.active_district == ids[0]
    bounds = doc.district(ids[0]).geometry.bounds
    x0, y0, x1, y1 = workshop.canvas.view_bounds()
    assert x0 <= bounds[0] and bounds[2] <= x1 and y0 <= bounds[1] and bounds[3] <= y1
    qtbot.keyClick(room, Qt.Key.Key_Right)
    assert workshop.step == 2 and room.columns[1].focused and not room.columns[0].focused
    assert doc.selection.active_district == ids[1]
    qtbot.keyClick(room, Qt.Key.Key_PageUp)
    assert workshop.step == 1
    for _ in range(3):
        qtbot.keyClick(room, Qt.Key.Key_PageDown)
    assert workshop.step == 0  # past the last scenario: back to all of them


def test_votes_by_key_and_click_undo_through_the_stack(workshop, qtbot):
    room = enter(workshop, (1024, 768))
    doc = workshop.document
    a, b = doc.districts[0].id, doc.districts[1].id
    qtbot.keyClick(room, Qt.Key.Key_1)
    qtbot.keyClick(room, Qt.Key.Key_1)
    qtbot.keyClick(room, Qt.Key.Key_2)
    assert doc.votes == {a: 2, b: 1}
    assert room.columns[0].tally.text() == "●●  2 votes"
    assert room.columns[1].tally.text() == "●  1 vote"
    qtbot.mouseClick(room.columns[2].tally, Qt.MouseButton.LeftButton)
    assert doc.votes[doc.districts[2].id] == 1
    qtbot.keyClick(room, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert doc.votes[a] == 1
    workshop.stack.undo()
    assert doc.votes[a] == 2 and room.columns[0].tally.count == 2
    qtbot.keyClick(room, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.votes.get(doc.districts[2].id, 0) == 0
    # Undo in the room stops at the plan as it came in (here: votes from an earlier
    # meeting, recorded before this workshop).
    workshop.leave()
    from districtplanner.model.commands import SetVotes

    assert not workshop.stack.push(SetVotes(doc, {a: 5}, "Votes from the last meeting"))
    room = enter(workshop, (1024, 768))
    qtbot.keyClick(room, Qt.Key.Key_2)
    assert doc.votes == {a: 5, b: 1}
    for _ in range(4):
        qtbot.keyClick(room, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.votes == {a: 5}
    assert "Nothing from this workshop to undo" in room.status.text()
    # A vote can never go below zero.
    for _ in range(5):
        workshop.vote(1, -1)
    assert doc.votes.get(b, 0) == 0


def test_sketch_strokes_and_notes_on_the_map(workshop, qtbot):
    room = enter(workshop, (1024, 768))
    doc, canvas = workshop.document, workshop.canvas
    x0, y0, x1, y1 = canvas.view_bounds()
    cx, cy, dx = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 10
    qtbot.keyClick(room, Qt.Key.Key_K)  # next colour: blue
    qtbot.keyClick(room, Qt.Key.Key_D)
    mouse.press(canvas, cx, cy)
    for i in range(1, 6):
        mouse.move_held(canvas, cx + i * dx / 5, cy + i * dx / 10)
    mouse.release(canvas, cx + dx, cy + dx / 2)
    assert len(doc.sketches) == 1
    stroke = doc.sketches[0]
    assert stroke.kind == "stroke" and stroke.colour == "#0072B2"
    assert stroke.geometry.length == pytest.approx(math.hypot(dx, dx / 2), rel=0.05)
    assert not stroke.geometry.is_empty
    # A note: the facilitator types the room's words.
    workshop.ask_note_text = lambda: "More studios by the river"
    qtbot.keyClick(room, Qt.Key.Key_T)
    mouse.click(canvas, cx - dx, cy)
    note = doc.sketches[1]
    assert note.kind == "note" and note.text == "More studios by the river"
    assert note.geometry.distance(doc.sketches[0].geometry) > 0
    assert workshop.sketch_layer.note_items[note.id].toPlainText() == note.text
    # The drawing is on the map, and undo takes the note away again.
    assert not canvas.grab().isNull()
    qtbot.keyClick(room, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [s.kind for s in doc.sketches] == ["stroke"]
    assert workshop.sketch_layer.note_items == {}
    qtbot.keyClick(room, Qt.Key.Key_Backspace)
    assert doc.sketches == []
    # Back to panning: a drag moves the map and draws nothing.
    qtbot.keyClick(room, Qt.Key.Key_H)
    mouse.press(canvas, cx, cy)
    mouse.move_held(canvas, cx + dx, cy)
    mouse.release(canvas, cx + dx, cy)
    assert doc.sketches == []


def test_leaving_gives_the_map_back_and_drops_what_ifs(workshop, window, qtbot):
    room = enter(workshop, (1024, 768))
    workshop.set_whatif("designation_uplift", 0.2)
    qtbot.keyClick(room, Qt.Key.Key_Escape)
    assert not workshop.active and not room.isVisible()
    assert window.centralWidget() is window.canvas and window.isVisible()
    assert workshop.overrides == {}
    assert window.workshop_action.shortcut().toString() == "F5"


def test_entering_workshop_is_fast(workshop):
    seconds = workshop.enter(size=(1024, 768))
    assert seconds < 1.0


def test_four_columns_chosen_in_the_console_fit_1024x768(workshop, qtbot):
    from districtplanner.model.commands import DuplicateDistrict

    doc = workshop.document
    assert not workshop.stack.push(DuplicateDistrict(doc, doc.districts[0].id))
    room = enter(workshop, (1024, 768))
    console = workshop.console
    items = [console.scenario_list.item(i) for i in range(console.scenario_list.count())]
    assert len(items) == 4
    items[3].setCheckState(Qt.CheckState.Checked)
    room.grab()
    assert [c.district_id for c in room.columns] == [d.id for d in doc.districts]
    for label in visible_labels(room):
        assert not clipped(label), label.text()
    assert room.map.width() >= 0.3 * 1024
    # A fifth does not fit: the console says so and keeps four.
    assert not workshop.stack.push(DuplicateDistrict(doc, doc.districts[1].id))
    items = [console.scenario_list.item(i) for i in range(console.scenario_list.count())]
    assert len(items) == 5
    unchecked = [i for i in items if i.checkState() == Qt.CheckState.Unchecked]
    assert len(unchecked) == 1
    unchecked[0].setCheckState(Qt.CheckState.Checked)
    assert len(room.columns) == 4 and "At most 4" in console.message.text()
    assert unchecked[0].checkState() == Qt.CheckState.Unchecked
    # Taking one away leaves three columns.
    shown = [c.district_id for c in room.columns]
    items[0].setCheckState(Qt.CheckState.Unchecked)
    assert [c.district_id for c in room.columns] == shown[1:]


def test_votes_and_sketches_survive_save_and_reopen(workshop, tmp_path):
    from shapely.geometry import LineString, Point

    from districtplanner.model.sketch import Sketch
    from districtplanner.project import load_project, save_project

    enter(workshop, (1024, 768))
    doc = workshop.document
    workshop.vote(0, 1)
    workshop.vote(0, 1)
    workshop.vote(2, 1)
    x0, y0, x1, y1 = workshop.canvas.view_bounds()
    workshop.add_sketch(Sketch("stroke", LineString([(x0, y0), (x1, y1)]), "#D55E00"))
    workshop.add_sketch(Sketch("note", Point((x0 + x1) / 2, (y0 + y1) / 2), "#0072B2",
                               "Keep the market hall"))
    path = tmp_path / "plan.gpkg"
    save_project(doc, path)
    again = load_project(path)
    # District ids are new in each session; the votes follow the districts.
    names = {d.id: d.name for d in doc.districts}
    names_again = {d.id: d.name for d in again.districts}
    assert {names_again[k]: v for k, v in again.votes.items()} == \
        {names[k]: v for k, v in doc.votes.items()} == \
        {doc.districts[0].name: 2, doc.districts[2].name: 1}
    assert [(s.kind, s.colour, s.text) for s in again.sketches] == \
        [(s.kind, s.colour, s.text) for s in doc.sketches]
    assert again.sketches[0].geometry.equals(doc.sketches[0].geometry)


def test_cards_show_their_90_percent_interval_after_the_slider_settles(workshop, qtbot,
                                                                      monkeypatch):
    """Each card's p5-p95 comes from the Monte Carlo in the window's one worker pool, after
    a slider drag ends: "…" until then, never run on the GUI thread or per slider frame."""
    import threading

    from districtplanner.ui.workshop.cards import PENDING, interval_of, interval_words

    recompute = workshop.window.recompute
    real_submit = recompute.submit
    threads = []

    def submit(fn):
        # The Sensitivity dock's own runs (the hidden main window's) are not counted.
        owner = getattr(fn, "__self__", None)
        if not any(owner is m for m in workshop._shown.values()):
            return real_submit(fn)

        def run():
            threads.append(threading.current_thread())
            return fn()
        return real_submit(run)

    monkeypatch.setattr(recompute, "submit", submit)
    # A longer pause than the room's 350 ms, so a loaded test machine's slow frames do
    # not count as the drag having ended.
    workshop._settle.setInterval(3000)
    room = enter(workshop, (1024, 768))
    doc = workshop.document
    keyed = [i for i, card in enumerate(CARDS) if card.interval_key]
    assert {CARDS[i].key for i in keyed} >= {"displacement_risk", "households_at_risk", "npv"}
    # Pending while the first run waits for the sliders to settle.
    for column in room.columns:
        for i in keyed:
            card = column.cards[i]
            if card.interval.isVisibleTo(room):
                assert card.interval.text() == PENDING
    # A drag: frames 40 ms apart repaint the figures and start no Monte Carlo.
    slider = room.strip.sliders["grant_per_job"]
    frames = []
    workshop.refreshed.connect(frames.append)
    for pos in range(500, 1001, 100):
        slider.setValue(pos)
        qtbot.wait(40)
    assert len(frames) == 6 and not threads
    assert workshop._settle.isActive()  # each frame restarted the pause
    assert all(c.cards[4].interval.text() == PENDING for c in room.columns)
    # The drag ends: every column's intervals arrive from the worker.
    ids = {c.district_id for c in room.columns}
    arrived = set()
    workshop.intervals_shown.connect(arrived.add)
    qtbot.waitUntil(lambda: arrived == ids, timeout=60_000)
    assert len(threads) == len(ids)
    assert all(t is not threading.main_thread() for t in threads)
    # They are Metrics.sensitivity()'s p5 and p95 of the same district under the same
    # what-if (20,000 € per job), computed here independently of the room.
    index = workshop.window.session.figures.index
    for column, d in zip(room.columns, doc.districts, strict=False):
        package = [type(i)(i.kind, i.name, i.enabled, i.eligible_sectors,
                           {**i.params, "grant_per_job": 20000.0}
                           if i.kind is InstrumentKind.JOB_GRANT else i.params, i.start_year)
                   for i in d.instruments]
        m = compute(index, d.geometry, doc.assumptions, package)
        sens = m.sensitivity()
        risk = sens.figures["displacement_risk"].interval
        npv = sens.figures["npv"].interval
        households = sens.figures["households_priced_out"].interval
        keep = 1 - doc.assumptions.clt_share
        assert column.cards[2].interval.text() == \
            f"90%: {risk['p5']:.2f} – {risk['p95']:.2f}"
        assert column.cards[4].interval.text() == \
            interval_words(CARDS[4], (npv["p5"], npv["p95"]))
        assert column.cards[3].interval.text() == \
            interval_words(CARDS[3], (households["p5"] * keep, households["p95"] * keep))
        assert interval_of(CARDS[4], m, sens) == (npv["p5"], npv["p95"])
        # Cards with no interval of their own figure show no line (cost per job is not
        # the model's cost per discounted job-year).
        assert interval_of(CARDS[5], m, sens) is None
        assert not column.cards[5].interval.isVisibleTo(room)
    room.grab()
    for label in visible_labels(room):
        assert not clipped(label), label.text()
    # The next slider frame makes them pending again until it settles.
    threads.clear()
    slider.setValue(600)
    assert all(c.cards[4].interval.text() == PENDING for c in room.columns)
    assert not threads
