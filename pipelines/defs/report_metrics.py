"""Per-report metrics in one step: readability, repetition, fingerprints and taxonomy topics.

The per-report tables are computed for the reports that lack them (new, changed, or computed
with other parameters), a chunk of reports at a time, each chunk one transaction with its
index rows, so a killed run resumes where it stopped. One step and five materializations per
run, whatever the number of reports: a bulk load writes one event per report (`reports`),
not one per report and table.
"""

import hashlib
from collections.abc import Iterator

import dagster as dg
import polars as pl

from pipelines.asset_specs import POLARS_DUCKDB, corpus_spec
from pipelines.corpus_reads import read_report_languages, read_sections, report_texts
from pipelines.increment_state import current_reports
from pipelines.increments import INDEX_KEY
from pipelines.lsh import FINGERPRINT_PARAMETERS, MINHASH_CONFIG
from pipelines.resources import Taxonomy, WarehouseResource
from pipelines.text.language import report_languages
from pipelines.text.readability.table import readability as readability_table
from pipelines.text.redundancy.fingerprints import fingerprint_sections
from pipelines.text.redundancy.repetition import section_and_report_repetition
from pipelines.text.tokens import WORD_PATTERN
from pipelines.text.topics.assign import assign_topics
from pipelines.warehouse import SCHEMA, Warehouse

# Which reports each metric family holds, and with what parameters.
METRICS_INDEX = "report_metrics_index"
# Reports whose sections the step holds in memory at once.
REPORTS_PER_CHUNK = 1000
# Metric family -> the tables it lands.
FAMILIES = {
    "readability": ("section_readability", "report_readability"),
    "repetition": ("report_repetition", "section_repetition"),
    "fingerprints": ("section_shingles", "section_band_keys"),
    "topics": ("section_topics",),
}


def family_parameters(taxonomy: str) -> dict[str, str]:
    """What each family's rows depend on besides the report (`taxonomy`: the file's hash),
    including the word definition (a new one, like CJK characters as words, recomputes).

    Topics (v2) and fingerprints read table cells too; readability and repetition the prose.
    """
    words = hashlib.sha256(WORD_PATTERN.encode("utf-8")).hexdigest()[:12]
    return {
        "readability": f"words={words};languages;v2",
        "repetition": f"words={words};v1",
        "fingerprints": FINGERPRINT_PARAMETERS,
        "topics": f"taxonomy={taxonomy};words={words};v2",
    }


def pending_reports(
    current: pl.DataFrame, index: pl.DataFrame | None, parameters: dict[str, str]
) -> dict[str, list[str]]:
    """Per family, the reports (ids, sorted) whose rows are missing, stale or of other parameters."""
    held = (
        index.select(pl.col(INDEX_KEY).alias("report_id"), "content_sha256", "family", "parameters")
        if index is not None
        else pl.DataFrame(
            schema={
                "report_id": pl.String,
                "content_sha256": pl.String,
                "family": pl.String,
                "parameters": pl.String,
            }
        )
    )
    pending = {}
    for family, value in parameters.items():
        done = held.filter((pl.col("family") == family) & (pl.col("parameters") == value))
        missing = current.join(done, on=["report_id", "content_sha256"], how="anti")
        pending[family] = missing["report_id"].sort().to_list()
    return pending


def _index_rows(
    current: pl.DataFrame, ids: list[str], family: str, parameters: str
) -> pl.DataFrame:
    """Index rows saying `family` now holds these reports' rows."""
    return current.filter(pl.col("report_id").is_in(ids)).select(
        pl.col("report_id").alias(INDEX_KEY),
        "content_sha256",
        pl.lit(family).alias("family"),
        pl.lit(parameters).alias("parameters"),
    )


def _family_tables(
    family: str, sections: pl.DataFrame, taxonomy: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """One family's tables for the given reports' sections (`prose_text`: without tables)."""
    if family in ("readability", "repetition"):  # the prose alone, as textstat would read it
        sections = sections.with_columns(pl.col("prose_text").alias("plain_text"))
    if family == "readability":  # a section's language is its report's
        languages = sections.select("report_id", "language").unique("report_id")
        reports = report_texts(sections).join(
            languages, on="report_id", how="left", maintain_order="left"
        )
        return {
            "section_readability": readability_table(sections, ["report_id", "section_id"]),
            "report_readability": readability_table(reports, ["report_id"]),
        }
    if family == "repetition":
        per_report, per_section = section_and_report_repetition(sections)
        return {"report_repetition": per_report, "section_repetition": per_section}
    if family == "fingerprints":
        shingles, band_keys = fingerprint_sections(sections, MINHASH_CONFIG)
        return {"section_shingles": shingles, "section_band_keys": band_keys}
    return {"section_topics": assign_topics(sections, taxonomy)}


def _chunks(
    store: Warehouse,
    current: pl.DataFrame,
    pending: dict[str, list[str]],
    parameters: dict[str, str],
    taxonomy: pl.DataFrame,
) -> Iterator[tuple[list[str], list[tuple[str, pl.DataFrame, str, list[str]]], pl.DataFrame]]:
    """Per chunk of pending reports: its ids, the writes of every family's rows, index rows."""
    ids = sorted(set().union(*pending.values()))
    for start in range(0, len(ids), REPORTS_PER_CHUNK):
        chunk = ids[start : start + REPORTS_PER_CHUNK]
        sections = read_sections(store, chunk, with_prose=True).sort("report_id", "ordinal")
        languages = report_languages(sections, read_report_languages(store, chunk))
        sections = sections.join(languages, on="report_id", how="left", maintain_order="left")
        writes: list[tuple[str, pl.DataFrame, str, list[str]]] = []
        index: list[pl.DataFrame] = []
        for family, wanted in pending.items():
            todo = sorted(set(chunk).intersection(wanted))
            if not todo:
                continue
            rows = sections.filter(pl.col("report_id").is_in(todo))
            for table, frame in _family_tables(family, rows, taxonomy).items():
                writes.append((table, frame, "report_id", todo))
            index.append(_index_rows(current, todo, family, parameters[family]))
        yield chunk, writes, pl.concat(index)


@dg.multi_asset(
    name="report_metrics",
    specs=[
        corpus_spec(
            "section_readability",
            group="readability",
            deps=["sections"],
            description="textstat's readability formulas and the counts behind them for every "
            "section's plain text; `reliable` is false under 100 words or 3 sentences.",
        ),
        corpus_spec(
            "report_readability",
            group="readability",
            deps=["sections"],
            description="The same formulas for each whole report (its sections' plain text).",
        ),
        corpus_spec(
            "report_repetition",
            group="redundancy",
            deps=["sections"],
            description="How much each report (and section, corpus.section_repetition) repeats "
            "itself: Gopher repetition fractions (Rae et al. 2021, Table A1) and the zlib "
            "compression ratio, as continuous values.",
        ),
        corpus_spec(
            "section_fingerprints",
            group="redundancy",
            deps=["sections"],
            kinds=frozenset({"numpy", "duckdb"}),
            description="The stored index new reports are compared against: each section's word "
            "5-shingles (stable hashes, corpus.section_shingles), MinHash signature and LSH band "
            "keys (corpus.section_band_keys).",
        ),
        corpus_spec(
            "section_topics",
            group="topics",
            deps=["sections"],
            kinds=POLARS_DUCKDB,
            description="Taxonomy topics of every section (pipelines/topics.toml): score, whether "
            "primary, and the matched terms as evidence; the heading weighs more than the body.",
        ),
    ],
)
def report_metrics(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, taxonomy: Taxonomy
) -> Iterator[dg.MaterializeResult]:
    """Compute every metric family for the reports that lack it, a chunk at a time."""
    store = warehouse.get()
    current = current_reports(store)
    parameters = family_parameters(taxonomy.fingerprint())
    index = (
        store.read(f"SELECT * FROM {SCHEMA}.{METRICS_INDEX}")
        if store.table_exists(METRICS_INDEX)
        else None
    )
    if index is not None:  # forget reports that are gone: a returning file is recomputed
        gone = index.join(current.rename({"report_id": INDEX_KEY}), on=INDEX_KEY, how="anti")[
            INDEX_KEY
        ].unique()
        if gone.len():
            store.replace_many([(METRICS_INDEX, index.head(0), INDEX_KEY, gone.to_list())])
    pending = pending_reports(current, index, parameters)
    terms = taxonomy.load()
    written: dict[str, int] = {}
    computed: set[str] = set()
    for chunk, writes, index_rows in _chunks(store, current, pending, parameters, terms):
        store.replace_many(writes, {METRICS_INDEX: (index_rows, [INDEX_KEY, "family"])})
        computed.update(chunk)
        for table, frame, _, _ in writes:
            written[table] = written.get(table, 0) + frame.height
        context.log.info(
            f"report metrics: {len(computed)} of {len(set().union(*pending.values()))} reports"
        )
    for family, tables in FAMILIES.items():
        for table in tables:
            if table in ("section_repetition", "section_shingles"):
                continue
            key = "section_fingerprints" if table == "section_band_keys" else table
            metadata: dict[str, object] = {
                "reports_computed": len(pending[family]),
                "rows_written": written.get(table, 0),
            }
            if family == "fingerprints":
                metadata["shingles_written"] = written.get("section_shingles", 0)
                metadata["bands_x_rows"] = "{} x {}".format(*MINHASH_CONFIG.banding)
            yield dg.MaterializeResult(asset_key=key, metadata=metadata)
