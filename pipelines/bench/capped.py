"""`python -m pipelines.bench.capped N`: the cold build alone, stopped at a memory or time cap.

For corpora too large for `make bench` on this machine (BENCH_REPORTS=100000): generates N
reports (or reuses `--root`'s), runs the cold stage of `make bench` (`pipelines.bench.stage`)
in a child process, samples its process tree's RSS, and kills the tree when it passes
`--max-rss-mb` or `--max-minutes`. Writes `<root>/capped.json`: the outcome, the peak and the
per-step table from the run's event log, including the step that was running when stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from pipelines.bench.corpus import generate_corpus
from pipelines.bench.memory import MemorySampler
from pipelines.bench.steps import step_table
from pipelines.settings import PROJECT_ROOT


def _stop_tree(pid: int) -> None:
    """Kill a process and its descendants."""
    try:
        root = psutil.Process(pid)
        for process in [*root.children(recursive=True), root]:
            process.kill()
    except psutil.Error:
        pass


def _run_id(home: Path) -> str | None:
    """The id of the newest run of the instance at `home`."""
    import dagster as dg

    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)  # the event log storage's folder follows it
    try:
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_runs(limit=1)
            return runs[0].run_id if runs else None
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous


def capped_cold_build(
    n_reports: int, root: Path, max_rss_mb: float, max_s: float, seed: int = 0
) -> dict[str, Any]:
    """Run the cold stage over `root`/reports (generated when absent) under the two caps."""
    reports, home = root / "reports", root / "dagster_home"
    if not reports.is_dir():
        generate_corpus(reports, n_reports, seed=seed)
    shutil.rmtree(root / "warehouse", ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "REPORTS_DIR": str(reports),
        "WAREHOUSE_DIR": str(root / "warehouse"),
        "DAGSTER_HOME": str(home),
    }
    out = root / "cold.json"
    out.unlink(missing_ok=True)
    started, stopped = time.time(), None
    with open(root / "cold.log", "wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "pipelines.bench.stage", "cold", "--out", str(out)],
            env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        sampler = MemorySampler(child.pid)
        sampler.start()
        while child.poll() is None and stopped is None:
            time.sleep(1)
            rss = sampler.samples[-1][1] if sampler.samples else 0.0
            if rss > max_rss_mb:
                stopped = f"RSS {rss:,.0f} MB > {max_rss_mb:,.0f} MB"
            elif time.time() - started > max_s:
                stopped = f"{time.time() - started:,.0f} s > {max_s:,.0f} s"
        if stopped:
            _stop_tree(child.pid)
        child.wait()
        sampler.stop()
    stage = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    run_id = stage.get("run_id") or _run_id(home)
    return {
        "reports": len(list(reports.iterdir())),
        "success": bool(stage.get("success")) and stopped is None,
        "stopped": stopped,
        "wall_s": time.time() - started,
        "peak_rss_mb": sampler.peak(),
        "stage": stage,
        "steps": step_table(str(home), run_id, sampler) if run_id else [],
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point: run, print and write `<root>/capped.json`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("reports", type=int)
    parser.add_argument("--root", type=Path, default=Path("warehouse/bench/capped"))
    parser.add_argument("--max-rss-mb", type=float, default=4096)
    parser.add_argument("--max-minutes", type=float, default=60)
    arguments = parser.parse_args(argv)
    result = capped_cold_build(
        arguments.reports, arguments.root, arguments.max_rss_mb, arguments.max_minutes * 60
    )
    (arguments.root / "capped.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"{result['reports']:,} reports: success={result['success']} stopped={result['stopped']}")
    print(f"wall {result['wall_s']:.0f} s, peak {result['peak_rss_mb']:,.0f} MB")
    for row in result["steps"]:
        print(
            f"  {row['step']:<32} {row['status']:<8} {row['seconds']:8.1f} s "
            f"peak {row['peak_rss_mb']:8,.0f} MB"
        )
    return 0 if result["success"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
