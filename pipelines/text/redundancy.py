"""Redundancy of sections and reports: repetition, near-duplicates, novelty, boilerplate.

Pure functions on Polars frames and numpy arrays (no Dagster, no DuckDB).

* `repetition` — the repetition measures of Gopher (Rae et al. 2021, "Scaling Language Models:
  Methods, Analysis & Insights from Training Gopher", arXiv:2112.11446, Appendix A, Table A1),
  computed exactly as datatrove's `GopherRepetitionFilter` computes them, but reported as
  continuous values instead of pass/fail. Gopher's thresholds are kept as named constants
  (`GOPHER_*`) next to each formula for reference only. Plus a zlib compression ratio.
* `section_shingles` — word k-shingles hashed to UInt64 with a hash that is stable across
  processes and library versions (blake2b per word, numpy polynomial combine + splitmix64).
* `minhash_signatures`, `lsh_band_keys`, `choose_bands`, `candidate_pairs`, `verify_pairs`,
  `exact_all_pairs` — our own vectorized MinHash + banded LSH, bit-compatible with datasketch.
* `report_novelty` — share of a report's shingles / sections already seen in earlier reports.
* `repeated_phrases` — maximal 3..8-word phrases recurring in the most reports (boilerplate).
* `report_similarity` — TF-IDF cosine between reports, top-k neighbours per report.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import accumulate, pairwise
from typing import Literal

import numpy as np
import polars as pl

from pipelines.text.tokens import WORD_PATTERN, word_frame

# ---------------------------------------------------------------------------------------------
# 1. Gopher repetition measures (Rae et al. 2021, Table A1; datatrove GopherRepetitionFilter)
# ---------------------------------------------------------------------------------------------

# Gopher's thresholds (a document was dropped when a value EXCEEDED its threshold). Reference
# only: this module reports the values, never a pass/fail flag.
GOPHER_DUP_LINE_FRAC = 0.30
GOPHER_DUP_PARA_FRAC = 0.30
GOPHER_DUP_LINE_CHAR_FRAC = 0.20
GOPHER_DUP_PARA_CHAR_FRAC = 0.20
GOPHER_TOP_NGRAM_CHAR_FRAC: dict[int, float] = {2: 0.20, 3: 0.18, 4: 0.16}
GOPHER_DUP_NGRAM_CHAR_FRAC: dict[int, float] = {
    5: 0.15,
    6: 0.14,
    7: 0.13,
    8: 0.12,
    9: 0.11,
    10: 0.10,
}


REPETITION_COLUMNS: list[str] = [
    "dup_line_frac",
    "dup_line_char_frac",
    "dup_para_frac",
    "dup_para_char_frac",
    *(f"top_{n}gram_char_frac" for n in GOPHER_TOP_NGRAM_CHAR_FRAC),
    *(f"dup_{n}gram_char_frac" for n in GOPHER_DUP_NGRAM_CHAR_FRAC),
    "compression_ratio",
]


def find_duplicates(elements: Sequence[str]) -> tuple[int, int]:
    """Count repeated elements and their characters (every occurrence after the first; Table A1)."""
    seen: set[str] = set()
    n_duplicates = 0
    duplicate_chars = 0
    for element in elements:
        if element in seen:
            n_duplicates += 1
            duplicate_chars += len(element)
        else:
            seen.add(element)
    return n_duplicates, duplicate_chars


def find_top_duplicate(words: Sequence[str], n: int) -> int:
    """Characters of the most frequent word n-gram (" "-joined length × count; Table A1, n=2..4)."""
    if len(words) < n:
        return 0
    # Words never contain whitespace, so tuple equality == equality of the " "-joined n-grams;
    # Counter keeps first-seen order and most_common(1) returns the first of tied n-grams,
    # exactly as datatrove's Counter over joined strings does.
    counts = Counter(zip(*(words[i:] for i in range(n)), strict=False))
    top, count = counts.most_common(1)[0]
    return (sum(map(len, top)) + n - 1) * count


def find_all_duplicate(words: Sequence[str], n: int) -> int:
    """Characters of duplicated word n-grams, datatrove's walk (skip n after a repeat; Table A1)."""
    n_grams = len(words) - n + 1
    if n_grams <= 1:
        return 0
    # datatrove compares "".join(words[i:i+n]); slicing one joined string is the same, faster.
    joined = "".join(words)
    offsets = list(accumulate(map(len, words), initial=0))
    grams = [joined[offsets[i] : offsets[i + n]] for i in range(n_grams)]
    if len(set(grams)) == n_grams:
        return 0  # no n-gram occurs twice: the walk cannot find a repeat
    seen: set[str] = set()
    repeated_chars = 0
    idx = 0
    while idx < n_grams:
        gram = grams[idx]
        if gram in seen:
            repeated_chars += len(gram)
            idx += n
        else:
            seen.add(gram)
            idx += 1
    return repeated_chars


def compression_ratio(text: str) -> float:
    """zlib (level 9) compressed bytes / raw UTF-8 bytes; lower = more repetitive, >1 if tiny."""
    raw = text.encode("utf-8")
    if not raw:
        return 0.0
    return len(zlib.compress(raw, 9)) / len(raw)


def repetition_measures(text: str, words: Sequence[str]) -> dict[str, float]:
    """Reference per-text Table A1 fractions (+ compression ratio), as datatrove computes them."""
    if not text:
        return dict.fromkeys(REPETITION_COLUMNS, 0.0)
    n_chars = len(text)
    out = _line_paragraph_measures(text)
    # Top n-gram character fraction, n = 2, 3, 4 (Gopher thresholds 0.20, 0.18, 0.16).
    # Overlapping occurrences all count (as in datatrove): "a a a a a" would exceed 1, so clip.
    for n in GOPHER_TOP_NGRAM_CHAR_FRAC:
        out[f"top_{n}gram_char_frac"] = min(1.0, find_top_duplicate(words, n) / n_chars)
    # Duplicated n-gram character fraction, n = 5..10 (Gopher thresholds 0.15 .. 0.10).
    for n in GOPHER_DUP_NGRAM_CHAR_FRAC:
        out[f"dup_{n}gram_char_frac"] = find_all_duplicate(words, n) / n_chars
    out["compression_ratio"] = compression_ratio(text)
    return out


def repetition(
    texts: pl.DataFrame, key: list[str], text_column: str = "plain_text"
) -> pl.DataFrame:
    """Gopher Table A1 repetition fractions + zlib compression ratio, one row per input row.

    Each value is the continuous measure from Rae et al. 2021 (Gopher), Table A1, computed as
    datatrove's `GopherRepetitionFilter` does; Gopher dropped a document when a value exceeded
    its threshold: dup_line_frac 0.30, dup_para_frac 0.30, dup_line_char_frac 0.20,
    dup_para_char_frac 0.20, top_{2,3,4}gram_char_frac 0.20/0.18/0.16,
    dup_{5..10}gram_char_frac 0.15/0.14/0.13/0.12/0.11/0.10 (constants `GOPHER_*`). Character
    denominators are the length of the whole (unstripped) text. Differences from datatrove:
    words come from the shared `WORD_PATTERN` (case kept, punctuation is not a token; datatrove
    uses NLTK's tokenizer, which emits punctuation tokens), and top n-gram fractions are clipped
    to 1. `compression_ratio` = zlib level-9 compressed bytes / raw UTF-8 bytes: LOWER means
    more repetitive; it exceeds 1 for tiny texts (zlib's fixed overhead). Empty or null
    text gives zeros everywhere. Same values as `repetition_measures` per text, but the
    n-gram counts run as Polars group-bys over all texts at once and datatrove's sequential
    duplicate walk only runs for texts where a vectorized hash check finds a repeated n-gram.
    """
    frame = texts.select(*key, pl.col(text_column).fill_null(""))
    # Texts are independent: batches of about _BATCH_CHARS characters bound memory.
    batch = (frame[text_column].str.len_bytes().cum_sum() // _BATCH_CHARS).to_numpy()
    bounds = np.flatnonzero(np.diff(batch, prepend=-1, append=(batch[-1] + 1) if len(batch) else 0))
    measures = pl.concat(
        [_repetition_batch(frame[text_column].slice(lo, hi - lo)) for lo, hi in pairwise(bounds)]
        or [_repetition_batch(frame[text_column])]
    )
    return pl.concat([frame.select(key), measures], how="horizontal")


# Characters of text `repetition` processes at once (about 16 bytes of arrays per word).
_BATCH_CHARS = 8_000_000


def _repetition_batch(texts: pl.Series) -> pl.DataFrame:
    """The REPETITION_COLUMNS of each text of a batch, in order."""
    text_list = texts.to_list()
    n_chars = texts.str.len_chars().to_numpy().astype(np.float64)
    columns = {name: np.zeros(len(text_list)) for name in REPETITION_COLUMNS}
    # zlib releases the GIL: compress on two threads while this one splits lines.
    with ThreadPoolExecutor(max_workers=2) as pool:
        ratios = pool.map(_compression_ratios, _batches(text_list, 256))
        for i, text in enumerate(text_list):
            if text:
                for name, value in _line_paragraph_measures(text).items():
                    columns[name][i] = value
        columns["compression_ratio"][:] = [r for batch in ratios for r in batch]
    word_lists = texts.str.extract_all(WORD_PATTERN)
    flat = word_lists.to_frame("word").with_row_index("text").explode("word").drop_nulls("word")
    if flat.height:
        _ngram_measures(flat, word_lists, n_chars, columns)
    return pl.DataFrame({name: columns[name] for name in REPETITION_COLUMNS})


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _compression_ratios(texts: list[str]) -> list[float]:
    """`compression_ratio` of each text (0 for an empty one)."""
    return [compression_ratio(text) if text else 0.0 for text in texts]


def split_lines(text: str) -> list[str]:
    """`re.split(r"\\n+", text)` (datatrove's line split), with str.split: about 8x faster."""
    parts = text.split("\n")
    if len(parts) < 3:
        return parts
    return [parts[0], *(part for part in parts[1:-1] if part), parts[-1]]


def split_paragraphs(text: str) -> list[str]:
    """`re.split(r"\\n{2,}", text)` (datatrove's paragraph split), with str.split."""
    paragraphs: list[str] = []
    current: list[str] = []
    parts = text.split("\n")
    for index, part in enumerate(parts):
        # An empty part between two others is a run of two or more newlines: a break.
        if part or index in (0, len(parts) - 1):
            current.append(part)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    paragraphs.append("\n".join(current))
    return paragraphs


def _line_paragraph_measures(text: str) -> dict[str, float]:
    """Duplicate line / paragraph fractions of one non-empty text (Table A1, as datatrove)."""
    if "\n" not in text:  # one line, one paragraph: nothing can repeat
        return dict.fromkeys(REPETITION_COLUMNS[:4], 0.0)
    n_chars = len(text)
    lines = split_lines(text)
    dup_lines, dup_line_chars = find_duplicates(lines)
    paragraphs = split_paragraphs(text.strip())
    dup_paras, dup_para_chars = find_duplicates(paragraphs)
    return {
        "dup_line_frac": dup_lines / len(lines),  # Gopher: > GOPHER_DUP_LINE_FRAC (0.30)
        "dup_line_char_frac": dup_line_chars / n_chars,  # > GOPHER_DUP_LINE_CHAR_FRAC (0.20)
        "dup_para_frac": dup_paras / len(paragraphs),  # > GOPHER_DUP_PARA_FRAC (0.30)
        "dup_para_char_frac": dup_para_chars / n_chars,  # > GOPHER_DUP_PARA_CHAR_FRAC (0.20)
    }


_CONCAT_BASE = 0x100000001B3  # odd base of the polynomial string hash used as a pre-check
_MASK_64 = (1 << 64) - 1
_SCORE_SHIFT = 1 << 40  # packs (count, first position) into one sortable int64


def _concat_hash_parts(vocabulary: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per word: polynomial hash of its characters and base**len, both mod 2^64.

    hash(u + v) = hash(u) * base**len(v) + hash(v), so the hash of a "".join-ed n-gram is
    built from its words; equal strings always get equal hashes.
    """
    hashes = np.empty(len(vocabulary), dtype=np.uint64)
    powers = np.empty(len(vocabulary), dtype=np.uint64)
    for i, word in enumerate(vocabulary):
        h = 0
        for char in word:
            h = (h * _CONCAT_BASE + ord(char)) & _MASK_64
        hashes[i] = h
        powers[i] = pow(_CONCAT_BASE, len(word), 1 << 64)
    return hashes, powers


def _ngram_measures(
    flat: pl.DataFrame,
    word_lists: pl.Series,
    n_chars: np.ndarray,
    columns: dict[str, np.ndarray],
) -> None:
    """Fill the top / duplicated n-gram fractions of all texts from their exploded words."""
    text = flat["text"].to_numpy().astype(np.int64)
    vocabulary = flat["word"].unique(maintain_order=True)
    word = _dense_codes(flat["word"], vocabulary)
    word_chars = vocabulary.str.len_chars().to_numpy().astype(np.int64)[word]
    cum_chars = np.concatenate([[0], np.cumsum(word_chars)])
    total = len(word)
    # Top n-gram (n = 2, 3, 4): the most frequent word tuple of the text, ties to the first
    # seen (as Counter.most_common(1)); chars of the " "-joined n-gram × count. A text where no
    # tuple repeats has the first n-gram (count 1); otherwise the repeated tuples are counted
    # exactly. An n-gram can only repeat where both of its (n-1)-grams repeat, so each level
    # only groups the rows the level below left as candidates.
    salt = _mix64(text.astype(np.uint64))  # keeps equal n-grams of different texts apart
    text_bits = int(text.max()).bit_length()
    word_bits = len(vocabulary).bit_length()
    repeats = np.zeros(total + 1, dtype=bool)
    for n in range(2, max(GOPHER_TOP_NGRAM_CHAR_FRAC) + 1):
        if total < n:
            break
        start = np.flatnonzero(text[n - 1 :] == text[: total - n + 1])
        if len(start) == 0:
            break
        column = columns[f"top_{n}gram_char_frac"]
        first_rows = start[np.flatnonzero(np.diff(text[start], prepend=-1))]
        chars = cum_chars[first_rows + n] - cum_chars[first_rows] + n - 1
        column[text[first_rows]] = np.minimum(1.0, chars / n_chars[text[first_rows]])
        candidates = start if n == 2 else start[repeats[start] & repeats[start + 1]]
        repeats = np.zeros(total + 1, dtype=bool)
        if len(candidates) == 0:
            # Nothing repeats at this length, so nothing longer does: every text keeps its
            # first n-gram (count 1) at this and every longer n, set by the next iterations.
            continue
        if text_bits + n * word_bits <= 63:  # the whole tuple packed in one integer key
            packed = text[candidates].astype(np.uint64)
            for k in range(n):
                packed = (packed << np.uint64(word_bits)) | word[candidates + k].astype(np.uint64)
            keys = {"key": packed}
        else:
            keys = {"text_": text[candidates], **{f"w{k}": word[candidates + k] for k in range(n)}}
        grams = pl.DataFrame({"text": text[candidates], "first": candidates, **keys}).select(
            "text",
            pl.len().over(list(keys)).cast(pl.Int64).alias("count"),
            pl.col("first").min().over(list(keys)),
        )
        count = grams["count"].to_numpy()
        repeats[candidates] = count > 1
        # score = count * 2^40 + (2^40 - 1 - first): its max is the top count, first seen.
        top = (
            grams.filter(pl.col("count") > 1)
            .group_by("text")
            .agg((pl.col("count") * _SCORE_SHIFT + (_SCORE_SHIFT - 1 - pl.col("first"))).max())
        )
        rows = top["text"].to_numpy()
        score = top["count"].to_numpy()
        count, first = score // _SCORE_SHIFT, _SCORE_SHIFT - 1 - score % _SCORE_SHIFT
        chars = (cum_chars[first + n] - cum_chars[first] + n - 1) * count
        column[rows] = np.minimum(1.0, chars / n_chars[rows])
    # Duplicated n-grams (n = 5..10): datatrove's walk is sequential, so it only runs for
    # texts where the hash of a "".join-ed n-gram (salted by text) repeats; others have 0.
    hashes, powers = _concat_hash_parts(vocabulary.to_list())
    gram_hash = hashes[word]
    for n in range(2, max(GOPHER_DUP_NGRAM_CHAR_FRAC) + 1):
        if total < n:
            break
        gram_hash = gram_hash[: total - n + 1] * powers[word[n - 1 :]] + hashes[word[n - 1 :]]
        if n not in GOPHER_DUP_NGRAM_CHAR_FRAC:
            continue
        start = np.flatnonzero(text[n - 1 :] == text[: total - n + 1])
        suspects = start[_repeated(gram_hash[start] ^ salt[start])]
        if len(suspects) == 0:
            continue
        repeated = _duplicate_walk(suspects, text, flat["word"], cum_chars, n, len(n_chars))
        rows = np.flatnonzero(repeated)
        columns[f"dup_{n}gram_char_frac"][rows] = repeated[rows] / n_chars[rows]


def _duplicate_walk(
    suspects: np.ndarray,
    text: np.ndarray,
    words: pl.Series,
    cum_chars: np.ndarray,
    n: int,
    n_texts: int,
) -> np.ndarray:
    """Characters `find_all_duplicate` counts for every text, walking all texts at once.

    datatrove's walk visits n-gram positions left to right: a gram already seen counts its
    characters and skips the next n-1 positions; any other gram is added to `seen`. A gram
    that occurs once in its text can never count, so visiting it only advances the walk:
    the walk is the same over the `suspects` alone (flat row indexes, in text order, a
    superset of the grams that occur twice). Step t handles the t-th suspect of every text
    with numpy; grams are compared as the exact "".join-ed strings (ids per text).
    """
    owner = text[suspects]
    parts = {f"w{k}": words.gather(suspects + k) for k in range(n)}
    gram_id = (
        pl.DataFrame({"text": owner, **parts})
        .select(pl.struct("text", pl.concat_str(list(parts)).alias("gram")).rank("dense"))
        .to_series()
        .to_numpy()
        .astype(np.int64)
    )
    gram_chars = cum_chars[suspects + n] - cum_chars[suspects]
    run_start = np.flatnonzero(np.diff(owner, prepend=-1))
    rank = np.arange(len(suspects)) - np.repeat(
        run_start, np.diff(np.append(run_start, len(owner)))
    )
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(int(rank.max()) + 2))
    seen = np.zeros(int(gram_id.max()) + 1, dtype=bool)
    resume = np.zeros(n_texts, dtype=np.int64)  # first flat row each text's walk may visit
    repeated = np.zeros(n_texts, dtype=np.int64)
    for step in range(len(bounds) - 1):
        rows = by_rank[bounds[step] : bounds[step + 1]]
        at, who, gram = suspects[rows], owner[rows], gram_id[rows]
        visited = at >= resume[who]
        again = visited & seen[gram]
        first = visited & ~again
        repeated[who[again]] += gram_chars[rows[again]]
        seen[gram[first]] = True
        resume[who[again]] = at[again] + n
        resume[who[first]] = at[first] + 1
    return repeated


def _repeated(keys: np.ndarray) -> np.ndarray:
    """Indices (ascending) of the keys that occur more than once."""
    order = pl.Series(keys, dtype=pl.UInt64).arg_sort().to_numpy()
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    in_run = np.zeros(len(keys), dtype=bool)
    in_run[1:] |= same
    in_run[:-1] |= same
    mask = np.zeros(len(keys), dtype=bool)
    mask[order[in_run]] = True
    return np.flatnonzero(mask)


# ---------------------------------------------------------------------------------------------
# 2. Stable shingle hashing
# ---------------------------------------------------------------------------------------------

_U64 = np.uint64
_SHINGLE_MULTIPLIER = _U64(0x9E3779B97F4A7C15)  # odd 64-bit constant (golden ratio)
_SPLITMIX_1 = _U64(0xBF58476D1CE4E5B9)
_SPLITMIX_2 = _U64(0x94D049BB133111EB)
_BAND_SEED = _U64(0x243F6A8885A308D3)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer on a uint64 array (a bijection; wraps mod 2^64)."""
    x = x ^ (x >> _U64(30))
    x = x * _SPLITMIX_1
    x = x ^ (x >> _U64(27))
    x = x * _SPLITMIX_2
    return x ^ (x >> _U64(31))


def stable_word_hash(word: str) -> int:
    """64-bit blake2b of the UTF-8 word, little-endian: the same in every process and version."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def _word_hashes(words: pl.Series) -> np.ndarray:
    """Stable uint64 hash per word occurrence, hashing each distinct word once."""
    vocab = words.unique()
    hashes = pl.Series([stable_word_hash(w) for w in vocab.to_list()], dtype=pl.UInt64)
    return words.replace_strict(vocab, hashes, return_dtype=pl.UInt64).to_numpy()


def section_shingles(sections: pl.DataFrame, k: int = 5) -> pl.DataFrame:
    """Distinct stable UInt64 word k-shingles per section: `section_id`, `report_id`, `shingle`.

    Words are `word_frame`'s lowercased tokens of `plain_text`. A shingle hash is the polynomial
    h = ((w0*M + w1)*M + ...)*M + w_{k-1} (mod 2^64) of the blake2b word hashes, then splitmix64.
    A section with 1..k-1 words gets one shingle of all its words; a section with none gets none.
    """
    if k < 1:
        raise ValueError("k must be >= 1")
    words = word_frame(sections, ["section_id", "report_id"], "plain_text")
    schema = {"section_id": pl.String, "report_id": pl.String, "shingle": pl.UInt64}
    if words.height == 0:
        return pl.DataFrame(schema=schema)
    per_section = words.group_by("section_id", "report_id", maintain_order=True).len("n_words")
    n_words = per_section["n_words"].to_numpy().astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(n_words)[:-1]])
    hashes = np.concatenate([_word_hashes(words["word"]), np.zeros(k, dtype=np.uint64)])
    # Full shingles start at positions 0 .. n_words-k of every section.
    n_full = np.maximum(n_words - k + 1, 0)
    owner = np.repeat(np.arange(len(n_words)), n_full)
    idx = np.repeat(starts, n_full) + (
        np.arange(n_full.sum()) - np.repeat(np.cumsum(n_full) - n_full, n_full)
    )
    full = hashes[idx]
    for i in range(1, k):
        full = full * _SHINGLE_MULTIPLIER + hashes[idx + i]
    # Short sections: one shingle over all of their (1..k-1) words.
    short = np.flatnonzero(n_words < k)
    short_len = n_words[short]
    part = hashes[starts[short]]
    for i in range(1, k - 1):
        more = short_len > i
        part[more] = part[more] * _SHINGLE_MULTIPLIER + hashes[starts[short[more]] + i]
    owner = np.concatenate([owner, short])
    values = _mix64(np.concatenate([full, part]))
    order = np.argsort(owner, kind="stable")  # two sorted runs: a linear merge
    owner, values = owner[order], values[order]
    keep = _first_occurrences(owner, values)
    owner, values = owner[keep], values[keep]
    return pl.DataFrame(
        {
            "section_id": per_section["section_id"].gather(owner),
            "report_id": per_section["report_id"].gather(owner),
            "shingle": pl.Series(values, dtype=pl.UInt64),
        }
    )


def _first_occurrences(owner: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mask keeping the first row of each distinct (owner, value) pair, order unchanged."""
    # Rows whose mixed 64-bit key repeats are the only possible duplicates (a plain sort of
    # uint64 is fast); those few rows are then deduplicated exactly on (owner, value).
    key = values ^ _mix64(owner.astype(np.uint64))
    ordered = np.sort(key)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    keep = np.ones(len(values), dtype=bool)
    if len(repeated) == 0:
        return keep
    slot = np.minimum(np.searchsorted(repeated, key), len(repeated) - 1)
    suspects = np.flatnonzero(repeated[slot] == key)
    by_pair = suspects[np.lexsort((suspects, values[suspects], owner[suspects]))]
    same = (owner[by_pair][1:] == owner[by_pair][:-1]) & (
        values[by_pair][1:] == values[by_pair][:-1]
    )
    keep[by_pair[1:][same]] = False
    return keep


# ---------------------------------------------------------------------------------------------
# 3. MinHash + LSH (vectorized, bit-compatible with datasketch 2.x "affine32" and "legacy")
# ---------------------------------------------------------------------------------------------

MinHashScheme = Literal["affine32", "legacy"]
_MERSENNE_PRIME = _U64((1 << 61) - 1)
_MAX_HASH_32 = _U64((1 << 32) - 1)
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
_SIGNATURE_CHUNK_CELLS = 1 << 20  # shingles × permutations computed at once (4 MiB of uint32)


def fold_shingle_32(shingles: np.ndarray) -> np.ndarray:
    """Fold uint64 shingle hashes to the 32-bit MinHash input: (x ^ x >> 32) & 0xFFFFFFFF."""
    x = np.asarray(shingles, dtype=np.uint64)
    return ((x ^ (x >> _U64(32))) & _MAX_HASH_32).astype(np.uint32)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 32-bit finalizer (datasketch's one-shot pre-mix of the affine32 scheme)."""
    s1, m1, s2, m2 = _FMIX32
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s1)


def minhash_permutations(
    num_perm: int, seed: int = 1, scheme: MinHashScheme = "affine32"
) -> tuple[np.ndarray, np.ndarray]:
    """Permutation parameters (a, b), drawn exactly as datasketch's MinHash(seed=...) draws them."""
    gen = np.random.RandomState(seed)
    if scheme == "legacy":
        ab = np.array(
            [
                (
                    gen.randint(1, _MERSENNE_PRIME, dtype=np.uint64),
                    gen.randint(0, _MERSENNE_PRIME, dtype=np.uint64),
                )
                for _ in range(num_perm)
            ],
            dtype=np.uint64,
        ).T
        return ab[0], ab[1]
    if scheme != "affine32":
        raise ValueError(f"unknown MinHash scheme {scheme!r}")
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _permuted(x32: np.ndarray, a: np.ndarray, b: np.ndarray, scheme: MinHashScheme) -> np.ndarray:
    """Hash values of every shingle under every permutation, shape (num_perm, len(x32))."""
    if scheme == "legacy":
        phv = np.multiply.outer(a, x32.astype(np.uint64))  # wraps mod 2^64, as datasketch does
        phv += b[:, None]
        phv %= _MERSENNE_PRIME
        phv &= _MAX_HASH_32
        return phv.astype(np.uint32)
    phv = np.multiply.outer(a, _fmix32(x32))  # uint32: wraps mod 2^32
    phv += b[:, None]
    return phv


def minhash_signatures(
    shingles: pl.DataFrame,
    num_perm: int = 128,
    seed: int = 1,
    scheme: MinHashScheme = "affine32",
) -> tuple[list[str], np.ndarray]:
    """MinHash signatures per section: (sorted section_ids, uint32 array (n_sections, num_perm)).

    Input: `section_id`, `shingle` (UInt64). Each shingle is folded to 32 bits
    (`fold_shingle_32`) and permuted by universal hashing over ALL shingles at once, then
    reduced per section with `np.minimum.reduceat` over the section-sorted rows, in chunks of
    about `_SIGNATURE_CHUNK_CELLS` cells. `scheme="affine32"` (default; datasketch >= 2.0's
    default): h = fmix32(x), value = a*h + b mod 2^32 with odd a (a bijection, so no
    collision bias on large sets). `scheme="legacy"` (datasketch < 2.0): value =
    ((a*x + b) mod 2^64 mod (2^61 - 1)) & (2^32 - 1). With `seed` the signatures equal
    datasketch's `MinHash(num_perm, seed, scheme, hashfunc=fold of the 8-byte shingle)`.
    Sections without shingles are absent.
    """
    frame = shingles.select("section_id", "shingle").sort("section_id")
    if frame.height == 0:
        return [], np.empty((0, num_perm), dtype=np.uint32)
    runs = frame.group_by("section_id", maintain_order=True).len("n")
    section_ids = runs["section_id"].to_list()
    lengths = runs["n"].to_numpy().astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    row_section = np.repeat(np.arange(len(lengths)), lengths)
    x32 = fold_shingle_32(frame["shingle"].to_numpy())
    a, b = minhash_permutations(num_perm, seed, scheme)
    signatures = np.full((len(lengths), num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    chunk = max(1, _SIGNATURE_CHUNK_CELLS // num_perm)
    for lo in range(0, frame.height, chunk):
        hi = min(lo + chunk, frame.height)
        first, last = row_section[lo], row_section[hi - 1] + 1
        segments = np.maximum(starts[first:last], lo) - lo
        # Permutation-major layout: reduceat runs along contiguous rows (~10x faster).
        reduced = np.minimum.reduceat(_permuted(x32[lo:hi], a, b, scheme), segments, axis=1)
        np.minimum(signatures[first:last], reduced.T, out=signatures[first:last])
    return section_ids, signatures


def lsh_band_keys(
    section_ids: Sequence[str], signatures: np.ndarray, bands: int, rows: int
) -> pl.DataFrame:
    """One stable UInt64 key per (section, band): splitmix64 chain over the band's `rows` values."""
    if bands * rows > signatures.shape[1]:
        raise ValueError("bands * rows exceeds the signature length")
    n = signatures.shape[0]
    keys = np.empty((n, bands), dtype=np.uint64)
    for band in range(bands):
        h = np.full(n, _BAND_SEED, dtype=np.uint64)
        for col in range(band * rows, (band + 1) * rows):
            h = _mix64(h ^ signatures[:, col].astype(np.uint64))
        keys[:, band] = h
    return pl.DataFrame(
        {
            "section_id": pl.Series(section_ids, dtype=pl.String).gather(
                np.repeat(np.arange(n), bands)
            ),
            "band": pl.Series(np.tile(np.arange(bands, dtype=np.int32), n), dtype=pl.Int32),
            "band_key": pl.Series(keys.reshape(-1), dtype=pl.UInt64),
        }
    )


# (false positive, false negative) weights for the pipeline's banding: datasketch's default is
# (0.5, 0.5), which at threshold 0.5 / 128 permutations gives 25 bands × 5 rows and finds a
# pair of Jaccard exactly 0.5 with probability 0.55 only; (0.1, 0.9) gives 32 × 4 (0.87).
LSH_WEIGHTS: tuple[float, float] = (0.1, 0.9)

_GAUSS_NODES, _GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(64)


def _integrate(f: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Gauss-Legendre quadrature (64 nodes) over [lo, hi] of values sampled at the mapped nodes."""
    return (hi - lo) / 2 * (f @ _GAUSS_WEIGHTS)


def choose_bands(
    threshold: float,
    num_perm: int,
    false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
) -> tuple[int, int]:
    """(bands, rows) minimizing weighted false positive + negative area (datasketch _optimal_param).

    For every b in 1..num_perm and r in 1..num_perm // b: FP = ∫_0^t P(s) ds and
    FN = ∫_t^1 (1 - P(s)) ds with P(s) = 1 - (1 - s^r)^b, the probability that two sets of
    Jaccard s share a band; first minimum in (b, r) order, as datasketch iterates.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must be in [0, 1]")
    pairs = np.array(
        [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)],
        dtype=np.float64,
    )
    b_col, r_col = pairs[:, :1], pairs[:, 1:]
    s_fp = threshold / 2 * (_GAUSS_NODES + 1)  # nodes mapped to [0, t]
    s_fn = threshold + (1 - threshold) / 2 * (_GAUSS_NODES + 1)  # nodes mapped to [t, 1]
    fp = _integrate(1 - (1 - s_fp**r_col) ** b_col, 0.0, threshold)
    fn = _integrate((1 - s_fn**r_col) ** b_col, threshold, 1.0)
    error = fp * false_positive_weight + fn * false_negative_weight
    best = int(np.argmin(error))  # argmin returns the first minimum, like datasketch's strict <
    return int(pairs[best, 0]), int(pairs[best, 1])


def _pair_schema() -> dict[str, pl.DataType]:
    """Schema of the verified-pair frames."""
    return {
        "section_id_a": pl.String(),
        "section_id_b": pl.String(),
        "jaccard": pl.Float64(),
        "containment_a_in_b": pl.Float64(),
        "containment_b_in_a": pl.Float64(),
    }


def candidate_pairs(band_keys: pl.DataFrame, section_report: pl.DataFrame) -> pl.DataFrame:
    """Section pairs sharing any (band, band_key), from DIFFERENT reports: a < b, deduplicated."""
    keyed = (
        band_keys.select("section_id", "band", "band_key")
        .filter(pl.len().over("band", "band_key") > 1)  # most buckets hold one section
        .join(section_report.select("section_id", "report_id").unique(), on="section_id")
    )
    right = keyed.rename({"section_id": "section_id_b", "report_id": "report_id_b"})
    return (
        keyed.rename({"section_id": "section_id_a"})
        .join(right, on=["band", "band_key"])
        .filter(
            (pl.col("section_id_a") < pl.col("section_id_b"))
            & (pl.col("report_id") != pl.col("report_id_b"))
        )
        .select("section_id_a", "section_id_b")
        .unique()
        .sort("section_id_a", "section_id_b")
    )


def _with_jaccard(pairs: pl.DataFrame, sizes: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Add Jaccard and containments from n_common and set sizes; keep jaccard >= threshold."""
    union = pl.col("n_a") + pl.col("n_b") - pl.col("n_common")
    return (
        pairs.join(sizes.rename({"section_id": "section_id_a", "n": "n_a"}), on="section_id_a")
        .join(sizes.rename({"section_id": "section_id_b", "n": "n_b"}), on="section_id_b")
        .with_columns(
            jaccard=pl.col("n_common") / union,
            containment_a_in_b=pl.col("n_common") / pl.col("n_a"),
            containment_b_in_a=pl.col("n_common") / pl.col("n_b"),
        )
        .filter(pl.col("jaccard") >= threshold)
        .select(_pair_schema().keys())
        .sort("section_id_a", "section_id_b")
    )


def verify_pairs(
    candidates: pl.DataFrame, shingles: pl.DataFrame, threshold: float
) -> pl.DataFrame:
    """Exact Jaccard and containments of candidate pairs from their shingle sets; >= threshold.

    Each involved section's distinct shingles are a row of a sparse 0/1 matrix, so a pair's
    intersection is the dot product of two rows: exact, and memory stays proportional to
    the shingles rather than to pairs × shingles.
    """
    from scipy import sparse

    pairs = candidates.select("section_id_a", "section_id_b").unique()
    involved = pl.concat([pairs["section_id_a"], pairs["section_id_b"]]).unique().sort()
    sets = (
        shingles.select("section_id", "shingle")
        .join(involved.to_frame("section_id").with_row_index("code"), on="section_id")
        .select("code", "shingle")
        .unique()
    )
    counts = np.bincount(sets["code"].to_numpy(), minlength=len(involved))
    sizes = pl.DataFrame({"section_id": involved, "n": counts}).filter(pl.col("n") > 0)
    if pairs.height == 0 or sets.height == 0:
        return _with_jaccard(pairs.with_columns(n_common=pl.lit(0, pl.UInt32)), sizes, threshold)
    shingle = sets.select(pl.col("shingle").rank("dense")).to_series().to_numpy().astype(np.int64)
    matrix = sparse.csr_matrix(
        (np.ones(sets.height, dtype=np.float32), (sets["code"].to_numpy(), shingle - 1)),
        shape=(len(involved), int(shingle.max())),
    )
    a = _dense_codes(pairs["section_id_a"], involved)
    b = _dense_codes(pairs["section_id_b"], involved)
    common = np.empty(pairs.height, dtype=np.int64)
    for lo in range(0, pairs.height, _VERIFY_BLOCK_PAIRS):
        hi = min(lo + _VERIFY_BLOCK_PAIRS, pairs.height)
        products = matrix[a[lo:hi]].multiply(matrix[b[lo:hi]])
        common[lo:hi] = np.rint(np.asarray(products.sum(axis=1)).ravel()).astype(np.int64)
    pairs = pairs.with_columns(n_common=pl.Series(common, dtype=pl.UInt32))
    return _with_jaccard(pairs, sizes, threshold)


# Candidate pairs whose shingle sets are intersected at once by `verify_pairs`.
_VERIFY_BLOCK_PAIRS = 10_000


def exact_all_pairs(
    shingles: pl.DataFrame, section_report: pl.DataFrame, threshold: float
) -> pl.DataFrame:
    """Brute-force exact Jaccard of all cross-report section pairs sharing a shingle (samples)."""
    sets = (
        shingles.select("section_id", "shingle")
        .unique()
        .join(section_report.select("section_id", "report_id").unique(), on="section_id")
    )
    sizes = sets.group_by("section_id").len("n")
    common = (
        sets.rename({"section_id": "section_id_a"})
        .join(sets.rename({"section_id": "section_id_b"}), on="shingle", suffix="_b")
        .filter(
            (pl.col("section_id_a") < pl.col("section_id_b"))
            & (pl.col("report_id") != pl.col("report_id_b"))
        )
        .group_by("section_id_a", "section_id_b")
        .len("n_common")
    )
    return _with_jaccard(common, sizes, threshold)


def near_duplicate_pairs(
    shingles: pl.DataFrame,
    threshold: float = 0.5,
    num_perm: int = 128,
    seed: int = 1,
    weights: tuple[float, float] = LSH_WEIGHTS,
) -> pl.DataFrame:
    """Signatures -> band keys -> cross-report candidates -> verified pairs (jaccard >= threshold).

    `weights` = (false positive, false negative) weights of `choose_bands`; the default
    `LSH_WEIGHTS` favours recall, since false positives only cost an exact verification.
    """
    bands, rows = choose_bands(threshold, num_perm, *weights)
    section_ids, signatures = minhash_signatures(shingles, num_perm, seed)
    keys = lsh_band_keys(section_ids, signatures, bands, rows)
    candidates = candidate_pairs(keys, shingles.select("section_id", "report_id").unique())
    return verify_pairs(candidates, shingles, threshold)


# ---------------------------------------------------------------------------------------------
# 4. Novelty in arrival order
# ---------------------------------------------------------------------------------------------


_NOVELTY_COLUMNS = [
    "report_id",
    "arrival_rank",
    "n_shingles",
    "n_shingles_seen",
    "shingle_share_seen",
    "n_sections",
    "n_sections_seen",
    "section_share_seen",
    "novelty",
]


def report_novelty(
    report_shingles: pl.DataFrame,
    arrival: pl.DataFrame,
    near_duplicates: pl.DataFrame | None = None,
    section_report: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per report (arrival order): share of shingles / sections already seen in EARLIER reports.

    Inputs: `report_shingles` (`report_id`, `shingle`; section_shingles output works, duplicates
    are fine), `arrival` (`report_id`, `arrival_rank`; lower = earlier, ties are not "earlier"),
    optionally verified `near_duplicates` (`section_id_a`, `section_id_b`) with `section_report`
    (`section_id`, `report_id`, all sections). A shingle is seen if the minimum arrival rank of
    the reports holding it is below the report's rank (one group-by, no loop over reports).
    Output, one row per `arrival` row: report_id, arrival_rank, n_shingles, n_shingles_seen,
    shingle_share_seen, n_sections, n_sections_seen, section_share_seen (null without
    near_duplicates), novelty = 1 - shingle_share_seen (null when the report has no shingles).
    """
    ranks = arrival.select("report_id", pl.col("arrival_rank").cast(pl.Int64)).with_row_index(
        "report_index"
    )
    shingle_stats = _shingle_stats(report_shingles, ranks)
    out = (
        ranks.join(shingle_stats, on="report_index", how="left", maintain_order="left")
        .drop("report_index")
        .with_columns(pl.col("n_shingles", "n_shingles_seen").fill_null(0).cast(pl.Int64))
    )
    out = out.with_columns(
        shingle_share_seen=pl.when(pl.col("n_shingles") > 0).then(
            pl.col("n_shingles_seen") / pl.col("n_shingles")
        )
    ).with_columns(novelty=1.0 - pl.col("shingle_share_seen"))
    if near_duplicates is None or section_report is None:
        return out.with_columns(
            n_sections=pl.lit(None, pl.Int64),
            n_sections_seen=pl.lit(None, pl.Int64),
            section_share_seen=pl.lit(None, pl.Float64),
        ).select(_NOVELTY_COLUMNS)
    owners = section_report.select("section_id", "report_id").unique().join(ranks, on="report_id")
    links = pl.concat(
        [
            near_duplicates.select(
                pl.col("section_id_a").alias("section_id"), pl.col("section_id_b").alias("other")
            ),
            near_duplicates.select(
                pl.col("section_id_b").alias("section_id"), pl.col("section_id_a").alias("other")
            ),
        ]
    )
    seen_sections = (
        links.join(owners, on="section_id")
        .join(
            owners.select(pl.col("section_id").alias("other"), pl.col("arrival_rank").alias("r2")),
            on="other",
        )
        .filter(pl.col("r2") < pl.col("arrival_rank"))
        .select("section_id")
        .unique()
        .with_columns(seen=pl.lit(True))
    )
    section_stats = (
        owners.join(seen_sections, on="section_id", how="left")
        .group_by("report_id")
        .agg(
            pl.len().alias("n_sections"),
            pl.col("seen").fill_null(False).sum().cast(pl.Int64).alias("n_sections_seen"),
        )
    )
    return (
        out.join(section_stats, on="report_id", how="left", maintain_order="left")
        .with_columns(pl.col("n_sections", "n_sections_seen").fill_null(0).cast(pl.Int64))
        .with_columns(
            section_share_seen=pl.when(pl.col("n_sections") > 0).then(
                pl.col("n_sections_seen") / pl.col("n_sections")
            )
        )
        .select(_NOVELTY_COLUMNS)
    )


def _shingle_stats(report_shingles: pl.DataFrame, ranks: pl.DataFrame) -> pl.DataFrame:
    """report_index, n_shingles (distinct), n_shingles_seen (first held by an earlier rank).

    Sorting by (shingle, rank) puts each shingle's earliest holder first; scans over the sorted
    integer columns then count, where a hash-based unique + window took ~1 GB per 10M rows.
    """
    ordered = (
        report_shingles.select("report_id", "shingle")
        .join(ranks.select("report_id", "report_index", "arrival_rank"), on="report_id")
        .select("shingle", "arrival_rank", "report_index")
        .sort("shingle", "arrival_rank", "report_index")
    )
    shingle = ordered["shingle"].to_numpy()
    rank = ordered["arrival_rank"].to_numpy()
    index = ordered["report_index"].to_numpy().astype(np.int64)
    del ordered
    starts = np.ones(len(shingle), dtype=bool)
    starts[1:] = shingle[1:] != shingle[:-1]
    first_rank = rank[np.maximum.accumulate(np.where(starts, np.arange(len(shingle)), 0))]
    distinct = starts.copy()
    distinct[1:] |= index[1:] != index[:-1]  # first row of each (shingle, report) pair
    n_reports = ranks.height
    n_shingles = np.bincount(index[distinct], minlength=n_reports)
    n_seen = np.bincount(index[distinct & (first_rank < rank)], minlength=n_reports)
    return pl.DataFrame(
        {
            "report_index": pl.Series(np.arange(n_reports), dtype=ranks["report_index"].dtype),
            "n_shingles": n_shingles.astype(np.int64),
            "n_shingles_seen": n_seen.astype(np.int64),
        }
    ).filter(pl.col("n_shingles") > 0)


# ---------------------------------------------------------------------------------------------
# 5. Repeated phrases (boilerplate)
# ---------------------------------------------------------------------------------------------

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


def _dense_codes(values: pl.Series, distinct: pl.Series | None = None) -> np.ndarray:
    """Dense int64 codes of a Series' values: positions in `distinct` (default: its uniques)."""
    table = (values.unique() if distinct is None else distinct).to_frame("value")
    codes = (
        values.to_frame("value")
        .join(table.with_row_index("code"), on="value", how="left", maintain_order="left")["code"]
        .to_numpy()
    )
    return codes.astype(np.int64)


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
    report = _dense_codes(meta["report_id"].gather(row[run_starts])).astype(np.int32)[section]
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


# ---------------------------------------------------------------------------------------------
# 6. TF-IDF similarity between reports
# ---------------------------------------------------------------------------------------------


def report_similarity(
    sections: pl.DataFrame,
    top_k: int = 10,
    min_cosine: float = 0.2,
    near_duplicates: pl.DataFrame | None = None,
    text_column: str = "plain_text",
    block_rows: int = 512,
    dense_terms: int = 2048,
) -> pl.DataFrame:
    """TF-IDF cosine between reports: each report's top_k neighbours >= min_cosine, a < b rows.

    One document per report (its sections' text joined in ordinal order), so idf measures how
    rare a term is among REPORTS and long sections weigh more than short ones, as a reader
    sees them; a mean of section vectors would give a 2-line section the weight of a
    2-page one. scikit-learn `TfidfVectorizer(sublinear_tf=True, stop_words="english")`,
    L2-normalized rows, so cosine = dot product. X @ X.T is computed exactly, `block_rows`
    reports at a time (the `dense_terms` most widespread terms as a dense BLAS product, the
    others sparse), keeping only each row's top_k: memory O((block_rows + dense_terms) × n).
    A pair is kept if either report has the other among its top_k. With `near_duplicates`
    (`section_id_a`, `section_id_b`, e.g. verified pairs), `n_near_duplicate_sections` counts
    them per report pair (null when not given). Output: report_id_a, report_id_b, cosine,
    n_near_duplicate_sections, sorted by cosine descending.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    schema = {
        "report_id_a": pl.String,
        "report_id_b": pl.String,
        "cosine": pl.Float64,
        "n_near_duplicate_sections": pl.Int64,
    }
    order = [c for c in ("report_id", "ordinal", "section_id") if c in sections.columns]
    docs = (
        sections.sort(order)
        .group_by("report_id", maintain_order=True)
        .agg(pl.col(text_column).fill_null("").str.join("\n"))
    )
    report_ids = docs["report_id"].to_list()
    if len(report_ids) < 2 or top_k < 1:
        return pl.DataFrame(schema=schema)
    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", dtype=np.float32)
    try:
        matrix = vectorizer.fit_transform(docs[text_column].to_list())
    except ValueError:  # empty vocabulary: no report has a content word
        return pl.DataFrame(schema=schema)
    n = matrix.shape[0]
    k = min(top_k, n - 1)
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    values: list[np.ndarray] = []
    # Exact X @ X.T, split by term: the `dense_terms` terms in most reports as a dense BLAS
    # product (their postings are long: sparse products would be quadratic in them), the rest
    # as a sparse product (short postings, cheap).
    doc_freq = np.bincount(matrix.indices, minlength=matrix.shape[1])
    common = np.zeros(matrix.shape[1], dtype=bool)
    common[np.argsort(-doc_freq, kind="stable")[:dense_terms]] = True
    dense = matrix[:, np.flatnonzero(common)].toarray()
    rare = matrix[:, np.flatnonzero(~common)].tocsr()
    rare_t = rare.T.tocsr()
    for lo in range(0, n, block_rows):
        hi = min(lo + block_rows, n)
        scores = dense[lo:hi] @ dense.T + (rare[lo:hi] @ rare_t).toarray()
        scores[np.arange(hi - lo), np.arange(lo, hi)] = -1.0  # never pair a report with itself
        best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(scores, best, axis=1)
        keep = best_scores >= min_cosine
        left.append(np.repeat(np.arange(lo, hi), k)[keep.reshape(-1)])
        right.append(best[keep])
        values.append(best_scores[keep])
    ids = pl.Series(report_ids, dtype=pl.String)
    i, j = np.concatenate(left), np.concatenate(right)
    pairs = (
        pl.DataFrame(
            {
                "x": ids.gather(i),
                "y": ids.gather(j),
                "cosine": np.concatenate(values).astype(np.float64),
            }
        )
        .select(
            pl.min_horizontal("x", "y").alias("report_id_a"),
            pl.max_horizontal("x", "y").alias("report_id_b"),
            "cosine",
        )
        .group_by("report_id_a", "report_id_b")
        .agg(pl.col("cosine").max())
    )
    if near_duplicates is None:
        counts = pairs.with_columns(n_near_duplicate_sections=pl.lit(None, pl.Int64))
    else:
        owner = sections.select("section_id", "report_id").unique()
        dup = (
            near_duplicates.select("section_id_a", "section_id_b")
            .join(owner.rename({"section_id": "section_id_a", "report_id": "x"}), on="section_id_a")
            .join(owner.rename({"section_id": "section_id_b", "report_id": "y"}), on="section_id_b")
            .select(
                pl.min_horizontal("x", "y").alias("report_id_a"),
                pl.max_horizontal("x", "y").alias("report_id_b"),
            )
            .group_by("report_id_a", "report_id_b")
            .agg(pl.len().cast(pl.Int64).alias("n_near_duplicate_sections"))
        )
        counts = pairs.join(dup, on=["report_id_a", "report_id_b"], how="left").with_columns(
            pl.col("n_near_duplicate_sections").fill_null(0)
        )
    return counts.select(schema.keys()).sort(
        ["cosine", "report_id_a", "report_id_b"], descending=[True, False, False]
    )
