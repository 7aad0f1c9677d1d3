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


def test_notebook_copies_are_ignored_with_one_warning(project):
    """JupyterLab's Duplicate makes 01_first-Copy1.ipynb: not a step, so not run, and the run says so once."""
    write_notebook(project / "notebooks" / "01_first-Copy1.ipynb", 'run_dir: str = ""  # run folder',
                   'import pathlib\npathlib.Path(run_dir, "copy.txt").write_text("ran")')
    messages = []
    run_dir = run(params_for(project), root=project, render=False, say=messages.append)
    assert not (run_dir / "copy.txt").exists() and not (run_dir / "notebooks" / "01_first-Copy1.ipynb").exists()
    warnings = [m for m in messages if "01_first-Copy1.ipynb" in m]
    assert len(warnings) == 1 and "\n" not in warnings[0] and "not pipeline steps" in warnings[0]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert [s["name"] for s in manifest["steps"]] == ["01_first"]


def test_pipeline_declaration_is_checked_before_anything_runs(project):
    (project / "notebooks" / "pipeline.yaml").write_text(
        "steps:\n  - {name: 02_b, notebook: notebooks/01_first.ipynb, needs: [01_a]}\n")
    with pytest.raises(RunError, match="needs 01_a, which is not declared before it"):
        run(params_for(project), root=project, render=False, say=lambda m: None)
    (project / "notebooks" / "pipeline.yaml").unlink()
    with pytest.raises(RunError, match="no pipeline declared"):
        run(params_for(project), root=project, render=False, say=lambda m: None)
    assert not (project / "reports" / "runs").exists()


def test_manifest_records_dirty_tree_and_executed_notebook_hashes(project):
    def git(*args):
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)

    (project / ".gitignore").write_text("reports/runs/\n")  # as in the project: run folders are not code
    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "fixture")
    clean = run(params_for(project), root=project, render=False, say=lambda m: None)
    manifest = json.loads((clean / "manifest.json").read_text())
    assert manifest["git"]["dirty"] is False and manifest["git"]["commit"]
    notebook = project / "notebooks" / "01_first.ipynb"
    assert manifest["steps"][0]["notebook_sha256"] == hashlib.sha256(notebook.read_bytes()).hexdigest()

    write_notebook(notebook, 'run_dir: str = ""  # run folder\nanticipation: int = 0  # months', OK, "x = 2")
    edited = run(params_for(project), root=project, render=False, say=lambda m: None)
    manifest = json.loads((edited / "manifest.json").read_text())
    assert manifest["git"]["dirty"] is True and "notebooks/01_first.ipynb" in manifest["git"]["changes"]
    assert manifest["steps"][0]["notebook_sha256"] == hashlib.sha256(notebook.read_bytes()).hexdigest()


# A cell that keeps a SIGINT handler installed after it ends (ipykernel normally ignores SIGINT
# between messages): whatever interrupts the kernel from then on leaves a file behind.
CATCH_INTERRUPT = (
    "import pathlib, signal\nkernel = get_ipython().kernel\n"
    "kernel.pre_handler_hook = kernel.post_handler_hook = lambda: None\n"
    "signal.signal(signal.SIGINT, lambda *a: pathlib.Path(run_dir, 'interrupted').write_text('SIGINT'))"
)


def test_a_finished_notebook_is_shut_down_without_an_interrupt(tmp_path):
    """The cause of "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel." on clean runs (analysis.kernel)."""
    import papermill as pm

    from analysis.runner import execute_notebook

    notebook = write_notebook(tmp_path / "nb.ipynb", 'run_dir: str = ""', CATCH_INTERRUPT)
    stock, ours = tmp_path / "stock", tmp_path / "ours"
    for folder in (stock, ours):
        folder.mkdir()
    pm.execute_notebook(str(notebook), str(stock / "out.ipynb"), parameters={"run_dir": str(stock)},
                        kernel_name="python3", progress_bar=False)
    assert (stock / "interrupted").exists(), "jupyter_client interrupts every kernel it shuts down"
    execute_notebook(notebook, ours / "out.ipynb", {"run_dir": str(ours)}, tmp_path, label="nb")
    assert not (ours / "interrupted").exists()


def test_clean_run_prints_no_error_line(project):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    write_notebook(project / "notebooks" / "02_more.ipynb", 'run_dir: str = ""  # run folder', "x = 1")
    write_notebook(project / "notebooks" / "03_more.ipynb", 'run_dir: str = ""  # run folder', "y = 2")
    declare_pipeline(project, "01_first", "02_more", "03_more")
    (project / "p.yaml").write_text(f"raw_dir: {project / 'raw'}\n")
    done = subprocess.run([sys.executable, "-m", "analysis.cli", "run", "--params", str(project / "p.yaml"),
                           "--no-render"], cwd=project, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "complete" in done.stderr
    assert not [line for line in (done.stdout + done.stderr).splitlines() if "ERROR" in line or "Traceback" in line]


def test_since_names_the_earlier_complete_run(project):
    first = run(params_for(project), root=project, render=False, say=lambda m: None)
    second = run(params_for(project), root=project, render=False, say=lambda m: None, since="latest")
    assert json.loads((second / "manifest.json").read_text())["since"] == first.name
    third = run(params_for(project), root=project, render=False, say=lambda m: None, since=first.name)
    assert json.loads((third / "manifest.json").read_text())["since"] == first.name
    before = sorted((project / "reports" / "runs").iterdir())
    with pytest.raises(RunError, match="--since 2099.*not a run folder"):
        run(params_for(project), root=project, render=False, say=lambda m: None, since="20990101-000000-x")
    assert sorted((project / "reports" / "runs").iterdir()) == before, "refused before anything ran"
