"""Figures of the evaluation, labelled in the run's language (seaborn/matplotlib).

Every function returns a matplotlib Figure; notebooks save it with
:func:`analysis.outputs.save_figure` (PNG + SVG, reproducible bytes).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # figures are files: no display needed under papermill or CI

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from analysis.labels import axis, axis_or, outcome_label

#: estimator names in result tables -> short keys used for colours and legends
SHORT = {"callaway_santanna": "cs", "twfe_event": "twfe", "sun_abraham": "sunab", "imputation": "imputation"}
PALETTE = {"cs": "#1f6f8b", "twfe": "#c0392b", "sunab": "#8e6c8a", "imputation": "#d68910"}
MUTU_COLORS = {"A": "#1e8449", "B": "#52be80", "C": "#f5b041", "D": "#cb4335"}


#: Figures with one named row per unit name at most this many (a province has thousands of units).
MAX_NAMED_ROWS = 60


def _style():
    sns.set_theme(style="whitegrid", context="notebook", font="DejaVu Sans")


def adoption_timeline(schedule: pd.DataFrame, months: pd.Series, language: str = "id") -> plt.Figure:
    """One row per unit: grey before adoption, blue from the adoption month on."""
    _style()
    order = schedule.reset_index(drop=True)
    months = pd.to_datetime(pd.Series(sorted(pd.to_datetime(months).unique())))
    grid = np.zeros((len(order), len(months)))
    for i, month in enumerate(order["adoption_month"]):
        if month:
            grid[i, months >= pd.Timestamp(month + "-01")] = 1
    named = len(order) <= MAX_NAMED_ROWS  # a province's thousands of units: rows without names, page-sized
    fig, ax = plt.subplots(figsize=(8, max(3, 0.18 * min(len(order), MAX_NAMED_ROWS) + 1)))
    ax.imshow(grid, aspect="auto", cmap=matplotlib.colors.ListedColormap(["#d5dbe3", "#1f6f8b"]), interpolation="none")
    if named:
        ax.set_yticks(range(len(order)), order["unit_name"], fontsize=7)
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{axis('unit', language)} (n = {len(order)})")
    ticks = list(range(0, len(months), 6))
    ax.set_xticks(ticks, [months[t].strftime("%Y-%m") for t in ticks], fontsize=8)
    ax.set_xlabel(axis("month", language))
    ax.grid(False)
    handles = [matplotlib.patches.Patch(color="#1f6f8b", label=axis("adopted", language)),
               matplotlib.patches.Patch(color="#d5dbe3", label=axis("not_adopted", language))]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.08 - 3 / max(len(order), 10)), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def cohort_trends(trends: pd.DataFrame, yname: str, dates: pd.Series | None = None, language: str = "id",
                  tname: str = "period") -> plt.Figure:
    _style()
    data = trends.copy()
    data["cohort"] = np.where(data["first_treat"] == 0, axis("never", language), data["first_treat"].astype(str))
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.lineplot(data=data, x=tname, y="mean", hue="cohort", ax=ax, linewidth=1.3)
    for g in sorted(data.loc[data["first_treat"] > 0, "first_treat"].unique()):
        ax.axvline(g, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xlabel(axis("week" if tname == "week" else "period", language))
    ax.set_ylabel(outcome_label(yname, language, with_unit=True))
    ax.legend(title=axis("cohort", language), fontsize=8)
    fig.tight_layout()
    return fig


def ikm_by_unit(ikm: pd.DataFrame, language: str = "id") -> plt.Figure:
    """Latest IKM per unit with its mutu category (A-D)."""
    _style()
    latest = ikm.sort_values("quarter").groupby("unit_id").tail(1).sort_values("ikm")
    if len(latest) > MAX_NAMED_ROWS:  # too many units to name: the lowest and highest, where action is
        k = MAX_NAMED_ROWS // 2
        latest = pd.concat([latest.head(k), latest.tail(k)])
    fig, ax = plt.subplots(figsize=(8, max(3, 0.2 * len(latest) + 1)))
    ax.barh(latest["unit_name"], latest["ikm"], color=[MUTU_COLORS.get(m, "grey") for m in latest["mutu"]])
    for cut in (65, 76.61, 88.31):
        ax.axvline(cut, color="black", linewidth=0.6, linestyle=":")
    ax.set_xlim(50, 100)
    ax.set_xlabel(outcome_label("ikm", language, with_unit=True))
    ax.tick_params(axis="y", labelsize=7)
    handles = [matplotlib.patches.Patch(color=c, label=f"Mutu {m}") for m, c in MUTU_COLORS.items()]
    ax.legend(handles=handles, loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def wait_distribution(sample: pd.DataFrame, language: str = "id") -> plt.Figure:
    _style()
    data = sample[sample["wait_minutes"].between(0, 240)].copy()
    data["channel"] = data["channel"].map({"online": axis("channel_online", language),
                                           "walk_in": axis("channel_walkin", language)})
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.boxplot(data=data, y="service", x="wait_minutes", hue="channel", ax=ax, fliersize=1, linewidth=0.8)
    ax.set_xlabel(axis("wait", language))
    ax.set_ylabel("")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def event_study(tidy: pd.DataFrame, yname: str, language: str = "id", weekly: bool = False,
                truth: dict | None = None) -> plt.Figure:
    """Event-study estimates of every estimator side by side, with the true path when known."""
    _style()
    rows = tidy[(tidy["type"] == "dynamic") & tidy["event_time"].notna()]
    rows = rows.assign(short=rows["estimator"].map(SHORT))
    fig, ax = plt.subplots(figsize=(8, 4.2))
    estimators = [e for e in ("cs", "twfe", "sunab", "imputation") if (rows["short"] == e).any()]
    offsets = np.linspace(-0.27, 0.27, max(len(estimators), 1))
    for offset, name in zip(offsets, estimators):
        part = rows[rows["short"] == name].sort_values("event_time")
        x = part["event_time"].to_numpy(float) + offset
        lo = part["conf_low_simul"].where(part["conf_low_simul"].notna(), part["conf_low"])
        hi = part["conf_high_simul"].where(part["conf_high_simul"].notna(), part["conf_high"])
        ax.errorbar(x, part["estimate"], yerr=[part["estimate"] - lo, hi - part["estimate"]], fmt="o", ms=3,
                    capsize=0, linewidth=0.8, color=PALETTE[name], label=axis(f"estimator_{name}", language))
    if truth and truth.get("dynamic"):
        et = sorted(k for k in truth["dynamic"] if rows["event_time"].min() <= k <= rows["event_time"].max())
        ax.plot(et, [truth["dynamic"][k] for k in et], color="black", linewidth=1, linestyle="--",
                label=axis("true_effect", language))
    ax.axhline(0, color="black", linewidth=0.7)
    ax.axvline(-0.5, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xlabel(axis("event_time_week" if weekly else "event_time", language))
    ax.set_ylabel(outcome_label(yname, language, with_unit=True))
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def spec_curve(curve: pd.DataFrame, yname: str, language: str = "id") -> plt.Figure:
    """The same overall estimate across a grid of specifications, sorted, with 95% intervals."""
    _style()
    data = curve.sort_values("estimate").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    ax.errorbar(data.index, data["estimate"], yerr=[data["estimate"] - data["conf_low"], data["conf_high"] - data["estimate"]],
                fmt="o", ms=3, color="#1f6f8b", linewidth=0.8)
    ax.axhline(0, color="black", linewidth=0.7)
    ax.set_xticks(data.index, data["label"], rotation=70, fontsize=6, ha="right")
    ax.set_xlabel(axis("specification", language))
    ax.set_ylabel(outcome_label(yname, language, with_unit=True))
    fig.tight_layout()
    return fig


def honest_bounds(bounds: pd.DataFrame, yname: str, language: str = "id") -> plt.Figure:
    _style()
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.5), sharey=True)
    for ax, (method, part) in zip(axes, bounds.groupby("method", sort=True)):
        ax.vlines(part["M"], part["lb"], part["ub"], color="#1f6f8b", linewidth=2)
        ax.axhline(0, color="black", linewidth=0.7)
        ax.set_title(method.replace("_", " "), fontsize=9)
        ax.set_xlabel(axis("bound", language))
    axes[0].set_ylabel(outcome_label(yname, language, with_unit=True))
    fig.tight_layout()
    return fig


OFFICE_PALETTE = {"sdid": "#1f6f8b", "sc": "#d68910", "did": "#8e6c8a"}


def office_effect_path(tidy: pd.DataFrame, yname: str, language: str = "id") -> plt.Figure:
    """Month-by-month gap between the office and its synthetic comparison, per estimator (0 = launch month)."""
    _style()
    rows = tidy[tidy["type"] == "effect_path"]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for offset, method in zip((-0.2, 0.0, 0.2), ("sdid", "sc", "did")):
        part = rows[rows["method"] == method].sort_values("event_time")
        if part.empty:
            continue
        name = axis(f"office_{method}", language)
        x = part["event_time"].to_numpy(float) + offset
        post = part["event_time"].to_numpy() >= 0
        ax.plot(x, part["estimate"], marker="o", ms=3, linewidth=0.8, color=OFFICE_PALETTE[method], label=name)
        ax.vlines(x[post], part["conf_low"].to_numpy()[post], part["conf_high"].to_numpy()[post],
                  color=OFFICE_PALETTE[method], linewidth=0.8)
    ax.axhline(0, color="black", linewidth=0.7)
    ax.axvline(-0.5, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xlabel(axis("months_since_launch", language))
    ax.set_ylabel(outcome_label(yname, language, with_unit=True))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def design_mde(table: pd.DataFrame, language: str = "id") -> plt.Figure:
    """Minimum detectable effect (80% power) of each schedule, one panel per outcome; no bar = not estimable."""
    _style()
    rows = table[table["scenario"].notna()]
    outcomes = list(dict.fromkeys(rows["outcome"]))
    fig, axes = plt.subplots(1, max(len(outcomes), 1), figsize=(3.2 * max(len(outcomes), 1), 3.6), squeeze=False)
    for ax, outcome in zip(axes[0], outcomes):
        part = rows[rows["outcome"] == outcome]
        labels = [axis_or(f"schedule_{s}", s, language) for s in part["scenario"]]
        values = part["mde_size_adjusted"].to_numpy(float)
        ax.bar(range(len(part)), np.nan_to_num(values), color="#1f6f8b")
        for x, v in enumerate(values):
            if np.isnan(v):
                ax.text(x, 0, axis("not_estimable_bar", language), ha="center",
                        va="bottom", fontsize=7)
        ax.set_xticks(range(len(part)), labels, rotation=30, ha="right", fontsize=8)
        ax.set_title(outcome_label(outcome, language), fontsize=9)
        ax.set_ylabel(axis("mde", language)
                      + f" ({outcome_label(outcome, language, with_unit=True).split('(')[-1].rstrip(')')})",
                      fontsize=8)
    fig.tight_layout()
    return fig
