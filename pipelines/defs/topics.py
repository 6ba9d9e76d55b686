"""Topics: taxonomy assignment per section, discovery of new topics, frequency tables."""

from collections.abc import Iterator

import dagster as dg
import polars as pl

from pipelines.asset_metadata import markdown_preview
from pipelines.asset_specs import corpus_multi_asset, corpus_spec
from pipelines.corpus_reads import (
    all_assignments,
    read_report_languages,
    read_reports,
    read_section_texts,
    read_sections,
)
from pipelines.increment_state import current_reports, plan_for
from pipelines.increments import INDEX_KEY, index_rows_of, table_index
from pipelines.resources import Taxonomy, WarehouseResource
from pipelines.text.stopwords import content_words, default_stopwords
from pipelines.text.topics.assign import unmatched_sections
from pipelines.text.topics.discover import MIN_TOPIC_REPORTS, discover_topics, recurring_topics
from pipelines.text.topics.tables import (
    report_topics,
    topic_frequency,
    topic_terms,
    topic_trend,
    topic_word_counts,
)
from pipelines.warehouse import SCHEMA, Warehouse

SECTIONS_MOSTLY_HAVE_A_TAXONOMY_TOPIC = "sections_mostly_have_a_taxonomy_topic"
TOPIC_IDS_EXIST_IN_TAXONOMY = "topic_ids_exist_in_taxonomy"
# The catalog's and the topic tables' bookkeeping (increments.py), and the stored per-topic
# word counts topic_terms is computed from.
CATALOG_INDEX = "topic_catalog_index"
TABLES_INDEX = "topic_tables_index"
WORD_COUNTS = "topic_word_counts"
# v2: n_reports, recurring topics only in the catalog, report-language stopwords;
# v3: sections read with their table cells (corpus_reads.TEXT_WITH_TABLES); languages: the
# detected report language picks the stopword list.
DISCOVERY_PARAMETERS = "discovery=v3;languages"
MIN_TERM_LENGTH = 3  # topic_terms' default
REPORTS_PER_CHUNK = 1000
# Below this share of (non-preamble) sections with a taxonomy topic, the check warns.
MIN_TAXONOMY_COVERAGE = 0.8


@corpus_multi_asset(
    "topic_catalog",
    [
        corpus_spec(
            "discovered_topics",
            group="topics",
            kinds=frozenset({"scikit-learn", "duckdb"}),
            deps=["section_topics", "report_inventory"],
            description="New topics proposed from the sections no taxonomy topic matches: "
            "TF-IDF clusters labelled by their top c-TF-IDF terms, ids stable while members "
            f"stay, with the reports they come from; those from >= {MIN_TOPIC_REPORTS} reports "
            "recur and join the topic tables (discovered_section_topics, topics).",
        ),
        corpus_spec(
            "topics",
            group="topics",
            kinds=frozenset({"duckdb"}),
            deps=["discovered_topics"],
            description="Every topic: the taxonomy's (topics.toml) and the recurring "
            "discovered ones, with label, description and source.",
        ),
    ],
)
def topic_catalog(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, taxonomy: Taxonomy
):  # type: ignore[no-untyped-def]
    """Cluster unmatched sections into discovered topics and land the full topic list.

    Discovery clusters every untagged section at once, so it runs when the corpus-wide
    tables are recomputed (the daily full refresh, a deleted or changed report, a new
    taxonomy); a refresh that only adds reports keeps the catalog, and their untagged
    sections wait for the next discovery.
    """
    store = warehouse.get()
    current = current_reports(store)
    parameters = f"taxonomy={taxonomy.fingerprint()};{DISCOVERY_PARAMETERS}"
    plan = plan_for(
        context, store, current, CATALOG_INDEX, parameters,
        "discovered_topics", "discovered_section_topics", "topics",
    )  # fmt: skip
    if not plan.full:
        kept = store.read(f"SELECT count(*) AS n FROM {SCHEMA}.discovered_topics")["n"][0]
        added = index_rows_of(table_index(current, parameters), plan.added)
        store.replace_tables({}, {CATALOG_INDEX: (added, [INDEX_KEY])})
        yield dg.MaterializeResult(
            asset_key="discovered_topics",
            metadata={"dagster/row_count": int(kept), "mode": f"kept ({plan.describe()})"},
        )
        yield dg.MaterializeResult(asset_key="topics", metadata={"mode": "kept"})
        return
    sections = read_sections(store)
    tagged = store.read(f"SELECT section_id FROM {SCHEMA}.section_topics")
    unmatched = unmatched_sections(sections.filter(~pl.col("is_preamble")), tagged).join(
        read_report_languages(store, current["report_id"].to_list()),
        on="report_id",
        how="left",
        maintain_order="left",
    )
    discovered, members = discover_topics(unmatched)
    # Single-report clusters stay in discovered_topics only: the topic tables and charts
    # read the catalog and discovered_section_topics, which hold the recurring ones.
    recurring, recurring_members = recurring_topics(discovered, members)
    catalog = pl.concat(
        [
            taxonomy.load().select(
                "topic_id", "label", "description", pl.lit("taxonomy").alias("source")
            ),
            recurring.select(
                "topic_id",
                "label",
                pl.format(
                    "Discovered among {} untagged sections of {} reports",
                    "n_sections",
                    "n_reports",
                ).alias("description"),
                pl.lit("discovered").alias("source"),
            ),
        ]
    )
    store.replace_tables(
        {
            "discovered_topics": discovered,
            "discovered_section_topics": recurring_members,
            "topics": catalog,
            CATALOG_INDEX: table_index(current, parameters),
        }
    )
    yield dg.MaterializeResult(
        asset_key="discovered_topics",
        metadata={
            "mode": plan.describe(),
            "dagster/row_count": discovered.height,
            "recurring": recurring.height,
            "untagged_sections": unmatched.height,
            "preview": markdown_preview(
                discovered.select("topic_id", "label", "n_sections", "n_reports")
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key="topics",
        metadata={"dagster/row_count": catalog.height, "preview": markdown_preview(catalog)},
    )


@corpus_multi_asset(
    "topic_tables",
    [
        corpus_spec(
            "topic_frequency",
            group="topics",
            deps=["topics"],
            description="Per topic: in how many reports and sections it is the primary topic, "
            "its share of all words, first/last seen and mean position within reports.",
        ),
        corpus_spec(
            "report_topics",
            group="topics",
            deps=["topics"],
            description="Report × topic: sections, words and share of the report's words.",
        ),
        corpus_spec(
            "topic_trend",
            group="topics",
            deps=["topics"],
            description="Topic × report day (or runs of arrival order, when reports share "
            "fewer than 3 dates): sections and share of the bucket's words, to see topics come "
            "and go.",
        ),
        corpus_spec(
            "topic_terms",
            group="topics",
            deps=["topics"],
            description="The terms that distinguish each topic from the rest: log-odds ratio "
            "with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), z-scored.",
        ),
    ],
)
def topic_tables(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, taxonomy: Taxonomy
):  # type: ignore[no-untyped-def]
    """Frequency, report × topic, trend and distinguishing terms from all assignments.

    The first three are sums over small columns, recomputed every time. topic_terms needs
    every section's words: their per-topic counts are stored (corpus.topic_word_counts),
    new reports add theirs, and anything else recounts them all.
    """
    store = warehouse.get()
    with store.connect():  # the reads share one connection
        current = current_reports(store)
        catalog = store.read(
            f"SELECT hash(string_agg(topic_id, ',' ORDER BY topic_id)) AS h FROM {SCHEMA}.topics"
        )["h"][0]
        # v2: topic word counts include table cells (corpus_reads.TEXT_WITH_TABLES).
        parameters = f"taxonomy={taxonomy.fingerprint()};catalog={catalog};v2"
        plan = plan_for(
            context, store, current, TABLES_INDEX, parameters, WORD_COUNTS, "topic_terms"
        )
        assignments = all_assignments(store)
        sections = store.read(
            f"SELECT section_id, report_id, ordinal, n_words FROM {SCHEMA}.sections"
        )
        reports = read_reports(store)
        labels = store.read(f"SELECT topic_id, label FROM {SCHEMA}.topics")
    index = table_index(current, parameters)
    if plan.full:
        counts = _word_counts(store, assignments, None)
        tables = {WORD_COUNTS: counts, TABLES_INDEX: index}
        upserts = {}
    else:
        stored = store.read(f"SELECT * FROM {SCHEMA}.{WORD_COUNTS}")
        added = _word_counts(store, assignments, plan.added)
        changed = (
            added.join(stored, on=["topic_id", "word"], how="left", suffix="_stored")
            .with_columns(pl.col("count") + pl.col("count_stored").fill_null(0))
            .select(stored.columns)
        )
        counts = pl.concat([stored.join(changed, on=["topic_id", "word"], how="anti"), changed])
        tables = {}
        upserts = {
            WORD_COUNTS: (changed, ["topic_id", "word"]),
            TABLES_INDEX: (index_rows_of(index, plan.added), [INDEX_KEY]),
        }
    results = {
        "topic_frequency": topic_frequency(assignments, sections, reports, labels),
        "topic_trend": topic_trend(assignments, sections, reports),
        "topic_terms": topic_terms(counts),
    }
    if plan.full or not store.table_exists("report_topics"):
        results["report_topics"] = report_topics(assignments, sections)
        store.replace_tables({**results, **tables}, upserts)
    else:  # a report's rows depend on its own sections only: write the new reports' rows
        new_rows = report_topics(
            assignments.filter(pl.col("report_id").is_in(plan.added)),
            sections.filter(pl.col("report_id").is_in(plan.added)),
        )
        store.replace_tables(
            {**results, **tables}, {**upserts, "report_topics": (new_rows, ["report_id"])}
        )
        results["report_topics"] = new_rows
    previews = {
        "topic_frequency": ["label", "n_reports", "n_sections", "share_of_words"],
        "report_topics": ["report_id", "topic_id", "share_of_words"],
        "topic_trend": ["topic_id", "axis", "report_date", "arrival_rank", "share_of_words"],
        "topic_terms": ["topic_id", "term", "z_score"],
    }
    counts_of = store.row_counts()
    for name, frame in results.items():
        yield dg.MaterializeResult(
            asset_key=name,
            metadata={
                "mode": plan.describe(),
                "dagster/row_count": counts_of.get(name, frame.height),
                "preview": markdown_preview(frame.select(previews[name])),
            },
        )


def _word_counts(
    store: Warehouse, assignments: pl.DataFrame, report_ids: list[str] | None
) -> pl.DataFrame:
    """Content-word counts per primary topic (topic_id, word, count) of some or all reports."""
    ids = report_ids if report_ids is not None else current_reports(store)["report_id"].to_list()
    parts = [
        topic_word_counts(
            read_section_texts(store, ids[start : start + REPORTS_PER_CHUNK]), assignments
        ).filter(content_words(pl.col("word"), MIN_TERM_LENGTH, default_stopwords()))
        for start in range(0, len(ids), REPORTS_PER_CHUNK)
    ]
    if not parts:
        return pl.DataFrame(schema={"topic_id": pl.String, "word": pl.String, "count": pl.Int64})
    return pl.concat(parts).group_by("topic_id", "word").agg(pl.col("count").sum())


@dg.multi_asset_check(
    name="section_topics_checks",
    specs=[
        dg.AssetCheckSpec(
            SECTIONS_MOSTLY_HAVE_A_TAXONOMY_TOPIC,
            asset="section_topics",
            description=f"At least {MIN_TAXONOMY_COVERAGE:.0%} of sections (preambles aside) "
            "carry a taxonomy topic; fewer means the taxonomy no longer fits the reports "
            "(warning).",
        ),
        dg.AssetCheckSpec(
            TOPIC_IDS_EXIST_IN_TAXONOMY,
            asset="section_topics",
            description="Every topic id assigned to a section exists in pipelines/topics.toml.",
        ),
    ],
    can_subset=True,
)
def section_topics_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, taxonomy: Taxonomy
) -> Iterator[dg.AssetCheckResult]:
    """The taxonomy checks of section_topics, in one step (one step less per refresh)."""
    selected = {key.name for key in context.selected_asset_check_keys}
    store = warehouse.get()
    if SECTIONS_MOSTLY_HAVE_A_TAXONOMY_TOPIC in selected:
        yield sections_mostly_have_a_taxonomy_topic(store)
    if TOPIC_IDS_EXIST_IN_TAXONOMY in selected:
        yield topic_ids_exist_in_taxonomy(store, taxonomy.load())


def sections_mostly_have_a_taxonomy_topic(store: Warehouse) -> dg.AssetCheckResult:
    """Share of non-preamble sections with at least one taxonomy topic."""
    coverage = store.read_check(SECTIONS_MOSTLY_HAVE_A_TAXONOMY_TOPIC).row(0, named=True)
    share = coverage["tagged"] / coverage["sections"] if coverage["sections"] else 1.0
    return dg.AssetCheckResult(
        asset_key="section_topics",
        check_name=SECTIONS_MOSTLY_HAVE_A_TAXONOMY_TOPIC,
        passed=share >= MIN_TAXONOMY_COVERAGE,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"share_tagged": round(share, 4), **coverage},
    )


def topic_ids_exist_in_taxonomy(store: Warehouse, taxonomy: pl.DataFrame) -> dg.AssetCheckResult:
    """Find assigned topic ids the current taxonomy does not define."""
    in_use = store.read(f"SELECT DISTINCT topic_id FROM {SCHEMA}.section_topics")
    unknown = sorted(set(in_use["topic_id"].to_list()) - set(taxonomy["topic_id"].to_list()))
    return dg.AssetCheckResult(
        asset_key="section_topics",
        check_name=TOPIC_IDS_EXIST_IN_TAXONOMY,
        passed=not unknown,
        metadata={"unknown_topic_ids": ", ".join(unknown) or "none"},
    )
