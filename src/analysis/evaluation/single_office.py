"""A change at one office (the online-queue launch): synthetic DiD, with synthetic control and DiD beside it.

One treated unit has no cohorts to compare, so Callaway-Sant'Anna does not apply;
:func:`analysis.did.synthdid.synth_did` weights donor offices (and pre-launch
months) so that their past tracks the office's past, with in-space placebo
inference (the only one defined for one treated unit).

Donors are the other offices that report the outcome in every month of the window
(``donors="all"``, default). ``donors="stable"`` keeps only offices whose KPI
management did not change around the launch (never adopted, or adopted at least
``settled_months`` before the window opens), because KPI effects ramp up for months
after adoption; it is a sensitivity check only: in the default study it leaves two to four donors,
too few for placebo inference (the placebo needs donors to stand in for the office).
With fewer than ``min_donors`` donors (default 5) the panel is refused: the placebo
distribution would have only a handful of distinct values.

The interventions analysed are data (``interventions.yaml`` beside this module),
not code: which unit, which month, which outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from analysis.did.synthdid import synth_did

INTERVENTIONS = Path(__file__).with_name("interventions.yaml")
METHOD_ORDER = ("sdid", "sc", "did")


@dataclass(frozen=True)
class Intervention:
    name: str
    unit_id: str
    launch_month: str  # YYYY-MM, first month with the change
    outcomes: tuple[str, ...]
    label: dict  # language -> short description


def load_interventions(path: Path = INTERVENTIONS) -> list[Intervention]:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out = []
    for i, item in enumerate(raw.get("interventions", [])):
        missing = {"name", "unit_id", "launch_month", "outcomes", "label"} - set(item)
        if missing:
            raise ValueError(f"{path}: intervention {i + 1} lacks {sorted(missing)}")
        out.append(Intervention(item["name"], item["unit_id"], str(item["launch_month"]), tuple(item["outcomes"]),
                                dict(item["label"])))
    return out


def launch_period(monthly: pd.DataFrame, launch_month: str) -> int | None:
    """Panel period of ``launch_month`` (YYYY-MM), None when the data do not reach it."""
    months = monthly.drop_duplicates("period").set_index("month")["period"]
    key = pd.Timestamp(launch_month + "-01")
    return int(months[key]) if key in months.index else None


def office_panel(monthly: pd.DataFrame, unit_id: str, launch: int, yname: str, *, pre_months: int = 12,
                 donors: str = "all", settled_months: int = 12, min_donors: int = 5) -> pd.DataFrame:
    """Balanced long panel (window ``launch - pre_months`` .. last month) with a 0/1 ``treated`` column."""
    if donors not in ("stable", "all"):
        raise ValueError(f"donors must be 'stable' or 'all', got {donors!r}")
    if unit_id not in set(monthly["unit_id"]):
        raise ValueError(f"unit {unit_id!r} is not in the monthly panel")
    start = max(1, launch - pre_months)
    win = monthly[monthly["period"] >= start]
    n_periods = win["period"].nunique()
    complete = win.dropna(subset=[yname]).groupby("unit_id")["period"].nunique()
    keep = set(complete[complete == n_periods].index)
    if unit_id not in keep:
        raise ValueError(f"{unit_id} lacks {yname} in some month from period {start} on")
    if donors == "stable":
        g = win.drop_duplicates("unit_id").set_index("unit_id")["first_treat"]
        keep = {u for u in keep if u == unit_id or g[u] == 0 or g[u] <= start - settled_months}
    out = win[win["unit_id"].isin(keep)].copy()
    if out["unit_id"].nunique() - 1 < min_donors:
        raise ValueError(f"only {out['unit_id'].nunique() - 1} donor units report {yname} in every month of the "
                         f"window; placebo inference needs at least {min_donors}")
    out["treated"] = ((out["unit_id"] == unit_id) & (out["period"] >= launch)).astype("int64")
    return out.sort_values(["unit_id", "period"]).reset_index(drop=True)


@dataclass
class OfficeEstimates:
    """The three estimators on one outcome: tidy effects, donor weights, month weights."""

    yname: str
    results: dict  # method -> SynthDiDResult

    def tidy(self) -> pd.DataFrame:
        rows = []
        for method, res in self.results.items():
            t = res.tidy().assign(outcome=self.yname, method=method,
                                  placebo_p_value=res.extra["placebo_p_value"],
                                  n_donors=res.extra["n_control"], n_pre=res.extra["n_pre"],
                                  n_post=res.extra["n_post"])
            rows.append(t)
        return pd.concat(rows, ignore_index=True)

    def overall(self) -> pd.DataFrame:
        t = self.tidy()
        cols = ["outcome", "method", "estimator", "estimate", "std_error", "conf_low", "conf_high", "p_value",
                "placebo_p_value", "n_donors", "n_pre", "n_post"]
        return t.loc[t["type"] == "overall", cols].reset_index(drop=True)

    def unit_weights(self, unit_info: pd.DataFrame) -> pd.DataFrame:
        frames = []
        for method in ("sdid", "sc"):
            w = self.results[method].unit_weights()
            w = w.rename(columns={w.columns[0]: "unit_id"}).assign(outcome=self.yname, method=method)
            frames.append(w.merge(unit_info, on="unit_id", how="left"))
        return pd.concat(frames, ignore_index=True)

    def time_weights(self) -> pd.DataFrame:
        return self.results["sdid"].time_weights().assign(outcome=self.yname, method="sdid")


def estimate_office(panel: pd.DataFrame, yname: str, *, seed: int, replications: int = 200,
                    alp: float = 0.05) -> OfficeEstimates:
    """SDID, SC and DiD on :func:`office_panel`'s panel, placebo standard errors (same seed for all three)."""
    res = {m: synth_did(panel, yname, "period", "unit_id", dname="treated", method=m, se_method="placebo",
                        replications=replications, seed=seed, alp=alp) for m in METHOD_ORDER}
    return OfficeEstimates(yname, res)


def donors_by_type(weights: pd.DataFrame, method: str = "sdid", min_weight: float = 0.01) -> pd.DataFrame:
    """Weight carried by each unit type among the donors (plain-words description of the comparison)."""
    w = weights[(weights["method"] == method) & ~weights["treated"] & (weights["weight"] >= min_weight)]
    out = w.groupby(["outcome", "unit_type"], as_index=False).agg(weight=("weight", "sum"),
                                                                  n_units=("unit_id", "nunique"))
    return out.sort_values(["outcome", "weight"], ascending=[True, False]).reset_index(drop=True)


def _stack(parts: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def estimate_interventions(monthly: pd.DataFrame, unit_info: pd.DataFrame, *, seed: int, alp: float = 0.05,
                           say=print) -> dict[str, pd.DataFrame]:
    """Every intervention of ``interventions.yaml`` the data cover, every outcome: the notebook's tables.

    Returns ``effects`` (one row per outcome and method), ``paths`` (effect by month), ``weights``
    (donor units), ``months`` (pre-launch month weights) and ``donors`` (weight by unit type); each is
    empty when no intervention falls inside the data (``say`` hears which were skipped and why).
    """
    effects, paths, weights, months = [], [], [], []
    for iv in load_interventions():
        launch = launch_period(monthly, iv.launch_month)
        if launch is None or iv.unit_id not in set(monthly["unit_id"]):
            say(f"{iv.name}: the data do not cover {iv.unit_id} in {iv.launch_month}; skipped")
            continue
        for yname in iv.outcomes:
            try:
                panel = office_panel(monthly, iv.unit_id, launch, yname)
            except ValueError as exc:
                say(f"{iv.name}, {yname}: {exc}")
                continue
            est = estimate_office(panel, yname, seed=seed, alp=alp)
            tag = dict(intervention=iv.name, unit_id=iv.unit_id, launch_month=iv.launch_month,
                       **{f"label_{lang}": text for lang, text in iv.label.items()})
            # fewest observations behind one of the office's monthly values (the brief hides effects below min_cell)
            count = "n_skm" if yname == "ikm" else "n_tickets"
            min_obs = int(panel.loc[panel["unit_id"] == iv.unit_id, count].min())
            effects.append(est.overall().assign(**tag, min_obs=min_obs))
            paths.append(est.tidy().query("type == 'effect_path'").assign(**tag))
            weights.append(est.unit_weights(unit_info).assign(intervention=iv.name))
            months.append(est.time_weights().assign(intervention=iv.name))
    out = {"effects": _stack(effects), "paths": _stack(paths), "weights": _stack(weights), "months": _stack(months)}
    out["donors"] = donors_by_type(out["weights"]) if weights else pd.DataFrame()
    return out
