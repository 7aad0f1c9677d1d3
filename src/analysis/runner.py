"""Run the evaluation: validated parameters -> notebooks (papermill) -> brief -> HTML/PDF.

One call of :func:`run` makes a fresh folder ``reports/runs/<run-id>/`` holding the
executed notebooks, result tables, figures, the rendered brief and ``manifest.json``.
The steps are those declared in ``notebooks/pipeline.yaml`` (order and dependencies,
:mod:`analysis.config.pipeline`); other notebooks in ``notebooks/`` are ignored with a
warning. Each notebook receives only the parameters its ``parameters`` cell declares.
papermill is imported only when a notebook is executed, so refusing a run is instant.
``reports/runs/latest`` (a symlink, and the file ``LATEST`` for systems without
symlinks) moves only when a run completes, so a failed or interrupted run is never
taken for a complete one.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from analysis.config import (RUNNER_PARAMETERS, PipelineError, RunParams, declared_parameters, load_pipeline,
                             undeclared_notebooks)
from analysis.manifest import Manifest, file_hashes, file_sha256, git_state

KERNEL = "python3"


class RunError(RuntimeError):
    """A run could not start or a step failed; the message says where."""


@dataclass(frozen=True)
class Step:
    name: str
    notebook: Path
    is_brief: bool = False
    stage: int = 0


def project_root() -> Path:
    """The project folder: the nearest parent of the working directory with pyproject.toml and notebooks/."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").exists() and (folder / "notebooks").is_dir():
            return folder
    raise RunError(f"not inside the project: no pyproject.toml with notebooks/ above {here}")


def enter_project() -> Path:
    """Make the project folder the working directory (notebooks opened in JupyterLab start
    in their own folder; parameters' paths are relative to the project). Returns it."""
    root = project_root()
    os.chdir(root)
    return root


def discover_steps(root: Path, say: Callable[[str], None] | None = None) -> list[Step]:
    """The declared steps, in order; ``say`` gets one line about notebooks that are not steps."""
    try:
        pipeline = load_pipeline(root)
    except PipelineError as exc:
        raise RunError(str(exc)) from None
    ignored = undeclared_notebooks(root, pipeline)
    if ignored and say is not None:
        say(f"warning: ignoring {len(ignored)} notebook(s) that are not pipeline steps "
            f"(notebooks/pipeline.yaml): {', '.join(ignored)}")
    return [Step(spec.name, root / spec.notebook, spec.brief, depth)
            for depth, group in enumerate(pipeline.stages()) for spec in group]


def notebook_parameters(notebook: Path) -> list[str]:
    """The parameter names declared in a notebook's ``parameters`` cell."""
    return declared_parameters(notebook)


def stages(steps: list[Step]) -> list[list[Step]]:
    """Steps grouped by dependency depth (notebooks/pipeline.yaml): a stage's steps run together."""
    groups: dict[int, list[Step]] = {}
    for step in steps:
        groups.setdefault(step.stage, []).append(step)
    return [groups[k] for k in sorted(groups)]


def run_stage(stage: list[Step], one: Callable[[Step], None], jobs: int) -> None:
    """Run the steps of a stage, ``jobs`` at a time; the first failure is raised once all have stopped."""
    if jobs <= 1 or len(stage) == 1:
        for step in stage:
            one(step)
        return
    # one BLAS thread per kernel, so parallel notebooks do not oversubscribe the cores
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each notebook runs in its own kernel process
        futures = [pool.submit(one, step) for step in stage]
        errors = [f.exception() for f in futures if f.exception() is not None]
    if errors:
        raise errors[0]


def parameters_for(notebook: Path, params: RunParams, runner_values: dict[str, Any]) -> dict[str, Any]:
    declared = notebook_parameters(notebook)
    values = params.model_dump()
    unknown = [name for name in declared if name not in values and name not in RUNNER_PARAMETERS]
    if unknown:
        raise RunError(f"{notebook.name} declares parameters that RunParams does not know: {', '.join(unknown)}")
    return {name: runner_values[name] if name in RUNNER_PARAMETERS else values[name]
            for name in declared if name in values or name in runner_values}


def resolve(root: Path, folder: str) -> Path:
    path = Path(folder)
    return path if path.is_absolute() else root / path


def params_digest(params: RunParams) -> str:
    text = json.dumps(params.model_dump(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def new_run_dir(runs_dir: Path, params: RunParams) -> tuple[str, Path]:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    base = f"{stamp}-{params_digest(params)}"
    run_id, n = base, 1
    while (runs_dir / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    run_dir = runs_dir / run_id
    run_dir.mkdir(parents=True)
    return run_id, run_dir


def has_exports(raw_dir: Path) -> bool:
    return raw_dir.is_dir() and any(p for p in raw_dir.iterdir() if p.name != ".gitkeep")


def ensure_data(params: RunParams, root: Path, say: Callable[[str], None]) -> str:
    """Make sure raw_dir holds exports; generate the synthetic data set if allowed. Returns the source."""
    raw_dir = resolve(root, params.raw_dir)
    if has_exports(raw_dir):
        return "synthetic" if (raw_dir / "SYNTHETIC.json").exists() else "export"
    if params.synthesize == "never":
        raise RunError(f"no raw exports in {raw_dir} (raw_dir); put the exports there or set synthesize=if_empty")
    from analysis.synth import generate

    say(f"raw_dir {raw_dir} is empty: generating the synthetic data set of study {params.study!r} "
        f"(seed {params.seed})")
    generate(raw_dir, synth_config(params))
    return "synthetic"


def synth_config(params: RunParams):
    from analysis.synth import SynthConfig

    return SynthConfig(
        seed=params.seed,
        study=params.study,
        months=params.synth_months,
        scale=params.synth_scale,
        pretrend_violation=params.synth_pretrend_violation,
        anticipation=params.synth_anticipation,
    )


def ignored_files(run_dir: Path) -> list[tuple[str, str]]:
    """Raw files that cleaning ignored, with the reason (from the run's data-quality table)."""
    table = run_dir / "tables" / "data_quality.csv"
    if not table.exists():
        return []
    with table.open(newline="", encoding="utf-8") as fh:
        return [(r["file"], r.get("note", "")) for r in csv.DictReader(fh) if r.get("status") == "ignored"]


def point_latest(runs_dir: Path, run_id: str) -> None:
    """Atomically move the ``latest`` symlink (and the ``LATEST`` file) to ``run_id``."""
    tmp = runs_dir / f".latest-{run_id}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    try:
        tmp.symlink_to(run_id, target_is_directory=True)
        os.replace(tmp, runs_dir / "latest")
    except OSError:  # no symlinks on this file system: the LATEST file is enough
        pass
    text = runs_dir / ".LATEST.tmp"
    text.write_text(run_id + "\n", encoding="utf-8")
    os.replace(text, runs_dir / "LATEST")


def latest_run(runs_dir: Path) -> Path:
    pointer = runs_dir / "LATEST"
    if not pointer.exists():
        raise RunError(f"no complete run in {runs_dir}: run `analysis run` first")
    return runs_dir / pointer.read_text(encoding="utf-8").strip()


def earlier_run(runs_dir: Path, since: str) -> Path:
    """The complete run ``since`` names: 'latest', a run id in ``runs_dir`` or a run folder."""
    folder = latest_run(runs_dir) if since == "latest" else Path(since) if Path(since).is_dir() else runs_dir / since
    manifest = folder / "manifest.json"
    if not manifest.exists():
        raise RunError(f"--since {since}: {folder} is not a run folder (no manifest.json)")
    if json.loads(manifest.read_text(encoding="utf-8")).get("status") != "complete":
        raise RunError(f"--since {since}: run {folder.name} did not complete; name a complete run")
    if folder.resolve().parent != runs_dir.resolve():
        raise RunError(f"--since {since}: {folder} is not in {runs_dir}")
    return folder.resolve()


def source_cell_number(executed: Path, cell_index: int) -> int:
    """1-based position of a failing cell in the source notebook (papermill's injected cell removed)."""
    import nbformat

    try:
        cells = nbformat.read(executed, as_version=4).cells
    except (OSError, ValueError):
        return cell_index + 1
    injected = sum(1 for c in cells[:cell_index] if "injected-parameters" in c.metadata.get("tags", []))
    return cell_index - injected + 1


def execute_notebook(notebook: Path, out: Path, parameters: dict[str, Any], root: Path, *, label: str,
                     report_mode: bool = False) -> None:
    """papermill with the project's kernel and working directory; failures name the notebook and cell."""
    import papermill as pm

    from analysis.kernel import NotebookKernelManager

    # Fixed string hashing in the kernel: pyfixest's fixed-effect demeaning iterates in hash order, and
    # a random order moves standard errors in the 7th digit - the same parameters must give the same bytes.
    os.environ["PYTHONHASHSEED"] = "0"
    try:
        pm.execute_notebook(
            str(notebook), str(out), parameters=parameters, kernel_name=KERNEL, cwd=str(root),
            progress_bar=False, log_output=False, report_mode=report_mode,
            kernel_manager_class=NotebookKernelManager,  # no interrupt on a clean shutdown (analysis.kernel)
            extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no transport warnings in the user's terminal
        )
    except pm.PapermillExecutionError as exc:
        where = f"cell {source_cell_number(out, exc.cell_index)}"
        first_line = exc.source.strip().splitlines()[0] if exc.source.strip() else ""
        raise RunError(
            f"{label} failed in {where}: {exc.ename}: {exc.evalue}\n  cell starts: {first_line}\n"
            f"  executed notebook: {out}"
        ) from None


def execute_step(step: Step, out: Path, parameters: dict[str, Any], root: Path) -> None:
    label = f"step '{step.name}' ({step.notebook.relative_to(root)})"
    execute_notebook(step.notebook, out, parameters, root, label=label, report_mode=step.is_brief)


def run(
    params: RunParams,
    *,
    root: Path | None = None,
    runs_dir: Path | None = None,
    steps: list[str] | None = None,
    render: bool = True,
    say: Callable[[str], None] = print,
    jobs: int | None = None,
    progress: Callable[[str, str], None] | None = None,
    since: str | None = None,
) -> Path:
    """Run the evaluation; returns the run folder. Raises RunError naming the failing step.

    ``jobs`` notebooks of the middle stage run at once (default: ``ANALYSIS_JOBS`` or the
    number of CPUs); ``jobs=1`` runs everything in order. ``progress(step, state)`` hears
    each step go waiting -> running -> complete | failed (else ``say`` gets a line per step).
    ``since`` ('latest', a run id or a run folder) names the earlier run the brief's
    "Sejak analisis sebelumnya" compares with (default: found from the data, see
    :mod:`analysis.continuity`).
    """
    jobs = jobs or int(os.environ.get("ANALYSIS_JOBS", 0)) or os.cpu_count() or 1
    root = root or project_root()
    runs_dir = runs_dir or root / "reports" / "runs"
    chosen = discover_steps(root, say)
    if steps:
        missing = [s for s in steps if s not in {c.name for c in chosen}]
        if missing:
            raise RunError(f"unknown step(s): {', '.join(missing)}; steps are: {', '.join(c.name for c in chosen)}")
        chosen = [c for c in chosen if c.name in steps]
    for step in chosen:  # refuse before anything runs
        parameters_for(step.notebook, params, {"run_dir": "", "unit_id": "", "area": ""})
    if render and any(step.is_brief for step in chosen):  # a missing renderer, too, before an hour of work
        from analysis.render import RenderError, choose_engine

        try:
            choose_engine()
        except RenderError as exc:
            raise RunError(str(exc)) from None
    if params.engine == "spark":  # PySpark or Java missing: say so now, not inside 01_clean
        from analysis.engine import spark_available

        if why := spark_available():
            raise RunError(f"engine 'spark' cannot start: {why}")
    previous = earlier_run(runs_dir, since) if since else None

    source = ensure_data(params, root, say)
    run_id, run_dir = new_run_dir(runs_dir, params)
    started = time.perf_counter()
    manifest = Manifest(
        run_dir / "manifest.json",
        run_id=run_id,
        mode="pipeline",
        parameters=params.model_dump(),
        parameters_changed=params.differences(),
        data_source=source,
        inputs={"raw_dir": params.raw_dir, "sha256": file_hashes(resolve(root, params.raw_dir))},
        git=git_state(root),
        **({"since": previous.name} if previous else {}),
    )
    (run_dir / "notebooks").mkdir()
    say(f"run {run_id} -> {run_dir}")
    status = "failed"
    total, counter = len(chosen), iter(range(1, len(chosen) + 1))

    def report(name: str, state: str, line: str | None) -> None:
        if progress is not None:
            progress(name, state)
        elif line:
            say(line)

    for step in chosen:
        report(step.name, "waiting", None)
    quality_seen: list[str] = []  # the step after which ignored raw files were reported (once)

    def one(step: Step) -> None:
        out = run_dir / ("brief" if step.is_brief else "notebooks") / step.notebook.name
        out.parent.mkdir(exist_ok=True)
        values = parameters_for(step.notebook, params, {"run_dir": str(run_dir), "unit_id": "", "area": ""})
        i = next(counter)
        report(step.name, "running", f"[{i}/{total}] {step.name} ...")
        t0 = time.perf_counter()
        record = {"name": step.name, "notebook": str(step.notebook.relative_to(root)),
                  "notebook_sha256": file_sha256(step.notebook), "status": "running"}
        manifest.step(record)
        try:
            execute_step(step, out, values, root)
            if step.is_brief and render:
                from analysis.render import render_brief

                record["outputs"] = [str(p.relative_to(run_dir)) for p in render_brief(out).values()]
        except BaseException as exc:
            record.update(status="failed", error=str(exc).splitlines()[0], seconds=round(time.perf_counter() - t0, 3))
            manifest.step(record)
            report(step.name, "failed", None)
            raise
        record.update(status="complete", seconds=round(time.perf_counter() - t0, 3))
        manifest.step(record)
        if not quality_seen and (run_dir / "tables" / "data_quality.csv").exists():  # cleaning has run
            quality_seen.append(step.name)
            for file, why in ignored_files(run_dir):
                say(f"warning: ignored {file}: {why}")
        report(step.name, "complete", f"[{i}/{total}] {step.name} done in {record['seconds']:.1f} s")

    try:
        for stage in stages(chosen):
            run_stage(stage, one, jobs)
        if any(step.is_brief for step in chosen):  # every brief's claims, recomputed from the tables
            from analysis.audit import run_step

            run_step(run_dir, manifest, say)
        status = "complete"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        manifest.finish(status, started, time.perf_counter())
        if status == "complete" and steps is None:
            point_latest(runs_dir, run_id)
        elif status != "complete":
            say(f"run {run_id} {status}; manifest: {run_dir / 'manifest.json'}")
    return run_dir
