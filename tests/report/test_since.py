"""Evaluation that continues: a run whose data extend an earlier run's opens with "Sejak analisis sebelumnya"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import continuity
from analysis.continuity import previous_run, since_table
from analysis.report.brief import summary_section
from brief_run_fixture import set_value
from brief_text import plain


def since_section(run_dir, language):
    """The section as a reader sees it (claim spans removed)."""
    return plain(continuity.since_section(run_dir, language))

EARLIER = "20251010-090000-3fa2c1d9"
LATER = "20260115-083000-3fa2c1d9"


def _as_run(template: Path, folder: Path, run_id: str, started: str, data_end: str, **params) -> Path:
    run = Path(shutil.copytree(template, folder / run_id))
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    manifest.update(run_id=run_id, status="complete", started_at=started)
    manifest["parameters"].update(params)
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    info = pd.read_parquet(run / "tables" / "run_info.parquet")
    info["data_end"] = data_end
    info.to_parquet(run / "tables" / "run_info.parquet")
    return run


@pytest.fixture
def runs(run_template, tmp_path):
    """The earlier run (data to September 2024) and the later one (to December 2024), IKM moved and narrowed."""
    folder = tmp_path / "runs"
    earlier = _as_run(run_template, folder, EARLIER, "2025-10-10T09:00:00+00:00", "2024-09")
    later = _as_run(run_template, folder, LATER, "2026-01-15T08:30:00+00:00", "2024-12")
    for column, value in (("estimate", 2.8), ("conf_low", 0.2), ("conf_high", 5.4)):
        set_value(earlier, "headline", "ikm", column, value)
    return earlier, later


def test_later_run_finds_the_run_it_continues(runs):
    earlier, later = runs
    assert previous_run(later) == earlier
    assert previous_run(earlier) is None, "nothing before the first run"


def test_tidy_table_in_the_briefs_order(runs):
    earlier, later = runs
    table = since_table(later, earlier)
    assert list(table["outcome"][:2]) == ["ikm", "wait_minutes"]
    ikm = table.iloc[0]
    assert ikm["estimate_before"] == 2.8 and ikm["estimate"] == 3.24
    assert ikm["change"] == pytest.approx(0.44) and ikm["width"] < ikm["width_before"]
    assert table.iloc[1]["change"] == 0


def test_section_in_bahasa_indonesia_opens_the_brief(runs):
    earlier, later = runs
    text = since_section(later, "id")
    assert text.startswith("## Sejak analisis sebelumnya")
    assert f"run {EARLIER}" in text and "3 bulan baru (Oktober 2024–Desember 2024)" in text
    assert ("- Indeks Kepuasan Masyarakat (IKM): perkiraan naik dari +2,8 poin menjadi +3,2 poin; "
            "selang 95% menyempit (dari 0,2 sampai 5,4 poin menjadi 1,1 sampai 5,4 poin).") in text
    assert "- Waktu tunggu: perkiraan tetap −12 menit; selang 95% tetap (−17 sampai −7 menit)." in text
    headings = [line for line in summary_section(later, "id").splitlines() if line.startswith("## ")]
    assert headings[0] == "## Sejak analisis sebelumnya", "the brief opens with what changed"


def test_section_in_english(runs):
    _, later = runs
    text = since_section(later, "en")
    assert text.startswith("## Since the previous analysis") and "3 new months (October 2024–December 2024)" in text
    assert "the estimate rose from +2.8 points to +3.2 points; the 95% interval narrowed (from 0.2 to 5.4" in text
    assert "Waiting time: the estimate stayed at −12 minutes; the 95% interval is unchanged (−17 to −7 minutes)." in text


@pytest.mark.parametrize("change", ["other_study", "incomplete", "same_months"])
def test_no_section_without_an_earlier_run_of_the_same_study(runs, change):
    earlier, later = runs
    manifest = json.loads((earlier / "manifest.json").read_text(encoding="utf-8"))
    if change == "other_study":
        manifest["parameters"]["control_group"] = "notyettreated"
    elif change == "incomplete":
        manifest["status"] = "failed"
    else:
        info = pd.read_parquet(earlier / "tables" / "run_info.parquet")
        info["data_end"] = "2024-12"
        info.to_parquet(earlier / "tables" / "run_info.parquet")
    (earlier / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert previous_run(later) is None and since_section(later, "id") == ""


def test_since_names_the_earlier_run_explicitly(runs):
    earlier, later = runs
    manifest = json.loads((later / "manifest.json").read_text(encoding="utf-8"))
    manifest["since"] = EARLIER
    manifest["parameters"]["control_group"] = "notyettreated"  # another study: only --since links them
    (later / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert previous_run(later) == earlier


def test_since_numbers_are_claims_the_audit_checks(runs):
    from analysis import audit
    from analysis.report import brief

    _, later = runs
    summary = brief.summary_section(later, "id", 10, "", 0.05)  # writes brief/claims.csv
    claims = pd.read_csv(later / "brief" / "claims.csv", dtype=str, keep_default_na=False)
    since = claims[claims["table"] == "since_previous"]
    assert {"estimate_before", "estimate", "new_months", "previous_run"} <= set(since["column"])
    assert 'data-claim="' in summary.split("## Sejak analisis sebelumnya")[1].split("##")[0]
    assert audit.audit_run(later, only="brief")[1] == []
    set_value(later, "since_previous", "ikm", "estimate_before", 1.5)  # the earlier estimate misquoted
    problems = audit.audit_run(later, only="brief")[1]
    assert any(p.claimed == "2.8" or "2,8" in p.text for p in problems), [p.line() for p in problems]
