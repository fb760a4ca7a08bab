"""The one selection every view writes to and draws from (DESIGN.md, "One selection model").

A selection is a description (sectors, a value range on a named variable, a neighbourhood),
never a list of drawn items; analysis turns it into feature ids per layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from psygnal import Signal


class CombineMode(StrEnum):
    REPLACE = "replace"
    ADD = "add"
    SUBTRACT = "subtract"


@dataclass(frozen=True)
class ValueRange:
    """A highlighted interval ``[low, high]`` on a variable such as ``rent`` (EUR/m²/month)."""

    variable: str
    low: float
    high: float

    def __post_init__(self) -> None:
        if self.low > self.high:
            lo, hi = self.high, self.low
            object.__setattr__(self, "low", lo)
            object.__setattr__(self, "high", hi)


@dataclass(frozen=True)
class SelectionState:
    active_district: str | None = None
    sectors: frozenset[str] = field(default_factory=frozenset)
    value_range: ValueRange | None = None
    neighbourhood: int | None = None
    hovered_neighbourhood: int | None = None


def combine_sets(current: frozenset[str], new: frozenset[str], mode: CombineMode) -> frozenset[str]:
    """Replace, add to or subtract from a set-valued selection (sectors, ids)."""
    if mode is CombineMode.ADD:
        return current | new
    if mode is CombineMode.SUBTRACT:
        return current - new
    return frozenset(new)


class Selection:
    """Holds a SelectionState and emits ``changed(state)`` once per real change.

    The re-entrancy guard means a view that mirrors the selection can write back inside its
    own handler without starting a loop.
    """

    changed = Signal(object)

    def __init__(self) -> None:
        self._state = SelectionState()
        self._emitting = False

    @property
    def state(self) -> SelectionState:
        return self._state

    @property
    def active_district(self) -> str | None:
        return self._state.active_district

    @property
    def sectors(self) -> frozenset[str]:
        return self._state.sectors

    @property
    def value_range(self) -> ValueRange | None:
        return self._state.value_range

    @property
    def neighbourhood(self) -> int | None:
        return self._state.neighbourhood

    @property
    def hovered_neighbourhood(self) -> int | None:
        return self._state.hovered_neighbourhood

    def _set(self, **changes: object) -> None:
        new = replace(self._state, **changes)  # type: ignore[arg-type]
        if new == self._state:
            return
        self._state = new
        if self._emitting:
            return
        self._emitting = True
        try:
            self.changed.emit(new)
        finally:
            self._emitting = False

    def set_active_district(self, district_id: str | None) -> None:
        self._set(active_district=district_id)

    def set_sectors(self, sectors: set[str] | frozenset[str],
                    mode: CombineMode = CombineMode.REPLACE) -> None:
        self._set(sectors=combine_sets(self._state.sectors, frozenset(sectors), mode))

    def set_value_range(self, value_range: ValueRange | None) -> None:
        self._set(value_range=value_range)

    def set_neighbourhood(self, index: int | None) -> None:
        self._set(neighbourhood=index)

    def set_hovered_neighbourhood(self, index: int | None) -> None:
        self._set(hovered_neighbourhood=index)

    def clear_highlights(self) -> None:
        self._set(sectors=frozenset(), value_range=None, neighbourhood=None)
