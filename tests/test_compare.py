"""Comparing two runs: parameters that differ, and how each headline estimate moved, for people."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from analysis.cli import main
from analysis.compare import compare_runs, html_report, shown_rows

WIDE = {"COLUMNS": "220"}  # rich tables without folding


def _run(folder, params, rows, run_id=None, inputs=None):
    (folder / "tables").mkdir(parents=True)
    manifest = {"run_id": run_id or folder.name, "parameters": params, "status": "complete",
                "inputs": {"sha256": inputs or {"a.csv": "1"}}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    frame = pd.DataFrame([{"outcome": o, "estimate": e, "conf_low": e - 1 if o == "ikm" else e - 0.02,
                           "conf_high": e + 1 if o == "ikm" else e + 0.02, "inference": inf, "estimator": "cs",
                           "baseline_mean": 0.5 if o != "ikm" else 78.0} for o, e, inf in rows])
    frame.to_parquet(folder / "tables" / "headline.parquet")
    return folder


def test_compare_runs(tmp_path):
    a = _run(tmp_path / "a", {"control_group": "nevertreated", "seed": 1}, [("ikm", 2.0, "wild")])
    b = _run(tmp_path / "b", {"control_group": "notyettreated", "seed": 1}, [("ikm", -0.5, "wild")])
    params, estimates = compare_runs(a, b)
    assert params.to_dict("records") == [{"parameter": "control_group", "run_a": "nevertreated", "run_b": "notyettreated"}]
    row = estimates.iloc[0]
    assert row["change"] == -2.5 and not row["same_sign"] and row["change_low"] == -2.5 and row["note"] == ""
    result = CliRunner(env=WIDE).invoke(main, ["compare", str(a), str(b)])
    assert result.exit_code == 0, result.output
    assert "control_group" in result.output and "TIDAK" in result.output


def test_labels_units_order_and_shares_in_points(tmp_path):
    """Labels with units in the chosen language, in the brief's order, shares as percentage points."""
    params = {"outcomes": ["share_within_1h", "ikm"], "language": "id", "anticipation": 0}
    a = _run(tmp_path / "a", params, [("ikm", 2.0, "wild"), ("share_within_1h", 0.05, "wild")])
    b = _run(tmp_path / "b", {**params, "anticipation": 1}, [("ikm", 3.0, "wild"), ("share_within_1h", 0.08, "wild")])
    result = CliRunner(env=WIDE).invoke(main, ["compare", str(a), str(b), "--language", "en"])
    assert result.exit_code == 0, result.output
    out = result.output
    share = out.index("Priority services finished within 1 hour (percentage points)")
    ikm = out.index("Citizen satisfaction index (IKM) (points)")
    assert share < ikm, "the brief's order (the run's outcomes), not alphabetical"
    assert "+5.0 [3.0; 7.0]" in out and "+8.0 [6.0; 10.0]" in out and "+3.0; +3.0" in out, "shares in percentage points"
    assert "share_within_1h" not in out and "0.080" not in out


def test_zero_change_says_why(tmp_path):
    """inference=auto resolved to wild, so asking for wild changes nothing: the note says so."""
    a = _run(tmp_path / "a", {"inference": "auto", "outcomes": ["ikm"]}, [("ikm", 2.0, "wild")])
    b = _run(tmp_path / "b", {"inference": "wild", "outcomes": ["ikm"]}, [("ikm", 2.0, "wild")])
    _, estimates = compare_runs(a, b, "en")
    assert estimates.loc[0, "note"] == "the same setting was in effect in both runs: inference = wild"
    shown = shown_rows(estimates, "en")[0]
    assert (shown["change"], shown["interval_change"]) == ("0", "0; 0"), "a zero change reads as zero, unsigned"
    c = _run(tmp_path / "c", {"inference": "auto", "outcomes": ["ikm"]}, [("ikm", 2.0, "wild")])
    assert compare_runs(a, c, "en")[1].loc[0, "note"] == "same parameters and data: the same result is expected"
    d = _run(tmp_path / "d", {"inference": "auto", "outcomes": ["ikm"], "min_cell": 20}, [("ikm", 2.0, "wild")])
    assert "(min_cell) do not enter" in compare_runs(a, d, "en")[1].loc[0, "note"]
    result = CliRunner(env=WIDE).invoke(main, ["compare", str(a), str(b)])
    assert "pengaturan yang berlaku sama di kedua run: inference = wild" in result.output


def test_html_side_by_side(tmp_path):
    a = _run(tmp_path / "a", {"outcomes": ["ikm"], "seed": 1}, [("ikm", 2.0, "wild")], run_id="20260101-000000-aaaa")
    b = _run(tmp_path / "b", {"outcomes": ["ikm"], "seed": 2}, [("ikm", 2.5, "wild")], run_id="20260201-000000-bbbb")
    out = tmp_path / "compare.html"
    result = CliRunner(env=WIDE).invoke(main, ["compare", str(a), str(b), "--html", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page == html_report(a, b, "id")
    assert '<html lang="id">' in page and "20260101-000000-aaaa" in page and "20260201-000000-bbbb" in page
    assert "Indeks Kepuasan Masyarakat (IKM) (poin)" in page and "<code>seed</code>" in page and "+0,50" in page
