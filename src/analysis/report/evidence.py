"""The evidence of a brief: adoption, effects, IKM by unit, waiting times, heterogeneity, robustness."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.report import fmt, sentences
from analysis.report import markdown as md
from analysis.report.areas import area_units
from analysis.report.claims import Ledger, row_key
from analysis.report.common import (KEY_OUTCOMES, adopted, brief_dir, close, effect_rows, finding, honest_target,
                                    ikm_frame, latest_quarter, level, outcome_list, type_word, unit_row)
from analysis.report.disclosure import merge_small
from analysis.report.figures import draw_adoption_timeline, draw_event_study, draw_unit_ikm, event_rows
from analysis.report.i18n import (CHANNELS, ESTIMATORS, HET_DIMENSIONS, KINERJA, PARAM_VALUES, SERVICES, join_list, t,
                                  vocab)
from analysis.report.office import single_office_section
from analysis.report.planning import design_section, uptake_section
from analysis.report.results import RunResults
from analysis.report.unit_summary import ikm_summary, summarised


def evidence_sections(run_dir, language: str = "id", min_cell: int = 10, unit_id: str = "", alp: float = 0.05,
                      area: str = "") -> str:
    """Adoption, effects (event studies + table), IKM by unit, waiting times, heterogeneity, robustness.

    A unit brief shows the unit's IKM and the effects; an area brief (``area``) the IKM of the area's
    units, the effects and how they vary by unit type and area."""
    res = RunResults(run_dir)
    out_dir = brief_dir(run_dir, unit_id, language, area)
    led = Ledger("evidence", language)
    parts = [f"# {t(language, 'h_evidence')}"]
    if unit_id:
        parts.append(_unit_ikm_section(res, unit_id, language, min_cell, out_dir, led))
    elif area:
        parts.append(_ikm_section(res, language, min_cell, led, units=area_units(res, area)["unit_id"], area=area))
    else:
        parts.append(_adoption_section(res, language, out_dir, led))
    parts.append(_effects_section(res, language, alp, out_dir, led, figures=not unit_id and not area))
    if area:
        parts.append(_heterogeneity_section(res, language, alp, led))
    elif not unit_id:
        by_area = summarised(res, len(res.table("adoption_schedule")))  # a province: findings per kab/kota too
        parts += [_ikm_section(res, language, min_cell, led), _wait_section(res, language, min_cell, led),
                  single_office_section(res, language, alp, min_cell, led),
                  _heterogeneity_section(res, language, alp, led, by_area=by_area),
                  uptake_section(res, language, list(res.headline["outcome"]), led),
                  design_section(res, language, list(res.headline["outcome"]), led)]
    parts.append(_robustness_section(res, language, led))
    return close(parts, led, res, unit_id, language, area)


def _adoption_section(res: RunResults, language: str, out_dir: Path, led: Ledger) -> str:
    cohorts = res.table("cohort_sizes")
    waves = cohorts[cohorts["adoption_month"].map(adopted)].sort_values("adoption_month")
    parts = [f"## {t(language, 'h_adoption')}"]
    if not waves.empty:
        big = waves.loc[waves["n_units"].idxmax()]
        key = row_key(adoption_month=big["adoption_month"])
        parts.append(t(language, "adoption_text",
                       n=led.add(fmt.integer(big["n_units"], language), int(big["n_units"]), "cohort_sizes", key,
                                 "n_units", "max:adoption_month!="),
                       month=led.add(fmt.month(big["adoption_month"], language), str(big["adoption_month"]),
                                     "cohort_sizes", key, "adoption_month")))
    target = out_dir / "figures" / "brief_adoption.png"
    counts = draw_adoption_timeline(res, language, target)
    caption = t(language, "fig_adoption", n=led.add(fmt.integer(counts[-1], language), int(counts[-1]),
                                                    "adoption_schedule", "adoption_month!=", "unit_id", "count",
                                                    span=False),
                total=led.add(fmt.integer(len(res.table("adoption_schedule")), language),
                              len(res.table("adoption_schedule")), "adoption_schedule", "", "unit_id", "count",
                              span=False),
                end=led.add(fmt.month(res.run_info["data_end"], language), str(res.run_info["data_end"]), "run_info",
                            "", "data_end", "cell", span=False))
    parts.append(md.figure(relative(target, out_dir), caption))
    rows = [[led.add(fmt.month(r["adoption_month"], language), str(r["adoption_month"]), "cohort_sizes",
                     row_key(adoption_month=r["adoption_month"]), "adoption_month"),
             led.add(fmt.integer(r["n_units"], language), int(r["n_units"]), "cohort_sizes",
                     row_key(adoption_month=r["adoption_month"]), "n_units")]
            for r in waves.to_dict("records")]
    never = int(cohorts[~cohorts["adoption_month"].map(adopted)]["n_units"].sum())
    if never:
        rows.append([t(language, "never_adopted"), led.add(fmt.integer(never, language), never, "cohort_sizes",
                                                           "adoption_month=", "n_units", "sum")])
    parts.append(md.table([t(language, "col_cohort_month"), t(language, "col_n_units")], rows,
                          caption=t(language, "cohort_table_caption")))
    return "\n\n".join(parts)


def relative(path: Path, out_dir: Path) -> str:
    return Path(path).resolve().relative_to(Path(out_dir).resolve()).as_posix()


def pretrend_cell(led: Ledger, row: dict, language: str) -> str:
    """The pre-trend p-value, or in words why there is none."""
    key = row_key(outcome=row["outcome"])
    if fmt.is_missing(row["pretrend_p"]):
        return led.add(t(language, "not_tested"), "", "pretrend", key, "p_value", "untested")
    return led.add(fmt.p_value(row["pretrend_p"], language), float(row["pretrend_p"]), "pretrend", key, "p_value")


def _effects_section(res: RunResults, language: str, alp: float, out_dir: Path, led: Ledger, *,
                     figures: bool) -> str:
    rows = effect_rows(res)
    parts = [f"## {t(language, 'h_effects')}"]
    if figures:
        parts.append(t(language, "effects_intro"))
        drawn = []
        for row in rows[:KEY_OUTCOMES]:
            outcome = row["outcome"]
            if event_rows(res, outcome).empty:
                continue
            target = out_dir / "figures" / f"brief_event_{outcome}.png"
            draw_event_study(res, outcome, language, target)
            drawn.append(outcome)
            parts += [finding(row, language, alp, led),
                      md.figure(relative(target, out_dir), t(language, "fig_event", label=sentences.capitalise(
                          sentences.label(outcome, language)), unit=sentences.unit_word(outcome, language),
                          level=led.add(fmt.level(alp, language), round((1 - alp) * 100, 6), "manifest",
                                        "parameters", "alp", "level", span=False)))]
    table_rows = []
    for row in rows:
        key = row_key(outcome=row["outcome"])
        shown = sentences.show(row["outcome"], row["estimate"], row["conf_low"], row["conf_high"], language,
                               row.get("baseline_mean"), with_unit=False, source=(led, "headline", key))
        code = sentences.conclusion_code(row["outcome"], row["estimate"], row["conf_low"], row["conf_high"],
                                         row["flag"], row["fragile"])
        table_rows.append([
            sentences.capitalise(sentences.label(row["outcome"], language)),
            sentences.unit_word(row["outcome"], language),
            shown.estimate,
            f"{shown.low} {t(language, 'to')} {shown.high}",
            led.add(fmt.integer(row.get("n_units"), language), row.get("n_units"), "headline", key, "n_units"),
            pretrend_cell(led, row, language),
            led.add(t(language, sentences.CONCLUSION_WORDS[code]), code, "headline", key, "conf_low;conf_high", "conclusion"),
        ])
    parts.append(f"### {t(language, 'h_all_effects')}")
    parts.append(md.table([t(language, "col_outcome"), t(language, "col_measure"), t(language, "col_estimate"),
                           t(language, "col_ci", level=fmt.level(alp, language)), t(language, "col_units_short"),
                           t(language, "col_pretrend"), t(language, "col_conclusion")], table_rows,
                          align="llrrrrl", widths=[30, 15, 10, 17, 7, 10, 13],
                          caption=t(language, "table_effects_caption")))
    head = rows[0] if rows else None
    if head is not None and not fmt.is_missing(head.get("twfe_estimate")):
        shown = sentences.show(head["outcome"], head["twfe_estimate"], None, None, language, head.get("baseline_mean"),
                               source=(led, "headline", row_key(outcome=head["outcome"])),
                               columns=("twfe_estimate", "", ""))
        parts.append(t(language, "twfe_note", twfe=shown.estimate, label=sentences.label(head["outcome"], language),
                       estimator=vocab(ESTIMATORS, language, str(head["estimator"]))))
    if figures:
        parts.append(_employee_effect(res, language, alp, led))
    return "\n\n".join(part for part in parts if part)


def _employee_effect(res: RunResults, language: str, alp: float, led: Ledger) -> str:
    """The employee-level effect on a good SKP (``asn_headline``, 03_estimate with ``asn_level``), if made."""
    table = res.optional("asn_headline")
    if table is None or not (table["type"] == "simple").any():
        return ""
    r = table[table["type"] == "simple"].iloc[0]
    key = row_key(type="simple")
    shown = sentences.show(str(r["outcome"]), r["estimate"], r["conf_low"], r["conf_high"], language,
                           source=(led, "asn_headline", key))

    def count(column: str) -> str:
        return led.add(fmt.integer(r[column], language), int(r[column]), "asn_headline", key, column)

    period = str(r["asn_period"])
    return t(language, "asn_effect", n=count("n_employees"), total=count("n_employees_panel"),
             offices=count("n_clusters"), estimate=shown.estimate, low=shown.low, high=shown.high,
             period=led.add(vocab(PARAM_VALUES, language, period), period, "asn_headline", key, "asn_period", "text"),
             level=led.add(fmt.level(alp, language), round((1 - alp) * 100, 6), "manifest", "parameters", "alp",
                           "level"))


def _ikm_section(res: RunResults, language: str, min_cell: int, led: Ledger, units: pd.Series | None = None,
                 area: str = "") -> str:
    """IKM of every unit (or of ``units``, those of ``area``) in the latest quarter; summarised by area above
    the run's ``brief_max_rows`` units (:mod:`analysis.report.unit_summary`)."""
    ikm = ikm_frame(res, min_cell)
    last = latest_quarter(ikm).sort_values(["suppressed", "ikm"], ascending=[True, False])
    among = ""
    if units is not None:
        last = last[last["unit_id"].astype(str).isin(set(units.astype(str)))]
        among = "&unit_id=" + "|".join(sorted(units.astype(str)))
        if last.empty:
            return ""
    q_raw = last["quarter_raw"].iloc[0]
    quarter_text = fmt.quarter(last["quarter"].iloc[0], language)
    quarter = led.add(quarter_text, str(last["quarter"].iloc[0]), "ikm_unit_quarter", "", "quarter", "quarter")
    parts = [f"## {t(language, 'h_ikm')}"]
    shown = last[~last["suppressed"]]
    if shown.empty:
        parts.append(t(language, "ikm_none"))
    else:
        counts = shown["mutu"].value_counts().sort_index()
        phrase = join_list([t(language, "ikm_count", mutu=m, n=led.add(
            fmt.integer(n, language), int(n), "ikm_unit_quarter", f"quarter={q_raw}&mutu={m}&n>={min_cell}{among}",
            "unit_id", "count")) for m, n in counts.items()], language)
        parts.append(t(language, "ikm_text", quarter=quarter, counts=phrase))
    if summarised(res, len(last)):  # a province: by area, and the units at each end
        parts += ikm_summary(res, last, language, min_cell, led, area=area, among=among)
        return "\n\n".join(parts)
    parts.append(md.table([t(language, "col_unit"), t(language, "col_respondents"), t(language, "col_required"),
                           t(language, "col_ikm"), t(language, "col_mutu"), t(language, "col_kinerja"),
                           t(language, "col_meets")],
                          [[r["unit_name"], *ikm_cells(led, r, language, min_cell)] for r in last.to_dict("records")],
                          align="lrrrcll", widths=[30, 11, 11, 7, 6, 15, 11],
                          caption=t(language, "ikm_table_caption", quarter=quarter_text)))
    return "\n\n".join(parts)


def ikm_cells(led: Ledger, r: dict, language: str, min_cell: int) -> list[str]:
    """Respondents, minimum sample, IKM, mutu, kinerja and sample adequacy of one unit-quarter, as claims."""
    key = row_key(unit_id=r["unit_id"], quarter=r["quarter_raw"])
    cell = lambda text, value, column, rule="cell": led.add(text, value, "ikm_unit_quarter", key, column, rule)  # noqa
    if r["suppressed"]:
        hidden = [cell(fmt.MISSING, int(r["n"]), c, "suppressed:n") for c in ("ikm", "mutu", "kinerja")]
        n = cell(f"<{min_cell}", int(r["n"]), "n", "suppressed:n")
    else:
        hidden = [cell(fmt.number(r["ikm"], language, 1), float(r["ikm"]), "ikm"),
                  cell(str(r["mutu"]), str(r["mutu"]), "mutu"),
                  cell(vocab(KINERJA, language, str(r["kinerja"])), str(r["kinerja"]), "kinerja", "cell_word")]
        n = cell(fmt.integer(r["n"], language), int(r["n"]), "n")
    return [n, cell(fmt.integer(r["required_n"], language), int(r["required_n"]), "required_n"), *hidden,
            cell(t(language, "yes" if bool(r["meets_sample"]) else "no"), bool(r["meets_sample"]), "meets_sample",
                 "cell_word")]


def _wait_section(res: RunResults, language: str, min_cell: int, led: Ledger) -> str:
    wait = res.table("wait_by_service_channel")
    parts = [f"## {t(language, 'h_wait')}"]
    priority_services = res.study.priority_services
    priority = wait[wait["service"].isin(priority_services)]
    services = "|".join(s for s in priority_services if s in set(priority["service"]))
    by_channel = {}
    for channel, part in priority.groupby("channel"):
        n = part["n_tickets"].sum()
        if n >= min_cell:  # exact pooled mean and share of the priority services
            by_channel[channel] = (float((part["wait_mean"] * part["n_tickets"]).sum() / n),
                                   float((part["within_1h_share"] * part["n_tickets"]).sum() / n))

    def pooled(channel: str, i: int) -> str:
        value = by_channel[channel][i]
        key = f"service={services}&channel={channel}"
        if i == 0:
            return led.add(t(language, "minutes_value", value=fmt.number(value, language, 0)), value,
                           "wait_by_service_channel", key, "wait_mean", "wmean:n_tickets")
        return led.add(fmt.percent(value, language), value * 100, "wait_by_service_channel", key, "within_1h_share",
                       "wmean:n_tickets*100")

    if set(by_channel) >= {"online", "walk_in"}:
        parts.append(t(language, "wait_text", online=pooled("online", 0), walk_in=pooled("walk_in", 0),
                       share_online=pooled("online", 1), share_walk_in=pooled("walk_in", 1)))
    elif by_channel:
        pieces = [f"{vocab(CHANNELS, language, c)} {pooled(c, 0)}" for c in by_channel]
        parts.append(t(language, "wait_text_other", parts=join_list(pieces, language)))
    merged_label = t(language, "other_services")
    table = merge_small(wait, ["channel"], "service", merged_label, "n_tickets",
                        ["wait_mean", "within_1h_share"], ["wait_median", "wait_p90"], min_cell)
    # priority services first (in regulation order), then the rest alphabetically, merged rows last
    order = {name: i for i, name in enumerate(priority_services)}
    table["_rank"] = [len(order) + 1 if name == merged_label else order.get(name, len(order))
                      for name in table["service"]]
    table = table.sort_values(["_rank", "service", "channel"])
    rows = []
    for r in table.to_dict("records"):
        merged = r["service"] == merged_label
        key = (f"channel={r['channel']}&n_tickets<{min_cell}" if merged
               else row_key(service=r["service"], channel=r["channel"]))

        def cell(text, value, column, rule="cell"):
            if r["suppressed"]:
                return led.add(fmt.MISSING, int(r["n_tickets"]), "wait_by_service_channel", key, "n_tickets",
                               "suppressed_sum:n_tickets" if merged else "suppressed:n_tickets")
            return led.add(text, value, "wait_by_service_channel", key, column, rule)

        n = (led.add(f"<{min_cell}", int(r["n_tickets"]), "wait_by_service_channel", key, "n_tickets",
                     "suppressed_sum:n_tickets" if merged else "suppressed:n_tickets") if r["n_tickets"] < min_cell
             else led.add(fmt.integer(r["n_tickets"], language), int(r["n_tickets"]), "wait_by_service_channel", key,
                          "n_tickets", "sum" if merged else "cell"))
        mean_rule = "wmean:n_tickets" if merged else "cell"
        spread = ([led.add(t(language, "not_mergeable"), "", "wait_by_service_channel", key, c, "merged")
                   for c in ("wait_median", "wait_p90")] if merged and not r["suppressed"] else
                  [cell(fmt.number(r[c], language, 0), r[c], c) for c in ("wait_median", "wait_p90")])
        rows.append([vocab(SERVICES, language, r["service"]), vocab(CHANNELS, language, r["channel"]), n,
                     cell(fmt.number(r["wait_mean"], language, 0), r["wait_mean"], "wait_mean", mean_rule),
                     *spread,
                     led.add(t(language, "not_priority"), "", "wait_by_service_channel", key, "within_1h_share",
                             "text") if fmt.is_missing(r["within_1h_share"]) and not r["suppressed"] else
                     cell(fmt.percent(r["within_1h_share"], language), None if fmt.is_missing(r["within_1h_share"])
                          else r["within_1h_share"] * 100, "within_1h_share", mean_rule + "*100")])
    parts.append(md.table([t(language, "col_service"), t(language, "col_channel"), t(language, "col_tickets"),
                           t(language, "col_wait_mean"), t(language, "col_wait_median"), t(language, "col_wait_p90"),
                           t(language, "col_within_1h")], rows, align="llrrrrr", widths=[30, 17, 9, 10, 9, 12, 12],
                          caption=t(language, "wait_table_caption")))
    return "\n\n".join(parts)


def _heterogeneity_section(res: RunResults, language: str, alp: float, led: Ledger, *, by_area: bool = False) -> str:
    """The headline effect by unit type; with ``by_area`` (a summarised study) also by area of the grouping level."""
    het, parts = res.optional("heterogeneity"), []
    if het is not None and not res.headline.empty:
        head = res.headline.iloc[0]
        outcome = head["outcome"]
        name = sentences.label(outcome, language)
        table = _het_rows(het, head, "unit_type", language, led)
        if table:
            parts += [f"## {t(language, 'h_heterogeneity')}", t(language, "het_text", label=name),
                      md.table([t(language, "col_unit_type"), t(language, "col_estimate"),
                                t(language, "col_ci", level=fmt.level(alp, language)), t(language, "col_n_units")],
                               table, caption=t(language, "het_table_caption", label=name))]
        grouping = res.study.grouping
        table = _het_rows(het, head, grouping, language, led) if by_area else []
        if table:
            word = vocab(HET_DIMENSIONS, language, grouping)
            parts += [f"## {t(language, 'h_het_area', level=word)}",
                      t(language, "het_area_text", label=name, level=word),
                      md.table([sentences.capitalise(word), t(language, "col_estimate"),
                                t(language, "col_ci", level=fmt.level(alp, language)), t(language, "col_n_units")],
                               table, widths=[40, 18, 28, 14],
                               caption=t(language, "het_area_caption", label=name, level=word))]
    channel = res.optional("training_channel")
    if channel is not None and not channel.empty:
        r = channel.iloc[0]
        shown = sentences.show("training_coverage", r["estimate"], r["conf_low"], r["conf_high"], language,
                               source=(led, "training_channel", ""))
        if not parts:
            parts.append(f"## {t(language, 'h_heterogeneity')}")
        parts.append(t(language, "training_channel_text", estimate=shown.estimate, level=level(led, alp, language),
                       low=shown.low, high=shown.high))
    return "\n\n".join(parts)


def _het_rows(het: pd.DataFrame, head, dimension: str, language: str, led: Ledger) -> list[list[str]]:
    """Rows (level, estimate, interval, units) of the headline outcome's heterogeneity along ``dimension``."""
    outcome, table = head["outcome"], []
    rows = het[(het["outcome"] == outcome) & (het["dimension"] == dimension)]
    for r in rows.sort_values("level").to_dict("records"):
        key = row_key(outcome=outcome, dimension=dimension, level=r["level"])
        if fmt.is_missing(r["estimate"]):
            estimate = interval = led.add(t(language, "not_estimable"), "", "heterogeneity", key, "estimate", "text")
        else:
            shown = sentences.show(outcome, r["estimate"], r["conf_low"], r["conf_high"], language,
                                   head["baseline_mean"], source=(led, "heterogeneity", key))
            estimate, interval = shown.estimate, f"{shown.low} {t(language, 'to')} {shown.high}"
        label = sentences.capitalise(type_word(r["level"], language)) if dimension == "unit_type" else str(r["level"])
        table.append([label, estimate, interval,
                      led.add(fmt.integer(r["n_units"], language), int(r["n_units"]), "heterogeneity", key, "n_units")])
    return table


#: Rows of the robustness table that are not alternative estimates of the same effect.
NOT_ALTERNATIVES = ("main",)


def alternatives(res: RunResults, row: dict) -> tuple[int, int, int]:
    """(same direction, alternatives, not computable) for one outcome.

    Alternatives are the robustness checks and the specification curve, without the main
    specification itself, rows identical to it, exact duplicates and placebo dates (a placebo
    estimates a different thing: an effect that should be zero). Same direction: the point
    estimate has the sign of the main estimate.
    """
    frames = []
    for name in ("robustness", "spec_curve"):
        frame = res.optional(name)
        if frame is None:
            continue
        frame = frame[frame["outcome"] == row["outcome"]]
        label = frame["check"] if "check" in frame else frame.get("label", pd.Series("", index=frame.index))
        label = label.astype(str)
        frame = frame[~label.str.contains("placebo") & ~label.isin(NOT_ALTERNATIVES)]
        frames.append(frame.reindex(columns=["estimate", "conf_low", "conf_high"]))
    if not frames:
        return 0, 0, 0
    rows = pd.concat(frames, ignore_index=True).astype(float)
    missing = int(rows["estimate"].isna().sum())
    rows = rows.dropna(subset=["estimate"])
    main = np.array([row["estimate"], row["conf_low"], row["conf_high"]], dtype=float)
    same_as_main = np.isclose(rows.to_numpy(), main, rtol=1e-9, atol=1e-12, equal_nan=True).all(axis=1)
    rows = rows[~same_as_main].round(12).drop_duplicates()
    same = int((np.sign(rows["estimate"]) == np.sign(row["estimate"])).sum())
    return same, len(rows), missing


def _robustness_section(res: RunResults, language: str, led: Ledger) -> str:
    parts = [f"## {t(language, 'h_robustness')}"]
    pretrend, bounds = res.optional("pretrend"), res.optional("honest_bounds")
    checks, spec = res.optional("robustness"), res.optional("spec_curve")
    if pretrend is None and bounds is None and checks is None and spec is None:
        parts.append(t(language, "robust_missing"))
        return "\n\n".join(parts)
    parts.append(t(language, "robust_intro"))
    rows = effect_rows(res)
    warned = [r["outcome"] for r in rows if r["flag"]]
    untested = [r["outcome"] for r in rows if fmt.is_missing(r["pretrend_p"])]
    tested = len(rows) - len(untested)
    parts.append(t(language, "robust_flagged", outcomes=outcome_list(led, warned, language, "pretrend",
                                                                     "pretrend_flagged")) if warned
                 else t(language, "robust_clean", n=led.add(fmt.integer(tested, language), tested, "pretrend", "",
                                                            "p_value", "count_tested")))
    if untested:
        reasons = join_list([f"{sentences.label(o, language)} ({untested_reason(pretrend, o, language)})"
                             for o in untested], language)
        parts.append(t(language, "robust_untested", outcomes=led.add(reasons, sorted(untested), "pretrend", "",
                                                                     "p_value", "pretrend_untested")))
    table, head_text = [], []
    for i, row in enumerate(rows):
        outcome = row["outcome"]
        key = row_key(outcome=outcome)
        status, m = row["honest"], row["honest_m"]
        honest = led.add(honest_words(status, m, language), f"{status}:{m:g}" if m is not None else status,
                         "honest_bounds", key, "M;lb;ub", "honest")
        same, total, missing = alternatives(res, row)
        checks_text = (t(language, "checks_count", same=led.add(fmt.integer(same, language), same, "robustness",
                                                                 key, "estimate", "robust_same"),
                         total=led.add(fmt.integer(total, language), total, "robustness", key, "estimate",
                                       "robust_total")) if total else t(language, "not_computed"))
        if missing:
            checks_text += " " + t(language, "checks_missing", n=led.add(fmt.integer(missing, language), missing,
                                                                          "robustness", key, "estimate", "robust_na"))
        code = sentences.conclusion_code(outcome, row["estimate"], row["conf_low"], row["conf_high"], row["flag"],
                                         row["fragile"])
        table.append([sentences.capitalise(sentences.label(outcome, language)), pretrend_cell(led, row, language),
                      honest, checks_text,
                      led.add(t(language, sentences.CONCLUSION_WORDS[code]), code, "headline", key, "conf_low;conf_high",
                              "conclusion")])
        if i == 0:
            name = sentences.label(outcome, language)
            target = honest_target(bounds, outcome, language, str(row.get("frequency") or "month"))
            if status in ("upto", "never") and not row["flag"]:
                m_text = led.add(fmt.number(m, language, 1 if m >= 1 else 2), m, "honest_bounds", key, "M", "honest_m")
                key_text = ("robust_honest_zero" if m == 0 else
                            "robust_honest_never" if status == "never" else "robust_honest_text")
                head_text.append(t(language, key_text, label=name, m=m_text, target=target))
            elif status == "zero":
                head_text.append(t(language, "robust_honest_includes_zero", label=name, target=target))
            if total:
                head_text.append(t(language, "spec_text", label=name, same=led.add(
                    fmt.integer(same, language), same, "robustness", key, "estimate", "robust_same"),
                    total=led.add(fmt.integer(total, language), total, "robustness", key, "estimate", "robust_total")))
    parts += head_text
    parts.append(md.table([t(language, "col_outcome"), t(language, "col_pretrend"), t(language, "col_honest"),
                           t(language, "col_checks"), t(language, "col_conclusion")], table, align="lrrrl",
                          widths=[34, 14, 20, 16, 16], caption=t(language, "robust_table_caption")))
    return "\n\n".join(parts)


def untested_reason(pretrend: pd.DataFrame | None, outcome: str, language: str) -> str:
    """Why an outcome has no pre-trend test, in words (the pretrend table's ``test`` column says)."""
    if pretrend is None:
        return t(language, "untested_not_run")
    rows = pretrend[pretrend["outcome"] == outcome]
    if rows.empty:
        return t(language, "untested_not_run")
    note = str(rows.iloc[0].get("test", ""))
    match = re.search(r"(\d+) units \(< (\d+)\)", note)
    if match:
        return t(language, "untested_few_units", n=match.group(1), need=match.group(2))
    return t(language, "untested_no_pre")


def honest_words(status: str, m, language: str) -> str:
    if status == "upto" and m == 0:
        return t(language, "honest_only_zero")
    if status == "upto":
        return t(language, "honest_upto", m=fmt.number(m, language, 1 if m >= 1 else 2))
    return {"never": t(language, "honest_never"), "zero": t(language, "honest_zero")}.get(
        status, t(language, "not_computed"))


def _unit_ikm_section(res: RunResults, unit_id: str, language: str, min_cell: int, out_dir: Path,
                      led: Ledger) -> str:
    unit = unit_row(res, unit_id)
    ikm = ikm_frame(res, min_cell)
    own = ikm[ikm["unit_id"].astype(str) == str(unit_id)].sort_values("quarter_key")
    parts = [f"## {t(language, 'h_unit_ikm')}"]
    if own.empty:
        return ""
    target = out_dir / "figures" / "unit_ikm.png"
    draw_unit_ikm(own, unit["unit_name"], language, target)
    parts.append(md.figure("figures/unit_ikm.png", t(language, "fig_unit_ikm", unit=unit["unit_name"])))
    rows = [[led.add(fmt.quarter(r["quarter"], language), str(r["quarter"]), "ikm_unit_quarter",
                     row_key(unit_id=unit_id, quarter=r["quarter_raw"]), "quarter", "quarter"),
             *ikm_cells(led, r, language, min_cell)] for r in own.to_dict("records")]
    parts.append(md.table([t(language, "col_quarter"), t(language, "col_respondents"), t(language, "col_required"),
                           t(language, "col_ikm"), t(language, "col_mutu"), t(language, "col_kinerja"),
                           t(language, "col_meets")], rows, align="lrrrcll",
                          caption=t(language, "unit_ikm_table_caption", unit=unit["unit_name"])))
    return "\n\n".join(parts)
