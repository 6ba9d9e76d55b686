"""Stopwords: scikit-learn's English list (copied) plus a few report-language function words.

`ENGLISH_STOP_WORDS` is scikit-learn's (318 words, BSD-3), copied here: importing
scikit-learn costs a second or more per run process, and the incremental path needs only
this list. tests/test_stopwords.py checks that it equals scikit-learn's.
"""

from collections.abc import Iterable

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
