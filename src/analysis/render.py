"""Render an executed brief notebook to self-contained HTML and to PDF.

The brief is a parameterised notebook (``reports/brief.ipynb``) that papermill
executes like every other step; rendering only converts the executed notebook, so
nothing is re-estimated and both rendering paths read the same source:

* **Quarto** (``quarto render brief.ipynb --to html|typst``) where the Quarto CLI is
  installed (conda users get it from ``environment.yml``). Quarto reads the raw
  front-matter cell and renders the stored outputs without a kernel.
* **pandoc + Typst** otherwise (``pypandoc-binary`` and ``typst`` from PyPI, the
  engines Quarto drives). The notebook is flattened to Markdown first: markdown
  cells as they are, and of the code cells only their Markdown and image outputs,
  so code never shows in a brief (Quarto gets the same effect from ``echo: false``).

Both paths get the same things from the same places, so they cannot drift apart:

* the brief's language (the papermill ``language`` parameter) and title (its first
  level-1 heading), written into the front matter and passed on the command line;
* the front matter's format options (paper, margins, font size, author), read by one
  Typst template (``report/typst``: a pandoc template for the pandoc path, the same
  two partials as Quarto ``template-partials``) and one stylesheet (``report/brief.css``);
* the same contract on the executed notebook (:mod:`analysis.brief_source`), checked
  before anything is written: no output that one engine would show and the other not,
  no referenced file outside the brief's folder (Quarto compiles Typst with the brief's
  folder as root, so the pandoc path does too), Quarto-valid front matter.

A failed render removes everything it wrote, including a stale HTML or PDF.
Set ``ANALYSIS_RENDERER=pandoc`` or ``=quarto`` to force a path.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat
import yaml

from analysis.brief_source import (ASSETS, STYLE, TYPST, RenderError, brief_metadata, contract_problems,
                                   front_matter, notebook_markdown, stamp_front_matter)

__all__ = ["RenderError", "brief_metadata", "choose_engine", "contract_problems", "front_matter",
           "notebook_markdown", "quarto_command", "render_brief", "stamp_front_matter"]


def choose_engine(requested: str | None = None) -> str:
    """``requested`` (or ``ANALYSIS_RENDERER``), else Quarto where it is on PATH, else pandoc + Typst."""
    engine = (requested or os.environ.get("ANALYSIS_RENDERER", "")).strip().lower()
    if engine not in ("pandoc", "quarto"):
        engine = "quarto" if shutil.which("quarto") else "pandoc"
    if engine == "quarto" and not shutil.which("quarto"):
        raise RenderError("the quarto engine was chosen but the Quarto CLI is not on PATH "
                          "(conda users: `conda env create -f environment.yml`; or render with the pandoc engine)")
    if engine == "pandoc":
        try:
            import pypandoc  # noqa: F401
            import typst  # noqa: F401
        except ImportError as exc:
            raise RenderError(f"the pandoc engine needs pypandoc-binary and typst ({exc}); run `make env`") from None
    return engine


def _metadata_file(directory: Path, name: str, values: dict) -> str:
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(values, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return f"--metadata-file={path}"


def render_pandoc(executed: Path, formats: tuple[str, ...], fm: dict) -> dict[str, Path]:
    import pypandoc
    import typst

    nb = nbformat.read(executed, as_version=4)
    folder = executed.parent
    source = folder / f"{executed.stem}.md"
    source.write_text(notebook_markdown(nb, folder / f"{executed.stem}_files"), encoding="utf-8")
    html_opts, typst_opts = (fm.get("format", {}).get(k) or {} for k in ("html", "typst"))
    outputs: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as scratch:
        if "html" in formats:
            html = folder / f"{executed.stem}.html"
            meta = {"lang": fm["lang"], "pagetitle": html_opts["pagetitle"]}
            pypandoc.convert_file(
                str(source), "html5", format="markdown", outputfile=str(html),
                extra_args=[f"--resource-path={folder}", "--standalone", "--embed-resources", f"--css={STYLE}",
                            _metadata_file(Path(scratch), "html", meta)],
            )
            outputs["html"] = html
        if "pdf" in formats:
            typ = folder / f"{executed.stem}.typ"
            meta = {"lang": fm["lang"], **{k: v for k, v in typst_opts.items() if k != "template-partials"}}
            pypandoc.convert_file(
                str(source), "typst", format="markdown", outputfile=str(typ),
                extra_args=["--standalone", f"--template={TYPST / 'brief.typst'}",
                            _metadata_file(Path(scratch), "typst", meta)],
            )
            pdf = folder / f"{executed.stem}.pdf"
            try:  # root = the brief's folder, as Quarto compiles it
                typst.compile(str(typ), output=str(pdf), root=str(folder))
            except RuntimeError as exc:
                raise RenderError(f"typst could not compile {typ.name}: {str(exc).strip().splitlines()[0]}") from None
            outputs["pdf"] = pdf
    return outputs


def quarto_command(executed: Path, target: str, meta: dict) -> list[str]:
    """``quarto render`` for one format, with the brief's language and title (YAML-quoted: titles hold colons)."""
    title_key = "pagetitle" if target == "html" else "title"
    return ["quarto", "render", executed.name, "--to", target, "--no-execute",
            "-M", f"lang:{json.dumps(meta['lang'])}",
            "-M", f"{title_key}:{json.dumps(meta['title'], ensure_ascii=False)}"]


def _cause(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"(ERROR|error)\b", line)]
    return (errors or lines or ["no message"])[0]


def render_quarto(executed: Path, formats: tuple[str, ...], meta: dict) -> dict[str, Path]:
    folder = executed.parent
    for asset in ASSETS:  # the front matter names them relative to the brief
        shutil.copyfile(asset, folder / asset.name)
    outputs: dict[str, Path] = {}
    for fmt, target in (("html", "html"), ("pdf", "typst")):
        if fmt not in formats:
            continue
        command = quarto_command(executed, target, meta)
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
        if done.returncode != 0:
            raise RenderError(f"quarto render {executed.name} --to {target} failed: {_cause(done.stderr)}\n"
                              f"{done.stderr[-2000:]}")
        outputs[fmt] = executed.with_suffix(f".{fmt}")
    return outputs


def _clean(folder: Path, keep: set[str]) -> None:
    for entry in folder.iterdir():
        if entry.name not in keep:
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()


def render_brief(executed: str | Path, formats: tuple[str, ...] = ("html", "pdf"), engine: str | None = None) -> dict[str, Path]:
    """Render an executed brief notebook next to itself; returns {format: path}.

    Raises :class:`RenderError` (one line first: what failed and why) and leaves the
    folder as it was before, without the formats asked for.
    """
    executed = Path(executed)
    if not executed.exists():
        raise RenderError(f"executed brief not found: {executed}")
    engine = choose_engine(engine)
    problems = contract_problems(executed)
    if problems:
        raise RenderError(f"{executed} cannot be rendered: {problems[0]}" + "".join(f"\n  {p}" for p in problems[1:]))
    meta = brief_metadata(executed)
    fm = stamp_front_matter(executed, meta)
    folder = executed.parent
    targets = {executed.with_suffix(f".{f}").name for f in formats}
    before = {p.name for p in folder.iterdir()} - targets
    try:
        outputs = (render_quarto(executed, formats, meta) if engine == "quarto"
                   else render_pandoc(executed, formats, fm))
        missing = [str(p) for p in outputs.values() if not p.exists() or p.stat().st_size == 0]
        if missing:
            raise RenderError(f"{engine} produced no output: {', '.join(missing)}")
    except BaseException:
        _clean(folder, before)
        raise
    _clean(folder, before | {p.name for p in outputs.values()})
    return outputs
