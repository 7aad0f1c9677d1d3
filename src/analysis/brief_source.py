"""What an executed brief notebook holds, and the contract both renderers rely on.

Read from the notebook: its front matter, the Markdown a reader sees (markdown cells and
the Markdown outputs of code cells), the files that Markdown refers to, the brief's
language (the papermill ``language`` parameter) and title (its first level-1 heading).

The contract (:func:`contract_problems`), checked before anything is rendered: no output
that one engine shows and the other not (printed text, errors, results with only a
``text/plain`` or HTML form: Quarto shows them, the pandoc path does not), every referenced
file inside the brief's folder (Quarto compiles Typst with that folder as root), and a front
matter made of Quarto's documented options with what the brief needs (:data:`QUARTO_OPTIONS`).
Markdown is parsed by pandoc (its JSON AST), not by regular expressions.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import yaml

class RenderError(RuntimeError):
    """A brief cannot be rendered; the first line says what and why."""


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
