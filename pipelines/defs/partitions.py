"""One dynamic partition per report file; the key is the file name."""

import dagster as dg

reports_partitions = dg.DynamicPartitionsDefinition(name="reports")

# Per-report assets process every requested partition in one run (one batch, one transaction).
single_run = dg.BackfillPolicy.single_run()
