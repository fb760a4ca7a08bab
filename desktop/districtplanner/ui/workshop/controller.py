"""Workshop mode: the state of a session in the room and the windows that show it.

The Workshop owns what the room sees (which districts are columns, the what-if values,
the focused step) and moves the main window's map into the room view while it runs, so
the map keeps its layers, tools and zoom. The plan is locked in workshop mode except for
what the room is there to do: draw or edit a scenario's district, vote, and sketch. Votes
and sketches are commands on the plan's command stack, so they undo like any other edit
and are saved with the plan. What-if values never touch the plan; "Reset to the plan's
values" and leaving the workshop drop them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QScreen, QShortcut
from PySide6.QtWidgets import QInputDialog, QMainWindow, QWidget

from districtplanner.model.commands import AddSketch, CommandStack, RemoveSketch, SetVotes
from districtplanner.model.sketch import Sketch
from districtplanner.ui.map.sketch_item import SKETCH_COLOURS, SketchLayer, SketchPen
from districtplanner.ui.workshop.console import MAX_COLUMNS, FacilitatorConsole
from districtplanner.ui.workshop.room import RoomView
from districtplanner.ui.workshop.scenarios import (
    DEFAULT_WHATIFS,
    WHATIFS,
    ScenarioFigures,
    plan_value,
)

log = logging.getLogger(__name__)

#: Pen width and note text height (pixels) on the planner's map; the room view scales them.
SKETCH_SIZES = (5.0, 18.0)
#: Milliseconds without a new slider frame before the cards' intervals are computed (the
#: Sensitivity dock's pause: a drag has ended).
INTERVAL_SETTLE_MS = 350


class Workshop(QObject):
    """Workshop mode of ``window`` (a MainWindow: its document, canvas and recompute)."""

    entered = Signal()
    left = Signal()
    refreshed = Signal(float)  # seconds the last figures + repaint request took
    intervals_shown = Signal(str)  # district id whose cards got their intervals
    _interval_done = Signal(object, str, object)  # (future, district id, Metrics), queued

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document  # type: ignore[attr-defined]
        self.canvas = window.canvas  # type: ignore[attr-defined]
        # The Session's figures hold the city index (the window's Recompute builds it).
        session = getattr(window, "session", None)
        self.figures = ScenarioFigures(
            lambda: session.figures.index if session is not None
            else window.recompute.index)  # type: ignore[attr-defined]
        self.levers: list[str] = list(DEFAULT_WHATIFS)
        self.overrides: dict[str, float] = {}
        self.reference = "first"  # or "city"
        self.scenario_ids: list[str] = []
        self.step = 0  # 0: every scenario; n: the n-th column
        self.active = False
        self.room: RoomView | None = None
        self.console: FacilitatorConsole | None = None
        self._own_stack: CommandStack | None = None
        self._previous_tool = "pan"
        self._listed: list[tuple[str, str]] = []
        self._entry_index = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)
        # The cards' intervals: a Monte Carlo per column in the window's one worker pool,
        # started once the sliders settle, so a slider frame never waits for one.
        self._shown: dict[str, object] = {}
        self._interval_futures: dict[str, Future] = {}
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(INTERVAL_SETTLE_MS)
        self._settle.timeout.connect(self._start_intervals)
        self._interval_done.connect(self._interval_arrived, Qt.ConnectionType.QueuedConnection)
        # Sketches are part of the plan: they show on the main map too.
        self.sketch_layer = SketchLayer(self.canvas, self.document)
        self.pen = SketchPen(self.canvas, self.sketch_layer, self.add_sketch, self._ask_note)
        self.ask_note_text: Callable[[], str | None] | None = None
        doc = self.document
        doc.districts_changed.connect(self._districts_changed)
        doc.assumptions_changed.connect(lambda _a: self.schedule())
        doc.votes_changed.connect(self._votes_changed)
        window.recompute.index_ready.connect(self.schedule)  # type: ignore[attr-defined]
        app = QGuiApplication.instance()
        app.screenAdded.connect(self._screens_changed)  # type: ignore[attr-defined]
        app.screenRemoved.connect(self._screens_changed)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ stack
    @property
    def stack(self) -> CommandStack:
        """The plan's command stack (the window's), so votes and sketches undo with the
        rest of the plan's edits."""
        for owner in (getattr(self.window, "session", None), self.window):
            stack = getattr(owner, "stack", None)
            if isinstance(stack, CommandStack):
                return stack
        if self._own_stack is None:
            self._own_stack = CommandStack(self.document)
        return self._own_stack

    # ------------------------------------------------------------- enter/leave
    def default_scenarios(self) -> list[str]:
        return [d.id for d in self.document.districts[:MAX_COLUMNS]]

    def enter(self, screen: QScreen | None = None, size: tuple[int, int] | None = None
              ) -> float:
        """Show the room view full screen on ``screen`` (default: a second screen when
        there is one, else the window's), the console on the other screen; ``size``
        instead shows a plain window of that size (headless screenshots). Returns the
        seconds it took."""
        t0 = time.perf_counter()
        if self.active:
            return 0.0
        self.active = True
        ids = {d.id for d in self.document.districts}
        self.scenario_ids = [i for i in self.scenario_ids if i in ids] or \
            self.default_scenarios()
        self.step = 0
        if self.room is None:
            self._build_windows()
        assert self.room is not None and self.console is not None
        # Undo in the room stops at the edits made in the room: the plan as it came in
        # is locked.
        self._entry_index = self.stack.index
        self._previous_tool = getattr(self.canvas.tool, "name", "pan") or "pan"
        self.canvas.set_tool("pan")
        self.room.title.setText(self.document.title or "Untitled plan")
        taken = self.window.takeCentralWidget()
        self.room.set_map(taken)
        self._scale_sketches(self.room.scale)
        self._rebuild_columns()
        self.refresh()
        if size is not None:
            self.room.resize(*size)
            self.room.show()
        else:
            self._place(screen)
        self.window.hide()
        self._go_to_step(0)
        self.entered.emit()
        return time.perf_counter() - t0

    def leave(self) -> None:
        """Back to the planner's window; the what-if values are dropped, the map returns."""
        if not self.active or self.room is None or self.console is None:
            return
        self.active = False
        self._settle.stop()
        self._shown, self._interval_futures = {}, {}
        self.pen.set_mode("")
        self.overrides.clear()
        self.room.set_map(None)
        self.window.setCentralWidget(self.canvas)
        self.sketch_layer.set_sizes(*SKETCH_SIZES)
        self.canvas.set_tool(self._previous_tool)
        self.room.hide()
        self.console.hide()
        self.window.show()
        self.left.emit()

    def _build_windows(self) -> None:
        self.room = RoomView(self.document.title or "Untitled plan")
        self.console = FacilitatorConsole()
        room, console = self.room, self.console
        room.strip.moved.connect(self.set_whatif)
        room.strip.reset.connect(self.reset_whatifs)
        console.strip.moved.connect(self.set_whatif)
        console.strip.reset.connect(self.reset_whatifs)
        console.scenarios_chosen.connect(self.set_scenarios)
        console.levers_chosen.connect(self.set_levers)
        console.reference_chosen.connect(self.set_reference)
        console.vote.connect(self.vote)
        console.sketch_mode.connect(self.pen.set_mode)
        console.sketch_colour.connect(self.pen.set_colour)
        console.remove_last_sketch.connect(self.remove_last_sketch)
        console.leave.connect(self.leave)
        room.scaled.connect(self._scale_sketches)
        for w in (room, console):
            self._shortcuts(w)

    def _shortcuts(self, w: QWidget) -> None:
        def key(seq: str | QKeySequence, slot: Callable[[], object]) -> None:
            sc = QShortcut(QKeySequence(seq), w)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(slot)

        key("Esc", self.leave)
        key("F5", self.leave)
        for seq in ("PgDown", "Right", "Down", "Space"):
            key(seq, self.next_step)
        for seq in ("PgUp", "Left", "Up"):
            key(seq, self.previous_step)
        for n in range(1, MAX_COLUMNS + 1):
            key(str(n), lambda c=n - 1: self.vote(c, 1))
            key(f"Alt+{n}", lambda c=n - 1: self.vote(c, -1))
        key("D", lambda: self.pen.set_mode("stroke"))
        key("T", lambda: self.pen.set_mode("note"))
        key("H", lambda: self.pen.set_mode(""))
        key("K", self.next_colour)
        key("Backspace", self.remove_last_sketch)
        key("F6", self.toggle_console)
        key(QKeySequence.StandardKey.Undo, self.undo)
        key("Ctrl+Shift+Z", self.stack.redo)

    # ----------------------------------------------------------------- screens
    def _screen_pair(self, chosen: QScreen | None) -> tuple[QScreen, QScreen | None]:
        """(projector, laptop or None): the chosen screen, else any screen but the one the
        planner's window is on (the projector is the one plugged in beside the laptop)."""
        screens = QGuiApplication.screens()
        home = self.window.screen() or QGuiApplication.primaryScreen()
        if chosen is not None and chosen in screens:
            projector = chosen
        else:
            others = [s for s in screens if s is not home]
            projector = max(others, key=lambda s: s.geometry().width()) if others else home
        laptop = home if home is not projector else next(
            (s for s in screens if s is not projector), None)
        return projector, laptop

    def _place(self, chosen: QScreen | None = None) -> None:
        """Put the room view on the projector before it goes full screen (a full-screen
        window cannot move between screens), the console on the laptop."""
        assert self.room is not None and self.console is not None
        projector, laptop = self._screen_pair(chosen)
        room = self.room
        if room.isFullScreen():
            room.showNormal()
        room.setGeometry(projector.geometry())
        handle = room.windowHandle()
        if handle is None:
            room.create()
            handle = room.windowHandle()
        handle.setScreen(projector)
        room.setGeometry(projector.geometry())
        room.showFullScreen()
        if laptop is not None:
            self.console.setGeometry(laptop.availableGeometry())
            self.console.show()
        else:
            self.console.hide()
        self.room.status.setText(f"on {projector.name() or 'this screen'}")

    def _screens_changed(self, _screen: QScreen) -> None:
        # A projector plugged in or pulled out mid-session: re-place both windows once
        # Qt has moved any orphaned window.
        if self.active and self.room is not None and self.room.isFullScreen():
            QTimer.singleShot(0, self._place)

    def _scale_sketches(self, s: float) -> None:
        """Strokes and notes as thick and large as the room view's text."""
        if self.active:
            pen, note = SKETCH_SIZES
            self.sketch_layer.set_sizes(pen * s, note * s)

    def toggle_console(self) -> None:
        if self.console is not None:
            self.console.setVisible(not self.console.isVisible())
            if self.console.isVisible():
                self.console.raise_()

    # ---------------------------------------------------------------- content
    def _rebuild_columns(self) -> None:
        assert self.room is not None and self.console is not None
        doc = self.document
        by_id = {d.id: d for d in doc.districts}
        self.room.set_columns([(i, by_id[i].name, by_id[i].colour) for i in self.scenario_ids])
        for n, column in enumerate(self.room.columns):
            column.tally.vote.connect(lambda delta, n=n: self.vote(n, delta))
        self.room.strip.set_levers(self.levers, self.values())
        self.console.strip.set_levers(self.levers, self.values())
        self._listed = [(d.id, d.name) for d in doc.districts]
        self.console.set_choices(self._listed, self.scenario_ids, self.levers)
        self.room.set_votes(doc.votes)
        self.schedule()

    def values(self) -> dict[str, float]:
        """Every lever's current value: the what-if when set, else the plan's."""
        doc = self.document
        scen = [d for d in doc.districts if d.id in self.scenario_ids] or list(doc.districts)
        return {k: self.overrides.get(k, plan_value(WHATIFS[k], doc.assumptions, scen))
                for k in self.levers}

    def set_scenarios(self, ids: list[str]) -> None:
        known = {d.id for d in self.document.districts}
        self.scenario_ids = [i for i in ids if i in known][:MAX_COLUMNS]
        if self.room is not None:
            self._rebuild_columns()
            self._go_to_step(0)

    def set_levers(self, keys: list[str]) -> None:
        self.levers = list(keys)
        if self.room is not None:
            self._rebuild_columns()

    def set_reference(self, mode: str) -> None:
        self.reference = "city" if mode == "city" else "first"
        self.refresh()

    def set_whatif(self, key: str, value: float) -> None:
        """A slider moved: every column is recomputed and repainted now, not later, so
        the room sees the figures move with the slider."""
        self.overrides[key] = float(value)
        for strip in (self.room.strip, self.console.strip) if self.room and self.console \
                else ():
            strip.set_values(self.values())
        self.refresh()

    def reset_whatifs(self) -> None:
        self.overrides.clear()
        if self.room is not None and self.console is not None:
            self.room.strip.set_values(self.values())
            self.console.strip.set_values(self.values())
        self.refresh()

    def schedule(self) -> None:
        if self.active and not self._timer.isActive():
            self._timer.start()

    def refresh(self) -> None:
        """Figures of every column under the what-if values, into the room view."""
        self._timer.stop()
        if self.room is None or not self.active:
            return
        t0 = time.perf_counter()
        by_id = {d.id: d for d in self.document.districts}
        districts = [by_id[i] for i in self.scenario_ids if i in by_id]
        ref = self.scenario_ids[0] if self.reference == "first" and self.scenario_ids else None
        try:
            result = self.figures.compute(districts, self.document.assumptions,
                                          self.overrides, city=ref is None)
        except Exception as exc:  # a figure failing must not end the workshop
            log.exception("workshop figures failed")
            self.room.status.setText(f"Could not compute the figures: {exc}")
            return
        if result is None:
            self.room.status.setText("Indexing the city…")
            return
        city, figures = result
        self.room.show_figures(city, figures, ref)
        self.room.status.setText(self.status_text())
        # The cards now say "…"; their intervals follow once no frame comes for a while.
        self._shown = dict(figures)
        self._interval_futures = {}
        self._settle.start()
        self.refreshed.emit(time.perf_counter() - t0)

    # -------------------------------------------------------------- intervals
    def _start_intervals(self) -> None:
        """One Monte Carlo per shown column, queued in the window's worker pool."""
        if not self.active:
            return
        submit = self.window.recompute.submit  # type: ignore[attr-defined]
        for did, m in self._shown.items():
            try:
                fut = submit(m.sensitivity)  # type: ignore[attr-defined]
            except RuntimeError:  # the window is closing: its pool is shut down
                return
            self._interval_futures[did] = fut
            fut.add_done_callback(lambda f, d=did, m=m: self._interval_done.emit(f, d, m))

    def _interval_arrived(self, fut: Future, district_id: str, m: object) -> None:
        if self.room is None or self._interval_futures.get(district_id) is not fut \
                or self._shown.get(district_id) is not m:
            return  # a newer slider frame superseded it: its own run is coming
        del self._interval_futures[district_id]
        try:
            result = fut.result()
        except Exception:  # a failed Monte Carlo leaves "no interval", never the workshop
            log.exception("workshop interval failed")
            result = None
        self.room.show_intervals(district_id, m, result)  # type: ignore[arg-type]
        self.intervals_shown.emit(district_id)

    def wait_for_intervals(self, timeout: float = 60.0) -> None:
        """Start any pending intervals now and deliver them (tests, screenshots)."""
        if self._settle.isActive():
            self._settle.stop()
            self._start_intervals()
        for did, fut in list(self._interval_futures.items()):
            fut.result(timeout=timeout)
            self._interval_arrived(fut, did, self._shown.get(did))

    def status_text(self) -> str:
        """What the room is looking at: the plan, or which levers are moved."""
        changed = [WHATIFS[k] for k in self.overrides if k in WHATIFS]
        if not changed:
            return "The plan's values · Esc leaves"
        if len(changed) == 1:
            return f"What if: {changed[0].label} {changed[0].shown(self.overrides[changed[0].key])}"
        return f"What if: {len(changed)} levers moved"

    def _districts_changed(self, district_id: str | None) -> None:
        """A district added, removed or renamed rebuilds the columns and the console's
        list; a changed shape or package only recomputes."""
        if not self.active:
            return
        known = [(d.id, d.name) for d in self.document.districts]
        ids = {i for i, _ in known}
        if any(i not in ids for i in self.scenario_ids) or known != self._listed:
            self.scenario_ids = [i for i in self.scenario_ids if i in ids] or \
                self.default_scenarios()
            self._rebuild_columns()
        else:
            self.schedule()

    def _votes_changed(self, votes: dict[str, int]) -> None:
        if self.room is not None:
            self.room.set_votes(votes)

    # ------------------------------------------------------------- navigation
    def next_step(self) -> None:
        self._go_to_step((self.step + 1) % (len(self.scenario_ids) + 1))

    def previous_step(self) -> None:
        self._go_to_step((self.step - 1) % (len(self.scenario_ids) + 1))

    def _go_to_step(self, step: int) -> None:
        """Step 0 shows every scenario on the map; step n zooms to the n-th and makes it
        the active district (so the edit tools work on it)."""
        self.step = step
        if self.room is None:
            return
        self.room.set_focus_column(step - 1 if step else None)
        by_id = {d.id: d for d in self.document.districts}
        shown = [by_id[i] for i in self.scenario_ids if i in by_id]
        if step and step <= len(shown):
            d = shown[step - 1]
            self.document.selection.set_active_district(d.id)
            self.canvas.zoom_to(d.geometry.buffer(max(300.0, d.geometry.length * 0.05)).bounds)
        elif shown:
            import shapely

            self.canvas.zoom_to(shapely.union_all([d.geometry for d in shown]).bounds)

    # ------------------------------------------------------------- the room
    def vote(self, column: int, delta: int) -> str:
        """One dot vote more (or fewer) for the scenario in ``column``; '' or why not."""
        if not 0 <= column < len(self.scenario_ids):
            return ""
        did = self.scenario_ids[column]
        votes = self.document.votes
        new = max(0, votes.get(did, 0) + delta)
        if new == votes.get(did, 0):
            return ""
        votes[did] = new
        name = self.document.district(did).name
        verb = "Vote for" if delta > 0 else "Take back a vote for"
        return self.stack.push(SetVotes(self.document, votes, f"{verb} {name}"))

    def undo(self) -> str:
        """Undo the room's last step (a vote, a sketch, a district edit); the steps from
        before the workshop are out of reach here."""
        if self.stack.index <= self._entry_index:
            if self.room is not None:
                self.room.status.setText("Nothing from this workshop to undo.")
            return ""
        return self.stack.undo()

    def add_sketch(self, sketch: Sketch) -> str:
        problem = self.stack.push(AddSketch(self.document, sketch))
        if problem and self.room is not None:
            self.room.status.setText(problem)
        return problem

    def remove_last_sketch(self) -> str:
        sketches = self.document.sketches
        if not sketches:
            return ""
        return self.stack.push(RemoveSketch(self.document, sketches[-1].id))

    def next_colour(self) -> None:
        colours = list(SKETCH_COLOURS.values())
        i = colours.index(self.pen.colour) if self.pen.colour in colours else -1
        self.pen.set_colour(colours[(i + 1) % len(colours)])

    def _ask_note(self) -> str | None:
        if self.ask_note_text is not None:
            return self.ask_note_text()
        text, ok = QInputDialog.getText(self.room or self.window, "Note on the map",
                                        "The room's idea, in a few words:")
        return text if ok else None
