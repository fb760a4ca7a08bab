"""The one source of every concentration, affordability and hot-spot method text.

``docs/methods.md`` sections "Concentration", "Affordability risk" and "Hot spots" are
rendered from :data:`METHODS` (``python -m districtplanner.analysis.explain docs/methods.md``
rewrites just those sections; a test fails when the file and the code disagree), and every
Metrics object quotes the same text with its inputs and assumptions filled in.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from districtplanner.analysis.assumptions import Assumptions, parameter


@dataclass(frozen=True)
class Method:
    """How one figure is computed: ``formula`` in plain text, ``text`` the reasoning and
    sources, ``assumptions`` the parameter names it reads."""

    key: str
    family: str
    title: str
    formula: str
    text: str
    assumptions: tuple[str, ...] = ()


FAMILIES: tuple[str, ...] = ("Concentration", "Affordability risk", "Hot spots",
                             "Plan's public cost")

_M = Method
METHODS: dict[str, Method] = {m.key: m for m in (
    _M("concentration.counts", "Concentration", "Establishments and jobs inside",
       "N_s = number of establishments of sector s whose point lies strictly inside the "
       "district; J_s = the sum of their jobs.",
       "A point on the boundary is outside (the 'contains' predicate). Establishments "
       "without a job count add 0 jobs; when the layer has no job counts at all, every "
       "job-based figure falls back to establishment counts. The district index sorts "
       "points by grid cell and tests exactly only those in cells the boundary crosses, "
       "so the counts equal a point-in-polygon test of every point."),
    _M("concentration.density", "Concentration", "Density per km²",
       "density = N / A and J / A, with A the district area in km² (planar area in the "
       "project CRS).",
       "The project CRS is projected (metres), so areas are planar. A zero-area district "
       "has density 0."),
    _M("concentration.share_of_city", "Concentration", "Share of the city",
       "share = N_creative(district) / N_creative(city), and the same for jobs.",
       "The city is every establishment in the loaded layer."),
    _M("concentration.location_quotient", "Concentration", "Location quotient",
       "LQ_s = (x_s,d / X_d) / (x_s,c / X_c), with x the sector's jobs (establishments "
       "when jobs are unknown), X all sectors, d the district and c the city; the overall "
       "LQ uses all creative sectors for x.",
       "LQ > 1 means the district is more specialised in the sector than the city "
       "(Isard 1960, Methods of Regional Analysis; Flegg & Webber 2000). LQ is 0 when the "
       "district or the city has none of the quantity. A district covering the whole city "
       "has LQ 1 by construction. Two 90% sampling intervals, each with the city's share "
       "fixed (it is the whole population): on the establishments basis a Wilson score "
       "interval on the district's creative share of establishments (see Sensitivity); on "
       "the jobs basis a delta-method interval on its creative share of jobs, a ratio of "
       "two sums over its n establishments: se² = n / (n - 1) · ((1 - R)² Σ_creative j² + "
       "R² Σ_other j²) / (Σ j)² (Cochran 1977, Sampling Techniques, §6.3), taken on the "
       "log-odds scale, logit R ± 1.645·se / (R(1 - R)), and mapped back (as the R survey "
       "package's svyciprop(method = 'logit') does). Jobs are lumpy: one large employer "
       "moves the jobs share more than one firm moves the firms share, and the Σ j² terms "
       "carry exactly that; its skew is why the log-odds scale, on which the interval "
       "stays inside 0..1 and follows a bootstrap's asymmetry. The delta "
       "method needs only sums the city index keeps per cell, so it is exact to compute "
       "and costs microseconds per edit (a bootstrap over establishments would resample "
       "them every frame); a test checks it against a bootstrap."),
    _M("concentration.diversity", "Concentration", "Diversity and specialisation",
       "H = -Σ p_s ln p_s / ln 9 over the nine creative sectors, p_s = x_s / Σ x; "
       "HHI = Σ p_s².",
       "Normalised Shannon entropy (Shannon 1948; Pielou 1966 evenness) runs from 0 (one "
       "sector) to 1 (an even spread). The Herfindahl-Hirschman index (Hirschman 1945; "
       "Herfindahl 1950) runs from 1/9 (even) to 1 (one sector). Both use jobs when known, "
       "else establishments; an empty district gives 0 for both."),
    _M("concentration.transit", "Concentration", "Proximity to transit",
       "share_near = #{creative firms inside with d_stop ≤ transit_near_m} / #{creative "
       "firms inside}; share_far likewise with transit_far_m.",
       "d_stop is the straight-line distance from each firm to its nearest transit stop "
       "(a k-d tree query, computed once per layer). 400 m and 800 m are the quarter- and "
       "half-mile catchments of transit planning practice.",
       ("transit_near_m", "transit_far_m")),
    _M("concentration.institutions", "Concentration", "Cultural institutions",
       "inside = institutions strictly inside the district, by type; near = institutions "
       "within institution_buffer_m of the district (inside included), by type.",
       "Distance is the planar distance from the institution to the district polygon "
       "(0 inside).",
       ("institution_buffer_m",)),
    _M("affordability.rent", "Affordability risk", "Rent inside vs the city",
       "median, Q1, Q3 of the rent observations inside; IQR = Q3 - Q1; city percentile = "
       "100 x share of the city's observations at or below the district median.",
       "Rent points: the points inside (numpy's linear-interpolation quantiles). Rent "
       "raster: the cells whose centre lies inside (the rule of "
       "rasterio.features.geometry_mask), each cell one observation; exact for that rule. "
       "Rent polygons: each polygon weighted by its area inside the district, quantiles "
       "as the smallest value whose cumulative weight reaches the quantile, the city "
       "percentile by area."),
    _M("affordability.rent_burden", "Affordability risk", "Rent burden",
       "B_i = Φ((ln(12·R_i·(1 + s)·F / t) - ln(ρ·m_i)) / σ); district B = Σ w_i B_i / Σ w_i with "
       "w_i = households_i · renter_share_i · a_i; the same with t = 50% (severe) and "
       "t = 40% (EU overburden).",
       "R_i is the median rent of neighbourhood i (currency/m²/month, from the rent layer "
       "inside it; the city median where it has none), a contract rent; R_i·(1 + s) is the "
       "gross rent, contract rent plus utilities at s = utilities_share of it, which is what "
       "the burden lines measure (US HUD and the US Census define gross rent as contract "
       "rent plus utilities and fuels; Eurostat's housing costs include them). F is the "
       "dwelling floor area, t the "
       "burden threshold (30% of income, US HUD; 50% for severe burden; 40%, Eurostat's "
       "housing cost overburden rate), m_i the neighbourhood's median household income "
       "(currency/year), ρ renters' median income as a share of all households' (renters "
       "earn less than owners, and the burden is theirs) and a_i the share of its area "
       "inside the district. Renter incomes are taken as lognormal around ρ·m_i with log "
       "standard deviation σ (Aitchison & Brown 1957, The Lognormal Distribution); "
       "σ = 0.85 corresponds to a Gini of 0.45 through G = 2Φ(σ/√2) - 1 (Lopez & Servén "
       "2006, World Bank WP 3969). So B_i is the share of renter households whose income "
       "is below the annual gross rent divided by t. The utilities are taken as a fixed "
       "share of contract rent, so they move with it, plan uplift included (energy bills "
       "do not follow land values: an upper-side simplification for the households priced "
       "out). With s = 0 the burden is on contract rent alone, a lower bound.",
       ("rent_burden_threshold", "severe_rent_burden_threshold", "overburden_threshold",
        "renter_income_ratio", "dwelling_floor_area", "utilities_share", "income_sigma")),
    _M("affordability.households", "Affordability risk", "Households inside",
       "households = Σ h_i · a_i, with h_i the neighbourhood's households column, else its "
       "population ÷ household_size, else unknown.",
       "a_i is the share of neighbourhood i's area inside the district. A neighbourhood "
       "without either column leaves the district's households, and every figure weighted "
       "by them, unknown ('—' with the neighbourhoods named): area is never counted as "
       "households. An unknown renter share is never assumed either: the renter figures "
       "then stay unknown.",
       ("household_size",)),
    _M("affordability.displacement", "Affordability risk",
       "Displacement-risk composite (not a published method)",
       "D_i = (w_v·V_i + w_m·M_i + w_p·P_i) / (w_v + w_m + w_p); V_i = mean(low-income "
       "share, renter share); M_i = mean(rank of rent, rank of rent growth); "
       "P_i = min(1, a_i·u / u_full); district D = household-weighted mean over the "
       "neighbourhoods it touches. Classes: low < 0.25 ≤ moderate < 0.5 ≤ high < 0.75 ≤ "
       "very high.",
       "A labelled composite of this tool, kept for continuity: its weights, its class "
       "cut-offs and uplift_full_pressure are judgements, not estimates, and its market "
       "pressure is a rank (half the city is above 0.5 by construction); the sensitivity "
       "figures vary them. For a published reading, see the displacement methods side by "
       "side. Loosely after the Urban Displacement Project typology (Chapple & Zuk 2016, "
       "Cityscape 18(3)): vulnerability is the share of households below low_income_fraction "
       "of the area median income (lognormal incomes as in the rent burden; the area median "
       "is the household-weighted median of neighbourhood medians) averaged with the "
       "renter share; market pressure averages the neighbourhood's percentile rank "
       "(0..1) among the city's neighbourhoods in median rent and, where present, in rent "
       "growth; plan pressure is the rent uplift the designation adds, u = "
       "designation_uplift + transit_uplift_residential x the share of the district within "
       "transit_near_m of a station the plan adds (n·π·transit_near_m² / area, at most 1; "
       "existing stations add nothing, their premium being already in today's rents), "
       "scaled by the share a_i of the neighbourhood "
       "inside and capped at 1 when it reaches uplift_full_pressure. The city baseline has "
       "no plan pressure. Each score runs 0..1, so the index does too.",
       ("weight_vulnerability", "weight_market", "weight_plan", "low_income_fraction",
        "income_sigma", "designation_uplift", "transit_uplift_residential",
        "transit_near_m", "uplift_full_pressure")),
    _M("affordability.projected_rent", "Affordability risk", "Projected rent",
       "R_H = R_0 · (1 + g)^H without the plan; R_H · (1 + u) with it.",
       "R_0 is the district median rent today, g the market rent growth, H the horizon "
       "and u the plan uplift above: cultural-district designation 0-10% (Noonan 2013, "
       "Cultural Trends 22(3-4), finds mixed effects; central 5%), plus the rail-station "
       "residential uplift (+4.2% within a quarter mile, Debrezion, Pels & Rietveld 2007) "
       "only on the share of the district near a station the plan adds.",
       ("market_rent_growth", "horizon_years", "designation_uplift",
        "transit_uplift_residential")),
    _M("affordability.households_priced_out", "Affordability risk",
       "Households priced out",
       "priced out = Σ w_i · max(0, B_i(R_i·(1+g)^H·(1+u), m_i·(1+y)^H) - B_i(R_i, m_i)), "
       "B_i on gross rent as in the rent burden; "
       "without the plan u = 0; mitigated = priced out x (1 - clt_share); CLT homes = "
       "clt_share x renter households; CLT cost = CLT homes x dwelling_floor_area x R_0 x 12 "
       "÷ capitalisation_yield x clt_land_share.",
       "Renter households (weights w_i as in the rent burden) who can afford their rent "
       "today but would pay more than the burden threshold at the projected rent, with "
       "incomes growing at y. Households in community land trust homes keep their rent, so "
       "the CLT share of households is protected. That protection is not free: the CLT "
       "share does not pick the households at risk, so it needs that share of all renter "
       "homes, and the trust buys the land under them today, before the plan's uplift. "
       "Their value is today's district median rent R_0 capitalised at the "
       "capitalisation yield (the one that turns rent into assessed value for the "
       "incentive package), and the land is clt_land_share of it (about half in large US "
       "metropolitan areas: Davis & Palumbo 2008, J. Urban Econ. 63(1)). The cost is paid "
       "at the start, so its present value is the cost; it is part of the plan's public "
       "cost, with the incentive package and the affordable-workspace set-aside.",
       ("income_growth", "market_rent_growth", "horizon_years", "clt_share",
        "rent_burden_threshold", "dwelling_floor_area", "utilities_share",
        "capitalisation_yield", "clt_land_share")),
    _M("affordability.firms_priced_out", "Affordability risk", "Creative firms priced out",
       "priced out = Σ_j P(r_j ≤ C_j < R_j / (1+y)^H), R_j = r_j·(1+g)^H·(1 + d + c·n); "
       "already above capacity = Σ_j P(C_j < r_j); mitigated = priced out - min(saveable, "
       "s·N), saveable = Σ_j P(max(r_j, R_j·(1 - δ)) / (1+y)^H ≤ C_j < R_j / (1+y)^H).",
       "r_j is the rent at the firm (nearest rent point, the raster cell it falls in or "
       "the rent polygon that holds it). C_j, what firm j can pay, varies between firms: "
       "triangular from firm_rent_capacity × (1 - spread) through firm_rent_capacity to "
       "× (1 + spread), spread = firm_rent_capacity_spread; capacities grow with incomes "
       "(y). So the count is an expected number of firms that crosses from affordable to "
       "not, with no knife edge at one capacity; firms already paying more than they can "
       "afford are reported apart, since the plan cannot price them out. d is the "
       "designation uplift, c the commercial rail-station uplift (+16.4%, Debrezion, Pels "
       "& Rietveld 2007) and n the share of the district near a station the plan adds (0 "
       "without one). An affordable-workspace set-aside of share s of the floor area (each "
       "firm taken to use the district's average floor area, so s·N firm places for N "
       "creative firms with a known rent) at a rent discounted by δ = "
       "affordable_workspace_discount saves the priced-out firms whose discounted rent "
       "they can pay, up to those places; the incentive package's affordable workspace "
       "subsidy adds its floor area ÷ the district's floor area per creative firm as "
       "further places at its own rent cap (filled after the set-aside's). The set-aside "
       "costs the council its discount: s × creative floor area × median rent with the "
       "plan × δ × 12 each plan year, discounted at discount_rate (shown as its present "
       "cost). Without the plan d = c = 0.",
       ("firm_rent_capacity", "firm_rent_capacity_spread", "income_growth",
        "market_rent_growth", "horizon_years", "designation_uplift",
        "transit_uplift_commercial", "transit_near_m",
        "affordable_workspace_share", "affordable_workspace_discount")),
    _M("hotspots.kde", "Hot spots", "Kernel density of creative jobs",
       "f(x) = Σ_j J_j · K_h(x - x_j) / (cell area), K_h a Gaussian kernel of standard "
       "deviation h = kde_bandwidth_m, evaluated on a grid of hotspot_cell_m cells; "
       "jobs per km².",
       "Jobs (establishments when jobs are unknown) are binned to the grid and convolved "
       "with the Gaussian kernel (binned kernel density estimation; Silverman 1986, "
       "Density Estimation, ch. 3); binning moves each point at most half a cell. Mass "
       "that the kernel spreads beyond the grid edge is lost, as in any edge-uncorrected "
       "estimate.",
       ("hotspot_cell_m", "kde_bandwidth_m")),
    _M("hotspots.gi_star", "Hot spots", "Getis-Ord Gi* hot and cold spots",
       "G*_i = (Σ_j w_ij x_j - x̄ W_i) / (s · √((n Σ_j w_ij² - W_i²) / (n - 1))), "
       "w_ij = 1 when cell centres are within gi_distance_m (i itself included), "
       "W_i = Σ_j w_ij; p_i = 2(1 - Φ(|G*_i|)); classes: hot (cold) where the "
       "Benjamini-Hochberg procedure over the city's cells keeps p_i at a false "
       "discovery rate of 10%, 5% or 1%.",
       "x is creative jobs per grid cell (establishments when jobs are unknown) over the "
       "cells whose centre lies inside the city (its neighbourhoods; every cell of the "
       "grid without a neighbourhood layer): empty cells beyond the city's edge would pull "
       "the mean down and make the whole city look hot. n, x̄ and s are the number, mean "
       "and standard deviation (population form) of those cells, which alone are tested "
       "and counted as neighbours. This is the Gi* statistic of Getis & Ord (1992) and Ord "
       "& Getis (1995) as a z-score, computed with one convolution per sum; a test checks "
       "it against esda.G_Local(star=True) with the same binary distance-band weights. "
       "Thousands of cells tested at once would flag many by chance at a plain 90% level; "
       "the Benjamini-Hochberg false discovery rate (Benjamini & Hochberg 1995, JRSS B "
       "57(1)) bounds the expected share of false hot spots among those flagged "
       "(neighbouring Gi* tests are positively dependent, under which the procedure "
       "holds: Benjamini & Yekutieli 2001).",
       ("hotspot_cell_m", "gi_distance_m")),
    _M("plan.cost", "Plan's public cost", "The plan's public cost",
       "gross = package NPV + CLT cost + set-aside cost; net = gross - revenue offset; "
       "budget check: in each plan year t, package cost_t + set-aside cost_t ≤ budget_cap.",
       "What the plan costs the public purse, in constant prices at the discount rate: the "
       "incentive package's net present cost (its instruments, after any private partner's "
       "share; see Incentive costs), plus what its mitigation levers cost: the community "
       "land trust's land (see Households priced out) and the affordable-workspace "
       "set-aside's discount (see Creative firms priced out). The package's own affordable "
       "workspace subsidy is one of its instruments, so it is counted once, in the package's "
       "NPV; the set-aside is further floor space (its firm places add to the subsidy's), so "
       "its cost adds. Net of the revenue offset, the property tax on the plan's uplift of "
       "creative workspace values (see Incentive costs); the CLT's land is taken to stay on "
       "the tax roll, so it changes no tax. The annual budget cap is a yearly limit, so it "
       "is checked against the recurring costs, the package's and the set-aside's, year by "
       "year; the CLT's land is a one-off capital purchase at the start, which a yearly "
       "incentive budget does not fund (councils buy land from capital budgets or lend to "
       "the trust), so it is shown in the total and not in the yearly check. A cap of 0 "
       "means no cap.",
       ("discount_rate", "budget_cap", "clt_share", "clt_land_share",
        "affordable_workspace_share", "affordable_workspace_discount")),
)}
del _M


def assumptions_text(names: tuple[str, ...], assumptions: Assumptions) -> str:
    """'name = value unit' for each parameter, joined by '; '."""
    return "; ".join(f"{n} = {assumptions[n]:g} {parameter(n).unit}" for n in names)


def explanation(key: str, inputs: Mapping[str, object], assumptions: Assumptions,
                result: str = "") -> str:
    """The explain text of figure ``key``: method, inputs with values, assumptions used."""
    m = METHODS[key]
    parts = [m.title, f"Formula: {m.formula}", m.text]
    if inputs:
        parts.append("Inputs: " + "; ".join(f"{k} = {_fmt(v)}" for k, v in inputs.items()))
    if m.assumptions:
        parts.append("Assumptions: " + assumptions_text(m.assumptions, assumptions))
        ranges = ranges_text(m.assumptions)
        if ranges:
            parts.append("Ranges used in the sensitivity analysis: " + ranges)
    if result:
        parts.append(f"Result: {result}")
    return "\n".join(parts)


def ranges_text(names: tuple[str, ...]) -> str:
    """'name low to high (distribution)' for each uncertain parameter among ``names``."""
    from districtplanner.analysis.assumptions import UNCERTAINTY

    return "; ".join(f"{n} {UNCERTAINTY[n].describe()} ({UNCERTAINTY[n].distribution})"
                     for n in names if n in UNCERTAINTY)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)


FAMILY_INTROS: dict[str, str] = {
    "Concentration": (
        "Figures of what a district holds, against the whole city. Every count is exact: "
        "the city index sorts points by the cells of a square grid with prefix sums per "
        "cell, sums whole cells inside the district with two look-ups per run of cells, and "
        "tests exactly (GEOS `contains`) only the points in cells the boundary crosses; a "
        "test checks the result against a geopandas spatial join on random districts. "
        "Jobs are used when the establishments layer has them, else establishment counts."),
    "Affordability risk": (
        "Figures of whom a district puts at risk. Rents are monthly per m² in the project "
        "currency. Household figures come from the neighbourhoods the district touches, "
        "each weighted by the share of its area inside the district (households assumed "
        "spread evenly over a neighbourhood). These are screening estimates for comparing "
        "district options, not forecasts for individual households."),
    "Plan's public cost": (
        "The incentive package and the mitigation levers together: what the plan as a whole "
        "costs, and whether its yearly part fits the budget cap."),
    "Hot spots": (
        "City-wide surfaces, computed apart from the district figures (they take tens of "
        "milliseconds to a second) and written as GeoTIFF bands (`kde`, `gi_z`, "
        "`gi_class`) by `HotspotSurface.write_geotiff`."),
}


def render_family(family: str) -> str:
    """The markdown body of one docs/methods.md section (without its heading)."""
    blocks = [FAMILY_INTROS[family]] if family in FAMILY_INTROS else []
    for m in METHODS.values():
        if m.family != family:
            continue
        lines = [f"### {m.title}", "", f"**Formula.** {m.formula}", "", m.text]
        if m.assumptions:
            lines += ["", "**Assumptions.** " + ", ".join(f"`{n}`" for n in m.assumptions)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


_LATER_SECTIONS = ("Projection", "Incentive costs", "Assumptions and sources")
_HEADING = re.compile(r"^## (.+?)\s*$", re.MULTILINE)


def sections(markdown: str) -> dict[str, str]:
    """Body text of each '## ' section of a markdown document."""
    heads = list(_HEADING.finditer(markdown))
    out = {}
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(markdown)
        out[h.group(1)] = markdown[h.end():end].strip("\n") + "\n"
    return out


def update_methods_file(path: str | Path) -> None:
    """Rewrite this module's sections of ``path`` from :data:`METHODS`, keeping every
    other section (incentives and projection are written by their own modules' owners)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Methods\n"
    for family in FAMILIES:
        body = render_family(family)
        heads = list(_HEADING.finditer(text))
        match = next((h for h in heads if h.group(1) == family), None)
        if match is None:
            # New sections go before the other owners' sections, in FAMILIES order.
            later = [h for h in heads if h.group(1) in _LATER_SECTIONS]
            block = f"## {family}\n\n{body}\n"
            if later:
                text = text[:later[0].start()] + block + text[later[0].start():]
            else:
                text = text.rstrip("\n") + "\n\n" + block
            continue
        nxt = next((h.start() for h in heads if h.start() > match.start()), len(text))
        tail = text[nxt:]
        text = text[:match.end()].rstrip("\n") + "\n\n" + body + ("\n" + tail if tail else "")
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    update_methods_file(sys.argv[1] if len(sys.argv) > 1 else "docs/methods.md")
