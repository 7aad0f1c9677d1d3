"""Comparing two runs names the parameters that differ and how the headline moved."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from analysis.cli import main
from analysis.compare import compare_runs


def _run(folder, params, estimate):
    (folder / "tables").mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"parameters": params, "status": "complete"}))
    pd.DataFrame([{"outcome": "ikm", "estimate": estimate, "conf_low": estimate - 1, "conf_high": estimate + 1,
                   "inference": "wild"}]).to_parquet(folder / "tables" / "headline.parquet")
    return folder


def test_compare_runs(tmp_path):
    a = _run(tmp_path / "a", {"control_group": "nevertreated", "seed": 1}, 2.0)
    b = _run(tmp_path / "b", {"control_group": "notyettreated", "seed": 1}, -0.5)
    params, estimates = compare_runs(a, b)
    assert params.to_dict("records") == [{"parameter": "control_group", "run_a": "nevertreated", "run_b": "notyettreated"}]
    row = estimates.iloc[0]
    assert row["change"] == -2.5 and not row["same_sign"]
    result = CliRunner().invoke(main, ["compare", str(a), str(b)])
    assert result.exit_code == 0
    assert "control_group" in result.output and "-2.500" in result.output and "NO" in result.output
