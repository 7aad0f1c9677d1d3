"""Small Markdown builders whose output renders the same in HTML (pandoc/Quarto) and Typst."""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

#: Tables with more rows than this may break across PDF pages; shorter ones stay whole.
LONG_TABLE = 15


def cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(headers: Sequence[str], rows: Sequence[Sequence], *, align: str = "", widths: Sequence[int] = (),
          caption: str = "", label: str = "") -> str:
    """A pipe table. ``align``: one of l/r/c per column (default: first left, rest right).

    pandoc sizes a pipe table to its content unless a line is wider than 72 characters;
    then the table takes the full width and the dashes of the separator line give the
    relative column widths. So wide tables get dashes proportional to ``widths`` (default:
    each column's longest text), narrow ones stay content-sized.

    A captioned table gets a label (``{#tbl-...}``; default: from the caption and the
    table's text): Quarto's Typst output drops the captions of unlabelled tables
    (quarto-dev/quarto-cli#11733) and numbers labelled ones ("Tabel 1").
    """
    n = len(headers)
    align = align or "l" + "r" * (n - 1)
    texts = [[cell(h) for h in headers]] + [[cell(v) for v in row] for row in rows]
    natural = [max(len(r[i]) for r in texts) for i in range(n)]
    weights = list(widths) or [min(w, 40) for w in natural]
    if sum(natural) + 3 * n > 72:
        dashes = [max(3, round(100 * w / sum(weights))) for w in weights]
    else:
        dashes = [max(3, w) for w in natural]
    marks = {"l": (":", "-"), "r": ("-", ":"), "c": (":", ":")}
    sep = [marks[a][0] + "-" * d + marks[a][1] for a, d in zip(align, dashes)]
    lines = ["| " + " | ".join(texts[0]) + " |", "|" + "|".join(sep) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in texts[1:]]
    text = "\n".join(lines)
    if caption:
        text += f"\n\n: {cell(caption)} {{#{label or table_label(caption, text)}}}"
    if len(rows) > LONG_TABLE:
        # Typst keeps a captioned table (a figure) on one page; let long ones break, in this div only
        text = ("::: long-table\n```{=typst}\n#show figure.where(kind: table): set block(breakable: true)\n```\n\n"
                + text + "\n:::")
    return text


def table_label(caption: str, text: str) -> str:
    """A stable, unique cross-reference label: ``tbl-`` + words of the caption + a hash of the table."""
    words = "-".join(re.findall(r"[a-z0-9]+", caption.lower())[:5]) or "table"
    return f"tbl-{words}-{hashlib.sha1(text.encode()).hexdigest()[:6]}"


def bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {i}" for i in items if i)


def numbered(items: Sequence[str]) -> str:
    return "\n".join(f"{n}. {i}" for n, i in enumerate((i for i in items if i), 1))


def figure(path: str, caption: str, width: str = "72%") -> str:
    """An image alone in its paragraph: pandoc makes it a captioned figure in HTML and Typst."""
    return f"![{cell(caption)}]({path}){{width={width}}}"


def page_break() -> str:
    """A page break in the PDF (raw Typst); HTML ignores raw Typst and prints with CSS breaks.

    Quarto wraps each cell's output in a block, where Typst refuses ``pagebreak`` and drops a
    ``colbreak`` that ends the block; filling the rest of the page first (``v(1fr)``) and then
    breaking the column (the page, in one column) works there and at the top level alike.
    """
    return "```{=typst}\n#v(1fr)\n#colbreak(weak: true)\n```\n\n```{=html}\n<div class=\"page-break\"></div>\n```"


def small(text: str) -> str:
    """Secondary text: a fenced div with class ``small`` (styled by brief.css)."""
    return f"::: small\n{text}\n:::"
