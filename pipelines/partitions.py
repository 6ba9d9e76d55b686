"""The report partitions and the job names, shared by the Dagster definitions and the CLI."""

import dagster as dg

# One dynamic partition per report file; the key is the file name.
reports_partitions = dg.DynamicPartitionsDefinition(name="reports")

# Per-report assets process every requested partition in one run (one batch, one transaction).
single_run = dg.BackfillPolicy.single_run()

# Every asset, in one process: the per-report ones for the requested reports, then the rest.
REFRESH_JOB = "refresh_all"
# The same selection with every step in its own process, for large backfills on many cores.
PARALLEL_JOB = "refresh_all_parallel"
# The corpus-wide assets only, from the per-report rows already landed.
CORPUS_JOB = "refresh_corpus"
# The corpus-wide assets recomputed from scratch, with the incremental-equals-full checks:
# what the daily schedule runs.
FULL_JOB = "refresh_full"

# Per-report (partitioned) assets: a report has landed when each has materialized its
# partition. Their metrics (REPORT_METRIC_ASSETS) are computed in one unpartitioned step for
# every report that lacks them, so a bulk load writes one event per report and asset here,
# not per metric table.
PER_REPORT_ASSETS = ["reports", "sections"]
REPORT_METRIC_ASSETS = [
    "section_readability",
    "report_readability",
    "report_repetition",
    "section_fingerprints",
    "section_topics",
]
