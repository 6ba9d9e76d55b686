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


def repeated_phrases(
    sections: pl.DataFrame,
    n_min: int = 3,
    n_max: int = 8,
    top: int = 100,
    min_reports: int | None = None,
    stopwords: Iterable[str] = STOPWORDS,
) -> pl.DataFrame:
    """Maximal word n-grams (n_min..n_max) recurring in the most reports: boilerplate phrases.

    Input: a sections frame (`section_id`, `report_id`, `plain_text`) or a `word_frame` output
    over (`section_id`, `report_id`). Apriori growth: an n-gram is only built where its
    (n-1)-prefix and (n-1)-suffix both occur in >= `min_reports` reports (default: 0.5% of
    the reports, at least 2), so work shrinks with n. An n-gram is dropped when a longer one
    containing it has the same report count (only maximal phrases stay) or when all its words
    are stopwords. Output, best first (n_reports, n_occurrences, n): phrase (lowercased words
    joined by spaces), n, n_reports, n_occurrences (overlaps count), example_report_id,
    example_section_id (first occurrence), at most `top` rows.
    """
    if not 1 <= n_min <= n_max:
        raise ValueError("need 1 <= n_min <= n_max")
    schema = {
        "phrase": pl.String,
        "n": pl.Int64,
        "n_reports": pl.Int64,
        "n_occurrences": pl.Int64,
        "example_report_id": pl.String,
        "example_section_id": pl.String,
    }
    meta, words = _coded_words(sections, set(stopwords))
    if words.height == 0:
        return pl.DataFrame(schema=schema)
    # Sections are contiguous runs of rows: run ids instead of hashing 10^7 section strings.
    # 32-bit arrays: ten of them over every word of the corpus are the step's memory.
    row = words["row"].to_numpy()
    section = words["row"].rle_id().to_numpy().astype(np.int32)
    run_starts = np.flatnonzero(np.diff(section, prepend=-1))
    report = dense_codes(meta["report_id"].gather(row[run_starts])).astype(np.int32)[section]
    if min_reports is None:
        min_reports = max(2, -(-(int(report.max()) + 1) // 200))
    # Each report's rows in one block (sections come report by report): distinct reports of
    # an n-gram are then counted by report changes along its rows, without hashing.
    contiguous = int(np.count_nonzero(np.diff(report))) == int(report.max())
    word = words["word"].to_physical().to_numpy()
    same_next = np.append(section[1:] == section[:-1], False)  # position i+1 in i's section
    # levels[n-1]: one row per frequent n-gram (id = rank of its key, n_reports,
    # n_occurrences, first position, ids of its (n-1)-prefix and (n-1)-suffix);
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
        first = stats["first"].to_numpy()
        none = np.full(len(first), -1, dtype=np.int64)
        parents = (
            (previous[first].astype(np.int64), previous[first + 1].astype(np.int64))
            if n > 1
            else (none, none)
        )
        levels.append(
            stats.drop("key").with_columns(
                id=pl.int_range(stats.height, dtype=pl.Int64),
                n=pl.lit(n, pl.Int64),
                prefix=pl.Series(parents[0], dtype=pl.Int64),
                suffix=pl.Series(parents[1], dtype=pl.Int64),
            )
        )
        previous = current

    # Maximal: no (n+1)-gram extending it on either side has the same report count (a longer
    # container with equal count implies an (n+1)-gram one with equal count).
    candidates = []
    for n in range(n_min, len(levels) + 1):
        level = levels[n - 1]
        if n < len(levels):
            longer = levels[n]
            covered = pl.concat(
                [
                    longer.select(pl.col(side).alias("id"), "n_reports")
                    for side in ("prefix", "suffix")
                ]
            )
            level = level.join(covered, on=["id", "n_reports"], how="anti")
        candidates.append(level)
    if not candidates:
        return pl.DataFrame(schema=schema)
    stop_cum = np.concatenate([[0], np.cumsum(words["stop"].to_numpy(), dtype=np.int32)])
    pool = pl.concat(candidates)
    first, length = pool["first"].to_numpy(), pool["n"].to_numpy()
    best = (
        pool.filter(pl.Series(stop_cum[first + length] - stop_cum[first] < length))
        .sort(
            ["n_reports", "n_occurrences", "n", "first"],
            descending=[True, True, True, False],
        )
        .head(top)
    )
    vocabulary = words["word"]
    first_rows = meta.select("report_id", "section_id")[row[best["first"].to_numpy()]]
    phrases = [
        " ".join(vocabulary.slice(start, n).cast(pl.String).to_list())
        for start, n in zip(best["first"].to_list(), best["n"].to_list(), strict=True)
    ]
    return pl.DataFrame(
        {
            "phrase": phrases,
            "n": best["n"],
            "n_reports": best["n_reports"],
            "n_occurrences": best["n_occurrences"],
            "example_report_id": first_rows["report_id"],
            "example_section_id": first_rows["section_id"],
        },
        schema=schema,
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
