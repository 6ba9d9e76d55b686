"""The SQL checks of the warehouse (sql/checks/<name>.sql), evaluated together in one step."""

from pipelines.asset_checks import OffendingRowsCheck, offending_rows_checks
from pipelines.text.tokens import WORD_PATTERN

SQL_CHECKS = [
    OffendingRowsCheck(
        asset="sections",
        name="sections_cover_every_word",
        description="The words of each report's sections add up to the report's words: "
        "nothing lost, nothing counted twice.",
        counted="reports_with_mismatch",
        parameters={"word_pattern": WORD_PATTERN},
    ),
    OffendingRowsCheck(
        asset="sections",
        name="every_report_has_sections",
        description="Every landed report has at least one section.",
        counted="reports_without_sections",
    ),
    OffendingRowsCheck(
        asset="section_readability",
        name="readability_is_finite_when_reliable",
        description="Every formula is a finite number on every reliable section and report.",
        counted="rows_not_finite",
    ),
    OffendingRowsCheck(
        asset="report_readability",
        name="report_readability_within_section_range",
        description="For formulas that average over words or sentences (Coleman-Liau, SMOG, "
        "McAlpine EFLAW), each report's value lies within its sections' range.",
        counted="reports_outside_range",
    ),
    OffendingRowsCheck(
        asset="report_repetition",
        name="repetition_fractions_in_unit_range",
        description="Every Gopher repetition fraction lies within [0, 1].",
        counted="rows_outside",
    ),
    OffendingRowsCheck(
        asset="near_duplicate_sections",
        name="near_duplicate_pairs_are_verified",
        description="Every stored pair's Jaccard, recomputed in SQL from the stored shingles, "
        "equals the stored value and reaches the threshold; fractions lie within [0, 1].",
        counted="unverified_pairs",
    ),
]

warehouse_checks = offending_rows_checks("warehouse_checks", SQL_CHECKS)
