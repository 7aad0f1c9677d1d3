"""Uptake measures (unit x month) and effects by uptake tercile against the generator's true gradient."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.evaluation import intensity
from analysis.evaluation.estimate import Spec
from analysis.evaluation.panel import OutcomePanel
from analysis.panels import compute_panels, connect_interim
from analysis.synth.config import MessyConfig, SynthConfig
from analysis.synth.generate import generate
from analysis.uptake import PANEL_UPTAKE, UPTAKE_MEASURES

warnings.filterwarnings("ignore", category=UserWarning)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    raw = generate(tmp_path_factory.mktemp("raw"), SynthConfig(messy=MessyConfig.none()))
    panels = compute_panels(connect_interim(raw / "_truth" / "clean"))
    truth = {n: pd.read_parquet(raw / "_truth" / f"{n}.parquet") for n in ("uptake", "unit_effects")}
    return panels, truth


def test_uptake_measures_vary_and_follow_true_uptake(world):
    panels, truth = world
    up = panels["panel_unit_month_uptake"]
    PANEL_UPTAKE.validate(up)
    assert len(up) == len(panels["panel_unit_month"])
    for col in UPTAKE_MEASURES:
        assert up[col].std() > 0, col
    assert up["ontime_share"].between(0, 1).all() and up["appraised_share"].between(0, 1).all()
    u = truth["uptake"].set_index("unit_id")
    assert u["paper_adopter"].sum() >= 3  # units adopting on paper, with low uptake
    post = up[(up["first_treat"] > 0) & (up["period"] >= up["first_treat"])]
    by_unit = post.groupby("unit_id")["ontime_share"].mean()
    assert np.corrcoef(by_unit, u.loc[by_unit.index, "uptake"])[0, 1] > 0.8
    pre = up[up["period"] < up["first_treat"].where(up["first_treat"] > 0, 10**6)]
    assert pre["ontime_share"].mean() < post["ontime_share"].mean()


def test_uptake_gradient_covers_the_truth(world):
    panels, truth = world
    month = panels["panel_unit_month"]
    scores = intensity.unit_scores(panels["panel_unit_month_uptake"])
    assert set(scores["uptake_tercile"].dropna()) == {"low", "middle", "high"}
    data = month[month["ikm"].notna()][["unit_id", "period", "first_treat", "ikm"]]
    terciles = intensity.by_tercile(OutcomePanel("ikm", data, "period"), Spec(inference="analytic"), scores, "uptake")
    assert terciles["caveat"].str.contains("post-treatment").all()
    grad = intensity.gradient(terciles).iloc[0]
    # true gradient: the same high-minus-low contrast of each unit's true effect, weighted by post months
    eff = truth["unit_effects"].query("outcome == 'ikm'")
    eff = eff.assign(tercile=eff["unit_id"].map(scores.set_index("unit_id")["uptake_tercile"]))
    mean = eff.groupby("tercile").apply(lambda x: np.average(x["att"], weights=x["n_post"]), include_groups=False)
    true = mean["high"] - mean["low"]
    assert true > 0  # the generator's effects rise with uptake
    assert grad["conf_low"] <= true <= grad["conf_high"], (true, grad.to_dict())
    assert grad["conf_low"] > 0  # and the split detects it


def test_readiness_is_measured_before_adoption(world):
    panels, _ = world
    up = panels["panel_unit_month_uptake"]
    changed = up.copy()
    post = changed["period"] >= changed["first_treat"]
    changed.loc[post, "ontime_share"] = 0.0  # anything after adoption must not move readiness
    a, b = intensity.unit_scores(up), intensity.unit_scores(changed)
    pd.testing.assert_series_equal(a["readiness"], b["readiness"])
    assert not a["uptake"].equals(b["uptake"])
