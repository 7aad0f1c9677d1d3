"""The planner's question on the project's own data: when and how should the remaining units adopt?

From the monthly panel: the units that have not adopted yet are the ones to schedule;
each outcome's noise model (:func:`analysis.design.fit_panel_model`) is fitted on the
untreated months; three candidate schedules are simulated over a future window given
in calendar months (``window_start`` .. ``adopt_month`` + ``follow_months`` - 1, period 1
= ``window_start``):

* ``all_at_once``: every remaining unit adopts in ``adopt_month``;
* ``staggered_by_kelurahan``: the kelurahan adopt one after another, ``spacing`` months apart;
* ``randomised_order``: units in a seeded random order, in ``n_waves`` waves ``spacing`` apart.

With every remaining unit adopting and none left out, "all at once" has no comparison
in the window and its MDE is missing: that is the answer (staggering is what makes the
rollout evaluable), not a failure.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis import design as dz

SCHEDULES = ("all_at_once", "staggered_by_kelurahan", "randomised_order")


@dataclass(frozen=True)
class Plan:
    """A planner's scenario in calendar months."""

    adopt_month: str  # YYYY-MM, first adoption month
    follow_months: int = 6  # months observed from the first adoption on
    pre_months: int = 6  # months observed before it (the window's start)
    spacing: int = 2  # months between waves of the staggered schedules
    n_waves: int = 3

    def window(self) -> tuple[pd.Timestamp, int, int]:
        """(first month of the window, period of ``adopt_month``, number of periods)."""
        adopt = pd.Timestamp(self.adopt_month + "-01")
        start = adopt - pd.DateOffset(months=self.pre_months)
        return start, self.pre_months + 1, self.pre_months + self.follow_months

    def month_of(self, period: int) -> str:
        start, _, _ = self.window()
        return (start + pd.DateOffset(months=int(period) - 1)).strftime("%Y-%m")


def default_adopt_month(data_end: str) -> str:
    """The first July after the data end, YYYY-MM (the planner's "if the remaining units adopt in July")."""
    year, month = (int(x) for x in data_end.split("-"))
    return f"{year if month < 7 else year + 1}-07"


def remaining_units(monthly: pd.DataFrame, yname: str) -> pd.DataFrame:
    """Units that have not adopted and report ``yname``: ``unit_id, kelurahan, unit_type``."""
    have = monthly[monthly[yname].notna()]
    units = have.drop_duplicates("unit_id")
    return units.loc[units["first_treat"] == 0, ["unit_id", "kelurahan", "unit_type"]].reset_index(drop=True)


def schedules(units: pd.DataFrame, plan: Plan, seed: int) -> list[dz.Scenario]:
    """The three candidate schedules for ``units`` (``unit_id, kelurahan``) under ``plan``.

    Waves that would start after the window leave their units as comparisons (they adopt
    after the follow-up).
    """
    _, first, n_periods = plan.window()
    ids = list(units["unit_id"])
    groups = dict(zip(units["unit_id"], units["kelurahan"]))
    room = max(n_periods, first + plan.spacing * max(len(set(groups.values())), plan.n_waves))
    drafts = [
        dz.all_at_once(ids, start=first, n_periods=room, name="all_at_once"),
        dz.staggered_by_group(groups, start=first, spacing=plan.spacing, n_periods=room,
                              name="staggered_by_kelurahan"),
        dz.randomised_order(ids, start=first, n_waves=min(plan.n_waves, len(ids)), spacing=plan.spacing,
                            n_periods=room, seed=seed, name="randomised_order"),
    ]
    return [dz.Scenario(d.name, tuple((u, g if g <= n_periods else 0) for u, g in d.adoption), n_periods)
            for d in drafts]


def compare_schedules(monthly: pd.DataFrame, outcomes: list[str], plan: Plan, *, reps: int = 200, seed: int = 0,
                      n_jobs: int = 1, progress: bool = False, alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """MDE (80% power) and interval width per outcome and schedule; and each schedule's calendar.

    Outcomes with fewer than two remaining units are skipped (listed in the table with a note).
    """
    tables, calendars, skipped = [], [], []
    for yname in outcomes:
        if yname not in monthly.columns:
            skipped.append(dict(outcome=yname, note="not in the monthly panel (weekly outcomes are not simulated)"))
            continue
        units = remaining_units(monthly, yname)
        if len(units) < 2:
            skipped.append(dict(outcome=yname, note=f"{len(units)} unit(s) left to adopt"))
            continue
        model = dz.fit_panel_model(monthly, yname, "period", "unit_id", "first_treat")
        scen = schedules(units, plan, seed)
        res = dz.simulate_design(model, scen, reps=reps, seed=seed, n_jobs=n_jobs, progress=progress, alpha=alpha)
        tables.append(res.tidy())
        for s in scen:
            cal = s.table().rename(columns={"unit": "unit_id"})
            cal["adoption_month"] = [plan.month_of(g) if g else "" for g in cal["adoption_period"]]
            calendars.append(cal.assign(outcome=yname, scenario=s.name))
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=dz.TIDY_DESIGN_COLUMNS)
    order = {name: i for i, name in enumerate(SCHEDULES)}
    table = table.sort_values(["outcome", "scenario"], key=lambda c: c.map(order) if c.name == "scenario" else c)
    table["note"] = ""
    if skipped:
        table = pd.concat([table, pd.DataFrame(skipped)], ignore_index=True)
    start, first, n_periods = plan.window()
    table["window"] = f"{start:%Y-%m}..{plan.month_of(n_periods)}"
    table["adopt_month"], table["window_end"] = plan.adopt_month, plan.month_of(n_periods)
    calendar = pd.concat(calendars, ignore_index=True) if calendars else pd.DataFrame()
    return table.reset_index(drop=True), calendar
