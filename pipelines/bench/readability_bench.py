"""Side-by-side timing of the Polars readability path against per-text textstat 0.7.13."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import polars as pl
from textstat.backend.utils import get_pyphen

from pipelines.text.readability.counts import LANG, clear_word_cache
from pipelines.text.readability.dictionary import clear_textstat_caches
from pipelines.text.readability.formulas import COUNT_COLUMNS, METRIC_COLUMNS
from pipelines.text.readability.table import readability, textstat_reference

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
_WARM_UP_TEXT = "Warm up the pronouncing dictionary, the hyphenator and the easy-word list."


def seed_paragraphs(seeds_dir: Path = SEEDS_DIR) -> list[str]:
    """Non-empty blank-line-separated paragraphs of the seed reports."""
    paragraphs: list[str] = []
    for path in sorted(seeds_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        paragraphs += [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return paragraphs


def perturbed_texts(n: int = 2000, seed: int = 0, seeds_dir: Path = SEEDS_DIR) -> list[str]:
    """`n` distinct texts made by concatenating, shuffling and perturbing seed paragraphs."""
    rng = random.Random(seed)
    paragraphs = seed_paragraphs(seeds_dir)
    texts: dict[str, None] = {}
    while len(texts) < n:
        chosen = rng.sample(paragraphs, k=rng.randint(1, 4))
        sentences = [s for p in chosen for s in re.split(r"(?<=[.!?])\s+", p)]
        rng.shuffle(sentences)
        words = " ".join(sentences).split(" ")
        for _ in range(rng.randint(1, 5)):
            i = rng.randrange(len(words))
            edit = rng.randrange(4)
            if edit == 0:
                words[i] = words[i].upper()
            elif edit == 1:
                words.insert(i, words[i])
            elif edit == 2 and len(words) > 1:
                del words[i]
            elif i + 1 < len(words):
                words[i], words[i + 1] = words[i + 1], words[i]
        texts[" ".join(words)] = None  # a dict keeps order and drops repeats
    return list(texts)


def _clear_pyphen_cache() -> None:
    """Empty Pyphen's per-word hyphenation cache, which both paths share."""
    get_pyphen(LANG).hd.cache.clear()


def _time_fast(frame: pl.DataFrame) -> tuple[float, pl.DataFrame]:
    """Seconds for `readability` on `frame` with every per-word cache emptied first."""
    clear_word_cache()
    readability(pl.DataFrame({"text_id": [-1], "plain_text": [_WARM_UP_TEXT]}), ["text_id"])
    clear_word_cache()
    _clear_pyphen_cache()
    start = time.perf_counter()
    fast = readability(frame, ["text_id"])
    return time.perf_counter() - start, fast


def _time_textstat(texts: list[str]) -> tuple[float, list[dict[str, float]]]:
    """Seconds for textstat's functions one text at a time, with its caches emptied first."""
    clear_textstat_caches()
    _clear_pyphen_cache()
    textstat_reference(_WARM_UP_TEXT)
    start = time.perf_counter()
    reference = [textstat_reference(text) for text in texts]
    return time.perf_counter() - start, reference


def compare_with_textstat(texts: list[str], repeats: int = 3) -> dict[str, float]:
    """Time `readability` and per-text textstat on the same texts; report speedup and max diff.

    textstat memoises most functions with lru caches keyed on the text (and syllables per word),
    `readability` keeps a per-distinct-word syllable cache, and both share Pyphen's per-word
    cache. All of them are emptied before every timing, then both paths are warmed with one
    unrelated text so that loading the CMU dictionary, Pyphen and the easy-word list is left out.
    Each side is timed `repeats` times in this process, alternating, and the best time counts.
    Pass texts textstat has not seen (`perturbed_texts` makes distinct ones) for a fair baseline.
    """
    frame = pl.DataFrame({"text_id": range(len(texts)), "plain_text": texts})
    fast_s = textstat_s = float("inf")
    for _ in range(repeats):
        seconds, fast = _time_fast(frame)
        fast_s = min(fast_s, seconds)
        seconds, reference = _time_textstat(texts)
        textstat_s = min(textstat_s, seconds)

    expected = pl.DataFrame(reference).select(*METRIC_COLUMNS, *COUNT_COLUMNS)
    max_abs_diff = max(
        (fast[name].cast(pl.Float64) - expected[name].cast(pl.Float64)).abs().max() or 0.0
        for name in (*METRIC_COLUMNS, *COUNT_COLUMNS)
    )
    return {
        "fast_s": fast_s,
        "textstat_s": textstat_s,
        "speedup": textstat_s / fast_s,
        "max_abs_diff": float(max_abs_diff),
    }


if __name__ == "__main__":
    print(compare_with_textstat(perturbed_texts()))
