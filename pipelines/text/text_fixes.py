"""ftfy's repairs, run only on the texts ftfy would change: a cheap, exact detector decides.

ftfy reads about 3 MB/s, nearly all of it in its mojibake heuristic (`ftfy.badness`, a regex
of ~40 alternatives tried at every position). With the fixes of `FTFY_CONFIG` it can change
a text only when (a) the heuristic matches, (b) a character one of the other fixes acts on
is present (C1 controls, other control characters, CR and Unicode line breaks, surrogates,
terminal escapes), or (c) the text is not in NFC. `may_change` tests exactly these; for the
heuristic it looks for the characters every one of its alternatives needs (derived from
ftfy's own regex at import), then runs ftfy's regex only around them.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy
from ftfy.badness import BADNESS_RE
from ftfy.chardata import CONTROL_CHARS

# Repairs ftfy may make. Curly quotes, full-width letters and ligatures are the author's,
# not damage: keep them (`learnersâ€™` must become `learners’`, not `learners'`).
FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_character_width=False,
    fix_latin_ligatures=False,
    normalization="NFC",
    explain=True,
)


def _char_class(codes: set[int]) -> str:
    """A regex character class of the given code points, as ranges."""
    ordered = sorted(codes)
    parts: list[str] = []
    start = 0
    for index in range(1, len(ordered) + 1):
        if index == len(ordered) or ordered[index] != ordered[index - 1] + 1:
            low, high = chr(ordered[start]), chr(ordered[index - 1])
            parts.append(re.escape(low) + ("-" + re.escape(high) if high != low else ""))
            start = index
    return "[" + "".join(parts) + "]"


def _rare_set(options: list[frozenset[int]]) -> frozenset[int]:
    """The set least likely in clean text: fewest lowercase letters, then fewest letters."""

    def weight(chars: frozenset[int]) -> tuple[int, int, int]:
        """Lowercase letters, letters, size: smaller is rarer in clean text."""
        kinds = [unicodedata.category(chr(c)) for c in chars]
        return (kinds.count("Ll"), sum(k.startswith("L") for k in kinds), len(chars))

    return min(options, key=weight)


def _required_characters(pattern: re.Pattern[str]) -> tuple[str, int] | None:
    """A class of characters every match of `pattern` holds one of, and the longest match.

    Each top-level alternative must have a non-optional item made of non-ASCII characters
    only; the rarest such item of each alternative is taken. None when some alternative has
    none (or the pattern is not of that shape): then every text goes to ftfy.
    """
    try:
        from re import _constants as const
        from re import _parser as parser

        tree = parser.parse(pattern.pattern, pattern.flags)
        if pattern.flags & re.IGNORECASE or len(tree.data) != 1:
            return None
        ((op, value),) = tree.data
        branches = value[1] if op is const.BRANCH else [tree]
        chosen: set[int] = set()
        for branch in branches:
            options: list[frozenset[int]] = []
            for item_op, item in branch.data:
                chars: set[int] = set()
                if item_op is const.LITERAL:
                    chars.add(item)
                elif item_op is const.IN and item and item[0][0] is not const.NEGATE:
                    for member_op, member in item:
                        if member_op is const.LITERAL:
                            chars.add(member)
                        elif member_op is const.RANGE:
                            chars.update(range(member[0], member[1] + 1))
                        else:  # a category such as \s: not a plain set
                            chars = set()
                            break
                if chars and min(chars) > 0x7F:
                    options.append(frozenset(chars))
            if not options:
                return None
            chosen |= _rare_set(options)
        return _char_class(chosen), tree.getwidth()[1]
    except Exception:  # another Python's regex internals: stay exact, lose the speed
        return None


_REQUIRED = _required_characters(BADNESS_RE)
_SUSPECT = re.compile(_REQUIRED[0] + "+") if _REQUIRED else None
_WIDTH = _REQUIRED[1] if _REQUIRED else 0
# Characters the other enabled fixes act on: control characters (terminal escapes start
# with ESC, one of them), C1 controls, CR and Unicode line breaks, surrogates.
_OTHER_FIXES = re.compile(
    _char_class(set(CONTROL_CHARS) | set(range(0x80, 0xA0)) | {0x0D, 0x2028, 0x2029})
    + "|[\ud800-\udfff]"
)
# The fixes the detector covers; a config turning on any other sends every text to ftfy.
_COVERED = (
    FTFY_CONFIG.unescape_html is False
    and not FTFY_CONFIG.uncurl_quotes
    and not FTFY_CONFIG.fix_character_width
    and not FTFY_CONFIG.fix_latin_ligatures
)


def looks_like_mojibake(text: str) -> bool:
    """Exactly `ftfy.badness.is_bad(text)`, searched only around the characters it needs."""
    if _SUSPECT is None:
        return BADNESS_RE.search(text) is not None
    for match in _SUSPECT.finditer(text):
        # Every match holding a character of this run lies in the window; `pos` keeps `^`
        # anchored at the real start of the text, as in a whole-text search.
        window = (max(match.start() - _WIDTH, 0), match.end() + _WIDTH)
        if BADNESS_RE.search(text, *window) is not None:
            return True
    return False


def may_change(text: str) -> bool:
    """False only when ftfy.fix_and_explain(text, config=FTFY_CONFIG) returns text unchanged."""
    if not _COVERED or _OTHER_FIXES.search(text):
        return True
    if text.isascii():
        return False
    form = FTFY_CONFIG.normalization
    if form is not None and not unicodedata.is_normalized(form, text):
        return True
    return FTFY_CONFIG.fix_encoding and looks_like_mojibake(text)


def fix_and_explain(text: str) -> ftfy.ExplainedText:
    """ftfy.fix_and_explain(text, config=FTFY_CONFIG), skipped where it would change nothing."""
    if not may_change(text):
        return ftfy.ExplainedText(text, [])
    return ftfy.fix_and_explain(text, config=FTFY_CONFIG)
