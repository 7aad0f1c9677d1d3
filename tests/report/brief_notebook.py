"""Writes reports/brief.ipynb (the brief's Quarto/papermill source) from code, without outputs.

Run ``python tests/report/brief_notebook.py`` after changing the cells; a test checks
the committed notebook equals what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

NOTEBOOK = Path(__file__).resolve().parents[2] / "reports" / "brief.ipynb"

#: Quarto front matter. The renderer (analysis.render) writes each brief's own lang and title
#: (pagetitle, typst title) here before rendering; the files css and template-partials name are
#: put next to the brief by the renderer. `author` is the PDF's author metadata (the organisation).
FRONT_MATTER = """---
lang: id
format:
  html:
    pagetitle: Ringkasan Kebijakan
    embed-resources: true
    minimal: true
    css: brief.css
    toc: false
    format-links: false
  typst:
    title: Ringkasan Kebijakan
    author: Kecamatan Plaju, Kota Palembang
    papersize: a4
    margin:
      x: 2cm
      y: 2cm
    fontsize: 10.5pt
    template-partials:
      - typst-template.typ
      - typst-show.typ
execute:
  echo: false
  warning: false
---"""

PARAMETERS = """\
run_dir: str = "reports/runs/latest"  # run folder whose result tables the brief reads (set by the runner)
language: str = "id"  # language of the brief: "id" (Bahasa Indonesia) or "en" (English)
min_cell: int = 10  # smallest count of people shown; smaller counts are suppressed or merged
alp: float = 0.05  # significance level of the intervals (0.05 gives 95% intervals)
unit_id: str = ""  # service unit of a per-unit brief; empty for the whole kecamatan (set by analysis brief --unit)
area: str = ""  # area of an area brief (a kelurahan, kecamatan or kab/kota of the study); empty otherwise"""

CELLS = [
    "from IPython.display import Markdown, display\n\nfrom analysis.report import brief\nfrom analysis.runner import enter_project\n\n"
    "_ = enter_project()  # run_dir is relative to the project folder (no result shown: the brief shows outputs)",
    "display(Markdown(brief.summary_section(run_dir, language, min_cell, unit_id, alp, area)))",
    "display(Markdown(brief.evidence_sections(run_dir, language, min_cell, unit_id, alp, area)))",
    "display(Markdown(brief.limitations_section(run_dir, language, min_cell, unit_id, alp, area)))",
    "display(Markdown(brief.recommendations_section(run_dir, language, min_cell, unit_id, alp, area)))",
    "display(Markdown(brief.provenance_section(run_dir, language, min_cell, unit_id, alp, area)))",
]


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_raw_cell(FRONT_MATTER), params, *(nbformat.v4.new_code_cell(c) for c in CELLS)]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"brief-{i}"  # stable ids: the committed file does not change on every write
    return nb


def text() -> str:
    return nbformat.writes(build()) + "\n"


if __name__ == "__main__":
    NOTEBOOK.write_text(text(), encoding="utf-8")
    sys.stdout.write(f"wrote {NOTEBOOK}\n")
