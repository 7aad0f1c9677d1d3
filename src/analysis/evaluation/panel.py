"""Load the analysis panels and cut them to the run's window, units and outcome.

Each outcome lives in one panel: unit x month for most, unit x week for disease
incidence (surveillance is weekly). :func:`outcome_panel` returns the rows that carry
the outcome, with the column names the estimators expect (``tname``, ``gname``), so
every later step says ``yname``/``tname``/``idname``/``gname`` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.panels import COVARIATES

MONTHLY = "panel_unit_month"
WEEKLY = "panel_unit_week_health"
WEEKLY_OUTCOMES = {"incidence_per_10k"}
IDNAME, GNAME = "unit_id", "first_treat"
#: Weeks per month, to express a monthly event window (min_e, max_e) in weeks.
WEEKS_PER_MONTH = 4


@dataclass(frozen=True)
class OutcomePanel:
    yname: str
    data: pd.DataFrame
    tname: str
    idname: str = IDNAME
    gname: str = GNAME

    @property
    def frequency(self) -> str:
        return "week" if self.tname == "week" else "month"

    def event_window(self, min_e: int, max_e: int) -> tuple[int, int]:
        """The run's event window (in months) in this panel's periods."""
        scale = WEEKS_PER_MONTH if self.frequency == "week" else 1
        return min_e * scale, max_e * scale


def load_panel(processed_dir: str | Path, name: str = MONTHLY) -> pd.DataFrame:
    path = Path(processed_dir) / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run the clean step (01_clean) first")
    return pd.read_parquet(path)


def select_units(panel: pd.DataFrame, units: list[str], unit_types: list[str]) -> pd.DataFrame:
    out = panel
    if unit_types:
        out = out[out["unit_type"].isin(unit_types)] if "unit_type" in out else out
    if units:
        unknown = sorted(set(units) - set(panel[IDNAME]))
        if unknown:
            raise ValueError(f"units not in the data: {', '.join(unknown)}")
        out = out[out[IDNAME].isin(units)]
    if out.empty:
        raise ValueError("no units left after selecting units/unit_types")
    return out


def select_window(panel: pd.DataFrame, start_month: str, end_month: str, date_col: str) -> pd.DataFrame:
    """Keep rows within [start_month, end_month]; adoptions after the window count as never."""
    dates = pd.to_datetime(panel[date_col])
    keep = np.ones(len(panel), dtype=bool)
    if start_month:
        keep &= dates >= pd.Timestamp(start_month + "-01")
    if end_month:
        keep &= dates < pd.Timestamp(end_month + "-01") + pd.offsets.MonthBegin(1)
    out = panel[keep].copy()
    if out.empty:
        raise ValueError(f"no data between {start_month or 'the start'} and {end_month or 'the end'}")
    return out


def outcome_panel(
    processed_dir: str | Path,
    yname: str,
    *,
    units: list[str] = (),
    unit_types: list[str] = (),
    start_month: str = "",
    end_month: str = "",
) -> OutcomePanel:
    """Rows of the panel that carry ``yname``, cut to the run's units and window."""
    weekly = yname in WEEKLY_OUTCOMES
    panel = load_panel(processed_dir, WEEKLY if weekly else MONTHLY)
    tname, date_col = ("week", "week_start") if weekly else ("period", "month")
    if yname not in panel:
        raise KeyError(f"outcome '{yname}' is not a column of {WEEKLY if weekly else MONTHLY}")
    if weekly:
        # the weekly panel has no unit covariates: take them (time-invariant) from the monthly panel
        covariates = load_panel(processed_dir, MONTHLY).drop_duplicates(IDNAME)
        missing = [c for c in COVARIATES if c not in panel and c in covariates]
        if missing:
            panel = panel.merge(covariates[[IDNAME, *missing]], on=IDNAME, how="left")
        if unit_types and "unit_type" not in panel:
            panel = panel.assign(unit_type="puskesmas")
    panel = select_units(panel, list(units), list(unit_types)) if (units or unit_types) else panel
    panel = select_window(panel, start_month, end_month, date_col)
    panel = panel[panel[yname].notna()]
    if panel.empty:
        raise ValueError(f"no unit in the selection reports '{yname}'")
    last = panel[tname].max()
    panel = panel.assign(**{GNAME: panel[GNAME].where(panel[GNAME] <= last, 0)})
    return OutcomePanel(yname, panel.sort_values([IDNAME, tname]).reset_index(drop=True), tname)


def run_info(panel: pd.DataFrame, data_source: str) -> pd.DataFrame:
    """One row describing the data a run analysed (cited by the brief)."""
    months = pd.to_datetime(panel["month"])
    units = panel.drop_duplicates(IDNAME)
    adopted = units[units[GNAME] > 0]
    return pd.DataFrame(
        [{
            "data_source": data_source,
            "data_start": months.min().strftime("%Y-%m"),
            "data_end": months.max().strftime("%Y-%m"),
            "n_units": int(len(units)),
            "n_adopted": int(len(adopted)),
            "n_cohorts": int(adopted[GNAME].nunique()),
            "n_months": int(months.dt.to_period("M").nunique()),
        }]
    )
