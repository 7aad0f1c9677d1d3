"""A city-wide study adopts in waves by kecamatan; the default (kelurahan-grouped) study does not change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import study as St
from analysis.synth import SynthConfig
from analysis.synth import waves as W
from analysis.synth.world import make_design

ROOT = Path(__file__).resolve().parents[1]
WILAYAH = ROOT.parent / "shared" / "data" / "wilayah" / "kode_wilayah.csv"
COHORTS = [7, 13, 19, 25]


def test_units_of_an_area_adopt_in_its_wave_or_shortly_after():
    area = pd.Series([f"K{i % 10}" for i in range(200)])
    wave, first = W.by_area(area, COHORTS, 0.2, 36, np.random.default_rng(1))
    per_area = pd.DataFrame({"area": area, "wave": wave, "first": first}).groupby("area")
    assert (per_area["wave"].nunique() == 1).all()  # one wave per area
    lag = first - wave
    assert set(lag[wave > 0]) <= set(W.LAG) and (lag[wave == 0] == 0).all()
    waves = per_area["wave"].first()
    assert (waves == 0).sum() == 2  # 20% of 10 areas never adopt
    assert waves[waves > 0].value_counts().max() - waves[waves > 0].value_counts().min() <= 1  # balanced waves
    assert set(waves[waves > 0]) == set(COHORTS)
    again = W.by_area(area, COHORTS, 0.2, 36, np.random.default_rng(1))
    assert np.array_equal(again[1], first)  # seeded


def test_a_lag_never_moves_adoption_past_the_window():
    area = pd.Series(["A"] * 50)
    wave, first = W.by_area(area, [36], 0.0, 36, np.random.default_rng(0))
    assert (first <= 36).all()


def test_the_default_study_keeps_unit_by_unit_cohorts():
    d = make_design(SynthConfig(), np.random.default_rng(SynthConfig().seed))
    assert St.load().grouping == "kelurahan"
    assert set(d.units["first_treat"]) <= {0, *d.cohorts}  # no lags: only the configured cohorts


@pytest.mark.skipif(not WILAYAH.is_file(), reason=f"Kemendagri code list not found at {WILAYAH}")
def test_a_city_study_adopts_by_kecamatan(tmp_path):
    from click.testing import CliRunner

    from analysis.study_create import study as study_cli

    out = tmp_path / "city"
    res = CliRunner().invoke(study_cli, ["create", "--catalogue", str(WILAYAH), "--area", "16.71", "--out", str(out)])
    assert res.exit_code == 0, res.output
    study = St.load(out)
    cfg = SynthConfig(study=str(out))
    d = make_design(cfg, np.random.default_rng(cfg.seed))
    units = d.units.assign(kecamatan=d.units["kelurahan"].map(study.group_of))
    first = units.groupby("kecamatan")["first_treat"]
    never = first.max() == 0
    assert 1 <= never.sum() < len(never)  # some kecamatan never adopt, most do
    adopted = units[units["kecamatan"].isin(never[~never].index)]
    spread = adopted.groupby("kecamatan")["first_treat"].agg(lambda g: g.max() - g.min())
    assert (spread <= W.LAG.max()).all() and (adopted["first_treat"] > 0).all()
    assert (units.groupby("kecamatan")["cohort_mult"].nunique() == 1).all()  # one wave, one effect size
