"""Raw files that cleaning did not read are listed in the brief's data section, with their reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from analysis import audit
from analysis.outputs import save_table
from brief_text import brief


def _with_ignored(run_template: Path, tmp_path: Path) -> Path:
    run = Path(shutil.copytree(run_template, tmp_path / "run"))
    quality = pd.read_parquet(run / "tables" / "data_quality.parquet")
    extra = pd.DataFrame([{"file": "notes/catatan_2024.docx", "table": "", "status": "ignored",
                           "note": "name matches no known export (see README: Data)"},
                          {"file": "skp/~$skp_2024.xlsx", "table": "", "status": "ignored",
                           "note": "temporary or hidden file (e.g. an Excel lock file)"}])
    if "status" not in quality:
        quality["status"] = "cleaned"
    save_table(pd.concat([quality, extra], ignore_index=True), "data_quality", run, notebook="fixture")
    return run


def test_ignored_files_are_named_with_their_reason_and_audited(run_template, tmp_path):
    run = _with_ignored(run_template, tmp_path)
    text = brief.provenance_section(run, "id", 10, "", 0.05)
    assert "2 berkas di folder data mentah tidak dibaca:" in text
    assert "`notes/catatan_2024.docx`: namanya tidak cocok dengan ekspor mana pun yang dikenal" in text
    assert "`skp/~$skp_2024.xlsx`: berkas sementara atau tersembunyi" in text
    claims = pd.read_csv(run / "brief" / "claims.csv", dtype=str, keep_default_na=False)
    assert not (claims["row"] == "table=").any(), "an ignored file is no row of the table of cleaned data"
    english = brief.provenance_section(run, "en", 10, "", 0.05)
    assert "2 files in the raw data folder were not read:" in english
    assert audit.audit_run(run, only="brief")[1] == []
