"""The plan's words and tables as HTML for QTextDocument: headline figures, the comparison,
and the appendix (assumptions, instrument packages, method texts).

Figures are formatted once here, from the same Metrics the panels and ``metrics`` show;
method texts are quoted from the analysis modules (the source of the Explain panel and
docs/methods.md), never retyped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from districtplanner.analysis import incentives as inc_mod
from districtplanner.analysis.assumptions import (
    PARAMETERS,
    Assumptions,
    default_value,
    format_value,
)
from districtplanner.analysis.explain import FAMILIES, FAMILY_INTROS, METHODS
from districtplanner.analysis.incentives import (
    COST_METHODS,
    KIND_LABELS,
    PARAMETER_SPECS,
    Instrument,
    InstrumentKind,
)
from districtplanner.analysis.metrics import Metrics
from districtplanner.analysis.projection import PROJECTION_METHOD
from districtplanner.analysis.sectors import CREATIVE_SECTORS, SECTOR_LABELS

DASH = "–"


@dataclass(frozen=True)
class Row:
    """One headline figure: ``get`` reads it from Metrics; ``fmt`` formats a number."""

    section: str
    label: str
    get: Callable[[Metrics], Any]
    fmt: str = ",.2f"
    key: str = ""  # the explanation/interval key, when the figure has one


def _inc(m: Metrics, attr: str) -> Any:
    return None if m.incentives is None else getattr(m.incentives, attr)


def headline_rows(currency: str) -> list[Row]:
    """The figures of the three panels, in the order the panels show them."""
    c, a = "concentration", "affordability"
    return [
        Row("Concentration", "Area (km²)", lambda m: m.area_km2, ",.2f"),
        Row("Concentration", "Establishments", lambda m: m.concentration.establishments, ",.0f",
            f"{c}.counts"),
        Row("Concentration", "Jobs", lambda m: m.concentration.jobs, ",.0f", f"{c}.counts"),
        Row("Concentration", "Creative establishments",
            lambda m: m.concentration.creative_establishments, ",.0f", f"{c}.counts"),
        Row("Concentration", "Creative jobs", lambda m: m.concentration.creative_jobs, ",.0f",
            f"{c}.counts"),
        Row("Concentration", "Creative firms per km²",
            lambda m: m.concentration.creative_establishments_per_km2, ",.1f",
            f"{c}.density"),
        Row("Concentration", "Share of city creative jobs",
            lambda m: m.concentration.share_of_city_creative_jobs, ".1%", f"{c}.share_of_city"),
        Row("Concentration", "Location quotient (creative)",
            lambda m: m.concentration.location_quotient, ".2f", f"{c}.location_quotient"),
        Row("Concentration", "Diversity (entropy 0..1)", lambda m: m.concentration.entropy,
            ".3f", f"{c}.diversity"),
        Row("Concentration", "Specialisation (HHI)", lambda m: m.concentration.hhi, ".3f",
            f"{c}.diversity"),
        Row("Concentration", "Creative firms near transit",
            lambda m: m.concentration.transit_near_share, ".1%", f"{c}.transit"),
        Row("Concentration", "Cultural institutions inside",
            lambda m: sum(m.concentration.institutions_inside.values()), ",.0f",
            f"{c}.institutions"),
        Row("Affordability risk", f"Rent median ({currency}/m²/month)",
            lambda m: m.affordability.rent_median, ",.2f", f"{a}.rent"),
        Row("Affordability risk", "Rent IQR", lambda m: m.affordability.rent_iqr, ",.2f",
            f"{a}.rent"),
        Row("Affordability risk", "Rent city percentile",
            lambda m: m.affordability.rent_city_percentile, ",.0f", f"{a}.rent"),
        Row("Affordability risk", "Rent burden share",
            lambda m: m.affordability.rent_burden_share, ".1%", f"{a}.rent_burden"),
        Row("Affordability risk", "Displacement risk (0..1)",
            lambda m: m.affordability.displacement_risk, ".2f", f"{a}.displacement"),
        Row("Affordability risk", "Displacement class",
            lambda m: m.affordability.displacement_class, "", f"{a}.displacement"),
        Row("Affordability risk", "Projected rent with plan",
            lambda m: m.affordability.projected_rent, ",.2f", f"{a}.projected_rent"),
        Row("Affordability risk", "Households priced out",
            lambda m: m.affordability.households_priced_out, ",.0f",
            f"{a}.households_priced_out"),
        Row("Affordability risk", "  with mitigation",
            lambda m: m.affordability.households_priced_out_mitigated, ",.0f",
            f"{a}.households_priced_out"),
        Row("Affordability risk", "Creative firms priced out",
            lambda m: m.affordability.creative_firms_priced_out, ",.0f",
            f"{a}.firms_priced_out"),
        Row("Affordability risk", "  with mitigation",
            lambda m: m.affordability.creative_firms_priced_out_mitigated, ",.0f",
            f"{a}.firms_priced_out"),
        Row("Incentive costs", f"Nominal total ({currency})",
            lambda m: _inc(m, "nominal_total"), ",.0f", "incentives.nominal_total"),
        Row("Incentive costs", f"NPV ({currency})", lambda m: _inc(m, "npv"), ",.0f",
            "incentives.npv"),
        Row("Incentive costs", "Direct jobs created", lambda m: _inc(m, "jobs_created_direct"),
            ",.0f", "incentives.jobs"),
        Row("Incentive costs", f"Cost per job ({currency})",
            lambda m: _inc(m, "cost_per_job_direct"), ",.0f", "incentives.jobs"),
        Row("Incentive costs", "Years over budget",
            lambda m: (None if m.incentives is None else
                       (", ".join(str(y + 1) for y in m.incentives.over_budget_years)
                        or "none")), "", "incentives.budget"),
    ]


def fmt_value(value: Any, fmt: str) -> str:
    """A figure as shown in the plan: '–' for a missing or undefined one."""
    if value is None:
        return DASH
    if isinstance(value, str):
        return value
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return DASH
    return format(v, fmt) if fmt else str(value)


def _shown(m: Metrics, row: Row) -> str:
    # The whole city has no incentive package: a 0 there would read as a costed result.
    if m.is_baseline and row.section == "Incentive costs":
        return "n/a"
    return fmt_value(row.get(m), row.fmt)


def _label(row: Row) -> str:
    indent = len(row.label) - len(row.label.lstrip())
    return "&nbsp;" * (2 * indent) + escape(row.label.strip())


def missing_reasons(m: Metrics) -> dict[str, str]:
    """Figure key -> why it could not be computed (the missing layer or column)."""
    out = dict(getattr(m.affordability, "missing", None) or {})
    out.update(getattr(m, "missing", None) or {})
    return out


def cell(m: Metrics, row: Row) -> str:
    """The figure with its interval and, when missing, the reason (where Metrics has them)."""
    text = _shown(m, row)
    intervals = getattr(m, "intervals", None) or {}
    if row.key and row.key in intervals and row.fmt and text != "n/a":
        lo, hi = intervals[row.key]
        text += f" ({fmt_value(lo, row.fmt)} to {fmt_value(hi, row.fmt)})"
    reasons = missing_reasons(m)
    if text == DASH and row.key in reasons:
        text += f" <span class='muted small'>{escape(str(reasons[row.key]))}</span>"
    return text


def figures_table(district: Metrics, baseline: Metrics, currency: str) -> str:
    """The district's headline figures beside the whole city's, by panel."""
    out = ["<table width='100%' cellspacing='0'>",
           "<thead><tr><th>Figure</th><th class='n'>District</th>"
           "<th class='n'>Whole city</th></tr></thead>"]
    section = ""
    for row in headline_rows(currency):
        if row.section != section:
            section = row.section
            out.append(f"<tr><td class='section' colspan='3'>{escape(section)}</td></tr>")
        out.append(f"<tr><td>{_label(row)}</td><td class='n'>"
                   f"{cell(district, row)}</td><td class='n'>{cell(baseline, row)}</td></tr>")
    out.append("</table>")
    return "".join(out)


def comparison_table(entries: Sequence[Metrics], currency: str) -> str:
    """Every chosen district and the whole city, side by side."""
    head = "".join(f"<th class='n'>{escape(m.name)}</th>" for m in entries)
    out = ["<table width='100%' cellspacing='0'>", f"<thead><tr><th>Figure</th>{head}</tr></thead>"]
    section = ""
    for row in headline_rows(currency):
        if row.section != section:
            section = row.section
            out.append(f"<tr><td class='section' colspan='{len(entries) + 1}'>"
                       f"{escape(section)}</td></tr>")
        cells = "".join(f"<td class='n'>{_shown(m, row)}</td>" for m in entries)
        out.append(f"<tr><td>{_label(row)}</td>{cells}</tr>")
    out.append("</table>")
    return "".join(out)


def summary_line(m: Metrics, currency: str) -> str:
    """One line per district for the title page."""
    c, a = m.concentration, m.affordability
    parts = [f"{m.area_km2:,.2f} km²", f"{c.creative_jobs:,.0f} creative jobs",
             f"LQ {fmt_value(c.location_quotient, '.2f')}",
             f"displacement risk {fmt_value(a.displacement_risk, '.2f')} "
             f"({a.displacement_class})"]
    if m.incentives is not None:
        parts.append(f"incentive NPV {currency} {fmt_value(m.incentives.npv, ',.0f')}")
    return ", ".join(parts)


def sector_table(m: Metrics) -> str:
    """Creative sectors of the district: firms, jobs, LQ."""
    out = ["<table width='100%' cellspacing='0'><thead><tr><th>Sector</th>"
           "<th class='n'>Firms</th>"
           "<th class='n'>Jobs</th><th class='n'>LQ</th></tr></thead>"]
    for key in CREATIVE_SECTORS:
        s = m.concentration.by_sector.get(key)
        if s is None:
            continue
        out.append(f"<tr><td>{escape(SECTOR_LABELS[key])}</td>"
                   f"<td class='n'>{s.establishments:,.0f}</td><td class='n'>{s.jobs:,.0f}</td>"
                   f"<td class='n'>{fmt_value(s.location_quotient, '.2f')}</td></tr>")
    out.append("</table>")
    return "".join(out)


# ------------------------------------------------------------------------- appendix
def assumptions_html(a: Assumptions) -> str:
    """Every assumption with value, unit, range and source; changed ones marked."""
    changed = a.changed_from_default()
    out = ["<h2>Assumptions</h2>",
           f"<p>Every parameter the figures used (money in {escape(a.currency)}). "
           "<span class='mark'>*</span> marks a value changed from the default; the "
           "default follows it.</p>",
           "<table width='100%' cellspacing='0'><thead><tr><th width='25%'>Parameter</th>"
           "<th class='n' width='10%'>Value</th><th width='11%'>Unit</th>"
           "<th width='14%'>Range</th><th width='40%'>Source</th></tr></thead>"]
    group = ""
    for p in PARAMETERS:
        if p.group != group:
            group = p.group
            out.append(f"<tr><td class='section' colspan='5'>{escape(group)}</td></tr>")
        value = format_value(a[p.name])
        if p.name in changed:
            value = (f"<span class='mark'>* {value}</span><br/><span class='muted small'>"
                     f"default {format_value(default_value(p.name, a.currency))}</span>")
        out.append(
            f"<tr><td>{escape(p.label)}<br/><span class='muted small'>{p.name}</span></td>"
            f"<td class='n'>{value}</td><td>{escape(p.unit)}</td>"
            f"<td>{format_value(p.minimum)}&nbsp;to&nbsp;{format_value(p.maximum)}</td>"
            f"<td class='small'>{escape(a.source_note(p.name))}</td></tr>")
    out.append("</table>")
    return "".join(out)


def instruments_html(packages: Sequence[tuple[str, Sequence[Instrument]]]) -> str:
    """Each district's incentive package: instruments, their parameters and sectors."""
    out = ["<h2 style='page-break-before: always'>Incentive packages</h2>"]
    for name, instruments in packages:
        out.append(f"<h3>{escape(name)}</h3>")
        if not instruments:
            out.append("<p class='muted'>No instruments.</p>")
            continue
        out.append("<table width='100%' cellspacing='0'><thead><tr>"
                   "<th width='19%'>Instrument</th><th width='17%'>Kind</th>"
                   "<th class='n' width='9%'>Starts</th><th width='32%'>Parameters</th>"
                   "<th width='23%'>Eligible sectors</th></tr></thead>")
        for inst in instruments:
            specs = {s.name: s for s in PARAMETER_SPECS[InstrumentKind(inst.kind)]}
            params = "<br/>".join(
                f"{escape(specs[k].label)}: {format_value(inst.param(k))} {escape(specs[k].unit)}"
                for k in specs)
            sectors = ("all creative sectors" if set(inst.eligible_sectors) >=
                       set(CREATIVE_SECTORS) else
                       ", ".join(SECTOR_LABELS.get(s, s) for s in inst.eligible_sectors))
            state = "" if inst.enabled else " <span class='muted'>(switched off)</span>"
            out.append(f"<tr><td>{escape(inst.name or KIND_LABELS[inst.kind])}{state}</td>"
                       f"<td>{escape(KIND_LABELS[inst.kind])}</td>"
                       f"<td class='n'>year&nbsp;{inst.start_year + 1}</td>"
                       f"<td class='small'>{params}</td><td class='small'>{escape(sectors)}</td>"
                       "</tr>")
        out.append("</table>")
    return "".join(out)


def methods_html() -> str:
    """Every figure's method, quoted from the analysis modules (as the Explain panel)."""
    out = ["<h2 style='page-break-before: always'>Methods</h2>",
           "<p>The method of every figure, as the Explain panel and docs/methods.md give "
           "it.</p>"]
    for family in FAMILIES:
        out.append(f"<h3>{escape(family)}</h3>")
        if family in FAMILY_INTROS:
            out.append(f"<p>{escape(FAMILY_INTROS[family])}</p>")
        for m in METHODS.values():
            if m.family != family:
                continue
            out.append(f"<p><b>{escape(m.title)}</b><br/><i>{escape(m.formula)}</i><br/>"
                       f"{escape(m.text)}</p>")
    out.append("<h3>Projection</h3>")
    out.append(f"<p>{escape(PROJECTION_METHOD)}</p>")
    out.append("<h3>Incentive costs</h3>")
    for kind, text in COST_METHODS.items():
        out.append(f"<p><b>{escape(KIND_LABELS[kind])}</b><br/>{escape(text)}</p>")
    for title, text in (("The loop between incentives and growth", inc_mod.CIRCULARITY_METHOD),
                        ("What the package attracts", inc_mod.ATTRACTION_METHOD),
                        ("Net present value", inc_mod.NPV_METHOD),
                        ("Jobs and cost per job", inc_mod.JOBS_METHOD),
                        ("Protected workspace", inc_mod.WORKSPACE_METHOD),
                        ("Budget check", inc_mod.BUDGET_METHOD)):
        out.append(f"<p><b>{escape(title)}</b><br/>{escape(text)}</p>")
    return "".join(out)


# Headline figure key of analysis.sensitivity -> how the plan prints it.
SENSITIVITY_FORMATS: dict[str, str] = {
    "creative_jobs_projected": ",.0f", "npv": ",.0f", "cost_per_job_year": ",.0f",
    "households_priced_out": ",.0f", "firms_priced_out": ",.0f",
    "displacement_risk": ".2f", "location_quotient": ".2f",
}


def sensitivity_table(sens: Any, currency: str) -> str:
    """Each headline figure as set, its 90% interval when the Monte Carlo ran, the
    assumptions that move it most, and its switching values."""
    from districtplanner.analysis.assumptions import parameter

    head = ("<thead><tr><th width='22%'>Figure</th><th class='n' width='11%'>As set</th>"
            "<th class='n' width='24%'>90% interval</th>"
            "<th width='43%'>Moves most with (value at the low / high end)</th></tr></thead>")
    out = ["<table width='100%' cellspacing='0'>", head]
    for key, fig in sens.figures.items():
        fmt = SENSITIVITY_FORMATS.get(key, ",.2f")
        money = f" ({currency})" if key in ("npv", "cost_per_job_year") else ""
        if fig.interval:
            # Unbreakable: a wrapped interval reads as two numbers.
            interval = (f"{fmt_value(fig.interval['p5'], fmt)}&nbsp;to&nbsp;"
                        f"{fmt_value(fig.interval['p95'], fmt)}")
        else:
            interval = "<span class='muted'>not computed</span>"
        swings = "; ".join(
            f"{escape(parameter(t.parameter).label)} ({fmt_value(t.value_low, fmt)} / "
            f"{fmt_value(t.value_high, fmt)})" for t in fig.tornado[:3])
        extra = [escape(
            f"switches from {s.before} to {s.after} at {parameter(s.parameter).label} = "
            f"{s.value:.4g}") for s in fig.switching_values[:2]]
        if fig.class_probabilities:
            extra.append(escape(", ".join(f"{k} {v:.0%}"
                                          for k, v in fig.class_probabilities.items())))
        if fig.note:
            extra.append(escape(fig.note))
        notes = "".join(f"<br/><span class='muted small'>{e}</span>" for e in extra)
        out.append(f"<tr><td>{escape(fig.label + money)}</td>"
                   f"<td class='n'>{fmt_value(fig.value, fmt)}</td><td class='n'>{interval}</td>"
                   f"<td class='small'>{swings or DASH}{notes}</td></tr>")
    out.append("</table>")
    return "".join(out)


def displacement_methods_table(entries: Sequence[Metrics]) -> str:
    """Displacement under each published method, districts side by side: whether the
    method flags the district and the share of its households in the flagged classes."""
    have = [m for m in entries if getattr(m, "displacement_methods", None) is not None]
    if not have:
        return ""
    methods = have[0].displacement_methods.methods
    head = "".join(f"<th class='n'>{escape(m.name)}</th>" for m in have)
    out = ["<h2>Displacement under each published method</h2>",
           "<p class='muted'>Each method classifies the neighbourhoods a district touches; a "
           "cell gives whether the method flags the district and the share of its households "
           "in the method's flagged classes. The methods disagree by design (different "
           "criteria); agreement between them is Fleiss' kappa. Methods: docs/methods.md.</p>",
           "<table width='100%' cellspacing='0'>",
           f"<thead><tr><th>Method</th>{head}</tr></thead>"]
    for i, method in enumerate(methods):
        cells = []
        for m in have:
            r = m.displacement_methods.methods[i]
            if r.flagged is None or r.flagged_share is None:
                text = f"<span class='muted'>{escape(r.status)}</span>"
            else:
                text = (("<b>flagged</b>" if r.flagged else "not flagged")
                        + f" ({r.flagged_share:.0%})")
                if r.criteria_missing:
                    text += (f"<br/><span class='muted small'>partial: no "
                             f"{escape(', '.join(r.criteria_missing))}</span>")
            cells.append(f"<td class='n'>{text}</td>")
        out.append(f"<tr><td>{escape(method.name)}<br/><span class='muted small'>"
                   f"{escape(method.citation)}</span></td>{''.join(cells)}</tr>")
    cells = []
    for m in have:
        dm = m.displacement_methods
        cells.append(f"<td class='n'>{dm.flagged_by} of {dm.of}<br/><span class='muted "
                     f"small'>kappa {fmt_value(dm.kappa_district, '.2f')}</span></td>")
    summary = "".join(cells)
    out.append(f"<tr><td><b>Flagged by</b></td>{summary}</tr></table>")
    return "".join(out)
