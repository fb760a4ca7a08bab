"""The thin Qt view of the model's command stack: Undo/Redo actions that follow it and the
Edit > History list. The stack itself (model/commands.py) knows nothing of Qt."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from districtplanner.model.commands import CommandStack

EMPTY_ENTRY = "<opened plan>"


def redo_shortcuts() -> list[QKeySequence]:
    """The platform's Redo keys plus Ctrl+Shift+Z, each once: the same sequence twice makes
    Qt report an ambiguous shortcut and trigger nothing."""
    keys = list(QKeySequence.keyBindings(QKeySequence.StandardKey.Redo))
    extra = QKeySequence("Ctrl+Shift+Z")
    if all(k != extra for k in keys):
        keys.insert(0, extra)
    return keys


class UndoActions(QObject):
    """``undo`` and ``redo`` QActions enabled and labelled from the stack."""

    def __init__(self, stack: CommandStack, parent: QObject) -> None:
        super().__init__(parent)
        self.stack = stack
        self.undo = QAction("&Undo", parent)
        self.undo.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Undo))
        self.undo.triggered.connect(self._undo)
        self.redo = QAction("&Redo", parent)
        self.redo.setShortcuts(redo_shortcuts())
        self.redo.triggered.connect(self._redo)
        self.notice = None  # callable(str) that shows a refusal, set by the window
        stack.changed.connect(self.refresh)
        self.destroyed.connect(lambda *_: stack.changed.disconnect(self.refresh))
        self.refresh()

    def refresh(self) -> None:
        s = self.stack
        self.undo.setEnabled(s.can_undo)
        self.redo.setEnabled(s.can_redo)
        self.undo.setText(f"&Undo {s.undo_text}" if s.can_undo else "&Undo")
        self.redo.setText(f"&Redo {s.redo_text}" if s.can_redo else "&Redo")

    def _undo(self) -> None:
        self.stack.finish_open_gesture()  # a drag whose release never arrived
        self._report(self.stack.undo())

    def _redo(self) -> None:
        self.stack.finish_open_gesture()
        self._report(self.stack.redo())

    def _report(self, problem: str) -> None:
        if problem and self.notice is not None:
            self.notice(problem)


class HistoryView(QListWidget):
    """Every step of the session, oldest first; the current state is selected, and clicking
    a step undoes or redoes up to it (as QUndoView does)."""

    def __init__(self, stack: CommandStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stack = stack
        self.setWindowTitle("Edit history")
        self._filling = False
        self.currentRowChanged.connect(self._go_to)
        stack.changed.connect(self.refresh)
        self.destroyed.connect(lambda *_: stack.changed.disconnect(self.refresh))
        self.refresh()

    def refresh(self) -> None:
        self._filling = True
        try:
            self.clear()
            for i, text in enumerate([EMPTY_ENTRY, *self.stack.texts()]):
                item = QListWidgetItem(text)
                if i > self.stack.index:  # undone steps, still redoable
                    item.setForeground(Qt.GlobalColor.gray)
                self.addItem(item)
            self.setCurrentRow(self.stack.index)
        finally:
            self._filling = False

    def _go_to(self, row: int) -> None:
        if not self._filling and row >= 0:
            self.stack.set_index(row)
