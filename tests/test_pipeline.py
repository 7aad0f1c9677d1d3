"""The pipeline declaration (notebooks/pipeline.yaml) and the light parameter reader agree with the project."""

from __future__ import annotations

import papermill as pm
import pytest

from analysis.config import declared_parameters, load_pipeline, undeclared_notebooks
from analysis.runner import discover_steps, stages

NOTEBOOKS = sorted(__import__("pathlib").Path(__file__).resolve().parents[1].glob("notebooks/*.ipynb"))
BRIEF = __import__("pathlib").Path(__file__).resolve().parents[1] / "reports" / "brief.ipynb"


def test_every_committed_notebook_is_a_step(root):
    pipeline = load_pipeline(root)
    assert undeclared_notebooks(root, pipeline) == []
    assert [s.name for s in pipeline.steps][-1] == "brief" and pipeline.steps[-1].brief


def test_stages_follow_the_declared_needs(root):
    names = [[s.name for s in stage] for stage in stages(discover_steps(root))]
    assert names == [["01_clean"], ["02_describe", "03_estimate", "04_robustness", "05_heterogeneity", "06_single_office", "07_design"], ["brief"]]


@pytest.mark.parametrize("path", [*NOTEBOOKS, BRIEF], ids=lambda p: p.name)
def test_light_reader_agrees_with_papermill(path):
    assert declared_parameters(path) == list(pm.inspect_notebook(str(path)))
