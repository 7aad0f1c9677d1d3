"""The brief's planning findings: the next rollout's design (07_design) and uptake (05_heterogeneity).

Every number is a claim on a result table (``design``, ``intensity_gradient``,
``uptake_scores``) that :mod:`analysis.audit` recomputes. Disclosure: the uptake
recommendation names a unit only when its staff (``n_asn``) reaches ``min_cell``, since
its on-time and appraisal shares describe that group of people; smaller units are
counted, not named.
"""

from __future__ import annotations

from analysis.report import fmt, sentences
from analysis.report.claims import Ledger, row_key
from analysis.report.common import names
from analysis.report.i18n import t
from analysis.report.results import RunResults

SCHEDULE_KEYS = {"all_at_once": "sched_all", "staggered_by_kelurahan": "sched_kelurahan",
                 "randomised_order": "sched_random"}


def _headline_outcome(table, outcomes: list[str]) -> str | None:
    have = [o for o in outcomes if o in set(table["outcome"])]
    return have[0] if have else None


def design_section(res: RunResults, language: str, outcomes: list[str], led: Ledger) -> str:
    design = res.optional("design")
    if design is None or design.empty or "scenario" not in design:
        return ""
    rows = design[design["scenario"].notna()]
    usable = rows[rows["mde_size_adjusted"].notna()]
    outcome = _headline_outcome(usable, outcomes)
    if outcome is None:
        return ""
    part = rows[rows["outcome"] == outcome]
    first = part.iloc[0]
    key0 = row_key(outcome=outcome, scenario=first["scenario"])
    pieces = []
    for r in part.to_dict("records"):
        key = row_key(outcome=outcome, scenario=r["scenario"])
        name = t(language, SCHEDULE_KEYS.get(r["scenario"], r["scenario"]))
        if fmt.is_missing(r["mde_size_adjusted"]):
            pieces.append(t(language, "design_none", schedule=name))
            continue
        f = sentences.scale(outcome, None, r["mde_size_adjusted"])
        value = float(r["mde_size_adjusted"]) * f
        d = sentences.digits(value)
        text = f"{fmt.number(value, language, d)} {sentences.unit_word(outcome, language)}"
        pieces.append(t(language, "design_mde", schedule=name, mde=led.add(
            text, value, "design", key, "mde_size_adjusted", "cell" if f == 1 else f"cell*{f:g}")))
    text = t(language, "design_text",
             n=led.add(fmt.integer(first["n_units"], language), int(first["n_units"]), "design", key0, "n_units"),
             adopt=led.add(fmt.month(first["adopt_month"], language), str(first["adopt_month"]), "design", key0,
                           "adopt_month"),
             end=led.add(fmt.month(first["window_end"], language), str(first["window_end"]), "design", key0,
                         "window_end"),
             label=sentences.label(outcome, language), items="; ".join(pieces))
    return "\n\n".join([f"## {t(language, 'h_design')}", text, t(language, "design_note")])


def uptake_section(res: RunResults, language: str, outcomes: list[str], led: Ledger) -> str:
    grad = res.optional("intensity_gradient")
    if grad is None or grad.empty:
        return ""
    up = grad[grad["dimension"] == "uptake"]
    outcome = _headline_outcome(up, outcomes)
    if outcome is None:
        return ""
    r = up[up["outcome"] == outcome].iloc[0]
    key = row_key(outcome=outcome, dimension="uptake")
    shown = sentences.show(outcome, r["estimate"], r["conf_low"], r["conf_high"], language,
                           source=(led, "intensity_gradient", key))
    clear = not (r["conf_low"] <= 0 <= r["conf_high"])
    text = t(language, "uptake_text" if clear else "uptake_text_zero", label=sentences.label(outcome, language),
             estimate=shown.estimate, low=shown.low, high=shown.high)
    return "\n\n".join([f"## {t(language, 'h_uptake')}", text, t(language, "uptake_caveat")])


def uptake_recommendation(res: RunResults, language: str, min_cell: int, led: Ledger, among: str = "") -> str | None:
    """Text of the 'sosialisasi' recommendation: the low-uptake units, named when large enough.

    ``among``: ``&unit_id=A|B|...``, the units of an area brief (terciles stay those of the whole run)."""
    scores = res.optional("uptake_scores")
    if scores is None or scores.empty or "unit_name" not in scores:
        return None
    if among:
        scores = scores[scores["unit_id"].astype(str).isin(among.split("=", 1)[1].split("|"))]
    low = scores[scores["uptake_tercile"] == "low"]
    if low.empty:
        return None
    big = low[low["n_asn"] >= min_cell]
    small = len(low) - len(big)
    where = f"uptake_tercile=low&n_asn>={min_cell}{among}"
    text = t(language, "rec_uptake_text",
             n=led.add(fmt.integer(len(low), language), len(low), "uptake_scores", f"uptake_tercile=low{among}",
                       "unit_id", "count"),
             units=led.add(names(sorted(big["unit_name"]), language), sorted(big["unit_name"]), "uptake_scores",
                           where, "unit_name", "values") if len(big) else t(language, "rec_uptake_none_named"))
    if small:
        text += " " + t(language, "rec_uptake_small", n=led.add(
            fmt.integer(small, language), small, "uptake_scores", f"uptake_tercile=low&n_asn<{min_cell}{among}",
            "unit_id", "count"), min_cell=led.add(str(min_cell), int(min_cell), "manifest", "parameters", "min_cell", "param"))
    return text
