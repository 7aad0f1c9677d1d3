"""Notebook hygiene: thin, parameterised, committed without outputs, one vocabulary."""

from __future__ import annotations

import ast

import nbformat
import papermill as pm
import pytest

from analysis.config import RunParams
from analysis.runner import RUNNER_PARAMETERS, discover_steps

ROOT_NOTEBOOKS = sorted(__import__("pathlib").Path(__file__).resolve().parents[1].glob("notebooks/*.ipynb"))
BRIEFS = sorted(__import__("pathlib").Path(__file__).resolve().parents[1].glob("reports/*.ipynb"))
ALL = ROOT_NOTEBOOKS + BRIEFS


def test_there_are_notebooks():
    assert len(ROOT_NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name} has outputs: clear them"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_parameters_cell_matches_run_parameters(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), f"{path.name}: first code cell must be tagged parameters"
    declared = pm.inspect_notebook(str(path))
    assert declared, f"{path.name} declares no parameters"
    assignments = [l for l in code[0].source.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    assert len(declared) == len(assignments), f"{path.name}: papermill could not parse every parameter line"
    defaults = RunParams().model_dump()
    for name, info in declared.items():
        assert name in defaults or name in RUNNER_PARAMETERS, f"{path.name}: unknown parameter {name}"
        assert info["help"], f"{path.name}: parameter {name} has no help comment"
        if name in defaults:
            assert ast.literal_eval(info["default"]) == defaults[name], f"{path.name}: default of {name} drifted"


@pytest.mark.parametrize("path", ROOT_NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_thin(path):
    """Logic lives in src/analysis: no function or class definitions in notebooks."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            defined = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
            assert not defined, f"{path.name} defines {defined[0].name}: move it to src/analysis"
            if "parameters" not in cell.metadata.get("tags", []):  # generated declarations, one per parameter
                assert len(cell.source.splitlines()) <= 25, f"{path.name}: a cell of more than 25 lines"


def test_runner_finds_every_notebook(root):
    names = [s.name for s in discover_steps(root)]
    assert names[: len(ROOT_NOTEBOOKS)] == [p.stem for p in ROOT_NOTEBOOKS]
