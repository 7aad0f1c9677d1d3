"""The sections of a policy brief, as Markdown, read from one run folder.

``reports/brief.ipynb`` calls these functions in order and displays what they
return; each returns Markdown that has passed the identifier guard
(:func:`analysis.report.disclosure.check_text`). Every number comes from the run's
result tables (docs/results.md): nothing is estimated here.

All sections take the notebook's parameters: ``run_dir``, ``language`` (id/en),
``min_cell`` (smallest count of people shown), ``unit_id`` ('' = the whole
kecamatan, else a per-unit brief) and ``alp`` (significance level of the intervals).
"""

from __future__ import annotations

import re

import pandas as pd

from analysis.clean.specs import ignored_kind
from analysis.config import RunParams
from analysis.continuity import since_section
from analysis.report import fmt, sentences
from analysis.report import markdown as md
from analysis.report.area_brief import area_heterogeneity, area_profile, area_words
from analysis.report.advice import limitations_section, recommendations, recommendations_section
from analysis.report.claims import SECTIONS, Ledger, brief_name, row_key
from analysis.report.claims import read as read_claims
from analysis.report.common import (KEY_OUTCOMES, adopted, brief_dir, close, effect_rows, finding, finish, ikm_frame,
                                    level, type_word, typst_preamble, unit_row)
from analysis.report.evidence import evidence_sections
from analysis.report.figures import draw_comparators, event_rows
from analysis.report.i18n import (CONTROL_GROUPS, DATA_TABLES, ESTIMATORS, GLOSSARY, INFERENCE, KINERJA, PARAM_NAMES,
                                  PARAM_VALUES, SOURCE_TABLES, join_list, t, vocab)
from analysis.report.results import RunResults

__all__ = ["brief_dir", "evidence_sections", "limitations_section", "provenance_section", "recommendations_section",
           "summary_section"]


def summary_section(run_dir, language: str = "id", min_cell: int = 10, unit_id: str = "", alp: float = 0.05,
                    area: str = "") -> str:
    """Page one: title, data period, key findings with their uncertainty, and what to do.

    ``area`` (with no ``unit_id``): a brief for the units of one area of the study's grouping level."""
    res = RunResults(run_dir)
    info = res.run_info
    led = Ledger("summary", language)
    parts = [typst_preamble(language)]
    if unit_id:
        unit = unit_row(res, unit_id)
        parts += [f"# {t(language, 'title_unit', unit=unit['unit_name'])}", f"**{t(language, 'subtitle_unit')}**"]
    elif area:
        parts += [f"# {t(language, 'title_area', area=area_words(res, area, language))}",
                  f"**{t(language, 'subtitle_unit')}**"]
    else:
        parts.append(f"# {t(language, 'title')}")
    meta = [t(language, "meta_period", start=period(led, info, "data_start", language),
              end=period(led, info, "data_end", language))]
    started = res.manifest.get("started_at")
    if started:
        meta.append(t(language, "meta_made", date=led.add(fmt.date(started, language), str(started)[:10], "manifest",
                                                           "", "started_at", "date")))
    meta.append(t(language, "meta_run", run_id=led.add(res.run_id, res.run_id, "manifest", "", "run_id", "text")))
    if res.manifest.get("mode") == "interactive":  # notebooks run from JupyterLab, not by `analysis run`
        meta.append(t(language, "meta_interactive"))
    parts.append("\n".join(f"| {m}" for m in meta))  # a line block: one line each, never justified
    if str(info.get("data_source")) == "synthetic":
        parts.append(f"> {t(language, 'synthetic_warning')}")
    parts.append(since_section(res.run_dir, language, alp, led))  # "Sejak analisis sebelumnya", if this run continues one
    if unit_id:
        parts += [f"## {t(language, 'h_unit_profile')}", _unit_profile(res, unit_id, language, min_cell, led)]
        parts.append(f"## {t(language, 'unit_context')}")
    elif area:
        parts += [f"## {t(language, 'h_area_profile')}", area_profile(res, area, language, min_cell, led),
                  f"## {t(language, 'unit_context')}"]
    else:
        parts.append(f"## {t(language, 'h_findings')}")
    rows = effect_rows(res)
    parts.append(md.bullets([finding(r, language, alp, led) for r in rows[:KEY_OUTCOMES]]))
    if unit_id:
        parts.append(_unit_heterogeneity(res, unit_id, language, alp, led))
    elif area:
        parts.append(area_heterogeneity(res, area, language, alp, led))
    if len(rows) > KEY_OUTCOMES:
        rest = [sentences.label(r["outcome"], language) for r in rows[KEY_OUTCOMES:]]
        parts.append(t(language, "more_outcomes", outcomes=join_list(rest, language)))
    parts.append(md.small(t(language, "ci_explained", level=level(led, alp, language))))
    if not unit_id and not area:
        parts += [f"## {t(language, 'h_context')}", _context(res, language, led)]
    parts.append(f"## {t(language, 'h_actions')}")
    scratch = Ledger("recommendations", language)  # headings only: their numbers are claimed in Rekomendasi
    parts.append(md.numbered([r.heading.strip("*") for r in recommendations(res, language, min_cell, unit_id,
                                                                              scratch, area)]))
    parts.append(md.small(t(language, "actions_intro")))
    parts.append(md.page_break())
    return close(parts, led, res, unit_id, language, area)


def period(led: Ledger, info: dict, column: str, language: str) -> str:
    return led.add(fmt.month(info[column], language), str(info[column]), "run_info", "", column, "cell")


def _context(res: RunResults, language: str, led: Ledger) -> str:
    info, cohorts = res.run_info, res.table("cohort_sizes")
    months = sorted(str(m) for m in cohorts["adoption_month"].dropna() if str(m).strip())
    n_never = int(info["n_units"]) - int(info["n_adopted"])
    values = dict(
        n_units=led.add(fmt.integer(info["n_units"], language), int(info["n_units"]), "run_info", "", "n_units"),
        n_adopted=led.add(fmt.integer(info["n_adopted"], language), int(info["n_adopted"]), "run_info", "",
                          "n_adopted"),
        first=led.add(fmt.month(months[0], language), months[0], "cohort_sizes", "adoption_month!=", "adoption_month",
                      "min") if months else t(language, "not_computed"),
        last=led.add(fmt.month(months[-1], language), months[-1], "cohort_sizes", "adoption_month!=",
                     "adoption_month", "max") if months else t(language, "not_computed"),
        n_cohorts=led.add(fmt.integer(info["n_cohorts"], language), int(info["n_cohorts"]), "run_info", "",
                          "n_cohorts"),
        n_never=led.add(fmt.integer(n_never, language), n_never, "run_info", "", "n_units-n_adopted", "difference"))
    key = "context" if n_never > 0 else "context_all_adopted"
    return t(language, key, **values)


def _place(res: RunResults, kelurahan: str, language: str) -> str:
    """The unit's kelurahan, with its kecamatan when the study groups units by kecamatan (a city)."""
    if res.study.grouping != "kecamatan":
        return kelurahan
    return t(language, "kelurahan_in_kecamatan", kelurahan=kelurahan, kecamatan=res.study.group_of(kelurahan))


def _unit_profile(res: RunResults, unit_id: str, language: str, min_cell: int, led: Ledger) -> str:
    unit = unit_row(res, unit_id)
    key = row_key(unit_id=unit_id)
    adoption = (t(language, "unit_adopted", month=led.add(fmt.month(unit["adoption_month"], language),
                                                          str(unit["adoption_month"]), "adoption_schedule", key,
                                                          "adoption_month"))
                if adopted(unit.get("adoption_month")) else
                led.add(t(language, "unit_not_adopted"), "", "adoption_schedule", key, "adoption_month", "text"))
    text = t(language, "unit_profile", unit=unit["unit_name"], type=type_word(unit["unit_type"], language),
             kelurahan=_place(res, unit["kelurahan"], language), adoption=adoption)
    ikm = ikm_frame(res, min_cell)
    own = ikm[ikm["unit_id"].astype(str) == str(unit_id)]
    if not own.empty:
        last = own.loc[own["quarter_key"].idxmax()]
        qkey = row_key(unit_id=unit_id, quarter=last["quarter_raw"])
        quarter = led.add(fmt.quarter(last["quarter"], language), str(last["quarter"]), "ikm_unit_quarter", qkey,
                          "quarter", "quarter")
        if last["suppressed"]:
            text += " " + t(language, "unit_ikm_suppressed", quarter=quarter,
                            min_cell=led.add(f"{min_cell}", int(min_cell), "manifest", "parameters", "min_cell",
                                             "param"))
        else:
            text += " " + t(language, "unit_ikm_text", quarter=quarter,
                            ikm=led.add(fmt.number(last["ikm"], language, 1), float(last["ikm"]), "ikm_unit_quarter",
                                        qkey, "ikm"),
                            mutu=led.add(str(last["mutu"]), str(last["mutu"]), "ikm_unit_quarter", qkey, "mutu"),
                            kinerja=vocab(KINERJA, language, str(last["kinerja"])))
    return text


def _unit_heterogeneity(res: RunResults, unit_id: str, language: str, alp: float, led: Ledger) -> str:
    het = res.optional("heterogeneity")
    if het is None or res.headline.empty:
        return ""
    outcome = res.headline.iloc[0]["outcome"]
    unit_type = unit_row(res, unit_id)["unit_type"]
    rows = het[(het["outcome"] == outcome) & (het["dimension"] == "unit_type") & (het["level"] == unit_type)]
    if rows.empty or fmt.is_missing(rows.iloc[0]["estimate"]):
        return ""
    row = rows.iloc[0]
    source = (led, "heterogeneity", row_key(outcome=outcome, dimension="unit_type", level=unit_type))
    shown = sentences.show(outcome, row["estimate"], row["conf_low"], row["conf_high"], language,
                           res.headline.iloc[0]["baseline_mean"], source=source)
    return t(language, "unit_het", type=type_word(unit_type, language), label=sentences.label(outcome, language),
             estimate=shown.estimate, level=level(led, alp, language), low=shown.low, high=shown.high)


def _value(value, language: str) -> str:
    if isinstance(value, (list, tuple)):
        return join_list([vocab(PARAM_VALUES, language, str(v)) for v in value], language) if value else \
            t(language, "empty_value")
    if value == "":
        return t(language, "empty_value")
    if isinstance(value, str) and "/" in value:
        return value  # a folder: shown as it is typed
    if isinstance(value, float):
        return fmt.number(value, language, max(1, len(repr(value).split(".")[-1].rstrip("0"))))
    if isinstance(value, int) and not isinstance(value, bool):
        return fmt.integer(value, language)
    return vocab(PARAM_VALUES, language, str(value))


#: How the estimation code words its automatic choices (analysis.did.inference, analysis.evaluation.estimate),
#: and the plain words a brief uses for them.
_REASONS = (
    (re.compile(r"only (\d+) never-adopting units \(< (\d+)\)"), "reason_few_never"),
    (re.compile(r"^(\d+) clusters < (\d+)"), "reason_few_clusters"),
    (re.compile(r"^(\d+) units \(< (\d+)\): too few for a multiplier bootstrap"), "reason_tiny"),
    (re.compile(r"^(\d+) clusters >= (\d+)"), "reason_many_clusters"),
    (re.compile(r"requested by the caller \((\d+) clusters\)"), "reason_requested"),
    (re.compile(r"as specified"), "reason_as_specified"),
)


def reason_words(reason, language: str) -> str:
    """An automatic choice's reason in the brief's language (numbers kept, wording plain)."""
    text = "" if fmt.is_missing(reason) else str(reason)
    for pattern, key in _REASONS:
        match = pattern.search(text)
        if match:
            return t(language, key, **{f"n{i}": g for i, g in enumerate(match.groups())})
    return t(language, "reason_unknown") if text else t(language, "reason_none")


def _method_table(res: RunResults, language: str, led: Ledger) -> str:
    """Per outcome: the comparison group and the inference that actually ran, with why."""
    rows = []
    asked = str(res.manifest.get("parameters", {}).get("control_group", "nevertreated"))
    for row in res.headline.to_dict("records"):
        key = row_key(outcome=row["outcome"])
        group = str(row.get("control_group") or asked)
        inference = str(row.get("inference") or "")
        why = [reason_words(row.get("control_group_reason"), language) if group != asked else "",
               reason_words(row.get("inference_reason"), language)]
        recorded = not fmt.is_missing(row.get("control_group")) and str(row.get("control_group"))
        rows.append([sentences.capitalise(sentences.label(row["outcome"], language)),
                     led.add(vocab(CONTROL_GROUPS, language, group), group, "headline", key, "control_group",
                             "cell_word") if recorded else
                     led.add(vocab(CONTROL_GROUPS, language, group), group, "manifest", "parameters", "control_group",
                             "param"),
                     led.add(vocab(INFERENCE, language, inference), inference, "headline", key, "inference",
                             "cell_word") if inference else t(language, "not_recorded"),
                     "; ".join(w for w in why if w)])
    return md.table([t(language, "col_outcome"), t(language, "col_control"), t(language, "col_inference"),
                     t(language, "col_reason")], rows, align="llll", widths=[28, 22, 22, 28],
                    caption=t(language, "prov_method_caption"))


def provenance_section(run_dir, language: str = "id", min_cell: int = 10, unit_id: str = "",
                       alp: float = 0.05, area: str = "") -> str:
    """Run, data period, the method of each outcome as it ran, parameters changed, data quality, code version;
    then the glossary and where the numbers come from (Sumber angka)."""
    res = RunResults(run_dir)
    info, manifest = res.run_info, res.manifest
    led = Ledger("provenance", language)
    params = manifest.get("parameters", {})
    items = [t(language, "prov_run", run_id=led.add(res.run_id, res.run_id, "manifest", "", "run_id", "text"),
               date=led.add(fmt.date(manifest["started_at"], language), str(manifest["started_at"])[:10], "manifest",
                            "", "started_at", "date") if manifest.get("started_at") else t(language, "not_recorded"))]
    source = str(info.get("data_source") or manifest.get("data_source", ""))
    items.append(t(language, "prov_source",
                   source=t(language, "source_synthetic" if source == "synthetic" else "source_export"),
                   start=period(led, info, "data_start", language), end=period(led, info, "data_end", language),
                   n_months=led.add(fmt.integer(info["n_months"], language), int(info["n_months"]), "run_info", "",
                                    "n_months")))
    head = res.headline.iloc[0].to_dict() if not res.headline.empty else {}
    estimator = vocab(ESTIMATORS, language, str(head.get("estimator") or params.get("estimator", "cs")))
    items.append(t(language, "prov_method", estimator=estimator,
                   alp=led.add(fmt.number(alp, language, 2), float(alp), "manifest", "parameters", "alp", "param")))
    if not fmt.is_missing(head.get("true_att")):
        truth = sentences.show(head["outcome"], head["true_att"], None, None, language, head.get("baseline_mean"),
                               source=(led, "headline", row_key(outcome=head["outcome"])),
                               columns=("true_att", "", ""))
        covers = bool(head.get("covers_truth"))
        items.append(t(language, "prov_truth", label=sentences.label(head["outcome"], language), truth=truth.estimate,
                       level=level(led, alp, language),
                       covers=led.add(t(language, "covers_yes" if covers else "covers_no"), covers, "headline",
                                      row_key(outcome=head["outcome"]), "covers_truth", "cell_word")))
    git = manifest.get("git") or {}
    full = str(git.get("commit") or "")
    commit = led.add(full[:10], full, "manifest", "", "git.commit", "text") if full else t(language, "unknown_commit")
    items.append(t(language, "prov_git", commit=commit, dirty=t(language, "prov_dirty") if git.get("dirty") else ""))
    changed = manifest.get("parameters_changed") or {}
    defaults = RunParams().model_dump()
    parts = [f"# {t(language, 'h_provenance')}", md.bullets(items), _method_table(res, language, led)]
    if changed:
        parts.append(t(language, "prov_params"))
        parts.append(md.bullets([t(language, "prov_param_row", name=vocab(PARAM_NAMES, language, k),
                                   value=led.add(_value(v, language), v if not isinstance(v, list) else sorted(v),
                                                 "manifest", "parameters", k, "param"),
                                   default=_value(defaults.get(k, ""), language)) for k, v in changed.items()]))
    else:
        parts.append(t(language, "prov_params_none"))
    quality = res.table("data_quality")
    cols = ["rows_raw", "rows_clean", "rows_rejected", "rows_duplicate"]
    totals = quality[cols].sum()
    parts.append(t(language, "prov_quality", **{
        k: led.add(fmt.integer(totals[c], language), int(totals[c]), "data_quality", "", c, "sum")
        for k, c in zip(("raw", "clean", "rejected", "duplicate"), cols)}))
    ignored = quality[quality["status"] == "ignored"] if "status" in quality else quality.iloc[:0]
    by_table = quality.drop(ignored.index).groupby("table", sort=True)[cols].sum()
    parts.append(md.table([t(language, "col_table"), t(language, "col_rows_raw"), t(language, "col_rows_clean"),
                           t(language, "col_rows_rejected"), t(language, "col_rows_duplicate")],
                          [[vocab(DATA_TABLES, language, str(name)),
                            *(led.add(fmt.integer(v, language), int(v), "data_quality", row_key(table=name), c, "sum")
                              for c, v in zip(cols, r))] for name, r in by_table.iterrows()],
                          caption=t(language, "prov_quality_table_caption")))
    if len(ignored):
        parts.append(_ignored_files(ignored, language, led))
    parts.append(md.small(t(language, "prov_reproduce")))
    if not unit_id and not area:
        parts.append(_comparators(res, language))
    text = close(parts, led, res, unit_id, language, area)
    # a blank line first: after the appendix figure, "# Glossary" must start a heading, not continue its paragraph
    return text + "\n" + finish([_glossary(language), _sources(res, unit_id, language, area)])


def _ignored_files(ignored: pd.DataFrame, language: str, led: Ledger) -> str:
    """The raw files cleaning did not read, each with its reason: nothing is dropped silently."""
    items = []
    for row in ignored.to_dict("records"):
        key = ignored_kind(row.get("note", ""))
        name = led.add(f"`{row['file']}`", row["file"], "data_quality", row_key(file=row["file"]), "file", "text")
        items.append(f"{name}: {t(language, key)}")
    count = led.add(fmt.integer(len(ignored), language), len(ignored), "data_quality", "status=ignored", "file", "count")
    return t(language, "prov_ignored", n=count) + "\n\n" + md.bullets(items)


def _comparators(res: RunResults, language: str) -> str:
    """Appendix figure: the headline outcome by every estimator (the brief's own figures show one)."""
    if res.headline.empty or event_rows(res, res.headline.iloc[0]["outcome"]).empty:
        return ""
    head = res.headline.iloc[0]
    outcome = head["outcome"]
    out_dir = brief_dir(res.run_dir, "", language)
    drawn = draw_comparators(res, outcome, language, out_dir / "figures" / "brief_comparators.png")
    if len(drawn) < 2:
        return ""
    label = sentences.label(outcome, language)
    return "\n\n".join([
        f"## {t(language, 'h_comparators')}",
        t(language, "comparators_text", estimator=vocab(ESTIMATORS, language, str(head["estimator"])), label=label),
        md.figure("figures/brief_comparators.png", t(language, "fig_comparators", label=sentences.capitalise(label),
                                                     unit=sentences.unit_word(outcome, language)))])


SECTION_TITLES = {"summary": "section_summary", "evidence": "section_evidence", "limitations": "section_limitations",
                  "recommendations": "section_recommendations", "provenance": "section_provenance"}


def _glossary(language: str) -> str:
    return "\n\n".join([f"# {t(language, 'h_glossary')}",
                         "\n".join(f"**{term}**\n: {text}\n" for term, text in GLOSSARY[language])])


def _sources(res: RunResults, unit_id: str, language: str, area: str = "") -> str:
    """Sumber angka: which result tables each section's numbers come from (the full list is claims.csv)."""
    frame = read_claims(brief_dir(res.run_dir, unit_id, language, area))
    frame = frame[frame["brief"] == brief_name(unit_id, language, area)]
    rows = []
    for section in SECTIONS:
        tables = list(dict.fromkeys(frame.loc[frame["section"] == section, "table"]))
        if tables:
            rows.append([t(language, SECTION_TITLES[section]),
                         "; ".join(vocab(SOURCE_TABLES, language, name) for name in tables)])
    return "\n\n".join([f"# {t(language, 'h_sources')}", t(language, "sources_text"),
                         md.table([t(language, "col_section"), t(language, "col_sources")], rows, align="ll",
                                  widths=[25, 75], caption=t(language, "sources_caption"))])
