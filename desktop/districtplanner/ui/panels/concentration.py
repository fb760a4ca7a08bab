"""Concentration panel: what the district concentrates (firms, jobs, density, location
quotient, diversity, proximity), the sector bar chart linked to the map, and the projection."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QCheckBox, QWidget

from districtplanner.analysis.sectors import CREATIVE_SECTORS, SECTOR_COLOURS, SECTOR_LABELS
from districtplanner.model.document import Document
from districtplanner.model.selection import CombineMode
from districtplanner.ui import theme
from districtplanner.ui.panels.base import FigurePanel, explanation
from districtplanner.ui.panels.charts import LinesChart, SectorBarChart
from districtplanner.ui.panels.tiles import fmt_number, fmt_share
from districtplanner.ui.recompute import MetricsBundle

SHORT_LABELS = {
    "film_tv": "Film", "music_performing": "Music", "design_fashion": "Design",
    "digital_software": "Digital", "publishing": "Publ.", "architecture": "Arch.",
    "advertising": "Adv.", "crafts_visual_arts": "Crafts", "museums_heritage": "Museums",
}


class ConcentrationPanel(FigurePanel):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(document, parent)
        for key, title in (
            ("creative_establishments", "Creative firms"),
            ("creative_jobs", "Creative jobs"),
            ("density", "Creative firms per km²"),
            ("location_quotient", "Location quotient"),
            ("entropy", "Diversity (entropy)"),
            ("transit", "Near transit"),
        ):
            self.tiles.add(key, title)
        self.sector_chart = SectorBarChart()
        self.sector_chart.category_clicked.connect(self._sector_clicked)
        self.projection_chart = LinesChart("creative jobs", "plan year")
        self.hotspot_toggle = QCheckBox("Show the creative-jobs hot-spot surface on the map")
        self.body.addWidget(self.tiles)
        self.body.addWidget(self._section(
            "Creative sectors: district (colour) vs city (grey). Click a bar to highlight "
            "that sector on the map."))
        self.body.addWidget(self.sector_chart)
        self.body.addWidget(self._section("Projected creative jobs"))
        self.body.addWidget(self.projection_chart)
        self.body.addWidget(self.hotspot_toggle)
        self.body.addStretch(1)
        document.selection.changed.connect(self._selection_changed)

    def _sector_clicked(self, sector: str) -> None:
        sel = self.document.selection
        if sel.sectors == {sector}:
            sel.set_sectors(set())
        else:
            sel.set_sectors({sector}, CombineMode.REPLACE)

    def _selection_changed(self, _state: object) -> None:
        if self.sector_chart.highlighted != set(self.document.selection.sectors):
            self.sector_chart.highlighted = set(self.document.selection.sectors)
            if self.bundle is not None:
                self._draw_sectors(self.bundle)

    def _draw_sectors(self, bundle: MetricsBundle) -> None:
        m = bundle.shown.concentration
        city = bundle.baseline.concentration
        key = "jobs" if m.lq_basis == "jobs" else "establishments"
        d_vals = np.array([getattr(m.by_sector[s], key) for s in CREATIVE_SECTORS], float)
        c_vals = np.array([getattr(city.by_sector[s], key) for s in CREATIVE_SECTORS], float)
        d_share = 100 * d_vals / d_vals.sum() if d_vals.sum() > 0 else np.zeros_like(d_vals)
        c_share = 100 * c_vals / c_vals.sum() if c_vals.sum() > 0 else np.zeros_like(c_vals)
        lqs = [m.by_sector[s].location_quotient for s in CREATIVE_SECTORS]
        notes = [f"LQ {v:.1f}" if np.isfinite(v) else "" for v in lqs]
        if bundle.active is None:
            notes = []
        self.sector_chart.set_data(
            CREATIVE_SECTORS, [SHORT_LABELS[s] for s in CREATIVE_SECTORS], d_share, c_share,
            [SECTOR_COLOURS[s] for s in CREATIVE_SECTORS], notes,
        )
        basis = "jobs" if key == "jobs" else "firms"
        self.sector_chart.getPlotItem().getAxis("left").setLabel(f"share of creative {basis} (%)")
        self.sector_chart.setToolTip(
            "\n".join(f"{SECTOR_LABELS[s]}: district {d:.1f}%, city {c:.1f}%, LQ {lq:.2f}"
                      for s, d, c, lq in zip(CREATIVE_SECTORS, d_share, c_share, lqs, strict=True))
        )

    def show_metrics(self, bundle: MetricsBundle) -> None:
        self.bundle = bundle
        shown = bundle.shown
        m = shown.concentration
        city = bundle.baseline.concentration
        if bundle.active is None:
            self.set_heading(f"Whole city ({shown.area_km2:,.1f} km²): select or draw a district")
        else:
            self.set_heading(f"{shown.name} ({shown.area_km2:,.2f} km²)")
        t = self.tiles
        if city.establishments == 0:
            # Without establishments every concentration figure is undefined, not zero.
            for tile in t.tiles.values():
                tile.set_value("—", "no establishments layer: add one (File > Add layer)",
                               explanation(shown, "concentration.counts"))
            self._draw_sectors(bundle)
            self.projection_chart.set_series(np.arange(0.0), {})
            return
        t["creative_establishments"].set_value(
            fmt_number(m.creative_establishments),
            f"{fmt_share(m.share_of_city_creative_establishments)} of the city's; "
            f"{fmt_number(m.establishments)} firms in all",
            explanation(shown, "concentration.counts"))
        t["creative_jobs"].set_value(
            fmt_number(m.creative_jobs) if m.jobs_known else "—",
            f"{fmt_share(m.share_of_city_creative_jobs)} of the city's" if m.jobs_known
            else "no jobs column mapped",
            explanation(shown, "concentration.share_of_city"))
        t["density"].set_value(
            fmt_number(m.creative_establishments_per_km2, 0),
            f"city {fmt_number(city.creative_establishments_per_km2, 0)}",
            explanation(shown, "concentration.density"))
        lq = m.location_quotient
        iv = m.lq_interval_jobs
        # The value's own interval (jobs basis) beside it; the establishment-basis Wilson
        # interval arrives from the Sensitivity dock as the tile's interval line.
        detail = (f"on {m.lq_basis}; 1 = city average" if iv is None else
                  f"on jobs, 90%: {fmt_number(iv['low'], 2)} to {fmt_number(iv['high'], 2)}")
        t["location_quotient"].set_value(
            fmt_number(lq, 2), detail, explanation(shown, "concentration.location_quotient"),
            colour=theme.GOOD if np.isfinite(lq) and lq >= 1.25 else None)
        t["entropy"].set_value(
            fmt_number(m.entropy, 2), f"HHI {fmt_number(m.hhi, 2)}; 1 = even mix",
            explanation(shown, "concentration.diversity"))
        t["transit"].set_value(
            fmt_share(m.transit_near_share, 0),
            f"of creative firms within {m.transit_near_m:.0f} m of a stop "
            f"({fmt_share(m.transit_far_share, 0)} within {m.transit_far_m:.0f} m)",
            explanation(shown, "concentration.transit"))
        self._draw_sectors(bundle)
        active = bundle.active
        if active is not None and getattr(active, "incentives", None) is not None:
            p = active.incentives.projection
            self.projection_chart.set_series(np.asarray(p.years, float), {
                "baseline": (np.asarray(p.jobs_baseline, float), "#7A7A7A", True),
                "with incentives": (np.asarray(p.jobs_with_incentives, float), theme.ACCENT,
                                    False),
            })
        else:
            self.projection_chart.set_series(np.arange(0.0), {})
