"""``analysis brief``: a brief for one service unit (or every unit, or the kecamatan) from a finished run.

The brief notebook runs with papermill exactly as the runner runs it, into its own
folder (``<run>/units/<unit_id>-<lang>/``, or ``<run>/brief-<lang>/`` for the
kecamatan in another language), so figures and renders never overwrite each other;
then :func:`analysis.render.render_brief` turns it into HTML and PDF.
``analysis render`` renders an executed brief again (choosing the engine).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import nbformat
import papermill as pm

from analysis.report.brief import brief_dir
from analysis.report.results import RunResults
from analysis.runner import RunError, execute_notebook, project_root

BRIEF_NOTEBOOK = Path("reports") / "brief.ipynb"


class BriefError(RuntimeError):
    pass


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
                alp: float | None = None, root: Path | None = None, render: bool = True) -> dict[str, Path]:
    """Execute and render one brief; returns {"ipynb": ..., "html": ..., "pdf": ...}.

    ``language``, ``min_cell`` and ``alp`` default to the run's own parameters.
    """
    from analysis.brief_source import brief_metadata, stamp_front_matter
    from analysis.render import render_brief

    root = root or project_root()
    res = RunResults(run_dir)
    params = res.manifest.get("parameters", {})
    language = language or params.get("language", "id")
    values = {"run_dir": str(res.run_dir), "language": language, "unit_id": unit_id,
              "min_cell": int(min_cell if min_cell is not None else params.get("min_cell", 10)),
              "alp": float(alp if alp is not None else params.get("alp", 0.05))}
    declared = pm.inspect_notebook(str(root / BRIEF_NOTEBOOK))
    folder = brief_dir(res.run_dir, unit_id, language)
    folder.mkdir(parents=True, exist_ok=True)
    executed = folder / "brief.ipynb"
    try:
        execute_notebook(root / BRIEF_NOTEBOOK, executed, {k: v for k, v in values.items() if k in declared}, root,
                         label=f"brief for unit '{unit_id or 'kecamatan'}' ({language})", report_mode=True)
    except RunError as exc:
        raise BriefError(str(exc)) from None
    outputs = {"ipynb": executed}
    if render:
        outputs.update(render_brief(executed))
    else:  # what the renderer would write: lang and title, for a later `analysis render` or `quarto render`
        stamp_front_matter(executed, brief_metadata(executed))
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
    from analysis.render import RenderError

    console = _console()
    try:
        root = project_root()
        run_dir = resolve_run(run, root)
        if all_units and unit_id:
            raise click.UsageError("use either --unit or --all-units")
        units = ([str(u) for u in RunResults(run_dir).table("adoption_schedule")["unit_id"]] if all_units
                 else [unit_id])
        for unit in units:
            outputs = build_brief(run_dir, unit, language, root=root, render=not no_render)
            console.print(f"[green]brief[/green] {unit or 'kecamatan'}: "
                          + ", ".join(str(p) for k, p in outputs.items() if k != "ipynb" or no_render))
    except (BriefError, RenderError, RunError, FileNotFoundError, KeyError) as exc:
        console.print(f"[red]brief failed:[/red] {exc}")
        sys.exit(1)


def _console():
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)  # messages stay whole in logs


@click.command()
@click.argument("executed", type=click.Path(exists=True, dir_okay=False))
@click.option("--engine", type=click.Choice(["auto", "pandoc", "quarto"]), default="auto", show_default=True,
              help="auto: Quarto where it is on PATH, else pandoc + Typst (or ANALYSIS_RENDERER).")
def render(executed, engine):
    """Render an executed brief notebook to HTML and PDF next to it."""
    from analysis.render import RenderError, render_brief

    console = _console()
    try:
        outputs = render_brief(Path(executed), engine=None if engine == "auto" else engine)
    except RenderError as exc:  # the renderer's message, without a traceback
        console.print(f"[red]render failed:[/red] {exc}")
        sys.exit(1)
    for fmt, path in outputs.items():
        console.print(f"{fmt}: {path}")
