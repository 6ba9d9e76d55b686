"""`reportscope run`: reconcile partitions with the folder, materialize everything, summarize."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pipelines.instance_home import ensure_dagster_home
from pipelines.settings import SettingError, Settings


def run(settings: Settings) -> int:
    """Materialize every asset on the reports folder in one run; print a summary."""
    home = ensure_dagster_home()
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.refresh import reconcile, run_refresh
    from pipelines.report_files import ReportsFolderUnavailable
    from pipelines.run_health import fail_runs_of_dead_workers
    from pipelines.run_report import failed_check_lines, failure_lines
    from pipelines.warehouse import Warehouse

    started = time.perf_counter()
    definitions = defs()
    with dg.DagsterInstance.get() as instance:
        for run_id in fail_runs_of_dead_workers(instance):
            print(f"reportscope: run {run_id} had been killed; marked it failed", file=sys.stderr)
        try:
            change = reconcile(instance, settings.reports_dir)
        except ReportsFolderUnavailable as error:
            # Never read as an empty folder: that would remove every landed report.
            print(f"reportscope: {error}", file=sys.stderr)
            return 2
        if not change.partitions and not Warehouse(settings.warehouse_dir).table_exists("sections"):
            print(
                f"reportscope: no report in {settings.reports_dir} yet (files ending "
                ".md, .markdown or .txt); nothing to build."
            )
            return 0
        # Dagster's own console log would print each failure's traceback before this command
        # could say what failed; the summary below names the step and its root cause instead.
        result = run_refresh(definitions, instance, change.partitions, log_level="CRITICAL")
    elapsed = time.perf_counter() - started
    checks = failed_check_lines(result)
    if not result.success:
        lines = [
            f"reportscope: the refresh FAILED after {elapsed:.1f}s (run {result.run_id}); "
            "the published warehouse and charts are unchanged.",
            *failure_lines(result),
            *checks,
            f"  the run's full log: `make ui`, Runs -> {result.run_id[:8]}",
        ]
        print("\n".join(lines), file=sys.stderr)
        return 1
    print(summary(settings, home, change.added, change.removed, elapsed))
    if checks:
        print("  checks that did not pass:\n" + "\n".join(checks))
    return 0


def summary(
    settings: Settings, home: Path, added: list[str], removed: list[str], elapsed: float
) -> str:
    """A short account of what the warehouse now holds and where things are."""
    import duckdb

    from pipelines.warehouse import table_row_counts

    lines = [f"reportscope: refreshed {settings.reports_dir} in {elapsed:.1f}s"]
    if added or removed:
        lines.append(f"  partitions: +{len(added)} new report(s), -{len(removed)} removed")
    if settings.database.exists():
        with duckdb.connect(str(settings.database), read_only=True) as connection:
            exact = table_row_counts(connection)
            rejected = (
                connection.execute(
                    "SELECT file_name, reason FROM corpus.rejected_reports ORDER BY file_name"
                ).fetchall()
                if "rejected_reports" in exact
                else []
            )
        lines.append(
            f"  reports: {exact.get('reports', 0)}   sections: {exact.get('sections', 0)}   "
            f"rejected: {exact.get('rejected_reports', 0)}"
        )
        lines.extend(f"    rejected {name!r}: {reason}" for name, reason in rejected[:20])
        if len(rejected) > 20:
            lines.append(f"    … and {len(rejected) - 20} more (corpus.rejected_reports)")
        lines.append(f"  tables: {', '.join(f'corpus.{n} ({c})' for n, c in exact.items())}")
    lines.append(f"  warehouse: {settings.database}")
    lines.append(f"    query it: .venv/bin/duckdb -readonly {_relative(settings.database)}")
    dashboard = settings.charts_dir / "index.html"
    if dashboard.exists():
        lines.append(f"  dashboard: {dashboard}")
    lines.append(f"  Dagster instance (run history): {home}  ->  make ui")
    return "\n".join(lines)


def _relative(path: Path) -> str:
    """A path relative to the working directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `reportscope` command."""
    parser = argparse.ArgumentParser(prog="reportscope", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="materialize every asset on REPORTS_DIR into WAREHOUSE_DIR")
    ui = commands.add_parser("ui", help="the Dagster UI and daemon (dg dev); Ctrl-C stops it all")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    arguments = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingError as error:
        print(f"reportscope: {error}", file=sys.stderr)
        return 2
    if arguments.command == "run":
        return run(settings)
    if arguments.command == "ui":
        from pipelines.ui import serve

        return serve(arguments.host, arguments.port)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
