"""reports/brief.ipynb: what the generator writes, Quarto front matter, typed parameters, no outputs."""

from __future__ import annotations

import nbformat
import papermill as pm
import yaml

import brief_notebook


def test_committed_notebook_is_what_the_generator_writes():
    assert brief_notebook.NOTEBOOK.read_text(encoding="utf-8") == brief_notebook.text(), (
        "reports/brief.ipynb drifted: run `python tests/report/brief_notebook.py`")


def test_front_matter_is_quarto_yaml():
    nb = nbformat.read(brief_notebook.NOTEBOOK, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "raw" and first.source.startswith("---\n") and first.source.endswith("\n---")
    meta = yaml.safe_load(first.source.strip("-\n"))
    assert meta["format"]["html"]["embed-resources"] is True
    assert meta["format"]["typst"]["papersize"] == "a4"
    assert meta["execute"] == {"echo": False, "warning": False}


def test_parameters_are_typed_with_help():
    declared = pm.inspect_notebook(str(brief_notebook.NOTEBOOK))
    assert list(declared) == ["run_dir", "language", "min_cell", "alp", "unit_id", "area"]
    assert {n: p["inferred_type_name"] for n, p in declared.items()} == {
        "run_dir": "str", "language": "str", "min_cell": "int", "alp": "float", "unit_id": "str", "area": "str"}
    assert all(p["help"] for p in declared.values())


def test_cells_only_call_the_report_package():
    nb = nbformat.read(brief_notebook.NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    for cell in code[2:]:
        assert cell.source.startswith("display(Markdown(brief.") and "\n" not in cell.source
