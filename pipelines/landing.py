"""Which reports have not landed: a partition whose per-report assets are not all materialized.

A refresh killed after it registered its partitions leaves them known to Dagster but without
rows; the folder sensor then sees no new file and would never request them. When no run is
queued or running, the sensor asks for every partition that has not landed (from the first
such partition to the last one, as one contiguous range and one run), at most
`MAX_ATTEMPTS` times for the same set, so a report that fails every time is not retried for
ever (its runs stay failed in the UI with their error). When every report has landed but
the per-report rows changed after the last publish, the sensor runs the corpus-wide assets.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MAX_ATTEMPTS = 3
ATTEMPT_TAG = "reportscope/landing-attempt"
SET_TAG = "reportscope/landing-set"


@dataclass(frozen=True)
class LandingPlan:
    """Partitions to run again (a contiguous range of the partition order) and its run key."""

    refresh: list[str]
    unlanded: list[str]
    set_id: str
    attempt: int
    run_key: str


def unlanded_partitions(
    partitions: Sequence[str],
    on_disk: Iterable[str],
    materialized: Mapping[str, set[str]],
) -> list[str]:
    """Partitions of files still on disk that some per-report asset has not materialized."""
    present = set(on_disk)
    landed = set.intersection(*materialized.values()) if materialized else set(partitions)
    return [key for key in partitions if key in present and key not in landed]


def landing_set_id(unlanded: Sequence[str]) -> str:
    """A stable id of a set of unlanded partitions (to count the attempts at landing it)."""
    return hashlib.sha256(json.dumps(sorted(unlanded)).encode()).hexdigest()[:16]


def plan_landing(
    partitions: Sequence[str], unlanded: Sequence[str], attempts_so_far: int
) -> LandingPlan | None:
    """The run that lands `unlanded` (None when nothing is missing or attempts are spent)."""
    if not unlanded or attempts_so_far >= MAX_ATTEMPTS:
        return None
    first = min(partitions.index(key) for key in unlanded)
    set_id = landing_set_id(unlanded)
    attempt = attempts_so_far + 1
    return LandingPlan(
        refresh=list(partitions[first:]),
        unlanded=list(unlanded),
        set_id=set_id,
        attempt=attempt,
        run_key=f"landing-{set_id}-{attempt}",
    )
