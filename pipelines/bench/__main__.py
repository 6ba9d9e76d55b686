"""`python -m pipelines.bench` (`make bench`): cold build, incremental refresh and kernel benchmarks.

BENCH_REPORTS (default 10000) reports are generated (`pipelines.bench.corpus`) into a
temporary build under WAREHOUSE_DIR/bench/tmp, then, side by side:

- cold build: every asset on all reports in ONE Dagster run (as `make run`), in a child
  process whose process tree (pool workers included) is sampled for RSS; wall time and peak
  RSS per step come from the run's event log (STEP_START / STEP_SUCCESS);
- incremental refresh: one more report, reconciled and run as the folder sensor runs it
  (`refresh_all` with the partition range tags of that one report);
- readability (Polars fast path vs per-text textstat) and MinHash + LSH (ours vs datasketch
  and vs rensa, and both LSHs' recall against exact all-pairs Jaccard), on the generated
  corpus's sections.

Prints a Markdown table and writes WAREHOUSE_DIR/bench/results.json. Other knobs:
BENCH_SEED (0), BENCH_TEXTS (2000 readability texts), BENCH_MINHASH_SECTIONS (20000),
BENCH_RECALL_REPORTS (500), BENCH_KEEP=1 keeps the temporary build.
"""

from __future__ import annotations

import json
import os
import shutil
import time

from pipelines.bench.checks import (
    compare_minhash,
    compare_readability,
    planted_recall,
    published_counts,
)
from pipelines.bench.corpus import generate_corpus
from pipelines.bench.report import collect_results, describe_machine, markdown
from pipelines.bench.steps import run_stage
from pipelines.settings import PROJECT_ROOT, Settings


def _env_int(name: str, default: int) -> int:
    """An integer environment variable."""
    return int(os.environ.get(name, str(default)))


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
    machine = describe_machine()
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
        cold = run_stage("cold", env, root)
        print(f"bench: cold build {cold['wall_s']:.1f}s (success={cold['success']})")
        counts_cold = published_counts(warehouse)
        planted = planted_recall(warehouse, corpus, settings.near_duplicate_threshold)

        shutil.move(root / "pending" / extra, reports / extra)
        incremental = run_stage("incremental", env, root)
        print(f"bench: incremental {incremental['wall_s']:.1f}s (success={incremental['success']})")
        counts_incremental = published_counts(warehouse)

        readability = compare_readability(warehouse, _env_int("BENCH_TEXTS", 2000), seed)
        print(f"bench: readability {readability['speedup']:.1f}x textstat")
        minhash = compare_minhash(
            warehouse,
            _env_int("BENCH_MINHASH_SECTIONS", 20_000),
            _env_int("BENCH_RECALL_REPORTS", 500),
        )
        print(
            f"bench: minhash {minhash['comparison']['speedup']:.1f}x datasketch, "
            f"{minhash['rensa']['speedup']:.2f}x rensa"
        )

        results = collect_results(
            n_reports=n_reports,
            seed=seed,
            generate_s=generate_s,
            corpus=corpus,
            machine=machine,
            cold=cold,
            incremental=incremental,
            counts_cold=counts_cold,
            counts_incremental=counts_incremental,
            planted=planted,
            readability=readability,
            minhash=minhash,
        )
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
