"""Claims and the independent audit: every brief's numbers agree with the tables, and the audit
catches a wrong claim of each kind (mutation tests on copies of a run)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import audit
from analysis.outputs import save_table
from analysis.report import brief as brief_module
from brief_run_fixture import make_run
from brief_text import brief

SECTIONS = ("summary_section", "evidence_sections", "limitations_section", "recommendations_section",
            "provenance_section")
BRIEFS = (("", "id"), ("", "en"), ("U05", "id"), ("U27", "en"), ("U01", "id"))


def write_briefs(run: Path, briefs=BRIEFS) -> dict[tuple[str, str], str]:
    """The sections of each brief (unit, language), as a reader sees them; claims.csv written beside them."""
    return {(unit, language): "\n".join(getattr(brief, name)(run, language, 10, unit, 0.05) for name in SECTIONS)
            for unit, language in briefs}


@pytest.fixture(scope="module")
def briefed(tmp_path_factory) -> tuple[Path, dict]:
    run = make_run(tmp_path_factory.mktemp("claims") / "run")
    return run, write_briefs(run)


@pytest.fixture
def copy(briefed, tmp_path) -> Path:
    return Path(shutil.copytree(briefed[0], tmp_path / "run"))


def test_every_brief_writes_its_claims_and_the_audit_passes(briefed):
    run, _ = briefed
    files = audit.claim_files(run)
    assert {f.parent.relative_to(run).as_posix() for f in files} == {"brief", "brief-en", "units/U05-id",
                                                                    "units/U27-en", "units/U01-id"}
    claims = pd.read_csv(files[0], dtype=str, keep_default_na=False)
    assert list(claims.columns) == ["brief", "section", "claim_id", "text", "value", "table", "row", "column", "rule"]
    assert set(claims["section"]) == {"summary", "evidence", "limitations", "recommendations", "provenance"}
    assert claims["claim_id"].is_unique
    checked, problems = audit.audit_run(run)
    assert checked > 1000 and problems == [], [p.line() for p in problems[:5]]


def test_each_number_carries_its_source_on_hover(briefed):
    run, _ = briefed
    text = brief_module.summary_section(run, "id", 10, "", 0.05)
    span = re.search(r'<span class="claim" data-claim="summary-\d+" title="Sumber: tabel headline, baris '
                     r'outcome=ikm, kolom estimate">\+?3,2 poin</span>', text)
    assert span, "the IKM estimate has no hover source"


def test_claims_are_rewritten_not_appended(briefed, copy):
    before = pd.read_csv(copy / "brief" / "claims.csv", dtype=str)
    brief.summary_section(copy, "id", 10, "", 0.05)
    after = pd.read_csv(copy / "brief" / "claims.csv", dtype=str)
    assert before.equals(after)


# --- mutation tests: a wrong claim of each kind is caught ------------------------------------

def _edit(run: Path, table: str, change) -> None:
    frame = pd.read_parquet(run / "tables" / f"{table}.parquet")
    changed = change(frame)
    save_table(frame if changed is None else changed, table, run, notebook="mutation")


def problems_of(run: Path, name: str = "kecamatan-id") -> list:
    """Disagreements of one brief (the others were written before a test changed the tables)."""
    return [p for p in audit.audit_run(run, only="brief")[1] if p.brief == name]


def _cell(table, where: dict, column, value):
    def change(frame):
        mask = np.logical_and.reduce([frame[k] == v for k, v in where.items()])
        assert mask.sum() >= 1
        frame.loc[mask, column] = value
    return table, change


def _swap_training(frame):  # the lowest coverage (school) now belongs to the civil registry
    a, b = frame["unit_type"] == "school", frame["unit_type"] == "disdukcapil"
    frame.loc[a, "share_trained"], frame.loc[b, "share_trained"] = 0.61, 0.29


def _flip_alternative(frame):
    first = frame.index[frame["outcome"] == "ikm"][0]
    frame.loc[first, "estimate"] = -frame.loc[first, "estimate"]


def _main_row_into_checks(frame):  # an alternative that is the main estimate in disguise is not counted...
    frame.loc[frame.index[frame["outcome"] == "ikm"][0], ["estimate", "conf_low", "conf_high"]] = [3.24, 1.12, 5.36]


MUTATIONS = {
    "table value (headline estimate)": _cell("headline", {"outcome": "ikm"}, "estimate", 4.4),
    "baseline": _cell("headline", {"outcome": "wait_minutes"}, "baseline_mean", 61.0),
    "interval now covers zero (judgement)": _cell("headline", {"outcome": "wait_minutes"}, "conf_high", 0.5),
    "ranking (lowest training coverage)": ("training_coverage", _swap_training),
    "pre-trend p-value": _cell("pretrend", {"outcome": "ikm"}, "p_value", 0.09),
    "pre-trend flag": _cell("pretrend", {"outcome": "ikm"}, "flag", True),
    "pre-trend not tested": _cell("pretrend", {"outcome": "wait_minutes"}, "p_value", np.nan),
    "count (units in a wave)": _cell("cohort_sizes", {"adoption_month": "2022-07"}, "n_units", 9),
    "count (never-adopting units)": _cell("adoption_schedule", {"unit_id": "U30"}, "adoption_month", "2024-01"),
    "honest bounds (target interval includes zero)": _cell("honest_bounds", {"outcome": "ikm"}, "lb", -0.5),
    "robustness direction": ("robustness", _flip_alternative),
    "robustness duplicate of the main estimate": ("robustness", _main_row_into_checks),
    "IKM grade of a unit": _cell("ikm_unit_quarter", {"unit_id": "U03", "quarter": 12}, "mutu", "A"),
    "weighted mean waiting time": _cell("wait_by_service_channel", {"service": "KTP-el", "channel": "online"},
                                        "wait_mean", 45.0),
    "share of good SKP ratings": _cell("skp_predikat_shares", {"year": 2024, "predikat": "Baik"}, "n", 300),
    "suppressed cell now large enough to show": _cell("ikm_unit_quarter", {"unit_id": "U27", "quarter": 12}, "n",
                                                      40),
}


@pytest.mark.parametrize("kind", list(MUTATIONS))
def test_the_audit_catches_a_changed_table(copy, kind):
    table, change = MUTATIONS[kind]
    _edit(copy, table, change)
    problems = problems_of(copy)
    assert problems, f"the audit missed: {kind}"
    assert all(p.claim_id for p in problems)


def test_the_audit_catches_text_that_does_not_show_its_value(copy):
    path = copy / "brief" / "claims.csv"
    claims = pd.read_csv(path, dtype=str, keep_default_na=False)
    i = claims.index[(claims["rule"] == "cell") & claims["text"].str.contains("3,2")][0]
    claims.loc[i, "text"] = claims.loc[i, "text"].replace("3,2", "3,9")
    claims.to_csv(path, index=False)
    problems = problems_of(copy)
    assert [p.claim_id for p in problems] == [claims.loc[i, "claim_id"]]
    assert "does not show the value" in problems[0].why


def test_the_audit_catches_a_changed_parameter(copy):
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["parameters"]["alp"] = 0.10
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert any(p.found == "90.0" for p in problems_of(copy))


def test_a_failing_audit_names_the_claims(copy):
    _edit(copy, *MUTATIONS["table value (headline estimate)"])
    with pytest.raises(audit.AuditError, match=r"audit failed: \d+ of \d+ claims disagree.*summary-\d+"):
        audit.check_run(copy)


def test_audit_command(copy):
    from click.testing import CliRunner

    from analysis.cli import main

    result = CliRunner().invoke(main, ["audit", str(copy)])
    assert result.exit_code == 0, result.output
    _edit(copy, *MUTATIONS["pre-trend p-value"])
    result = CliRunner().invoke(main, ["audit", str(copy)])
    assert result.exit_code == 1 and "pretrend" in result.output


def test_the_audit_shares_no_code_with_the_text_generator():
    source = Path(audit.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import) analysis\.report", source, flags=re.M)


# --- the rules of the words ------------------------------------------------------------------

def test_robustness_counts_exclude_the_main_row_duplicates_and_placebo(copy):
    rows = [{"outcome": "ikm", "check": "main", "estimate": 3.24, "conf_low": 1.12, "conf_high": 5.36},
            {"outcome": "ikm", "check": "outcome_regression", "estimate": 3.24, "conf_low": 1.12, "conf_high": 5.36},
            {"outcome": "ikm", "check": "not_yet_treated", "estimate": 2.9, "conf_low": 0.5, "conf_high": 5.3},
            {"outcome": "ikm", "check": "universal_base_period", "estimate": 2.9, "conf_low": 0.5, "conf_high": 5.3},
            {"outcome": "ikm", "check": "anticipation_plus_1", "estimate": -0.4, "conf_low": -3.0, "conf_high": 2.2},
            {"outcome": "ikm", "check": "never_treated", "estimate": np.nan, "conf_low": np.nan, "conf_high": np.nan},
            {"outcome": "ikm", "check": "placebo_adoption", "estimate": 0.3, "conf_low": -1.0, "conf_high": 1.6}]
    save_table(pd.DataFrame(rows), "robustness", copy, notebook="test")
    (copy / "tables" / "spec_curve.parquet").unlink()
    (copy / "tables" / "spec_curve.csv").unlink()
    text = brief.evidence_sections(copy, "id", 10, "", 0.05)
    row = next(line for line in text.splitlines() if line.startswith("| Indeks Kepuasan Masyarakat (IKM) | 0,41"))
    assert "1 dari 2 (1 tidak dapat dihitung)" in row
    assert "Dari 2 cara hitung lain untuk Indeks Kepuasan Masyarakat (IKM), 1 searah" in text
    assert "bertanda sama dengan hasil utama" in text  # "same direction" is defined in the text
    assert not problems_of(copy)


def test_untested_outcomes_are_named_with_their_reason(copy):
    _edit(copy, "pretrend", lambda f: f.assign(
        p_value=np.where(f["outcome"] == "share_within_1h", np.nan, f["p_value"]),
        test=np.where(f["outcome"] == "share_within_1h", "not computed: 4 units (< 8)", "sup-t")))
    text = brief.evidence_sections(copy, "id", 10, "", 0.05)
    assert ("Tidak diuji: porsi layanan selesai dalam satu jam (hanya 4 unit, uji perlu minimal 8)." in text)
    row = next(line for line in text.splitlines() if line.startswith("| Porsi layanan selesai dalam satu jam |"))
    assert "tidak diuji" in row and "—" not in row


def test_honest_statements_name_their_target_and_zero(copy):
    text = brief.evidence_sections(copy, "id", 10, "", 0.05)
    assert "analisis sensitivitas menilai rata-rata dampak bulan 0–6 sesudah penerapan" in text
    _edit(copy, "honest_bounds", lambda f: f.assign(lb=np.where(f["outcome"] == "ikm", -0.5, f["lb"])))
    summary = brief.summary_section(copy, "id", 10, "", 0.05)
    assert "analisis sensitivitas tidak menyingkirkan kemungkinan tanpa dampak" in summary
    evidence = brief.evidence_sections(copy, "id", 10, "", 0.05)
    assert "selangnya mencakup nol bahkan bila tren sesudah penerapan persis sejajar" in evidence
    assert "| Indeks Kepuasan Masyarakat (IKM) | poin | +3,2 |" in evidence and "belum kuat" in evidence


def test_words_follow_each_outcomes_declared_direction(copy):
    """The SKP good share is 'neither': a clear rise reads 'naik', never 'membaik'."""
    _edit(copy, "headline", lambda f: f.assign(conf_low=np.where(f["outcome"] == "skp_good_share", 0.004,
                                                                 f["conf_low"])))
    _edit(copy, "honest_bounds", lambda f: f.assign(lb=np.where(f["outcome"] == "skp_good_share", 0.001, f["lb"])))
    text = brief.evidence_sections(copy, "id", 10, "", 0.05)
    row = next(line for line in text.splitlines() if line.startswith("| Porsi ASN berpredikat SKP"))
    assert row.rstrip().endswith("| naik |")
    wait = next(line for line in text.splitlines() if line.startswith("| Waktu tunggu | menit"))
    assert wait.rstrip().endswith("| membaik |")  # a fall in waiting time is an improvement


def test_unit_briefs_speak_of_the_unit(briefed):
    _, texts = briefed
    kelurahan = texts[("U05", "id")]
    assert "Semua unit" not in kelurahan and "semua unit yang" not in kelurahan
    # U05 is a kelurahan: its type is ranked among all unit types, not called the lowest of a set of one
    assert re.search(r"unit jenis kelurahan adalah 38%, urutan ke-4 dari 5 jenis unit", kelurahan)
    assert "Cakupan pelatihan terendah" not in kelurahan
    assert "Jaga agar perubahan berlanjut" in kelurahan and "Dampingi unit yang belum berubah" not in kelurahan
    school = texts[("U27", "en")]
    assert "Prepare adoption in this unit" in school and "The unit has not adopted" in school
    assert "Every unit" not in school


def test_one_symbol_means_one_thing(briefed):
    """The em dash only marks a figure hidden to protect people; every other absence is in words."""
    _, texts = briefed
    for text in texts.values():
        body = re.sub(r"```.*?```", "", text, flags=re.S)
        for line in body.splitlines():
            if "—" in line and line.startswith("|"):
                assert "<10" in line or "(digabung)" in line or "(merged)" in line, line


SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
ENGLISH = re.compile(r"(?i)\b(run|table|parameter|estimate|spec|specification|pre-trend|standard error|"
                     r"analytic|wild bootstrap)\b")
JARGON = re.compile(r"(?i)(uji pra-tren|galat baku|spesifikasi|Run analisis)")


def test_indonesian_brief_is_plain_indonesian(briefed):
    _, texts = briefed
    for (unit, language), text in texts.items():
        if language != "id":
            continue
        body = re.sub(r"```.*?```", "", text, flags=re.S)
        body = re.sub(r"^:::.*$", "", body, flags=re.M)  # fenced div classes (long-table, small)
        body = re.sub(r"\]\([^)]*\)", "]", body)  # figure file names
        assert not SNAKE.search(body), SNAKE.search(body)
        assert not JARGON.search(body), JARGON.search(body)
        found = [m.group(0) for m in ENGLISH.finditer(body) if m.group(0).lower() != "wild bootstrap"]
        assert not found, found
        assert "# Daftar istilah" in body and "# Sumber angka" in body
        assert "M̄" in body and "**Analisis sensitivitas dan M̄**" in body  # the symbol is explained


def _asn_headline() -> pd.DataFrame:
    """asn_headline as 03_estimate writes it (docs/results.md)."""
    rows = [("simple", 0.0712, 0.0194), ("dynamic", 0.0731, 0.0201), ("group", 0.0708, 0.0196)]
    return pd.DataFrame({
        "outcome": "skp_good", "level": "asn", "asn_period": "quarter", "type": [r[0] for r in rows],
        "estimate": [r[1] for r in rows], "std_error": [r[2] for r in rows],
        "conf_low": [r[1] - 2.03 * r[2] for r in rows], "conf_high": [r[1] + 2.03 * r[2] for r in rows],
        "p_value": 0.001, "true_att": 0.0700, "covers_truth": True, "inference": "analytic",
        "inference_reason": "34 clusters >= 30", "n_employees": 537, "n_employees_panel": 664, "n_clusters": 34})


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_employee_level_effect_is_claimed_and_audited(copy, language):
    save_table(_asn_headline(), "asn_headline", copy, notebook="fixture")
    text = brief.evidence_sections(copy, language, 10, "", 0.05)
    shown = {"id": ("537 dari 664 pegawai", "per triwulan", "+7,1 poin persen"),
             "en": ("537 of 664 employees", "by quarter", "+7.1 percentage points")}[language]
    for words in shown:
        assert words in re.sub(r"<[^>]+>", "", text), words
    claims = pd.read_csv(copy / ("brief" if language == "id" else "brief-en") / "claims.csv", dtype=str)
    assert (claims["table"] == "asn_headline").sum() >= 7  # counts, period, estimate and interval
    name = "kecamatan-id" if language == "id" else "kecamatan-en"
    assert [p for p in audit.audit_run(copy)[1] if p.brief == name] == []
    _edit(copy, "asn_headline", lambda f: f.assign(estimate=f["estimate"] + 0.01))
    assert [p for p in audit.audit_run(copy)[1] if p.brief == name], "a changed estimate must be caught"
