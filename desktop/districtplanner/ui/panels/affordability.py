"""Affordability panel: rents against the city (histogram linked to the map), rent burden,
displacement risk, and who is priced out, with mitigation controls that update everything."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QSlider, QWidget

from districtplanner.model.commands import CommandStack, SetAssumptions
from districtplanner.model.document import Document
from districtplanner.model.selection import ValueRange
from districtplanner.ui import theme
from districtplanner.ui.panels.base import FigurePanel, explanation
from districtplanner.ui.panels.charts import HistogramChart
from districtplanner.ui.panels.tiles import fmt_money, fmt_number, fmt_share
from districtplanner.ui.recompute import MetricsBundle

MITIGATIONS = (
    ("affordable_workspace_share", "Affordable workspace set-aside"),
    ("clt_share", "Community land trust share"),
)


class AffordabilityPanel(FigurePanel):
    def __init__(self, document: Document, undo_stack: CommandStack | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(document, parent)
        self.undo_stack = undo_stack or CommandStack(document)
        for key, title in (
            ("rent_median", "Median rent"),
            ("rent_iqr", "Rent spread (IQR)"),
            ("rent_burden_share", "Rent-burdened households"),
            ("displacement_risk", "Displacement risk"),
            ("households_priced_out", "Households priced out"),
            ("creative_firms_priced_out", "Creative firms priced out"),
        ):
            self.tiles.add(key, title)
        self.histogram = HistogramChart("share of observations (%)", "rent (EUR/m² per month)")
        self.histogram.range_selected.connect(self._range_selected)
        self.histogram.range_cleared.connect(lambda: document.selection.set_value_range(None))
        self.sliders: dict[str, QSlider] = {}
        self.slider_labels: dict[str, QLabel] = {}
        grid = QGridLayout()
        for row, (name, label) in enumerate(MITIGATIONS):
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, 100)
            slider.setSingleStep(5)
            slider.setPageStep(10)
            slider.valueChanged.connect(lambda v, n=name: self._mitigation(n, v))
            value = QLabel("0%")
            value.setMinimumWidth(40)
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(slider, row, 1)
            grid.addWidget(value, row, 2)
            self.sliders[name] = slider
            self.slider_labels[name] = value
        # What the levers cost, beside them: a lever that looks free is a trap in a council
        # paper (the CLT buys land, the set-aside forgoes rent).
        self.mitigation_cost = QLabel("")
        self.mitigation_cost.setWordWrap(True)
        self.mitigation_cost.setStyleSheet(f"color: {theme.MUTED};")
        self.risk_toggle = QCheckBox("Show displacement-risk classes on the map")
        self.neighbourhood_label = QLabel("")
        self.neighbourhood_label.setWordWrap(True)
        self.neighbourhood_label.setStyleSheet(f"color: {theme.TEXT}; background: #FFF6E5;"
                                               "padding: 3px; border-radius: 3px;")
        self.neighbourhood_label.hide()
        self.neighbourhood_marker = self.histogram.add_marker("#6B4C9A")
        self.body.addWidget(self.tiles)
        self.body.addWidget(self._section(
            "Rents: district (blue) vs city (grey). Drag across the chart to highlight "
            "those rents on the map."))
        self.body.addWidget(self.histogram)
        self.body.addWidget(self.neighbourhood_label)
        self.body.addWidget(self._section("Mitigations"))
        self.body.addLayout(grid)
        self.body.addWidget(self.mitigation_cost)
        self.body.addWidget(self.risk_toggle)
        self.body.addStretch(1)
        document.assumptions_changed.connect(self._sync_sliders)
        document.selection.changed.connect(self._sync_range)
        self._sync_sliders(document.assumptions)

    # -------------------------------------------------------------------- controls
    def _mitigation(self, name: str, percent: int) -> None:
        self.slider_labels[name].setText(f"{percent}%")
        value = percent / 100.0
        a = self.document.assumptions
        if abs(a[name] - value) < 1e-12:
            return
        problem = self.undo_stack.push(SetAssumptions(
            self.document, a.replace(**{name: value}), text=f"Set {name} to {percent}%",
            merge_key=name))
        self.show_message(problem)
        if problem:
            self._sync_sliders(a)

    def _sync_sliders(self, assumptions: object) -> None:
        a = self.document.assumptions
        for name, slider in self.sliders.items():
            with QSignalBlocker(slider):
                slider.setValue(round(a[name] * 100))
            self.slider_labels[name].setText(f"{round(a[name] * 100)}%")

    def _range_selected(self, low: float, high: float) -> None:
        self.document.selection.set_value_range(ValueRange("rent", low, high))

    def _sync_range(self, _state: object) -> None:
        self._mark_neighbourhood()
        vr = self.document.selection.value_range
        if vr is not None and vr.variable == "rent":
            self.histogram.set_range(vr.low, vr.high)
        else:
            self.histogram.set_range(None, None)

    def _mark_neighbourhood(self) -> None:
        """Mark the hovered (else the clicked) neighbourhood's rent in the histogram."""
        sel = self.document.selection
        row = sel.hovered_neighbourhood if sel.hovered_neighbourhood is not None \
            else sel.neighbourhood
        nb = None
        if row is not None and self.bundle is not None:
            nb = next((n for n in self.bundle.baseline.affordability.neighbourhoods
                       if n.row == row), None)
        if nb is None:
            self.neighbourhood_marker.hide()
            self.neighbourhood_label.hide()
            return
        if np.isfinite(nb.rent):
            self.neighbourhood_marker.setValue(nb.rent)
            self.neighbourhood_marker.show()
        else:
            self.neighbourhood_marker.hide()
        cur = self.bundle.assumptions.currency
        self.neighbourhood_label.setText(
            f"<b>{nb.name}</b>: rent {fmt_number(nb.rent, 2)} {cur}/m² (purple line), "
            f"{fmt_share(nb.rent_burden_share, 0)} rent-burdened, displacement risk "
            f"<b>{nb.risk_class or '—'}</b> ({fmt_number(nb.risk, 2)})")
        self.neighbourhood_label.show()

    # ------------------------------------------------------------------------ show
    def show_metrics(self, bundle: MetricsBundle) -> None:
        self.bundle = bundle
        shown = bundle.shown
        a = shown.affordability
        city = bundle.baseline.affordability
        cur = bundle.assumptions.currency
        unit = f"{cur}/m²"
        self.set_heading(
            f"{shown.name}: rents and displacement" if bundle.active is not None
            else "Whole city: rents and displacement (select or draw a district)"
        )
        t = self.tiles
        t["rent_median"].set_value(
            fmt_number(a.rent_median, 2, unit),
            f"city {fmt_number(a.rent_city_median, 2)}; district at the "
            f"{fmt_number(a.rent_city_percentile, 0)}th city percentile"
            if bundle.active is not None else f"{a.rent_observations:,} observations",
            explanation(shown, "affordability.rent"))
        t["rent_iqr"].set_value(
            fmt_number(a.rent_iqr, 2, unit),
            f"{fmt_number(a.rent_q1, 1)} to {fmt_number(a.rent_q3, 1)}",
            explanation(shown, "affordability.rent"))
        t["rent_burden_share"].set_value(
            fmt_share(a.rent_burden_share, 0),
            f"renters' gross rent over {bundle.assumptions.rent_burden_threshold:.0%} of "
            f"income (US HUD); {fmt_share(a.severe_rent_burden_share, 0)} severe; "
            f"{fmt_share(a.rent_overburden_share_eu, 0)} over "
            f"{bundle.assumptions.overburden_threshold:.0%} (EU)",
            explanation(shown, "affordability.rent_burden"))
        colour = theme.RISK_COLOURS.get(a.displacement_class)
        t["displacement_risk"].set_value(
            a.displacement_class or "—",
            f"index {fmt_number(a.displacement_risk, 2)} (0-1); city "
            f"{fmt_number(city.displacement_risk, 2)}",
            explanation(shown, "affordability.displacement"),
            colour=theme.WARNING if a.displacement_class in ("high", "very high") else
            (None if colour is None else theme.TEXT))
        # The value is the count with the plan before mitigation, the figure whose 90%
        # interval the Sensitivity dock puts under it; the mitigated count is the detail.
        t["households_priced_out"].set_value(
            fmt_number(a.households_priced_out),
            f"in {a.horizon_years} y with the plan; "
            f"{fmt_number(a.households_priced_out_mitigated)} with the CLT share, "
            f"{fmt_number(a.households_priced_out_without_plan)} without the plan",
            explanation(shown, "affordability.households_priced_out"))
        places = (f" (package workspace: {fmt_number(a.package_workspace_places)} places)"
                  if a.package_workspace_places > 0 else "")
        t["creative_firms_priced_out"].set_value(
            fmt_number(a.creative_firms_priced_out),
            f"with the plan; {fmt_number(a.creative_firms_priced_out_mitigated)} with "
            f"affordable workspace{places}, "
            f"{fmt_number(a.creative_firms_priced_out_without_plan)} without the plan",
            explanation(shown, "affordability.firms_priced_out"))
        self.mitigation_cost.setText(
            f"Cost (present value): set-aside {fmt_money(a.affordable_workspace_cost_npv, cur)}"
            f"; community land trust {fmt_money(a.clt_cost_npv, cur)} (land under "
            f"{fmt_number(a.clt_homes)} renter homes, bought now). Both are in the plan's "
            "public cost (Incentives).")
        # A figure whose inputs are missing shows "—" and what is missing, never a 0 or
        # "low" that reads as a finding.
        for tile, key in (("rent_median", "affordability.rent"),
                          ("rent_iqr", "affordability.rent"),
                          ("rent_burden_share", "affordability.rent_burden"),
                          ("displacement_risk", "affordability.displacement"),
                          ("households_priced_out", "affordability.households_priced_out"),
                          ("creative_firms_priced_out", "affordability.firms_priced_out")):
            if key in a.missing:
                t[tile].set_value("—", a.missing[key], explanation(shown, key))
        # No rents: hide the last district's histogram rather than leave it standing.
        for curve in (self.histogram.city_curve, self.histogram.district_curve):
            curve.setVisible(bool(a.rent_hist_edges.size))
        if a.rent_hist_edges.size:
            self.histogram.set_data(a.rent_hist_edges, a.rent_hist_city, a.rent_hist_district)
            self.histogram.getPlotItem().getAxis("bottom").setLabel(
                f"rent ({cur}/m² per month)")
        self.histogram.set_marker(a.rent_median)
        self._mark_neighbourhood()
