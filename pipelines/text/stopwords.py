"""Stopwords: scikit-learn's English list (copied) plus a few report-language function words,
and the stopwords of each report's own language.

`ENGLISH_STOP_WORDS` is scikit-learn's (318 words, BSD-3), copied here: importing
scikit-learn costs a second or more per run process, and the incremental path needs only
this list. tests/test_stopwords.py checks that it equals scikit-learn's.

For reports in another language, `without_stopwords` also drops the stopwords of that
language, from the `stopwordsiso` package (MIT; Stopwords ISO, lists for 57 languages that
ship inside the wheel as one JSON file: nothing is fetched at run time). The language of a
report is its detected one (`corpus.reports.language`, pipelines/text/language.py) when it
is given and determined; otherwise the one of LANGUAGES whose list its words hit most
(`text_languages`). Those lists are not applied to English text: the French and Italian lists
hold "ai", the Portuguese one "sistema", and stopwordsiso's English list "research" and
"computer".
"""

from collections.abc import Iterable
from functools import cache

import polars as pl

_WORDS = """
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst amoungst amount an and another any anyhow anyone
    anything anyway anywhere are around as at back be became because become becomes becoming
    been before beforehand behind being below beside besides between beyond bill both bottom
    but by call can cannot cant co con could couldnt cry de describe detail do done down due
    during each eg eight either eleven else elsewhere empty enough etc even ever every
    everyone everything everywhere except few fifteen fifty fill find fire first five for
    former formerly forty found four from front full further get give go had has hasnt have
    he hence her here hereafter hereby herein hereupon hers herself him himself his how
    however hundred i ie if in inc indeed interest into is it its itself keep last latter
    latterly least less ltd made many may me meanwhile might mill mine more moreover most
    mostly move much must my myself name namely neither never nevertheless next nine no
    nobody none noone nor not nothing now nowhere of off often on once one only onto or
    other others otherwise our ours ourselves out over own part per perhaps please put
    rather re same see seem seemed seeming seems serious several she should show side since
    sincere six sixty so some somehow someone something sometime sometimes somewhere still
    such system take ten than that the their them themselves then thence there thereafter
    thereby therefore therein thereupon these they thick thin third this those though three
    through throughout thru thus to together too top toward towards twelve twenty two un
    under until up upon us very via was we well were what whatever when whence whenever
    where whereafter whereas whereby wherein whereupon wherever whether which while whither
    who whoever whole whom whose why will with within without would yet you your yours
    yourself yourselves
"""
ENGLISH_STOP_WORDS: frozenset[str] = frozenset(_WORDS.split())

# Function words of the report languages seen so far that sklearn's English list lacks.
_EXTRA_STOPWORD_TEXT = """
also across among based can could including may might must new one per several since
such three two various well within without would yet however furthermore moreover
additionally ensure ensuring like used using use key significant significantly
ao aos as com como da das de do dos em entre essa esse essas esses está estão isso mais
mas na nas no nos os ou para pela pelas pelo pelos por que se sem ser seu sua suas seus
são também tem uma um umas uns à às é
"""
_EXTRA_STOPWORDS = frozenset(_EXTRA_STOPWORD_TEXT.split())


def default_stopwords() -> frozenset[str]:
    """English stopwords (scikit-learn's list) plus a few report-language function words."""
    return ENGLISH_STOP_WORDS | _EXTRA_STOPWORDS


def content_words(words: pl.Expr, min_length: int, stopwords: Iterable[str]) -> pl.Expr:
    """Mask of content words: long enough, not a stopword, not a number."""
    return (
        (words.str.len_chars() >= min_length)
        & ~words.is_in(list(stopwords))
        & ~words.str.contains(r"^[\d_\-'’]+$")
    )


# The languages `text_languages` tells apart (ISO 639-1); English first, so it wins ties.
LANGUAGES = ("en", "fr", "tr", "es", "de", "pt", "it")


@cache
def language_stopwords(languages: tuple[str, ...] = LANGUAGES) -> pl.DataFrame:
    """(language, word): stopwordsiso's list for each of `languages` it has, lowercased."""
    from stopwordsiso import has_lang, stopwords

    return pl.DataFrame(
        [
            (language, word)
            for language in languages
            if has_lang(language)
            for word in sorted({w.lower() for w in stopwords(language)})
        ],
        schema={"language": pl.String, "word": pl.String},
        orient="row",
    )


def text_languages(words: pl.DataFrame, key: str) -> pl.DataFrame:
    """`key`, language: per key, the LANGUAGES entry whose stopword list holds most of its
    words (a row per occurrence in `words`, lowercased); English on a tie or no hit at all."""
    order = pl.DataFrame(
        {"language": list(LANGUAGES), "rank": list(range(len(LANGUAGES)))},
        schema={"language": pl.String, "rank": pl.Int64},
    )
    hits = (
        words.select(key, "word")
        .join(language_stopwords(), on="word")
        .group_by(key, "language")
        .agg(pl.len().alias("hits"))
        .join(order, on="language")
        .sort([key, "hits", "rank"], descending=[False, True, False])
        .group_by(key, maintain_order=True)
        .first()
    )
    return (
        words.select(key)
        .unique(maintain_order=True)
        .join(hits.select(key, "language"), on=key, how="left", maintain_order="left")
        .with_columns(pl.col("language").fill_null(LANGUAGES[0]))
    )


def key_languages(
    words: pl.DataFrame, key: str, detected: pl.DataFrame | None = None
) -> pl.DataFrame:
    """`key`, language per key of `words`: the `detected` one (`key`, language) where it is
    determined, else `text_languages`' guess."""
    if detected is None:
        return text_languages(words, key)
    known = detected.select(key, "language").filter(
        pl.col("language").is_not_null() & (pl.col("language") != "und")
    )
    guessed = text_languages(words.join(known, on=key, how="anti"), key)
    return pl.concat([known.join(words.select(key).unique(), on=key), guessed])


def without_stopwords(
    words: pl.DataFrame,
    key: str,
    min_length: int,
    stopwords: Iterable[str],
    languages: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The content words of `words` (one row per occurrence: `key`, word, ...), in order.

    Dropped: `content_words`' non-content words (`stopwords`, numbers, short tokens) and, for
    a key whose language (`key_languages`: `languages`, the detected ones, else a guess) is
    not English, that language's stopwords; its words are split at apostrophes first
    (French "l'énergie" is "l" + "énergie", Turkish "İstanbul'da" "istanbul" + "da").
    """
    by_key = key_languages(words, key, languages)
    others = tuple(sorted(set(by_key["language"].unique()) - {LANGUAGES[0]}))
    local = language_stopwords(others)
    apostrophe = r"['’]"
    return (
        words.join(by_key, on=key, how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("language") != LANGUAGES[0])
            .then(pl.col("word").str.replace_all(apostrophe, " ").str.split(" "))
            .otherwise(pl.concat_list(pl.col("word")))
            .alias("word")
        )
        .explode("word")
        .filter(content_words(pl.col("word"), min_length, stopwords))
        .join(local, on=["language", "word"], how="anti", maintain_order="left")
        .drop("language")
    )
