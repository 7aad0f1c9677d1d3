"""Command line: ``analysis run | params | validate | synth | clean | render | brief | audit | compare | design``.

Exit codes: 0 done, 1 a step or the data failed (the message names where),
2 the parameters or the command line are wrong (nothing ran).

Answering must be instant: this module imports only click, rich and the parameter
declarations; papermill, the estimators and matplotlib are imported inside the
command that needs them, after its arguments have been checked
(tests/test_cli_fast.py checks ``sys.modules``; benchmarks/bench_cli.py times it).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from analysis.config import (RUNNER_PARAMETERS, ParameterError, declared_parameters, describe_parameters, load_params,
                             parse_overrides)

console = Console(stderr=True, highlight=False, soft_wrap=True)  # messages stay whole in logs


class LazyGroup(click.Group):
    """Sub-commands that live in their own modules are imported only when used.

    ``analysis --help`` lists them from :attr:`lazy`'s one-line help, so listing never
    imports a sub-command's module (and its pandas, DuckDB or papermill)."""

    lazy = {
        "synth": ("analysis.synth.cli:synth", "Generate the synthetic raw exports of a study and their truth."),
        "clean": ("analysis.clean.cli:clean",
                  "Clean raw exports into canonical, pseudonymised Parquet tables and a data-quality summary."),
        "brief": ("analysis.report.cli:brief",
                  "Make policy briefs (HTML + PDF) from a finished run: the study area, a unit, an area, or all of them."),
        "audit": ("analysis.audit:audit_command",
                  "Recompute every claim of every brief of RUN_DIR from its result tables; list disagreements."),
        "inspect": ("analysis.clean.cli:inspect",
                    "Report how cleaning sees each raw file (tables, headers, labels, dates, names) and suggest a mapping.yaml."),
        "study": ("analysis.study_create:study", "Study areas: create one from the Kemendagri code list."),
        "design": ("analysis.design_cli:design",
                   "Simulate the next rollout under three schedules: detectable effect and interval width."),
        "render": ("analysis.report.cli:render", "Render an executed brief notebook to HTML and PDF next to it."),
    }

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx, name):
        if name in self.lazy:
            module, attr = self.lazy[name][0].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def format_commands(self, ctx, formatter):
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy:
                limit = formatter.width - 6 - len(name)
                rows.append((name, click.utils.make_default_short_help(self.lazy[name][1], limit)))
            else:
                command = super().get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.version_option(package_name="analysis")
def main() -> None:
    """Evaluate performance-based ASN management in a study area (default: studies/DEFAULT names it)."""


def _params(params_file, sets):
    try:
        return load_params(params_file, parse_overrides(sets))
    except ParameterError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(2)


@main.command()
@click.option("--params", "params_file", type=click.Path(dir_okay=False), default="params/main.yaml",
              show_default=True, help="YAML file of run parameters.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override one parameter (repeatable).")
@click.option("--step", "steps", multiple=True, help="Run only these steps (by name, e.g. 03_estimate).")
@click.option("--no-render", is_flag=True, help="Execute the brief notebook but skip HTML/PDF rendering.")
@click.option("--since", default=None, metavar="RUN",
              help="Earlier run the brief compares with ('Sejak analisis sebelumnya'): 'latest' or a run id.")
def run(params_file, sets, steps, no_render, since):
    """Run the whole evaluation into a fresh folder reports/runs/<run-id>/."""
    params = _params(params_file, sets)  # refused here, before anything heavy is imported
    from analysis.progress import step_progress
    from analysis.runner import RunError, run as run_evaluation

    try:
        with step_progress(console) as progress:
            run_dir = run_evaluation(params, steps=list(steps) or None, render=not no_render,
                                     say=lambda msg: console.print(msg), progress=progress.update, since=since)
    except RunError as exc:
        console.print(f"[red]run failed:[/red] {escape(str(exc))}")
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("[red]run interrupted[/red]; it is marked 'interrupted' in its manifest")
        sys.exit(130)
    except Exception as exc:  # data errors raised outside a notebook (e.g. while generating)
        console.print(f"[red]run failed:[/red] {type(exc).__name__}: {escape(str(exc))}")
        sys.exit(1)
    console.print(f"[green]complete:[/green] {run_dir}")
    for brief in sorted((run_dir / "brief").glob("brief.*")):
        if brief.suffix in (".html", ".pdf"):
            console.print(f"  brief: {brief}")


@main.command()
@click.argument("notebook", required=False, type=click.Path(exists=True, dir_okay=False))
def params(notebook):
    """List the parameters (of NOTEBOOK, or all) with type, default, allowed values and help."""
    names = declared_parameters(Path(notebook)) if notebook else None
    table = Table(title=f"Parameters of {notebook}" if notebook else "Run parameters (params/*.yaml, --set)")
    for col in ("name", "type", "default", "allowed", "help"):
        table.add_column(col, overflow="fold")
    for row in describe_parameters(names):
        table.add_row(*row.values())
    for name, help_text in RUNNER_PARAMETERS.items():
        if names is not None and name in names:
            table.add_row(name, "str", "", "", help_text)
    Console().print(table)


@main.command()
@click.option("--params", "params_file", type=click.Path(dir_okay=False), default="params/main.yaml", show_default=True)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE")
def validate(params_file, sets):
    """Check a parameters file (and overrides) without running anything."""
    params = _params(params_file, sets)
    changed = params.differences()
    console.print(f"[green]valid[/green]; differs from the defaults in: {', '.join(changed) or 'nothing'}")


@main.command()
@click.argument("run_a", type=click.Path(exists=True, file_okay=False))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False))
@click.option("--language", type=click.Choice(["id", "en"]), default=None,
              help="Language of outcome labels and notes [default: run_b's language].")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), default=None,
              help="Also write a side-by-side HTML report to this file.")
def compare(run_a, run_b, language, html_path):
    """Show which parameters differ between two runs and how the headline estimates moved."""
    from analysis.compare import compare_runs, html_report, shown_rows, words
    from analysis.manifest import read_manifest

    language = language or read_manifest(Path(run_b)).get("parameters", {}).get("language", "id")
    text = words(language)
    params, estimates = compare_runs(run_a, run_b, language)
    out = Console()
    table = Table(title=text["compare_params"])
    for col in ("parameter", "run_a", "run_b"):
        table.add_column(col)
    for row in params.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    out.print(table if len(params) else f"[green]{text['compare_no_params']}[/green]")
    table = Table(title=f"{text['compare_estimates']}: run_a -> run_b")
    for col in (text["compare_outcome"], "run_a", "run_b", text["compare_change"], text["compare_interval_change"], text["compare_same_sign"],
                text["compare_note"]):
        table.add_column(col, overflow="fold")
    for r in shown_rows(estimates, language):
        table.add_row(r["outcome"], r["run_a"], r["run_b"], r["change"], r["interval_change"],
                      text["compare_yes"] if r["same_sign"] else text["compare_no"], r["note"])
    out.print(table)
    if html_path:
        Path(html_path).write_text(html_report(Path(run_a), Path(run_b), language), encoding="utf-8")
        console.print(f"html: {html_path}")


if __name__ == "__main__":
    main()
