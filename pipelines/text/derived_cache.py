"""Per-machine cache of data derived from installed packages (e.g. CMU syllables): JSON files.

Deriving them costs about a second per process (parsing the CMU dictionary, scanning every
Unicode code point), paid by every run. The cache lives in `$XDG_CACHE_HOME/reportscope`
(default `~/.cache/reportscope`); each file is named by a hash of what it was derived from
(package and Unicode versions), so an upgrade derives it again. An unreadable or unwritable
cache is ignored: the value is computed as if there were none.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """Where derived data is kept between processes."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reportscope"


def derived(name: str, source: str, compute: Callable[[], Any]) -> Any:
    """`compute()`'s JSON value, read from the cache when derived from the same `source`."""
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]
    path = cache_dir() / f"{name}-{key}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    value = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=f".{name}.", delete=False
        ) as handle:
            json.dump(value, handle)
        os.replace(handle.name, path)
    except OSError:
        pass
    return value
