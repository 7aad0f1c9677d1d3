"""Key findings as plain sentences: a number, its direction and its uncertainty in words.

One rule decides the wording of every finding (:func:`verdict`):

* a raised pre-trend flag -> "not reliable", whatever the estimate (a clean-looking
  effect on top of diverging pre-trends is not an effect);
* an interval that covers zero -> "cannot be distinguished from zero";
* an interval that excludes zero while the honest bounds at M = 0 (on their own target,
  the average of months 0-6) do not exclude zero -> the direction and size, marked "not yet
  solid" (``fragile``);
* otherwise the direction and size, e.g. "waktu tunggu turun sekitar 12 menit
  (95%: 7–17 menit)".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import yaml

from analysis.report import fmt
from analysis.report.i18n import OUTCOME_LABEL, OUTCOME_UNIT, t

DIRECTIONS = {"better_up": +1, "better_down": -1, "neither": 0}


@dataclass(frozen=True)
class OutcomeSpec:
    unit: str  # key of effect_units in analysis/vocabulary/*.yaml
    better: int  # +1 higher is better, -1 lower is better, 0 no judgement (outcomes.yaml ``direction``)
    share: bool = False  # stored as a share in [0, 1]: effects shown in percentage points


@cache
def outcome_specs() -> dict[str, OutcomeSpec]:
    """How each outcome is read (analysis/report/outcomes.yaml: unit, share, direction)."""
    data = yaml.safe_load(files("analysis.report").joinpath("outcomes.yaml").read_text(encoding="utf-8"))
    out = {}
    for name, entry in data.items():
        if entry.get("direction") not in DIRECTIONS:
            raise ValueError(f"outcomes.yaml: outcome '{name}' needs direction one of {', '.join(DIRECTIONS)}")
        out[name] = OutcomeSpec(str(entry["unit"]), DIRECTIONS[entry["direction"]], bool(entry.get("share", False)))
    return out


CLEAR, ZERO, UNRELIABLE, FRAGILE = "clear", "zero", "unreliable", "fragile"


def spec(outcome: str) -> OutcomeSpec:
    specs = outcome_specs()
    if outcome not in specs:
        raise KeyError(f"no wording for outcome '{outcome}'; add it to analysis/report/outcomes.yaml and "
                       "analysis/vocabulary/*.yaml")
    return specs[outcome]


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


def verdict(conf_low, conf_high, flag: bool, fragile: bool = False) -> str:
    """clear / zero / unreliable / fragile (see the module docstring)."""
    if flag:
        return UNRELIABLE
    if fmt.is_missing(conf_low) or fmt.is_missing(conf_high) or float(conf_low) <= 0 <= float(conf_high):
        return ZERO
    return FRAGILE if fragile else CLEAR


def direction(estimate, outcome: str, language: str) -> str:
    return t(language, "up" if float(estimate) > 0 else "down")


def conclusion_code(outcome: str, estimate, conf_low, conf_high, flag: bool, fragile: bool = False) -> str:
    """better / worse / up / down / zero / unreliable / fragile: the judgement, before words."""
    kind = verdict(conf_low, conf_high, flag, fragile)
    if kind != CLEAR:
        return kind
    better, up = spec(outcome).better, float(estimate) > 0
    if better == 0:
        return "up" if up else "down"
    return "better" if up == (better > 0) else "worse"


#: The words of each judgement (conclusion_code -> i18n key).
CONCLUSION_WORDS = {"better": "concl_better", "worse": "concl_worse", "up": "concl_up", "down": "concl_down",
                    ZERO: "concl_zero", UNRELIABLE: "concl_unreliable", FRAGILE: "concl_fragile"}


def conclusion(outcome: str, estimate, conf_low, conf_high, flag: bool, language: str, fragile: bool = False) -> str:
    """One word for a results table: improved / worsened / rose / fell / unclear / not reliable / not yet solid."""
    return t(language, CONCLUSION_WORDS[conclusion_code(outcome, estimate, conf_low, conf_high, flag, fragile)])


@dataclass(frozen=True)
class Shown:
    """An effect and its interval, scaled and formatted for one language."""

    estimate: str
    low: str
    high: str
    size: str  # magnitude with unit, for "rose by about ..."
    mag_low: str  # interval of the magnitude (for a fall: -high .. -low)
    mag_high: str


EFFECT_COLUMNS = ("estimate", "conf_low", "conf_high")


def show(outcome: str, estimate, conf_low, conf_high, language: str, baseline=None, *, with_unit: bool = True,
         source=None, columns=EFFECT_COLUMNS) -> Shown:
    """Formatted effect; ``with_unit=False`` for tables that name the unit in their own column.

    ``source = (ledger, table, row)`` records each number as a claim on ``columns`` of that row.
    """
    f = scale(outcome, baseline, estimate)
    est, lo, hi = (None if fmt.is_missing(v) else float(v) * f for v in (estimate, conf_low, conf_high))
    d = digits(est)
    unit = unit_word(outcome, language) if with_unit else ""
    factor = "" if f == 1 else f"*{f:g}"

    def claim(text, value, column, rule):
        if source is None or value is None:
            return text
        ledger, table, row = source
        return ledger.add(text, value, table, row, column, rule + factor)

    if lo is not None and hi is not None:
        (m_low, c_low), (m_high, c_high) = sorted(((abs(lo), columns[1]), (abs(hi), columns[2])))
    else:
        (m_low, c_low), (m_high, c_high) = (None, columns[1]), (None, columns[2])
    return Shown(
        estimate=claim(f"{fmt.number(est, language, d, signed=True)} {unit}".strip(), est, columns[0], "cell"),
        low=claim(fmt.number(lo, language, d), lo, columns[1], "cell"),
        high=claim(f"{fmt.number(hi, language, d)} {unit}".strip(), hi, columns[2], "cell"),
        size=claim(f"{fmt.number(abs(est) if est is not None else None, language, d)} {unit}".strip(),
                   None if est is None else abs(est), columns[0], "abs"),
        mag_low=claim(fmt.number(m_low, language, d), m_low, c_low, "abs"),
        mag_high=claim(f"{fmt.number(m_high, language, d)} {unit}".strip(), m_high, c_high, "abs"),
    )


def baseline_text(outcome: str, baseline, language: str, source=None) -> str:
    if fmt.is_missing(baseline):
        return t(language, "not_computed")
    if spec(outcome).share:
        f = scale(outcome, baseline)
        text, value, rule = fmt.percent(float(baseline) * (f / 100), language, 0), float(baseline) * f, f"cell*{f:g}"
    elif spec(outcome).unit == "points":  # an index level reads best with one decimal: 78,4
        text, value, rule = fmt.number(baseline, language, 1), float(baseline), "cell"
    else:
        text = f"{fmt.number(baseline, language, digits(baseline))} {unit_word(outcome, language)}"
        value, rule = float(baseline), "cell"
    if source is None:
        return text
    ledger, table, row = source
    return ledger.add(text, value, table, row, "baseline_mean", rule)


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
    fragile: bool = False,
    source=None,
    level: str | None = None,
) -> str:
    """The key-finding sentence of one outcome (see the module docstring for the rule).

    ``source = (ledger, table, row)`` records the numbers and the judgement as claims.
    """
    shown = show(outcome, estimate, conf_low, conf_high, language, baseline, source=source)
    lvl = level or fmt.level(alp, language)
    kind = verdict(conf_low, conf_high, flag, fragile)
    name = label(outcome, language)
    if source is not None:  # the judgement itself is a claim (rule "verdict")
        ledger, table, row = source
        ledger.add(kind, conclusion_code(outcome, estimate, conf_low, conf_high, flag, fragile), table, row,
                   "conf_low;conf_high", "conclusion", span=False)
    if kind == UNRELIABLE:
        pretest = not fmt.is_missing(pretrend_p) and float(pretrend_p) < alp
        p_text = fmt.p_statement(pretrend_p, language)
        if pretest and source is not None:
            ledger, _, row = source
            p_text = ledger.add(p_text, float(pretrend_p), "pretrend", row, "p_value", "cell")
        reason = t(language, "reason_pretest", p=p_text) if pretest else t(language, "reason_honest")
        return t(language, "finding_pretrend", label=name, reason=reason, estimate=shown.estimate, level=lvl,
                 low=shown.low, high=shown.high)
    if kind == ZERO:
        return t(language, "finding_zero", label=name, estimate=shown.estimate, level=lvl, low=shown.low,
                 high=shown.high)
    text = capitalise(t(language, "finding_clear", label=name, direction=direction(estimate, outcome, language),
                        size=shown.size, level=lvl, low=shown.mag_low, high=shown.mag_high,
                        baseline=baseline_text(outcome, baseline, language, source)))
    if kind == FRAGILE:
        text += " " + t(language, "finding_fragile")
    return text
