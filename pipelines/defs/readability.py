"""Readability checks (the tables are landed by report_metrics)."""

from pipelines.asset_checks import offending_rows_check

READABILITY_IS_FINITE_WHEN_RELIABLE = "readability_is_finite_when_reliable"
REPORT_READABILITY_WITHIN_SECTION_RANGE = "report_readability_within_section_range"
# The SQL of both checks is in sql/checks/<check name>.sql.


readability_is_finite_when_reliable = offending_rows_check(
    asset="section_readability",
    name=READABILITY_IS_FINITE_WHEN_RELIABLE,
    description="Every formula is a finite number on every reliable section and report.",
    counted="rows_not_finite",
)


report_readability_within_section_range = offending_rows_check(
    asset="report_readability",
    name=REPORT_READABILITY_WITHIN_SECTION_RANGE,
    description="For formulas that average over words or sentences (Coleman-Liau, SMOG, "
    "McAlpine EFLAW), each report's value lies within its sections' range.",
    counted="reports_outside_range",
)
