"""Repeated phrases (boilerplate): maximal 3..8-word phrases recurring in the most reports."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import polars as pl

from pipelines.text.redundancy.codes import dense_codes
from pipelines.text.tokens import word_frame

_STOPWORD_TEXT = """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    also may might must shall via per etc"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())


PHRASE_SCHEMA = {
    "phrase": pl.String,
    "n": pl.Int64,
    "n_reports": pl.Int64,
    "n_occurrences": pl.Int64,
    "example_report_id": pl.String,
    "example_section_id": pl.String,
}
# The phrase candidates a refresh counts new reports against (see `frequent_phrases`).
CANDIDATE_SCHEMA = {**PHRASE_SCHEMA, "first_position": pl.Int64}


def default_min_reports(n_reports: int) -> int:
    """The report count from which an n-gram is a candidate: 0.5% of the reports, at least 2."""
    return max(2, -(-n_reports // 200))


def repeated_phrases(
    sections: pl.DataFrame,
    n_min: int = 3,
    n_max: int = 8,
    top: int = 100,
    min_reports: int | None = None,
    stopwords: Iterable[str] = STOPWORDS,
) -> pl.DataFrame:
    """Maximal word n-grams (n_min..n_max) recurring in the most reports: boilerplate phrases.

    `rank_phrases` over `frequent_phrases`: see both.
    """
    candidates = frequent_phrases(sections, n_min, n_max, min_reports)
    return rank_phrases(candidates, top, stopwords)


def rank_phrases(
    candidates: pl.DataFrame, top: int = 100, stopwords: Iterable[str] = STOPWORDS
) -> pl.DataFrame:
    """The best `top` maximal candidates that are not all stopwords.

    An n-gram is dropped when an (n+1)-gram candidate extending it on either side has the
    same report count (a longer container with an equal count implies such an (n+1)-gram), or
    when all its words are stopwords. Best first: n_reports, n_occurrences, n (descending),
    then the first occurrence in corpus order.
    """
    if candidates.height == 0:
        return pl.DataFrame(schema=PHRASE_SCHEMA)
    longer = candidates.filter(pl.col("n") > candidates["n"].min())
    covered = pl.concat(
        [
            longer.select(
                (pl.col("n") - 1).alias("n"),
                "n_reports",
                pl.col("phrase").str.replace(pattern, "").alias("phrase"),
            )
            for pattern in (r" [^ ]+$", r"^[^ ]+ ")  # (n-1)-prefix, (n-1)-suffix
        ]
    ).unique()
    ranked = candidates.join(covered, on=["phrase", "n", "n_reports"], how="anti").sort(
        ["n_reports", "n_occurrences", "n", "first_position"],
        descending=[True, True, True, False],
    )
    # All-stopword phrases are rare: test the best rows in slices until `top` are kept.
    stop_list = list(stopwords)
    kept: list[pl.DataFrame] = []
    for start in range(0, ranked.height, max(4 * top, 1)):
        block = ranked.slice(start, max(4 * top, 1))
        all_stop = (
            block["phrase"].str.split(" ").list.eval(pl.element().is_in(stop_list)).list.all()
        )
        kept.append(block.filter(~all_stop))
        if sum(frame.height for frame in kept) >= top:
            break
    return pl.concat(kept).head(top).select(PHRASE_SCHEMA.keys())


def frequent_phrases(
    sections: pl.DataFrame,
    n_min: int = 3,
    n_max: int = 8,
    min_reports: int | None = None,
) -> pl.DataFrame:
    """Every word n-gram (n_min..n_max) found in >= `min_reports` reports: phrase candidates.

    Input: a sections frame (`section_id`, `report_id`, `plain_text`) or a `word_frame` output
    over (`section_id`, `report_id`). Apriori growth: an n-gram is only built where its
    (n-1)-prefix and (n-1)-suffix both occur in >= `min_reports` reports (default:
    `default_min_reports`), so work shrinks with n. Output (CANDIDATE_SCHEMA): phrase
    (lowercased words joined by spaces), n, n_reports, n_occurrences (overlaps count),
    example_report_id and example_section_id (first occurrence), first_position (its word
    position in corpus order, the last tie-break of `rank_phrases`).
    """
    if not 1 <= n_min <= n_max:
        raise ValueError("need 1 <= n_min <= n_max")
    meta, words = _coded_words(sections, set())
    if words.height == 0:
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    # Sections are contiguous runs of rows: run ids instead of hashing 10^7 section strings.
    # 32-bit arrays: ten of them over every word of the corpus are the step's memory.
    row = words["row"].to_numpy()
    section = words["row"].rle_id().to_numpy().astype(np.int32)
    run_starts = np.flatnonzero(np.diff(section, prepend=-1))
    report = dense_codes(meta["report_id"].gather(row[run_starts])).astype(np.int32)[section]
    if min_reports is None:
        min_reports = default_min_reports(int(report.max()) + 1)
    # Each report's rows in one block (sections come report by report): distinct reports of
    # an n-gram are then counted by report changes along its rows, without hashing.
    contiguous = int(np.count_nonzero(np.diff(report))) == int(report.max())
    word = words["word"].to_physical().to_numpy()
    same_next = np.append(section[1:] == section[:-1], False)  # position i+1 in i's section
    # levels[n-1]: one row per frequent n-gram (n_reports, n_occurrences, first position);
    # `previous` maps each position to the id of the frequent (n-1)-gram starting there, or -1.
    levels: list[pl.DataFrame] = []
    previous = np.zeros(0, dtype=np.int32)
    for n in range(1, n_max + 1):
        if n == 1:
            starts, keys = np.arange(len(word)), word
        else:
            ok = (previous >= 0) & np.append(previous[1:] >= 0, False) & same_next
            starts = np.flatnonzero(ok)
            keys = previous[starts].astype(np.int64) * levels[-1].height + previous[starts + 1]
        stats, ids = _frequent_grams(keys, report[starts], starts, min_reports, contiguous)
        if stats.height == 0:
            break
        current = np.full(len(word), -1, dtype=np.int32)
        current[starts] = ids
        levels.append(stats.drop("key").with_columns(n=pl.lit(n, pl.Int64)))
        previous = current
    pool = pl.concat(levels[n_min - 1 :]) if len(levels) >= n_min else None
    if pool is None or pool.height == 0:
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    first, length = pool["first"].to_numpy(), pool["n"].to_numpy()
    vocabulary = words["word"].cast(pl.String)
    # Phrase text: the words at first .. first+n-1 (positions past n are masked out).
    offsets = np.arange(n_max)
    positions = np.minimum(first[:, None] + offsets[None, :], len(word) - 1)
    columns = {
        f"w{i}": vocabulary.gather(positions[:, i]).set(pl.Series(length <= i), None)
        if i
        else vocabulary.gather(positions[:, 0])
        for i in range(int(length.max()))
    }
    phrases = pl.DataFrame(columns).select(
        pl.concat_list(pl.all()).list.drop_nulls().list.join(" ").alias("phrase")
    )["phrase"]
    first_rows = meta.select("report_id", "section_id")[row[first]]
    return pl.DataFrame(
        {
            "phrase": phrases,
            "n": pool["n"],
            "n_reports": pool["n_reports"],
            "n_occurrences": pool["n_occurrences"],
            "example_report_id": first_rows["report_id"],
            "example_section_id": first_rows["section_id"],
            "first_position": pool["first"].cast(pl.Int64),
        },
        schema=CANDIDATE_SCHEMA,
    )


def count_phrases(sections: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
    """How often each candidate phrase occurs in `sections`: phrase, n_reports, n_occurrences.

    The same words as `frequent_phrases` (lowercased WORD_PATTERN tokens, n-grams within a
    section, overlaps counted); phrases absent from `sections` are left out.
    """
    out = {"phrase": pl.String, "n_reports": pl.Int64, "n_occurrences": pl.Int64}
    if candidates.height == 0 or sections.height == 0:
        return pl.DataFrame(schema=out)
    words = word_frame(sections, ["section_id", "report_id"], "plain_text").sort(
        "section_id", "position", maintain_order=True
    )
    found = []
    for n in sorted(set(candidates["n"].to_list())):
        wanted = candidates.filter(pl.col("n") == n)["phrase"]
        grams = words.select(
            "report_id",
            pl.when(pl.col("section_id").shift(-(n - 1)) == pl.col("section_id"))
            .then(pl.concat_str([pl.col("word").shift(-i) for i in range(n)], separator=" "))
            .alias("phrase"),
        ).filter(pl.col("phrase").is_in(wanted.implode()))
        found.append(grams)
    return (
        pl.concat(found)
        .group_by("phrase")
        .agg(
            pl.col("report_id").n_unique().cast(pl.Int64).alias("n_reports"),
            pl.len().cast(pl.Int64).alias("n_occurrences"),
        )
        .sort("phrase")
    )


def add_counts(candidates: pl.DataFrame, counts: pl.DataFrame) -> pl.DataFrame:
    """Candidates with the counts of new reports added (reports counted once: they are new)."""
    return (
        candidates.join(counts, on="phrase", how="left", suffix="_new")
        .with_columns(
            (pl.col("n_reports") + pl.col("n_reports_new").fill_null(0)).alias("n_reports"),
            (pl.col("n_occurrences") + pl.col("n_occurrences_new").fill_null(0)).alias(
                "n_occurrences"
            ),
        )
        .select(CANDIDATE_SCHEMA.keys())
    )


def candidate_mismatches(
    stored: pl.DataFrame, recomputed: pl.DataFrame, min_reports: int
) -> pl.DataFrame:
    """Stored candidates whose counts a from-scratch recomputation contradicts.

    A stored phrase must appear in the recomputation with the same counts, unless its stored
    report count is below the recomputation's `min_reports` (then it must be absent).
    """
    joined = stored.select("phrase", "n_reports", "n_occurrences").join(
        recomputed.select("phrase", "n_reports", "n_occurrences"),
        on="phrase",
        how="left",
        suffix="_full",
    )
    return joined.filter(
        pl.when(pl.col("n_reports_full").is_null())
        .then(pl.col("n_reports") >= min_reports)
        .otherwise(
            (pl.col("n_reports") != pl.col("n_reports_full"))
            | (pl.col("n_occurrences") != pl.col("n_occurrences_full"))
        )
    )


# Sections tokenized at once by `repeated_phrases` (bounds the string columns in memory).
_PHRASE_CHUNK_SECTIONS = 20_000


def _coded_words(sections: pl.DataFrame, stopwords: set[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(sections: row, section_id, report_id; words: row, word as Categorical, stop flag).

    Accepts a sections frame (tokenized a chunk of sections at a time, so only one chunk's
    word strings exist at once) or a `word_frame` output; word rows keep section order.
    """
    if "word" in sections.columns and "position" in sections.columns:
        ordered = sections.select("section_id", "report_id", "word", "position").sort(
            "section_id", "position", maintain_order=True
        )
        meta = ordered.select("section_id", "report_id").unique(maintain_order=True)
        meta = meta.with_row_index("row")
        texts = ordered.join(meta, on=["section_id", "report_id"], maintain_order="left")
        chunks = [texts.select("row", "word")]
    else:
        meta = sections.select("section_id", "report_id").with_row_index("row")
        chunks = (
            word_frame(
                sections.slice(start, _PHRASE_CHUNK_SECTIONS)
                .with_row_index("row", offset=start)
                .select("row", "plain_text"),
                ["row"],
                "plain_text",
            ).select("row", "word")
            for start in range(0, sections.height, _PHRASE_CHUNK_SECTIONS)
        )
    stop_list = list(stopwords)
    words = (
        pl.concat(
            [
                chunk.select(
                    "row",
                    pl.col("word").cast(pl.Categorical),
                    pl.col("word").is_in(stop_list).alias("stop"),
                )
                for chunk in chunks
            ]
        )
        if meta.height
        else pl.DataFrame(schema={"row": pl.UInt32, "word": pl.Categorical, "stop": pl.Boolean})
    )
    return meta, words


def _frequent_grams(
    keys: np.ndarray, reports: np.ndarray, starts: np.ndarray, min_reports: int, contiguous: bool
) -> tuple[pl.DataFrame, np.ndarray]:
    """Keys in >= min_reports reports, sorted by key (n_reports, n_occurrences, first), and the
    rank among them of every row's key (-1 when not frequent).

    `contiguous`: each report's rows form one block, so a key's distinct reports are the
    report changes along its rows (cheaper than a distinct count).
    """
    grams = pl.DataFrame({"key": keys, "report": reports, "pos": starts})
    distinct = (
        (pl.col("report").diff().fill_null(1) != 0).sum()
        if contiguous
        else pl.col("report").n_unique()
    )
    stats = (
        grams.group_by("key")
        .agg(
            distinct.cast(pl.Int64).alias("n_reports"),
            pl.len().cast(pl.Int64).alias("n_occurrences"),
            pl.col("pos").min().alias("first"),
        )
        .filter(pl.col("n_reports") >= min_reports)
        .sort("key")
    )
    ids = (
        grams.select("key")
        .join(stats.select("key").with_row_index("id"), on="key", how="left", maintain_order="left")
        .select(pl.col("id").cast(pl.Int64).fill_null(-1))
        .to_series()
        .to_numpy()
    )
    return stats, ids
