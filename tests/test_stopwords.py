"""The copied English stopword list is scikit-learn's; the other report languages' lists."""

from importlib.resources import files

import polars as pl
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as SKLEARN_STOP_WORDS

from pipelines.text.stopwords import (
    ENGLISH_STOP_WORDS,
    LANGUAGES,
    language_stopwords,
    text_languages,
    without_stopwords,
)
from pipelines.text.tokens import word_frame


def test_english_stop_words_equal_scikit_learns() -> None:
    assert frozenset(SKLEARN_STOP_WORDS) == ENGLISH_STOP_WORDS


def test_language_stopwords_ship_inside_the_package() -> None:
    """stopwordsiso's lists are a file of the installed package: nothing to download."""
    assert files("stopwordsiso").joinpath("stopwords-iso.json").is_file()
    table = language_stopwords()
    sizes = dict(table.group_by("language").len().iter_rows())
    assert set(sizes) == set(LANGUAGES)
    assert all(size >= 300 for size in sizes.values()), sizes
    by_language = {
        lang: set(table.filter(pl.col("language") == lang)["word"]) for lang in LANGUAGES
    }
    assert {"des", "les", "une", "dans"} <= by_language["fr"]
    assert {"bir", "ve", "için", "olarak", "şu"} <= by_language["tr"]
    assert {"los", "las", "del"} <= by_language["es"]
    assert {"und", "der", "nicht"} <= by_language["de"]
    assert {"uma", "não", "dos"} <= by_language["pt"]
    assert {"della", "degli", "il"} <= by_language["it"]


SAMPLES = {
    "en": "The orchard was pollinated by the bees, and the beekeepers took the honey home.",
    "fr": "Les boulangers des villages préparent le pain avec de la farine des moulins.",
    "tr": "Bu köyde her hafta bir pazar kurulur ve köylüler sebze ve meyve getirir.",
    "es": "El turismo en las ciudades de la costa ha crecido mucho en los últimos años.",
    "de": "Die Landwirtschaft in den Bergen ist für die Dörfer und die Menschen wichtig.",
    "pt": "A inteligência artificial está se tornando uma força nos hospitais do país.",
    "it": "La cucina delle regioni del sud è famosa per la pasta e per i prodotti del mare.",
    "none": "12345 67890",
}


def test_text_languages_and_their_stopwords() -> None:
    """Each sample is told its language; English and unknown text keep English rules only."""
    words = word_frame(
        pl.DataFrame({"key": list(SAMPLES), "plain_text": list(SAMPLES.values())}), ["key"]
    )
    detected = dict(text_languages(words, "key").iter_rows())
    assert detected == {key: "en" if key == "none" else key for key in SAMPLES}
    kept = without_stopwords(words, "key", 3, ENGLISH_STOP_WORDS)
    content = {key: set(group["word"]) for (key,), group in kept.group_by("key")}
    assert content["fr"] == {"boulangers", "villages", "préparent", "pain", "farine", "moulins"}
    assert content["tr"] == {"köyde", "hafta", "pazar", "kurulur", "köylüler", "sebze", "meyve",
                             "getirir"}  # fmt: skip
    # English text keeps "ai"-like words other languages list ("ai" is French and Italian).
    english = without_stopwords(
        word_frame(
            pl.DataFrame({"key": ["x"], "plain_text": ["The AI tools and the AI data"]}), ["key"]
        ),
        "key",
        2,
        ENGLISH_STOP_WORDS,
    )
    assert english["word"].to_list() == ["ai", "tools", "ai", "data"]
