"""``synth`` command (registered in the project CLI by the lead)."""

from __future__ import annotations

from pathlib import Path

import click

from analysis.synth.config import MessyConfig, SynthConfig
from analysis.synth.generate import generate


@click.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("data/raw"), show_default=True,
              help="Directory for the raw exports (replaced).")
@click.option("--study", default=SynthConfig.study, show_default=True, help="Study name (under studies/) or folder.")
@click.option("--seed", type=int, default=SynthConfig.seed, show_default=True)
@click.option("--months", type=int, default=SynthConfig.months, show_default=True)
@click.option("--start", type=str, default=SynthConfig.start, show_default=True, help="First month, YYYY-MM.")
@click.option("--scale", type=float, default=SynthConfig.scale, show_default=True,
              help="Ticket volume; 1 = 10% of reported volume, 10 = reported volume.")
@click.option("--pretrend-violation", type=float, default=0.0, show_default=True)
@click.option("--anticipation", type=int, default=0, show_default=True, help="Months of anticipation.")
@click.option("--effect-scale", type=float, default=1.0, show_default=True)
@click.option("--clean-exports", is_flag=True, help="Write perfectly clean exports (all messy rates 0).")
@click.option("--skm-sample-scale", type=float, default=SynthConfig.skm_sample_scale, show_default=True,
              help="SKM respondents per unit-quarter as a share of the Krejcie-Morgan size.")
@click.option("--bulk-above-units", type=int, default=None,
              help="Studies with more units are written as partitioned bulk exports (.csv.gz per kab/kota and "
                   "period) by DuckDB SQL [default: analysis.synth.bulk.BULK_ABOVE_UNITS = 1000].")
@click.option("--workers", type=int, default=2, show_default=True, help="Processes of the bulk generator.")
def synth(out: Path, study: str, seed: int, months: int, start: str, scale: float, pretrend_violation: float,
          anticipation: int, effect_scale: float, clean_exports: bool, skm_sample_scale: float,
          bulk_above_units: int | None, workers: int) -> None:
    """Generate the synthetic raw exports of a study and their truth."""
    cfg = SynthConfig(seed=seed, study=study, months=months, start=start, scale=scale, pretrend_violation=pretrend_violation,
                      anticipation=anticipation, effect_scale=effect_scale, skm_sample_scale=skm_sample_scale,
                      messy=MessyConfig.none() if clean_exports else MessyConfig())
    generate(out, cfg, bulk_above_units=bulk_above_units, workers=workers)
    click.echo(f"wrote synthetic raw exports to {out}")
