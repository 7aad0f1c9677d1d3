"""The planner's rollout comparison on the project's own panel: schedules, calendar, MDE table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.evaluation import rollout as ro


def _monthly(n_units=10, months=24, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_units):
        g = 0 if i >= 6 else (7 if i < 3 else 13)  # 4 units not yet adopted
        kel = ("A", "A", "B", "C")[i % 4]
        for p in range(1, months + 1):
            rows.append(dict(unit_id=f"U{i:02d}", kelurahan=kel, unit_type="school", period=p,
                             month=pd.Timestamp("2024-01-01") + pd.DateOffset(months=p - 1), first_treat=g,
                             ikm=80 + i + rng.normal(0, 1) + (2.0 if g and p >= g else 0.0)))
    return pd.DataFrame(rows)


def test_plan_maps_calendar_months_to_periods():
    plan = ro.Plan("2026-07", follow_months=6, pre_months=6)
    start, first, n = plan.window()
    assert (start, first, n) == (pd.Timestamp("2026-01-01"), 7, 12)
    assert plan.month_of(first) == "2026-07" and plan.month_of(n) == "2026-12"
    assert ro.default_adopt_month("2025-12") == "2026-07" and ro.default_adopt_month("2025-06") == "2025-07"


def test_schedules_of_the_remaining_units():
    monthly = _monthly()
    units = ro.remaining_units(monthly, "ikm")
    assert list(units["unit_id"]) == ["U06", "U07", "U08", "U09"]
    plan = ro.Plan("2026-07", spacing=2)
    scen = {s.name: s for s in ro.schedules(units, plan, seed=1)}
    assert set(scen) == set(ro.SCHEDULES)
    assert set(scen["all_at_once"].cohorts) == {7}
    kel = dict(zip(units["unit_id"], units["kelurahan"]))
    stag = dict(scen["staggered_by_kelurahan"].adoption)
    assert all(stag[a] == stag[b] for a in kel for b in kel if kel[a] == kel[b])  # a kelurahan adopts together
    assert sorted(set(stag.values())) == [7, 9, 11]
    assert ro.schedules(units, plan, seed=1)[2] == ro.schedules(units, plan, seed=1)[2]  # seeded


def test_compare_schedules_table_and_calendar():
    monthly = _monthly()
    table, calendar = ro.compare_schedules(monthly, ["ikm"], ro.Plan("2026-07"), reps=40, seed=3)
    assert list(table["scenario"]) == list(ro.SCHEDULES)
    # all four adopt at once: nothing left to compare within the window
    assert np.isnan(table.set_index("scenario").loc["all_at_once", "mde"])
    staggered = table.set_index("scenario").loc["staggered_by_kelurahan"]
    assert staggered["mde"] > 0 and staggered["ci_width"] > 0
    assert set(calendar["adoption_month"]) <= {"", "2026-07", "2026-09", "2026-11"}
    again, _ = ro.compare_schedules(monthly, ["ikm"], ro.Plan("2026-07"), reps=40, seed=3, n_jobs=2)
    pd.testing.assert_frame_equal(table, again)  # parallel draws give the same numbers
