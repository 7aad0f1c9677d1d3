"""The runner: fresh run folders, honest manifests, clear failures, a stable latest pointer.

Each test builds a tiny project (pyproject.toml + fixture notebooks) in tmp_path, so
runner behaviour is checked without the evaluation's data or estimators.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import nbformat
import pytest

from analysis.config import load_params
from analysis.runner import RunError, latest_run, run
from nbfixtures import declare_pipeline, write_notebook

OK = 'import pathlib\npathlib.Path(run_dir, "ok.txt").write_text(f"{anticipation}")'


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname='fixture'\n")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "export.csv").write_text("a;b\n1;2\n")
    write_notebook(tmp_path / "notebooks" / "01_first.ipynb",
                   'run_dir: str = ""  # run folder\nanticipation: int = 0  # months', OK)
    declare_pipeline(tmp_path, "01_first")
    return tmp_path


def params_for(project, **overrides):
    return load_params(overrides={"raw_dir": str(project / "raw"), **overrides})


def test_complete_run_writes_manifest_and_latest(project):
    messages = []
    run_dir = run(params_for(project, anticipation=2), root=project, render=False, say=messages.append)
    assert (run_dir / "ok.txt").read_text() == "2"  # the parameter reached the notebook
    executed = nbformat.read(run_dir / "notebooks" / "01_first.ipynb", as_version=4)
    assert executed.metadata.papermill.parameters["anticipation"] == 2
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["parameters"]["anticipation"] == 2
    assert manifest["parameters_changed"]["anticipation"] == 2
    assert manifest["inputs"]["sha256"] == {"export.csv": hashlib.sha256(b"a;b\n1;2\n").hexdigest()}
    assert manifest["steps"][0]["status"] == "complete" and manifest["steps"][0]["seconds"] > 0
    assert manifest["packages"]["papermill"] and manifest["finished_at"] and "git" in manifest
    assert latest_run(project / "reports" / "runs") == run_dir
    assert os.path.realpath(project / "reports" / "runs" / "latest") == str(run_dir)
    assert any("[1/1] 01_first" in m for m in messages)


def test_each_run_gets_a_fresh_folder(project):
    first = run(params_for(project), root=project, render=False, say=lambda m: None)
    second = run(params_for(project), root=project, render=False, say=lambda m: None)
    assert first != second and first.exists() and second.exists()


def test_failing_notebook_names_notebook_and_cell_and_is_never_latest(project):
    good = run(params_for(project), root=project, render=False, say=lambda m: None)
    write_notebook(project / "notebooks" / "02_broken.ipynb", 'run_dir: str = ""  # run folder',
                   "x = 1", "raise ValueError('the panel has no never-treated units')")
    declare_pipeline(project, "01_first", "02_broken")
    with pytest.raises(RunError) as err:
        run(params_for(project), root=project, render=False, say=lambda m: None)
    message = str(err.value)
    assert "02_broken" in message and "cell 3" in message and "no never-treated units" in message
    failed = sorted((project / "reports" / "runs").glob("2*"))[-1]
    manifest = json.loads((failed / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert [s["status"] for s in manifest["steps"]] == ["complete", "failed"]
    assert latest_run(project / "reports" / "runs") == good


def test_unknown_notebook_parameter_is_refused_before_running(project):
    write_notebook(project / "notebooks" / "02_odd.ipynb", 'mystery: int = 1  # not a run parameter')
    declare_pipeline(project, "01_first", "02_odd")
    with pytest.raises(RunError, match="mystery"):
        run(params_for(project), root=project, render=False, say=lambda m: None)
    assert not (project / "reports" / "runs").exists()  # nothing ran


def test_missing_input_folder_is_a_clear_error(project):
    params = load_params(overrides={"raw_dir": str(project / "nowhere"), "synthesize": "never"})
    with pytest.raises(RunError, match="no raw exports in .*nowhere"):
        run(params, root=project, render=False, say=lambda m: None)


def test_unknown_step(project):
    with pytest.raises(RunError, match="unknown step"):
        run(params_for(project), root=project, steps=["99_nope"], render=False, say=lambda m: None)


def test_cli_exit_codes(project):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cli = [sys.executable, "-m", "analysis.cli", "run", "--params", str(project / "none.yaml")]
    done = subprocess.run(cli, cwd=project, capture_output=True, text=True, env=env)
    assert done.returncode == 2 and "parameters file not found" in done.stderr

    write_notebook(project / "notebooks" / "02_broken.ipynb", 'run_dir: str = ""  # run folder', "1/0")
    declare_pipeline(project, "01_first", "02_broken")
    (project / "p.yaml").write_text(f"raw_dir: {project / 'raw'}\n")
    done = subprocess.run([*cli[:-1], str(project / "p.yaml"), "--no-render"], cwd=project,
                          capture_output=True, text=True, env=env)
    assert done.returncode == 1
    assert "02_broken" in done.stderr and "ZeroDivisionError" in done.stderr


def test_middle_notebooks_run_in_parallel_and_failures_still_surface(project):
    write_notebook(project / "notebooks" / "02_slow.ipynb", 'run_dir: str = ""  # run folder',
                   'import time, pathlib\ntime.sleep(2)\npathlib.Path(run_dir, "slow.txt").write_text("done")')
    write_notebook(project / "notebooks" / "03_fails.ipynb", 'run_dir: str = ""  # run folder', "raise KeyError('x')")
    declare_pipeline(project, "01_first", "02_slow", "03_fails")
    with pytest.raises(RunError, match="03_fails"):
        run(params_for(project), root=project, render=False, say=lambda m: None, jobs=2)
    run_dir = sorted((project / "reports" / "runs").glob("2*"))[-1]
    assert (run_dir / "slow.txt").read_text() == "done", "the sibling notebook finishes"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert {s["name"]: s["status"] for s in manifest["steps"]} == {
        "01_first": "complete", "02_slow": "complete", "03_fails": "failed"}
    assert manifest["status"] == "failed"
