"""The topic taxonomy (pipelines/topics.toml): loading, validation and its normalized term table."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import polars as pl

from pipelines.text.topics.terms import match_tokens

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parents[2] / "topics.toml"
DISCOVERED_PREFIX = "new_"

_TOPIC_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")

_TAXONOMY_SCHEMA = {
    "topic_id": pl.String,
    "label": pl.String,
    "description": pl.String,
    "terms": pl.List(pl.String),
    "taxonomy_version": pl.Int64,
}


class TaxonomyError(ValueError):
    """The taxonomy file is missing, malformed or inconsistent."""


def _read_toml(path: Path) -> dict:
    """Parse the taxonomy TOML file, turning I/O and syntax problems into TaxonomyError."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise TaxonomyError(f"taxonomy file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{path}: invalid TOML: {exc}") from exc


def taxonomy_version(path: Path | None = None) -> int:
    """The integer `version` declared at the top of the taxonomy file."""
    path = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
    version = _read_toml(path).get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TaxonomyError(f"{path}: `version = N` (a positive integer) is required at the top")
    return version


def load_taxonomy(path: Path | None = None) -> pl.DataFrame:
    """Load and validate the taxonomy: one row per topic, with its terms and the file version."""
    path = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
    document = _read_toml(path)
    version = taxonomy_version(path)
    topics = document.get("topic")
    if not isinstance(topics, list) or not topics:
        raise TaxonomyError(f"{path}: no [[topic]] tables found")
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for index, topic in enumerate(topics, start=1):
        where = f"{path}: topic #{index}"
        topic_id = topic.get("id")
        if not isinstance(topic_id, str) or not _TOPIC_ID.fullmatch(topic_id):
            raise TaxonomyError(f"{where}: `id` must be snake_case (a-z, 0-9, _), got {topic_id!r}")
        where = f"{path}: topic {topic_id!r} (#{index})"
        if topic_id.startswith(DISCOVERED_PREFIX):
            raise TaxonomyError(f"{where}: ids starting with {DISCOVERED_PREFIX!r} are reserved")
        if topic_id in seen:
            raise TaxonomyError(f"{where}: duplicate id, first defined as topic #{seen[topic_id]}")
        seen[topic_id] = index
        label = topic.get("label")
        if not isinstance(label, str) or not label.strip():
            raise TaxonomyError(f"{where}: `label` must be a non-empty string")
        description = topic.get("description", "")
        if not isinstance(description, str):
            raise TaxonomyError(f"{where}: `description` must be a string")
        terms = topic.get("terms")
        if not isinstance(terms, list) or not terms:
            raise TaxonomyError(f"{where}: `terms` must be a non-empty list of strings")
        clean: list[str] = []
        for term in terms:
            if not isinstance(term, str) or not term.strip():
                raise TaxonomyError(f"{where}: empty or non-string term {term!r}")
            term = " ".join(term.strip().lower().split())
            if "*" in term[:-1]:
                raise TaxonomyError(f"{where}: term {term!r}: '*' is allowed only at the end")
            if term not in clean:
                clean.append(term)
        rows.append(
            {
                "topic_id": topic_id,
                "label": label.strip(),
                "description": " ".join(description.split()),
                "terms": clean,
                "taxonomy_version": version,
            }
        )
    taxonomy = pl.DataFrame(rows, schema=_TAXONOMY_SCHEMA)
    term_table(taxonomy, source=str(path))  # every term must yield at least one word
    return taxonomy


def term_table(taxonomy: pl.DataFrame, source: str = "taxonomy") -> pl.DataFrame:
    """Normalized match patterns: topic_id, term, pattern, n_words, is_prefix, topic_rank."""
    raw = (
        taxonomy.select("topic_id", "terms")
        .with_row_index("topic_rank")
        .explode("terms")
        .rename({"terms": "term"})
        .drop_nulls("term")
        .with_columns(
            pl.col("term").str.to_lowercase().str.strip_chars(),
        )
        .with_columns(
            pl.col("term").str.ends_with("*").alias("is_prefix"),
            pl.col("term").str.strip_chars_end("*").alias("text"),
        )
        .with_row_index("term_index")
    )
    words = match_tokens(raw, ["term_index"], "text")
    patterns = words.group_by("term_index").agg(
        pl.col("word").sort_by("position").str.join(" ").alias("pattern"),
        pl.len().alias("n_words"),
    )
    table = raw.join(patterns, on="term_index", how="left")
    empty = table.filter(pl.col("pattern").is_null())
    if empty.height:
        bad = ", ".join(f"{r['topic_id']}: {r['term']!r}" for r in empty.iter_rows(named=True))
        raise TaxonomyError(f"{source}: terms without any word: {bad}")
    return table.select(
        "topic_id",
        "term",
        "pattern",
        pl.col("n_words").cast(pl.Int64),
        "is_prefix",
        pl.col("topic_rank").cast(pl.Int64),
    ).unique(["topic_id", "pattern", "is_prefix"], keep="first", maintain_order=True)
