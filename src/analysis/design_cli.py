"""``analysis design``: how large a change could the next rollout detect, under three schedules?

Light at import (click and the parameter reader only): the panel, the simulator and the
estimators are imported inside the command, after the arguments are checked.
"""

from __future__ import annotations

from pathlib import Path

import click

from analysis.config import ParameterError, load_params, parse_overrides


@click.command()
@click.option("--params", "params_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Parameter file (processed_dir, outcomes, seed, alp); default: built-in values.")
@click.option("--set", "sets", multiple=True, help="Override a parameter, key=value.")
@click.option("--adopt-month", default="", help="First adoption month, YYYY-MM (default: first July after the data).")
@click.option("--follow", "follow_months", type=click.IntRange(2, 36), default=6, show_default=True,
              help="Months observed from the first adoption on.")
@click.option("--pre", "pre_months", type=click.IntRange(1, 36), default=6, show_default=True,
              help="Months observed before the first adoption.")
@click.option("--spacing", type=click.IntRange(1, 12), default=2, show_default=True, help="Months between waves.")
@click.option("--reps", type=click.IntRange(20, 100_000), default=200, show_default=True,
              help="Simulated rollouts per outcome and schedule.")
@click.option("--jobs", type=int, default=2, show_default=True, help="Worker processes (draws do not depend on it).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the comparison as CSV here.")
def design(params_file, sets, adopt_month, follow_months, pre_months, spacing, reps, jobs, out) -> None:
    """Simulate the next rollout under three schedules: detectable effect and interval width.

    The units not yet adopted are scheduled all at once, staggered by kelurahan and in a
    randomised order; each outcome's noise model is fitted on the data's untreated months.
    """
    try:
        params = load_params(params_file, parse_overrides(sets))
    except ParameterError as exc:
        raise click.UsageError(str(exc)) from exc
    if adopt_month and not (len(adopt_month) == 7 and adopt_month[4] == "-" and adopt_month.replace("-", "").isdigit()):
        raise click.BadParameter(f"expected YYYY-MM, got {adopt_month!r}", param_hint="--adopt-month")
    from rich.console import Console
    from rich.table import Table

    from analysis.evaluation.panel import load_panel
    from analysis.evaluation.rollout import Plan, compare_schedules, default_adopt_month

    monthly = load_panel(params.processed_dir)
    data_end = monthly["month"].max().strftime("%Y-%m")
    plan = Plan(adopt_month or default_adopt_month(data_end), follow_months, pre_months, spacing)
    outcomes = [o for o in params.outcomes if o in monthly.columns]
    table, _ = compare_schedules(monthly, outcomes, plan, reps=reps, seed=params.seed, n_jobs=jobs,
                                 progress=True, alpha=params.alp)
    view = Table(title=f"Next rollout from {plan.adopt_month}, window {table['window'].iloc[0]}: "
                       f"minimum detectable effect (80% power) and {100 * (1 - params.alp):g}% interval width")
    for col in ("outcome", "schedule", "units", "MDE", "MDE size-adj.", "interval width", "note"):
        view.add_column(col)
    for r in table.to_dict("records"):
        num = lambda v: "-" if v != v else f"{v:.3g}"  # noqa: E731  (NaN: no comparison in the window)
        scenario = r.get("scenario")
        failed = scenario == scenario and r.get("n_failed") == r.get("reps")
        view.add_row(r["outcome"], scenario if scenario == scenario else "-",
                     "-" if r.get("n_units") != r.get("n_units") else str(int(r["n_units"])),
                     num(r.get("mde")), num(r.get("mde_size_adjusted")), num(r.get("ci_width")),
                     r.get("note") or ("no comparison left in the window" if failed else ""))
    Console().print(view)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False, lineterminator="\n", float_format="%.10g")
        click.echo(f"wrote {out}")
