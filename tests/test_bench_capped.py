"""The capped cold build (`python -m pipelines.bench.capped`) stops at its cap and says where."""

from __future__ import annotations

from pathlib import Path

from pipelines.bench.capped import capped_cold_build


def test_a_cold_build_over_its_memory_cap_is_stopped_with_the_step_it_was_in(
    tmp_path: Path,
) -> None:
    result = capped_cold_build(8, tmp_path, max_rss_mb=150, max_s=600)
    assert not result["success"]
    assert result["stopped"] is not None and "RSS" in result["stopped"]
    assert result["peak_rss_mb"] > 150
    assert result["reports"] == 8


def test_a_cold_build_under_its_caps_completes_with_every_step(tmp_path: Path) -> None:
    result = capped_cold_build(6, tmp_path, max_rss_mb=16_000, max_s=900)
    assert result["success"] and result["stopped"] is None
    steps = {row["step"]: row["status"] for row in result["steps"]}
    assert steps["ingest_reports"] == "success"
    assert steps["published_warehouse"] == "success"
    assert (tmp_path / "warehouse" / "reportscope.duckdb").is_file()
