"""Bytes -> clean Markdown text, with a record of every repair made on the way.

Reports arrive from people and from agent crews: other encodings, Windows line endings,
mojibake, a whole report wrapped in a ```markdown fence, agent chatter leaked before the
report proper, front matter. `repair` turns raw bytes into the text every later step reads,
or raises `UnreadableReport` with a reason a person understands. Mojibake is repaired by
ftfy, run only on the texts it would change (`text_fixes` decides, exactly and fast).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from pipelines.text.text_fixes import fix_and_explain

# Lines agent frameworks leak before the report proper (CrewAI, LangChain, AutoGen ...).
_CHATTER = re.compile(
    r"""^\s*(?:
        thought\s*:.*
      | (?:i\s+)?now\s+(?:i\s+)?can\s+give\s+(?:a\s+)?great\s+answer.*
      | i\s+now\s+know\s+the\s+final\s+answer.*
      | \**\s*final\s+answer\s*:?\s*\**\s*:?
      | (?:here\s+is|here's|below\s+is)\b.{0,120}?\b(?:report|answer|document|summary)\b.{0,80}
      | action\s*:.*
      | action\s+input\s*:.*
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_CONFLICT_START = re.compile(r"^<{7}(?: .*)?$")
_CONFLICT_MIDDLE = re.compile(r"^={7}$")
_CONFLICT_END = re.compile(r"^>{7}(?: .*)?$")
_FENCE_OPEN = re.compile(r"^\s*(```+|~~~+)\s*(?:markdown|md)?\s*$", re.IGNORECASE)
_FRONT_MATTER_DATE = re.compile(r"^\s*date\s*:\s*['\"]?([^'\"\n]+?)['\"]?\s*$", re.IGNORECASE)

# Files whose bytes look like this are not text at all: a window of _WINDOW bytes with more
# such bytes than 1 in 100 (at least 9), in any of _WINDOWS windows spread over the file.
_BINARY_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_WINDOW = 8192
_WINDOWS = 16


class UnreadableReport(ValueError):
    """A report that cannot be read as text; the message says why, for `rejected_reports`."""


@dataclass(frozen=True)
class RepairedText:
    """Clean text plus what was done to it."""

    text: str
    encoding: str
    repairs: list[str] = field(default_factory=list)
    # 1-based line of the original file where `text` starts (leading lines dropped before it).
    first_line: int = 1
    front_matter_date: date | None = None


def decode(raw: bytes) -> tuple[str, str, list[str]]:
    """Decode bytes as UTF-8 (BOM or not), UTF-16 with BOM, or a legacy code page."""
    repairs: list[str] = []
    if raw.startswith(codecs.BOM_UTF8):
        return (
            raw[3:].decode("utf-8", errors="replace"),
            "utf-8-sig",
            ["UTF-8 byte order mark removed"],
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16", ["decoded from UTF-16 (byte order mark)"]
        except UnicodeDecodeError as error:
            raise UnreadableReport(
                f"invalid UTF-16 text after a UTF-16 byte order mark: {error.reason}"
            ) from None
    if _looks_binary(raw):
        raise UnreadableReport("binary content, not text (control bytes such as NUL found)")
    try:
        return raw.decode("utf-8"), "utf-8", repairs
    except UnicodeDecodeError:
        pass
    text = raw.decode("utf-8", errors="replace")
    n_invalid = text.count("\ufffd")
    n_valid_multibyte = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    if n_valid_multibyte >= n_invalid:
        # Mostly UTF-8 with a few broken bytes: keep the good text, mark the damage.
        repairs.append(f"{n_invalid} invalid UTF-8 byte sequence(s) replaced by U+FFFD")
        return text, "utf-8", repairs
    try:
        return raw.decode("cp1252"), "cp1252", ["decoded from cp1252 (file is not UTF-8)"]
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1", ["decoded from latin-1 (file is not UTF-8)"]


def _looks_binary(raw: bytes) -> bool:
    """True when the file holds NUL, or a sampled 8 KiB window many other C0 control bytes.

    The whole file is looked at: text followed by binary is binary. NUL is searched for
    everywhere (a fast byte search); the control-byte count runs on windows spread over the
    file, the first and the last included (every window of a file up to 128 KiB).
    """
    if b"\x00" in raw:
        return True
    return any(
        len(_BINARY_CONTROL.findall(window)) > max(8, len(window) // 100)
        for window in (raw[start : start + _WINDOW] for start in _window_starts(len(raw)))
    )


def _window_starts(size: int) -> list[int]:
    """Offsets of the windows `_looks_binary` counts control bytes in, spread evenly."""
    if size <= _WINDOW * _WINDOWS:
        return list(range(0, max(size, 1), _WINDOW))
    last = size - _WINDOW
    return [last * index // (_WINDOWS - 1) for index in range(_WINDOWS)]


def repair(raw: bytes) -> RepairedText:
    """Decode and clean a report's bytes; raise UnreadableReport when there is no text."""
    if not raw.strip():
        raise UnreadableReport("empty file (no text)" if not raw else "whitespace only (no text)")
    text, encoding, repairs = decode(raw)

    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        repairs.append("line endings normalized to \\n")

    fixed, explanation = fix_and_explain(text)
    if fixed != text:
        steps = explanation or []
        kinds = [
            f"mojibake ({step.parameter} read as UTF-8)"
            for step in steps
            if step.action == "encode"
        ]
        kinds += [step.parameter.replace("_", " ") for step in steps if step.action == "apply"]
        label = ", ".join(dict.fromkeys(kinds)) or "Unicode normalization"
        repairs.append(f"text repaired: {label}")
        text = fixed

    lines = text.split("\n")
    _blank_conflict_markers(lines, repairs)
    first = 0
    front_matter_date, first = _strip_front_matter(lines, first, repairs)
    first = _strip_chatter(lines, first, repairs)
    first, last = _unwrap_fence(lines, first, repairs)
    first = _strip_chatter(lines, first, repairs)
    body = "\n".join(lines[first:last])
    if not body.strip():
        raise UnreadableReport("no report text left after removing agent chatter and wrappers")
    return RepairedText(body, encoding, repairs, first + 1, front_matter_date)


def _blank_conflict_markers(lines: list[str], repairs: list[str]) -> None:
    """Blank out git merge-conflict marker lines (both sides kept), recording where they were."""
    found: list[int] = []
    opened: int | None = None
    middle: int | None = None
    for index, line in enumerate(lines):
        if _CONFLICT_START.match(line):
            opened, middle = index, None
        elif opened is not None and _CONFLICT_MIDDLE.match(line):
            middle = index
        elif opened is not None and middle is not None and _CONFLICT_END.match(line):
            found += [opened, middle, index]
            opened = middle = None
    for index in found:
        lines[index] = ""  # keep the line so line numbers still point into the file
    if found:
        where = ", ".join(str(i + 1) for i in found[:9])
        repairs.append(
            f"{len(found) // 3} merge-conflict block(s): marker lines {where} removed, both sides kept"
        )


def _strip_front_matter(
    lines: list[str], first: int, repairs: list[str]
) -> tuple[date | None, int]:
    """Drop a leading `---` YAML front matter block; return its `date:` if it has one."""
    if first >= len(lines) or lines[first].strip() != "---":
        return None, first
    for end in range(first + 1, min(len(lines), first + 60)):
        if lines[end].strip() in {"---", "..."}:
            found = None
            for line in lines[first + 1 : end]:
                match = _FRONT_MATTER_DATE.match(line)
                if match:
                    found = _parse_date(match.group(1))
            repairs.append("front matter removed" + (f" (date {found})" if found else ""))
            return found, end + 1
    return None, first


def _parse_date(value: str) -> date | None:
    """Parse an ISO date or date-time from front matter, None when it is something else."""
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _strip_chatter(lines: list[str], first: int, repairs: list[str]) -> int:
    """Skip leading blank lines and leaked agent chatter lines, recording each one."""
    position = first
    while position < len(lines):
        line = lines[position]
        if not line.strip():
            position += 1
            continue
        if _CHATTER.match(line) and len(line) < 300:
            repairs.append(f"agent chatter removed (line {position + 1}): {line.strip()[:120]}")
            position += 1
            continue
        break
    return position


def _unwrap_fence(lines: list[str], first: int, repairs: list[str]) -> tuple[int, int]:
    """Unwrap a report that is one ```markdown fence; return the kept [first, last) lines."""
    last = len(lines)
    while last > first and not lines[last - 1].strip():
        last -= 1
    if first >= last or not _FENCE_OPEN.match(lines[first]):
        return first, len(lines)
    fence = _FENCE_OPEN.match(lines[first]).group(1)  # type: ignore[union-attr]
    closing = last - 1
    if closing > first and lines[closing].strip() == fence:
        inner = lines[first + 1 : closing]
        # A wrapper only if the fences inside it pair up (inner code blocks open and close).
        if sum(1 for line in inner if line.strip().startswith(fence)) % 2 == 0:
            repairs.append(f"unwrapped the {fence}markdown fence around the whole report")
            return first + 1, closing
    else:
        # An opening fence never closed: agents often truncate the last line.
        inner = lines[first + 1 :]
        if sum(1 for line in inner if line.strip().startswith(fence)) % 2 == 0:
            repairs.append(f"unwrapped an unclosed {fence}markdown fence at the top of the report")
            return first + 1, len(lines)
    return first, len(lines)
