"""Figures of a brief, drawn for planners from the result tables in the brief's language.

The notebooks' figures are research figures (every estimator, unit x month heatmaps);
they stay in the notebooks. A brief draws its own, into its own folder (so briefs never
overwrite each other's figures): units adopted over time, and each key outcome's event
study from the headline estimator alone with its interval band, in the unit the text uses
(percentage points for shares) and the brief's number format (decimal commas in Indonesian).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from analysis.report import fmt  # noqa: E402
from analysis.report.i18n import ESTIMATORS, MONTHS, t, vocab  # noqa: E402
from analysis.report.results import RunResults  # noqa: E402
from analysis.report.sentences import capitalise, label, scale, unit_word  # noqa: E402

ACCENT, GREY = "#1f6f8b", "#8a94a6"


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def _months(start: str, end: str) -> pd.PeriodIndex:
    return pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")


def _month_tick(period: pd.Period, language: str) -> str:
    return f"{MONTHS[language][period.month - 1][:3]} {period.year}"


def number_axis(ax, language: str, axis: str = "y") -> None:
    """Tick labels in the brief's number format (decimal comma in Indonesian, minus sign U+2212)."""
    def label(value, _pos):
        step = abs(ax.get_yticks()[1] - ax.get_yticks()[0]) if axis == "y" and len(ax.get_yticks()) > 1 else 1
        decimals = 0 if step >= 1 else 1 if step >= 0.1 else 2
        return fmt.number(value, language, decimals)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(label))


def draw_adoption_timeline(res: RunResults, language: str, path: Path) -> list[int]:
    """Units that have adopted, month by month (a step line up to all units); returns the counts."""
    schedule = res.table("adoption_schedule")
    info = res.run_info
    months = _months(str(info["data_start"]), str(info["data_end"]))
    adopted = pd.PeriodIndex([pd.Period(m, "M") for m in schedule["adoption_month"].fillna("") if str(m).strip()],
                             freq="M")
    counts = [int((adopted <= m).sum()) for m in months]
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.step(range(len(months)), counts, where="post", color=ACCENT, linewidth=2)
    ax.fill_between(range(len(months)), counts, step="post", color=ACCENT, alpha=0.15)
    ax.axhline(len(schedule), color=GREY, linestyle=":", linewidth=1)
    ticks = list(range(0, len(months), max(1, len(months) // 6)))
    ax.set_xticks(ticks, [_month_tick(months[i], language) for i in ticks])
    ax.set_ylabel(t(language, "col_n_units"))
    ax.set_ylim(0, len(schedule) * 1.08)
    ax.yaxis.get_major_locator().set_params(integer=True)
    number_axis(ax, language)
    ax.spines[["top", "right"]].set_visible(False)
    _save(fig, path)
    return counts


#: Names the ``estimates`` table may use for a headline estimator (RunParams names it briefly).
ESTIMATOR_NAMES = {"cs": ("cs", "callaway_santanna"), "sunab": ("sunab", "sun_abraham"),
                   "twfe": ("twfe_event", "twfe"), "imputation": ("imputation",)}


def event_rows(res: RunResults, outcome: str) -> pd.DataFrame:
    """Event-time estimates of the headline estimator (never a mix of estimators)."""
    est = res.table("estimates")
    headline = res.headline.set_index("outcome")
    estimator = str(headline.loc[outcome, "estimator"]) if outcome in headline.index else "cs"
    rows = est[(est["outcome"] == outcome) & (est["type"] == "dynamic")]
    present = list(dict.fromkeys(rows["estimator"]))
    names = [n for n in ESTIMATOR_NAMES.get(estimator, (estimator,)) if n in present] or present[:1]
    rows = rows[rows["estimator"].isin(names[:1])]
    return rows.dropna(subset=["event_time", "estimate"]).sort_values("event_time")


def frequency(res: RunResults, outcome: str) -> str:
    """``month`` or ``week``: the time unit of an outcome's panel (weekly surveillance, monthly services)."""
    head = res.headline.set_index("outcome")
    if "frequency" in head.columns and outcome in head.index and str(head.loc[outcome, "frequency"]) == "week":
        return "week"
    return "month"


def draw_event_study(res: RunResults, outcome: str, language: str, path: Path) -> None:
    """The headline estimator only: its estimates as dots and its interval as a band, in the shown unit
    (percentage points for shares), with the brief's number format."""
    rows = event_rows(res, outcome)
    head = res.headline.set_index("outcome")
    f = scale(outcome, head.loc[outcome, "baseline_mean"] if outcome in head.index else None,
              rows["estimate"].abs().max())
    x = rows["event_time"].astype(float).to_numpy()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(-0.5, color=GREY, linestyle="--", linewidth=1)
    level = fmt.level(float(res.manifest.get("parameters", {}).get("alp", 0.05)), language)
    ax.fill_between(x, rows["conf_low"] * f, rows["conf_high"] * f, color=ACCENT, alpha=0.18, linewidth=0,
                    label=t(language, "event_band", level=level))
    ax.plot(x, rows["estimate"] * f, "o", color=ACCENT, markersize=4, label=t(language, "event_estimate"))
    ax.set_xlabel(t(language, "event_x_week" if frequency(res, outcome) == "week" else "event_x"))
    ax.set_ylabel(t(language, "event_y", unit=unit_word(outcome, language)))
    ax.set_title(capitalise(label(outcome, language)), fontsize=10, loc="left")
    number_axis(ax, language)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.number(v, language, 0)))
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    _save(fig, path)


COMPARATOR_STYLE = (("o", ACCENT), ("s", "#c0504d"), ("^", "#9a7d0a"), ("D", GREY))


def draw_comparators(res: RunResults, outcome: str, language: str, path: Path) -> list[str]:
    """Appendix: every estimator's event study of one outcome (no band), so a reader can see that the
    headline method is not an outlier; returns the estimators drawn (headline first)."""
    est = res.table("estimates")
    rows = est[(est["outcome"] == outcome) & (est["type"] == "dynamic")].dropna(subset=["event_time", "estimate"])
    head = event_rows(res, outcome)
    names = list(dict.fromkeys([*head["estimator"], *rows["estimator"]]))
    f = scale(outcome, res.headline.set_index("outcome").loc[outcome, "baseline_mean"], rows["estimate"].abs().max())
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(-0.5, color=GREY, linestyle="--", linewidth=1)
    for i, (name, (marker, colour)) in enumerate(zip(names, COMPARATOR_STYLE)):
        part = rows[rows["estimator"] == name].sort_values("event_time")
        offset = (i - (len(names) - 1) / 2) * 0.15  # side by side, not on top of each other
        ax.plot(part["event_time"] + offset, part["estimate"] * f, marker, color=colour, markersize=3.5,
                label=capitalise(vocab(ESTIMATORS, language, str(name))), alpha=1 if i == 0 else 0.8)
    ax.set_xlabel(t(language, "event_x_week" if frequency(res, outcome) == "week" else "event_x"))
    ax.set_ylabel(t(language, "event_y", unit=unit_word(outcome, language)))
    number_axis(ax, language)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.number(v, language, 0)))
    ax.legend(frameon=False, fontsize=7.5, loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    _save(fig, path)
    return names[:len(COMPARATOR_STYLE)]


def draw_unit_ikm(frame: pd.DataFrame, unit_name: str, language: str, path: Path) -> None:
    """IKM of one unit by quarter; suppressed quarters (NaN) are gaps, not zeros."""
    frame = frame.sort_values("quarter_key")
    fig, ax = plt.subplots(figsize=(7, 2.8))
    x = range(len(frame))
    ax.plot(x, frame["ikm"], marker="o", color=ACCENT, linewidth=1.8)
    for cut in (76.61, 88.31):  # lower bounds of mutu B and A (PermenPANRB 14/2017)
        ax.axhline(cut, color=GREY, linestyle="--", linewidth=0.9)
    ax.set_xticks(list(x), [fmt.quarter(q, language) for q in frame["quarter"]], rotation=30, ha="right",
                  fontsize=8)
    ax.set_ylabel("IKM")
    low = min(70.0, float(frame["ikm"].min()) - 2) if frame["ikm"].notna().any() else 60.0
    ax.set_ylim(low, 100)
    number_axis(ax, language)
    ax.spines[["top", "right"]].set_visible(False)
    _save(fig, path)
