"""The brief's section on a change at one office (notebook 06_single_office), in plain words.

The effect is the synthetic-DiD row of ``single_office``; the comparison is named by the
types of its donor units (``single_office_donors``), never by a list of offices. Each
number and judgement is a claim (rule ``office_conclusion`` for the judgement, checked
by :mod:`analysis.audit`). The effect is not printed when the office served fewer than
``min_cell`` tickets in some month of the window (column ``min_obs``).
"""

from __future__ import annotations

from analysis.report import fmt, sentences
from analysis.report.claims import Ledger, row_key
from analysis.report.common import type_word
from analysis.report.i18n import join_list, t
from analysis.report.results import RunResults

#: i18n keys of each judgement of a one-office effect
WORDS = {"better": "office_better", "worse": "office_worse", "up": "office_up", "down": "office_down",
         "zero": "office_zero"}


def office_conclusion(outcome: str, estimate, conf_low, conf_high) -> str:
    """better / worse / up / down / zero: the judgement of a one-office effect (no pre-trend test here)."""
    return sentences.conclusion_code(outcome, estimate, conf_low, conf_high, False)


def single_office_section(res: RunResults, language: str, alp: float, min_cell: int, led: Ledger) -> str:
    effects = res.optional("single_office")
    if effects is None or effects.empty:
        return ""
    donors = res.table("single_office_donors")
    parts = [f"## {t(language, 'h_single_office')}"]
    main = effects[effects["method"] == "sdid"]
    for row in main.to_dict("records"):
        key = row_key(intervention=row["intervention"], outcome=row["outcome"], method="sdid")
        outcome = row["outcome"]
        label = sentences.label(outcome, language)
        month = led.add(fmt.month(row["launch_month"], language), str(row["launch_month"]), "single_office", key,
                        "launch_month")
        office = row[f"label_{language}"]  # from interventions.yaml, via the table
        if row["min_obs"] < min_cell:
            parts.append(t(language, "office_suppressed", what=office, month=month, label=label,
                           n=led.add(fmt.integer(min_cell, language), int(min_cell), "manifest", "parameters",
                                     "min_cell", "param")))
            continue
        mine = donors[donors["outcome"] == outcome]
        kinds = [t(language, "office_donor_kind", n=led.add(
                     fmt.integer(d["n_units"], language), int(d["n_units"]), "single_office_donors",
                     row_key(outcome=outcome, unit_type=d["unit_type"]), "n_units"),
                     kind=type_word(d["unit_type"], language))
                 for d in mine.to_dict("records")]
        shown = sentences.show(outcome, row["estimate"], row["conf_low"], row["conf_high"], language,
                               source=(led, "single_office", key))
        code = office_conclusion(outcome, row["estimate"], row["conf_low"], row["conf_high"])
        judged = led.add(t(language, WORDS[code]), code, "single_office", key, "estimate", "office_conclusion")
        parts.append(t(language, "office_text", what=office, month=month, label=label, judged=judged,
                       estimate=shown.estimate, low=shown.low, high=shown.high,
                       level=led.add(fmt.level(alp, language), round((1 - alp) * 100, 6), "manifest",
                                     "parameters", "alp", "level"),
                       donors=join_list(kinds, language),
                       months=led.add(fmt.integer(row["n_post"], language), int(row["n_post"]), "single_office",
                                      key, "n_post")))
    if len(parts) > 1:
        parts.append(t(language, "office_method"))
    return "\n\n".join(parts) if len(parts) > 1 else ""
