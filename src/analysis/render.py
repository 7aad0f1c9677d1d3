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
* the same contract on the executed notebook, checked before anything is written: no
  output that one engine would show and the other not (printed text, errors, results
  with only a ``text/plain`` form), and no referenced file outside the brief's folder
  (Quarto compiles Typst with the brief's folder as root, so the pandoc path does too).

A failed render removes everything it wrote, including a stale HTML or PDF.
Set ``ANALYSIS_RENDERER=pandoc`` or ``=quarto`` to force a path.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import yaml

REPORT = Path(__file__).with_name("report")
STYLE = REPORT / "brief.css"
TYPST = REPORT / "typst"
#: Files the front matter names (css, template-partials); Quarto resolves them next to the brief.
ASSETS = (STYLE, TYPST / "typst-template.typ", TYPST / "typst-show.typ")
FRONT_MATTER = re.compile(r"^---\s*\n(.*?)\n---\s*$", re.S)
SHOWN = ("text/markdown", "image/png")  # what both engines show of a cell's output

#: The Quarto options the brief's front matter may use, with their documented types (quarto-cli
#: src/resources/schema/: document-language.yml lang: string; document-metadata.yml pagetitle:
#: string [$html-files]; document-render.yml embed-resources: boolean, template-partials: maybeArrayOf
#: path; document-options.yml minimal: boolean, css: maybeArrayOf path; document-links.yml
#: format-links: boolean or arrayOf string; document-toc.yml toc: boolean; document-attributes.yml
#: title: string, author: string or list; quarto.org/docs/reference/formats/typst.html papersize,
#: fontsize: string, margin: object of lengths; format-execute-cell.yml echo: boolean or "fenced",
#: warning: boolean). A key outside this table is refused: Quarto would ignore or reject it.
QUARTO_OPTIONS = {
    "": {"lang": (str,), "format": (dict,), "execute": (dict,)},
    "format.html": {"pagetitle": (str,), "embed-resources": (bool,), "minimal": (bool,), "css": (str, list),
                    "toc": (bool,), "format-links": (bool, list)},
    "format.typst": {"title": (str,), "author": (str, list), "papersize": (str,), "margin": (dict,),
                     "fontsize": (str,), "template-partials": (str, list)},
    "execute": {"echo": (bool, str), "warning": (bool,)},
}
LENGTH = re.compile(r"\d+(\.\d+)?(cm|mm|in|pt)")


class RenderError(RuntimeError):
    pass


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


def front_matter(nb) -> dict:
    for cell in nb.cells[:1]:
        if cell.cell_type == "raw":
            match = FRONT_MATTER.match(cell.source.strip())
            if match:
                return yaml.safe_load(match.group(1)) or {}
    return {}


def _names(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def front_matter_problems(fm: dict) -> list[str]:
    """What in the front matter Quarto's documented options do not allow, or the brief needs otherwise."""
    problems = []
    formats = fm.get("format") or {}
    scopes = {"": fm, "format.html": formats.get("html"), "format.typst": formats.get("typst"),
              "execute": fm.get("execute")}
    for scope, values in scopes.items():
        if not isinstance(values, dict):
            problems.append(f"front matter has no {scope} options")
            continue
        for key, value in values.items():
            name = f"{scope}.{key}".lstrip(".")
            if key not in QUARTO_OPTIONS[scope]:
                problems.append(f"front matter: {name} is not a Quarto option the brief uses")
            elif not isinstance(value, QUARTO_OPTIONS[scope][key]):
                problems.append(f"front matter: {name} must be {' or '.join(t.__name__ for t in QUARTO_OPTIONS[scope][key])}")
    if problems:
        return problems
    html, typ = formats["html"], formats["typst"]
    if set(formats) != {"html", "typst"}:
        problems.append("front matter: format must be html and typst only")
    if html.get("format-links") is not False:
        problems.append("front matter: format.html.format-links must be false (the HTML travels alone)")
    if html.get("embed-resources") is not True:
        problems.append("front matter: format.html.embed-resources must be true (one self-contained file)")
    named = [*_names(html.get("css")), *_names(typ.get("template-partials"))]
    if sorted(named) != sorted(a.name for a in ASSETS):
        problems.append(f"front matter: css and template-partials must name {', '.join(a.name for a in ASSETS)}")
    if not all(LENGTH.fullmatch(str(v)) for v in (typ.get("margin") or {}).values()):
        problems.append("front matter: format.typst.margin values must be lengths such as 2cm")
    if fm.get("execute") != {"echo": False, "warning": False}:
        problems.append("front matter: execute must be echo: false, warning: false (no code, no warnings)")
    return problems


def markdown_parts(nb) -> list[tuple[int, str]]:
    """(cell index, Markdown) of what a reader sees: markdown cells and code cells' Markdown outputs."""
    parts = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            parts.append((index, cell.source))
        elif cell.cell_type == "code":
            parts += [(index, o["data"]["text/markdown"]) for o in cell.get("outputs", [])
                      if "text/markdown" in o.get("data", {})]
    return parts


def notebook_markdown(nb, media_dir: Path) -> str:
    """Markdown of the brief: markdown cells and code cells' Markdown/image outputs only."""
    parts: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        elif cell.cell_type == "code":
            for n, output in enumerate(cell.get("outputs", [])):
                data = output.get("data", {})
                if "text/markdown" in data:
                    parts.append(data["text/markdown"])
                elif "image/png" in data:
                    media_dir.mkdir(parents=True, exist_ok=True)
                    image = media_dir / f"cell{index}-{n}.png"
                    image.write_bytes(base64.b64decode(data["image/png"]))
                    parts.append(f"![]({image.relative_to(media_dir.parent)})")
    return "\n\n".join(p.strip() for p in parts if p.strip()) + "\n"


def _ast(markdown: str) -> dict:
    import pypandoc

    return json.loads(pypandoc.convert_text(markdown, "json", format="markdown"))


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _plain(inlines) -> str:
    text = []
    for node in _walk(inlines):
        kind = node.get("t")
        if kind in ("Str", "Code", "Math"):
            text.append(node["c"] if kind == "Str" else node["c"][-1])
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            text.append(" ")
    return re.sub(r"\s+", " ", "".join(text)).strip()


def references(markdown: str) -> list[str]:
    """Local files a piece of Markdown refers to (images and links), as pandoc parses them."""
    found = []
    for node in _walk(_ast(markdown)["blocks"]):
        if node.get("t") in ("Image", "Link"):
            target = node["c"][-1][0]
            parsed = urlparse(target)
            if target and not target.startswith("#") and not parsed.scheme and not parsed.netloc:
                found.append(unquote(parsed.path))
    return found


def contract_problems(executed: Path) -> list[str]:
    """What would make the two engines show different things, or Quarto fail: one line per problem."""
    nb = nbformat.read(executed, as_version=4)
    folder = executed.parent.resolve()
    problems = front_matter_problems(front_matter(nb))
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            kind = output.get("output_type")
            if kind == "stream" and output.get("name") == "stdout":
                problems.append(f"cell {index} prints text (Quarto shows printed output; the brief must not)")
            elif kind == "error":
                problems.append(f"cell {index} ended in an error ({output.get('ename', 'error')})")
            elif kind in ("display_data", "execute_result") and not any(m in output.get("data", {}) for m in SHOWN):
                mimes = ", ".join(sorted(output.get("data", {}))) or "no data"
                problems.append(f"cell {index} has a result with only {mimes} (Quarto shows it; end the cell "
                                f"with an assignment or `;`)")
    parts = markdown_parts(nb)

    def unreadable(ref: str) -> str:
        path = (folder / ref).resolve()
        if not path.is_relative_to(folder):
            return "outside the brief's folder (Quarto cannot read it)"
        return "" if path.exists() else "which does not exist"

    # one pandoc call for the whole brief; the cells are looked up only when something is wrong
    if any(unreadable(ref) for ref in references("\n\n".join(text for _, text in parts))):
        problems += [f"cell {index} refers to {ref}, {unreadable(ref)}"
                     for index, text in parts for ref in references(text) if unreadable(ref)]
    return problems


def brief_metadata(executed: Path) -> dict:
    """Language and title of an executed brief: the papermill ``language`` parameter and its first heading."""
    nb = nbformat.read(executed, as_version=4)
    meta = front_matter(nb)
    injected = nb.metadata.get("papermill", {}).get("parameters", {})
    title = ""
    for _, text in markdown_parts(nb):
        heading = next((n for n in _walk(_ast(text)["blocks"]) if n.get("t") == "Header" and n["c"][0] == 1), None)
        if heading:
            title = _plain(heading["c"][2])
            break
    return {"lang": str(injected.get("language") or meta.get("lang") or "id"), "title": title or "Brief"}


def stamp_front_matter(executed: Path, meta: dict) -> dict:
    """Write the brief's language and title into its front matter (what a manual ``quarto render`` reads)."""
    nb = nbformat.read(executed, as_version=4)
    fm = front_matter(nb)
    if not fm:
        raise RenderError(f"{executed} has no front matter (a raw first cell between --- lines)")
    fm["lang"] = meta["lang"]
    formats = fm.setdefault("format", {})
    formats.setdefault("html", {})["pagetitle"] = meta["title"]
    formats.setdefault("typst", {})["title"] = meta["title"]
    text = "---\n" + yaml.safe_dump(fm, sort_keys=False, allow_unicode=True).strip() + "\n---"
    if nb.cells[0].source != text:
        nb.cells[0].source = text
        nbformat.write(nb, executed)
    return fm


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
