"""Helpers shared by the sections of a brief: run lookups, the finding rows, the IKM frame, the guard.

Every section ends with :func:`finish`, which joins its parts and runs the identifier
guard (:func:`analysis.report.disclosure.check_text`) before anything is displayed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.report import fmt, sentences
from analysis.report.disclosure import check_text, suppress
from analysis.report.i18n import UNIT_TYPES, join_list, t, vocab
from analysis.report.results import RunResults

#: Outcomes with a key-finding bullet on page one and an event-study figure (the rest are in the table).
KEY_OUTCOMES = 4
#: Unit names listed in one sentence before "and N other units".
MAX_NAMES = 5


def brief_dir(run_dir: str | Path, unit_id: str = "", language: str | None = None) -> Path:
    """Folder of a brief: ``<run>/brief`` (main, run language), ``<run>/brief-<lang>``, ``<run>/units/<id>-<lang>``."""
    res = RunResults(run_dir)
    language = language or res.figure_language
    if unit_id:
        return res.run_dir / "units" / f"{unit_id}-{language}"
    return res.run_dir / ("brief" if language == res.figure_language else f"brief-{language}")


def finish(parts: list[str]) -> str:
    return check_text("\n\n".join(p.strip() for p in parts if p and p.strip()) + "\n")


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
    """Headline rows with their pre-trend flag and p-value attached."""
    rows = []
    for row in res.headline.to_dict("records"):
        row["flag"], row["pretrend_p"] = res.pretrend(row["outcome"])
        rows.append(row)
    return rows


#: Below this many units an outcome's result rests on few clusters (the estimators switch to
#: small-sample inference there too); the brief says so next to the number.
FEW_UNITS = 30


def few_units(row: dict) -> bool:
    return not fmt.is_missing(row.get("n_units")) and int(row["n_units"]) < FEW_UNITS


def finding(row: dict, language: str, alp: float) -> str:
    text = sentences.finding(row["outcome"], row["estimate"], row["conf_low"], row["conf_high"], language, alp=alp,
                             baseline=row.get("baseline_mean"), flag=row["flag"], pretrend_p=row["pretrend_p"])
    if few_units(row):
        text += " " + t(language, "finding_few_units", n=fmt.integer(row["n_units"], language))
    return text


def flagged(res: RunResults, language: str) -> list[str]:
    return [sentences.label(r["outcome"], language) for r in effect_rows(res) if r["flag"]]


def quarter_labels(res: RunResults, quarters: pd.Series) -> pd.Series:
    """Calendar labels (``2023Q1``) of a ``quarter`` column: already labels, or an index where 1 is the
    quarter of the run's ``data_start`` (the panels' convention)."""
    if pd.api.types.is_integer_dtype(quarters):
        first = pd.Period(str(res.run_info["data_start"]), "M").asfreq("Q")
        return quarters.map(lambda k: str(first + int(k) - 1))
    return quarters.astype(str)


def ikm_frame(res: RunResults, min_cell: int) -> pd.DataFrame:
    """IKM unit-quarters with small-sample cells suppressed (IKM, mutu and kinerja reveal the mean)."""
    frame = res.table("ikm_unit_quarter")
    frame["quarter"] = (frame["quarter_label"].astype(str) if "quarter_label" in frame
                        else quarter_labels(res, frame["quarter"]))
    frame["quarter_key"] = frame["quarter"].map(fmt.quarter_key)
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
