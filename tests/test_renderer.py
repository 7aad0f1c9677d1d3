"""The renderer: an executed brief notebook -> self-contained HTML and a PDF, code never shown."""

from __future__ import annotations

import base64
import io
import re
import shutil

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
import pytest
from pypdf import PdfReader

from analysis.render import front_matter, notebook_markdown, render_brief

FRONT = """---
title: Ringkasan
lang: id
format:
  html:
    embed-resources: true
  typst:
    papersize: a4
execute:
  echo: false
---"""


def _png() -> str:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2, 3], [3, 1, 2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture
def executed(tmp_path):
    """An executed brief as papermill leaves it: front matter, a code cell with Markdown and image outputs."""
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("from IPython.display import Markdown\nsecret_code_marker = 1")
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": "# Evaluasi Kinerja Plaju\n\n"
                               "Waktu tunggu turun **12,5 menit** (95%: 7,1–17,9 menit).\n\n"
                               "| Unit | IKM |\n|---|---|\n| Kelurahan Plaju Ulu | 83,42 |\n"}),
        nbformat.v4.new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"}),
        nbformat.v4.new_output("stream", name="stdout", text="debug output that must not show\n"),
    ]
    code.execution_count = 1
    nb.cells = [nbformat.v4.new_raw_cell(FRONT), nbformat.v4.new_markdown_cell("## Catatan\n\nTeks tetap."), code]
    path = tmp_path / "brief" / "brief.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    return path


def test_front_matter_is_read(executed):
    meta = front_matter(nbformat.read(executed, as_version=4))
    assert meta["lang"] == "id" and meta["format"]["html"]["embed-resources"] is True


def test_markdown_keeps_outputs_not_code(executed, tmp_path):
    text = notebook_markdown(nbformat.read(executed, as_version=4), tmp_path / "media")
    assert "12,5 menit" in text and "Teks tetap." in text
    assert "secret_code_marker" not in text and "debug output" not in text
    assert re.search(r"!\[\]\(media/cell2-1\.png\)", text)


def test_pandoc_path_renders_html_and_pdf(executed, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RENDERER", "pandoc")
    out = render_brief(executed)
    html = out["html"].read_text(encoding="utf-8")
    assert "<h1" in html and "Evaluasi Kinerja Plaju" in html
    assert "12,5 menit" in html and "<table" in html and "83,42" in html
    assert 'src="data:image/png;base64,' in html, "figure must be embedded (self-contained)"
    assert not re.search(r'(src|href)="https?://', html), "no external requests"
    assert "secret_code_marker" not in html
    pdf = PdfReader(out["pdf"])
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Evaluasi Kinerja Plaju" in text and "12,5 menit" in text and "83,42" in text
    assert "secret_code_marker" not in text
    assert any("/XObject" in page["/Resources"] for page in pdf.pages), "the figure must be in the PDF"


@pytest.mark.skipif(shutil.which("quarto") is None,
                    reason="Quarto CLI not installed (conda users get it from environment.yml); pandoc path tested above")
def test_quarto_path_renders_the_same_source(executed, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RENDERER", "quarto")
    out = render_brief(executed)
    assert "12,5 menit" in out["html"].read_text(encoding="utf-8")
    assert "12,5 menit" in "".join(p.extract_text() for p in PdfReader(out["pdf"]).pages)
