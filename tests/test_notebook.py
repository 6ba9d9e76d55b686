"""notebooks/explore.ipynb: committed without outputs, and runs headless on the seeds warehouse."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

from tests.conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"
QUERIES = sorted((ROOT / "sql" / "queries").glob("*.sql"))
# Appended (in memory only) to report which interpreter the kernel ran.
PROBE = "import json, sys\nprint('KERNEL ' + json.dumps({'executable': sys.executable, 'prefix': sys.prefix}))"


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    """Every stream, Markdown, plain-text and HTML output of the notebook, concatenated."""
    parts: list[str] = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            for mime in ("text/markdown", "text/plain", "text/html"):
                parts.append(str(output.get("data", {}).get(mime, "")))
    return "\n".join(parts)


def test_committed_notebook_has_no_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [], cell.source[:80]
        assert cell.execution_count is None, cell.source[:80]
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    # One short analysis per metric family.
    for family in ("## 1. Topics", "## 2. Readability", "## 3. Redundancy"):
        assert family in markdown
    assert markdown.count("**Analysis.**") == 3
    # Offline: no renderer that loads plotly.js or MathJax from a CDN.
    source = "\n".join(cell.source for cell in code)
    assert "notebook_connected" not in source and "cdn.plot.ly" not in source
    assert "connect_published(DATABASE)" in source


@pytest.fixture(scope="module")
def executed(
    seeds_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> nbformat.NotebookNode:
    """The notebook run top to bottom by nbclient on a kernel of THIS interpreter (the venv's)."""
    from ipykernel.kernelspec import install
    from nbclient import NotebookClient

    # A `python3` kernelspec whose argv is sys.executable, found first through JUPYTER_PATH,
    # so whatever kernelspecs the machine has, the kernel runs the project's environment.
    prefix = tmp_path_factory.mktemp("kernel")
    install(prefix=str(prefix), kernel_name="python3")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
        patch.setenv("WAREHOUSE_DIR", str(seeds_warehouse))
        client = NotebookClient(
            notebook,
            kernel_name="python3",
            timeout=600,
            # Jupyter starts kernels in the notebook's folder: the notebook finds the root itself.
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        )
        client.execute()
    return notebook


def test_notebook_runs_on_the_venv_kernel(executed: nbformat.NotebookNode) -> None:
    probe = re.search(r"^KERNEL (.+)$", outputs_text(executed), flags=re.MULTILINE)
    assert probe, "the probe cell printed nothing"
    kernel = json.loads(probe.group(1))
    assert Path(kernel["prefix"]).resolve() == Path(sys.prefix).resolve()
    assert Path(kernel["executable"]).parent.resolve() == Path(sys.executable).parent.resolve()


def test_no_cell_errored(executed: nbformat.NotebookNode) -> None:
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            assert output.output_type != "error", f"{output.ename}: {output.evalue}"
            if output.output_type == "stream":
                assert output.name != "stderr" or "Traceback" not in output.text, output.text


def test_key_outputs(executed: nbformat.NotebookNode, seeds_warehouse: Path) -> None:
    text = outputs_text(executed)
    assert f"warehouse:    {seeds_warehouse / 'reportscope.duckdb'}" in text
    assert "**5 reports** loaded" in text
    # Every example question was read from disk and answered.
    assert f"ran {len(QUERIES)} queries" in text
    for query in QUERIES:
        assert f"`{query.name}`" in text, query.name
    # The charts: each drawn once, plotly.js inlined exactly once, nothing from a network.
    built = re.search(r"built (\d+) charts: (.+)", text)
    assert built, "no chart was built"
    n_charts = int(built.group(1))
    assert n_charts >= 6
    assert text.count("Plotly.newPlot(") == n_charts
    assert text.count("* plotly.js v") == 1
    assert not re.search(r"<script[^>]*\bsrc=", text)
    # One findings block per metric family, with gold read off the seed headings.
    assert text.count("**Findings on this warehouse**") == 3
    assert "Ethics, bias and fairness (5 of 5 reports" in text
    assert "In every report: Ethics, bias and fairness." in text
