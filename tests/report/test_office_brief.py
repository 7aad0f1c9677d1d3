"""The brief's one-office finding: plain words, donor types, claims the independent audit recomputes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
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
                 intervention="online_queue", unit_id="DUK01", launch_month="2025-07", min_obs=min_obs,
                 label_id="antrean daring di UPTD Disdukcapil Kecamatan Plaju",
                 label_en="the online queue at the UPTD Disdukcapil Kecamatan Plaju")
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


def _planning_run(tmp: Path) -> Path:
    run = _run(tmp)
    design = pd.DataFrame({"outcome": "ikm", "scenario": ["all_at_once", "staggered_by_kelurahan", "randomised_order"],
                           "n_units": 6, "mde_size_adjusted": [np.nan, 2.61, 2.55], "window": "2026-01..2026-12",
                           "adopt_month": "2026-07", "window_end": "2026-12"})
    design.to_parquet(run / "tables" / "design.parquet")
    pd.DataFrame([dict(outcome="ikm", dimension="uptake", estimate=3.1, std_error=1.4, conf_low=0.3, conf_high=5.9,
                       p_value=0.03, caveat="post-treatment")]).to_parquet(run / "tables" / "intensity_gradient.parquet")
    pd.DataFrame({"unit_id": ["A", "B", "C", "D"], "unit_name": ["Kantor Lurah A", "Kantor Lurah B", "Pustu C", "SD D"],
                  "uptake_tercile": ["low", "low", "low", "high"], "n_asn": [12.0, 11.0, 6.0, 20.0]}).to_parquet(
        run / "tables" / "uptake_scores.parquet")
    return run


@pytest.mark.parametrize("language", ["id", "en"])
def test_design_and_uptake_findings_pass_the_audit(tmp_path, language):
    from analysis.report.planning import design_section, uptake_recommendation, uptake_section

    run = _planning_run(tmp_path)
    led = Ledger("evidence", language)
    res = RunResults(run)
    text = design_section(res, language, ["ikm"], led) + uptake_section(res, language, ["ikm"], led)
    rec = uptake_recommendation(res, language, 10, led)
    led.save(run / "brief", f"kecamatan-{language}")
    plain = re.sub(r"<[^>]+>", "", text + rec)
    assert ("2,6 poin" if language == "id" else "2.6 points") in plain
    assert ("Juli 2026" if language == "id" else "July 2026") in plain
    assert "Kantor Lurah A" in plain and "Pustu C" not in plain  # 6 ASN < min_cell: counted, not named
    assert ("sesudah penerapan" if language == "id" else "after adoption") in plain  # the post-treatment caveat
    claims = pd.read_csv(run / "brief" / "claims.csv", dtype=str, keep_default_na=False)
    assert audit.audit_claims(run, claims) == []
    scores = pd.read_parquet(run / "tables" / "uptake_scores.parquet")
    scores.loc[scores["unit_id"] == "B", "uptake_tercile"] = "middle"  # the named list no longer matches
    scores.to_parquet(run / "tables" / "uptake_scores.parquet")
    assert audit.audit_claims(run, claims)
