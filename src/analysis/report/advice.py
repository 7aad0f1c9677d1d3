"""Limitations and recommendations, each tied to what the run's tables show."""

from __future__ import annotations

from analysis.report import fmt, sentences
from analysis.report import markdown as md
from analysis.report.area_brief import area_words
from analysis.report.areas import area_units
from analysis.report.claims import Ledger, row_key
from analysis.report.common import (adopted, close, effect_rows, few_units, ikm_frame, latest_quarter, names,
                                    outcome_list, type_word, unit_row)
from analysis.report.i18n import join_list, t
from analysis.report.planning import uptake_recommendation
from analysis.report.results import RunResults
from analysis.schemas import GOOD_PREDIKAT


def limitations_section(run_dir, language: str = "id", min_cell: int = 10, unit_id: str = "",
                        alp: float = 0.05, area: str = "") -> str:
    """Sample shortfalls (Krejcie-Morgan), few units, pre-trend warnings, design, suppression, synthetic data."""
    res = RunResults(run_dir)
    info = res.run_info
    led = Ledger("limitations", language)
    items = []
    ikm = res.table("ikm_unit_quarter")
    scope = row_key(unit_id=unit_id) if unit_id else ""
    if unit_id:
        ikm = ikm[ikm["unit_id"].astype(str) == str(unit_id)]
    short = ikm[~ikm["meets_sample"].astype(bool)]
    if len(short):
        worst = short.groupby("unit_name").size().sort_values(ascending=False, kind="stable").head(3)
        units = "" if unit_id else join_list([t(language, "lim_unit_quarters", unit=u, n=led.add(
            fmt.integer(n, language), int(n), "ikm_unit_quarter", f"unit_name={u}&meets_sample=false", "unit_id",
            "count")) for u, n in worst.items()], language)
        items.append(t(language, "lim_sample_unit" if unit_id else "lim_sample",
                       short=led.add(fmt.integer(len(short), language), len(short), "ikm_unit_quarter",
                                     "&".join(filter(None, [scope, "meets_sample=false"])), "unit_id", "count"),
                       total=led.add(fmt.integer(len(ikm), language), len(ikm), "ikm_unit_quarter", scope, "unit_id",
                                     "count"), units=units))
    else:
        items.append(t(language, "lim_sample_ok_unit" if unit_id else "lim_sample_ok"))
    items.append(t(language, "lim_few_units",
                   n_units=led.add(fmt.integer(info["n_units"], language), int(info["n_units"]), "run_info", "",
                                   "n_units"),
                   n_adopted=led.add(fmt.integer(info["n_adopted"], language), int(info["n_adopted"]), "run_info", "",
                                     "n_adopted")))
    few = [t(language, "lim_outcome_unit", label=sentences.label(r["outcome"], language),
             n=led.add(fmt.integer(r["n_units"], language), int(r["n_units"]), "headline",
                       row_key(outcome=r["outcome"]), "n_units"))
           for r in effect_rows(res) if few_units(r)]
    if few:
        items.append(t(language, "lim_outcome_units", outcomes=join_list(few, language)))
    asked = str(res.manifest.get("parameters", {}).get("control_group", "nevertreated"))
    switched = [r["outcome"] for r in effect_rows(res)
                if str(r.get("control_group") or asked) != asked and str(r.get("control_group")) == "notyettreated"]
    if switched:
        items.append(t(language, "lim_control_changed", outcomes=led.add(
            join_list([sentences.label(o, language) for o in switched], language), sorted(switched), "headline",
            "control_group=notyettreated", "outcome", "values")))
    warned = [r["outcome"] for r in effect_rows(res) if r["flag"]]
    if warned:
        items.append(t(language, "lim_pretrend", outcomes=outcome_list(led, warned, language, "pretrend",
                                                                       "pretrend_flagged")))
    items.append(t(language, "lim_design"))
    if unit_id:
        items.append(t(language, "lim_unit_average"))
    elif area:
        items.append(t(language, "lim_area_average", area=area_words(res, area, language)))
    items.append(t(language, "lim_suppressed", min_cell=led.add(str(min_cell), int(min_cell), "manifest", "parameters",
                                                                "min_cell", "param")))
    if str(info.get("data_source")) == "synthetic":
        items.append(t(language, "lim_synthetic"))
    return close([f"# {t(language, 'h_limitations')}", md.bullets(items)], led, res, unit_id, language, area)



class Recommendation:
    def __init__(self, heading: str, text: str):
        self.heading, self.text = heading, text

    def markdown(self) -> str:
        return f"{self.heading} {self.text}"


def recommendations(res: RunResults, language: str, min_cell: int, unit_id: str,
                    led: Ledger | None = None, area: str = "") -> list[Recommendation]:
    """The five themes, each tied to what this run's tables show (for one unit when ``unit_id``).

    A unit's brief speaks of the unit only: its own IKM grade, its unit type's training
    coverage ranked among all unit types, and advice that follows its own adoption status.
    An area's brief (``area``) names only the area's units (weak IKM, not adopted, low uptake).
    """
    led = led or Ledger("recommendations", language)
    schedule = res.table("adoption_schedule")
    ikm = ikm_frame(res, min_cell)
    among = ""  # the area's units, added to the row filter of every claim that names units
    if area and not unit_id:
        ids = set(area_units(res, area)["unit_id"].astype(str))
        among = "&unit_id=" + "|".join(sorted(ids))
        schedule = schedule[schedule["unit_id"].astype(str).isin(ids)]
        ikm = ikm[ikm["unit_id"].astype(str).isin(ids)]
    training = res.optional("training_coverage")
    unit = unit_row(res, unit_id) if unit_id else None
    if unit_id:
        ikm = ikm[ikm["unit_id"].astype(str) == str(unit_id)]
    recs = []

    skp = res.optional("skp_predikat_shares")
    text = t(language, "rec_indicators_generic")
    if skp is not None and len(skp):
        year = skp["year"].max()
        last = skp[skp["year"] == year]
        if last["n"].sum() >= min_cell:
            good = last[last["predikat"].isin(GOOD_PREDIKAT)]["n"].sum() / last["n"].sum()
            goods = "|".join(p for p in GOOD_PREDIKAT)
            text = t(language, "rec_indicators_skp",
                     year=led.add(str(int(year)), int(year), "skp_predikat_shares", "", "year", "max"),
                     share=led.add(fmt.percent(good, language), good * 100, "skp_predikat_shares", f"year={int(year)}",
                                   "n", f"ratio:predikat={goods}*100"))
    recs.append(Recommendation(t(language, "rec_indicators"), text))

    last = latest_quarter(ikm) if len(ikm) else ikm
    quarter = (led.add(fmt.quarter(last["quarter"].iloc[0], language), str(last["quarter"].iloc[0]),
                       "ikm_unit_quarter", "", "quarter", "quarter") if len(last) else t(language, "not_computed"))
    if unit_id:
        own = last.iloc[0] if len(last) else None
        if own is None or own["suppressed"]:
            text = t(language, "rec_feedback_unit_hidden", quarter=quarter)
        else:
            key = row_key(unit_id=unit_id, quarter=own["quarter_raw"])
            grade = led.add(str(own["mutu"]), str(own["mutu"]), "ikm_unit_quarter", key, "mutu")
            text = t(language, "rec_feedback_unit_weak" if own["mutu"] in ("C", "D") else "rec_feedback_unit_ok",
                     quarter=quarter, mutu=grade)
    else:
        weak = last[last["mutu"].isin(["C", "D"])]
        q_raw = last["quarter_raw"].iloc[0] if len(last) else ""
        text = (t(language, "rec_feedback_units",
                  n=led.add(fmt.integer(len(weak), language), len(weak), "ikm_unit_quarter",
                            f"quarter={q_raw}&mutu=C|D&n>={min_cell}{among}", "unit_id", "count"), quarter=quarter,
                  units=led.add(names(sorted(weak["unit_name"]), language), sorted(weak["unit_name"]),
                                "ikm_unit_quarter", f"quarter={q_raw}&mutu=C|D&n>={min_cell}{among}", "unit_name",
                                "values"))
                if len(weak) else t(language, "rec_feedback_ok", quarter=quarter))
    recs.append(Recommendation(t(language, "rec_feedback"), text))

    text = t(language, "rec_training_generic")
    if training is not None and len(training):
        shown = training[training["n_asn"] >= min_cell].sort_values(["share_trained", "unit_type"])
        cond = f"n_asn>={min_cell}"
        if unit_id and unit["unit_type"] in set(shown["unit_type"]):
            own = shown[shown["unit_type"] == unit["unit_type"]].iloc[0]
            ranked = shown.sort_values(["share_trained", "unit_type"], ascending=[False, True])
            rank = int(list(ranked["unit_type"]).index(own["unit_type"])) + 1
            key = row_key(unit_type=own["unit_type"])
            text = t(language, "rec_training_unit", type=type_word(own["unit_type"], language),
                     share=led.add(fmt.percent(own["share_trained"], language), own["share_trained"] * 100,
                                   "training_coverage", key, "share_trained", "cell*100"),
                     rank=led.add(fmt.integer(rank, language), rank, "training_coverage", key, "share_trained",
                                  f"rank_desc:{cond}"),
                     n=led.add(fmt.integer(len(shown), language), len(shown), "training_coverage", cond, "unit_type",
                               "count"))
        elif not unit_id and len(shown):
            low = shown.iloc[0]
            key = row_key(unit_type=low["unit_type"])
            text = t(language, "rec_training_low",
                     types=led.add(type_word(low["unit_type"], language), str(low["unit_type"]), "training_coverage",
                                   key, "share_trained", f"argmin:{cond}"),
                     share=led.add(fmt.percent(low["share_trained"], language), low["share_trained"] * 100,
                                   "training_coverage", key, "share_trained", "cell*100"))
    recs.append(Recommendation(t(language, "rec_training"), text))

    if unit_id:
        is_adopted = adopted(unit.get("adoption_month"))
        recs.append(Recommendation(t(language, "rec_keep_going" if is_adopted else "rec_prepare"),
                                   t(language, "rec_support_unit" if is_adopted else "rec_support_unit_never")))
    else:
        never = schedule[~schedule["adoption_month"].map(adopted)]
        text = (t(language, "rec_support_never",
                  n=led.add(fmt.integer(len(never), language), len(never), "adoption_schedule",
                            f"adoption_month={among}", "unit_id", "count"),
                  units=led.add(names(sorted(never["unit_name"]), language), sorted(never["unit_name"]),
                                "adoption_schedule", f"adoption_month={among}", "unit_name", "values"))
                if len(never) else t(language, "rec_support_all"))
        recs.append(Recommendation(t(language, "rec_support"), text))

    short = not ikm["meets_sample"].astype(bool).all() if len(ikm) else False
    warned = [r["outcome"] for r in effect_rows(res) if r["flag"]]
    text = t(language, "rec_evaluation_text",
             sample=t(language, "rec_evaluation_sample_unit" if unit_id else "rec_evaluation_sample") if short else "",
             pretrend=t(language, "rec_evaluation_pretrend", outcomes=outcome_list(
                 led, warned, language, "pretrend", "pretrend_flagged")) if warned else "")
    recs.append(Recommendation(t(language, "rec_evaluation"), text.strip()))
    uptake = None if unit_id else uptake_recommendation(res, language, min_cell, led, among)
    if uptake:
        recs.append(Recommendation(t(language, "rec_uptake"), uptake))
    return recs


def recommendations_section(run_dir, language: str = "id", min_cell: int = 10, unit_id: str = "",
                            alp: float = 0.05, area: str = "") -> str:
    """Recommendations on five themes, each with the number from this run that motivates it."""
    res = RunResults(run_dir)
    led = Ledger("recommendations", language)
    parts = [f"# {t(language, 'h_recommendations')}"]
    rows = effect_rows(res)
    if rows:
        head = rows[0]
        code = sentences.conclusion_code(head["outcome"], head["estimate"], head["conf_low"], head["conf_high"],
                                         head["flag"], head["fragile"])
        key = "rec_scale_up" if code == "better" else "rec_scale_unclear"
        parts.append(led.add(t(language, key, label=sentences.label(head["outcome"], language)), code, "headline",
                             row_key(outcome=head["outcome"]), "conf_low;conf_high", "conclusion"))
    parts.append(md.numbered([r.markdown() for r in recommendations(res, language, min_cell, unit_id, led, area)]))
    return close(parts, led, res, unit_id, language, area)
