"""Compare two runs: which parameters differ, and how each headline estimate and interval moved.

Written for people: outcomes carry their label and unit in the chosen language, in the
brief's order (the later run's ``outcomes``), with shares in percentage points; an
unchanged estimate says why (the same parameters and data, the same setting in effect in
both runs, or changed parameters that do not enter the estimate). :func:`html_report`
writes the same comparison side by side as a small self-contained HTML page.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd

from analysis.manifest import read_manifest
from analysis.report.i18n import STRINGS, check_language, t


def words(language: str) -> dict[str, str]:
    """This module's words: the ``compare_*`` keys of the one source of labels, unformatted."""
    return {k: v for k, v in STRINGS[check_language(language)].items() if k.startswith("compare_")}

#: Parameters whose value in effect is recorded per outcome in the headline table (``auto`` resolved).
EFFECTIVE = {"inference": "inference", "estimator": "estimator"}
def parameter_differences(run_a: Path, run_b: Path) -> pd.DataFrame:
    a, b = read_manifest(run_a)["parameters"], read_manifest(run_b)["parameters"]
    keys = sorted(set(a) | set(b))
    rows = [{"parameter": k, "run_a": a.get(k), "run_b": b.get(k)} for k in keys if a.get(k) != b.get(k)]
    return pd.DataFrame(rows, columns=["parameter", "run_a", "run_b"])


def _order(run_a: Path, run_b: Path) -> list[str]:
    """The brief's order: the later run's outcomes, then any only the earlier run had."""
    order: list[str] = []
    for run in (run_b, run_a):
        order += [o for o in read_manifest(run).get("parameters", {}).get("outcomes", []) if o not in order]
    return order


def _same(x, y) -> bool:
    if x is None or y is None or (isinstance(x, float) and math.isnan(x)) or (isinstance(y, float) and math.isnan(y)):
        return False
    return abs(float(x) - float(y)) <= 1e-12 * max(1.0, abs(float(x)))


def _why_unchanged(row: pd.Series, changed: list[str], same_data: bool, language: str) -> str:
    text = words(language)
    if not changed:
        return text["compare_same_all"] if same_data else text["compare_same_data_params"]
    in_effect = [(name, row.get(f"{col}_a")) for name, col in EFFECTIVE.items()
                 if name in changed and f"{col}_a" in row and row.get(f"{col}_a") == row.get(f"{col}_b")]
    if in_effect:
        return text["compare_same_setting"].format(settings=", ".join(f"{n} = {v}" for n, v in in_effect))
    return text["compare_not_entering"].format(names=", ".join(changed))


def headline_changes(run_a: Path, run_b: Path, language: str = "id") -> pd.DataFrame:
    """One row per outcome: both runs' estimates and intervals, the changes, and a note on a zero change."""
    run_a, run_b = Path(run_a), Path(run_b)
    a = pd.read_parquet(run_a / "tables" / "headline.parquet")
    b = pd.read_parquet(run_b / "tables" / "headline.parquet")
    merged = a.merge(b, on="outcome", how="outer", suffixes=("_a", "_b"))
    rank = {o: i for i, o in enumerate(_order(run_a, run_b))}
    merged = merged.sort_values("outcome", key=lambda s: s.map(lambda o: rank.get(o, len(rank))), kind="stable")
    merged["change"] = merged["estimate_b"] - merged["estimate_a"]
    merged["change_low"] = merged["conf_low_b"] - merged["conf_low_a"]
    merged["change_high"] = merged["conf_high_b"] - merged["conf_high_a"]
    merged["same_sign"] = (merged["estimate_a"] * merged["estimate_b"]) > 0
    changed = list(parameter_differences(run_a, run_b)["parameter"])
    inputs = [read_manifest(r).get("inputs", {}).get("sha256") for r in (run_a, run_b)]
    same_data = inputs[0] is not None and inputs[0] == inputs[1]
    notes = []
    for _, row in merged.iterrows():
        if pd.isna(row["estimate_a"]) or pd.isna(row["estimate_b"]):
            notes.append(t(language, "compare_only_b" if pd.isna(row["estimate_a"]) else "compare_only_a"))
        elif all(_same(row[f"{c}_a"], row[f"{c}_b"]) for c in ("estimate", "conf_low", "conf_high")):
            notes.append(_why_unchanged(row, changed, same_data, language))
        else:
            notes.append("")
    merged["note"] = notes
    return merged.reset_index(drop=True)


def compare_runs(run_a: str | Path, run_b: str | Path, language: str = "id") -> tuple[pd.DataFrame, pd.DataFrame]:
    run_a, run_b = Path(run_a), Path(run_b)
    return parameter_differences(run_a, run_b), headline_changes(run_a, run_b, language)


# --------------------------------------------------------------------------- for people
def outcome_heading(outcome: str, language: str) -> str:
    """'Waktu tunggu (menit)': the outcome's label and the unit its effect is shown in."""
    from analysis.labels import outcome_label
    from analysis.report import sentences

    try:
        if sentences.spec(outcome).share:  # effects of shares are shown in percentage points
            return f"{outcome_label(outcome, language)} ({sentences.unit_word(outcome, language)})"
        return outcome_label(outcome, language, with_unit=True)
    except KeyError:  # an outcome the brief has no wording for: its name is the honest label
        return outcome


def shown_rows(estimates: pd.DataFrame, language: str) -> list[dict[str, str]]:
    """Each outcome's estimates, intervals and changes as text in ``language`` (shares in percentage points)."""
    from analysis.report import fmt, sentences

    rows = []
    for r in estimates.to_dict("records"):
        def effect(side: str) -> str:
            if fmt.is_missing(r.get(f"estimate_{side}")):
                return fmt.MISSING
            s = sentences.show(r["outcome"], r[f"estimate_{side}"], r[f"conf_low_{side}"], r[f"conf_high_{side}"],
                               language, r.get(f"baseline_mean_{side}"), with_unit=False)
            return f"{s.estimate} [{s.low}; {s.high}]"

        try:
            change = sentences.show(r["outcome"], r["change"], r["change_low"], r["change_high"], language,
                                    r.get("baseline_mean_b"), with_unit=False)
            zero = fmt.number(0, language, 0)
            moved = (zero if _same(r["estimate_a"], r["estimate_b"]) else change.estimate,
                     "; ".join(zero if _same(r[f"{c}_a"], r[f"{c}_b"]) else _signed(text)
                               for c, text in (("conf_low", change.low), ("conf_high", change.high))))
        except (KeyError, TypeError, ValueError):
            moved = (fmt.MISSING, fmt.MISSING)
        rows.append({"outcome": outcome_heading(r["outcome"], language), "run_a": effect("a"), "run_b": effect("b"),
                     "change": moved[0], "interval_change": moved[1], "same_sign": bool(r["same_sign"]),
                     "note": r["note"]})
    return rows


def _signed(text: str) -> str:
    return text if text.startswith(("-", "−", "+")) or text in ("0", "—") else f"+{text}"


def html_report(run_a: Path, run_b: Path, language: str = "id") -> str:
    """The comparison as a small self-contained HTML page, the two runs side by side."""
    params, estimates = compare_runs(run_a, run_b, language)
    text = words(language)
    esc = html.escape
    ids = [read_manifest(r).get("run_id", Path(r).name) for r in (run_a, run_b)]
    head = (f"<tr><th>{esc(text['compare_outcome'])}</th><th>A: {esc(ids[0])}</th><th>B: {esc(ids[1])}</th>"
            f"<th>{esc(text['compare_change'])}</th><th>{esc(text['compare_interval_change'])}</th>"
            f"<th>{esc(text['compare_note'])}</th></tr>")
    body = "".join(
        f"<tr><td>{esc(r['outcome'])}</td><td>{esc(r['run_a'])}</td><td>{esc(r['run_b'])}</td>"
        f"<td>{esc(r['change'])}</td><td>{esc(r['interval_change'])}</td><td>{esc(r['note'])}</td></tr>"
        for r in shown_rows(estimates, language))
    if len(params):
        prows = "".join(f"<tr><td><code>{esc(str(p.parameter))}</code></td><td>{esc(str(p.run_a))}</td>"
                        f"<td>{esc(str(p.run_b))}</td></tr>" for p in params.itertuples(index=False))
        ptable = (f"<table><tr><th>{esc(text['compare_parameter'])}</th><th>A</th><th>B</th></tr>{prows}</table>")
    else:
        ptable = f"<p>{esc(text['compare_no_params'])}</p>"
    style = ("body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}"
             "table{border-collapse:collapse;width:100%;margin-bottom:2rem}"
             "th,td{border-bottom:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}"
             "td:nth-child(n+2):nth-child(-n+5){font-variant-numeric:tabular-nums;white-space:nowrap}")
    return (f'<!DOCTYPE html>\n<html lang="{language}"><head><meta charset="utf-8">'
            f"<title>{esc(text['compare_title'])}</title><style>{style}</style></head><body>"
            f"<h1>{esc(text['compare_title'])}</h1><p>A: <code>{esc(ids[0])}</code> &nbsp; B: <code>{esc(ids[1])}</code></p>"
            f"<h2>{esc(text['compare_params'])}</h2>{ptable}<h2>{esc(text['compare_estimates'])}</h2>"
            f"<table>{head}{body}</table></body></html>\n")
