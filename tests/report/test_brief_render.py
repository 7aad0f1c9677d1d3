"""End to end: papermill executes reports/brief.ipynb against a run; pandoc + Typst render HTML and PDF."""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess

import pytest

from analysis.report.disclosure import check_text

pytestmark = pytest.mark.slow

PLACEHOLDERS = re.compile(r"\b(TODO|TBD|FIXME|XXX|nan|NaN|None|null|undefined)\b")
CODE = re.compile(r"\bimport |\bdef |display\(|Markdown\(|brief\.\w+_section|run_dir|<IPython")
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def html_text(path) -> str:
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S | re.I)
    raw = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+", "", raw)
    raw = re.sub(r"</?span\b[^>]*>", "", raw)  # inline claim spans (source on hover) are not word breaks
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", raw))


def pdf_pages(path) -> list[str]:
    pypdf = pytest.importorskip("pypdf")
    return [page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("name", ["id", "en", "unit"])
def test_html_is_clean_self_contained_text(rendered, name):
    page = rendered[name]["html"].read_text(encoding="utf-8")
    assert not EXTERNAL.search(page), "the brief loads an external resource"
    assert page.count("data:image/png;base64,") >= (5 if name != "unit" else 1)  # figures embedded
    text = flat(html_text(rendered[name]["html"]))
    assert not PLACEHOLDERS.search(text), PLACEHOLDERS.search(text)
    assert not CODE.search(text), CODE.search(text)
    check_text(text)  # no NIP/NI, NIK or pseudonym in what a reader sees


def test_html_headline_numbers_per_language(rendered):
    id_text = flat(html_text(rendered["id"]["html"]))
    en_text = flat(html_text(rendered["en"]["html"]))
    # headline table: ikm 3.24 (1.12, 5.36); wait_minutes -12.4 (-17.2, -7.3)
    assert "naik sekitar 3,2 poin (95%: 1,1–5,4 poin)" in id_text
    assert "turun sekitar 12 menit (95%: 7–17 menit)" in id_text
    assert "rose by about 3.2 points (95%: 1.1–5.4 points)" in en_text
    assert "fell by about 12 minutes (95%: 7–17 minutes)" in en_text
    assert '<html xmlns="http://www.w3.org/1999/xhtml" lang="en"' in rendered["en"]["html"].read_text(encoding="utf-8")


def test_pdf_page_one_is_the_summary(rendered):
    pages = [flat(p) for p in pdf_pages(rendered["id"]["pdf"])]
    assert 4 <= len(pages) <= 12
    first = pages[0]
    assert "Ringkasan Kebijakan: Manajemen ASN Berbasis Kinerja" in first
    assert "Temuan utama" in first and "Yang perlu dilakukan" in first
    assert "3,2 poin (95%: 1,1–5,4 poin)" in first
    assert pages[1].lstrip().startswith("Bukti") and "Penerapan manajemen kinerja" not in first  # evidence: page 2
    rest = " ".join(pages[1:])
    assert "Gambar 1" in rest and "Tabel 1" in rest
    tail = " ".join(pages[-3:])  # provenance, then the glossary and the sources of the numbers close the brief
    assert "Asal-usul angka" in tail and "20260115-083000-3fa2c1d9" in tail
    assert "Daftar istilah" in tail and "Sumber angka" in pages[-1]


def test_pdf_in_english_is_english(rendered):
    pages = [flat(p) for p in pdf_pages(rendered["en"]["pdf"])]
    assert "Policy Brief: Performance-Based ASN Management" in pages[0] and "Key findings" in pages[0]
    rest = " ".join(pages[1:])
    assert "Figure 1" in rest and "Gambar" not in rest and "Tabel " not in rest
    assert "Where the numbers come from" in " ".join(pages[-2:])


def test_unit_brief_pdf(rendered):
    pages = [flat(p) for p in pdf_pages(rendered["unit"]["pdf"])]
    assert 2 <= len(pages) <= 8
    assert "Unit Policy Brief: Kelurahan Plaju Darat" in pages[0]
    assert rendered["unit"]["pdf"].parent.name == "U05-en"
    assert (rendered["unit"]["pdf"].parent / "figures" / "unit_ikm.png").exists()


@pytest.mark.parametrize("name", ["id", "en", "unit"])
def test_pdf_pages_as_png(rendered, artifacts, name):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed: cannot turn PDF pages into PNG")
    prefix = artifacts / f"pdf-{name}"
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(rendered[name]["pdf"]), str(prefix)], check=True)
    pngs = sorted(artifacts.glob(f"pdf-{name}-*.png"))
    assert len(pngs) == len(pdf_pages(rendered[name]["pdf"]))
    assert all(p.stat().st_size > 5_000 for p in pngs)  # a blank page would be tiny
