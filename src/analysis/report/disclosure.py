"""Disclosure control for briefs: small cells and personal identifiers never appear.

Two layers, both required by UU 27/2022 (Pelindungan Data Pribadi):

* **small cells**: a count of people (respondents, tickets, ASN) below ``min_cell``
  is shown as ``<min_cell`` and every mean or share computed from it as an em
  dash, or the small rows are merged into one group first (:func:`merge_small`).
  Counts of *service units* are not personal and are not suppressed.
* **identifiers**: :func:`check_text` scans the final Markdown of every section for
  an 18-digit NIP/NI (also in its printed, spaced form ``YYYYMMDD YYYYMM S NNN``),
  a 16-digit NIK, or a pseudonym of the data layer, and raises before anything
  is displayed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.pseudonym import HEX_CHARS, PREFIX
from analysis.report import fmt

_PATTERNS = {
    # NIP/NI: 18 digits, run together or printed as 8-6-1-3 groups (spaces, dots or dashes)
    "NIP/NI": re.compile(r"(?<![\d.,])(?:\d{18}|\d{8}[ .\-]\d{6}[ .\-]\d[ .\-]\d{3})(?![\d,]|\.\d)"),
    "NIK": re.compile(r"(?<![\d.,])\d{16}(?![\d,]|\.\d)"),
    "pseudonym": re.compile(rf"{re.escape(PREFIX)}[0-9a-fA-F]{{6,}}", re.I),
    # a bare keyed hash: as long as a pseudonym's hex part, with letters and digits mixed
    "hex identifier": re.compile(rf"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{{{HEX_CHARS},}}\b", re.I),
}


class DisclosureError(ValueError):
    """The brief text contains something that identifies a person."""


def find_identifiers(text: str) -> list[tuple[str, str]]:
    """(kind, match) of every identifier-like token in ``text``; image data is skipped."""
    text = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+", "", text)
    return [(kind, m.group(0)) for kind, pattern in _PATTERNS.items() for m in pattern.finditer(text)]


def check_text(text: str) -> str:
    """Return ``text`` unchanged, or raise :class:`DisclosureError` naming what was found (masked)."""
    found = find_identifiers(text)
    if found:
        shown = ", ".join(f"{kind} {value[:4]}…" for kind, value in found[:5])
        raise DisclosureError(f"brief text contains {len(found)} personal identifier(s): {shown}")
    return text


def count_label(n, min_cell: int, language: str) -> str:
    """A count of people, or ``<min_cell`` when it is too small to show."""
    if fmt.is_missing(n):
        return fmt.MISSING
    return f"<{min_cell}" if int(n) < min_cell else fmt.integer(n, language)


def suppress(frame: pd.DataFrame, count: str, values: list[str], min_cell: int) -> pd.DataFrame:
    """Copy of ``frame`` with ``values`` set to NaN where ``count`` < ``min_cell``; adds ``suppressed``."""
    out = frame.copy()
    small = out[count].fillna(0) < min_cell
    for col in values:
        out[col] = out[col].astype("float64").where(~small, np.nan)
    out["suppressed"] = small
    return out


def merge_small(
    frame: pd.DataFrame,
    by: list[str],
    label_col: str,
    label: str,
    count: str,
    means: list[str],
    drop: list[str],
    min_cell: int,
) -> pd.DataFrame:
    """Merge rows whose ``count`` < ``min_cell`` into one row per ``by`` group, labelled ``label``.

    ``means`` are combined as count-weighted means (exact for means and shares);
    ``drop`` columns (medians, quantiles) cannot be combined and become NaN. A merged
    row that is still below ``min_cell`` is suppressed like any other small cell.
    """
    small = frame[count].fillna(0) < min_cell
    if not small.any():
        return suppress(frame, count, means + drop, min_cell)
    merged_rows = []
    for keys, part in frame[small].groupby(by, sort=False, dropna=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        row = dict(zip(by, keys))
        total = part[count].sum()
        row[label_col] = label
        row[count] = total
        for col in means:
            weights = part[count].where(part[col].notna(), 0)
            row[col] = float((part[col].fillna(0) * weights).sum() / weights.sum()) if weights.sum() > 0 else np.nan
        for col in drop:
            row[col] = np.nan
        merged_rows.append(row)
    out = pd.concat([frame[~small], pd.DataFrame(merged_rows)], ignore_index=True)
    return suppress(out, count, means + drop, min_cell)
