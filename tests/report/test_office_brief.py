"""The brief's one-office finding: plain words, donor types, claims the independent audit recomputes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import audit
from analysis.report.claims import Ledger
from analysis.report.office import single_office_section
from analysis.report.results import RunResults


def _run(tmp: Path, estimate=-5.4, low=-8.5, high=-2.3, min_obs=500) -> Path:
    (tmp / "tables").mkdir(parents=True)
    (tmp / "manifest.json").write_text(json.dumps({"parameters": {"alp": 0.05, "min_cell": 10}}))
    rows = [dict(outcome="wait_minutes", method=m, estimator=m, estimate=estimate, std_error=1.5, conf_low=low,
                 conf_high=high, p_value=0.01, placebo_p_value=0.005, n_donors=10, n_pre=12, n_post=6,
                 intervention="online_queue", unit_id="DUK01", launch_month="2025-07", min_obs=min_obs)
            for m in ("sdid", "sc", "did")]
    pd.DataFrame(rows).to_parquet(tmp / "tables" / "single_office.parquet")
    pd.DataFrame({"outcome": "wait_minutes", "unit_type": ["kelurahan", "disdukcapil", "kecamatan"],
                  "weight": [0.65, 0.25, 0.10], "n_units": [7, 2, 1]}).to_parquet(
        tmp / "tables" / "single_office_donors.parquet")
    return tmp


def _section(run: Path, language: str) -> tuple[str, pd.DataFrame]:
    led = Ledger("evidence", language)
    text = single_office_section(RunResults(run), language, 0.05, 10, led)
    led.save(run / "brief", f"kecamatan-{language}")
    text = re.sub(r"<[^>]+>", "", text)  # the claims' hover spans
    return text, pd.read_csv(run / "brief" / "claims.csv", dtype=str, keep_default_na=False)


@pytest.mark.parametrize("language, words", [("id", ("membaik", "kantor kelurahan (7)", "Juli 2025")),
                                             ("en", ("improved", "sub-district office (7)", "July 2025"))])
def test_office_finding_in_plain_words_passes_the_audit(tmp_path, language, words):
    run = _run(tmp_path)
    text, claims = _section(run, language)
    for word in words:
        assert word in text
    assert "DUK02" not in text and "Gerai" not in text  # donors named by type, not one by one
    assert "office_conclusion" in set(claims["rule"])
    assert audit.audit_claims(run, claims) == []


def test_audit_catches_a_wrong_office_judgement(tmp_path):
    run = _run(tmp_path)
    _, claims = _section(run, "id")
    table = pd.read_parquet(run / "tables" / "single_office.parquet")
    table[["estimate", "conf_low", "conf_high"]] = [[1.0, -0.5, 2.5]] * 3  # interval now spans zero
    table.to_parquet(run / "tables" / "single_office.parquet")
    bad = audit.audit_claims(run, claims)
    assert any(d.found == "zero" for d in bad)


def test_small_office_effect_is_not_printed(tmp_path):
    run = _run(tmp_path, min_obs=4)
    text, claims = _section(run, "en")
    assert "not shown" in text and "5.4" not in text
    assert audit.audit_claims(run, claims) == []
