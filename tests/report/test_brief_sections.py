"""The brief's sections read every number from the run's tables (no notebook, no renderer)."""

from __future__ import annotations

import json
import re

import pytest

from brief_text import brief
from analysis.report.disclosure import DisclosureError
from brief_run_fixture import set_value


def summary(run_dir, language="id", **kw):
    return brief.summary_section(run_dir, language, kw.get("min_cell", 10), kw.get("unit_id", ""), kw.get("alp", 0.05))


def test_key_findings_show_the_headline_table_values(run_dir):
    text = summary(run_dir)
    assert "Indeks Kepuasan Masyarakat (IKM) naik sekitar 3,2 poin (95%: 1,1–5,4 poin)" in text
    assert "Waktu tunggu turun sekitar 12 menit (95%: 7–17 menit)" in text
    assert "Periode data: Januari 2022 – Desember 2024" in text
    en = summary(run_dir, "en")
    assert "rose by about 3.2 points (95%: 1.1–5.4 points)" in en
    assert "Data period: January 2022 – December 2024" in en


def test_changing_a_result_table_changes_the_sentence(run_dir):
    set_value(run_dir, "headline", "ikm", "estimate", 4.71)
    set_value(run_dir, "headline", "ikm", "conf_low", 2.13)
    set_value(run_dir, "headline", "ikm", "conf_high", 7.38)
    text = summary(run_dir)
    assert "naik sekitar 4,7 poin (95%: 2,1–7,4 poin)" in text
    assert "3,2 poin" not in text
    set_value(run_dir, "headline", "wait_minutes", "conf_high", 1.5)  # the interval now covers zero
    assert "Perubahan waktu tunggu setelah penerapan tidak dapat dibedakan dari nol" in summary(run_dir)


def test_a_pretrend_flag_turns_the_finding_into_a_warning(run_dir):
    set_value(run_dir, "pretrend", "ikm", "flag", True)
    set_value(run_dir, "pretrend", "ikm", "p_value", 0.003)
    text = summary(run_dir)
    assert "Perkiraan untuk Indeks Kepuasan Masyarakat (IKM) belum dapat diandalkan" in text
    assert "p = 0,003" in text
    assert "IKM) naik sekitar" not in text
    assert "Indeks Kepuasan Masyarakat (IKM)" in brief.limitations_section(run_dir, "id", 10, "", 0.05)
    recs = brief.recommendations_section(run_dir, "id", 10, "", 0.05)
    assert "belum jelas" in recs and "layak dipertimbangkan" not in recs


def test_alp_sets_the_interval_level(run_dir):
    assert "(90%: " in summary(run_dir, alp=0.10) and "(95%: " not in summary(run_dir, alp=0.10)


def test_small_cells_are_suppressed_and_merged(run_dir):
    text = brief.evidence_sections(run_dir, "id", 10, "", 0.05)
    ikm_rows = [line for line in text.splitlines() if line.startswith("| SMP Negeri 24 Palembang")]
    assert ikm_rows and "<10" in ikm_rows[0] and "| — | — | — |" in ikm_rows[0]  # n=6: no IKM, mutu or kinerja
    assert "| Layanan lain (digabung) | daring | 10 |" in text  # SKTM (4) + Ahli Waris (6) online tickets
    assert not re.search(r"\| SKTM \| daring", text)
    stricter = brief.evidence_sections(run_dir, "id", 100, "", 0.05)
    assert "<100" in stricter and stricter.count("<100") > text.count("<10")


def test_sample_shortfalls_and_few_units_are_limitations(run_dir):
    text = brief.limitations_section(run_dir, "id", 10, "", 0.05)
    assert re.search(r"Pada \d+ dari 360 unit-triwulan", text)
    assert "Krejcie–Morgan" in text and "30 unit (22 menerapkan)" in text
    assert "skor asesmen sekolah" in text  # the fixture's flagged outcome


def test_recommendations_cite_the_run(run_dir):
    text = brief.recommendations_section(run_dir, "en", 10, "", 0.05)
    assert "In 2024, 89% of ASN received an SKP rating of Good or Very Good" in text
    assert "Training coverage is lowest in school units (29%)" in text
    assert "8 units have not adopted performance management" in text
    assert "Investigate school assessment scores further" in text
    assert len(re.findall(r"^\d\. \*\*", text, flags=re.M)) == 5


def test_provenance_lists_changed_parameters_and_data_quality(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["parameters_changed"] = {"anticipation": 1, "control_group": "notyettreated"}
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    text = brief.provenance_section(run_dir, "id", 10, "", 0.05)
    assert "Kode pengolahan: 20260115-083000-3fa2c1d9, dimulai 15 Januari 2026." in text
    assert "bulan antisipasi sebelum penerapan = 1 (bawaan: 0)" in text
    assert ("kelompok pembanding = unit yang belum menerapkan (bawaan: unit yang tidak pernah menerapkan)"
            in text)
    assert "anticipation" not in text and "control_group" not in text  # no parameter code names
    assert "dari 73.815 baris mentah, 72.909 dipakai, 658 ditolak, dan 248 duplikat digabung" in text
    assert "Januari 2022 – Desember 2024; 36 bulan" in text
    assert "4b825dc642" in text and "4b825dc642cb6eb9" not in text


def test_unit_brief_is_about_the_unit(run_dir):
    text = summary(run_dir, unit_id="U05")
    assert "# Ringkasan Kebijakan Unit: Kelurahan Plaju Darat" in text
    assert "mulai menerapkan manajemen kinerja pada Juli 2022" in text
    evidence = brief.evidence_sections(run_dir, "id", 10, "U05", 0.05)
    assert "figures/unit_ikm.png" in evidence and (run_dir / "units" / "U05-id" / "figures" / "unit_ikm.png").exists()
    with pytest.raises(KeyError, match="U99"):
        summary(run_dir, unit_id="U99")


def test_a_pseudonym_in_a_table_never_reaches_the_brief(run_dir):
    import pandas as pd

    from analysis.outputs import save_table

    ikm = pd.read_parquet(run_dir / "tables" / "ikm_unit_quarter.parquet")
    ikm.loc[ikm["unit_id"] == "U30", "unit_name"] = "asn_3fa2c1d9e0b14c77"  # a leak upstream
    save_table(ikm, "ikm_unit_quarter", run_dir, notebook="test")
    with pytest.raises(DisclosureError, match="pseudonym"):
        brief.evidence_sections(run_dir, "id", 10, "", 0.05)


def test_briefs_draw_their_own_figures_in_every_language(run_dir):
    """The research figures stay in the notebooks: every brief draws planner figures into its own folder."""
    for language, folder in (("id", "brief"), ("en", "brief-en")):
        text = brief.evidence_sections(run_dir, language, 10, "", 0.05)
        assert "](figures/brief_event_ikm.png)" in text and "](figures/brief_adoption.png)" in text
        assert "../figures/" not in text
        assert (run_dir / folder / "figures" / "brief_event_ikm.png").exists()


@pytest.mark.parametrize("missing", [("pretrend", "honest_bounds", "robustness", "spec_curve"),
                                     ("robustness", "spec_curve"), ("heterogeneity", "training_channel")])
def test_optional_steps_may_be_missing(run_dir, missing):
    for name in missing:
        for suffix in (".parquet", ".csv"):
            (run_dir / "tables" / f"{name}{suffix}").unlink()
    text = brief.evidence_sections(run_dir, "en", 10, "", 0.05)
    assert "nan" not in text and "None" not in text
    if "pretrend" in missing:
        assert "Robustness checks were not run in this run" in text
        assert "not reliable" not in brief.summary_section(run_dir, "en", 10, "", 0.05)


def test_quarter_index_is_read_as_calendar_quarters(run_dir):
    # the panels number quarters from data_start (1 = 2022Q1 here), the fixture too
    text = brief.evidence_sections(run_dir, "en", 10, "", 0.05)
    assert "IKM by unit, Q4 2024" in text


def test_outcomes_measured_in_few_units_say_so(run_dir):
    import pandas as pd

    from analysis.outputs import save_table

    set_value(run_dir, "headline", "wait_minutes", "n_units", 11)
    head = pd.read_parquet(run_dir / "tables" / "headline.parquet")
    head["control_group"] = ["notyettreated" if o == "wait_minutes" else "nevertreated" for o in head["outcome"]]
    save_table(head, "headline", run_dir, notebook="test")
    text = summary(run_dir)
    assert "turun sekitar 12 menit (95%: 7–17 menit) setelah penerapan, dari rata-rata awal 52 menit. " \
           "Angka ini hanya berdasarkan 11 unit." in text
    assert text.count("Angka ini hanya berdasarkan") == 1
    limits = brief.limitations_section(run_dir, "id", 10, "", 0.05)
    assert "waktu tunggu (11 unit)" in limits
    assert "Untuk waktu tunggu, unit yang tidak pernah menerapkan terlalu sedikit" in limits
