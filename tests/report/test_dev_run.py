"""A notebook run from JupyterLab (no runner) writes a proper dev run: a manifest, then a brief that says so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbclient import NotebookClient

from analysis.report.brief import summary_section
from analysis.report.cli import brief

ROOT = Path(__file__).resolve().parents[2]

#: What a researcher runs in Lab: the parameters cell edited by hand, no papermill injection.
LAB_CELLS = (
    'run_dir: str = "{run_dir}"  # run folder\nanticipation: int = 2  # edited in Lab\nlanguage: str = "en"',
    "import pandas as pd\nfrom analysis.outputs import read_table, save_table\n"
    'save_table(read_table(run_dir, "headline"), "headline", run_dir, notebook="03_estimate")',
)


@pytest.fixture
def dev_run(run_template, tmp_path) -> Path:
    dev = Path(shutil.copytree(run_template, tmp_path / "reports" / "runs" / "dev"))
    (dev / "manifest.json").unlink()  # what Lab left before: tables, no manifest
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(LAB_CELLS[0].format(run_dir=dev)), nbformat.v4.new_code_cell(LAB_CELLS[1])]
    nb.cells[0].metadata["tags"] = ["parameters"]
    NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    return dev


@pytest.mark.slow
def test_lab_run_gets_a_manifest_and_an_interactive_brief(dev_run, monkeypatch):
    manifest = json.loads((dev_run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["mode"] == "interactive" and manifest["run_id"] == "dev"
    assert manifest["parameters"]["anticipation"] == 2 and manifest["parameters_changed"]["language"] == "en"
    step = manifest["steps"][0]
    assert step["name"] == "03_estimate" and len(step["notebook_sha256"]) == 64
    assert "commit" in manifest["git"] and manifest["packages"]["pandas"]

    assert "From an interactive run" in summary_section(dev_run, "en")
    assert "Dari pengolahan interaktif" in summary_section(dev_run, "id")  # plain Indonesian: no "run"

    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(brief, ["--run", str(dev_run), "--no-render"])
    assert result.exit_code == 0, result.output
    assert "interactive run" in result.output
    assert "brief Plaju, Palembang:" in result.output  # the main brief is named by its study area
    assert (dev_run / "brief" / "brief.ipynb").exists()
