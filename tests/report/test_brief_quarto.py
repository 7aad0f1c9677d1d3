"""What the Quarto path relies on, checked on the real brief (main id, main en, every unit), and the PDF's layout.

Quarto cannot be installed here, so the contract is tested without it: the executed brief
shows nothing one engine would show and the other not, refers to no file outside its
folder (Quarto compiles Typst with the brief's folder as root; the pandoc path does the
same, so a PDF from it proves the compile), and carries Quarto-valid front matter with the
brief's language and title. Where ``quarto`` is on PATH, the two paths are compared on
the same executed briefs, and a full run with Quarto must complete.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from analysis.brief_source import contract_problems, front_matter, front_matter_problems
from analysis.render import render_brief

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
NAMES = ["id", "en", "unit"]
LANG = {"id": "id", "en": "en", "unit": "en"}


def visible_text(path: Path) -> str:
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style|head)\b.*?</\1>", " ", raw, flags=re.S | re.I)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", raw))).strip()


def first_heading(path: Path) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", path.read_text(encoding="utf-8"), re.S)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", "", match.group(1)))).strip()


@pytest.mark.parametrize("name", NAMES)
def test_executed_brief_keeps_the_quarto_contract(rendered, name):
    executed = rendered[name]["ipynb"]
    nb = nbformat.read(executed, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs and not [o for o in outputs if o.output_type in ("stream", "error")], "no printed text or warnings"
    assert all({"text/markdown", "image/png"} & set(o.get("data", {})) for o in outputs), "no text/plain-only result"
    assert contract_problems(executed) == []  # includes: every referenced file inside the brief's folder
    fm = front_matter(nb)
    assert front_matter_problems(fm) == []
    title = first_heading(rendered[name]["html"])
    assert fm["lang"] == LANG[name]
    assert fm["format"]["html"]["pagetitle"] == title == fm["format"]["typst"]["title"]


def test_every_unit_brief_keeps_the_contract(run_template, tmp_path):
    """Every per-unit brief of the fabricated run, executed in one kernel (one papermill run per unit would
    take minutes): no output Quarto would show and the brief must not, every figure inside the unit's folder."""
    from nbclient import NotebookClient

    from analysis.report.results import RunResults

    run = Path(shutil.copytree(run_template, tmp_path / "run"))
    units = [str(u) for u in RunResults(run).table("adoption_schedule")["unit_id"]]
    source = nbformat.read(ROOT / "reports" / "brief.ipynb", as_version=4)
    code = [c for c in source.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
    setup, sections = code[0], code[1:]
    combined = nbformat.v4.new_notebook(metadata=source.metadata)
    combined.cells = [nbformat.v4.new_code_cell(setup.source)]
    for unit in units:
        combined.cells.append(nbformat.v4.new_code_cell(
            f"run_dir, language, min_cell, alp, unit_id, area = {str(run)!r}, 'id', 10, 0.05, {unit!r}, ''"))
        combined.cells += [nbformat.v4.new_code_cell(c.source) for c in sections]
    NotebookClient(combined, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    assert not combined.cells[0].outputs, "the setup cell shows nothing (no PosixPath of the project)"
    step = 1 + len(sections)
    for i, unit in enumerate(units):
        cells = combined.cells[1 + i * step: 1 + (i + 1) * step]
        assert not cells[0].outputs
        folder = run / "units" / f"{unit}-id"
        nb = nbformat.v4.new_notebook(metadata=source.metadata)
        nb.cells = [source.cells[0], *cells[1:]]
        nbformat.write(nb, folder / "brief.ipynb")
        assert contract_problems(folder / "brief.ipynb") == [], unit
        assert all(o.output_type == "display_data" for c in cells[1:] for o in c.outputs), unit


def quarto_shaped_markdown(nb) -> str:
    """The Markdown Quarto makes of an executed notebook (quarto-cli src/core/jupyter/jupyter.ts): each code
    cell in a ``.cell`` div and each output in a ``.cell-output`` div, which pandoc's Typst writer turns into
    ``#block[...]`` containers (where Typst refuses ``#pagebreak()`` and scopes ``#set`` rules)."""
    parts = []
    for cell in nb.cells[1:]:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        elif cell.cell_type == "code" and cell.outputs:
            outputs = [f"::: {{.cell-output .cell-output-display .cell-output-markdown}}\n{o.data['text/markdown']}\n:::"
                       for o in cell.outputs if "text/markdown" in o.get("data", {})]
            parts.append(f"::: {{.cell execution_count={cell.execution_count}}}\n" + "\n\n".join(outputs) + "\n:::")
    return "\n\n".join(parts)


@pytest.mark.parametrize("name", NAMES)
def test_brief_compiles_as_quarto_shapes_it(rendered, tmp_path, name):
    """The brief's Typst, built the way Quarto builds it (cells as containers, the front matter's typst options,
    the project's template partials), compiles with the brief's folder as root: figures resolve, page breaks work."""
    import pypandoc
    import typst
    import yaml

    from analysis.brief_source import TYPST

    executed = rendered[name]["ipynb"]
    folder = Path(shutil.copytree(executed.parent, tmp_path / "brief"))
    nb = nbformat.read(executed, as_version=4)
    fm = front_matter(nb)
    meta = {"lang": fm["lang"], **{k: v for k, v in fm["format"]["typst"].items() if k != "template-partials"}}
    (tmp_path / "meta.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    typ = folder / "quarto-shaped.typ"
    pypandoc.convert_text(quarto_shaped_markdown(nb), "typst", format="markdown", outputfile=str(typ),
                          extra_args=["--standalone", f"--template={TYPST / 'brief.typst'}",
                                      f"--metadata-file={tmp_path / 'meta.yaml'}"])
    assert "#block[" in typ.read_text(encoding="utf-8")
    pdf = tmp_path / "quarto-shaped.pdf"
    typst.compile(str(typ), output=str(pdf), root=str(folder))
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(pdf))
    assert reader.metadata.title == first_heading(rendered[name]["html"])
    assert abs(len(reader.pages) - len(pypdf.PdfReader(str(rendered[name]["pdf"])).pages)) <= 1
    if name != "unit":  # the page break after the summary works inside a container
        assert reader.pages[1].extract_text().lstrip().startswith({"id": "Bukti", "en": "Evidence"}[name])


# --- the PDF: metadata, margins, the warning box ---------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_pdf_metadata(rendered, name):
    if not shutil.which("pdfinfo"):
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    info = subprocess.run(["pdfinfo", str(rendered[name]["pdf"])], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert fields["Title"].strip() == first_heading(rendered[name]["html"])
    assert fields["Author"].strip() == "Kecamatan Plaju, Kota Palembang"
    pypdf = pytest.importorskip("pypdf")
    assert pypdf.PdfReader(str(rendered[name]["pdf"])).trailer["/Root"]["/Lang"] == LANG[name]


def test_pdf_margins_and_warning_box(rendered, artifacts):
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.skip("poppler-utils is not installed")
    import numpy as np
    from PIL import Image

    pdf = rendered["id"]["pdf"]
    fm = front_matter(nbformat.read(rendered["id"]["ipynb"], as_version=4))["format"]["typst"]
    margin = float(fm["margin"]["x"].removesuffix("cm")) / 2.54 * 72
    boxes = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "3", str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
    left = min(float(x) for x in re.findall(r'xMin="([\d.]+)"', boxes))
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes))
    assert abs(left - margin) < 1 and right <= 595.28 - margin + 2, (left, right, margin)
    prefix = artifacts / "warning-box-id"
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(prefix)], check=True)
    page = np.asarray(Image.open(next(artifacts.glob("warning-box-id*.png"))).convert("RGB")).astype(int)
    fill = int((np.abs(page - [0xFF, 0xF4, 0xE5]).max(axis=2) < 6).sum())  # the box's fill colour
    assert fill > 2000, "the synthetic-data warning is a visible box on page one"
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "data sintetis" in text


# --- with a real Quarto: the two paths agree, and a full run completes -----------------------------

needs_quarto = pytest.mark.skipif(shutil.which("quarto") is None,
                                  reason="Quarto CLI not on PATH (conda: environment.yml); the contract above is "
                                         "what it relies on")
NUMBER = re.compile(r"[−-]?\d+(?:[.,]\d+)*")
CROSSREF = re.compile(r"\b(Tabel|Table|Gambar|Figure)\s+\d+\s*:\s*")


@pytest.fixture(scope="module")
def both(rendered, tmp_path_factory):
    """The same executed briefs rendered again with Quarto, in copies of their folders."""
    out = {}
    for name in NAMES:
        source = rendered[name]["ipynb"].parent
        copy = tmp_path_factory.mktemp(f"quarto-{name}") / source.name
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("brief.html", "brief.pdf"))
        out[name] = (rendered[name], render_brief(copy / "brief.ipynb", engine="quarto"))
    return out


@needs_quarto
@pytest.mark.parametrize("name", NAMES)
def test_quarto_and_pandoc_show_the_same_brief(both, name):
    pandoc, quarto = both[name]
    text_p, text_q = (CROSSREF.sub("", visible_text(o["html"])) for o in (pandoc, quarto))
    assert text_p == text_q
    assert sorted(NUMBER.findall(text_p)) == sorted(NUMBER.findall(text_q))
    page_p, page_q = (o["html"].read_text(encoding="utf-8") for o in (pandoc, quarto))
    for tag in ("<table", "<img"):
        assert page_p.count(tag) == page_q.count(tag), tag
    for caption in re.findall(r"<caption>(.*?)</caption>", page_p, re.S):
        assert re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", "", caption))).strip() in text_q
    lang = LANG[name]
    assert re.search(rf'<html[^>]*\blang="{lang}"', page_q)
    for text in (text_p, text_q):
        assert not re.search(r"PosixPath|/home/|/tmp/|/Users/|[A-Z]:\\\\", text), "no local path in a brief"
    assert "brief.pdf" not in page_q, "no format links"


@needs_quarto
@pytest.mark.parametrize("name", NAMES)
def test_quarto_pdf_matches(both, name):
    pypdf = pytest.importorskip("pypdf")
    pandoc, quarto = both[name]
    pages_p, pages_q = (pypdf.PdfReader(str(o["pdf"])).pages for o in (pandoc, quarto))
    assert abs(len(pages_p) - len(pages_q)) <= 1
    text_q = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pages_q))
    for caption in re.findall(r"<caption>(.*?)</caption>", pandoc["html"].read_text(encoding="utf-8"), re.S):
        words = re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", "", caption))).strip()
        assert words[:40] in text_q, f"table caption lost in Quarto's PDF: {words}"
    reader = pypdf.PdfReader(str(quarto["pdf"]))
    assert reader.metadata.title == first_heading(pandoc["html"])
    assert reader.trailer["/Root"]["/Lang"] == LANG[name]


@needs_quarto
@pytest.mark.xdist_group("pipeline")
def test_full_run_with_quarto_completes(tmp_path, root, monkeypatch):
    from analysis.config import load_params
    from analysis.runner import run
    from analysis.synth import SynthConfig, generate

    monkeypatch.delenv("ANALYSIS_RENDERER", raising=False)  # Quarto is picked because it is on PATH
    generate(tmp_path / "raw", SynthConfig(seed=7, months=24, scale=0.3))
    params = load_params(overrides={"raw_dir": str(tmp_path / "raw"), "interim_dir": str(tmp_path / "interim"),
                                    "processed_dir": str(tmp_path / "processed"), "biters": 199})
    run_dir = run(params, root=root, runs_dir=tmp_path / "runs", say=lambda m: None)
    assert sorted(p.name for p in (run_dir / "brief").glob("brief.*")) == ["brief.html", "brief.ipynb", "brief.pdf"]
