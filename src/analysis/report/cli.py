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


def build_brief(run_dir: str | Path, unit_id: str = "", language: str | None = None, *, min_cell: int | None = None,
                alp: float | None = None, root: Path | None = None, render: bool = True,
                step=lambda name, state: None) -> dict[str, Path]:
    """Execute and render one brief; returns {"ipynb": ..., "html": ..., "pdf": ...}.

    ``language``, ``min_cell`` and ``alp`` default to the run's own parameters.
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
              "alp": float(alp if alp is not None else params.get("alp", 0.05))}
    check_unit(unit_id, run_units(res.run_dir))
    declared = declared_parameters(root / BRIEF_NOTEBOOK)
    folder = brief_dir(res.run_dir, unit_id, language)
    made = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    executed = folder / "brief.ipynb"
    who = unit_id or "kecamatan"
    current = f"{who}: notebook"
    try:
        step(current, "running")
        execute_notebook(root / BRIEF_NOTEBOOK, executed, {k: v for k, v in values.items() if k in declared}, root,
                         label=f"brief for unit '{who}' ({language})", report_mode=True)
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
              help="Service unit (unit_id of adoption_schedule); omit for the whole kecamatan.")
@click.option("--all-units", is_flag=True, help="One brief per unit of the run.")
@click.option("--run", "run", default="reports/runs/latest", show_default=True, help="Run folder.")
@click.option("--language", type=click.Choice(["id", "en"]), default=None,
              help="Language of the brief [default: the run's language].")
@click.option("--no-render", is_flag=True, help="Execute the notebook only (no HTML/PDF).")
def brief(unit_id, all_units, run, language, no_render):
    """Make a policy brief (HTML + PDF) from a finished run, for one unit or all units."""
    from rich.console import Console
    from rich.markup import escape

    from analysis.progress import step_progress
    from analysis.runner import RunError, project_root

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    if all_units and unit_id:
        raise click.UsageError("use either --unit or --all-units")
    try:
        root = project_root()
        run_dir = resolve_run(run, root)
        known = run_units(run_dir)
        check_unit(unit_id, known)  # before anything heavy is imported or made
        units = known if all_units else [unit_id]
        if json.loads((run_dir / "manifest.json").read_text(encoding="utf-8")).get("mode") == "interactive":
            console.print(f"[yellow]note:[/yellow] {run_dir.name} is an interactive run (notebooks run from JupyterLab)")
        done = []
        with step_progress(console) as progress:
            for unit in units:
                outputs = build_brief(run_dir, unit, language, root=root, render=not no_render, step=progress.update)
                done.append(f"[green]brief[/green] {unit or 'kecamatan'}: "
                            + ", ".join(str(p) for k, p in outputs.items() if k != "ipynb" or no_render))
        for line in done:
            console.print(line)
    except UnknownUnit as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(2)
    except (BriefError, RunError, FileNotFoundError, KeyError) as exc:
        console.print(f"[red]brief failed:[/red] {escape(str(exc))}")
        sys.exit(1)


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
