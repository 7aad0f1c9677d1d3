"""Above ``brief_max_rows`` units, a brief's per-unit IKM table becomes a summary by area plus the units at
each end: its numbers are those of the full table, every one is a claim the audit recomputes, and units
below ``min_cell`` respondents enter none of them. At or below the threshold the brief is unchanged."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import audit
from analysis.outputs import save_table
from analysis.report import brief
from brief_run_fixture import KELURAHAN, make_run

MIN_CELL = 10
ENDS = 3


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The fabricated Plaju run (30 units, grouped by kelurahan) with a threshold of 10 units a table."""
    run = make_run(tmp_path_factory.mktemp("summary") / "run",
                   parameters_changed={"brief_max_rows": 10, "brief_end_rows": ENDS})
    het = pd.read_parquet(run / "tables" / "heterogeneity.parquet")
    schedule = pd.read_parquet(run / "tables" / "adoption_schedule.parquet")
    extra = [{"outcome": "ikm", "dimension": "kelurahan", "level": k, "n_units": len(part),
              "estimate": 2.0 + i / 10, "std_error": 0.5, "conf_low": 1.0 + i / 10, "conf_high": 3.0 + i / 10}
             for i, (k, part) in enumerate(schedule.groupby("kelurahan"))]
    save_table(pd.concat([het, pd.DataFrame(extra)], ignore_index=True), "heterogeneity", run, notebook="fixture")
    return run


@pytest.fixture
def run(template, tmp_path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "run"))


def _claims(run: Path, folder: str = "brief") -> pd.DataFrame:
    return pd.read_csv(run / folder / "claims.csv", dtype=str, keep_default_na=False)


def _latest(run: Path) -> pd.DataFrame:
    """The full per-unit table of the latest quarter, with each unit's kelurahan (computed here, not by the brief)."""
    ikm = pd.read_parquet(run / "tables" / "ikm_unit_quarter.parquet")
    schedule = pd.read_parquet(run / "tables" / "adoption_schedule.parquet")
    last = ikm[ikm["quarter"] == ikm["quarter"].max()]
    return last.merge(schedule[["unit_id", "kelurahan"]], on="unit_id")


def _threshold(run: Path, value: int) -> None:
    path = run / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["parameters"]["brief_max_rows"] = manifest["parameters_changed"]["brief_max_rows"] = value
    path.write_text(json.dumps(manifest), encoding="utf-8")


def test_the_summary_by_area_has_the_numbers_of_the_full_table(run):
    text = brief.evidence_sections(run, "id", MIN_CELL, "", 0.05)
    claims = _claims(run)
    claims = claims[(claims["table"] == "ikm_unit_quarter") & (claims["section"] == "evidence")]
    last = _latest(run)
    shown = last[last["n"] >= MIN_CELL]
    assert len(shown) < len(last), "the fixture has units below min_cell"
    by_area = claims[claims["row"].str.contains(r"^quarter=\d+&unit_id=", regex=True)]
    seen = set()
    for kelurahan, units in last.groupby("kelurahan"):
        ids = "|".join(sorted(units["unit_id"]))
        mine = by_area[by_area["row"].str.contains(f"unit_id={re.escape(ids)}(?:&|$)", regex=True)]
        ok = shown[shown["kelurahan"] == kelurahan]
        def value(column, rule, extra=""):
            pick = (mine["column"] == column) & (mine["rule"] == rule) & mine["row"].str.endswith(extra)
            return float(mine.loc[pick, "value"].iloc[0])

        assert value("unit_id", "count", ids) == len(units)
        assert value("unit_id", "count", f"&n>={MIN_CELL}") == len(ok)
        assert value("unit_id", "count", "&meets_sample=true") == units["meets_sample"].sum()
        if len(ok):
            assert value("n", "sum") == ok["n"].sum()
            assert value("ikm", "wmean:n") == pytest.approx((ok["ikm"] * ok["n"]).sum() / ok["n"].sum(), rel=1e-12)
            assert value("ikm", "min") == pytest.approx(ok["ikm"].min())
            assert value("unit_id", "count", "&mutu=C|D") == ok["mutu"].isin(["C", "D"]).sum()
        seen.add(kelurahan)
    assert seen == set(last["kelurahan"])
    # the ends: the lowest and the highest IKM among the units shown, with their rank
    ranks = claims[claims["rule"].str.startswith("rank_desc:")]
    order = shown.sort_values(["ikm", "unit_id"], ascending=[False, True])["unit_id"].tolist()
    named = [re.match(r"unit_id=([^&]+)", r).group(1) for r in ranks["row"]]
    assert named == order[::-1][:ENDS] + order[:ENDS]
    assert [int(v) for v in ranks["value"]] == [order.index(u) + 1 for u in named]
    # no row per unit, and the sentence says where every unit is
    assert sum(name in text for name in last["unit_name"]) == 2 * ENDS
    assert "tables/ikm_unit_quarter.csv" in text


def test_the_audit_recomputes_every_summary_number(run):
    for language in ("id", "en"):
        for section in ("summary_section", "evidence_sections", "limitations_section", "recommendations_section",
                        "provenance_section"):
            getattr(brief, section)(run, language, MIN_CELL, "", 0.05)
    checked, problems = audit.audit_run(run)
    assert checked > 300 and problems == [], [p.line() for p in problems[:5]]
    # a changed unit changes its area's figures: the audit names them
    ikm = pd.read_parquet(run / "tables" / "ikm_unit_quarter.parquet")
    last = ikm["quarter"] == ikm["quarter"].max()
    ikm.loc[last & (ikm["unit_id"] == "U05"), ["ikm", "n"]] = [99.0, 500]
    save_table(ikm, "ikm_unit_quarter", run, notebook="fixture")
    wrong = {p.found for p in audit.audit_run(run)[1] if "ikm_unit_quarter" in p.why}
    assert wrong, "the audit missed a changed unit inside a summary"


def test_small_units_enter_no_figure(run):
    text = brief.evidence_sections(run, "id", MIN_CELL, "", 0.05)
    last = _latest(run)
    small = last[last["n"] < MIN_CELL]
    assert len(small)
    claims = _claims(run)
    for unit in small["unit_id"]:
        assert not claims["row"].str.startswith(f"unit_id={unit}&").any()  # no rank, IKM or count of its own
    assert not (small["unit_name"].map(lambda name: name in text)).any()
    sums = claims[(claims["rule"] == "sum") & (claims["table"] == "ikm_unit_quarter")]
    assert sums["row"].str.contains(f"&n>={MIN_CELL}").all()  # respondents only of units whose IKM is shown


def test_findings_per_area_of_the_grouping_level(run):
    text = brief.evidence_sections(run, "en", MIN_CELL, "", 0.05)
    assert "Differences by kelurahan/village" in text
    claims = _claims(run, "brief-en")
    het = claims[(claims["table"] == "heterogeneity") & claims["row"].str.contains("dimension=kelurahan")]
    assert set(het.loc[het["column"] == "n_units", "row"].str.extract(r"level=(.+)$")[0]) == set(KELURAHAN)
    assert set(het["column"]) >= {"estimate", "conf_low", "conf_high", "n_units"}


def test_an_area_brief_is_summarised_one_level_finer(run):
    area = "Plaju Ulu"
    _threshold(run, 3)  # the kelurahan has 6 units
    text = brief.evidence_sections(run, "id", MIN_CELL, "", 0.05, area)
    assert "IKM per jenis unit" in text  # a kelurahan's units, by unit type
    for section in ("summary_section", "limitations_section", "recommendations_section", "provenance_section"):
        getattr(brief, section)(run, "id", MIN_CELL, "", 0.05, area)
    checked, problems = audit.audit_run(run)
    assert problems == [], [p.line() for p in problems[:5]]


def test_at_or_below_the_threshold_nothing_changes(run, tmp_path):
    _threshold(run, 30)  # the fixture's 30 units: listed one by one, as before the rule
    listed = brief.evidence_sections(run, "id", MIN_CELL, "", 0.05)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    del manifest["parameters"]["brief_max_rows"]  # a run made before the parameter: its default (60)
    del manifest["parameters_changed"]["brief_max_rows"]
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert brief.evidence_sections(run, "id", MIN_CELL, "", 0.05) == listed
    last = _latest(run)
    assert all(name in listed for name in last["unit_name"])
    assert "tables/ikm_unit_quarter.csv" not in listed and "Perbedaan menurut" not in listed
    _threshold(run, 29)
    assert "tables/ikm_unit_quarter.csv" in brief.evidence_sections(run, "id", MIN_CELL, "", 0.05)
