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

Set ``ANALYSIS_RENDERER=pandoc`` or ``=quarto`` to force a path.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import yaml

STYLE = Path(__file__).with_name("report") / "brief.css"
FRONT_MATTER = re.compile(r"^---\s*\n(.*?)\n---\s*$", re.S)


class RenderError(RuntimeError):
    pass


def choose_engine() -> str:
    forced = os.environ.get("ANALYSIS_RENDERER", "").strip().lower()
    if forced in ("pandoc", "quarto"):
        if forced == "quarto" and not shutil.which("quarto"):
            raise RenderError("ANALYSIS_RENDERER=quarto but the quarto CLI is not on PATH")
        return forced
    return "quarto" if shutil.which("quarto") else "pandoc"


def front_matter(nb) -> dict:
    for cell in nb.cells[:1]:
        if cell.cell_type == "raw":
            match = FRONT_MATTER.match(cell.source.strip())
            if match:
                return yaml.safe_load(match.group(1)) or {}
    return {}


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


def _title(markdown: str) -> str:
    match = re.search(r"^#\s+(.+)$", markdown, re.M)
    return match.group(1).strip() if match else "Brief"


def render_pandoc(executed: Path, formats: tuple[str, ...]) -> dict[str, Path]:
    import pypandoc
    import typst

    nb = nbformat.read(executed, as_version=4)
    meta = front_matter(nb)
    folder = executed.parent
    markdown = notebook_markdown(nb, folder / f"{executed.stem}_files")
    source = folder / f"{executed.stem}.md"
    source.write_text(markdown, encoding="utf-8")
    # the brief's language is a papermill parameter; the front matter cannot follow it
    injected = nb.metadata.get("papermill", {}).get("parameters", {})
    lang = str(injected.get("language") or meta.get("lang", "id"))
    common = [f"--resource-path={folder}", f"--metadata=lang:{lang}", f"--metadata=pagetitle:{_title(markdown)}"]
    outputs: dict[str, Path] = {}
    if "html" in formats:
        html = folder / f"{executed.stem}.html"
        pypandoc.convert_file(
            str(source), "html5", format="markdown", outputfile=str(html),
            extra_args=[*common, "--standalone", "--embed-resources", f"--css={STYLE}"],
        )
        outputs["html"] = html
    if "pdf" in formats:
        typ = folder / f"{executed.stem}.typ"
        pypandoc.convert_file(
            str(source), "typst", format="markdown", outputfile=str(typ),
            extra_args=[*common, "--standalone", "--variable=papersize:a4", "--variable=fontsize:10.5pt",
                        "--variable=margin.x:2cm", "--variable=margin.y:2cm"],
        )
        pdf = folder / f"{executed.stem}.pdf"
        # root = the run folder, so figures referenced as ../figures/*.png are readable
        typst.compile(str(typ), output=str(pdf), root=str(folder.parent))
        outputs["pdf"] = pdf
    return outputs


def render_quarto(executed: Path, formats: tuple[str, ...]) -> dict[str, Path]:
    outputs: dict[str, Path] = {}
    for fmt, target in (("html", "html"), ("pdf", "typst")):
        if fmt not in formats:
            continue
        done = subprocess.run(
            ["quarto", "render", executed.name, "--to", target, "--no-execute"],
            cwd=executed.parent, capture_output=True, text=True,
        )
        if done.returncode != 0:
            raise RenderError(f"quarto render {executed} --to {target} failed:\n{done.stderr[-2000:]}")
        outputs[fmt] = executed.with_suffix(f".{fmt}")
    return outputs


def render_brief(executed: str | Path, formats: tuple[str, ...] = ("html", "pdf"), engine: str | None = None) -> dict[str, Path]:
    """Render an executed brief notebook next to itself; returns {format: path}."""
    executed = Path(executed)
    if not executed.exists():
        raise RenderError(f"executed brief not found: {executed}")
    engine = engine or choose_engine()
    outputs = render_quarto(executed, formats) if engine == "quarto" else render_pandoc(executed, formats)
    missing = [str(p) for p in outputs.values() if not p.exists() or p.stat().st_size == 0]
    if missing:
        raise RenderError(f"{engine} produced no output: {', '.join(missing)}")
    return outputs
