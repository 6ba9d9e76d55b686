"""Jobs, schedule and sensor that keep the warehouse in step with the reports folder."""

import dagster as dg

# Per-report assets carry the tag scope=report, corpus-wide ones scope=corpus.
CORPUS_WIDE = dg.AssetSelection.tag("scope", "corpus")

refresh_all = dg.define_asset_job(
    "refresh_all",
    selection=dg.AssetSelection.all(),
    description="Every asset: the per-report ones for the requested reports, then the "
    "corpus-wide tables, charts and the published warehouse.",
)

refresh_corpus = dg.define_asset_job(
    "refresh_corpus",
    selection=CORPUS_WIDE,
    description="The corpus-wide tables, charts and the published warehouse, from the "
    "per-report rows already landed.",
)
