"""Limitations and recommendations, each tied to what the run's tables show."""

from __future__ import annotations

from analysis.report import fmt, sentences
from analysis.report import markdown as md
from analysis.report.common import (adopted, effect_rows, few_units, finish, flagged, ikm_frame, latest_quarter, names,
                                    type_word, unit_row)
from analysis.report.i18n import INFERENCE, join_list, t, vocab
from analysis.report.results import RunResults
from analysis.schemas import GOOD_PREDIKAT


def limitations_section(run_dir, language: str = "id", min_cell: int = 10, unit_id: str = "",
                        alp: float = 0.05) -> str:
    """Sample shortfalls (Krejcie-Morgan), few units, pre-trend warnings, design, suppression, synthetic data."""
    res = RunResults(run_dir)
    info = res.run_info
    items = []
    ikm = res.table("ikm_unit_quarter")
    if unit_id:
        ikm = ikm[ikm["unit_id"].astype(str) == str(unit_id)]
    short = ikm[~ikm["meets_sample"].astype(bool)]
    if len(short):
        worst = short.groupby("unit_name").size().sort_values(ascending=False, kind="stable").head(3)
        units = join_list([t(language, "lim_unit_quarters", unit=u, n=fmt.integer(n, language))
                           for u, n in worst.items()], language)
        items.append(t(language, "lim_sample", short=fmt.integer(len(short), language),
                       total=fmt.integer(len(ikm), language), units=units))
    else:
        items.append(t(language, "lim_sample_ok"))
    head = res.headline.iloc[0] if not res.headline.empty else {}
    inference = str(head.get("inference", "") or res.manifest.get("parameters", {}).get("inference", "auto"))
    items.append(t(language, "lim_few_units", n_units=fmt.integer(info["n_units"], language),
                   n_adopted=fmt.integer(info["n_adopted"], language), inference=vocab(INFERENCE, language, inference)))
    few = [t(language, "lim_outcome_unit", label=sentences.label(r["outcome"], language),
             n=fmt.integer(r["n_units"], language))
           for r in effect_rows(res) if few_units(r)]
    if few:
        items.append(t(language, "lim_outcome_units", outcomes=join_list(few, language)))
    asked = res.manifest.get("parameters", {}).get("control_group", "nevertreated")
    switched = [sentences.label(r["outcome"], language) for r in effect_rows(res)
                if str(r.get("control_group") or asked) != asked and str(r.get("control_group")) == "notyettreated"]
    if switched:
        items.append(t(language, "lim_control_changed", outcomes=join_list(switched, language)))
    warned = flagged(res, language)
    if warned:
        items.append(t(language, "lim_pretrend", outcomes=join_list(warned, language)))
    items.append(t(language, "lim_design"))
    if unit_id:
        items.append(t(language, "lim_unit_average"))
    items.append(t(language, "lim_suppressed", min_cell=min_cell))
    if str(info.get("data_source")) == "synthetic":
        items.append(t(language, "lim_synthetic"))
    return finish([f"# {t(language, 'h_limitations')}", md.bullets(items)])



class Recommendation:
    def __init__(self, heading: str, text: str):
        self.heading, self.text = heading, text

    def markdown(self) -> str:
        return f"{self.heading} {self.text}"


def recommendations(res: RunResults, language: str, min_cell: int, unit_id: str) -> list[Recommendation]:
    """The five themes, each tied to what this run's tables show (for one unit when ``unit_id``)."""
    schedule = res.table("adoption_schedule")
    ikm = ikm_frame(res, min_cell)
    training = res.optional("training_coverage")
    if unit_id:
        unit = unit_row(res, unit_id)
        schedule = schedule[schedule["unit_id"].astype(str) == str(unit_id)]
        ikm = ikm[ikm["unit_id"].astype(str) == str(unit_id)]
        if training is not None:
            training = training[training["unit_type"] == unit["unit_type"]]
    recs = []

    skp = res.optional("skp_predikat_shares")
    text = t(language, "rec_indicators_generic")
    if skp is not None and len(skp):
        year = skp["year"].max()
        last = skp[skp["year"] == year]
        if last["n"].sum() >= min_cell:
            good = last[last["predikat"].isin(GOOD_PREDIKAT)]["n"].sum() / last["n"].sum()
            text = t(language, "rec_indicators_skp", year=int(year), share=fmt.percent(good, language))
    recs.append(Recommendation(t(language, "rec_indicators"), text))

    last = latest_quarter(ikm) if len(ikm) else ikm
    quarter = fmt.quarter(last["quarter"].iloc[0], language) if len(last) else fmt.MISSING
    weak = last[last["mutu"].isin(["C", "D"])]
    text = (t(language, "rec_feedback_units", n=fmt.integer(len(weak), language), quarter=quarter,
              units=names(sorted(weak["unit_name"]), language)) if len(weak)
            else t(language, "rec_feedback_ok", quarter=quarter))
    recs.append(Recommendation(t(language, "rec_feedback"), text))

    text = t(language, "rec_training_generic")
    if training is not None and len(training):
        shown = training[training["n_asn"] >= min_cell].sort_values("share_trained")
        if len(shown):
            low = shown.iloc[0]
            text = t(language, "rec_training_low", types=type_word(low["unit_type"], language),
                     share=fmt.percent(low["share_trained"], language))
    recs.append(Recommendation(t(language, "rec_training"), text))

    never = schedule[~schedule["adoption_month"].map(adopted)]
    text = (t(language, "rec_support_never", n=fmt.integer(len(never), language),
              units=names(sorted(never["unit_name"]), language)) if len(never)
            else t(language, "rec_support_unit" if unit_id else "rec_support_all"))
    recs.append(Recommendation(t(language, "rec_support"), text))

    short = not ikm["meets_sample"].astype(bool).all() if len(ikm) else False
    warned = flagged(res, language)
    text = t(language, "rec_evaluation_text",
             sample=t(language, "rec_evaluation_sample") if short else "",
             pretrend=t(language, "rec_evaluation_pretrend", outcomes=join_list(warned, language)) if warned else "")
    recs.append(Recommendation(t(language, "rec_evaluation"), text.strip()))
    return recs


def recommendations_section(run_dir, language: str = "id", min_cell: int = 10, unit_id: str = "",
                            alp: float = 0.05) -> str:
    """Recommendations on five themes, each with the number from this run that motivates it."""
    res = RunResults(run_dir)
    parts = [f"# {t(language, 'h_recommendations')}"]
    rows = effect_rows(res)
    if rows:
        head = rows[0]
        kind = sentences.verdict(head["conf_low"], head["conf_high"], head["flag"])
        better = sentences.conclusion(head["outcome"], head["estimate"], head["conf_low"], head["conf_high"],
                                      head["flag"], language) == t(language, "concl_clear_better")
        key = "rec_scale_up" if kind == sentences.CLEAR and better else "rec_scale_unclear"
        parts.append(t(language, key, label=sentences.label(head["outcome"], language)))
    parts.append(md.numbered([r.markdown() for r in recommendations(res, language, min_cell, unit_id)]))
    return finish(parts)

