"""The copied English stopword list is scikit-learn's."""

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as SKLEARN_STOP_WORDS

from pipelines.text.stopwords import ENGLISH_STOP_WORDS


def test_english_stop_words_equal_scikit_learns() -> None:
    assert frozenset(SKLEARN_STOP_WORDS) == ENGLISH_STOP_WORDS
