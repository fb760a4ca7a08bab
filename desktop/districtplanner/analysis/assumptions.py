"""Every parameter a figure depends on, with its unit, default, valid range and source.

A planner edits these in the Assumptions panel or a JSON file; each figure's explanation
quotes the ones it used. An out-of-range value is refused, never clamped, so a typo cannot
silently change a council paper.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from districtplanner.paths import mappings_dir


@dataclass(frozen=True)
class Parameter:
    """One assumption: ``default`` lies in ``[minimum, maximum]``; ``source`` cites it."""

    name: str
    label: str
    unit: str
    default: float
    minimum: float
    maximum: float
    source: str
    group: str
    integer: bool = False


class AssumptionError(ValueError):
    """A value outside its parameter's range, an unknown name, or a malformed file."""


P = Parameter
PARAMETERS: tuple[Parameter, ...] = (
    # --- Concentration and proximity --------------------------------------------------
    P("transit_near_m", "Transit walking distance (near)", "m", 400, 50, 3000,
      "A 5-minute walk; the quarter-mile (≈400 m) catchment of transit planning practice.",
      "Concentration"),
    P("transit_far_m", "Transit walking distance (far)", "m", 800, 100, 5000,
      "A 10-minute walk; the half-mile (≈800 m) station area used in TOD studies.",
      "Concentration"),
    P("institution_buffer_m", "Cultural institution catchment", "m", 500, 0, 5000,
      "Planning convention for walkable access to cultural venues; set locally.",
      "Concentration"),
    P("hotspot_cell_m", "Hot-spot grid cell size", "m", 250, 50, 2000,
      "Resolution of the kernel-density and Gi* grid; 250 m is a city-block scale.",
      "Concentration"),
    P("kde_bandwidth_m", "Kernel density bandwidth", "m", 500, 50, 5000,
      "Gaussian kernel standard deviation; a walkable-cluster scale, set locally.",
      "Concentration"),
    P("gi_distance_m", "Gi* neighbourhood distance band", "m", 750, 100, 10000,
      "Binary distance-band weights for Getis-Ord Gi* (Getis & Ord 1992; Ord & Getis 1995).",
      "Concentration"),
    # --- Projection ---------------------------------------------------------------------
    P("horizon_years", "Projection horizon", "years", 10, 1, 30,
      "A typical local-plan horizon.", "Projection", integer=True),
    P("baseline_growth_firms", "Baseline growth of creative firms", "1/year", 0.02, -0.2, 0.3,
      "A cautious round figure: UK creative-industry activity grew faster through the 2010s "
      "(DCMS Sector Economic Estimates). Set from local business registers.", "Projection"),
    P("baseline_growth_jobs", "Baseline growth of creative jobs", "1/year", 0.02, -0.2, 0.3,
      "A cautious round figure: UK creative-industry employment grew faster through the "
      "2010s (DCMS Sector Economic Estimates). Set locally.", "Projection"),
    P("incentive_elasticity", "Elasticity of activity to business costs", "-", 10.0, 0.0, 40.0,
      "Per cent more long-run creative activity per 1% of firms' operating cost offset by "
      "incentives. Bartik (2018, 'But for' percentages, Upjohn WP 18-289) puts the elasticity "
      "of business activity to state and local business taxes near -0.2 (-0.1 to -0.6); if "
      "those taxes are about 2% of costs, offsetting 1% of costs is a 50% tax cut, i.e. ≈+10% "
      "activity. The same paper's review of 34 estimates finds that typical incentives tip "
      "2-25% of location decisions (median 12.7%, but 3.4% in the studies without obvious "
      "selection bias): for a cautious case, try about a quarter of the default. Calibrate "
      "locally.", "Projection"),
    P("grant_spread_years", "Spread of one-off grants", "years", 10, 1, 30,
      "A one-off grant (per job, per start-up) lowers the recipient's costs over the life of "
      "what it pays for; its value is spread evenly over this many years when expressed as a "
      "share of operating cost. Set locally.", "Projection", integer=True),
    P("operating_cost_per_job", "Annual operating cost per creative job", "currency/job/year",
      90000, 1000, 1000000,
      "Wages plus overheads per job; used to express incentives as a share of firm costs. "
      "Set from local wage data.", "Projection"),
    P("agglomeration_coefficient", "Agglomeration effect of density", "1/year", 0.0, 0.0, 0.2,
      "Extra annual growth per unit of log creative-job density relative to the city. "
      "Default 0: Glaeser, Kallal, Scheinkman & Shleifer (1992, JPE 100(6)) find that "
      "specialisation does not raise a city industry's growth (diversity and competition "
      "do); no sourced value exists for a district. Try 0.01 only as a sensitivity.",
      "Projection"),
    # --- Affordability ------------------------------------------------------------------
    P("rent_burden_threshold", "Rent burden threshold", "share of income", 0.30, 0.05, 0.9,
      "Households paying over 30% of income for housing are cost-burdened (US HUD).",
      "Affordability"),
    P("severe_rent_burden_threshold", "Severe rent burden threshold", "share of income",
      0.50, 0.1, 1.0, "Over 50% of income is severely cost-burdened (US HUD).",
      "Affordability"),
    P("overburden_threshold", "Housing cost overburden threshold (EU)", "share of income",
      0.40, 0.1, 1.0,
      "Eurostat's housing cost overburden rate counts households whose housing costs "
      "exceed 40% of disposable income (EU-SILC, ilc_lvho07a); shown beside HUD's 30%.",
      "Affordability"),
    P("utilities_share", "Utilities and service charges (gross rent)",
      "share of contract rent", 0.30, 0.0, 1.5,
      "Gross rent = contract rent + utilities, as US HUD and the US Census define it and "
      "as Eurostat's housing costs count them; the rent layer holds contract (net) rents. "
      "0.3 is a German national ratio of two sources: ancillary costs billed to tenants, "
      "2.28 EUR/m²/month incl. 1.07 for heating and hot water (Deutscher Mieterbund, "
      "Betriebskostenspiegel, billing year 2022), over the average net cold rent, 7.28 "
      "EUR/m²/month (Zensus 2022): 0.31. Where contract rents already include some "
      "utilities (often so in US contract rent) the share is smaller. 0 gives the burden "
      "on contract rent, a lower bound. Set from local rent and service-charge figures.",
      "Affordability"),
    P("renter_income_ratio", "Renters' median income ÷ all households'", "-", 0.65, 0.2,
      1.5,
      "Rent burden is a renters' figure: renter households earn less than owners. US "
      "Census ACS tables put renters' median household income at roughly 0.6-0.65 of all "
      "households'; set from the local census or income survey (1 = as all households).",
      "Affordability"),
    P("low_income_fraction", "Low income cut-off", "share of area median income", 0.80,
      0.1, 1.5,
      "Low income is below 80% of area median income (Urban Displacement Project typology; "
      "HUD income limits).", "Affordability"),
    P("designation_uplift", "Cultural-district designation uplift", "share", 0.05, 0.0, 0.5,
      "A range of 0-10%, central 5%: Noonan (2013, 'How US cultural districts reshape "
      "neighbourhoods', Cultural Trends 22(3-4)) finds mixed effects of designation on "
      "property values; the +7% of one difference-in-differences study of Louisiana sale "
      "prices is inside that range, not a general rule.", "Affordability"),
    P("transit_uplift_residential", "Rail-station uplift, residential", "share", 0.042, 0.0,
      0.5, "+4.2% residential values within a quarter mile of a station (Debrezion, Pels & "
      "Rietveld 2007, meta-analysis). That gap is already in today's rents near existing "
      "stations, so it applies only to stations the plan adds.", "Affordability"),
    P("transit_uplift_commercial", "Rail-station uplift, commercial", "share", 0.164, 0.0, 0.8,
      "+16.4% commercial values within a quarter mile of a station (Debrezion, Pels & "
      "Rietveld 2007); applied only to stations the plan adds.", "Affordability"),
    P("market_rent_growth", "Market rent growth (real)", "1/year", 0.01, -0.1, 0.3,
      "Rent growth without the plan above general inflation: every money figure is in "
      "constant prices of price_year, as the HM Treasury Green Book (2022) requires with "
      "its real discount rate. 1% is, e.g., 3% nominal less the ECB's 2% inflation "
      "target; set from local rent indices deflated by the CPI.", "Affordability"),
    P("floor_area_per_job", "Floor area per creative job", "m²/job", 20, 5, 200,
      "Studio and creative-office employment density (HCA Employment Density Guide, 3rd ed. "
      "2015).", "Affordability"),
    P("household_size", "Average household size", "persons/household", 2.3, 1.0, 8.0,
      "Households = population / this, for neighbourhoods without a households column. "
      "2.3 is the EU-27 average (Eurostat ilc_lvph01, 2023); the UN Database on Household "
      "Size and Composition (2022) lists each country's. Set from the local census.",
      "Affordability"),
    P("dwelling_floor_area", "Dwelling floor area", "m²", 70, 20, 300,
      "Average rented dwelling size; set from the local housing survey.", "Affordability"),
    P("firm_rent_capacity", "Creative firm rent capacity", "currency/m²/month", 18, 1, 500,
      "Highest workspace rent a typical creative firm can pay; set from local workspace "
      "surveys.", "Affordability"),
    P("firm_rent_capacity_spread", "Spread of creative firms' rent capacity", "share",
      0.33, 0.0, 0.9,
      "Firms differ in what they can pay: capacities are taken as triangular from "
      "firm_rent_capacity × (1 - spread) to × (1 + spread). A third either side brackets "
      "the 20% below-market affordable-workspace benchmark (London Plan Policy E3) and "
      "market rent; judgement, set from local workspace surveys. 0 restores one "
      "capacity for every firm (a knife edge: counts jump as rents cross it).",
      "Affordability"),
    P("weight_vulnerability", "Displacement index weight: vulnerability", "-", 0.4, 0, 1,
      "Index weights in the spirit of the Urban Displacement Project; documented in "
      "docs/methods.md.", "Affordability"),
    P("weight_market", "Displacement index weight: market pressure", "-", 0.35, 0, 1,
      "See docs/methods.md.", "Affordability"),
    P("weight_plan", "Displacement index weight: plan pressure", "-", 0.25, 0, 1,
      "See docs/methods.md.", "Affordability"),
    P("income_sigma", "Income dispersion (lognormal sigma)", "-", 0.85, 0.2, 2.0,
      "Household incomes taken as lognormal around each neighbourhood's median; sigma 0.85 "
      "matches a Gini of 0.45 via G = 2·Phi(sigma/sqrt 2) - 1 (Aitchison & Brown 1957; "
      "Lopez & Serven 2006, World Bank WP 3969). Set from local income surveys.",
      "Affordability"),
    P("income_growth", "Income growth (real)", "1/year", 0.005, -0.1, 0.3,
      "Growth above inflation of household incomes and of what firms can pay, in constant "
      "prices like every money figure; 0.5% a year is a cautious judgement. Set from "
      "local wage data deflated by the CPI.", "Affordability"),
    P("uplift_full_pressure", "Plan uplift counted as full pressure", "share", 0.20, 0.01,
      1.0, "Rent uplift from the plan at which the plan-pressure score of the displacement "
      "index reaches 1; 20% is the top of the cited designation plus rail-station uplifts. "
      "A calibration choice; see docs/methods.md.", "Affordability"),
    # --- Mitigations --------------------------------------------------------------------
    P("affordable_workspace_share", "Affordable workspace set-aside", "share of floor area",
      0.0, 0.0, 1.0, "Policy lever: share of creative floor area let at a capped rent.",
      "Mitigation"),
    P("affordable_workspace_discount", "Affordable workspace rent discount", "share", 0.2,
      0.0, 1.0, "London Plan Policy E3: affordable workspace at below market rent; 20% "
      "discount is a common benchmark.", "Mitigation"),
    P("clt_share", "Community land trust share", "share of households", 0.0, 0.0, 1.0,
      "Policy lever: share of households in permanently affordable CLT homes.", "Mitigation"),
    P("clt_land_share", "Land share of home value (CLT cost)", "share of property value",
      0.5, 0.05, 0.95,
      "A community land trust buys the land under its homes and holds it, so what it pays "
      "is the land's share of their value. Land was about half of residential property "
      "value in large US metropolitan areas in 2004 (Davis & Palumbo 2008, 'The price of "
      "residential land in large US cities', J. Urban Econ. 63(1)), more in dear cities "
      "and less in cheap ones. Set from local land and house prices.", "Mitigation"),
    # --- Incentives ---------------------------------------------------------------------
    P("discount_rate", "Discount rate (real)", "1/year", 0.035, 0.0, 0.2,
      "3.5% real social time preference rate (HM Treasury Green Book); US OMB Circular A-4 "
      "uses 2%.", "Incentives"),
    P("jobs_multiplier", "Jobs multiplier", "-", 2.0, 1.0, 5.0,
      "Total jobs per directly created job, central ≈2 (Bartik, Upjohn Institute incentives "
      "model).", "Incentives"),
    P("budget_cap", "Annual incentive budget cap", "currency/year", 2_000_000, 0, 1e10,
      "Set by the council; 0 means no cap.", "Incentives"),
    P("price_year", "Price year", "year", 2026, 1990, 2100,
      "Year whose prices all money figures are expressed in.", "Incentives", integer=True),
    P("property_tax_rate", "Property tax rate", "share of assessed value per year", 0.01,
      0.0, 0.1, "Effective annual property tax on commercial property value. The default "
      "follows the plan's currency (resources/mappings/property_tax_defaults.csv: USD 1.5%, "
      "Lincoln Institute 50-State Property Tax Comparison Study; GBP 3.33%, England's "
      "business-rates multiplier × the capitalisation yield; EUR 0.133%, Germany's "
      "Grundsteuer); 1% only for a currency not in that table, a round figure inside its "
      "spread. Set locally.", "Incentives"),
    P("assessed_value_per_m2", "Assessed value of workspace", "currency/m²", 0.0, 0.0, 1e6,
      "Taxable value per m² of creative workspace; 0 means derive it from the district's "
      "median rent ÷ capitalisation yield. Set locally from the assessment roll.",
      "Incentives"),
    P("capitalisation_yield", "Capitalisation yield", "1/year", 0.06, 0.01, 0.25,
      "Annual rent ÷ capital value of secondary commercial property (≈5-8% in European and "
      "US markets); converts rent to an assessed value. Set locally.", "Incentives"),
)
del P

_BY_NAME: dict[str, Parameter] = {p.name: p for p in PARAMETERS}


@dataclass(frozen=True)
class Uncertainty:
    """What the evidence allows for one assumption: ``low``..``high`` (a plausible range,
    not the valid range) and how draws spread over it: "uniform", or "triangular" with its
    mode at the parameter's value. ``source`` says where the range comes from. A
    ``relative`` range is in multiples of the value set, for a rate whose level depends on
    the plan's country but whose local uncertainty is proportional to it."""

    low: float
    high: float
    distribution: str
    source: str
    relative: bool = False

    def bounds(self, value: float) -> tuple[float, float]:
        """The range around ``value`` (the assumption as set)."""
        if self.relative:
            return self.low * value, self.high * value
        return self.low, self.high

    def describe(self) -> str:
        """The range as a planner reads it, e.g. '0.5 to 2' or '×0.5 to ×2 the value set'."""
        if self.relative:
            return f"×{self.low:g} to ×{self.high:g} the value set"
        return f"{self.low:g} to {self.high:g}"


_U = Uncertainty
# Assumptions that describe the world and are uncertain. Those not listed are choices the
# plan or its reader makes (definitions such as the 30% burden line, catchment distances,
# horizon, budget, policy levers): they are varied by changing them, not by sampling.
UNCERTAINTY: dict[str, Uncertainty] = {
    "baseline_growth_firms": _U(0.0, 0.04, "triangular",
                                "0 to twice the default: creative activity shrank in some "
                                "years and grew faster in others (DCMS Sector Economic "
                                "Estimates); judgement, set from local registers."),
    "baseline_growth_jobs": _U(0.0, 0.04, "triangular",
                               "As baseline_growth_firms (DCMS Sector Economic Estimates)."),
    "incentive_elasticity": _U(2.5, 30.0, "triangular",
                               "Bartik (2018, Upjohn WP 18-289): tax elasticities -0.1 to "
                               "-0.6 give 5-30; a quarter of the default matches the 3.4% "
                               "'but for' share of the studies without selection bias."),
    "operating_cost_per_job": _U(60000, 120000, "uniform",
                                 "A third either side of the default; judgement, replace "
                                 "with local wage and overhead data."),
    "agglomeration_coefficient": _U(0.0, 0.01, "uniform",
                                    "0 (Glaeser et al. 1992: specialisation does not drive "
                                    "growth) to the 0.01 of earlier versions (unsourced)."),
    "designation_uplift": _U(0.0, 0.10, "uniform",
                             "Noonan (2013, Cultural Trends 22(3-4)): mixed effects of "
                             "cultural-district designation; 0 to 10%."),
    "transit_uplift_residential": _U(0.0, 0.084, "triangular",
                                     "0 to twice the meta-analytic mean (Debrezion, Pels & "
                                     "Rietveld 2007 report estimates of both signs)."),
    "transit_uplift_commercial": _U(0.0, 0.328, "triangular",
                                    "0 to twice the meta-analytic mean (Debrezion, Pels & "
                                    "Rietveld 2007)."),
    "market_rent_growth": _U(-0.01, 0.04, "triangular",
                             "Real rents falling 1% to rising 4% a year; judgement, set "
                             "from local rent indices deflated by the CPI."),
    "income_growth": _U(-0.01, 0.02, "triangular",
                        "Real incomes falling 1% to rising 2% a year; judgement."),
    "floor_area_per_job": _U(12.0, 30.0, "triangular",
                             "HCA Employment Density Guide (3rd ed. 2015): studio and "
                             "creative-office densities span roughly 12-30 m² per job."),
    "dwelling_floor_area": _U(55.0, 90.0, "uniform",
                              "Judgement around the default; set from the housing survey."),
    "household_size": _U(2.0, 3.0, "uniform",
                         "The range of EU member states' averages (Eurostat ilc_lvph01)."),
    "firm_rent_capacity_spread": _U(0.15, 0.5, "uniform",
                                    "Judgement around a third; set from workspace "
                                    "surveys."),
    "firm_rent_capacity": _U(12.0, 24.0, "triangular",
                             "A third either side of the default; judgement anchored on "
                             "affordable-workspace rents at 20% below market (London Plan "
                             "Policy E3). Set from local workspace surveys."),
    "renter_income_ratio": _U(0.5, 0.8, "uniform",
                              "Around the US ACS ratio (about 0.6-0.65); judgement."),
    "income_sigma": _U(0.6, 1.0, "uniform",
                       "Gini 0.33 to 0.52 through G = 2Φ(σ/√2) - 1 (Lopez & Servén 2006)."),
    "uplift_full_pressure": _U(0.10, 0.30, "uniform",
                               "A calibration choice of the composite index; judgement."),
    "weight_vulnerability": _U(0.2, 0.6, "uniform",
                               "The composite index's weights are unsourced; ±0.2."),
    "weight_market": _U(0.15, 0.55, "uniform",
                        "The composite index's weights are unsourced; ±0.2."),
    "weight_plan": _U(0.05, 0.45, "uniform",
                      "The composite index's weights are unsourced; ±0.2."),
    "discount_rate": _U(0.02, 0.07, "uniform",
                        "2% (US OMB Circular A-4, 2023) to 7% (A-4, 2003); 3.5% is the "
                        "Green Book's."),
    "jobs_multiplier": _U(1.5, 2.5, "uniform",
                          "Moretti (2010, AER 100(2)): 1.6 local jobs per tradable job, "
                          "2.5 per skilled or high-tech job."),
    "capitalisation_yield": _U(0.05, 0.08, "uniform",
                               "Secondary commercial yields of about 5-8% (see the "
                               "parameter's source)."),
    "property_tax_rate": _U(0.5, 2.0, "triangular",
                            "Half to twice the rate set: within one country the effective "
                            "rate on value moves with the municipal multiplier (German "
                            "Hebesatz for Grundsteuer B mostly 300-600% around the 391% "
                            "average, Destatis 2022) and with the capitalisation yield "
                            "(5-8% around 6%); set the local rate.", relative=True),
    "grant_spread_years": _U(5.0, 15.0, "uniform",
                             "Judgement: the life of what a grant pays for."),
    "utilities_share": _U(0.15, 0.40, "triangular",
                          "Deutscher Mieterbund, Betriebskostenspiegel (billing year 2022) "
                          "over the Zensus 2022 net cold rent (7.28 EUR/m²): 0.17 for the "
                          "cold service charges alone (2.28 - 1.07 heating and hot water), "
                          "0.39 when every chargeable cost type is billed (2.87 EUR/m²)."),
    "clt_land_share": _U(0.3, 0.7, "uniform",
                         "Davis & Palumbo (2008, J. Urban Econ. 63(1)): land was about 50% "
                         "of residential value averaged over 46 large US metropolitan areas "
                         "in 2004, 32% in 1984, and varies widely between them; ±0.2 "
                         "around the average is a judgement that takes in the 1984 level. "
                         "Set from local land and house prices."),
}
del _U


# The assumptions that are choices, not estimates, and why: each assumption is either
# here or in UNCERTAINTY (a test checks), so none is left without a range by oversight.
CHOICES: dict[str, str] = {
    "transit_near_m": "a catchment definition (a 5-minute walk)",
    "transit_far_m": "a catchment definition (a 10-minute walk)",
    "institution_buffer_m": "a catchment definition",
    "hotspot_cell_m": "the resolution of the hot-spot grid",
    "kde_bandwidth_m": "the scale of clusters the planner wants to see",
    "gi_distance_m": "the neighbourhood of the Gi* test",
    "horizon_years": "the plan's horizon",
    "rent_burden_threshold": "a definition (US HUD's 30%)",
    "severe_rent_burden_threshold": "a definition (US HUD's 50%)",
    "overburden_threshold": "a definition (Eurostat's 40%)",
    "low_income_fraction": "a definition (80% of area median income)",
    "affordable_workspace_share": "a policy lever",
    "affordable_workspace_discount": "a policy lever (the discount offered)",
    "clt_share": "a policy lever",
    "budget_cap": "set by the council",
    "price_year": "the year whose prices money is shown in",
    "assessed_value_per_m2": ("local data from the assessment roll; 0 derives it from rent "
                              "and capitalisation_yield, which has a range"),
}


def uncertainty(name: str) -> Uncertainty | None:
    """The plausible range of assumption ``name``, or None for a choice, not an estimate."""
    parameter(name)
    return UNCERTAINTY.get(name)

# Settings that are words, not numbers.
DEFAULT_CURRENCY = "EUR"


@dataclass(frozen=True)
class CurrencyDefault:
    """A default that depends on the plan's currency: ``rate`` for ``country``, how it was
    derived (``basis``) and where it comes from (``source``, ``year``)."""

    currency: str
    country: str
    rate: float
    basis: str
    source: str
    year: str


@lru_cache(maxsize=1)
def property_tax_defaults() -> dict[str, CurrencyDefault]:
    """The sourced table of default property tax rates by currency (a bundled CSV, so a
    council can add its own country without touching code)."""
    path = mappings_dir() / "property_tax_defaults.csv"
    if not path.is_file():  # a relocated install without it: source_note says so
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        table = {}
        for row in rows:
            rate = float(row["rate"])
            _checked("property_tax_rate", rate)  # a bad table row fails loudly, here
            cur = row["currency"].strip().upper()
            table[cur] = CurrencyDefault(cur, row["country"], rate, row["basis"],
                                         row["source"], row["year"])
    return table


def property_tax_default(currency: str) -> CurrencyDefault | None:
    """The table's property tax default for ``currency``; None when it has no row."""
    return property_tax_defaults().get(str(currency).strip().upper())


def default_value(name: str, currency: str = DEFAULT_CURRENCY) -> float:
    """The default of assumption ``name`` for a plan in ``currency``: the parameter's own
    default, except where a currency table gives a local one (property_tax_rate)."""
    p = parameter(name)
    if name == "property_tax_rate":
        row = property_tax_default(currency)
        if row is not None:
            return row.rate
    return float(p.default)


@lru_cache(maxsize=16)
def _defaults(currency: str) -> dict[str, float]:
    """Every default for ``currency``, built once: Assumptions are made on every edit and
    every sensitivity swing, so each must cost a dict copy, not a table look-up per name."""
    return {p.name: default_value(p.name, currency) for p in PARAMETERS}


def source_note(name: str, currency: str = DEFAULT_CURRENCY) -> str:
    """The source of assumption ``name`` as a plan in ``currency`` sees it: the parameter's
    source, plus which currency default applies and why."""
    p = parameter(name)
    if name != "property_tax_rate":
        return p.source
    row = property_tax_default(currency)
    if row is None:
        return (f"No default for {currency} in resources/mappings/property_tax_defaults.csv: "
                f"{p.default:g} is a round figure, not a local rate. Set the local "
                "effective rate on commercial property value.")
    return (f"Default for {row.currency}: {row.rate:.4g} of value a year ({row.country}). "
            f"{row.basis} Source: {row.source} ({row.year}). Set the local rate if it differs.")


def parameter(name: str) -> Parameter:
    """The parameter definition called ``name``; AssumptionError when there is none."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise AssumptionError(f"Unknown assumption '{name}'.") from None


class Assumptions(Mapping[str, float]):
    """An immutable set of values for every parameter; ``replace`` makes a changed copy.

    Immutable so a Metrics object can keep the exact assumptions it was computed with.
    """

    __slots__ = ("_values", "currency")

    def __init__(self, values: Mapping[str, float] | None = None, currency: str = DEFAULT_CURRENCY):
        merged = dict(_defaults(str(currency)))
        for name, value in (values or {}).items():
            merged[name] = _checked(name, value)
        object.__setattr__(self, "_values", merged)
        object.__setattr__(self, "currency", str(currency))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Assumptions are immutable; use replace().")

    def __getitem__(self, name: str) -> float:
        parameter(name)
        return self._values[name]

    def __getattr__(self, name: str) -> float:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Assumptions)
            and self._values == other._values
            and self.currency == other.currency
        )

    def __hash__(self) -> int:
        return hash((tuple(sorted(self._values.items())), self.currency))

    def __repr__(self) -> str:
        return f"Assumptions({self.changed_from_default()!r}, currency={self.currency!r})"

    def replace(self, currency: str | None = None, **changes: float) -> Assumptions:
        """A copy with ``changes`` applied; raises AssumptionError on a bad value.

        A new ``currency`` brings its own defaults for the values still at the old
        currency's default; a value the planner set is kept."""
        values = dict(self._values)
        if currency is not None and currency != self.currency:
            for name in ("property_tax_rate",):
                if name not in changes and values[name] == default_value(name, self.currency):
                    values[name] = default_value(name, currency)
        for name, value in changes.items():
            values[name] = _checked(name, value)
        return Assumptions(values, currency=self.currency if currency is None else currency)

    def changed_from_default(self) -> dict[str, float]:
        """Values that differ from the defaults of this plan's currency."""
        defaults = _defaults(self.currency)
        return {k: v for k, v in self._values.items() if v != defaults[k]}

    def source_note(self, name: str) -> str:
        """The source of ``name`` for this plan's currency (see :func:`source_note`)."""
        return source_note(name, self.currency)

    def to_dict(self) -> dict[str, Any]:
        return {"currency": self.currency, "values": dict(self._values)}

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Assumptions:
        """Accepts ``{"currency": ..., "values": {...}}`` or a flat ``{name: value}``."""
        if not isinstance(data, Mapping):
            raise AssumptionError("An assumptions file must hold a JSON object.")
        values = data.get("values", None)
        currency = data.get("currency", DEFAULT_CURRENCY)
        if values is None:
            values = {k: v for k, v in data.items() if k != "currency"}
        if not isinstance(values, Mapping):
            raise AssumptionError("'values' must be an object of name: number.")
        return cls(values, currency=currency)

    @classmethod
    def from_json(cls, path: str | Path) -> Assumptions:
        """Read a JSON file; errors name the file and the offending parameter."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AssumptionError(f"{path}: file not found.") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise AssumptionError(f"{path}: not valid JSON ({exc}).") from None
        try:
            return cls.from_dict(data)
        except AssumptionError as exc:
            raise AssumptionError(f"{path}: {exc}") from None


def markdown_table() -> str:
    """Every parameter as a Markdown table, the one in docs/methods.md (a test compares)."""
    rows = ["| Group | Parameter | Meaning | Unit | Default | Range | Source |",
            "|---|---|---|---|---|---|---|"]
    for p in PARAMETERS:
        cells = (p.group, f"`{p.name}`", p.label, p.unit, format_value(p.default),
                 f"{format_value(p.minimum)} to {format_value(p.maximum)}", p.source)
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


def format_value(v: float) -> str:
    """A parameter value for people: whole numbers without decimals, thousands grouped."""
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}" if abs(v) >= 10000 else str(int(v))
    return f"{v:g}"


def _checked(name: str, value: Any) -> float:
    p = parameter(name)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise AssumptionError(
            f"Assumption '{name}' ({p.label}) must be a number in {p.unit}; got {value!r}."
        ) from None
    if v != v or not (p.minimum <= v <= p.maximum):
        raise AssumptionError(
            f"Assumption '{name}' ({p.label}) must lie between {p.minimum:g} and "
            f"{p.maximum:g} {p.unit}; got {v:g}."
        )
    if p.integer and v != int(v):
        raise AssumptionError(f"Assumption '{name}' ({p.label}) must be a whole number; got {v:g}.")
    return v
