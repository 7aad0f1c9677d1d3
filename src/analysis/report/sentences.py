"""Key findings as plain sentences: a number, its direction and its uncertainty in words.

One rule decides the wording of every finding (:func:`verdict`):

* a raised pre-trend flag -> "not reliable", whatever the estimate (a clean-looking
  effect on top of diverging pre-trends is not an effect);
* an interval that covers zero -> "cannot be distinguished from zero";
* otherwise the direction and size, e.g. "waktu tunggu turun sekitar 12 menit
  (95%: 7–17 menit)".
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.report import fmt
from analysis.report.i18n import OUTCOME_LABEL, OUTCOME_UNIT, t


@dataclass(frozen=True)
class OutcomeSpec:
    unit: str  # key of i18n.OUTCOME_UNIT
    better: int  # +1 higher is better, -1 lower is better, 0 no judgement
    share: bool = False  # stored as a share in [0, 1]: effects shown in percentage points


OUTCOMES: dict[str, OutcomeSpec] = {
    "ikm": OutcomeSpec("points", +1),
    "wait_minutes": OutcomeSpec("minutes", -1),
    "service_minutes": OutcomeSpec("minutes", -1),
    "share_within_1h": OutcomeSpec("pp", +1, share=True),
    "online_share": OutcomeSpec("pp", +1, share=True),
    "skp_good_share": OutcomeSpec("pp", +1, share=True),
    "training_coverage": OutcomeSpec("pp", +1, share=True),
    "assessment_score": OutcomeSpec("points", +1),
    # more reported cases can mean better surveillance as well as more disease: no judgement
    "incidence_per_10k": OutcomeSpec("per10k", 0),
}

CLEAR, ZERO, UNRELIABLE = "clear", "zero", "unreliable"


def spec(outcome: str) -> OutcomeSpec:
    if outcome not in OUTCOMES:
        raise KeyError(f"no wording for outcome '{outcome}'; add it to analysis.report.sentences.OUTCOMES and i18n")
    return OUTCOMES[outcome]


def label(outcome: str, language: str) -> str:
    spec(outcome)
    return OUTCOME_LABEL[language][outcome]


def unit_word(outcome: str, language: str) -> str:
    return OUTCOME_UNIT[language][spec(outcome).unit]


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def scale(outcome: str, baseline=None, estimate=None) -> float:
    """Factor that turns a stored effect into the unit shown (100 for shares stored in [0, 1])."""
    if not spec(outcome).share:
        return 1.0
    # tolerate shares already stored in percent: a baseline above 1.5 cannot be a share
    reference = baseline if not fmt.is_missing(baseline) else estimate
    return 1.0 if (not fmt.is_missing(reference) and abs(float(reference)) > 1.5) else 100.0


def digits(value) -> int:
    """Decimals that keep a number honest but short: 12 menit, 3,2 poin, 0,45 poin."""
    if fmt.is_missing(value):
        return 1
    size = abs(float(value))
    return 0 if size >= 10 else 1 if size >= 1 else 2


def verdict(conf_low, conf_high, flag: bool) -> str:
    if flag:
        return UNRELIABLE
    if fmt.is_missing(conf_low) or fmt.is_missing(conf_high) or float(conf_low) <= 0 <= float(conf_high):
        return ZERO
    return CLEAR


def direction(estimate, outcome: str, language: str) -> str:
    return t(language, "up" if float(estimate) > 0 else "down")


def conclusion(outcome: str, estimate, conf_low, conf_high, flag: bool, language: str) -> str:
    """One word for a results table: improved / worsened / rose / fell / unclear / not reliable."""
    kind = verdict(conf_low, conf_high, flag)
    if kind == UNRELIABLE:
        return t(language, "concl_unreliable")
    if kind == ZERO:
        return t(language, "concl_zero")
    better = spec(outcome).better
    up = float(estimate) > 0
    if better == 0:
        return t(language, "concl_clear_up" if up else "concl_clear_down")
    return t(language, "concl_clear_better" if (up == (better > 0)) else "concl_clear_worse")


@dataclass(frozen=True)
class Shown:
    """An effect and its interval, scaled and formatted for one language."""

    estimate: str
    low: str
    high: str
    size: str  # magnitude with unit, for "rose by about ..."
    mag_low: str  # interval of the magnitude (for a fall: -high .. -low)
    mag_high: str


def show(outcome: str, estimate, conf_low, conf_high, language: str, baseline=None, *, with_unit: bool = True) -> Shown:
    """Formatted effect; ``with_unit=False`` for tables that name the unit in their own column."""
    f = scale(outcome, baseline, estimate)
    est, lo, hi = (None if fmt.is_missing(v) else float(v) * f for v in (estimate, conf_low, conf_high))
    d = digits(est)
    unit = unit_word(outcome, language) if with_unit else ""
    mags = sorted(abs(v) for v in (lo, hi)) if lo is not None and hi is not None else [None, None]
    return Shown(
        estimate=f"{fmt.number(est, language, d, signed=True)} {unit}".strip(),
        low=fmt.number(lo, language, d),
        high=f"{fmt.number(hi, language, d)} {unit}".strip(),
        size=f"{fmt.number(abs(est) if est is not None else None, language, d)} {unit}".strip(),
        mag_low=fmt.number(mags[0], language, d),
        mag_high=f"{fmt.number(mags[1], language, d)} {unit}".strip(),
    )


def baseline_text(outcome: str, baseline, language: str) -> str:
    if fmt.is_missing(baseline):
        return fmt.MISSING
    if spec(outcome).share:
        value = float(baseline) * (scale(outcome, baseline) / 100)
        return fmt.percent(value, language, 0)
    if spec(outcome).unit == "points":  # an index level reads best with one decimal: 78,4
        return fmt.number(baseline, language, 1)
    d = digits(baseline)
    return f"{fmt.number(baseline, language, d)} {unit_word(outcome, language)}"


def finding(
    outcome: str,
    estimate,
    conf_low,
    conf_high,
    language: str,
    *,
    alp: float = 0.05,
    baseline=None,
    flag: bool = False,
    pretrend_p=None,
) -> str:
    """The key-finding sentence of one outcome (see the module docstring for the rule)."""
    shown = show(outcome, estimate, conf_low, conf_high, language, baseline)
    lvl = fmt.level(alp, language)
    kind = verdict(conf_low, conf_high, flag)
    name = label(outcome, language)
    if kind == UNRELIABLE:
        pretest = not fmt.is_missing(pretrend_p) and float(pretrend_p) < alp
        reason = (t(language, "reason_pretest", p=fmt.p_statement(pretrend_p, language)) if pretest
                  else t(language, "reason_honest"))
        return t(language, "finding_pretrend", label=name, reason=reason, estimate=shown.estimate, level=lvl,
                 low=shown.low, high=shown.high)
    if kind == ZERO:
        return t(language, "finding_zero", label=name, estimate=shown.estimate, level=lvl, low=shown.low,
                 high=shown.high)
    return capitalise(t(language, "finding_clear", label=name, direction=direction(estimate, outcome, language),
                        size=shown.size, level=lvl, low=shown.mag_low, high=shown.mag_high,
                        baseline=baseline_text(outcome, baseline, language)))
