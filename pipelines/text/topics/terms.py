"""Token normalization for term matching, and finding taxonomy term occurrences in word rows."""

from __future__ import annotations

import polars as pl

from pipelines.text.tokens import word_frame


def match_tokens(texts: pl.DataFrame, key: list[str], text_column: str) -> pl.DataFrame:
    """Word rows normalized for term matching: possessive dropped, hyphenated words split."""
    return (
        word_frame(texts, key, text_column)
        .with_columns(
            pl.col("word").str.replace(r"['’]s$", "").str.split("-"),
        )
        .explode("word")
        .filter(pl.col("word").str.len_chars() > 0)
        .with_columns(pl.int_range(pl.len()).over(key).alias("position"))
    )


def _slot_accepts(terms: pl.DataFrame, vocabulary: pl.DataFrame) -> pl.DataFrame:
    """Which vocabulary words each term slot accepts: term_row, slot, vid.

    Slot j of a term is its j-th pattern word: equal words match, except the last slot of a
    `prefix*` term, which accepts every word starting with it.
    """
    slots = (
        terms.with_row_index("term_row")
        .select(
            "term_row",
            pl.col("pattern").str.split(" ").alias("word"),
            "is_prefix",
            "n_words",
        )
        .with_columns(pl.int_ranges(pl.col("word").list.len()).alias("slot"))
        .explode("word", "slot")
        .with_columns(
            (pl.col("is_prefix") & (pl.col("slot") == pl.col("n_words") - 1)).alias("by_prefix")
        )
    )
    exact = slots.filter(~pl.col("by_prefix")).join(vocabulary, on="word")
    prefix = (
        slots.filter(pl.col("by_prefix"))
        .rename({"word": "prefix"})
        .join(vocabulary, how="cross")
        .filter(pl.col("word").str.starts_with(pl.col("prefix")))
    )
    columns = [pl.col("term_row").cast(pl.Int64), pl.col("slot").cast(pl.Int64), "vid"]
    return pl.concat([exact.select(columns), prefix.select(columns)]).unique()


def term_hits(words: pl.DataFrame, terms: pl.DataFrame) -> pl.DataFrame:
    """Term occurrences in word rows (`text_row`, `position`, `word`).

    Returns text_row, position, n, topic_id, term, topic_rank. A term of n words occurs at
    position p of a text when the words at p..p+n-1 of that text fill its slots (see
    `_slot_accepts`): the same as comparing the " "-joined n-gram with the pattern (a prefix
    term: starts-with), without building any n-gram string. An occurrence lying inside a
    longer occurrence of the same topic ("adversarial" inside "adversarial attacks") is
    dropped, so every mention counts once per topic.
    """
    schema = {
        "text_row": pl.Int64,
        "position": pl.Int64,
        "n": pl.Int64,
        "topic_id": pl.String,
        "term": pl.String,
        "topic_rank": pl.Int64,
    }
    vocabulary = words.select("word").unique().with_row_index("vid")
    accepts = _slot_accepts(terms, vocabulary)
    if accepts.height == 0:
        return pl.DataFrame(schema=schema)
    candidates = words.join(
        vocabulary.join(accepts.select("vid").unique(), on="vid", how="semi"), on="word"
    ).select(pl.col("text_row").cast(pl.Int64), pl.col("position").cast(pl.Int64), "vid")
    term_info = terms.with_row_index("term_row").select(
        pl.col("term_row").cast(pl.Int64), pl.col("n_words").alias("n"), "topic_id", "term",
        "topic_rank",
    )  # fmt: skip
    found = (
        candidates.join(accepts.filter(pl.col("slot") == 0).drop("slot"), on="vid")
        .join(term_info.select("term_row", "n"), on="term_row")
        .select("text_row", "position", "term_row", "n")
    )
    for slot in range(1, int(terms["n_words"].max() or 1)):
        longer = found.filter(pl.col("n") > slot)
        if longer.height == 0:
            break
        continued = (
            longer.with_columns((pl.col("position") + slot).alias("at"))
            .join(
                candidates.rename({"position": "at"}), on=["text_row", "at"]
            )
            .join(
                accepts.filter(pl.col("slot") == slot).drop("slot"),
                on=["term_row", "vid"],
                how="semi",
            )
            .select(found.columns)
        )  # fmt: skip
        found = pl.concat([found.filter(pl.col("n") <= slot), continued])
    hits = (
        found.join(term_info.drop("n"), on="term_row")
        .select(list(schema))
        .sort(["text_row", "position", "n", "topic_id", "term"])
        .unique(["text_row", "position", "n", "topic_id"], keep="first", maintain_order=True)
    )
    group = ["text_row", "topic_id"]
    covering = hits.select(*group, "position", "n").rename({"position": "outer", "n": "outer_n"})
    nested = (
        hits.join(covering, on=group)
        .filter(
            (pl.col("outer_n") > pl.col("n"))
            & (pl.col("outer") <= pl.col("position"))
            & (pl.col("outer") + pl.col("outer_n") >= pl.col("position") + pl.col("n"))
        )
        .select(*group, "position", "n")
        .unique()
    )
    return hits.join(nested, on=[*group, "position", "n"], how="anti")
