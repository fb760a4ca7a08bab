"""The PDF plan: title page, maps, figures, charts, comparison and appendix, drawn with
Qt's painter into one QPdfWriter, with the project attached (see :mod:`.plan`)."""

from districtplanner.ui.report.plan import (
    PlanExport,
    PlanOptions,
    PlanResult,
    ReportError,
    compute_figures,
    export_plan,
)

__all__ = ["PlanExport", "PlanOptions", "PlanResult", "ReportError", "compute_figures",
           "export_plan"]
