"""The benchmark's results: the machine, the results document, targets and verdicts, Markdown."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from typing import Any

import psutil

from pipelines.bench.corpus import GeneratedCorpus

TARGETS = {
    "cold_s": ("<=", 60.0),
    "incremental_s": ("<=", 10.0),
    "peak_rss_mb": ("<=", 2048.0),
    "readability_speedup_vs_textstat": (">=", 20.0),
    "readability_max_abs_diff": ("<=", 0.01),
    "minhash_speedup_vs_datasketch": (">=", 3.0),
    "minhash_speedup_vs_rensa": (">=", 1.0),
    "lsh_recall": (">=", 0.95),
}
# Shown under the targets, without a verdict: the reference implementation's own recall.
REFERENCES = ("lsh_recall_rensa",)


def describe_machine() -> dict[str, Any]:
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
        digits = 4 if "diff" in name or "recall" in name else 2 if name.endswith("rensa") else 1
        shown = f"{value:.{digits}f}"
        lines.append(f"| {name} | {shown} | {op} {bound:g} | {_verdict(name, value)} |")
    lines += [f"| {name} | {results[name]:.4f} | | reference |" for name in REFERENCES]
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


def collect_results(
    *,
    n_reports: int,
    seed: int,
    generate_s: float,
    corpus: GeneratedCorpus,
    machine: dict[str, Any],
    cold: dict[str, Any],
    incremental: dict[str, Any],
    counts_cold: dict[str, int],
    counts_incremental: dict[str, int],
    planted: dict[str, Any],
    readability: dict[str, Any],
    minhash: dict[str, Any],
) -> dict[str, Any]:
    """The results document: the headline metrics (see TARGETS), then every measurement."""
    return {
        "reports": n_reports,
        "cold_s": cold["wall_s"],
        "incremental_s": incremental["wall_s"],
        "peak_rss_mb": max(cold["peak_rss_mb"], incremental["peak_rss_mb"]),
        "readability_speedup_vs_textstat": readability["speedup"],
        "readability_max_abs_diff": readability["max_abs_diff"],
        "minhash_speedup_vs_datasketch": minhash["comparison"]["speedup"],
        "minhash_speedup_vs_rensa": minhash["rensa"]["speedup"],
        "lsh_recall": minhash["recall"]["recall"],
        "lsh_recall_rensa": minhash["recall"]["recall_rensa"],
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
