"""Helpers shared by the sections of a brief: run lookups, the finding rows, the IKM frame, the guard.

Every section ends with :func:`finish`, which joins its parts and runs the identifier
guard (:func:`analysis.report.disclosure.check_text`) before anything is displayed.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.report import fmt, sentences
from analysis.report.areas import slug
from analysis.report.claims import brief_name, row_key
from analysis.report.disclosure import check_text, suppress
from analysis.report.i18n import UNIT_TYPES, join_list, t, vocab
from analysis.report.results import RunResults

#: Outcomes with a key-finding bullet on page one and an event-study figure (the rest are in the table).
KEY_OUTCOMES = 4
#: Unit names listed in one sentence before "and N other units".
MAX_NAMES = 5


def brief_dir(run_dir: str | Path, unit_id: str = "", language: str | None = None, area: str = "") -> Path:
    """Folder of a brief: ``<run>/brief`` (main, run language), ``<run>/brief-<lang>``, ``<run>/units/<id>-<lang>``,
    ``<run>/areas/<area slug>-<lang>``."""
    res = RunResults(run_dir)
    language = language or res.figure_language
    if unit_id:
        return res.run_dir / "units" / f"{unit_id}-{language}"
    if area:
        return res.run_dir / "areas" / f"{slug(area)}-{language}"
    return res.run_dir / ("brief" if language == res.figure_language else f"brief-{language}")


def finish(parts: list[str]) -> str:
    return check_text("\n\n".join(p.strip() for p in parts if p and p.strip()) + "\n")


def close(parts: list[str], ledger, res: RunResults, unit_id: str, language: str, area: str = "") -> str:
    """Finish a section and write its claims beside the brief (claims.csv)."""
    text = finish(parts)
    ledger.save(brief_dir(res.run_dir, unit_id, language, area), brief_name(unit_id, language, area))
    return text


def names(names: list[str], language: str) -> str:
    names = [str(n) for n in names]
    if len(names) > MAX_NAMES:
        rest = len(names) - MAX_NAMES
        names = names[:MAX_NAMES] + [t(language, "and_more", n=fmt.integer(rest, language))]
    return join_list(names, language)


def unit_row(res: RunResults, unit_id: str) -> dict:
    schedule = res.table("adoption_schedule")
    rows = schedule[schedule["unit_id"].astype(str) == str(unit_id)]
    if rows.empty:
        raise KeyError(t("en", "unit_not_found", unit=unit_id))
    return rows.iloc[0].to_dict()


def adopted(value) -> bool:
    return not fmt.is_missing(value) and bool(str(value).strip())


def effect_rows(res: RunResults) -> list[dict]:
    """Headline rows with their pre-trend flag and p-value and their honest-bounds status attached."""
    rows = []
    bounds = res.optional("honest_bounds")
    for row in res.headline.to_dict("records"):
        row["flag"], row["pretrend_p"] = res.pretrend(row["outcome"])
        row["honest"], row["honest_m"] = (honest_breakdown(bounds, row["outcome"]) if bounds is not None
                                          else ("missing", None))
        row["fragile"] = row["honest"] == "zero"  # the honest interval at M = 0 does not exclude zero
        rows.append(row)
    return rows


def honest_rows(bounds: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """An outcome's honest bounds of one method (relative magnitudes when present), by M.

    Reads only the generic columns (outcome, method, M, lb, ub, optional target), whatever
    construction produced them.
    """
    rows = bounds[bounds["outcome"] == outcome]
    if "method" in rows and len(rows):
        methods = list(rows["method"].unique())
        rows = rows[rows["method"] == ("relative_magnitudes" if "relative_magnitudes" in methods else methods[0])]
    return rows.dropna(subset=["lb", "ub"]).sort_values("M")


def honest_breakdown(bounds: pd.DataFrame, outcome: str) -> tuple[str, float | None]:
    """('never' | 'zero' | 'upto' | 'missing', M): the largest M up to which the robust interval excludes zero."""
    rows = honest_rows(bounds, outcome)
    if rows.empty:
        return "missing", None
    holds = ~((rows["lb"] <= 0) & (rows["ub"] >= 0))
    if holds.all():
        return "never", float(rows["M"].max())
    if not holds.iloc[0]:
        return "zero", None
    first_break = int(np.argmin(holds.to_numpy()))
    return "upto", float(rows["M"].iloc[first_break - 1])


_TARGET = re.compile(r"^mean e=(-?\d+)\.\.(-?\d+)$|^e=(-?\d+)$")


def honest_target(bounds: pd.DataFrame | None, outcome: str, language: str, frequency: str = "month") -> str:
    """What the honest bounds bound, in words: the table's ``target`` (``mean e=0..6``, ``e=0``), or the
    average of months 0-6 where the table does not say (docs/results.md)."""
    values = ([] if bounds is None or "target" not in bounds else
              bounds.loc[bounds["outcome"] == outcome, "target"].dropna().astype(str).unique())
    match = _TARGET.match(values[0]) if len(values) else _TARGET.match("mean e=0..6")
    if not match:
        return str(values[0])
    week = frequency == "week"
    if match.group(3) is not None:
        return t(language, "target_one", unit=t(language, "target_week_one" if week else "target_month_one"),
                 e=match.group(3))
    unit = t(language, "target_week" if week else "target_month")
    return t(language, "target_mean", unit=unit, first=match.group(1), last=match.group(2))


#: Below this many units an outcome's result rests on few clusters (the estimators switch to
#: small-sample inference there too); the brief says so next to the number.
FEW_UNITS = 30


def few_units(row: dict) -> bool:
    return not fmt.is_missing(row.get("n_units")) and int(row["n_units"]) < FEW_UNITS


def finding(row: dict, language: str, alp: float, ledger=None) -> str:
    source = (ledger, "headline", row_key(outcome=row["outcome"])) if ledger is not None else None
    text = sentences.finding(row["outcome"], row["estimate"], row["conf_low"], row["conf_high"], language, alp=alp,
                             baseline=row.get("baseline_mean"), flag=row["flag"], pretrend_p=row["pretrend_p"],
                             fragile=row.get("fragile", False), source=source,
                             level=level(ledger, alp, language) if ledger is not None else None)
    if few_units(row):
        n = fmt.integer(row["n_units"], language)
        if ledger is not None:
            n = ledger.add(n, int(row["n_units"]), "headline", row_key(outcome=row["outcome"]), "n_units")
        text += " " + t(language, "finding_few_units", n=n)
    return text


def level(ledger, alp: float, language: str) -> str:
    """The confidence level (95%) as a claim on the run's ``alp`` parameter."""
    return ledger.add(fmt.level(alp, language), round((1 - float(alp)) * 100, 6), "manifest", "parameters", "alp",
                      "level")


def flagged(res: RunResults, language: str) -> list[str]:
    return [sentences.label(r["outcome"], language) for r in effect_rows(res) if r["flag"]]


def outcome_list(ledger, outcomes: list[str], language: str, table: str, rule: str) -> str:
    """Outcome labels joined in words, recorded as one claim (a set of outcomes chosen by ``rule``)."""
    text = join_list([sentences.label(o, language) for o in outcomes], language)
    return ledger.add(text, sorted(outcomes), table, "", "outcome", rule) if ledger is not None else text


def quarter_labels(res: RunResults, quarters: pd.Series) -> pd.Series:
    """Calendar labels (``2023Q1``) of a ``quarter`` column: already labels, or an index where 1 is the
    quarter of the run's ``data_start`` (the panels' convention)."""
    if pd.api.types.is_integer_dtype(quarters):
        first = pd.Period(str(res.run_info["data_start"]), "M").asfreq("Q")
        return quarters.map({k: str(first + int(k) - 1) for k in quarters.unique()})  # a province: 50k rows, 12 values
    return quarters.astype(str)


def ikm_frame(res: RunResults, min_cell: int) -> pd.DataFrame:
    """IKM unit-quarters with small-sample cells suppressed (IKM, mutu and kinerja reveal the mean)."""
    frame = res.table("ikm_unit_quarter")
    frame["quarter_raw"] = frame["quarter"]  # the table's own key, for claims
    frame["quarter"] = (frame["quarter_label"].astype(str) if "quarter_label" in frame
                        else quarter_labels(res, frame["quarter"]))
    frame["quarter_key"] = frame["quarter"].map({q: fmt.quarter_key(q) for q in frame["quarter"].unique()})
    out = suppress(frame, "n", ["ikm"], min_cell)
    for col in ("mutu", "kinerja"):
        out[col] = out[col].astype(object).where(~out["suppressed"], None)
    return out


def latest_quarter(ikm: pd.DataFrame) -> pd.DataFrame:
    return ikm[ikm["quarter_key"] == ikm["quarter_key"].max()]


def type_word(value, language: str) -> str:
    return vocab(UNIT_TYPES, language, str(value))


def typst_preamble(language: str) -> str:
    # The PDF's page, metadata, language and style come from the Typst template (report/typst) on
    # both rendering paths; the language is set here too so a section rendered alone is right.
    return f'```{{=typst}}\n#set text(lang: "{language}")\n```'
