"""Repeated phrases (boilerplate): 3..8-word phrases recurring across reports far more than
their words' frequencies predict.

`frequent_phrases` finds the candidates (every n-gram in enough reports) together with the
background model the ranking needs: the count of every frequent word (1-gram rows) and the
corpus totals (one 0-gram row). `rank_phrases` scores the maximal candidates against that
model; phrase_counts.py folds new reports into all of these rows alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import polars as pl

from pipelines.text.redundancy.codes import dense_codes
from pipelines.text.stopwords import content_words, default_stopwords
from pipelines.text.tokens import word_frame

# A content word: not a stopword (scikit-learn's English list plus report-language function
# words), not a number, at least two characters ("e.g." is the words "e" and "g").
STOPWORDS: frozenset[str] = default_stopwords()
CONTENT_WORD_MIN_LENGTH = 2
# A ranked phrase has at least this many content words ("the development of" has one).
MIN_CONTENT_WORDS = 2

_BASE_SCHEMA = {
    "phrase": pl.String,
    "n": pl.Int64,
    "n_reports": pl.Int64,
    "n_occurrences": pl.Int64,
    "example_report_id": pl.String,
    "example_section_id": pl.String,
}
# corpus.repeated_phrases: the ranked phrases (see `rank_phrases`).
PHRASE_SCHEMA = {
    **dict(list(_BASE_SCHEMA.items())[:4]),
    "expected_reports": pl.Float64,
    "score": pl.Float64,
    **dict(list(_BASE_SCHEMA.items())[4:]),
}
# The phrase candidates a refresh counts new reports against (see `frequent_phrases`).
CANDIDATE_SCHEMA = {**_BASE_SCHEMA, "first_position": pl.Int64}
# The candidate row holding the corpus totals: n = 0, phrase = "" (the empty phrase occurs at
# every word position: n_occurrences = words, n_reports = reports with at least one word).
TOTALS_PHRASE = ""


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
    """The `top` boilerplate phrases of `sections`: `rank_phrases` over `frequent_phrases`."""
    candidates = frequent_phrases(sections, n_min, n_max, min_reports)
    return rank_phrases(candidates, top, stopwords)


def rank_phrases(
    candidates: pl.DataFrame, top: int = 100, stopwords: Iterable[str] = STOPWORDS
) -> pl.DataFrame:
    """The best `top` maximal phrases with >= MIN_CONTENT_WORDS content words, by `score`.

    Background model, from the candidates' own rows: N reports and T words (the totals row,
    n = 0), and c(w), the occurrences of each word w (the 1-gram rows). If the words of the
    corpus were drawn independently with frequencies q(w) = c(w) / T, a given word position
    would start the phrase w_1 .. w_n with probability p = q(w_1) · … · q(w_n), and a report
    of T / N words would contain it with probability 1 − exp(−p · T / N). So, with
    O = n_reports:

        expected_reports  E = N · (1 − exp(−T · q(w_1) · … · q(w_n) / N))
        score                = O · ln(O / E)

    ln(O / E) is how much more often than chance the words recur as this phrase (a PMI of the
    phrase against its words); the factor O weighs that by how many reports share it (the
    term O·ln(O/E) of the G² log-likelihood-ratio statistic). Common English ("the
    development of") is expected often and has one content word; a sentence pasted into many
    reports is expected almost never. E is computed in log space (it underflows doubles).

    Kept: maximal phrases (dropped: an n-gram that an (n+1)-gram candidate extending it on
    either side matches in report count, since a longer container with an equal count holds
    it in the same reports) with at least MIN_CONTENT_WORDS content words (not in
    `stopwords`, not a number, >= CONTENT_WORD_MIN_LENGTH characters); of a run of windows
    of one longer passage — a phrase whose first occurrence starts one word after that of a
    kept phrase of the same length and the same report and occurrence counts — only the
    first window. Best first: score, n_reports, n_occurrences, n (descending), then the
    first occurrence in corpus order.
    """
    phrases = candidates.filter(pl.col("n") >= 2)
    if phrases.height == 0:
        return pl.DataFrame(schema=PHRASE_SCHEMA)
    totals = candidates.filter((pl.col("n") == 0) & (pl.col("phrase") == TOTALS_PHRASE))
    if totals.height != 1:
        raise ValueError(
            "candidates lack their totals row (n = 0): build them with frequent_phrases"
        )
    n_reports_total, n_words_total = (
        totals.row(0, named=True)["n_reports"],
        totals.row(0, named=True)["n_occurrences"],
    )
    longer = phrases.filter(pl.col("n") > phrases["n"].min())
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
    maximal = phrases.join(covered, on=["phrase", "n", "n_reports"], how="anti")
    words = candidates.filter(pl.col("n") == 1).select(
        pl.col("phrase").alias("word"), pl.col("n_occurrences").alias("count")
    )
    scored = _scored(maximal, words, n_reports_total, n_words_total, stopwords)
    kept = scored.filter(pl.col("n_content") >= MIN_CONTENT_WORDS)
    continued = kept.select(
        "n", "n_reports", "n_occurrences", (pl.col("first_position") + 1).alias("first_position")
    )
    kept = kept.join(
        continued, on=["n", "n_reports", "n_occurrences", "first_position"], how="anti"
    )
    return (
        kept.sort(
            ["score", "n_reports", "n_occurrences", "n", "first_position"],
            descending=[True, True, True, True, False],
            nulls_last=True,
        )
        .head(top)
        .select(PHRASE_SCHEMA.keys())
    )


def _scored(
    phrases: pl.DataFrame,
    words: pl.DataFrame,
    n_reports: int,
    n_words: int,
    stopwords: Iterable[str],
) -> pl.DataFrame:
    """`phrases` with n_content (content words), expected_reports and score (`rank_phrases`).

    ln E = ln N + ln(1 − exp(−x)) with ln x = ln(T / N) + Σ ln q(w_i); for ln x < −20,
    ln(1 − exp(−x)) is ln x to within 1e-9 (and 1 − exp(−x) would lose its digits).
    """
    stop = list(stopwords)
    per_word = (
        phrases.with_row_index("row")
        .select("row", pl.col("phrase").str.split(" "))
        .explode("phrase")
        .rename({"phrase": "word"})
        .join(words, on="word", how="left", maintain_order="left")
        .group_by("row")
        .agg(
            content_words(pl.col("word"), CONTENT_WORD_MIN_LENGTH, stop)
            .sum()
            .cast(pl.Int64)
            .alias("n_content"),
            (pl.col("count").cast(pl.Float64) / n_words).log().sum().alias("log_p"),
            pl.col("count").null_count().alias("unknown"),
        )
    )
    log_x = math.log(n_words / n_reports) + pl.col("log_p")
    log_expected = math.log(n_reports) + pl.when(log_x < -20).then(log_x).otherwise(
        (1.0 - (-log_x.exp()).exp()).log()
    )
    observed = pl.col("n_reports").cast(pl.Float64)
    return (
        phrases.with_row_index("row")
        .join(per_word, on="row", how="left")
        .with_columns(pl.when(pl.col("unknown") == 0).then(log_expected).alias("log_expected"))
        .with_columns(
            pl.col("log_expected").exp().alias("expected_reports"),
            (observed * (observed.log() - pl.col("log_expected"))).alias("score"),
        )
        .drop("row", "log_p", "unknown", "log_expected")
    )


def frequent_phrases(
    sections: pl.DataFrame,
    n_min: int = 3,
    n_max: int = 8,
    min_reports: int | None = None,
) -> pl.DataFrame:
    """Every word n-gram (n_min..n_max) found in >= `min_reports` reports: phrase candidates,
    with the background model `rank_phrases` scores them against.

    Input: a sections frame (`section_id`, `report_id`, `plain_text`) or a `word_frame` output
    over (`section_id`, `report_id`). Apriori growth: an n-gram is only built where its
    (n-1)-prefix and (n-1)-suffix both occur in >= `min_reports` reports (default:
    `default_min_reports`), so work shrinks with n. Output (CANDIDATE_SCHEMA): phrase
    (lowercased words joined by spaces), n, n_reports, n_occurrences (overlaps count),
    example_report_id and example_section_id (first occurrence), first_position (its word
    position in corpus order, the last tie-break of `rank_phrases`). Besides the n-grams: the
    1-grams (every word in >= `min_reports` reports, so every word of a candidate: apriori)
    and the totals row (n = 0, phrase "": n_occurrences = words, n_reports = reports with a
    word). New reports add to these rows like to the others (`count_phrases`, `add_counts`),
    so the background model of an incrementally refreshed table equals a full recount's.
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
    # The phrases, plus the 1-grams (every word of a phrase is one: the background model of
    # `rank_phrases`) and the totals row.
    totals = pl.DataFrame(
        {
            "phrase": [TOTALS_PHRASE],
            "n": [0],
            "n_reports": [int(report.max()) + 1],
            "n_occurrences": [len(word)],
            "example_report_id": [meta["report_id"][int(row[0])]],
            "example_section_id": [meta["section_id"][int(row[0])]],
            "first_position": [0],
        },
        schema=CANDIDATE_SCHEMA,
    )
    if not levels:
        return totals
    pool = pl.concat(levels[:1] + levels[max(n_min - 1, 1) :])
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
    found = pl.DataFrame(
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
    return pl.concat([totals, found])


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
