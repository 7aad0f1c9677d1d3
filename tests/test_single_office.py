"""The online-queue launch at one office: generator truth, donor panel, and SDID covering the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.evaluation import single_office as so
from analysis.panels import compute_panels, connect_interim
from analysis.synth.config import MessyConfig, SynthConfig
from analysis.synth.generate import generate


@pytest.fixture(scope="module")
def default_world(tmp_path_factory):
    """Default generator settings (clean exports: the truth tables are what cleaning outputs)."""
    raw = generate(tmp_path_factory.mktemp("raw"), SynthConfig(messy=MessyConfig.none()))
    monthly = compute_panels(connect_interim(raw / "_truth" / "clean"))["panel_unit_month"]
    return monthly, pd.read_parquet(raw / "_truth" / "single_office.parquet")


def test_truth_is_the_launch_effect_at_one_office(default_world):
    monthly, truth = default_world
    iv = so.load_interventions()[0]
    assert set(truth["unit_id"]) == {iv.unit_id} and iv.unit_id == SynthConfig().queue_unit
    assert truth["launch_period"].unique().tolist() == [so.launch_period(monthly, iv.launch_month)]
    wait = truth[(truth["outcome"] == "wait_minutes")]
    assert (wait["att"] < 0).all() and wait["period"].isna().sum() == 1  # shorter waits, one overall row
    assert wait["period"].min() == wait["launch_period"].iloc[0]


def test_sdid_interval_covers_the_true_launch_effect(default_world):
    monthly, truth = default_world
    iv = so.load_interventions()[0]
    launch = so.launch_period(monthly, iv.launch_month)
    panel = so.office_panel(monthly, iv.unit_id, launch, "wait_minutes")
    assert panel.loc[panel["treated"] == 1, "unit_id"].unique().tolist() == [iv.unit_id]
    assert panel.groupby("unit_id")["period"].nunique().nunique() == 1  # balanced
    est = so.estimate_office(panel, "wait_minutes", seed=20240101)
    overall = est.overall().set_index("method")
    true = truth[(truth["outcome"] == "wait_minutes") & truth["period"].isna()]["att"].item()
    row = overall.loc["sdid"]
    assert row["conf_low"] <= true <= row["conf_high"], (true, row.to_dict())
    assert row["conf_high"] < 0  # the launch is detected, not just covered by a wide interval
    assert set(overall.index) == {"sdid", "sc", "did"} and np.isfinite(overall["std_error"]).all()
    info = monthly.drop_duplicates("unit_id")[["unit_id", "unit_type"]]
    by_type = so.donors_by_type(est.unit_weights(info))
    assert by_type["weight"].sum() == pytest.approx(1.0, abs=0.05)  # donor weights below 1% dropped
    assert iv.unit_id not in set(est.unit_weights(info).query("~treated")["unit_id"])


def test_stable_donors_drop_offices_adopting_inside_the_window(default_world):
    monthly, _ = default_world
    iv = so.load_interventions()[0]
    launch = so.launch_period(monthly, iv.launch_month)
    allp = so.office_panel(monthly, iv.unit_id, launch, "wait_minutes")
    stable = so.office_panel(monthly, iv.unit_id, launch, "wait_minutes", donors="stable", min_donors=2)
    g = stable.drop_duplicates("unit_id").set_index("unit_id")["first_treat"]
    start = launch - 12
    assert ((g == 0) | (g <= start - 12) | (g.index == iv.unit_id)).all()
    assert stable["unit_id"].nunique() < allp["unit_id"].nunique()
    with pytest.raises(ValueError, match="placebo inference needs at least 5"):
        so.office_panel(monthly, iv.unit_id, launch, "wait_minutes", donors="stable")
    with pytest.raises(ValueError, match="not in the monthly panel"):
        so.office_panel(monthly, "NOPE", launch, "wait_minutes")
