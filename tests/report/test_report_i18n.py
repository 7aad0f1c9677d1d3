"""Both languages hold every string, and each brief speaks only its own language."""

from __future__ import annotations

import re
import string

import pytest

from analysis.report import i18n
from brief_text import brief

SECTIONS = (brief.summary_section, brief.evidence_sections, brief.limitations_section,
            brief.recommendations_section, brief.provenance_section)
#: Words that only one language's text uses (unit names and service names are proper nouns in both).
MARKERS = {
    "id": ["Temuan utama", "penerapan", "Keterbatasan", "Rekomendasi", "sekitar", "menit", "selang", " dan ", "tidak"],
    "en": ["Key findings", "adoption", "Limitations", "Recommendations", "about", "minutes", "interval", " and ",
           " the "],
}


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_exists_in_both_languages_with_the_same_fields():
    assert set(i18n.STRINGS["id"]) == set(i18n.STRINGS["en"])
    for key, text in i18n.STRINGS["id"].items():
        if key != "quarter":  # "Triwulan IV 2024" vs "Q4 2024": each language picks its numeral
            assert fields(text) == fields(i18n.STRINGS["en"][key]), key
        assert text.strip() and i18n.STRINGS["en"][key].strip(), key


@pytest.mark.parametrize("table", [i18n.MONTHS, i18n.OUTCOME_LABEL, i18n.OUTCOME_UNIT, i18n.UNIT_TYPES, i18n.CHANNELS,
                                   i18n.KINERJA, i18n.ESTIMATORS, i18n.INFERENCE, i18n.CONTROL_GROUPS])
def test_vocabularies_cover_both_languages(table):
    keys = {lang: (set(v) if isinstance(v, dict) else len(v)) for lang, v in table.items()}
    assert set(keys) == set(i18n.LANGUAGES)
    assert keys["id"] == keys["en"]


def test_every_string_key_is_used_by_the_brief_code():
    from pathlib import Path

    package = Path(brief.__file__).parents[1]  # the brief, and the modules that speak to people
    code = "".join(p.read_text(encoding="utf-8") for p in package.rglob("*.py") if p.name != "i18n.py")
    unused = [k for k in i18n.STRINGS["id"] if f'"{k}"' not in code and f"'{k}'" not in code]
    assert not unused, f"strings no code uses: {unused}"


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("unit_id, area", [("", ""), ("U05", ""), ("", "Komperta")])
def test_brief_text_has_no_words_of_the_other_language(run_dir, language, unit_id, area):
    text = "\n".join(section(run_dir, language, 10, unit_id, 0.05, area) for section in SECTIONS)
    other = "en" if language == "id" else "id"
    body = re.sub(r"```.*?```", "", text, flags=re.S)  # raw Typst/HTML blocks are not prose
    assert all(word in body for word in MARKERS[language][1:4])
    found = [w for w in MARKERS[other] if re.search(rf"(?i)\b{re.escape(w.strip())}\b", body)]
    assert not found, f"{language} brief contains {other} words: {found}"
