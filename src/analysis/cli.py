"""Command line: ``analysis run | params | synth | clean | render | brief | audit | compare``.

Exit codes: 0 done, 1 a step or the data failed (the message names where),
2 the parameters or the command line are wrong (nothing ran).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from analysis.config import ParameterError, describe_parameters, load_params, parse_overrides

console = Console(stderr=True, highlight=False, soft_wrap=True)  # messages stay whole in logs


class LazyGroup(click.Group):
    """Sub-commands that live in their own modules are imported only when used."""

    lazy = {
        "synth": "analysis.synth.cli:synth",
        "clean": "analysis.clean.cli:clean",
        "brief": "analysis.report.cli:brief",
        "audit": "analysis.audit:audit_command",
    }

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx, name):
        if name in self.lazy:
            module, attr = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup)
@click.version_option(package_name="analysis")
def main() -> None:
    """Evaluate performance-based ASN management in Plaju (Kota Palembang)."""


def _params(params_file, sets):
    try:
        return load_params(params_file, parse_overrides(sets))
    except ParameterError as exc:
        console.print(f"[red]error:[/red] {exc}")
        sys.exit(2)


@main.command()
@click.option("--params", "params_file", type=click.Path(dir_okay=False), default="params/main.yaml",
              show_default=True, help="YAML file of run parameters.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override one parameter (repeatable).")
@click.option("--step", "steps", multiple=True, help="Run only these steps (by name, e.g. 03_estimate).")
@click.option("--no-render", is_flag=True, help="Execute the brief notebook but skip HTML/PDF rendering.")
def run(params_file, sets, steps, no_render):
    """Run the whole evaluation into a fresh folder reports/runs/<run-id>/."""
    from analysis.runner import RunError, run as run_evaluation

    params = _params(params_file, sets)
    try:
        run_dir = run_evaluation(params, steps=list(steps) or None, render=not no_render,
                                 say=lambda msg: console.print(msg))
    except RunError as exc:
        console.print(f"[red]run failed:[/red] {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("[red]run interrupted[/red]; it is marked 'interrupted' in its manifest")
        sys.exit(130)
    except Exception as exc:  # data errors raised outside a notebook (e.g. while generating)
        console.print(f"[red]run failed:[/red] {type(exc).__name__}: {exc}")
        sys.exit(1)
    console.print(f"[green]complete:[/green] {run_dir}")
    for brief in sorted((run_dir / "brief").glob("brief.*")):
        if brief.suffix in (".html", ".pdf"):
            console.print(f"  brief: {brief}")


@main.command()
@click.argument("notebook", required=False, type=click.Path(exists=True, dir_okay=False))
def params(notebook):
    """List the parameters (of NOTEBOOK, or all) with type, default, allowed values and help."""
    from analysis.runner import RUNNER_PARAMETERS, notebook_parameters

    names = list(notebook_parameters(Path(notebook))) if notebook else None
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
@click.argument("executed", type=click.Path(exists=True, dir_okay=False))
@click.option("--engine", type=click.Choice(["auto", "pandoc", "quarto"]), default="auto", show_default=True)
def render(executed, engine):
    """Render an executed brief notebook to HTML and PDF next to it."""
    from analysis.render import render_brief

    for fmt, path in render_brief(Path(executed), engine=None if engine == "auto" else engine).items():
        console.print(f"{fmt}: {path}")
@main.command()
@click.argument("run_a", type=click.Path(exists=True, file_okay=False))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False))
def compare(run_a, run_b):
    """Show which parameters differ between two runs and how the headline estimates moved."""
    from analysis.compare import compare_runs

    params, estimates = compare_runs(run_a, run_b)
    out = Console()
    table = Table(title="Parameters that differ")
    for col in ("parameter", "run_a", "run_b"):
        table.add_column(col)
    for row in params.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    out.print(table if len(params) else "[green]same parameters[/green]")
    table = Table(title="Headline estimates (run_a -> run_b)")
    for col in ("outcome", "run_a", "run_b", "change", "same sign"):
        table.add_column(col, justify="right" if col != "outcome" else "left")
    for r in estimates.itertuples(index=False):
        table.add_row(r.outcome, f"{r.estimate_a:.3f} [{r.conf_low_a:.3f}, {r.conf_high_a:.3f}]",
                      f"{r.estimate_b:.3f} [{r.conf_low_b:.3f}, {r.conf_high_b:.3f}]", f"{r.change:+.3f}",
                      "yes" if r.same_sign else "NO")
    out.print(table)


if __name__ == "__main__":
    main()
