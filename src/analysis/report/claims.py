"""Claims: every number or judgement a brief prints, with the table cell and the rule it comes from.

A section builds each number through a :class:`Ledger`: ``ledger.add(text, value, table, row,
column, rule)`` records a :class:`Claim` and returns the text wrapped in an HTML span whose
``title`` names the source, so a reader of the HTML sees it on hover (pandoc and Quarto read
the raw span as a native span: HTML keeps it, Typst prints only its text). Each section then
writes its claims into ``<brief folder>/claims.csv`` (:func:`save`), replacing its own earlier
rows, so re-running a section never duplicates claims. ``analysis audit`` recomputes every
claim from the result tables with code of its own (:mod:`analysis.audit`).

``row`` is a filter on the source table, ``key=value`` pairs joined by ``&`` (``|`` separates
alternatives, ``>=``/``<`` compare numbers, ``!=`` excludes). ``rule`` says how the value
follows from the selected cells; the audit documents each rule.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from analysis.report.areas import slug
from analysis.report.i18n import t

COLUMNS = ["brief", "section", "claim_id", "text", "value", "table", "row", "column", "rule"]
#: Sections in the order a brief prints them (claims.csv keeps this order).
SECTIONS = ("summary", "evidence", "limitations", "recommendations", "provenance")
FILE = "claims.csv"


@dataclass(frozen=True)
class Claim:
    section: str
    claim_id: str
    text: str
    value: str
    table: str
    row: str
    column: str
    rule: str


def encode(value) -> str:
    """A claim value as text: full-precision numbers, lists joined by ``;``."""
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(float(value))
    if hasattr(value, "item"):  # numpy scalars
        return encode(value.item())
    return "" if value is None else str(value)


def row_key(**keys) -> str:
    """``row_key(outcome="ikm")`` -> ``outcome=ikm``."""
    return "&".join(f"{k}={v}" for k, v in keys.items())


class Ledger:
    """The claims of one section of one brief."""

    def __init__(self, section: str, language: str, *, prefix: str | None = None):
        self.section, self.language, self.claims = section, language, []
        self.prefix = prefix or section

    def add(self, text: str, value, table: str, row: str = "", column: str = "", rule: str = "cell", *,
            span: bool = True) -> str:
        """Record a claim and return ``text``, wrapped in a hover span unless ``span=False`` (captions)."""
        text = str(text)
        claim = Claim(self.section, f"{self.prefix}-{len(self.claims) + 1:03d}", text, encode(value), table, row,
                      column, rule)
        self.claims.append(claim)
        if not span:
            return text
        where = t(self.language, "claim_source", table=table, row=_short(row) or "–", column=column or "–")
        return (f'<span class="claim" data-claim="{claim.claim_id}" title="{html.escape(where, quote=True)}">'
                f"{text}</span>")

    def save(self, out_dir: Path, brief: str) -> Path:
        return save(Path(out_dir), brief, self.section, self.claims)


#: A row filter longer than this (an area's unit ids) is shortened in the hover title; claims.csv keeps it whole.
TITLE_ROW = 160


def _short(row: str) -> str:
    if len(row) <= TITLE_ROW:
        return row
    return row[:TITLE_ROW].rsplit("|", 1)[0] + "|…"


def brief_name(unit_id: str, language: str, area: str = "") -> str:
    """Name of a brief in claims.csv: ``kecamatan-id``, ``U05-en`` (as its folder), ``area-<area slug>-id``."""
    if area and not unit_id:
        return f"area-{slug(area)}-{language}"
    return f"{unit_id or 'kecamatan'}-{language}"


def save(out_dir: Path, brief: str, section: str, claims: list[Claim]) -> Path:
    """Write ``claims`` as the rows of ``section`` in ``out_dir/claims.csv`` (other sections kept)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILE
    frame = (pd.read_csv(path, dtype=str, keep_default_na=False) if path.exists()
             else pd.DataFrame(columns=COLUMNS))
    frame = frame[~((frame["brief"] == brief) & (frame["section"] == section))]
    new = pd.DataFrame([{"brief": brief, **asdict(c)} for c in claims], columns=COLUMNS)
    frame = pd.concat([frame, new], ignore_index=True) if len(frame) else new
    order = {s: i for i, s in enumerate(SECTIONS)}
    frame = frame.assign(_o=frame["section"].map(lambda s: order.get(s, len(order)))).sort_values(
        ["brief", "_o", "claim_id"], kind="stable").drop(columns="_o")
    tmp = path.with_suffix(".tmp")
    frame[COLUMNS].to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(path)  # never a half-written claims file
    return path


def read(out_dir: Path) -> pd.DataFrame:
    path = Path(out_dir) / FILE
    return pd.read_csv(path, dtype=str, keep_default_na=False) if path.exists() else pd.DataFrame(columns=COLUMNS)
