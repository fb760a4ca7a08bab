"""Incentives panel: the active district's instrument package (editable), its annual public
cost by instrument against the budget cap, NPV and cost per job."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from districtplanner.analysis.incentives import (
    KIND_LABELS,
    Instrument,
    InstrumentKind,
)
from districtplanner.model.commands import CommandStack, UpdateDistrict
from districtplanner.model.document import Document
from districtplanner.ui import theme
from districtplanner.ui.dialogs.instrument import InstrumentDialog
from districtplanner.ui.panels.base import FigurePanel, explanation
from districtplanner.ui.panels.charts import StackedBarChart
from districtplanner.ui.panels.layers import swatch
from districtplanner.ui.panels.tiles import fmt_money, fmt_number
from districtplanner.ui.recompute import MetricsBundle

#: Below this width the figures, chart and package stack instead of sitting side by side.
NARROW_PX = 760
#: The workspace set-aside's bars in the annual cost chart (a lever, not an instrument).
SET_ASIDE_COLOUR = "#8C7B6B"


def year_list(years: list[int], limit: int = 4) -> str:
    """The first ``limit`` years, and '…' when there are more (a cut list must say so)."""
    shown = ", ".join(str(y) for y in years[:limit])
    return shown + (", …" if len(years) > limit else "")


def _summary(inst: Instrument) -> str:
    p = inst.params
    k = inst.kind
    if k is InstrumentKind.TAX_ABATEMENT:
        return f"{p['share']:.0%} for {p['years']:.0f} y"
    if k is InstrumentKind.JOB_GRANT:
        return f"{p['grant_per_job']:,.0f} per new job"
    if k is InstrumentKind.STARTUP_GRANT:
        return f"{p['startups_per_year']:.0f}/y × {p['grant']:,.0f}"
    if k is InstrumentKind.LOAN:
        return f"{p['principal']:,.0f} at {p['concessional_rate']:.1%} vs {p['market_rate']:.1%}"
    if k is InstrumentKind.WORKSPACE_SUBSIDY:
        return f"{p['floor_area_m2']:,.0f} m² at {p['rent_cap_share']:.0%} of rent"
    return f"private partner pays {p['private_share']:.0%}"


class IncentivesPanel(FigurePanel):
    def __init__(self, document: Document, undo_stack: CommandStack | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(document, parent)
        self.undo_stack = undo_stack or CommandStack(document)
        self._table_key: tuple | None = None
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Instrument", "Terms", "Starts"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(100)
        self.table.setMaximumHeight(200)
        self.table.itemChanged.connect(self._item_changed)
        self.table.cellDoubleClicked.connect(lambda row, _c: self.edit_instrument(row))
        add = QPushButton("Add…")
        menu = QMenu(add)
        for kind in InstrumentKind:
            menu.addAction(KIND_LABELS[kind], lambda k=kind: self.add_instrument(k))
        add.setMenu(menu)
        edit = QPushButton("Edit…")
        edit.clicked.connect(lambda: self.edit_instrument(self.table.currentRow()))
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: self.remove_instrument(self.table.currentRow()))
        row = QHBoxLayout()
        for b in (add, edit, remove):
            row.addWidget(b)
        row.addStretch(1)

        # The nominal total is the NPV tile's detail: its slot holds the plan's cost.
        for key, title in (("npv", "Net present value"),
                           ("plan_cost", "Plan's public cost"),
                           ("cost_per_job", "Cost per job created"),
                           ("cost_per_job_total", "Cost per job incl. multiplier"),
                           ("cost_per_protected_m2", "Cost per protected m²"),
                           ("budget", "Budget check")):
            self.tiles.add(key, title)
        self.chart = StackedBarChart("public cost (k per year)", "plan year")
        self.chart.setMinimumHeight(150)
        self.chart.setMaximumHeight(230)
        self.chart.setToolTip("Annual public cost, stacked by instrument (colours as in the "
                              "package table); dashed line: the annual budget cap")
        self.budget_note = QLabel("")
        self.budget_note.setWordWrap(True)

        # A wide strip under the map: figures | annual cost chart | the package, side by side.
        figures = QVBoxLayout()
        figures.addWidget(self.tiles)
        figures.addWidget(self.budget_note)
        figures.addStretch(1)
        package = QVBoxLayout()
        package.addWidget(self._section("Instrument package (double-click to edit)"))
        package.addWidget(self.table, 1)
        package.addLayout(row)
        self.strip = strip = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        strip.addLayout(figures, 5)
        strip.addWidget(self.chart, 4)
        strip.addLayout(package, 4)
        self.body.addLayout(strip, 1)

    def resizeEvent(self, event: QResizeEvent) -> None:
        # In a narrow dock (a tab of the right column on a small screen) the strip stacks,
        # so the package table and its buttons stay in view instead of off to the right.
        narrow = event.size().width() < NARROW_PX
        self.strip.setDirection(QBoxLayout.Direction.TopToBottom if narrow
                                else QBoxLayout.Direction.LeftToRight)
        self.table.setMaximumHeight(150 if narrow else 200)
        super().resizeEvent(event)

    # ----------------------------------------------------------------- package edits
    def _district(self):
        did = self.document.selection.active_district
        return self.document.district(did) if did else None

    def _set_package(self, instruments: list[Instrument], text: str) -> None:
        d = self._district()
        if d is not None:
            problem = self.undo_stack.push(UpdateDistrict(
                self.document, d.id, instruments=instruments, text=f"{text} ({d.name})"))
            self.show_message(problem)
            if problem:
                self._fill_table()

    def add_instrument(self, kind: InstrumentKind) -> None:
        d = self._district()
        if d is None:
            self.show_message("Select or draw a district first: instruments belong to one.")
            return
        self._set_package([*d.instruments, Instrument(kind)], f"Add {KIND_LABELS[kind]}")

    def edit_instrument(self, row: int) -> None:
        d = self._district()
        if d is None or not 0 <= row < len(d.instruments):
            return
        dialog = InstrumentDialog(d.instruments[row], self,
                                  currency=self.document.assumptions.currency)
        if dialog.exec() and dialog.instrument() is not None:
            new = list(d.instruments)
            new[row] = dialog.instrument()
            self._set_package(new, f"Edit {new[row].name}")

    def remove_instrument(self, row: int) -> None:
        d = self._district()
        if d is None or not 0 <= row < len(d.instruments):
            return
        new = list(d.instruments)
        gone = new.pop(row)
        self._set_package(new, f"Remove {gone.name}")

    def _item_changed(self, item: QTableWidgetItem) -> None:
        d = self._district()
        if d is None or item.column() != 0 or not 0 <= item.row() < len(d.instruments):
            return
        enabled = item.checkState() == Qt.CheckState.Checked
        inst = d.instruments[item.row()]
        if inst.enabled != enabled:
            new = list(d.instruments)
            new[item.row()] = Instrument(inst.kind, inst.name, enabled, inst.eligible_sectors,
                                         dict(inst.params), inst.start_year)
            self._set_package(new, f"{'Enable' if enabled else 'Disable'} {inst.name}")

    # ------------------------------------------------------------------------ show
    def _package_key(self) -> tuple:
        """What the table shows, by value: a vertex drag changes none of it, so the table is
        not rebuilt on every frame of a drag."""
        d = self._district()
        return (None,) if d is None else (d.id, *map(repr, d.instruments))

    def _fill_table(self) -> None:
        d = self._district()
        instruments = d.instruments if d is not None else []
        self._table_key = self._package_key()
        self.table.blockSignals(True)
        self.table.setRowCount(len(instruments))
        for r, inst in enumerate(instruments):
            name = QTableWidgetItem(
                swatch("polygon", "#FFFFFF", theme.INSTRUMENT_COLOURS[inst.kind.value]), inst.name)
            name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsUserCheckable)
            name.setCheckState(Qt.CheckState.Checked if inst.enabled else Qt.CheckState.Unchecked)
            name.setToolTip(f"{KIND_LABELS[inst.kind]}; eligible: "
                            f"{', '.join(inst.eligible_sectors) or 'none'}")
            self.table.setItem(r, 0, name)
            self.table.setItem(r, 1, QTableWidgetItem(_summary(inst)))
            self.table.setItem(r, 2, QTableWidgetItem(f"year {inst.start_year}"))
        self.table.resizeColumnsToContents()
        self.table.blockSignals(False)

    def show_metrics(self, bundle: MetricsBundle) -> None:
        self.bundle = bundle
        if self._table_key != self._package_key():
            self._fill_table()
        m = bundle.active
        if m is None:
            self.set_heading("No district selected: draw or pick one to cost its incentives.")
            for tile in self.tiles.tiles.values():
                tile.set_value("—", "", "")
            self.chart.set_data(np.arange(0), {}, [])
            self.budget_note.setText("")
            return
        self.set_heading(f"{m.name}: incentive package")
        r = m.incentives
        cur = r.currency
        ex = r.explanations
        rate = bundle.assumptions.discount_rate
        self.tiles["npv"].set_value(
            fmt_money(r.npv, cur), f"at {rate:.1%} real, {r.price_year} prices; "
            f"{fmt_money(r.nominal_total, cur)} undiscounted over {len(r.years)} y",
            ex.get("npv", "") + "\n\n" + ex.get("nominal_total", ""))
        self.tiles["cost_per_job"].set_value(
            fmt_money(r.cost_per_job_direct, cur),
            f"{fmt_number(r.jobs_created_direct)} direct jobs created",
            ex.get("cost_per_job", ""))
        self.tiles["cost_per_job_total"].set_value(
            fmt_money(r.cost_per_job_total, cur),
            f"{fmt_number(r.jobs_created_total)} jobs with ×{bundle.assumptions.jobs_multiplier:g}",
            ex.get("cost_per_job", ""))
        self.tiles["cost_per_protected_m2"].set_value(
            fmt_money(r.cost_per_protected_m2, cur),
            f"{fmt_number(r.protected_workspace_m2)} m² protected",
            ex.get("cost_per_protected_m2", ""))
        # The plan's cost: the package plus the mitigation levers (CLT land, workspace
        # set-aside), whose recurring part is what the yearly cap is checked against.
        plan = m.plan_cost
        plan_text = explanation(m, "plan.cost")
        self.tiles["plan_cost"].set_value(
            fmt_money(plan.gross_npv, cur),
            f"package + mitigations {fmt_money(plan.mitigation_npv, cur)}; "
            f"{fmt_money(plan.net_npv, cur)} net of the tax on the uplift", plan_text)
        with_set_aside = plan.affordable_workspace_npv > 0
        scope = "package + set-aside" if with_set_aside else "package"
        budget_text = ex.get("budget", "") + "\n\n" + plan_text
        if not plan.budget_cap:
            self.tiles["budget"].set_value("no cap", "", budget_text)
        elif plan.within_budget:
            self.tiles["budget"].set_value(
                "within cap", f"{scope} ≤ {fmt_money(plan.budget_cap, cur)}/y; CLT land "
                "(one-off) apart", budget_text, colour=theme.GOOD)
        else:
            years = year_list(plan.over_budget_years)
            self.tiles["budget"].set_value(f"over in {len(plan.over_budget_years)} y",
                                           f"{scope}, years {years}", budget_text,
                                           colour=theme.WARNING)
        parts = {name: np.asarray(v, dtype=float) for name, v in r.cost_by_instrument.items()}
        colours = [theme.INSTRUMENT_COLOURS.get(r.instrument_kinds.get(name, ""), "#999999")
                   for name in parts]
        if with_set_aside:  # the bars add up to what the cap line is checked against
            parts["Workspace set-aside"] = np.asarray(
                m.affordability.affordable_workspace_cost_by_year, dtype=float)
            colours.append(SET_ASIDE_COLOUR)
        self.chart.set_data(np.asarray(r.years, dtype=float), parts, colours,
                            cap=r.budget_cap or None, scale=1000.0)
        self.chart.getPlotItem().getAxis("left").setLabel(f"public cost (k {cur} per year)")
        peak = float(np.max(r.annual_total, initial=0))
        plan_peak = float(np.max(plan.annual_total, initial=0))
        with_levers = (f" ({fmt_money(plan_peak, cur)} with the set-aside)"
                       if with_set_aside else "")
        self.budget_note.setText(
            f"Peak year {fmt_money(peak, cur)}{with_levers}; private partner contributes "
            f"{fmt_money(float(np.sum(r.private_contribution)), cur)} in total."
            if math.isfinite(peak) else ""
        )
