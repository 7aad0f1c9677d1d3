"""The renderer: an executed brief notebook -> self-contained HTML and a PDF, code never shown.

Quarto cannot be installed on the project's machines, so the Quarto path is tested by the
contract it relies on (what the executed notebook holds, what its front matter says, what
the runner passes on the command line), with a stand-in ``quarto`` executable on PATH that
records its arguments. The test at the end renders for real wherever ``quarto`` is on PATH.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from analysis.brief_source import (ASSETS, brief_metadata, contract_problems, front_matter, front_matter_problems,
                                   notebook_markdown)
from analysis.render import RenderError, choose_engine, quarto_command, render_brief

ROOT = Path(__file__).resolve().parents[1]
#: The brief's own front matter, as tools write it (tests/report/brief_notebook.py).
FRONT = nbformat.read(ROOT / "reports" / "brief.ipynb", as_version=4).cells[0].source
TITLE = "Evaluasi Kinerja Plaju: Ringkasan"


def _png() -> str:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2, 3], [3, 1, 2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _write(path: Path, outputs: list, *, language: str = "id") -> Path:
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("from IPython.display import Markdown\nsecret_code_marker = 1")
    code.outputs = outputs
    code.execution_count = 1
    nb.cells = [nbformat.v4.new_raw_cell(FRONT), nbformat.v4.new_markdown_cell("## Catatan\n\nTeks tetap."), code]
    nb.metadata["papermill"] = {"parameters": {"language": language}}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _markdown(text: str):
    return nbformat.v4.new_output("display_data", data={"text/markdown": text, "text/plain": "<IPython.Markdown>"})


BODY = (f"# {TITLE}\n\n> Perhatian: data sintetis.\n\nWaktu tunggu turun **12,5 menit** (95%: 7,1–17,9 menit).\n\n"
        "| Unit | IKM |\n|---|---|\n| Kelurahan Plaju Ulu | 83,42 |\n\n: IKM per unit {#tbl-ikm}\n\n"
        "![Gambar penerapan](figures/plot.png){width=50%}\n")


@pytest.fixture
def executed(tmp_path):
    """An executed brief as papermill leaves it: front matter, Markdown (with a figure file) and an image output."""
    path = tmp_path / "brief" / "brief.ipynb"
    (path.parent / "figures").mkdir(parents=True)
    (path.parent / "figures" / "plot.png").write_bytes(base64.b64decode(_png()))
    return _write(path, [
        _markdown(BODY),
        nbformat.v4.new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"}),
        nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: hidden by warning: false\n"),
    ])


# --- the notebook and its front matter ------------------------------------------------------------

def test_front_matter_is_read(executed):
    meta = front_matter(nbformat.read(executed, as_version=4))
    assert meta["lang"] == "id" and meta["format"]["html"]["embed-resources"] is True


def test_markdown_keeps_outputs_not_code(executed, tmp_path):
    text = notebook_markdown(nbformat.read(executed, as_version=4), tmp_path / "media")
    assert "12,5 menit" in text and "Teks tetap." in text
    assert "secret_code_marker" not in text and "hidden by warning" not in text
    assert re.search(r"!\[\]\(media/cell2-1\.png\)", text)


def test_language_comes_from_the_parameter_and_title_from_the_first_heading(tmp_path):
    path = _write(tmp_path / "b" / "brief.ipynb", [_markdown("```{=typst}\n#set text(lang: \"en\")\n```\n\n"
                                                            "# Policy *Brief*: Plaju\n\n## Key findings\n")],
                  language="en")
    assert brief_metadata(path) == {"lang": "en", "title": "Policy Brief: Plaju"}


def check_quarto_front_matter(meta: dict) -> None:
    assert front_matter_problems(meta) == []
    assert meta["lang"] and meta["format"]["html"]["pagetitle"] and meta["format"]["typst"]["title"]


def test_source_front_matter_is_valid_quarto():
    check_quarto_front_matter(front_matter(nbformat.read(ROOT / "reports" / "brief.ipynb", as_version=4)))


@pytest.mark.parametrize("change, message", [
    (lambda fm: fm["format"]["html"].update({"format-links": True}), "format-links must be false"),
    (lambda fm: fm["format"]["html"].update({"self-contained": True}), "html.self-contained is not a Quarto option"),
    (lambda fm: fm["format"]["typst"].update({"papersize": 4}), "papersize must be str"),
    (lambda fm: fm["format"]["typst"].update({"margin": {"x": "wide"}}), "margin values must be lengths"),
    (lambda fm: fm["format"]["html"].pop("css"), "css and template-partials must name"),
    (lambda fm: fm["execute"].update({"warning": True}), "execute must be echo: false, warning: false"),
    (lambda fm: fm.update({"format": {"html": fm["format"]["html"], "typst": fm["format"]["typst"], "pdf": {}}}),
     "format must be html and typst only"),
])
def test_front_matter_check_can_fail(change, message):
    meta = front_matter(nbformat.read(ROOT / "reports" / "brief.ipynb", as_version=4))
    change(meta)
    problems = front_matter_problems(meta)
    assert problems and any(message in p for p in problems), problems


# --- the contract: nothing one engine shows and the other not; nothing outside the folder -----------

@pytest.mark.parametrize("output, message", [
    (nbformat.v4.new_output("stream", name="stdout", text="debug\n"), "cell 2 prints text"),
    (nbformat.v4.new_output("execute_result", data={"text/plain": "PosixPath('/home/x/repo')"}, execution_count=1),
     "cell 2 has a result with only text/plain"),
    (nbformat.v4.new_output("display_data", data={"text/html": "<table></table>", "text/plain": "df"}),
     "cell 2 has a result with only text/html, text/plain"),
    (nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=[]), "cell 2 ended in an error"),
    (_markdown("![a](../figures/adoption.png)"), "refers to ../figures/adoption.png, outside the brief's folder"),
    (_markdown("![a](figures/missing.png)"), "refers to figures/missing.png, which does not exist"),
])
def test_contract_refuses_what_quarto_would_show_or_not_find(tmp_path, output, message, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RENDERER", "pandoc")
    path = _write(tmp_path / "brief" / "brief.ipynb", [_markdown(f"# {TITLE}\n\nTeks."), output])
    assert contract_problems(path) and message in contract_problems(path)[0]
    with pytest.raises(RenderError) as err:
        render_brief(path)
    assert message in str(err.value).splitlines()[0]
    assert sorted(p.name for p in path.parent.iterdir()) == ["brief.ipynb"], "nothing written"


def test_the_fixture_keeps_the_contract(executed):
    assert contract_problems(executed) == []


# --- the pandoc path ----------------------------------------------------------------------------

def test_pandoc_path_renders_html_and_pdf(executed, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RENDERER", "pandoc")
    out = render_brief(executed)
    html = out["html"].read_text(encoding="utf-8")
    assert "<h1" in html and TITLE in html and f"<title>{TITLE}</title>" in html and 'lang="id"' in html
    assert "12,5 menit" in html and "<table" in html and "83,42" in html and 'id="tbl-ikm"' in html
    assert 'src="data:image/png;base64,' in html, "figure must be embedded (self-contained)"
    assert not re.search(r'(src|href)="https?://', html), "no external requests"
    assert "secret_code_marker" not in html and "hidden by warning" not in html
    assert "blockquote" in html and "#fff4e5" in html, "the notice box of brief.css"
    pdf = PdfReader(out["pdf"])
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert TITLE in text and "12,5 menit" in text and "83,42" in text and "Tabel\xa01: IKM per unit" in text
    assert "secret_code_marker" not in text
    assert any("/XObject" in page["/Resources"] for page in pdf.pages), "the figure must be in the PDF"
    assert pdf.metadata.title == TITLE and pdf.metadata.author == "Kecamatan Plaju, Kota Palembang"
    assert pdf.trailer["/Root"]["/Lang"] == "id"
    # nothing but the outputs is left next to the brief (no .md, .typ, media folder, staged assets)
    assert sorted(p.name for p in executed.parent.iterdir()) == ["brief.html", "brief.ipynb", "brief.pdf", "figures"]
    stamped = front_matter(nbformat.read(executed, as_version=4))
    assert stamped["format"]["html"]["pagetitle"] == TITLE == stamped["format"]["typst"]["title"]
    check_quarto_front_matter(stamped)


def test_pdf_uses_the_margins_of_the_front_matter(executed, monkeypatch):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed: cannot measure where text lies")
    monkeypatch.setenv("ANALYSIS_RENDERER", "pandoc")
    pdf = render_brief(executed, formats=("pdf",))["pdf"]
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    left = [float(x) for x in re.findall(r'xMin="([\d.]+)"', boxes)]
    right = [float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes)]
    margin = 2 / 2.54 * 72  # margin.x: 2cm in points; the default template would give 1.25in = 90pt
    assert abs(min(left) - margin) < 1 and max(right) <= 595.28 - margin + 2


def test_failed_pdf_leaves_nothing_behind(executed, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RENDERER", "pandoc")
    (executed.parent / "brief.pdf").write_text("stale")  # from an earlier render
    with monkeypatch.context() as patch:
        patch.setattr("typst.compile", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("error: boom")))
        with pytest.raises(RenderError, match="typst could not compile brief.typ: error: boom"):
            render_brief(executed)
    assert sorted(p.name for p in executed.parent.iterdir()) == ["brief.ipynb", "figures"]


# --- the Quarto path, with a stand-in quarto that records its arguments ---------------------------

STAND_IN = """#!{python}
import json, os, pathlib, sys
cwd = pathlib.Path.cwd()
with open(os.environ["QUARTO_LOG"], "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "files": sorted(p.name for p in cwd.iterdir())}}) + "\\n")
(cwd / ".quarto").mkdir(exist_ok=True)
(cwd / "brief_files").mkdir(exist_ok=True)
if os.environ.get("QUARTO_FAIL"):
    (cwd / "brief.typ").write_text("#pagebreak()")
    sys.stderr.write("[typst]: Compiling brief.typ to brief.pdf...\\n"
                     'error: path "../figures/x.png" would escape the project root\\nERROR: Error\\n')
    sys.exit(1)
target = sys.argv[sys.argv.index("--to") + 1]
(cwd / ("brief.html" if target == "html" else "brief.pdf")).write_text("rendered by the stand-in")
"""


@pytest.fixture
def quarto(tmp_path, monkeypatch):
    """A stand-in ``quarto`` first on PATH; returns a function that reads the calls it received."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "quarto"
    script.write_text(STAND_IN.format(python=sys.executable))
    script.chmod(0o755)
    log = tmp_path / "quarto-calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("QUARTO_LOG", str(log))
    monkeypatch.delenv("ANALYSIS_RENDERER", raising=False)
    return lambda: [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_quarto_is_chosen_when_on_path(quarto, executed):
    assert choose_engine() == "quarto"
    out = render_brief(executed)
    calls = quarto()
    assert [c["argv"][:5] for c in calls] == [["render", "brief.ipynb", "--to", "html", "--no-execute"],
                                             ["render", "brief.ipynb", "--to", "typst", "--no-execute"]]
    html_args, typst_args = calls[0]["argv"], calls[1]["argv"]
    # the language and title, as render_pandoc uses them (YAML-quoted: Quarto parses -M values as YAML)
    assert html_args[5:] == ["-M", 'lang:"id"', "-M", f'pagetitle:"{TITLE}"']
    assert typst_args[5:] == ["-M", 'lang:"id"', "-M", f'title:"{TITLE}"']
    # the files the front matter names were next to the brief while Quarto ran, and are gone after
    assert {a.name for a in ASSETS} <= set(calls[0]["files"])
    assert sorted(p.name for p in executed.parent.iterdir()) == ["brief.html", "brief.ipynb", "brief.pdf", "figures"]
    assert out["html"].read_text() == "rendered by the stand-in"


def test_quarto_failure_names_the_cause_and_leaves_nothing(quarto, executed, monkeypatch):
    monkeypatch.setenv("QUARTO_FAIL", "1")
    (executed.parent / "brief.html").write_text("stale")
    with pytest.raises(RenderError) as err:
        render_brief(executed)
    first = str(err.value).splitlines()[0]
    assert first == ('quarto render brief.ipynb --to html failed: '
                     'error: path "../figures/x.png" would escape the project root')
    assert sorted(p.name for p in executed.parent.iterdir()) == ["brief.ipynb", "figures"]


def test_quarto_command_quotes_titles_with_colons(tmp_path):
    command = quarto_command(tmp_path / "brief.ipynb", "typst", {"lang": "en", "title": 'A: "B" – C'})
    assert command[-1] == 'title:"A: \\"B\\" – C"'
    import yaml  # what Quarto does with the value after the first colon

    assert yaml.safe_load(command[-1].split(":", 1)[1]) == 'A: "B" – C'


# --- errors, in the library, the CLI and the manifest --------------------------------------------

def test_missing_engine_is_one_clear_line(executed, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RenderError) as err:
        render_brief(executed, engine="quarto")
    assert "\n" not in str(err.value) and "Quarto CLI is not on PATH" in str(err.value)
    monkeypatch.setenv("ANALYSIS_RENDERER", "quarto")
    with pytest.raises(RenderError, match="not on PATH"):
        choose_engine()


def test_run_refuses_a_missing_engine_before_anything_runs(tmp_path, monkeypatch):
    from analysis.config import load_params
    from analysis.runner import RunError, run

    monkeypatch.setenv("ANALYSIS_RENDERER", "quarto")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RunError, match="Quarto CLI is not on PATH"):
        run(load_params(overrides={"raw_dir": str(tmp_path / "raw")}), root=ROOT, runs_dir=tmp_path / "runs",
            say=lambda m: None)
    assert not (tmp_path / "runs").exists() and not (tmp_path / "raw").exists(), "nothing ran, nothing written"


def test_cli_render_shows_the_message_without_traceback(executed, monkeypatch, tmp_path):
    from analysis.cli import main

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = CliRunner().invoke(main, ["render", str(executed), "--engine", "quarto"])
    assert result.exit_code == 1 and "render failed:" in result.output and "not on PATH" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, RenderError)


def test_runner_uses_quarto_on_path_and_records_its_cause(quarto, tmp_path, monkeypatch):
    """A tiny project whose brief notebook is rendered by the runner: Quarto is picked from PATH,
    gets the language and title, and a failure's cause reaches the manifest."""
    from analysis.config import load_params
    from analysis.runner import run

    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname='fixture'\n")
    (project / "raw").mkdir()
    (project / "raw" / "export.csv").write_text("a;b\n1;2\n")  # an export: no synthetic data generated
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('run_dir: str = ""  # run folder\nlanguage: str = "id"  # language')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_raw_cell(FRONT), params, nbformat.v4.new_code_cell(
        "from pathlib import Path\n"
        "from IPython.display import Markdown, display\n"
        "from analysis.report.claims import Ledger\n"
        "led = Ledger('summary', language)  # the runner audits every brief's claims\n"
        "shown = led.add(language, language, 'manifest', 'parameters', 'language', 'param')\n"
        "_ = led.save(Path(run_dir) / 'brief', 'kecamatan-' + language)\n"
        "display(Markdown('# Policy Brief: ' + language + '\\n\\nLanguage: ' + shown + '.'))")]
    (project / "reports").mkdir()
    nbformat.write(nb, project / "reports" / "brief.ipynb")
    (project / "notebooks" / "pipeline.yaml").write_text(
        "steps:\n  - {name: brief, notebook: reports/brief.ipynb, needs: [], brief: true}\n")
    settings = load_params(overrides={"raw_dir": str(project / "raw"), "language": "en"})
    run_dir = run(settings, root=project, say=lambda m: None)
    calls = quarto()
    assert [c["argv"][3] for c in calls] == ["html", "typst"]
    assert calls[1]["argv"][5:] == ["-M", 'lang:"en"', "-M", 'title:"Policy Brief: en"']
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    steps = {step["name"]: step for step in manifest["steps"]}
    assert steps["brief"]["outputs"] == ["brief/brief.html", "brief/brief.pdf"]
    assert steps["audit"]["status"] == "complete" and steps["audit"]["claims"] == 1

    monkeypatch.setenv("QUARTO_FAIL", "1")
    with pytest.raises(RenderError):
        run(settings, root=project, say=lambda m: None)
    failed = next(m for m in (project / "reports" / "runs").glob("*-*/manifest.json") if m.parent != run_dir)
    step = json.loads(failed.read_text())["steps"][-1]
    assert step["status"] == "failed" and "would escape the project root" in step["error"]
    # the renderer leaves nothing: only what executing the brief wrote (the notebook, its claims)
    assert sorted(p.name for p in (failed.parent / "brief").iterdir()) == ["brief.ipynb", "claims.csv"]


@pytest.mark.skipif(shutil.which("quarto") is None,
                    reason="Quarto CLI not installed (conda users get it from environment.yml); its contract is "
                           "tested above and the pandoc path renders the same source")
def test_quarto_path_renders_the_same_source(executed, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RENDERER", "quarto")
    out = render_brief(executed)
    html = out["html"].read_text(encoding="utf-8")
    assert "12,5 menit" in html and 'lang="id"' in html and f"<title>{TITLE}</title>" in html
    assert "brief.pdf" not in html, "no format links"
    pdf = PdfReader(out["pdf"])
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "12,5 menit" in text and "IKM per unit" in text, "labelled table keeps its caption"
    assert pdf.metadata.title == TITLE and pdf.metadata.author == "Kecamatan Plaju, Kota Palembang"
    assert sorted(p.name for p in executed.parent.iterdir()) == ["brief.html", "brief.ipynb", "brief.pdf", "figures"]
