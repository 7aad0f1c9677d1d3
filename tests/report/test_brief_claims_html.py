"""Every number a reader sees in a rendered brief is a recorded claim, and the audit checks the page."""

from __future__ import annotations

import html as html_lib
import re
import string

import pandas as pd
import pytest

from analysis import audit
from analysis.report import i18n

pytestmark = pytest.mark.slow

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def visible_text(path) -> str:
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style|head)\b.*?</\1>", " ", raw, flags=re.S | re.I)
    raw = re.sub(r"</?span\b[^>]*>", "", raw)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", raw))


def fixed_numbers() -> set[str]:
    """Numbers that are part of the wording itself (regulations, 'bulan 0', 'M̄ = 1', '95 dari 100')."""
    words = " ".join(text for strings in i18n.STRINGS.values() for text in strings.values())
    words += " ".join(f"{a} {b}" for lang in i18n.GLOSSARY.values() for a, b in lang)
    words += " ".join(v for table in (i18n.SERVICES, i18n.OUTCOME_UNIT) for lang in table.values()
                      for v in lang.values())
    fields = {f for _, f, _, _ in string.Formatter().parse(words) if f}
    for f in fields:
        words = words.replace("{" + f + "}", " ")
    return set(NUMBER.findall(words))


@pytest.mark.parametrize("name", ["id", "en", "unit"])
def test_every_number_in_the_html_is_a_claim(rendered, name):
    page = rendered[name]["html"]
    claims = pd.read_csv(page.parent / "claims.csv", dtype=str, keep_default_na=False)
    claimed = {n for text in claims["text"] for n in NUMBER.findall(text)}
    allowed = claimed | fixed_numbers()
    text = visible_text(page)
    # names of units and services are proper nouns that may hold numbers (SD Negeri 52, SMP Negeri 10)
    names = pd.read_parquet(page.parents[2 if name == "unit" else 1] / "tables" / "adoption_schedule.parquet")
    for unit_name in sorted(names["unit_name"], key=len, reverse=True):
        text = text.replace(unit_name, " ")
    missing = sorted({n for n in NUMBER.findall(text) if n not in allowed})
    assert not missing, f"numbers in the {name} brief without a claim: {missing[:20]}"


def test_the_audit_checks_the_rendered_pages(rendered):
    run = rendered["id"]["html"].parents[1]
    checked, problems = audit.audit_run(run)
    assert checked > 1000 and not problems, [p.line() for p in problems[:5]]
    page = rendered["id"]["html"]
    original = page.read_text(encoding="utf-8")
    tampered = re.sub(r'(data-claim="summary-\d+"[^>]*>\s*\+?)3,2', r"\g<1>3,9", original, count=1)
    assert tampered != original
    page.write_text(tampered, encoding="utf-8")
    try:
        problems = audit.audit_run(run, only="brief")[1]
        assert problems and problems[0].why == "the HTML shows other text"
    finally:
        page.write_text(original, encoding="utf-8")
