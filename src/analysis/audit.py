"""``analysis audit RUN_DIR``: recompute every claim of every brief from the result tables.

Each brief writes its claims beside it (``claims.csv``: brief, section, claim id, text, value,
table, row, column, rule; see :mod:`analysis.report.claims`). This module checks each one
against the run's tables with code of its own: it imports nothing from ``analysis.report``,
so a bug in the text generator's helpers cannot hide itself by being repeated here. It
reads the same facts as the brief (the result tables, the manifest, and the outcome
directions in ``report/outcomes.yaml``, which is data), and recomputes:

* the value from the table by the claim's rule (below), which must equal the claimed value;
* the number printed in the claim's text, which must be the claimed value as rounded on
  the page (Indonesian ``1.234,5`` or English ``1,234.5``; ``< x`` means below x);
* where the rendered HTML is present, the text of each claim's span, which must be the
  claim's text;
* on the index page of a brief batch (``index-<lang>.html``), each figure's span, which must
  name a claim of its brief (``data-brief``, ``data-claim``) and show that claim's text.

Briefs are those of the run folder: ``brief*/``, ``units/*/`` and ``areas/*/``.

Rules (``row`` is a filter: ``k=v`` with ``|`` alternatives, ``k!=v``, ``k>=v``, ``k<v``,
joined by ``&``; an empty value matches an empty or missing cell; ``*F`` scales by F):

``cell``/``abs``          the one selected cell (its absolute value)
``cell_word``/``text``    the selected cell as text (the page shows a translation / words)
``count``                 number of selected rows
``sum``                   sum of the column over the selected rows
``difference``            ``a-b`` of two columns of the one row
``wmean:W``               mean of the column weighted by column W
``ratio:FILTER``          sum over the rows that also pass FILTER / sum over the selected rows
``min``/``max``           smallest / largest value of the column over the selected rows
``max:COND``              the selected cell, which must be the largest among rows passing COND
``argmin:COND``           the selected row's key, which must hold the smallest value among COND rows
``rank_desc:COND``        rank of the selected row's value among COND rows, 1 = largest
``quarter``               calendar quarter (``2024Q4``) of the selected row, or the latest quarter
``suppressed:N``          the selected count N, which must be below the run's ``min_cell``
``suppressed_sum:N``      the same for the sum of N over the selected rows
``merged``                words for a merged row's medians: the selected rows exist
``untested``              the pre-trend p-value of the row is missing
``count_tested``          outcomes with a pre-trend p-value
``pretrend_flagged``      outcomes whose pre-trend flag is raised
``pretrend_untested``     outcomes without a pre-trend p-value
``conclusion``            better/worse/up/down/zero/unreliable/fragile for the outcome
``office_conclusion``     better/worse/up/down/zero for the selected one-office effect (``single_office``)
``honest``/``honest_m``   honest-bounds status (never/zero/upto/missing with M) / that M
``robust_same``/``robust_total``/``robust_na``
                          alternatives in the same direction / alternatives / not computable,
                          without the main row, rows equal to the main estimate, duplicates
                          and placebo rows
``level``                 confidence level, 100 (1 - alp)
``param``/``date``        a run parameter / a manifest date (YYYY-MM-DD)
"""

from __future__ import annotations

import functools
import html
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

OUTCOMES_FILE = Path(__file__).parent / "report" / "outcomes.yaml"
_SPAN = re.compile(r'<span[^>]*\bdata-claim="([^"]+)"[^>]*>(.*?)</span>', re.S)
_NUMBER = re.compile(r"[\u2212+\-]?\d[\d.,]*")


@dataclass(frozen=True)
class Disagreement:
    brief: str
    claim_id: str
    text: str
    claimed: str
    found: str
    why: str

    def line(self) -> str:
        return f"{self.brief} {self.claim_id} '{self.text}': claims {self.claimed}, found {self.found} ({self.why})"


class AuditError(RuntimeError):
    """Claims of a brief disagree with the run's tables."""


class Tables:
    """The run's result tables and manifest, read once."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.manifest = json.loads((self.run_dir / "manifest.json").read_text(encoding="utf-8"))
        self._cache: dict[str, pd.DataFrame | None] = {}
        self._rows: dict[tuple[str, str], pd.DataFrame] = {}
        self._indexes: dict[tuple[str, str], _Index] = {}
        self.memo: dict[tuple, object] = {}  # answers of _per_run functions

    def get(self, name: str) -> pd.DataFrame | None:
        if name not in self._cache:
            base = self.run_dir / "tables" / name
            if base.with_suffix(".parquet").exists():
                self._cache[name] = pd.read_parquet(base.with_suffix(".parquet"))
            elif base.with_suffix(".csv").exists():
                self._cache[name] = pd.read_csv(base.with_suffix(".csv"))
            else:
                self._cache[name] = None
        return self._cache[name]

    def need(self, name: str) -> pd.DataFrame:
        frame = self.get(name)
        if frame is None:
            raise LookupError(f"table {name} is missing")
        return frame

    def rows(self, name: str, row: str) -> pd.DataFrame:
        """The rows of table ``name`` that pass filter ``row`` (memoised: many claims share a filter).

        The ``=`` parts of the filter are looked up in an index of the column (:class:`_Index`, built
        once per table and column), so a claim costs the rows it selects, not the table's length; the
        other parts are applied by :func:`select` to the rows left.
        """
        key = (name, row)
        if key not in self._rows:
            frame = self.need(name)
            parts = _parts(row)
            positions = None
            for column, op, value in parts:
                if op != "=":
                    continue
                found = self._index(name, column).positions(value.split("|"))
                positions = found if positions is None else np.intersect1d(positions, found, assume_unique=True)
            rest = "&".join(f"{c}{op}{v}" for c, op, v in parts if op != "=")
            self._rows[key] = select(frame if positions is None else frame.iloc[positions], rest)
        return self._rows[key]

    def _index(self, name: str, column: str) -> "_Index":
        key = (name, column)
        if key not in self._indexes:
            frame = self.need(name)
            if column not in frame:
                raise LookupError(f"no column {column}")
            self._indexes[key] = _Index(frame[column])
        return self._indexes[key]

    @property
    def params(self) -> dict:
        return self.manifest.get("parameters", {})


# --- filters -------------------------------------------------------------------------------

def _empty(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or (isinstance(x, str) and not x.strip())


def _same(cell, wanted: str) -> bool:
    if wanted == "":
        return _empty(cell)
    if _empty(cell):
        return False
    if isinstance(cell, (bool, np.bool_)):
        return str(bool(cell)).lower() == wanted.lower()
    try:
        return float(cell) == float(wanted)
    except (TypeError, ValueError):
        return str(cell) == wanted


def _parts(row: str) -> list[tuple[str, str, str]]:
    """(column, operator, value) of each ``&`` part of a row filter."""
    parts = []
    for part in filter(None, row.split("&")):
        match = re.match(r"^([A-Za-z_][\w]*)(>=|<|!=|=)(.*)$", part)
        if not match:
            raise ValueError(f"unreadable row filter '{part}'")
        parts.append(match.groups())
    return parts


class _Index:
    """Row positions of one column by value, matched as :func:`_same` matches (for ``=`` filters).

    :func:`_same` compares a cell with a wanted text as booleans (a bool cell), as numbers (both read
    as numbers) or as text (either does not). Each cell is filed under the keys it can match that
    way: ``("b", "true")`` for a bool, ``("f", 5.0)`` and ``("s", "5")`` for a number, ``("s", text)``
    for other text, ``_EMPTY`` for an empty cell; a wanted text is looked up under ``("b", lower
    case)``, ``("f", number)`` when it reads as a number (else ``("s", text)``), or ``_EMPTY`` for ``""``.
    """

    def __init__(self, column: pd.Series):
        where: dict[object, list[int]] = {}
        for i, cell in enumerate(column.tolist()):
            for key in _cell_keys(cell):
                where.setdefault(key, []).append(i)
        self._where = {k: np.asarray(v, dtype=np.int64) for k, v in where.items()}

    def positions(self, wanted: list[str]) -> np.ndarray:
        found = [self._where[k] for w in wanted for k in _wanted_keys(w) if k in self._where]
        if len(found) == 1:
            return found[0]  # built in row order: sorted, no repeats
        return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)


_EMPTY = ("empty",)


def _cell_keys(cell) -> tuple:
    if _empty(cell):
        return (_EMPTY,)
    if isinstance(cell, (bool, np.bool_)):
        return (("b", str(bool(cell)).lower()),)
    try:
        number = float(cell)
    except (TypeError, ValueError):
        return (("s", str(cell)),)
    return () if math.isnan(number) else (("f", number), ("s", str(cell)))  # NaN equals nothing


def _wanted_keys(wanted: str) -> tuple:
    if wanted == "":
        return (_EMPTY,)
    number = _as_number(wanted)
    if number is None:
        return ("b", wanted.lower()), ("s", wanted)
    return (("b", wanted.lower()),) if math.isnan(number) else (("b", wanted.lower()), ("f", number))


def select(frame: pd.DataFrame, row: str) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for key, op, value in _parts(row):
        if key not in frame:
            raise LookupError(f"no column {key}")
        col = frame[key]
        if op in (">=", "<"):
            num = pd.to_numeric(col, errors="coerce")
            mask &= (num >= float(value)) if op == ">=" else (num < float(value))
        else:
            wanted = value.split("|")
            if len(wanted) > 8 and (col.dtype == object or pd.api.types.is_string_dtype(col)) and not any(v == "" or _as_number(v) is not None for v in wanted):
                # many names or ids (an area's units): one set lookup, the same answer as _same on each
                hit = col.notna() & col.astype(str).isin(set(wanted))
            else:
                hit = col.map(lambda c: any(_same(c, v) for v in wanted)).astype(bool)  # bool also when empty
            mask &= ~hit if op == "!=" else hit
    return frame[mask]


def one(frame: pd.DataFrame, row: str) -> pd.Series:
    return _one(select(frame, row), row)


def _one(rows: pd.DataFrame, row: str) -> pd.Series:
    if len(rows) != 1:
        raise LookupError(f"row '{row}' selects {len(rows)} rows, not one")
    return rows.iloc[0]


# --- recomputation -------------------------------------------------------------------------

def _per_run(func):
    """Memoise ``func(tables, *args)`` on the run's Tables: the claims of many briefs ask the same questions."""
    @functools.wraps(func)
    def wrapper(tables: Tables, *args):
        key = (func.__name__, *args)
        if key not in tables.memo:
            tables.memo[key] = func(tables, *args)
        return tables.memo[key]
    return wrapper


@functools.lru_cache(maxsize=1)
def _directions() -> dict[str, str]:
    data = yaml.safe_load(OUTCOMES_FILE.read_text(encoding="utf-8"))
    return {name: entry["direction"] for name, entry in data.items()}


@_per_run
def _pretrend_row(tables: Tables, outcome: str):
    frame = tables.get("pretrend")
    if frame is None:
        return None
    rows = frame[frame["outcome"] == outcome]
    return rows.iloc[0] if len(rows) else None


@_per_run
def _honest(tables: Tables, outcome: str) -> tuple[str, float | None]:
    frame = tables.get("honest_bounds")
    if frame is None:
        return "missing", None
    rows = frame[frame["outcome"] == outcome]
    if "method" in rows and len(rows):
        kinds = set(rows["method"])
        rows = rows[rows["method"] == ("relative_magnitudes" if "relative_magnitudes" in kinds
                                       else rows["method"].iloc[0])]
    rows = rows[rows["lb"].notna() & rows["ub"].notna()].sort_values("M")
    if not len(rows):
        return "missing", None
    excludes = [not (lb <= 0 <= ub) for lb, ub in zip(rows["lb"], rows["ub"])]
    if all(excludes):
        return "never", float(rows["M"].iloc[-1])
    if not excludes[0]:
        return "zero", None
    return "upto", float(rows["M"].iloc[excludes.index(False) - 1])


@_per_run
def _conclusion(tables: Tables, outcome: str) -> str:
    head = one(tables.need("headline"), f"outcome={outcome}")
    pre = _pretrend_row(tables, outcome)
    if pre is not None and bool(pre["flag"]):
        return "unreliable"
    lo, hi = head["conf_low"], head["conf_high"]
    if _empty(lo) or _empty(hi) or lo <= 0 <= hi:
        return "zero"
    if _honest(tables, outcome)[0] == "zero":
        return "fragile"
    up = head["estimate"] > 0
    direction = _directions()[outcome]
    if direction == "neither":
        return "up" if up else "down"
    return "better" if up == (direction == "better_up") else "worse"


def _office_conclusion(cell: pd.Series) -> str:
    """Judgement of a one-office effect: its interval against zero, read in the outcome's direction."""
    lo, hi = cell["conf_low"], cell["conf_high"]
    if _empty(lo) or _empty(hi) or lo <= 0 <= hi:
        return "zero"
    up = cell["estimate"] > 0
    direction = _directions()[cell["outcome"]]
    if direction == "neither":
        return "up" if up else "down"
    return "better" if up == (direction == "better_up") else "worse"


@_per_run
def _alternatives(tables: Tables, outcome: str) -> tuple[int, int, int]:
    head = one(tables.need("headline"), f"outcome={outcome}")
    main = (float(head["estimate"]), float(head["conf_low"]), float(head["conf_high"]))
    kept, missing = [], 0
    for name in ("robustness", "spec_curve"):
        frame = tables.get(name)
        if frame is None:
            continue
        for rec in frame[frame["outcome"] == outcome].to_dict("records"):
            tag = str(rec.get("check", rec.get("label", "")))
            if "placebo" in tag or tag == "main":
                continue
            if _empty(rec.get("estimate")):
                missing += 1
                continue
            trio = tuple(float(rec.get(k, np.nan)) for k in ("estimate", "conf_low", "conf_high"))
            if all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
                   for a, b in zip(trio, main)):
                continue
            key = tuple(round(v, 12) if not math.isnan(v) else None for v in trio)
            if key not in {k for k, _ in kept}:
                kept.append((key, trio[0]))
    same = sum(1 for _, est in kept if np.sign(est) == np.sign(main[0]))
    return same, len(kept), missing


def _quarter_label(tables: Tables, value) -> str:
    if isinstance(value, str) and not value.isdigit():
        return value
    start = pd.Period(str(tables.need("run_info").iloc[0]["data_start"]), "M").asfreq("Q")
    return str(start + int(value) - 1)


def _manifest_value(tables: Tables, row: str, column: str):
    source = tables.params if row == "parameters" else tables.manifest
    for part in column.split("."):
        source = source.get(part) if isinstance(source, dict) else None
    return source


def _split_rule(rule: str) -> tuple[str, str, float]:
    factor = 1.0
    if "*" in rule:
        rule, f = rule.rsplit("*", 1)
        factor = float(f)
    base, _, arg = rule.partition(":")
    return base, arg, factor


def recompute(tables: Tables, claim: dict):
    """The value a claim should hold, from the tables (a number, a string or a sorted list)."""
    base, arg, factor = _split_rule(claim["rule"])
    table, row, column = claim["table"], claim["row"], claim["column"]
    if table == "manifest":
        if base == "level":
            return round((1 - float(tables.params["alp"])) * 100, 6)
        value = _manifest_value(tables, row, column)
        if base == "date":
            return str(value)[:10]
        if isinstance(value, list):
            return sorted(str(v) for v in value)
        return value
    if base in ("pretrend_flagged", "pretrend_untested", "count_tested"):
        outcomes = list(tables.need("headline")["outcome"])
        rows = {o: _pretrend_row(tables, o) for o in outcomes}
        if base == "pretrend_flagged":
            return sorted(o for o, r in rows.items() if r is not None and bool(r["flag"]))
        untested = sorted(o for o, r in rows.items() if r is None or _empty(r["p_value"]))
        return untested if base == "pretrend_untested" else len(outcomes) - len(untested)
    outcome = row.split("=", 1)[1] if row.startswith("outcome=") else None
    if base == "conclusion":
        return _conclusion(tables, outcome)
    if base in ("honest", "honest_m"):
        status, m = _honest(tables, outcome)
        if base == "honest_m":
            return m
        return f"{status}:{m:g}" if m is not None else status
    if base.startswith("robust_"):
        same, total, missing = _alternatives(tables, outcome)
        return {"robust_same": same, "robust_total": total, "robust_na": missing}[base]
    if base == "untested" and table == "pretrend" and outcome is not None:
        found = _pretrend_row(tables, outcome)  # no table or no row: the test did not run for it
        return "" if found is None or _empty(found["p_value"]) else "tested"
    frame = tables.need(table)
    sel = tables.rows(table, row)
    if base == "office_conclusion":
        return _office_conclusion(_one(sel, row))
    if base == "untested":
        return "" if _empty(_one(sel, row)["p_value"]) else "tested"
    if base == "quarter":
        if row:
            cell = _one(sel, row)
            return str(cell["quarter_label"]) if "quarter_label" in cell else _quarter_label(tables, cell["quarter"])
        col = frame["quarter_label"] if "quarter_label" in frame else frame["quarter"]
        labels = [_quarter_label(tables, v) for v in col.dropna().unique()]
        return max(labels, key=lambda q: (int(q[:4]), int(q[-1])))
    if base in ("suppressed", "suppressed_sum"):
        rows = sel
        n = float(rows[arg].sum()) if base == "suppressed_sum" else float(_one(sel, row)[arg])
        if n >= int(tables.params.get("min_cell", 10)):
            return f"not small ({n:g})"
        return n
    if base == "merged":  # words for figures that cannot be merged: the merged rows must exist
        return "" if len(sel) else "no rows to merge"
    if base == "count":
        return len(sel)
    if base == "sum":
        return float(sel[column].sum()) * factor
    if base == "difference":
        a, b = column.split("-")
        cell = _one(sel, row) if row else frame.iloc[0]
        return float(cell[a]) - float(cell[b])
    if base == "wmean":
        rows = sel
        return float((rows[column] * rows[arg]).sum() / rows[arg].sum()) * factor
    if base == "ratio":
        rows = sel
        return float(select(rows, arg)[column].sum() / rows[column].sum()) * factor
    if base == "values":
        return sorted(str(v) for v in sel[column])
    if base in ("min", "max") and not arg:
        values = [v for v in sel[column] if not _empty(v)]
        return (min if base == "min" else max)(values)
    cell = _one(sel, row) if row else frame.iloc[0]
    if base in ("max", "argmin", "rank_desc"):
        pool = tables.rows(table, arg)  # indexed and memoised: the claims of a ranking share their pool
        key = row.split("=", 1)[0]
        if base == "max":
            return cell[column] if cell[column] == pool[column].max() else f"not the largest ({cell[column]})"
        if base == "argmin":
            return str(pool.sort_values([column, key]).iloc[0][key])
        ranked = pool.sort_values([column, key], ascending=[False, True])
        return list(ranked[key].astype(str)).index(str(cell[key])) + 1
    value = cell[column]
    if base in ("cell_word", "text"):
        return "" if _empty(value) else (str(value).lower() if isinstance(value, (bool, np.bool_)) else str(value))
    if base == "abs":
        return abs(float(value)) * factor
    if isinstance(value, str):
        return value
    return float(value) * factor


# --- comparison ----------------------------------------------------------------------------

def _as_number(text: str):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _agrees(claimed: str, found) -> bool:
    if isinstance(found, list):
        return sorted(filter(None, claimed.split(";"))) == found
    number = _as_number(claimed)
    if number is not None and isinstance(found, (int, float, np.integer, np.floating)) and not isinstance(found, bool):
        return math.isclose(number, float(found), rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(found, (bool, np.bool_)):
        return claimed == str(bool(found)).lower()
    if found is None:
        return claimed == ""
    return claimed == str(found)


def shown_number(text: str, language: str) -> tuple[float, int, bool] | None:
    """(value, decimals, below) of the first number in a claim's text; ``below`` for ``< x``."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    match = _NUMBER.search(plain)
    if not match:
        return None
    token = match.group(0).rstrip(".,")
    sign = -1.0 if token[0] in "\u2212-" else 1.0
    digits = token.lstrip("\u2212+-")
    thousands, decimal = (".", ",") if language == "id" else (",", ".")
    digits = digits.replace(thousands, "")
    decimals = len(digits.split(decimal, 1)[1]) if decimal in digits else 0
    below = plain[:match.start()].rstrip().endswith("<")
    return sign * float(digits.replace(decimal, ".")), decimals, below


def _text_agrees(text: str, claimed: str, language: str, rule: str = "") -> bool:
    if rule.startswith("suppressed") and text.strip() == "\u2014":
        return True  # a hidden figure: the dash shows no number
    number = _as_number(claimed)
    if number is None or claimed in ("nan", "inf"):
        return True
    shown = shown_number(text, language)
    if shown is None:
        return False
    value, decimals, below = shown
    if below:
        return number < value
    return abs(value - number) <= 0.5 * 10 ** -decimals + 1e-9 * max(1.0, abs(number))


def audit_claims(run_dir: Path, claims: pd.DataFrame, html_text: str | None = None,
                 tables: Tables | None = None) -> list[Disagreement]:
    tables = tables or Tables(run_dir)
    out = []
    def plain(text: str) -> str:  # renderers wrap lines and may add tags inside a span
        return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())

    spans = {cid: plain(text) for cid, text in _SPAN.findall(html_text or "")}
    for claim in claims.to_dict("records"):
        language = claim["brief"].rsplit("-", 1)[-1]
        where = (claim["brief"], claim["claim_id"], claim["text"], claim["value"])
        try:
            found = recompute(tables, claim)
        except (LookupError, ValueError, KeyError, TypeError, IndexError) as exc:
            out.append(Disagreement(*where, "nothing", f"cannot recompute: {exc}"))
            continue
        if not _agrees(claim["value"], found):
            shown = ";".join(found) if isinstance(found, list) else str(found)
            out.append(Disagreement(*where, shown, f"rule {claim['rule']} on {claim['table']}"))
        elif not _text_agrees(claim["text"], claim["value"], language, claim["rule"]):
            out.append(Disagreement(*where, claim["text"], "the text does not show the value"))
        elif claim["claim_id"] in spans and spans[claim["claim_id"]] != plain(claim["text"]):
            out.append(Disagreement(*where, spans[claim["claim_id"]], "the HTML shows other text"))
    return out


def claim_files(run_dir: Path) -> list[Path]:
    run_dir = Path(run_dir)
    return sorted([*run_dir.glob("brief*/claims.csv"), *run_dir.glob("units/*/claims.csv"),
                   *run_dir.glob("areas/*/claims.csv")])


_INDEX_SPAN = re.compile(r'<span[^>]*\bdata-brief="([^"]+)"[^>]*\bdata-claim="([^"]+)"[^>]*>(.*?)</span>', re.S)


def audit_index(run_dir: Path, page: Path) -> tuple[int, list[Disagreement]]:
    """(figures checked, disagreements) of an index page: each figure must be its brief's claim, shown as recorded."""
    claims = {}
    for path in claim_files(run_dir):
        for claim in pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records"):
            claims[(claim["brief"], claim["claim_id"])] = claim
    found = _INDEX_SPAN.findall(page.read_text(encoding="utf-8"))
    out = []
    for brief, claim_id, text in found:
        shown = " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())
        claim = claims.get((brief, claim_id))
        if claim is None:
            out.append(Disagreement(brief, claim_id, shown, "", "nothing", f"{page.name}: no such claim"))
        elif " ".join(claim["text"].split()) != shown:
            out.append(Disagreement(brief, claim_id, claim["text"], claim["value"], shown,
                                    f"{page.name} shows other text"))
    return len(found), out


def audit_run(run_dir: str | Path, only: str | None = None) -> tuple[int, list[Disagreement]]:
    """(claims checked, disagreements) over every brief of a run (or the brief folder ``only``)."""
    run_dir = Path(run_dir)
    checked, problems = 0, []
    tables = Tables(run_dir)  # read once for every brief of the run
    for path in claim_files(run_dir):
        if only is not None and path.parent != run_dir / only:
            continue
        claims = pd.read_csv(path, dtype=str, keep_default_na=False)
        page = path.parent / "brief.html"
        problems += audit_claims(run_dir, claims, page.read_text(encoding="utf-8") if page.exists() else None, tables)
        checked += len(claims)
    for page in sorted(run_dir.glob("index-*.html")) if only is None else []:  # the index pages of brief batches
        figures, wrong = audit_index(run_dir, page)
        checked, problems = checked + figures, problems + wrong
    return checked, problems


def check_run(run_dir: str | Path) -> int:
    """Raise :class:`AuditError` naming the claims that disagree (the runner's last step); returns claims checked."""
    checked, problems = audit_run(run_dir)
    if not checked:
        raise AuditError(f"no claims.csv in {run_dir}: the brief recorded no claims")
    if problems:
        shown = "; ".join(p.line() for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise AuditError(f"audit failed: {len(problems)} of {checked} claims disagree with the tables: {shown}{more}")
    return checked


def run_step(run_dir: Path, manifest, say) -> None:
    """The runner's last step: audit the run's briefs; a disagreement fails the run, naming the claims."""
    import time

    from analysis.runner import RunError

    t0 = time.perf_counter()
    record = {"name": "audit", "notebook": "", "status": "running"}
    manifest.step(record)
    try:
        checked = check_run(run_dir)
    except AuditError as exc:
        record.update(status="failed", error=str(exc), seconds=round(time.perf_counter() - t0, 3))
        manifest.step(record)
        raise RunError(str(exc)) from None
    record.update(status="complete", claims=checked, seconds=round(time.perf_counter() - t0, 3))
    manifest.step(record)
    say(f"audit: {checked} claims agree with the result tables")


try:  # the command line (``analysis audit``); click is there whenever the CLI is
    import click
except ImportError:  # pragma: no cover
    click = None

if click is not None:
    @click.command("audit")
    @click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
    def audit_command(run_dir):
        """Recompute every claim of every brief of RUN_DIR from its result tables; list disagreements."""
        import sys

        checked, problems = audit_run(Path(run_dir))
        if not checked:
            click.echo(f"no claims.csv under {run_dir}: make a brief first", err=True)
            sys.exit(1)
        for problem in problems:
            click.echo(problem.line())
        click.echo(f"{checked} claims checked, {len(problems)} disagree", err=True)
        sys.exit(1 if problems else 0)
