"""Figures of a brief, in the brief's language.

The notebooks draw their figures in the run's language. A brief in that language
uses them as they are; a brief in the other language (or one whose figure is
missing) draws its own from the result tables, into its own folder, so briefs
never overwrite each other's figures.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.report import fmt  # noqa: E402
from analysis.report.i18n import MONTHS, t  # noqa: E402
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


def draw_adoption_timeline(res: RunResults, language: str, path: Path) -> None:
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
    ax.spines[["top", "right"]].set_visible(False)
    _save(fig, path)


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
    rows = event_rows(res, outcome)
    head = res.headline.set_index("outcome")
    f = scale(outcome, head.loc[outcome, "baseline_mean"] if outcome in head.index else None,
              rows["estimate"].abs().max())
    x = rows["event_time"].astype(float)
    pre = x < 0
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(-0.5, color=GREY, linestyle="--", linewidth=1)
    for mask, colour in ((pre, GREY), (~pre, ACCENT)):
        part = rows[mask.to_numpy()]
        y = part["estimate"] * f
        err = [y - part["conf_low"] * f, part["conf_high"] * f - y]
        ax.errorbar(part["event_time"], y, yerr=err, fmt="o", color=colour, markersize=4, capsize=0, linewidth=1.2)
    ax.set_xlabel(t(language, "event_x_week" if frequency(res, outcome) == "week" else "event_x"))
    ax.set_ylabel(t(language, "event_y", unit=unit_word(outcome, language)))
    ax.set_title(capitalise(label(outcome, language)), fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    _save(fig, path)


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
    ax.spines[["top", "right"]].set_visible(False)
    _save(fig, path)


def figure_path(res: RunResults, name: str, language: str, out_dir: Path, draw) -> str:
    """Path (relative to the brief folder, inside it: Quarto reads nothing outside) of figure ``name``.

    ``draw(path)`` makes the figure from the tables when the run's own PNG is missing
    or in the other language.
    """
    out_dir = Path(out_dir).resolve()
    own = res.figure(name)
    if own is not None and res.figure_language == language:
        target = out_dir / "figures" / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(own, target)
        return f"figures/{name}.png"
    target = out_dir / "figures" / f"{name}.png"
    draw(target)
    return f"figures/{name}.png"
