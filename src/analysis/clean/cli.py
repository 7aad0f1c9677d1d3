"""``clean`` command (registered in the project CLI by the lead).

Exit codes, as for every ``analysis`` command: 0 cleaned; 1 the data cannot be trusted (the message
names file, column and row; nothing is written); 2 the command line or the setup is wrong (no raw
directory, no pseudonym key; nothing ran). No exception reaches the user as a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from analysis.clean.errors import DataInputError
from analysis.clean.safe import scrub


@click.command()
@click.option("--raw", "raw", type=click.Path(path_type=Path), default=Path("data/raw"), show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("data/interim"), show_default=True)
@click.option("--study", default=None, help="Study name or folder (default: the synthetic marker's, else the default study).")
@click.option("--engine", type=click.Choice(["duckdb", "spark", "pandas"]), default="duckdb", show_default=True,
              help="Data layer engine (README: Engines).")
@click.option("--memory-limit", default="4GB", show_default=True, help="Memory the engine may use before spilling.")
def clean(raw: Path, out: Path, study: str | None, engine: str, memory_limit: str) -> None:
    """Clean raw exports into canonical, pseudonymised Parquet tables and a data-quality summary.

    Exit codes: 0 done, 1 the data failed (the message names where), 2 wrong command line or setup.
    """
    from analysis.clean.run import clean_raw
    from analysis.engine import EngineConfig, EngineUnavailable
    from analysis.pseudonym import MissingKeyError

    if not raw.is_dir():
        click.echo(f"error: {raw}: raw directory does not exist", err=True)
        sys.exit(2)
    try:
        report = clean_raw(raw, out, study=study, engine=EngineConfig(engine, memory_limit))
    except (MissingKeyError, EngineUnavailable) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except DataInputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:  # a bug or an input we did not foresee: no traceback, no raw values
        click.echo(f"error: cleaning failed unexpectedly ({type(exc).__name__}: {scrub(str(exc))[:300]}); "
                   "nothing was written. Please report this with the file that caused it.", err=True)
        sys.exit(1)
    q = report.quality
    done = q[q["status"] == "cleaned"]
    for rel, why in report.ignored.items():
        click.echo(f"warning: ignored {rel}: {why}", err=True)
    for row in report.flagged.itertuples(index=False):
        click.echo(f"warning: {row.file}: column '{row.column}', row {row.row_number}: count far outside the "
                   "unit's own history (kept; check it)", err=True)
    click.echo(f"cleaned {len(done)} files, ignored {len(report.ignored)}: {int(done['rows_raw'].sum())} raw rows -> "
               f"{int(done['rows_clean'].sum())} clean, {int(done['rows_rejected'].sum())} rejected, "
               f"{int(done['rows_duplicate'].sum())} duplicates; summary in {out / 'data_quality.csv'}")


@click.command()
@click.argument("raw_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--study", default=None, help="Study name or folder (default: the synthetic marker's, else the default).")
@click.option("--html", "html_out", type=click.Path(path_type=Path), default=None,
              help="HTML report (default: RAW_DIR/../inspect.html).")
def inspect(raw_dir: Path, study: str | None, html_out: Path | None) -> None:
    """Report how cleaning sees each raw file (tables, headers, labels, dates, names) and suggest a mapping.yaml.

    Exit codes: 0 every required table and column found, 1 something required is missing.
    """
    from analysis.clean.inspect import inspect_raw, render_html, render_text

    ins = inspect_raw(raw_dir, study)
    text = render_text(ins)
    click.echo(text)
    html_out = html_out or raw_dir.resolve().parent / "inspect.html"
    html_out.write_text(render_html(ins, text), encoding="utf-8")
    click.echo(f"HTML report: {html_out}")
    sys.exit(0 if ins.ok else 1)
