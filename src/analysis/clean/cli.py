"""``clean`` command (registered in the project CLI by the lead)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from analysis.clean.errors import DataInputError
from analysis.clean.run import clean_raw
from analysis.pseudonym import MissingKeyError


@click.command()
@click.option("--raw", "raw", type=click.Path(path_type=Path), default=Path("data/raw"), show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("data/interim"), show_default=True)
def clean(raw: Path, out: Path) -> None:
    """Clean raw exports into canonical, pseudonymised Parquet tables and a data-quality summary."""
    try:
        report = clean_raw(raw, out)
    except (DataInputError, MissingKeyError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    q = report.quality
    click.echo(f"cleaned {len(q)} files: {int(q['rows_raw'].sum())} raw rows -> {int(q['rows_clean'].sum())} clean, "
               f"{int(q['rows_rejected'].sum())} rejected, {int(q['rows_duplicate'].sum())} duplicates; "
               f"summary in {out / 'data_quality.csv'}")
