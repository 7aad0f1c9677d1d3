"""Evaluation that continues: what changed since the previous analysis of the same study.

When next quarter's exports arrive and the evaluation is run again, a planner needs to
know what is new, not only the new numbers. :func:`previous_run` finds the earlier
complete run of the same study (the same estimation parameters) whose analysed months
this run extends (same first month, a later last month) - or the run named by
``analysis run --since`` (recorded in the manifest as ``since``). :func:`since_table`
is the tidy comparison (one row per headline outcome, in the brief's order) and
:func:`since_section` the brief's opening "Sejak analisis sebelumnya" in words.
Every number is read from the two runs' result tables; nothing is estimated here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

#: Parameters that say *where and how much* data, not *what* is estimated: a later run
#: may differ in these and still be the same study.
NOT_THE_STUDY = {"raw_dir", "interim_dir", "processed_dir", "synthesize", "start_month", "end_month",
                 "synth_months", "synth_scale", "language", "min_cell", "brief_max_rows", "brief_end_rows",
                 # the engine and the chunking give the same numbers; the employee-level estimate is not compared
                 "engine", "memory_limit", "spark_master", "spark_conf", "asn_level", "asn_period", "asn_chunks"}

#: The run's table of both runs' headline estimates, which the section's claims cite.
TABLE = "since_previous"
BEFORE_COLUMNS = ("estimate_before", "conf_low_before", "conf_high_before")


def _manifest(run_dir: Path) -> dict:
    path = Path(run_dir) / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _run_info(run_dir: Path) -> dict | None:
    path = Path(run_dir) / "tables" / "run_info.parquet"
    return pd.read_parquet(path).iloc[0].to_dict() if path.exists() else None


def analysed_months(run_dir: Path) -> tuple[str, str] | None:
    """(first, last) month analysed: the data's months, narrowed by start_month/end_month."""
    info, params = _run_info(run_dir), _manifest(run_dir).get("parameters", {})
    if info is None:
        return None
    first = max(str(info["data_start"]), params.get("start_month") or "")
    last = min(str(info["data_end"]), params.get("end_month") or "9999-12")
    return first, last


def study_key(manifest: dict) -> dict:
    return {k: v for k, v in manifest.get("parameters", {}).items() if k not in NOT_THE_STUDY}


def previous_run(run_dir: str | Path) -> Path | None:
    """The earlier complete run this run continues, or None (see the module docstring)."""
    run_dir = Path(run_dir).resolve()
    manifest = _manifest(run_dir)
    if manifest.get("since"):
        named = run_dir.parent / str(manifest["since"])
        return named if (named / "manifest.json").exists() else None
    window = analysed_months(run_dir)
    if window is None or manifest.get("mode") == "interactive":
        return None
    candidates = []
    for other in run_dir.parent.iterdir():
        if other == run_dir or other.is_symlink() or not (other / "manifest.json").exists():
            continue
        theirs = _manifest(other)
        if theirs.get("status") != "complete" or theirs.get("mode") == "interactive":
            continue
        if str(theirs.get("started_at", "")) >= str(manifest.get("started_at", "")) or \
                study_key(theirs) != study_key(manifest):
            continue
        months = analysed_months(other)
        if months and months[0] == window[0] and months[1] < window[1]:
            candidates.append((str(theirs.get("started_at", "")), other))
    return max(candidates)[1] if candidates else None


def _month_range(first: str, last: str) -> list[str]:
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def since_table(run_dir: str | Path, previous: str | Path) -> pd.DataFrame:
    """One row per headline outcome of this run: both runs' estimates and intervals, and the changes."""
    cols = ["outcome", "estimate", "conf_low", "conf_high", "baseline_mean"]
    now = pd.read_parquet(Path(run_dir) / "tables" / "headline.parquet")
    before = pd.read_parquet(Path(previous) / "tables" / "headline.parquet")
    table = now[[c for c in cols if c in now]].merge(before[[c for c in cols if c in before]], on="outcome",
                                                     how="left", suffixes=("", "_before"))
    order = list(_manifest(run_dir).get("parameters", {}).get("outcomes", []))
    table["_rank"] = table["outcome"].map(lambda o: order.index(o) if o in order else len(order))
    table = table.sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)
    table["change"] = table["estimate"] - table["estimate_before"]
    table["width"] = table["conf_high"] - table["conf_low"]
    table["width_before"] = table["conf_high_before"] - table["conf_low_before"]
    before, months = analysed_months(Path(previous)), new_months(run_dir, previous)
    return table.assign(previous_run=_manifest(previous).get("run_id", Path(previous).name),
                        previous_start=before[0] if before else None, previous_end=before[1] if before else None,
                        new_months=len(months), first_new_month=months[0] if months else None,
                        last_new_month=months[-1] if months else None)


def new_months(run_dir: str | Path, previous: str | Path) -> list[str]:
    now, before = analysed_months(Path(run_dir)), analysed_months(Path(previous))
    if now is None or before is None or now[1] <= before[1]:
        return []
    return [m for m in _month_range(before[1], now[1]) if m > before[1]]


def since_sentences(table: pd.DataFrame, language: str = "id", alp: float = 0.05, ledger=None) -> list[str]:
    """The section's sentences from :func:`since_table`: the new months, then how each headline
    estimate and interval moved. Every number is a claim on the run's ``since_previous`` table."""
    from analysis.report import fmt, sentences
    from analysis.report.claims import Ledger, row_key
    from analysis.report.i18n import t

    led = ledger or Ledger("summary", language)
    first = row_key(outcome=table["outcome"].iloc[0])
    claim = lambda text, column, rule="cell": led.add(text, table[column].iloc[0], TABLE, first, column, rule)  # noqa
    month = lambda column: claim(fmt.month(table[column].iloc[0], language), column)  # noqa: E731
    run_id = claim(str(table["previous_run"].iloc[0]), "previous_run", "text")
    if int(table["new_months"].iloc[0]):
        lines = [t(language, "since_intro", run_id=run_id, prev_end=month("previous_end"),
                   n_new=claim(fmt.integer(int(table["new_months"].iloc[0]), language), "new_months"),
                   first=month("first_new_month"), last=month("last_new_month"))]
    else:
        lines = [t(language, "since_intro_none", run_id=run_id, prev_start=month("previous_start"),
                   prev_end=month("previous_end"))]
    level = fmt.level(alp, language)
    for r in table.to_dict("records"):
        label = sentences.capitalise(sentences.label(r["outcome"], language))
        source = (led, TABLE, row_key(outcome=r["outcome"]))
        after = sentences.show(r["outcome"], r["estimate"], r["conf_low"], r["conf_high"], language,
                               r.get("baseline_mean"), source=source)
        if fmt.is_missing(r.get("estimate_before")):
            lines.append(t(language, "since_new", label=label, after=after.estimate, level=level, lo1=after.low,
                           hi1=after.high))
            continue
        was = sentences.show(r["outcome"], r["estimate_before"], r["conf_low_before"], r["conf_high_before"],
                             language, r.get("baseline_mean_before"), source=source, columns=BEFORE_COLUMNS)
        if _plain(was.estimate) == _plain(after.estimate):
            estimate = t(language, "since_stayed", after=after.estimate)
        else:
            estimate = t(language, "since_moved", verb=t(language, "since_up" if r["change"] > 0 else "since_down"),
                         before=was.estimate, after=after.estimate)
        if (_plain(was.low), _plain(was.high)) == (_plain(after.low), _plain(after.high)):
            interval = t(language, "since_interval_stayed", level=level, lo1=after.low, hi1=after.high)
        else:
            ratio = r["width"] / r["width_before"] if r["width_before"] else 1.0
            width = "since_shifted" if abs(ratio - 1) < 0.005 else ("since_narrower" if ratio < 1 else "since_wider")
            interval = t(language, "since_interval_moved", level=level, width=t(language, width), lo0=was.low,
                         hi0=was.high, lo1=after.low, hi1=after.high)
        lines.append(f"{label}: {estimate}; {interval}.")
    return lines


def _plain(text: str) -> str:
    """A shown number without its claim span: what the reader sees."""
    return re.sub(r"<[^>]+>", "", text)


def write_since_table(run_dir: str | Path) -> pd.DataFrame | None:
    """The run's ``since_previous`` table (None when this run continues no earlier run), saved once.

    Every brief of a run asks for it; the table is written only when it is missing or differs, so
    per-unit and area briefs (and briefs built in parallel) do not rewrite the run's table.
    """
    from analysis.outputs import save_table

    previous = previous_run(run_dir)
    if previous is None or not all((r / "tables" / "headline.parquet").exists() for r in (Path(run_dir), previous)):
        return None  # no earlier run, or one of the two made no headline estimates (a partial --step run)
    table = since_table(run_dir, previous).reset_index(drop=True)
    stored = Path(run_dir) / "tables" / f"{TABLE}.parquet"
    if not (stored.exists() and pd.read_parquet(stored).equals(table)):
        save_table(table, TABLE, run_dir, notebook="brief",
                   title="Since the previous analysis: headline estimates of both runs")
    return table


def since_section(run_dir: str | Path, language: str = "id", alp: float = 0.05, ledger=None) -> str:
    """Markdown opening of the brief, or '' when this run continues no earlier run.

    The comparison is the run's ``since_previous`` table (:func:`write_since_table`), which the numbers' claims cite.
    """
    from analysis.report.i18n import t

    table = write_since_table(run_dir)
    if table is None:
        return ""
    intro, *moves = since_sentences(table, language, alp, ledger)
    return "\n\n".join([f"## {t(language, 'since_heading')}", intro, "\n".join(f"- {m}" for m in moves)])
