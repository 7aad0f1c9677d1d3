"""Generator parameters act as documented: anticipation, pre-trend violation, effect scale, window, safety."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.panels import compute_panels, connect_frames
from analysis.synth import MessyConfig, SynthConfig, generate
from analysis.synth import world
from analysis.synth.generate import canonical
from analysis.synth.truth import aggregates, att_gt

BASE = dict(seed=11, months=10, scale=0.2, skm_sample_scale=0.2)


def simulate(**kw):
    """Both potential-outcome worlds and their panels, without writing exports."""
    cfg = SynthConfig(**{**BASE, **kw})
    rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 1]))
    d = world.make_design(cfg, rng)
    roster = world.make_roster(d, rng)
    draws = world.make_draws(d, roster, rng)
    obs = compute_panels(connect_frames(canonical(world.build_tables(d, roster, draws, True))))
    cf = compute_panels(connect_frames(canonical(world.build_tables(d, roster, draws, False))))
    return d, obs, cf, att_gt(obs, cf)


@pytest.fixture(scope="module")
def base():
    return simulate()


def test_cohorts_and_never_treated(base):
    d, *_ = base
    ft = d.units["first_treat"]
    assert sorted(ft[ft > 0].unique()) == [3, 4, 6, 8]  # round(f * 10) + 1 for f in 1/6, 1/3, 1/2, 2/3
    assert (ft == 0).sum() >= 4
    for typ in ("disdukcapil", "puskesmas", "school"):
        assert (ft[d.units["unit_type"] == typ] == 0).any() or typ == "disdukcapil"


def test_no_effect_before_adoption_and_growth_after(base):
    _, _, _, att = base
    m = att[att["panel"] == "panel_unit_month"]
    assert (m.loc[m["period"] < m["group"], "att"] == 0).all()
    tc = m[(m["outcome"] == "training_coverage") & (m["group"] == 3)].set_index("period")["att"]
    assert tc.loc[10] > tc.loc[4] >= 0


def test_effect_scale_zero_means_no_effect():
    _, _, _, att = simulate(effect_scale=0.0)
    assert (att["att"] == 0).all()
    agg = aggregates(att)
    assert (agg["att"] == 0).all()


def test_pretrend_violation_moves_untreated_outcomes_of_adopters_only(base):
    d, obs0, *_ = base
    _, obs1, *_ = simulate(pretrend_violation=2.0)
    a = obs0["panel_unit_month"].set_index(["unit_id", "period"])["online_share"]
    b = obs1["panel_unit_month"].set_index(["unit_id", "period"])["online_share"]
    never = d.units.loc[d.units["first_treat"] == 0, "unit_id"]
    late = d.units.loc[d.units["first_treat"] == 8, "unit_id"]
    pd.testing.assert_series_equal(a[a.index.get_level_values(0).isin(never)],
                                   b[b.index.get_level_values(0).isin(never)])
    gap = (b - a)[b.index.get_level_values(0).isin(late)].groupby(level=1).mean().dropna()
    assert gap.loc[7] > gap.loc[1]  # the later cohort drifts away before it adopts


def test_generate_refuses_to_overwrite_foreign_files(tmp_path):
    (tmp_path / "real_export.csv").write_text("NIP,Nama\n")
    with pytest.raises(FileExistsError):
        generate(tmp_path, SynthConfig(**BASE, messy=MessyConfig.none()))
    assert (tmp_path / "real_export.csv").exists()


def test_window_starting_mid_quarter_with_anticipation(tmp_path):
    """A window that starts in May (partial quarter, semester begun) still cleans to the truth."""
    from analysis import schemas
    from analysis.clean import clean_raw
    from analysis.panels import build_panels

    raw = generate(tmp_path / "raw", SynthConfig(**{**BASE, "start": "2023-05", "months": 9, "anticipation": 1}))
    rep = clean_raw(raw, tmp_path / "interim")
    assert rep.balanced()
    for table, sch in schemas.CANONICAL.items():
        got = schemas.conform(pd.read_parquet(tmp_path / "interim" / f"{table}.parquet"), sch)
        want = schemas.conform(pd.read_parquet(raw / "_truth" / "clean" / f"{table}.parquet"), sch)
        pd.testing.assert_frame_equal(got, want)
    p = {k: pd.read_parquet(v) for k, v in build_panels(tmp_path / "interim", tmp_path / "processed").items()}
    um = p["panel_unit_month"]
    assert um["month"].min() == pd.Timestamp("2023-05-01") and um["period"].max() == 9
    assert p["ikm_unit_quarter"]["quarter_label"].iloc[0] == "2023Q2"
    assert um.loc[um["unit_type"] == "school", "assessment_score"].notna().all()
    att = pd.read_parquet(raw / "_truth" / "att_gt.parquet")
    m = att[att["panel"] == "panel_unit_month"]
    assert (m.loc[m["period"] < m["group"] - 1, "att"] == 0).all()
    assert (m.loc[m["period"] == m["group"] - 1, "att"] != 0).any()
