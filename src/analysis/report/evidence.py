"""The evidence of a brief: adoption, effects, IKM by unit, waiting times, heterogeneity, robustness."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.report import fmt, sentences
from analysis.report import markdown as md
from analysis.report.common import (KEY_OUTCOMES, adopted, brief_dir, effect_rows, finish, finding, flagged,
                                    ikm_frame, latest_quarter, type_word, unit_row)
from analysis.report.disclosure import count_label, merge_small
from analysis.report.figures import (draw_adoption_timeline, draw_event_study, draw_unit_ikm, event_rows,
                                     figure_path)
from analysis.report.i18n import CHANNELS, ESTIMATORS, KINERJA, SERVICES, join_list, t, vocab
from analysis.report.results import RunResults
from analysis.schemas import PRIORITY_SERVICES


def evidence_sections(run_dir, language: str = "id", min_cell: int = 10, unit_id: str = "", alp: float = 0.05) -> str:
    """Adoption, effects (event studies + table), IKM by unit, waiting times, heterogeneity, robustness."""
    res = RunResults(run_dir)
    out_dir = brief_dir(run_dir, unit_id, language)
    parts = [f"# {t(language, 'h_evidence')}"]
    if unit_id:
        parts.append(_unit_ikm_section(res, unit_id, language, min_cell, out_dir))
    else:
        parts.append(_adoption_section(res, language, out_dir))
    parts.append(_effects_section(res, language, alp, out_dir, figures=not unit_id))
    if not unit_id:
        parts += [_ikm_section(res, language, min_cell), _wait_section(res, language, min_cell),
                  _heterogeneity_section(res, language, alp)]
    parts.append(_robustness_section(res, language))
    return finish(parts)


def _adoption_section(res: RunResults, language: str, out_dir: Path) -> str:
    cohorts = res.table("cohort_sizes")
    waves = cohorts[cohorts["adoption_month"].map(adopted)].sort_values("adoption_month")
    parts = [f"## {t(language, 'h_adoption')}"]
    if not waves.empty:
        big = waves.loc[waves["n_units"].idxmax()]
        parts.append(t(language, "adoption_text", n=fmt.integer(big["n_units"], language),
                       month=fmt.month(big["adoption_month"], language)))
    path = figure_path(res, "adoption_timeline", language, out_dir,
                       lambda p: draw_adoption_timeline(res, language, p))
    parts.append(md.figure(path, t(language, "fig_adoption")))
    rows = [[fmt.month(r["adoption_month"], language), fmt.integer(r["n_units"], language)]
            for r in waves.to_dict("records")]
    never = cohorts[~cohorts["adoption_month"].map(adopted)]["n_units"].sum()
    if never:
        rows.append([t(language, "never_adopted"), fmt.integer(never, language)])
    parts.append(md.table([t(language, "col_cohort_month"), t(language, "col_n_units")], rows,
                          caption=t(language, "cohort_table_caption")))
    return "\n\n".join(parts)


def _effects_section(res: RunResults, language: str, alp: float, out_dir: Path, *, figures: bool) -> str:
    lvl = fmt.level(alp, language)
    rows = effect_rows(res)
    parts = [f"## {t(language, 'h_effects')}"]
    if figures:
        parts.append(t(language, "effects_intro"))
        for row in rows[:KEY_OUTCOMES]:
            outcome = row["outcome"]
            if event_rows(res, outcome).empty and res.figure(f"event_study_{outcome}") is None:
                continue
            path = figure_path(res, f"event_study_{outcome}", language, out_dir,
                               lambda p, o=outcome: draw_event_study(res, o, language, p))
            parts += [finding(row, language, alp),
                      md.figure(path, t(language, "fig_event", label=sentences.capitalise(
                          sentences.label(outcome, language)), unit=sentences.unit_word(outcome, language),
                          level=lvl))]
    table_rows = []
    for row in rows:
        shown = sentences.show(row["outcome"], row["estimate"], row["conf_low"], row["conf_high"], language,
                               row.get("baseline_mean"), with_unit=False)
        table_rows.append([
            sentences.capitalise(sentences.label(row["outcome"], language)),
            sentences.unit_word(row["outcome"], language),
            shown.estimate,
            f"{shown.low} {t(language, 'to')} {shown.high}",
            fmt.integer(row.get("n_units"), language),
            fmt.p_value(row["pretrend_p"], language),
            sentences.conclusion(row["outcome"], row["estimate"], row["conf_low"], row["conf_high"], row["flag"],
                                 language),
        ])
    parts.append(f"### {t(language, 'h_all_effects')}")
    parts.append(md.table([t(language, "col_outcome"), t(language, "col_measure"), t(language, "col_estimate"),
                           t(language, "col_ci", level=lvl), t(language, "col_units_short"),
                           t(language, "col_pretrend"), t(language, "col_conclusion")], table_rows,
                          align="llrrrrl", widths=[30, 15, 10, 17, 7, 10, 13],
                          caption=t(language, "table_effects_caption")))
    head = rows[0] if rows else None
    if head is not None and not fmt.is_missing(head.get("twfe_estimate")):
        shown = sentences.show(head["outcome"], head["twfe_estimate"], None, None, language, head.get("baseline_mean"))
        parts.append(t(language, "twfe_note", twfe=shown.estimate, label=sentences.label(head["outcome"], language),
                       estimator=vocab(ESTIMATORS, language, str(head["estimator"]))))
    return "\n\n".join(parts)


def _ikm_section(res: RunResults, language: str, min_cell: int) -> str:
    ikm = ikm_frame(res, min_cell)
    last = latest_quarter(ikm).sort_values(["suppressed", "ikm"], ascending=[True, False])
    quarter = fmt.quarter(last["quarter"].iloc[0], language)
    parts = [f"## {t(language, 'h_ikm')}"]
    shown = last[~last["suppressed"]]
    if shown.empty:
        parts.append(t(language, "ikm_none"))
    else:
        counts = shown["mutu"].value_counts().sort_index()
        phrase = join_list([t(language, "ikm_count", n=fmt.integer(n, language), mutu=m) for m, n in counts.items()],
                           language)
        parts.append(t(language, "ikm_text", quarter=quarter, counts=phrase))
    rows = [[r["unit_name"], count_label(r["n"], min_cell, language), fmt.integer(r["required_n"], language),
             fmt.number(r["ikm"], language, 1), r["mutu"] or fmt.MISSING,
             vocab(KINERJA, language, str(r["kinerja"])) if r["kinerja"] else fmt.MISSING,
             t(language, "yes" if bool(r["meets_sample"]) else "no")] for r in last.to_dict("records")]
    parts.append(md.table([t(language, "col_unit"), t(language, "col_respondents"), t(language, "col_required"),
                           t(language, "col_ikm"), t(language, "col_mutu"), t(language, "col_kinerja"),
                           t(language, "col_meets")], rows, align="lrrrcll", widths=[30, 11, 11, 7, 6, 15, 11],
                          caption=t(language, "ikm_table_caption", quarter=quarter)))
    return "\n\n".join(parts)


def _wait_section(res: RunResults, language: str, min_cell: int) -> str:
    wait = res.table("wait_by_service_channel")
    parts = [f"## {t(language, 'h_wait')}"]
    priority = wait[wait["service"].isin(PRIORITY_SERVICES)]
    by_channel = {}
    for channel, part in priority.groupby("channel"):
        n = part["n_tickets"].sum()
        if n >= min_cell:  # exact pooled mean and share of the priority services
            by_channel[channel] = (float((part["wait_mean"] * part["n_tickets"]).sum() / n),
                                   float((part["within_1h_share"] * part["n_tickets"]).sum() / n))
    minutes = lambda v: t(language, "minutes_value", value=fmt.number(v, language, 0))  # noqa: E731
    if set(by_channel) >= {"online", "walk_in"}:
        parts.append(t(language, "wait_text", online=minutes(by_channel["online"][0]),
                       walk_in=minutes(by_channel["walk_in"][0]), share_online=fmt.percent(by_channel["online"][1],
                                                                                          language),
                       share_walk_in=fmt.percent(by_channel["walk_in"][1], language)))
    elif by_channel:
        pieces = [f"{vocab(CHANNELS, language, c)} {minutes(v[0])}" for c, v in by_channel.items()]
        parts.append(t(language, "wait_text_other", parts=join_list(pieces, language)))
    table = merge_small(wait, ["channel"], "service", t(language, "other_services"), "n_tickets",
                        ["wait_mean", "within_1h_share"], ["wait_median", "wait_p90"], min_cell)
    # priority services first (in regulation order), then the rest alphabetically, merged rows last
    order = {name: i for i, name in enumerate(PRIORITY_SERVICES)}
    table["_rank"] = [len(order) + 1 if name == t(language, "other_services") else order.get(name, len(order))
                      for name in table["service"]]
    table = table.sort_values(["_rank", "service", "channel"])
    rows = [[vocab(SERVICES, language, r["service"]), vocab(CHANNELS, language, r["channel"]),
             count_label(r["n_tickets"], min_cell, language), fmt.number(r["wait_mean"], language, 0),
             fmt.number(r["wait_median"], language, 0), fmt.number(r["wait_p90"], language, 0),
             fmt.percent(r["within_1h_share"], language)] for r in table.to_dict("records")]
    parts.append(md.table([t(language, "col_service"), t(language, "col_channel"), t(language, "col_tickets"),
                           t(language, "col_wait_mean"), t(language, "col_wait_median"), t(language, "col_wait_p90"),
                           t(language, "col_within_1h")], rows, align="llrrrrr", widths=[30, 17, 9, 10, 9, 12, 12],
                          caption=t(language, "wait_table_caption")))
    return "\n\n".join(parts)


def _heterogeneity_section(res: RunResults, language: str, alp: float) -> str:
    het, parts = res.optional("heterogeneity"), []
    if het is not None and not res.headline.empty:
        head = res.headline.iloc[0]
        outcome = head["outcome"]
        rows = het[(het["outcome"] == outcome) & (het["dimension"] == "unit_type")]
        if not rows.empty:
            name = sentences.label(outcome, language)
            lvl = fmt.level(alp, language)
            table = []
            for r in rows.sort_values("level").to_dict("records"):
                shown = sentences.show(outcome, r["estimate"], r["conf_low"], r["conf_high"], language,
                                       head["baseline_mean"])
                table.append([sentences.capitalise(type_word(r["level"], language)), shown.estimate,
                              f"{shown.low} {t(language, 'to')} {shown.high}", fmt.integer(r["n_units"], language)])
            parts += [f"## {t(language, 'h_heterogeneity')}", t(language, "het_text", label=name),
                      md.table([t(language, "col_unit_type"), t(language, "col_estimate"),
                                t(language, "col_ci", level=lvl), t(language, "col_n_units")], table,
                               caption=t(language, "het_table_caption", label=name))]
    channel = res.optional("training_channel")
    if channel is not None and not channel.empty:
        r = channel.iloc[0]
        shown = sentences.show("training_coverage", r["estimate"], r["conf_low"], r["conf_high"], language)
        if not parts:
            parts.append(f"## {t(language, 'h_heterogeneity')}")
        parts.append(t(language, "training_channel_text", estimate=shown.estimate, level=fmt.level(alp, language),
                       low=shown.low, high=shown.high))
    return "\n\n".join(parts)


def honest_breakdown(bounds: pd.DataFrame, outcome: str) -> tuple[str, float | None]:
    """('never' | 'zero' | 'upto', M): the largest M up to which the robust interval excludes zero."""
    rows = bounds[bounds["outcome"] == outcome]
    if rows.empty:
        return "missing", None
    methods = rows["method"].unique()
    rows = rows[rows["method"] == ("relative_magnitudes" if "relative_magnitudes" in methods else methods[0])]
    rows = rows.sort_values("M")
    holds = ~((rows["lb"] <= 0) & (rows["ub"] >= 0))
    if holds.all():
        return "never", float(rows["M"].max())
    if not holds.iloc[0]:
        return "zero", None
    first_break = int(np.argmin(holds.to_numpy()))
    return "upto", float(rows["M"].iloc[first_break - 1])


def _robustness_section(res: RunResults, language: str) -> str:
    parts = [f"## {t(language, 'h_robustness')}"]
    pretrend, bounds = res.optional("pretrend"), res.optional("honest_bounds")
    checks, spec = res.optional("robustness"), res.optional("spec_curve")
    if pretrend is None and bounds is None and checks is None and spec is None:
        parts.append(t(language, "robust_missing"))
        return "\n\n".join(parts)
    parts.append(t(language, "robust_intro"))
    warned = flagged(res, language)
    parts.append(t(language, "robust_flagged", outcomes=join_list(warned, language)) if warned
                 else t(language, "robust_clean"))
    rows, head_text = [], []
    for i, row in enumerate(effect_rows(res)):
        outcome, sign = row["outcome"], np.sign(row["estimate"])
        status, m = honest_breakdown(bounds, outcome) if bounds is not None else ("missing", None)
        if status == "upto" and m == 0:
            honest = t(language, "honest_only_zero")
        else:
            honest = {"never": t(language, "honest_never"), "zero": t(language, "honest_zero"),
                      "missing": fmt.MISSING}.get(status) or fmt.number(m, language, 1 if m >= 1 else 2)
        alternatives = pd.concat([f[f["outcome"] == outcome][["estimate", "conf_low", "conf_high"]]
                                  for f in (checks, spec) if f is not None]
                                 or [pd.DataFrame(columns=["estimate", "conf_low", "conf_high"])])
        same = int((np.sign(alternatives["estimate"]) == sign).sum())
        rows.append([sentences.capitalise(sentences.label(outcome, language)), fmt.p_value(row["pretrend_p"], language),
                     honest, t(language, "checks_count", same=fmt.integer(same, language),
                                                  total=fmt.integer(len(alternatives), language))
                     if len(alternatives) else fmt.MISSING,
                     sentences.conclusion(outcome, row["estimate"], row["conf_low"], row["conf_high"], row["flag"],
                                          language)])
        if i == 0:
            name = sentences.label(outcome, language)
            if status == "upto" and not row["flag"]:
                head_text.append(t(language, "robust_honest_zero", label=name) if m == 0 else
                                 t(language, "robust_honest_text", label=name, m=fmt.number(m, language, 1)))
            if spec is not None:
                own = spec[spec["outcome"] == outcome]
                if len(own):
                    significant = int(((own["conf_low"] > 0) | (own["conf_high"] < 0)).sum())
                    head_text.append(t(language, "spec_text", total=fmt.integer(len(own), language), label=name,
                                       same=fmt.integer(int((np.sign(own["estimate"]) == sign).sum()), language),
                                       significant=fmt.integer(significant, language)))
    parts += head_text
    parts.append(md.table([t(language, "col_outcome"), t(language, "col_pretrend"), t(language, "col_honest"),
                           t(language, "col_checks"), t(language, "col_conclusion")], rows, align="lrrrl",
                          widths=[34, 14, 20, 16, 16], caption=t(language, "robust_table_caption")))
    return "\n\n".join(parts)


def _unit_ikm_section(res: RunResults, unit_id: str, language: str, min_cell: int, out_dir: Path) -> str:
    unit = unit_row(res, unit_id)
    ikm = ikm_frame(res, min_cell)
    own = ikm[ikm["unit_id"].astype(str) == str(unit_id)].sort_values("quarter_key")
    parts = [f"## {t(language, 'h_unit_ikm')}"]
    if own.empty:
        return ""
    target = out_dir / "figures" / "unit_ikm.png"
    draw_unit_ikm(own, unit["unit_name"], language, target)
    parts.append(md.figure("figures/unit_ikm.png", t(language, "fig_unit_ikm", unit=unit["unit_name"])))
    rows = [[fmt.quarter(r["quarter"], language), count_label(r["n"], min_cell, language),
             fmt.integer(r["required_n"], language), fmt.number(r["ikm"], language, 1), r["mutu"] or fmt.MISSING,
             vocab(KINERJA, language, str(r["kinerja"])) if r["kinerja"] else fmt.MISSING,
             t(language, "yes" if bool(r["meets_sample"]) else "no")] for r in own.to_dict("records")]
    parts.append(md.table([t(language, "col_quarter"), t(language, "col_respondents"), t(language, "col_required"),
                           t(language, "col_ikm"), t(language, "col_mutu"), t(language, "col_kinerja"),
                           t(language, "col_meets")], rows, align="lrrrcll",
                          caption=t(language, "unit_ikm_table_caption", unit=unit["unit_name"])))
    return "\n\n".join(parts)

