"""``analysis brief``: a brief for one service unit (or every unit, or the kecamatan) from a finished run.

The brief notebook runs with papermill exactly as the runner runs it, into its own
folder (``<run>/units/<unit_id>-<lang>/``, or ``<run>/brief-<lang>/`` for the
kecamatan in another language), so figures and renders never overwrite each other;
then :func:`analysis.render.render_brief` turns it into HTML and PDF.
Unit ids are checked against the run's ``adoption_schedule`` before anything heavy is
imported or any folder is made; a brief that fails leaves no folder behind.
``analysis render`` renders an executed brief again (choosing the engine).
"""

from __future__ import annotations

import csv
import difflib
import json
import os
import shutil
import sys
from pathlib import Path

import click

from analysis.config import declared_parameters

BRIEF_NOTEBOOK = Path("reports") / "brief.ipynb"


class BriefError(RuntimeError):
    pass


class UnknownUnit(BriefError):
    """A unit id that is not in the run (a command-line error: exit 2)."""


def run_units(run_dir: Path) -> list[str]:
    """unit_id of every unit in a run (its adoption_schedule table, read as CSV: no pandas needed)."""
    path = run_dir / "tables" / "adoption_schedule.csv"
    if not path.exists():
        raise BriefError(f"{run_dir} has no tables/adoption_schedule.csv: the run did not finish 02_describe")
    with path.open(newline="", encoding="utf-8") as fh:
        return [row["unit_id"] for row in csv.DictReader(fh)]


def check_unit(unit_id: str, units: list[str]) -> None:
    if unit_id and unit_id not in units:
        close = difflib.get_close_matches(unit_id, units, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownUnit(f"unknown unit '{unit_id}' in this run{hint}\n  valid unit ids: {', '.join(units)}")


def resolve_run(run: str | Path, root: Path) -> Path:
    """A run folder; ``reports/runs/latest`` also works where symlinks do not (via the LATEST file)."""
    path = Path(run)
    path = path if path.is_absolute() else root / path
    if not path.exists() and path.name == "latest" and (path.parent / "LATEST").exists():
        path = path.parent / (path.parent / "LATEST").read_text(encoding="utf-8").strip()
    if not (path / "manifest.json").exists():
        raise BriefError(f"{path} is not a run folder (no manifest.json); run `analysis run` first")
    return path.resolve()


def _label(res, unit_id: str, area: str) -> str:
    """How progress lines name a brief: its unit, its area, or for the main brief its study area."""
    return unit_id or area or res.study.names["en"].title


def build_brief(run_dir: str | Path, unit_id: str = "", language: str | None = None, *, min_cell: int | None = None,
                alp: float | None = None, root: Path | None = None, render: bool = True,
                step=lambda name, state: None, area: str = "", kernel: bool = True) -> dict[str, Path]:
    """Execute and render one brief; returns {"ipynb": ..., "html": ..., "pdf": ...}.

    ``language``, ``min_cell`` and ``alp`` default to the run's own parameters. ``area``: a brief for
    one area of the study's grouping level. ``kernel=False`` fills the notebook in this process
    (:mod:`analysis.report.inprocess`) instead of running it in a Jupyter kernel with papermill.
    """
    from analysis.brief_source import brief_metadata, stamp_front_matter
    from analysis.render import RenderError, render_brief
    from analysis.report.brief import brief_dir
    from analysis.report.results import RunResults
    from analysis.runner import RunError, execute_notebook, project_root

    root = root or project_root()
    res = RunResults(run_dir)
    params = res.manifest.get("parameters", {})
    language = language or params.get("language", "id")
    values = {"run_dir": str(res.run_dir), "language": language, "unit_id": unit_id,
              "min_cell": int(min_cell if min_cell is not None else params.get("min_cell", 10)),
              "alp": float(alp if alp is not None else params.get("alp", 0.05)), "area": area}
    check_unit(unit_id, run_units(res.run_dir))
    if area:
        from analysis.report.areas import check_area, run_areas

        check_area(area, run_areas(res.run_dir))
    declared = declared_parameters(root / BRIEF_NOTEBOOK)
    folder = brief_dir(res.run_dir, unit_id, language, "" if unit_id else area)
    made = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    executed = folder / "brief.ipynb"
    who = _label(res, unit_id, area)
    current = f"{who}: notebook"
    try:
        step(current, "running")
        given = {k: v for k, v in values.items() if k in declared}
        if kernel:
            execute_notebook(root / BRIEF_NOTEBOOK, executed, given, root,
                             label=f"brief for unit '{who}' ({language})", report_mode=True)
        else:
            from analysis.report.inprocess import execute

            execute(root / BRIEF_NOTEBOOK, executed, given)
        step(current, "complete")
        outputs = {"ipynb": executed}
        if render:  # the renderer writes the brief's lang and title into its front matter
            current = f"{who}: HTML, PDF"
            step(current, "running")
            outputs.update(render_brief(executed))
            step(current, "complete")
        else:  # what the renderer would write, for a later `analysis render` or `quarto render`
            stamp_front_matter(executed, brief_metadata(executed))
    except BaseException as exc:
        step(current, "failed")
        if made:  # a failed brief leaves nothing behind
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, (RunError, RenderError)):  # shown as a message, without a traceback
            raise BriefError(str(exc)) from None
        raise
    return outputs


@click.command()
@click.option("--unit", "unit_id", default="", metavar="UNIT_ID",
              help="Service unit (unit_id of adoption_schedule); omit for the whole study area.")
@click.option("--area", default="", metavar="NAME",
              help="One area of the study's grouping level (kelurahan, kecamatan or kab/kota), by name.")
@click.option("--all-units", is_flag=True, help="One brief per unit of the run, in a process pool, with an index page.")
@click.option("--all-areas", is_flag=True,
              help="One brief per area of the study's grouping level, in a process pool, with an index page.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes of --all-units/--all-areas [default: the machine's cores].")
@click.option("--run", "run", default="reports/runs/latest", show_default=True, help="Run folder.")
@click.option("--language", type=click.Choice(["id", "en"]), default=None,
              help="Language of the brief [default: the run's language].")
@click.option("--no-render", is_flag=True, help="Execute the notebook only (no HTML/PDF).")
def brief(unit_id, area, all_units, all_areas, workers, run, language, no_render):
    """Make policy briefs (HTML + PDF) from a finished run: the study area, a unit, an area, or all of them."""
    from rich.console import Console
    from rich.markup import escape

    from analysis.progress import step_progress
    from analysis.report.areas import UnknownArea, check_area, run_areas
    from analysis.runner import RunError, project_root
    from analysis.study import StudyError

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    if sum(map(bool, (unit_id, area, all_units, all_areas))) > 1:
        raise click.UsageError("use one of --unit, --area, --all-units, --all-areas")
    try:
        root = project_root()
        run_dir = resolve_run(run, root)
        check_unit(unit_id, run_units(run_dir))  # before anything heavy is imported or made
        if area:
            check_area(area, run_areas(run_dir))
        if json.loads((run_dir / "manifest.json").read_text(encoding="utf-8")).get("mode") == "interactive":
            console.print(f"[yellow]note:[/yellow] {run_dir.name} is an interactive run (notebooks run from JupyterLab)")
        if all_units or all_areas:
            sys.exit(_batch(console, run_dir, "units" if all_units else "areas", language, workers, not no_render,
                            root))
        with step_progress(console) as progress:
            outputs = build_brief(run_dir, unit_id, language, root=root, render=not no_render, step=progress.update,
                                  area=area)
        from analysis.report.results import RunResults

        console.print(f"[green]brief[/green] {escape(_label(RunResults(run_dir), unit_id, area))}: "
                      + ", ".join(str(p) for k, p in outputs.items() if k != "ipynb" or no_render))
    except (UnknownUnit, UnknownArea) as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(2)
    except (BriefError, RunError, StudyError, FileNotFoundError, KeyError) as exc:
        console.print(f"[red]brief failed:[/red] {escape(str(exc))}")
        sys.exit(1)


def _batch(console, run_dir: Path, level: str, language: str | None, workers: int | None, render: bool,
           root: Path) -> int:
    """Every unit's or area's brief in a process pool, the index page, then the audit of every brief: exit code."""
    from rich.markup import escape

    from analysis.audit import audit_run
    from analysis.report.batch import build_all, jobs_for
    from analysis.report.index import write_index

    params = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8")).get("parameters", {})
    language = language or params.get("language", "id")
    jobs = jobs_for(run_dir, level, language)

    def done(outcome):
        state = "[green]brief[/green]" if outcome.status == "complete" else "[red]failed[/red]"
        why = f": {escape(outcome.error)}" if outcome.error else ""
        console.print(f"{state} {escape(outcome.job.name)} ({outcome.seconds:.1f} s){why}")

    console.print(f"{len(jobs)} briefs ({level}) in up to {workers or os.cpu_count()} processes")
    outcomes = build_all(run_dir, jobs, workers=workers, render=render, root=root, done=done)
    index = write_index(run_dir, outcomes, language) if render else None
    checked, problems = audit_run(run_dir)
    failed = [o for o in outcomes if o.status != "complete"]
    for problem in problems[:20]:
        console.print(f"[red]audit:[/red] {escape(problem.line())}")
    console.print(f"{len(outcomes) - len(failed)} of {len(outcomes)} briefs made"
                  + (f"; failed: {', '.join(escape(o.job.name) for o in failed)}" if failed else "")
                  + (f"; index: {index}" if index else "")
                  + f"; audit: {checked} claims checked, {len(problems)} disagree")
    return 1 if failed or problems else 0


@click.command()
@click.argument("executed", type=click.Path(exists=True, dir_okay=False))
@click.option("--engine", type=click.Choice(["auto", "pandoc", "quarto"]), default="auto", show_default=True,
              help="auto: Quarto where it is on PATH, else pandoc + Typst (or ANALYSIS_RENDERER).")
def render(executed, engine):
    """Render an executed brief notebook to HTML and PDF next to it."""
    from rich.console import Console
    from rich.markup import escape

    from analysis.render import RenderError, render_brief

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        outputs = render_brief(Path(executed), engine=None if engine == "auto" else engine)
    except RenderError as exc:  # the renderer's message, without a traceback
        console.print(f"[red]render failed:[/red] {escape(str(exc))}")
        sys.exit(1)
    for fmt, path in outputs.items():
        console.print(f"{fmt}: {path}")
