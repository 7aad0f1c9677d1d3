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
from pathlib import Path

import pandas as pd

#: Parameters that say *where and how much* data, not *what* is estimated: a later run
#: may differ in these and still be the same study.
NOT_THE_STUDY = {"raw_dir", "interim_dir", "processed_dir", "synthesize", "start_month", "end_month",
                 "synth_months", "synth_scale", "language", "min_cell"}

TEXT = {
    "id": {
        "heading": "Sejak analisis sebelumnya",
        "intro": "Dibandingkan dengan analisis sebelumnya (run {run_id}, data sampai {prev_end}), data kini mencakup "
                 "{n_new} bulan baru ({first}–{last}).",
        "intro_none": "Dibandingkan dengan analisis sebelumnya (run {run_id}, data {prev_start}–{prev_end}), "
                      "data ini tidak menambah bulan baru.",
        "moved": "perkiraan {verb} dari {before} menjadi {after}",
        "stayed": "perkiraan tetap {after}",
        "interval_moved": "selang {level} {width} (dari {lo0} sampai {hi0} menjadi {lo1} sampai {hi1})",
        "interval_stayed": "selang {level} tetap ({lo1} sampai {hi1})",
        "new": "{label}: baru diperkirakan dalam analisis ini, {after} ({level}: {lo1} sampai {hi1}).",
        "up": "naik", "down": "turun",
        "narrower": "menyempit", "wider": "melebar", "shifted": "bergeser",
    },
    "en": {
        "heading": "Since the previous analysis",
        "intro": "Compared with the previous analysis (run {run_id}, data to {prev_end}), the data now cover "
                 "{n_new} new months ({first}–{last}).",
        "intro_none": "Compared with the previous analysis (run {run_id}, data {prev_start}–{prev_end}), "
                      "these data add no new months.",
        "moved": "the estimate {verb} from {before} to {after}",
        "stayed": "the estimate stayed at {after}",
        "interval_moved": "the {level} interval {width} (from {lo0} to {hi0}, now {lo1} to {hi1})",
        "interval_stayed": "the {level} interval is unchanged ({lo1} to {hi1})",
        "new": "{label}: estimated for the first time, {after} ({level}: {lo1} to {hi1}).",
        "up": "rose", "down": "fell",
        "narrower": "narrowed", "wider": "widened", "shifted": "shifted",
    },
}


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
    return table


def new_months(run_dir: str | Path, previous: str | Path) -> list[str]:
    now, before = analysed_months(Path(run_dir)), analysed_months(Path(previous))
    if now is None or before is None or now[1] <= before[1]:
        return []
    return [m for m in _month_range(before[1], now[1]) if m > before[1]]


def since_sentences(run_dir: str | Path, previous: str | Path, language: str = "id", alp: float = 0.05) -> list[str]:
    """The section's sentences: the new months, then how each headline estimate and interval moved."""
    from analysis.report import fmt, sentences

    text = TEXT[language]
    prev_id = _manifest(previous).get("run_id", Path(previous).name)
    before = analysed_months(Path(previous)) or (fmt.MISSING, fmt.MISSING)
    months = new_months(run_dir, previous)
    month = lambda m: fmt.month(m, language) if m != fmt.MISSING else m  # noqa: E731
    if months:
        lines = [text["intro"].format(run_id=prev_id, prev_end=month(before[1]),
                                      n_new=fmt.integer(len(months), language),
                                      first=month(months[0]), last=month(months[-1]))]
    else:
        lines = [text["intro_none"].format(run_id=prev_id, prev_start=month(before[0]), prev_end=month(before[1]))]
    level = fmt.level(alp, language)
    for r in since_table(run_dir, previous).to_dict("records"):
        label = sentences.capitalise(sentences.label(r["outcome"], language))
        after = sentences.show(r["outcome"], r["estimate"], r["conf_low"], r["conf_high"], language,
                               r.get("baseline_mean"))
        if fmt.is_missing(r.get("estimate_before")):
            lines.append(text["new"].format(label=label, after=after.estimate, level=level, lo1=after.low,
                                            hi1=after.high))
            continue
        was = sentences.show(r["outcome"], r["estimate_before"], r["conf_low_before"], r["conf_high_before"], language,
                             r.get("baseline_mean_before"))
        if was.estimate == after.estimate:
            estimate = text["stayed"].format(after=after.estimate)
        else:
            estimate = text["moved"].format(verb=text["up" if r["change"] > 0 else "down"], before=was.estimate,
                                            after=after.estimate)
        if (was.low, was.high) == (after.low, after.high):
            interval = text["interval_stayed"].format(level=level, lo1=after.low, hi1=after.high)
        else:
            ratio = r["width"] / r["width_before"] if r["width_before"] else 1.0
            width = text["shifted"] if abs(ratio - 1) < 0.005 else text["narrower" if ratio < 1 else "wider"]
            interval = text["interval_moved"].format(level=level, width=width, lo0=was.low, hi0=was.high,
                                                     lo1=after.low, hi1=after.high)
        lines.append(f"{label}: {estimate}; {interval}.")
    return lines


def since_section(run_dir: str | Path, language: str = "id", alp: float = 0.05) -> str:
    """Markdown opening of the brief, or '' when this run continues no earlier run."""
    previous = previous_run(run_dir)
    if previous is None or not all((r / "tables" / "headline.parquet").exists() for r in (Path(run_dir), previous)):
        return ""  # no earlier run, or one of the two made no headline estimates (a partial --step run)
    intro, *moves = since_sentences(run_dir, previous, language, alp)
    return "\n\n".join([f"## {TEXT[language]['heading']}", intro, "\n".join(f"- {m}" for m in moves)])
