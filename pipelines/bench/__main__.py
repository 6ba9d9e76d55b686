"""`python -m pipelines.bench` (`make bench`): cold build, incremental refresh and kernel benchmarks.

BENCH_REPORTS (default 10000) reports are generated (`pipelines.bench.corpus`) into a
temporary build under WAREHOUSE_DIR/bench/tmp, then, side by side:

- cold build: every asset on all reports in ONE Dagster run (as `make run`), in a child
  process whose process tree (pool workers included) is sampled for RSS; wall time and peak
  RSS per step come from the run's event log (STEP_START / STEP_SUCCESS);
- incremental refresh: one more report, reconciled and run as the folder sensor runs it
  (`refresh_all` with the partition range tags of that one report);
- readability (Polars fast path vs per-text textstat) and MinHash + LSH (ours vs datasketch,
  and LSH recall against exact all-pairs Jaccard), on the generated corpus's sections.

Prints a Markdown table and writes WAREHOUSE_DIR/bench/results.json. Other knobs:
BENCH_SEED (0), BENCH_TEXTS (2000 readability texts), BENCH_MINHASH_SECTIONS (20000),
BENCH_RECALL_REPORTS (500), BENCH_KEEP=1 keeps the temporary build.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from pipelines.bench.corpus import GeneratedCorpus, generate_corpus
from pipelines.settings import DATABASE_FILE, PROJECT_ROOT, Settings

TARGETS = {
    "cold_s": ("<=", 60.0),
    "incremental_s": ("<=", 10.0),
    "peak_rss_mb": ("<=", 2048.0),
    "readability_speedup_vs_textstat": (">=", 20.0),
    "readability_max_abs_diff": ("<=", 0.01),
    "minhash_speedup_vs_datasketch": (">=", 3.0),
    "lsh_recall": (">=", 0.95),
}
SAMPLE_EVERY_S = 0.05


def _env_int(name: str, default: int) -> int:
    """An integer environment variable."""
    return int(os.environ.get(name, str(default)))


@dataclass
class MemorySampler:
    """Samples the RSS of a process and all its descendants in a background thread."""

    pid: int
    samples: list[tuple[float, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _tree_rss(self, root: psutil.Process) -> float:
        """Summed RSS (MiB) of the process tree: pool workers' shared pages count twice."""
        total = 0
        for process in [root, *root.children(recursive=True)]:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue
        return total / 2**20

    def _loop(self) -> None:
        """Sample until stopped or the process is gone."""
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            try:
                self.samples.append((time.time(), self._tree_rss(root)))
            except psutil.Error:
                return
            self._stop.wait(SAMPLE_EVERY_S)

    def start(self) -> None:
        """Start sampling."""
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop.set()
        if self._thread:
            self._thread.join()

    def peak(self, start: float = 0.0, end: float = float("inf")) -> float:
        """Highest sample in [start, end] (0 when none)."""
        return max((rss for t, rss in self.samples if start <= t <= end), default=0.0)


def _run_stage(kind: str, env: dict[str, str], work: Path) -> dict[str, Any]:
    """Run `pipelines.bench.stage` in a child process, sampling its memory; add per-step data."""
    out = work / f"{kind}.json"
    log = work / f"{kind}.log"
    with open(log, "wb") as handle:
        child = subprocess.Popen(
            [sys.executable, "-m", "pipelines.bench.stage", kind, "--out", str(out)],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        sampler = MemorySampler(child.pid)
        sampler.start()
        returncode = child.wait()
        sampler.stop()
    if not out.exists():
        tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise RuntimeError(f"{kind} stage crashed (exit {returncode}):\n{tail}")
    outcome = json.loads(out.read_text(encoding="utf-8"))
    outcome["peak_rss_mb"] = sampler.peak()
    outcome["run_peak_rss_mb"] = sampler.peak(outcome["run_started_at"], outcome["run_finished_at"])
    outcome["steps"] = _step_table(env["DAGSTER_HOME"], outcome["run_id"], sampler)
    if not outcome["success"]:
        outcome["log_tail"] = log.read_text(encoding="utf-8", errors="replace")[-4000:]
    return outcome


def _step_table(home: str, run_id: str, sampler: MemorySampler) -> list[dict[str, Any]]:
    """Per step: start, seconds, peak RSS while it ran, and its compute vs Dagster bookkeeping.

    A step's compute ends at its first output event; what follows (one
    ASSET_MATERIALIZATION event per partition and asset, each written to the event log) is
    Dagster's bookkeeping, reported as `events_s` with the number of events.
    """
    import dagster as dg

    kinds = {
        dg.DagsterEventType.STEP_START,
        dg.DagsterEventType.STEP_SUCCESS,
        dg.DagsterEventType.STEP_FAILURE,
        dg.DagsterEventType.STEP_SKIPPED,
        dg.DagsterEventType.STEP_OUTPUT,
        dg.DagsterEventType.ASSET_MATERIALIZATION,
        dg.DagsterEventType.ASSET_CHECK_EVALUATION,
    }
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = home
    try:
        with dg.DagsterInstance.get() as instance:
            records = instance.all_logs(run_id, of_type=kinds)
            planned = len(
                instance.all_logs(
                    run_id, of_type={dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED}
                )
            )
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous
    starts: dict[str, float] = {}
    first_output: dict[str, float] = {}
    events: dict[str, int] = {}
    steps: list[dict[str, Any]] = []
    ends = {dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    for record in records:
        event_type = record.dagster_event_type
        key = record.step_key
        if event_type is None or key is None:
            continue
        if event_type == dg.DagsterEventType.STEP_START:
            starts[key] = record.timestamp
        elif event_type in ends | {dg.DagsterEventType.STEP_SKIPPED} and key in starts:
            start = starts.pop(key)
            compute_end = first_output.get(key, record.timestamp)
            steps.append(
                {
                    "step": key,
                    "status": event_type.value.removeprefix("STEP_").lower(),
                    "start": start,
                    "seconds": record.timestamp - start,
                    "compute_s": compute_end - start,
                    "events_s": record.timestamp - compute_end,
                    "events": events.get(key, 0),
                    "peak_rss_mb": sampler.peak(start, record.timestamp),
                }
            )
        else:
            first_output.setdefault(key, record.timestamp)
            events[key] = events.get(key, 0) + 1
    steps.sort(key=lambda s: s["start"])
    if steps:
        steps[0]["planned_events_before_run"] = planned
    return steps


def _published_counts(warehouse: Path) -> dict[str, int]:
    """Row counts of the published warehouse's tables."""
    import duckdb

    with duckdb.connect(str(warehouse / DATABASE_FILE), read_only=True) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'corpus' ORDER BY 1"
            ).fetchall()
        ]
        return {
            name: connection.execute(f'SELECT count(*) FROM corpus."{name}"').fetchone()[0]  # type: ignore[index]
            for name in names
        }


def _planted_recall(warehouse: Path, corpus: GeneratedCorpus, threshold: float) -> dict[str, Any]:
    """How many planted duplicates (true Jaccard >= threshold) the pipeline's table holds."""
    import duckdb
    import polars as pl

    planted = pl.DataFrame(
        [(p.section_id, p.source_section_id, p.kind) for p in corpus.planted],
        schema=["x", "y", "kind"],
        orient="row",
    ).select(pl.min_horizontal("x", "y").alias("a"), pl.max_horizontal("x", "y").alias("b"), "kind")
    with duckdb.connect(str(warehouse / DATABASE_FILE), read_only=True) as connection:
        connection.register("planted", planted)
        rows = connection.execute(
            """
            WITH sizes AS (
                SELECT section_id, count(*) AS n FROM corpus.section_shingles
                WHERE section_id IN (SELECT a FROM planted UNION SELECT b FROM planted)
                GROUP BY section_id
            ), shared AS (
                SELECT p.a, p.b, count(*) AS n FROM planted p
                JOIN corpus.section_shingles sa ON sa.section_id = p.a
                JOIN corpus.section_shingles sb ON sb.section_id = p.b AND sb.shingle = sa.shingle
                GROUP BY ALL
            )
            SELECT p.kind, coalesce(s.n, 0) / (za.n + zb.n - coalesce(s.n, 0)) AS jaccard,
                   d.section_id_a IS NOT NULL AS found
            FROM planted p
            JOIN sizes za ON za.section_id = p.a JOIN sizes zb ON zb.section_id = p.b
            LEFT JOIN shared s USING (a, b)
            LEFT JOIN corpus.near_duplicate_sections d
              ON d.section_id_a = p.a AND d.section_id_b = p.b
            """
        ).pl()
        total_pairs = connection.execute(
            "SELECT count(*) FROM corpus.near_duplicate_sections"
        ).fetchone()[0]  # type: ignore[index]
    expected = rows.filter(pl.col("jaccard") >= threshold)
    return {
        "planted": len(corpus.planted),
        "planted_at_or_above_threshold": expected.height,
        "found": int(expected["found"].sum()),
        "recall": float(expected["found"].mean()) if expected.height else 1.0,
        "pairs_in_table": total_pairs,
    }


def _readability(warehouse: Path, n_texts: int, seed: int) -> dict[str, Any]:
    """Fast path vs textstat on `n_texts` distinct section texts of the generated corpus."""
    import duckdb

    from pipelines.bench.readability_bench import compare_with_textstat

    with duckdb.connect(str(warehouse / DATABASE_FILE), read_only=True) as connection:
        texts = sorted(
            row[0]
            for row in connection.execute(
                "SELECT DISTINCT plain_text FROM corpus.sections WHERE n_words > 0"
            ).fetchall()
        )
    sample = random.Random(seed).sample(texts, min(n_texts, len(texts)))
    return {"n_texts": len(sample), **compare_with_textstat(sample, repeats=5)}


def _minhash(warehouse: Path, max_sections: int, recall_reports: int) -> dict[str, Any]:
    """Ours vs datasketch on the corpus's stored shingles; LSH recall on the first reports."""
    import duckdb

    from pipelines.bench.minhash_bench import compare_with_datasketch, lsh_recall

    def shingles_of_first_reports(limit_sections: int | None, limit_reports: int | None):  # type: ignore[no-untyped-def]
        """Stored shingles of the first reports (by file name) up to a section or report limit."""
        with duckdb.connect(str(warehouse / DATABASE_FILE), read_only=True) as connection:
            return connection.execute(
                """
                WITH r AS (
                    SELECT report_id, row_number() OVER (ORDER BY file_name) AS k,
                           sum(n_sections) OVER (ORDER BY file_name) AS upto
                    FROM corpus.reports
                )
                SELECT s.section_id, s.report_id, s.shingle
                FROM corpus.section_shingles s JOIN r USING (report_id)
                WHERE r.upto <= ? AND r.k <= ?
                ORDER BY s.section_id
                """,
                [limit_sections or 2**62, limit_reports or 2**62],
            ).pl()

    shingles = shingles_of_first_reports(max_sections, None)
    comparison = compare_with_datasketch(shingles)
    recall = lsh_recall(shingles_of_first_reports(None, recall_reports), sample_reports=None)
    return {"comparison": comparison, "recall": recall}


def _machine() -> dict[str, Any]:
    """Cores, memory, load and library versions."""
    import dagster
    import duckdb
    import numpy
    import polars
    import sklearn

    memory = psutil.virtual_memory()
    return {
        "cpu_count": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gb": round(memory.total / 2**30, 1),
        "available_gb_at_start": round(memory.available / 2**30, 1),
        "load_average_at_start": os.getloadavg(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": polars.__version__,
        "dagster": dagster.__version__,
        "numpy": numpy.__version__,
        "scikit_learn": sklearn.__version__,
    }


def _verdict(name: str, value: float) -> str:
    """'ok' or 'MISSED' against the target."""
    op, bound = TARGETS[name]
    ok = value <= bound if op == "<=" else value >= bound
    return "ok" if ok else "MISSED"


def markdown(results: dict[str, Any]) -> str:
    """The headline table and the per-step tables."""
    lines = [
        f"## reportscope bench: {results['reports']} reports, "
        f"{results['corpus']['n_sections']} sections, "
        f"{results['corpus']['n_bytes'] / 2**20:.0f} MiB "
        f"({results['machine']['cpu_count']} cores, {results['machine']['ram_gb']} GB)",
        "",
        "| metric | value | target | |",
        "|---|---:|---:|---|",
    ]
    for name, (op, bound) in TARGETS.items():
        value = results[name]
        shown = f"{value:.4f}" if "diff" in name or "recall" in name else f"{value:.1f}"
        lines.append(f"| {name} | {shown} | {op} {bound:g} | {_verdict(name, value)} |")
    for kind in ("cold", "incremental"):
        stage = results["stages"][kind]
        lines += [
            "",
            f"### {kind}: {stage['wall_s']:.1f}s after start-up (reconcile "
            f"{stage['reconcile_s']:.1f}s, run {stage['run_s']:.1f}s; start-up "
            f"{stage['python_startup_s'] + stage['load_definitions_s']:.1f}s), "
            f"peak RSS {stage['peak_rss_mb']:.0f} MB",
            "",
            "| step | seconds | share | compute s | Dagster events s (events) | peak RSS MB |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for step in sorted(stage["steps"], key=lambda s: -s["seconds"]):
            share = step["seconds"] / stage["run_s"] if stage["run_s"] else 0.0
            lines.append(
                f"| {step['step']} | {step['seconds']:.2f} | {share:.0%} | "
                f"{step['compute_s']:.2f} | {step['events_s']:.2f} ({step['events']}) | "
                f"{step['peak_rss_mb']:.0f} |"
            )
        covered = sum(s["seconds"] for s in stage["steps"])
        planned = stage["steps"][0].get("planned_events_before_run", 0) if stage["steps"] else 0
        lines.append(
            f"| (run outside steps: start-up, {planned} planned events, hand-offs) | "
            f"{stage['run_s'] - covered:.2f} | | | | |"
        )
        compute = sum(s["compute_s"] for s in stage["steps"])
        lines.append(f"| **sum of step compute** | **{compute:.2f}** | | | | |")
    return "\n".join(lines)


def main() -> int:
    """Generate, build, refresh, compare; print and write the results."""
    n_reports = _env_int("BENCH_REPORTS", 10_000)
    seed = _env_int("BENCH_SEED", 0)
    settings = Settings.from_env()
    bench_dir = settings.warehouse_dir / "bench"
    root = bench_dir / "tmp" / f"run-{os.getpid()}"
    reports, warehouse, home = root / "reports", root / "warehouse", root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    template = PROJECT_ROOT / ".dagster_home" / "dagster.yaml"
    (home / "dagster.yaml").write_text(
        template.read_text(encoding="utf-8")
        if template.exists()
        else "telemetry:\n  enabled: false\n",
        encoding="utf-8",
    )
    machine = _machine()
    try:
        started = time.perf_counter()
        corpus = generate_corpus(reports, n_reports + 1, seed=seed)
        generate_s = time.perf_counter() - started
        extra = corpus.files[-1]
        (root / "pending").mkdir()
        corpus.n_bytes -= (reports / extra).stat().st_size
        shutil.move(reports / extra, root / "pending" / extra)
        print(f"bench: generated {n_reports}+1 reports in {generate_s:.1f}s under {root}")

        env = {
            **os.environ,
            "REPORTS_DIR": str(reports),
            "WAREHOUSE_DIR": str(warehouse),
            "DAGSTER_HOME": str(home),
        }
        cold = _run_stage("cold", env, root)
        print(f"bench: cold build {cold['wall_s']:.1f}s (success={cold['success']})")
        counts_cold = _published_counts(warehouse)
        from pipelines.defs.redundancy import NEAR_DUPLICATE_THRESHOLD

        planted = _planted_recall(warehouse, corpus, NEAR_DUPLICATE_THRESHOLD)

        shutil.move(root / "pending" / extra, reports / extra)
        incremental = _run_stage("incremental", env, root)
        print(f"bench: incremental {incremental['wall_s']:.1f}s (success={incremental['success']})")
        counts_incremental = _published_counts(warehouse)

        readability = _readability(warehouse, _env_int("BENCH_TEXTS", 2000), seed)
        print(f"bench: readability {readability['speedup']:.1f}x textstat")
        minhash = _minhash(
            warehouse,
            _env_int("BENCH_MINHASH_SECTIONS", 20_000),
            _env_int("BENCH_RECALL_REPORTS", 500),
        )
        print(f"bench: minhash {minhash['comparison']['speedup']:.1f}x datasketch")

        results: dict[str, Any] = {
            "reports": n_reports,
            "cold_s": cold["wall_s"],
            "incremental_s": incremental["wall_s"],
            "peak_rss_mb": max(cold["peak_rss_mb"], incremental["peak_rss_mb"]),
            "readability_speedup_vs_textstat": readability["speedup"],
            "readability_max_abs_diff": readability["max_abs_diff"],
            "minhash_speedup_vs_datasketch": minhash["comparison"]["speedup"],
            "lsh_recall": minhash["recall"]["recall"],
            "cold_step_compute_s": sum(step["compute_s"] for step in cold["steps"]),
            "incremental_step_compute_s": sum(step["compute_s"] for step in incremental["steps"]),
            "cold_dagster_events": sum(step["events"] for step in cold["steps"])
            + (cold["steps"][0].get("planned_events_before_run", 0) if cold["steps"] else 0),
            "success": cold["success"] and incremental["success"],
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {**machine, "load_average_at_end": os.getloadavg()},
            "corpus": {
                "seed": seed,
                "generate_s": generate_s,
                "n_reports": counts_cold.get("reports", 0),
                "n_sections": counts_cold.get("sections", 0),
                "n_bytes": corpus.n_bytes,
                "pool_sections": corpus.pool_sections,
                "pool_dirs": corpus.pool_dirs,
                "planted_near": sum(p.kind == "near" for p in corpus.planted),
                "planted_exact": sum(p.kind == "exact" for p in corpus.planted),
            },
            "planted_duplicates": planted,
            "stages": {"cold": cold, "incremental": incremental},
            "row_counts": {"cold": counts_cold, "incremental": counts_incremental},
            "readability": readability,
            "minhash": minhash,
        }
    finally:
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(root, ignore_errors=True)
    bench_dir.mkdir(parents=True, exist_ok=True)
    (bench_dir / "results.json").write_text(
        json.dumps(results, indent=1, default=str), encoding="utf-8"
    )
    print(markdown(results))
    print(f"\nwritten: {bench_dir / 'results.json'}")
    return 0 if results["success"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
